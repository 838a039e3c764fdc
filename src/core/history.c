/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: a session's history: the packets the tap's recorder holds (since_ms). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "tap_internal.h"

/*
 * The recorder's history (since_ms). The session is attached first, at list
 * version V (tap.c); every hook that saw a list with it gave it the packet,
 * and every hook that saw an older list recorded the packet with a version
 * below V, complete once the attach's grace period is over. So the history
 * is the recorded packets below V: the seam has no gap and no duplicate.
 * The session thread writes it before anything from its rings.
 */
static bool hist_keep(void *ctx, const struct ft_rec *rec, uint32_t size)
{
	const struct ft_session *s = ctx;
	struct ft_pkt p;
	const char *w;
	uint32_t wl;

	return ft__rec_get(rec, size, &p, &w, &wl) &&
	       ft__session_wants(s, p.path, p.drop_reason, p.dir, p.data, p.caplen, p.len);
}

static void hist_describe(struct ft_session *s, const struct ft_recsnap *sn, uint64_t since)
{
	struct ft_session_history *h = &s->hinfo;
	uint64_t from = sn->cover_ns > since ? sn->cover_ns : since;
	char why[160] = "";

	h->asked_ms = s->opts.since_ms;
	h->held_ns = sn->now_ns > from ? sn->now_ns - from : 0;
	h->packets = sn->n;
	h->partial = sn->cover_ns > since;
	h->by_bytes = h->partial && sn->wrapped;
	if (h->by_bytes)
		snprintf(why, sizeof(why),
			 "; shorter than asked: the recorder's byte bound (%llu bytes) "
			 "overwrote older packets",
			 (unsigned long long)sn->max_bytes);
	else if (h->partial && sn->cover_ns > sn->started_ns)
		snprintf(why, sizeof(why), "; shorter than asked: the recorder keeps %llu s",
			 (unsigned long long)(sn->max_age_ns / 1000000000u));
	else if (h->partial)
		snprintf(why, sizeof(why),
			 "; shorter than asked: the recorder started only that long ago");
	snprintf(h->comment, sizeof(h->comment),
		 "flowtap flight recorder, tap %s: window asked %llu.%03llu s, window held "
		 "%llu.%03llu s%s; %llu recorded packets%s",
		 s->tap->name, (unsigned long long)(h->asked_ms / 1000),
		 (unsigned long long)(h->asked_ms % 1000),
		 (unsigned long long)(h->held_ns / 1000000000u),
		 (unsigned long long)(h->held_ns / 1000000u % 1000), why,
		 (unsigned long long)h->packets, s->opts.history_only ? "" : ", then live packets");
}

/* Copy the history for @s (attached or not: history only). */
int ft__session_hist_take(struct ft_session *s, bool attached)
{
	/* since_ms is at most a day */
	uint64_t since = ft__now_ns() - s->opts.since_ms * 1000000u;
	int ret;

	ret = ft__recorder_snapshot(s->tap, since, attached, s->attach_ver, hist_keep, s, &s->hist);
	if (ret < 0)
		return ret;
	s->has_hist = true;
	hist_describe(s, &s->hist, since);
	/* Counted as offered and matched, so that matched is still written
	 * plus dropped plus discarded. */
	atomic_fetch_add(&s->ctr[FT_TAP_SHARED].offered, s->hist.n);
	atomic_fetch_add(&s->ctr[FT_TAP_SHARED].matched, s->hist.n);
	return 0;
}

FT_EXPORT int ft_session_history(const struct ft_session *s, struct ft_session_history *h)
{
	if (!s->opts.since_ms)
		return -ENOENT;
	*h = s->hinfo;
	return 0;
}
