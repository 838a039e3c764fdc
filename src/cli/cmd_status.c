/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flowtap status: the taps and sessions of a running datapath. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "localapi.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: flowtap status [--socket PATH] [--json]\n\n"
		   "Show the taps, their paths and the active capture sessions of a running\n"
		   "datapath (GET /localapi/v0/status); --json prints the raw JSON.\n");
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_uptime(double s)
{
	long long t = (long long)s;

	if (t >= 86400)
		printf("%lldd", t / 86400);
	if (t >= 3600)
		printf("%lldh", t / 3600 % 24);
	if (t >= 60)
		printf("%lldm", t / 60 % 60);
	printf("%llds", t % 60);
}

/* A recorder's trigger (flowtap trigger, flowtapd --trigger-dir). */
static void print_trigger(json_t *t)
{
	if (!json_is_object(t))
		return;
	printf("    trigger: saves %.1f s before and %.1f s after to %s (keeps %lld files, %lld "
	       "bytes), fired %lld, files %lld, removed %lld, failed %lld%s%s%s%s\n",
	       (double)num(t, "before_ms") / 1000, (double)num(t, "after_ms") / 1000, str(t, "dir"),
	       num(t, "max_files"), num(t, "max_bytes"), num(t, "fired"), num(t, "files"),
	       num(t, "removed"), num(t, "failed"),
	       json_is_true(json_object_get(t, "saving")) ? ", saving now" : "",
	       *str(t, "last_file") ? ", last " : "", str(t, "last_file"),
	       *str(t, "last_error") ? " (last error logged)" : "");
}

/* The flight recorder of a tap (flowtap(1): capture --since, dump). */
static void print_recorder(json_t *r)
{
	if (!r)
		return;
	if (!json_is_true(json_object_get(r, "on"))) {
		printf("    recorder: off\n");
		return;
	}
	printf("    recorder: on, holds %.1f s%s (%lld bytes, %lld packets; keeps %lld s, "
	       "%lld bytes), recorded %lld, overwritten %lld, triggers %lld, files %lld\n",
	       json_real_value(json_object_get(r, "window_s")),
	       json_is_true(json_object_get(r, "byte_bound")) ? " (byte bound)" : "",
	       num(r, "bytes"), num(r, "packets"), num(r, "max_age_s"), num(r, "max_bytes"),
	       num(r, "recorded"), num(r, "overwritten"), num(r, "triggers"), num(r, "files"));
	if (*str(r, "paths") && strcmp(str(r, "paths"), "all"))
		printf("    recorder paths: %s\n", str(r, "paths"));
	print_trigger(json_object_get(r, "trigger"));
}

static void print_taps(json_t *taps)
{
	json_t *t, *p;
	size_t i, j;

	printf("taps:\n");
	if (!json_array_size(taps))
		printf("  (none)\n");
	json_array_foreach(taps, i, t)
	{
		printf("  %-16s offered %lld, sessions %lld (%lld since start)\n    paths:",
		       str(t, "name"), num(t, "offered"), num(t, "sessions"),
		       num(t, "sessions_total"));
		json_array_foreach(json_object_get(t, "paths"), j, p)
		    printf(" %s(%lld)", str(p, "name"), num(p, "id"));
		printf("\n");
		/* The datapath's own drops, by reason (ft_tap_drop()). */
		json_array_foreach(json_object_get(t, "drops"), j, p)
		    printf("%s %s %lld (%lld bytes)", j ? "," : "    drops:", str(p, "reason"),
			   num(p, "packets"), num(p, "bytes"));
		if (json_array_size(json_object_get(t, "drops")))
			printf("\n");
		print_recorder(json_object_get(t, "recorder"));
	}
}

/* Kernel capture sources, when the process is flowtapd. */
static void print_sources(json_t *src)
{
	json_t *s;
	size_t i;

	if (!json_is_array(src))
		return;
	printf("sources:\n");
	json_array_foreach(src, i, s)
	{
		printf("  %-16s %s, %s, received %lld, kernel drops %lld", str(s, "tap"),
		       str(s, "kind"), json_is_true(json_object_get(s, "open")) ? "open" : "closed",
		       num(s, "received"), num(s, "kernel_drops"));
		if (num(s, "seq_gaps"))
			printf(", sequence gaps %lld", num(s, "seq_gaps"));
		if (*str(s, "kernel_filter"))
			printf(", kernel filter '%s'", str(s, "kernel_filter"));
		if (*str(s, "error"))
			printf(", error: %s", str(s, "error"));
		printf("\n");
	}
}

