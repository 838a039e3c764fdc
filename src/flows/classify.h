/* SPDX-License-Identifier: BSD-2-Clause */
/* classify.h - the flow logger's classifier, internal to the library
 * (tested, not part of the ABI). */
#ifndef FT_FLOWS_CLASSIFY_H
#define FT_FLOWS_CLASSIFY_H

#include <flowtap/flows.h>

/**
 * ft__flowlog_classify - the class of a tunnel-layer key under @l's current
 * overlay ranges and routes (never FT_FLOW_PHYSICAL).
 */
enum ft_flow_class ft__flowlog_classify(struct ft_flowlog *l, const struct ft_flow_key *k);

#endif
