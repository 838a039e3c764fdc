/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: flowtap trigger: save a tap's flight recorder to its trigger
 * directory now (POST /localapi/v0/recorder-trigger), as a matching packet
 * or SIGUSR2 to flowtapd would.
 */
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
	fprintf(f, "Usage: flowtap trigger [--socket PATH] [--tap TAP] [WHY...]\n\n"
		   "Save what the tap's flight recorder holds, and the next seconds, to a\n"
		   "pcapng file in the datapath's trigger directory (flowtapd or\n"
		   "flowtap-tunnel --trigger-dir). WHY goes into the file's comment.\n"
		   "A second trigger while the file is open extends that file.\n");
}

/* WHY: the words joined by spaces, at most 200 bytes. */
static int join_why(char *why, size_t len, int argc, char **argv)
{
	size_t n = 0;

	*why = '\0';
	for (int i = 0; i < argc; i++) {
		int k = snprintf(why + n, len - n, "%s%s", i ? " " : "", argv[i]);
		if (k < 0 || (size_t)k >= len - n)
			return -1;
		n += (size_t)k;
	}
	return 0;
}

static int request(const char *sock, const char *tap, const char *why, struct cli_buf *b,
		   long *code)
{
	char path[1024];
	char *et = tap ? curl_easy_escape(NULL, tap, 0) : NULL;
	char *ew = *why ? curl_easy_escape(NULL, why, 0) : NULL;
	int ret;

	snprintf(path, sizeof(path), "/localapi/v0/recorder-trigger?%s%s%s%s", et ? "tap=" : "",
		 et ? et : "", et && ew ? "&" : "", ew ? "why=" : "");
	if (ew)
		strncat(path, ew, sizeof(path) - strlen(path) - 1);
	ret = cli_http_request(sock, true, path, b, code);
	curl_free(et);
	curl_free(ew);
	return ret;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* What the datapath answered: where files go, the counters. */
static void print_reply(const struct cli_buf *b)
{
	json_t *j = json_loadb(b->p, b->len, 0, NULL), *t = json_object_get(j, "trigger");

	printf("flowtap: tap %s: recorder trigger fired; files go to %s (fired %lld, files "
	       "%lld%s%s)\n",
	       jstr(j, "tap"), jstr(t, "dir"),
	       (long long)json_integer_value(json_object_get(t, "fired")),
	       (long long)json_integer_value(json_object_get(t, "files")),
	       *jstr(t, "last_file") ? ", last " : "", jstr(t, "last_file"));
	json_decref(j);
}

int cmd_trigger_main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", 1, 0, 'S'}, {"tap", 1, 0, 'T'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	const char *sockopt = NULL, *sock, *tap = NULL;
	struct cli_buf b = {0};
	char why[201];
	long code = 0;
	int ch, ret = 1;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'S':
			sockopt = optarg;
			break;
		case 'T':
			tap = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (join_why(why, sizeof(why), argc - optind, argv + optind) < 0) {
		fprintf(stderr, "flowtap: trigger: WHY is longer than 200 bytes\n");
		return 2;
	}
	sock = cli_socket_path(sockopt);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	switch (request(sock, tap, why, &b, &code)) {
	case 0:
		break;
	case -ECONNREFUSED:
		cli_connect_error(sock);
		goto out;
	default:
		fprintf(stderr, "flowtap: trigger: no answer from %s\n", sock);
		goto out;
	}
	if (code != 200) {
		fprintf(stderr, "flowtap: trigger: HTTP %ld: %.*s", code, (int)b.len,
			b.p ? b.p : "\n");
		goto out;
	}
	print_reply(&b);
	ret = 0;
out:
	free(b.p);
	curl_global_cleanup();
	return ret;
}
