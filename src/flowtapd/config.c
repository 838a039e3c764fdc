/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config.c - flowtapd's configuration: command-line flags and the config
 * file (/etc/flowtap/flowtapd.conf) go through one table, so every long flag
 * is also a config key and both give the same messages.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pcap/dlt.h>

#include <flowtap/flows.h>
#include <flowtap/filter.h>
#include <flowtap/tap.h>
#include <flowtap/trigger.h>

#include "flowtapd.h"
#include "parse_num.h"

enum kind { K_STR, K_LIST, K_GROUP, K_SIZE, K_BOOL, K_SECONDS, K_RATE, K_SNAP };

/* A value's own limits, checked when it is given (flag or file line), so
 * that nothing accepted at start fails later: NULL or what is wrong. */
typedef const char *(*check_fn)(const char *v);

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	check_fn check;
};

#define OFF(f) offsetof(struct ftd_config, f)

static const char *check_route(const char *v)
{
	struct ft_prefix p;
	return ft_prefix_parse(v, &p) < 0 ? "want ADDR/BITS, e.g. 10.1.0.0/16" : NULL;
}

static const char *check_url(const char *v)
{
	return strncmp(v, "http://", 7) && strncmp(v, "https://", 8) ? "want http:// or https://"
								     : NULL;
}

static const char *check_hostport(const char *v)
{
	const char *colon = v[0] == '[' ? strstr(v, "]:") : strrchr(v, ':');
	char *end;
	if (!colon || colon == v)
		return "want HOST:PORT or [IPV6]:PORT";
	colon += v[0] == '[' ? 2 : 1;
	long port = strtol(colon, &end, 10);
	return end == colon || *end || port < 1 || port > 65535 ? "port must be 1-65535" : NULL;
}

static const char *check_write(const char *v)
{
	const char *eq = strrchr(v, '=');
	return !eq || eq == v || !eq[1] ? "want TAP=FILE, e.g. eth0=eth0.pcapng" : NULL;
}

static const char *check_node_id(const char *v)
{
	if (strlen(v) > 255)
		return "at most 255 bytes";
	json_t *j = json_string(v); /* what the flow messages will carry */
	if (!j)
		return "not valid UTF-8";
	json_decref(j);
	return NULL;
}

static const char *check_recorder(const char *v)
{
	static char err[128];
	struct ft_recorder_opts o;

	ft_recorder_opts_init(&o);
	return ft_recorder_opts_parse(&o, v, err, sizeof(err)) < 0 ? err : NULL;
}

static const char *check_recorder_snaplen(const char *v)
{
	uint64_t n = 0;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	return errno || end == v || *end || *v == '-' || n < 1 || n > FT_RECORDER_SNAPLEN_MAX
		   ? "want bytes per packet, 1-65535"
		   : NULL;
}

/* --trigger-after, --trigger-before, --trigger-keep: the library's parser. */
static const char *check_trigger_opt(const char *name, const char *v)
{
	struct ft_trigger_opts o;
	char err[160];

	ft_trigger_opts_init(&o);
	if (ft_trigger_opts_parse(&o, name, v, err, sizeof(err)) == 0)
		return NULL;
	return !strcmp(name, "keep")	? "want FILES[,SIZE]: 1-10000 files, 64K-16G, e.g. 10,1G"
	       : !strcmp(name, "after") ? "want a time of 1ms to 1h, e.g. 10s"
					: "want a time of 1ms to 24h, e.g. 60s";
}

static const char *check_trigger_after(const char *v)
{
	return check_trigger_opt("after", v);
}

static const char *check_trigger_before(const char *v)
{
	return check_trigger_opt("before", v);
}

static const char *check_trigger_keep(const char *v)
{
	return check_trigger_opt("keep", v);
}

/* The expression's syntax; the tap's link type is checked when it starts. */
static const char *check_trigger(const char *v)
{
	static char err[FT_ERRBUF_SIZE + 16];
	struct ft_filter *f;

	if (ft_filter_compile(&f, DLT_EN10MB, v, err, sizeof(err)) < 0)
		return err;
	ft_filter_free(f);
	return NULL;
}

/* Handshake times are whole seconds, and so is the threshold. Below
 * WireGuard's 2-minute rekey an idle but healthy peer turns stale as soon as
 * traffic resumes (until its handshake): allowed, for tests and impatience. */
static const char *check_wg_stale(const char *v)
{
	uint64_t s;
	return ft__parse_u64(v, 86400, &s) < 0 || s < 1 ? "whole seconds, 1-86400" : NULL;
}

