/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trigger.c - --trigger-dir: the tunnel's recorder trigger (flowtap/trigger.h):
 * saved on a matching packet, a drop, SIGUSR2 or flowtap trigger.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "tunnel.h"

static void trig_log(void *ctx, int level, const char *msg)
{
	const struct tunnel *t = ctx;
	if (!t->cfg->quiet || level <= LOG_WARNING)
		fprintf(stderr, TUN_PROG ": %s\n", msg);
}

/* --trigger-drop: "any", or reasons by the names the tap knows (the
 * built-in ones and "service"). */
static int drop_reasons(struct tunnel *t, struct ft_trigger_opts *o, const char *spec)
{
	char buf[256], *save = NULL;

	o->on_drop = true;
	if (!strcmp(spec, "any"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *n = strtok_r(buf, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		int id = ft_drop_reason_parse(t->tap, n);
		if (id < 0) {
			fprintf(stderr, TUN_PROG ": --trigger-drop: no drop reason '%s'\n", n);
			return id;
		}
		ft_pathset_add(&o->drop_reasons, (unsigned)id);
	}
	return 0;
}

int tun_trigger_start(struct tunnel *t)
{
	const struct tun_cfg *c = t->cfg;
	struct ft_trigger_opts o = c->trig;
	char err[FT_ERRBUF_SIZE + 256];
	int ret;

	if (!c->trigger_dir)
		return 0;
	o.dir = c->trigger_dir;
	o.filter = c->trigger;
	o.log = trig_log;
	o.log_ctx = t;
	if (c->trigger_drop && (ret = drop_reasons(t, &o, c->trigger_drop)) < 0)
		return ret;
	ret = ft_trigger_start(&t->trigger, t->tap, &o, err, sizeof(err));
	if (ret < 0)
		fprintf(stderr, TUN_PROG ": cannot start the recorder trigger: %s\n",
			*err ? err : ft_strerror(ret));
	return ret;
}
