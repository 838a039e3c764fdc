/* SPDX-License-Identifier: BSD-2-Clause */
/* log.c - flowtapd's log: stderr ("flowtapd: message") or syslog (--syslog). */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "flowtapd.h"

static bool use_syslog;

void ftd_log_open(bool on)
{
	use_syslog = on;
	if (on)
		openlog("flowtapd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void ftd_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(level, fmt, ap);
	} else {
		char msg[1024];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		fprintf(stderr, "flowtapd: %s\n", msg);
	}
	va_end(ap);
}