/* WireGuard devices and peers, when the process is flowtapd on one. */
static void print_wireguard(json_t *wg)
{
	json_t *d, *p, *ip;
	size_t i, j, k;

	if (!json_is_array(wg) || !json_array_size(wg))
		return;
	printf("wireguard:\n");
	json_array_foreach(wg, i, d)
	{
		printf("  %-16s via %s, listening on port %lld", str(d, "interface"), str(d, "via"),
		       num(d, "listen_port"));
		if (*str(d, "error"))
			printf(", error: %s", str(d, "error"));
		printf("\n");
		json_array_foreach(json_object_get(d, "peers"), j, p)
		{
			printf("    peer %s\n      endpoint %s, allowed ips", str(p, "public_key"),
			       *str(p, "endpoint") ? str(p, "endpoint") : "(none)");
			json_array_foreach(json_object_get(p, "allowed_ips"), k, ip)
			    printf("%s%s", k ? ", " : " ", json_string_value(ip));
			if (json_is_integer(json_object_get(p, "handshake_age_s")))
				printf("\n      last handshake %llds ago",
				       num(p, "handshake_age_s"));
			else
				printf("\n      no handshake yet");
			printf(", rx %lld bytes, tx %lld bytes%s\n", num(p, "rx_bytes"),
			       num(p, "tx_bytes"),
			       json_is_true(json_object_get(p, "stale")) ? ", STALE" : "");
		}
	}
}

/* The flow logger's delivery, when the process has one. */
static void print_flowlog(json_t *fl)
{
	if (!json_is_object(fl))
		return;
	printf("flow log:\n  %lld messages, %lld connection entries", num(fl, "messages"),
	       num(fl, "conns"));
	if (num(fl, "http_sent") || num(fl, "http_dropped") || num(fl, "http_retries"))
		printf("; HTTP sent %lld, dropped %lld, failed attempts %lld", num(fl, "http_sent"),
		       num(fl, "http_dropped"), num(fl, "http_retries"));
	if (num(fl, "ipfix_sent") || num(fl, "ipfix_errors"))
		printf("; IPFIX datagrams %lld, send errors %lld", num(fl, "ipfix_sent"),
		       num(fl, "ipfix_errors"));
	printf("\n");
	const char *err = json_string_value(json_object_get(fl, "http_error"));
	if (err && *err)
		printf("  HTTP error: %s\n", err);
}

static void print_sessions(json_t *sess)
{
	json_t *s;
	size_t i;

	printf("sessions:\n");
	if (!json_array_size(sess)) {
		printf("  (none)\n");
		return;
	}
	printf("  %-4s %-8s %-12s %6s %8s %-7s %10s %12s %9s  %s\n", "ID", "KIND", "TAP", "UID",
	       "PID", "FORMAT", "PACKETS", "BYTES", "DROPPED", "FILTER");
	json_array_foreach(sess, i, s)
	{
		printf("  %-4lld %-8s %-12s %6lld %8lld %-7s %10lld %12lld %9lld  %s\n",
		       num(s, "id"), str(s, "kind"), str(s, "tap"), num(s, "uid"), num(s, "pid"),
		       str(s, "format"), num(s, "packets"), num(s, "bytes"), num(s, "dropped"),
		       str(s, "filter"));
	}
}

int cmd_status_main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", 1, 0, 'S'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	const char *sockopt = NULL, *sock;
	struct cli_buf b = {0};
	json_t *root = NULL;
	json_error_t jerr;
	bool as_json = false;
	long code = 0;
	int ch, ret = 1;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'S':
			sockopt = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowtap: status: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	sock = cli_socket_path(sockopt);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	switch (cli_http_get(sock, "/localapi/v0/status", &b, &code)) {
	case 0:
		break;
	case -ECONNREFUSED:
		fprintf(stderr,
			"flowtap: cannot connect to %s: is flowtapd or the datapath running?\n",
			sock);
		goto out;
	default:
		fprintf(stderr, "flowtap: cannot read status from %s\n", sock);
		goto out;
	}
	if (code != 200) {
		fprintf(stderr, "flowtap: status from %s: HTTP %ld: %s", sock, code,
			b.p ? b.p : "\n");
		goto out;
	}
	if (as_json) {
		fwrite(b.p, 1, b.len, stdout);
		ret = 0;
		goto out;
	}
	root = json_loadb(b.p, b.len, 0, &jerr);
	if (!json_is_object(root)) {
		fprintf(stderr, "flowtap: malformed status from %s: %s\n", sock, jerr.text);
		goto out;
	}
	printf("flowtap %s, pid %lld, up ", str(root, "version"), num(root, "pid"));
	print_uptime(json_real_value(json_object_get(root, "uptime")));
	printf(", socket %s\n", str(root, "socket"));
	print_taps(json_object_get(root, "taps"));
	print_sources(json_object_get(root, "sources"));
	print_wireguard(json_object_get(root, "wireguard"));
	print_flowlog(json_object_get(root, "flowlog"));
	print_sessions(json_object_get(root, "sessions"));
	ret = 0;
out:
	json_decref(root);
	free(b.p);
	curl_global_cleanup();
	return ret;
}
