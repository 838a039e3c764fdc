/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: flowtapd --trigger*: a recorder trigger on every interface tap,
 * fired by an expression, kernel drops, SIGUSR2 or the API (flowtapd(8)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <flowtap/trigger.h>

#include "flowtapd.h"

struct ftd_triggers {
	int n;
	struct ft_trigger *tr[];
};

int ftd_triggers_check(const struct ftd_config *c, char *err, size_t errlen)
{
	const char *opt = c->trigger	      ? "--trigger"
			  : c->trigger_drop   ? "--trigger-drop"
			  : c->trigger_after  ? "--trigger-after"
			  : c->trigger_before ? "--trigger-before"
			  : c->trigger_keep   ? "--trigger-keep"
					      : NULL;

	if (opt && !c->trigger_dir) {
		snprintf(err, errlen, "%s needs --trigger-dir DIR (where the files go)", opt);
		return -1;
	}
	if (c->trigger_dir && !c->recorder) {
		snprintf(err, errlen, "--trigger-dir needs --recorder SECONDS[,SIZE]");
		return -1;
	}
	return 0;
}

static void trig_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	ftd_log(level, "%s", msg);
}

/* --trigger-drop "any" or REASON[,REASON...], names as @t knows them. */
static int drop_reasons(struct ft_trigger_opts *o, struct ft_tap *t, const char *spec)
{
	char buf[512], *save = NULL;

	o->on_drop = true;
	if (!strcmp(spec, "any"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int id = ft_drop_reason_parse(t, name);
		if (id < 0) {
			ftd_log(LOG_ERR, "--trigger-drop: no drop reason '%s' on tap '%s'", name,
				ft_tap_name(t));
			return -1;
		}
		ft_pathset_add(&o->drop_reasons, (unsigned)id);
	}
	return 0;
}

/* The options common to every tap; values were checked when given. */
static int make_opts(struct ft_trigger_opts *o, const struct ftd_config *c, struct ft_tap *dt)
{
	char err[160];

	ft_trigger_opts_init(o);
	o->dir = c->trigger_dir;
	o->filter = c->trigger;
	o->log = trig_log;
	o->drop_tap = dt;
	if (c->trigger_after)
		ft_trigger_opts_parse(o, "after", c->trigger_after, err, sizeof(err));
	if (c->trigger_before)
		ft_trigger_opts_parse(o, "before", c->trigger_before, err, sizeof(err));
	if (c->trigger_keep)
		ft_trigger_opts_parse(o, "keep", c->trigger_keep, err, sizeof(err));
	return 0;
}

int ftd_triggers_start(struct ftd_triggers **out, const struct ftd_config *c,
		       struct ft_tap *const *taps, int n, struct ft_tap *drop_tap)
{
	struct ftd_triggers *ts;
	struct ft_trigger_opts o;
	char err[FT_ERRBUF_SIZE + 256];

	*out = NULL;
	if (!c->trigger_dir)
		return 0;
	if (!(ts = calloc(1, sizeof(*ts) + (size_t)n * sizeof(ts->tr[0]))))
		return -1;
	for (int i = 0; i < n; i++) {
		/* Kernel drops come on their own tap (--drops); else on the interface's. */
		struct ft_tap *dt = drop_tap ? drop_tap : taps[i];
		int ret;

		make_opts(&o, c, drop_tap);
		if (c->trigger_drop && drop_reasons(&o, dt, c->trigger_drop) < 0)
			goto fail;
		ret = ft_trigger_start(&ts->tr[i], taps[i], &o, err, sizeof(err));
		if (ret < 0) {
			ftd_log(LOG_ERR, "cannot start the recorder trigger of tap '%s': %s",
				ft_tap_name(taps[i]), *err ? err : ft_strerror(ret));
			goto fail;
		}
		ts->n++;
	}
	ftd_log(LOG_INFO, "recorder triggers on %d taps save to %s%s%s%s%s", n, c->trigger_dir,
		c->trigger ? " on '" : "", c->trigger ? c->trigger : "", c->trigger ? "'" : "",
		c->trigger_drop ? " and on drops" : "");
	*out = ts;
	return 0;
fail:
	ftd_triggers_free(ts);
	return -1;
}

void ftd_triggers_fire(struct ftd_triggers *ts, const char *why)
{
	for (int i = 0; ts && i < ts->n; i++)
		ft_trigger_fire(ts->tr[i], why);
}

void ftd_triggers_free(struct ftd_triggers *ts)
{
	for (int i = 0; ts && i < ts->n; i++)
		ft_trigger_free(ts->tr[i]);
	free(ts);
}
