/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: the sessions that watch for a trigger's packets.
 *
 * An expression or drop trigger is a capture session like any other (so
 * the filter runs where every session's does, and a busy trigger costs the
 * datapath what a capture costs), whose output fires the trigger instead
 * of writing: any record past the file header is a packet that matched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trigger_int.h"

#define PCAP_HEADER   24 /* the expression session writes classic pcap */
#define WATCH_SNAPLEN 96 /* enough for the headers; the bytes are not kept */
#define WATCH_BUFSIZE (64u << 10)

/* The reason of a dropped packet, from the first EPB "drop: ..." comment
 * in @data (its option length precedes it), into w->why. */
static void drop_why(struct ft_trig_watch *w, const uint8_t *data, size_t len)
{
	static const char tag[] = "drop: ";
	const uint8_t *p = len > 2 ? memmem(data + 2, len - 2, tag, sizeof(tag) - 1) : NULL;
	size_t n;

	if (!p)
		return;
	n = (size_t)(p[-2] | p[-1] << 8);
	if (n > (size_t)(data + len - p))
		n = (size_t)(data + len - p);
	if (n > FT_TRIG_WHY_MAX)
		n = FT_TRIG_WHY_MAX;
	memcpy(w->why, p, n);
	w->why[n] = '\0';
}

/* On the watch session's thread. */
static int watch_out(void *ctx, const void *data, size_t len)
{
	struct ft_trig_watch *w = ctx;
	bool packets;

	if (w->drops) {
		/* pcapng: only EPBs of dropped packets carry the comment. */
		packets = memmem(data, len, "drop: ", 6) != NULL;
		if (packets)
			drop_why(w, data, len);
	} else {
		packets = w->bytes + len > PCAP_HEADER;
	}
	w->bytes += len;
	if (packets)
		ft_trigger_fire(w->tr, w->why);
	return 0;
}

static int watch_start(struct ft_trigger *tr, struct ft_trig_watch *w, bool drops, char *err,
		       size_t errlen)
{
	struct ft_session_opts so;

	ft_session_opts_init(&so);
	w->tr = tr;
	w->drops = drops;
	so.out = watch_out;
	so.out_ctx = w;
	so.snaplen = WATCH_SNAPLEN;
	so.bufsize = WATCH_BUFSIZE;
	if (drops) {
		so.format = FT_FORMAT_PCAPNG;
		so.drops = FT_DROPS_ONLY;
		so.drop_reasons = tr->o.drop_reasons;
		snprintf(w->why, sizeof(w->why), "a packet was dropped");
	} else {
		so.filter = tr->filter;
		snprintf(w->why, sizeof(w->why), "a packet matched '%.*s'", FT_TRIG_WHY_MAX - 40,
			 tr->filter);
	}
	return ft_session_start(&w->s, drops && tr->o.drop_tap ? tr->o.drop_tap : tr->tap, &so, err,
				errlen);
}

int ft__trig_watch_start(struct ft_trigger *tr, char *err, size_t errlen)
{
	int ret;

	if (tr->filter && (ret = watch_start(tr, &tr->watch_filter, false, err, errlen)) < 0)
		return ret;
	if (tr->o.on_drop && (ret = watch_start(tr, &tr->watch_drop, true, err, errlen)) < 0)
		return ret;
	return 0;
}

void ft__trig_watch_stop(struct ft_trigger *tr)
{
	ft_session_free(tr->watch_filter.s);
	ft_session_free(tr->watch_drop.s);
	tr->watch_filter.s = tr->watch_drop.s = NULL;
}
