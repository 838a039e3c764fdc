/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/flowtap.h - everything of libflowtap in one include.
 */
#ifndef FLOWTAP_FLOWTAP_H
#define FLOWTAP_FLOWTAP_H

#include <flowtap/common.h>
#include <flowtap/anon.h>
#include <flowtap/api.h>
#include <flowtap/capture.h>
#include <flowtap/filter.h>
#include <flowtap/flows.h>
#include <flowtap/metrics.h>
#include <flowtap/peers.h>
#include <flowtap/reader.h>
#include <flowtap/sources.h>
#include <flowtap/tap.h>
#include <flowtap/text.h>
#include <flowtap/trigger.h>
#include <flowtap/writer.h>

#endif