static const struct key keys[] = {
    {"socket", K_STR, OFF(socket), NULL},
    {"group", K_STR, OFF(group), NULL},
    {"interface", K_LIST, OFF(interfaces), NULL},
    {"nflog", K_GROUP, OFF(nflog), NULL},
    {"psample", K_GROUP, OFF(psample), NULL},
    {"flow-log", K_LIST, OFF(flow_log), NULL},
    {"url", K_LIST, OFF(url), check_url},
    {"ipfix", K_LIST, OFF(ipfix), check_hostport},
    {"ipfix-rate", K_RATE, OFF(ipfix_rate), NULL},
    {"route", K_LIST, OFF(routes), check_route},
    {"overlay", K_LIST, OFF(overlay), check_route},
    {"write", K_LIST, OFF(write), check_write},
    {"spool-dir", K_STR, OFF(spool_dir), NULL},
    {"flow-format", K_STR, OFF(flow_format), NULL},
    {"node-id", K_STR, OFF(node_id), check_node_id},
    {"peers", K_STR, OFF(peers), NULL},
    {"user", K_STR, OFF(user), NULL},
    {"buffer-size", K_SIZE, OFF(buffer_size), NULL},
    {"interval", K_SECONDS, OFF(interval_ms), NULL},
    {"wg-stale", K_SECONDS, OFF(wg_stale_ms), check_wg_stale},
    {"syslog", K_BOOL, OFF(syslog), NULL},
    {"flows", K_BOOL, OFF(flows), NULL},
    {"log-exit-flows", K_BOOL, OFF(log_exit_flows), NULL},
    {"metrics-listen", K_STR, OFF(metrics_listen), NULL},
    {"anonymize", K_STR, OFF(anonymize), NULL},
    {"recorder", K_STR, OFF(recorder), check_recorder},
    {"recorder-snaplen", K_STR, OFF(recorder_snaplen), check_recorder_snaplen},
    {"trigger", K_STR, OFF(trigger), check_trigger},
    {"trigger-drop", K_STR, OFF(trigger_drop), NULL},
    {"trigger-dir", K_STR, OFF(trigger_dir), NULL},
    {"trigger-after", K_STR, OFF(trigger_after), check_trigger_after},
    {"trigger-before", K_STR, OFF(trigger_before), check_trigger_before},
    {"trigger-keep", K_STR, OFF(trigger_keep), check_trigger_keep},
    {"drops", K_BOOL, OFF(drops), NULL},
    {"drops-netns", K_LIST, OFF(drops_netns), NULL},
    {"drops-interface", K_LIST, OFF(drops_if), NULL},
    {"drops-snaplen", K_SNAP, OFF(drops_snaplen), NULL},
};

/* Other spellings, so that flowtapd and flowtap-tunnel take the same flags;
 * the man pages document the first. */
static const char *const aliases[][2] = {
    {"spool", "spool-dir"},
    {"flow-interval", "interval"},
};

int ftd_parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;

	if (errno || end == s || *s == '-')
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v > (1ull << 40) >> shift)
		return -1;
	*out = (size_t)(v << shift);
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!v || !*v || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int list_add(struct ftd_list *l, const char *v)
{
	if (l->n >= FTD_MAX_LIST)
		return -ENOSPC;
	if (!(l->v[l->n] = strdup(v)))
		return -ENOMEM;
	l->n++;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int parse_group(const char *v, unsigned max)
{
	char *end;
	errno = 0;
	unsigned long g = strtoul(v, &end, 10);
	if (errno || end == v || *end || *v == '-' || g > max)
		return -1;
	return (int)g;
}

static int set_value(struct ftd_config *c, const struct key *k, const char *value, char *err,
		     size_t errlen)
{
	void *f = (char *)c + k->off;
	int r = 0;

	if (k->kind != K_BOOL && (!value || !*value)) {
		snprintf(err, errlen, "'%s' needs a value", k->name);
		return -1;
	}
	const char *why = k->check ? k->check(value) : NULL;
	if (why) {
		snprintf(err, errlen, "bad %s '%s' (%s)", k->name, value, why);
		return -1;
	}
	switch (k->kind) {
	case K_STR: {
		enum ft_flow_format ff;
		if (!strcmp(k->name, "flow-format") && ft_flow_format_parse(value, &ff) < 0) {
			snprintf(err, errlen, "bad flow-format '%s' (records or messages)", value);
			return -1;
		}
		r = set_str(f, value);
		break;
	}
	case K_LIST:
		r = list_add(f, value);
		break;
	case K_GROUP:
		if (parse_group(value, 65535) < 0) {
			snprintf(err, errlen, "bad %s group '%s' (a number 0-65535)", k->name,
				 value);
			return -1;
		}
		r = list_add(f, value);
		break;
	case K_SIZE:
		/* The sessions' and the kernel sources' limits: 64 KiB to 1 GiB. */
		if (ftd_parse_size(value, f) < 0 || *(size_t *)f < 65536 ||
		    *(size_t *)f > (1u << 30)) {
			*(size_t *)f = 0;
			snprintf(err, errlen,
				 "bad %s '%s' (bytes, at least 64K and at most 1G; K, M, G "
				 "suffixes)",
				 k->name, value);
			return -1;
		}
		break;
	case K_SECONDS: {
		char *end;
		double s = strtod(value, &end);
		if (end == value || *end || !(s >= 0.1 && s <= 86400)) {
			snprintf(err, errlen, "bad %s '%s' (seconds, 0.1-86400)", k->name, value);
			return -1;
		}
		*(unsigned *)f = (unsigned)(s * 1000 + 0.5);
		break;
	}
	case K_RATE: {
		uint64_t v;
		char *end;
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || end == value || *end || *value == '-' || v > 1000000) {
			snprintf(err, errlen,
				 "bad %s '%s' (datagrams per second, 0-1000000; 0: unpaced)",
				 k->name, value);
			return -1;
		}
		/* Stored +1 so that 0 (unpaced) differs from "not given". */
		*(unsigned *)f = (unsigned)v + 1;
		break;
	}
	case K_SNAP: {
		/* The BPF program's record holds at most 1024 bytes of a packet. */
		uint64_t v;
		char *end;
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || end == value || *end || *value == '-' || v < 20 || v > 1024) {
			snprintf(err, errlen,
				 "bad %s '%s' (bytes from the network header, 20-1024)", k->name,
				 value);
			return -1;
		}
		*(unsigned *)f = (unsigned)v;
		break;
	}
	case K_BOOL:
		if (parse_bool(value, f) < 0) {
			snprintf(err, errlen, "bad %s value '%s' (yes or no)", k->name, value);
			return -1;
		}
		break;
	}
	if (r == -ENOSPC)
		snprintf(err, errlen, "too many '%s' (at most %d)", k->name, FTD_MAX_LIST);
	else if (r < 0)
		snprintf(err, errlen, "out of memory");
	return r < 0 ? -1 : 0;
}

