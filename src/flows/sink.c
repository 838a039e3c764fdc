/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the sinks' side of the sink interface (sink.h). */
#include <stdarg.h>
#include <stdio.h>

#include "sink.h"

void ft__sink_logf(struct ft__sink *s, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (!s->host)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->host->log(s->host, level, msg);
}
