/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtapd.h - internal interfaces of the flowtapd daemon: its configuration
 * (flags and config file share one parser), logging and privilege drop.
 */
#ifndef FTD_FLOWTAPD_H
#define FTD_FLOWTAPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FTD_DEFAULT_CONFIG "/etc/flowtap/flowtapd.conf"
#define FTD_MAX_LIST	   64

/* A list of strings given by a repeatable key. */
struct ftd_list {
	char *v[FTD_MAX_LIST];
	int n;
};

struct ftd_config {
	char *socket;
	char *group; /* may capture through the local API */
	struct ftd_list interfaces;
	struct ftd_list nflog;	 /* group numbers, validated */
	struct ftd_list psample; /* group numbers, validated */
	struct ftd_list flow_log;
	struct ftd_list url;
	struct ftd_list ipfix;
	struct ftd_list routes;
	struct ftd_list overlay; /* CIDRs that replace the default or derived overlay */
	struct ftd_list write;	 /* TAP=FILE: a pcapng capture flowtapd writes itself */
	char *spool_dir;
	char *flow_format; /* "records" or "messages", validated; NULL: messages */
	char *node_id;
	char *peers; /* peer table file (flowtap-peers(5)), re-read on SIGHUP */
	char *user;
	char *metrics_listen;	/* ADDR:PORT for GET /metrics, NULL: none */
	char *anonymize;	/* KEYFILE: Crypto-PAn for the flow log, NULL: none */
	char *recorder;		/* SECONDS[,SIZE]: every tap's flight recorder, NULL: off */
	char *recorder_snaplen; /* bytes per recorded packet, NULL: 256 */
	char *trigger;		/* recorder trigger: a tcpdump expression, NULL: none */
	char *trigger_drop;	/* "any" or drop reasons that fire it, NULL: none */
	char *trigger_dir;	/* where triggers save files; NULL: no triggers */
	char *trigger_after;	/* the ft_trigger_opts_parse() texts, NULL: defaults */
	char *trigger_before;
	char *trigger_keep;
	size_t buffer_size;   /* 0: default */
	unsigned interval_ms; /* 0: default */
	unsigned wg_stale_ms; /* WireGuard stale threshold, whole seconds; 0: default */
	unsigned ipfix_rate;  /* IPFIX datagrams per second + 1; 0: default */
	bool syslog;
	bool flows; /* count flows even without a sink (for API clients) */
	bool log_exit_flows;
	bool drops;		     /* the kernel drop source (--drops) */
	struct ftd_list drops_netns; /* its scope: namespaces, */
	struct ftd_list drops_if;    /* interfaces */
	unsigned drops_snaplen;	     /* 0: default */
};

/*
 * ftd_config_set - apply one `key value` (a long flag without the dashes and
 * its argument; NULL or "" for a flag without one).
 * Returns 0, or -1 with a message in @err naming the key and the problem.
 */
int ftd_config_set(struct ftd_config *c, const char *key, const char *value, char *err,
		   size_t errlen);

/*
 * ftd_config_parse - parse a config file's text: one `key value` per line,
 * '#' comments and blank lines ignored. @name names the file in messages.
 * Returns 0, or -1 with "NAME:LINE: problem" in @err.
 */
int ftd_config_parse(struct ftd_config *c, const char *text, const char *name, char *err,
		     size_t errlen);

/* ftd_config_load - read and parse the file @path. Returns 0 or -1 (@err). */
int ftd_config_load(struct ftd_config *c, const char *path, char *err, size_t errlen);

/* ftd_config_merge - append/override @dst with everything set in @src. Returns 0 or -1. */
int ftd_config_merge(struct ftd_config *dst, const struct ftd_config *src, char *err,
		     size_t errlen);

/* ftd_config_free - free what @c holds and zero it. */
void ftd_config_free(struct ftd_config *c);

/* ftd_parse_size - "4194304", "64K", "32M", "1G". Returns 0 or -1. */
int ftd_parse_size(const char *s, size_t *out);

/* log.c */
void ftd_log_open(bool use_syslog);
void ftd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* privs.c: become @user keeping CAP_NET_RAW and CAP_NET_ADMIN, and with @bpf
 * CAP_BPF and CAP_PERFMON (the kernel drop source). Returns 0 or -1 (@err). */
int ftd_drop_privileges(const char *user, bool bpf, char *err, size_t errlen);

/* drops.c: the kernel drop source (--drops), NULL when not configured. */
struct ft_kdrops;
struct ft_api;
bool ftd_drops_wanted(const struct ftd_config *c);
/* Resolve, check BPF and create the tap, as root; with @flows (counting)
 * every drop is counted there and the program stays attached.
 * Returns 0 or -1 (logged). */
struct ft_flows;
int ftd_drops_open(struct ft_kdrops **out, const struct ftd_config *c, struct ft_flows *flows);
/* Start the source thread and serve the tap. Returns 0 or -1 (logged). */
int ftd_drops_serve(struct ft_kdrops *k, struct ft_api *api);
void ftd_drops_free(struct ft_kdrops *k);

/* triggers.c: --trigger*, a recorder trigger on every interface tap. */
struct ft_tap;
struct ftd_triggers;
/* The options that only work together (exit 2 on -1, message in @err). */
int ftd_triggers_check(const struct ftd_config *c, char *err, size_t errlen);
/* With --trigger-dir, start one on each of @taps (recorders running);
 * drops fire them from @drop_tap (the kernel drop tap), or NULL: from their
 * own tap. *out NULL without --trigger-dir. Returns 0 or -1 (logged). */
int ftd_triggers_start(struct ftd_triggers **out, const struct ftd_config *c,
		       struct ft_tap *const *taps, int n, struct ft_tap *drop_tap);
/* SIGUSR2: save every tap's recorder. */
void ftd_triggers_fire(struct ftd_triggers *ts, const char *why);
/* Completes files being written. NULL ok. */
void ftd_triggers_free(struct ftd_triggers *ts);

#endif