int ftd_config_set(struct ftd_config *c, const char *key, const char *value, char *err,
		   size_t errlen)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(aliases[i][0], key))
			key = aliases[i][1];
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, key))
			return set_value(c, &keys[i], value, err, errlen);
	snprintf(err, errlen, "unknown option '%s'", key);
	return -1;
}

/* Split one line into key and value (trimmed, comments removed), in place. */
static void split_line(char *line, char **key, char **value)
{
	char *p = line, *e;

	if ((e = strchr(p, '#')))
		*e = 0;
	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = 0;
	*key = p;
	while (*p && !isspace((unsigned char)*p) && *p != '=')
		p++;
	if (*p) {
		*p++ = 0;
		while (isspace((unsigned char)*p) || *p == '=')
			p++;
	}
	*value = p;
}

int ftd_config_parse(struct ftd_config *c, const char *text, const char *name, char *err,
		     size_t errlen)
{
	int lineno = 0;
	const char *p = text;

	while (*p) {
		char line[1024], *key, *value, msg[512];
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s:%d: line too long", name, lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (nl ? 1 : 0);
		if (memchr(line, 0, n)) {
			snprintf(err, errlen, "%s:%d: NUL byte in line", name, lineno);
			return -1;
		}
		split_line(line, &key, &value);
		if (!*key)
			continue;
		if (ftd_config_set(c, key, value, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
			return -1;
		}
	}
	return 0;
}

int ftd_config_load(struct ftd_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "cannot open config file '%s': %s", path, strerror(errno));
		return -1;
	}
	/* Config files are small; bound what we read. */
	if (!(text = calloc(1, 1 << 20)))
		goto out;
	size_t n = fread(text, 1, (1 << 20) - 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read config file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (n == (1 << 20) - 1 && fgetc(f) != EOF) {
		snprintf(err, errlen, "config file '%s' is larger than 1 MiB", path);
		goto out;
	}
	ret = ftd_config_parse(c, text, path, err, errlen);
out:
	free(text);
	fclose(f);
	return ret;
}

static int merge_list(struct ftd_list *d, const struct ftd_list *s)
{
	for (int i = 0; i < s->n; i++)
		if (list_add(d, s->v[i]) < 0)
			return -1;
	return 0;
}

int ftd_config_merge(struct ftd_config *d, const struct ftd_config *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const void *sf = (const char *)s + keys[i].off;
		void *df = (char *)d + keys[i].off;
		switch (keys[i].kind) {
		case K_STR:
			if (*(char *const *)sf && set_str(df, *(char *const *)sf) < 0)
				goto nomem;
			break;
		case K_LIST:
		case K_GROUP:
			if (merge_list(df, sf) < 0) {
				snprintf(err, errlen, "too many '%s' (at most %d)", keys[i].name,
					 FTD_MAX_LIST);
				return -1;
			}
			break;
		case K_SIZE:
			if (*(const size_t *)sf)
				*(size_t *)df = *(const size_t *)sf;
			break;
		case K_SECONDS:
		case K_RATE:
		case K_SNAP:
			if (*(const unsigned *)sf)
				*(unsigned *)df = *(const unsigned *)sf;
			break;
		case K_BOOL:
			if (*(const bool *)sf)
				*(bool *)df = true;
			break;
		}
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void ftd_config_free(struct ftd_config *c)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		void *f = (char *)c + keys[i].off;
		if (keys[i].kind == K_STR) {
			free(*(char **)f);
		} else if (keys[i].kind == K_LIST || keys[i].kind == K_GROUP) {
			struct ftd_list *l = f;
			for (int j = 0; j < l->n; j++)
				free(l->v[j]);
		}
	}
	memset(c, 0, sizeof(*c));
}
