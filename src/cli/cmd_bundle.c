/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: flowtap bundle - a support bundle from a running datapath:
 * status, a short capture and the flow-log messages of the same seconds,
 * anonymized (with a new key unless told otherwise), with a manifest.
 * When the tap has a flight recorder, the capture starts with what it
 * holds (capture --since), so the bundle has the minute before as well.
 *
 * The capture and the flow stream are this program's own subcommands run
 * as children (the same code a user runs), side by side for --duration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anon_cli.h"
#include "cli.h"
#include "localapi.h"

struct bundle {
	const char *out, *socket, *keyfile;
	unsigned secs;
	unsigned since; /* the default tap's recorder window in s, 0: none */
	bool plain;	/* --no-anonymize */
	char dir[64];	/* the staging directory */
	char key[4096]; /* the key file used, "" if none */
	struct cli_anon anon;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: flowtap bundle -o FILE.tar.gz [--socket PATH] [--duration SECONDS]\n"
		   "                      [--anonymize KEYFILE | --no-anonymize]\n\n"
		   "Collect a support bundle from a running datapath: status.json, a capture of\n"
		   "SECONDS (default 5; capture.pcapng), preceded by what the tap's flight\n"
		   "recorder holds if it runs one, the flow-log messages of the same\n"
		   "seconds (flows.ndjson) and manifest.json. Addresses are mapped with a new\n"
		   "key written to FILE.tar.gz.key (never put in the bundle) unless --anonymize\n"
		   "names one or --no-anonymize is given. See flowtap(1).\n");
}

/* Runs `flowtap ARGS...` with stdout to @out (or not redirected); its pid. */
static pid_t spawn(char *const args[], const char *out)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (out) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
	}
	execv("/proc/self/exe", args);
	_exit(127);
}

static int wait_rc(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int save_json(struct bundle *b, json_t *j, const char *name, size_t flags)
{
	char path[128];

	if (b->anon.a)
		cli_anon_json(b->anon.a, j);
	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	return json_dump_file(j, path, flags | JSON_COMPACT) ? -EIO : 0;
}

static int collect_status(struct bundle *b)
{
	struct cli_buf body = {0};
	long code = 0;
	json_t *j;
	int ret = cli_http_get(b->socket, "/localapi/v0/status", &body, &code);

	if (ret < 0 || code != 200) {
		if (ret < 0)
			cli_connect_error(b->socket);
		free(body.p);
		return -1;
	}
	j = json_loadb(body.p, body.len, 0, NULL);
	free(body.p);
	/* The capture goes to the default tap, the first one listed. */
	json_t *rec = json_object_get(json_array_get(json_object_get(j, "taps"), 0), "recorder");
	json_int_t age = json_integer_value(json_object_get(rec, "max_age_s"));
	if (json_is_true(json_object_get(rec, "on")) && age > 0)
		b->since = age > 86400 ? 86400 : (unsigned)age;
	ret = j ? save_json(b, j, "status.json", JSON_INDENT(2)) : -1;
	json_decref(j);
	return ret;
}

/* The flow stream's lines, mapped one by one into flows.ndjson. */
static long anonymize_flows(struct bundle *b)
{
	char in[128], out[128], *line = NULL;
	size_t cap = 0;
	long n = 0;
	FILE *f, *o;

	snprintf(in, sizeof(in), "%s/flows.raw", b->dir);
	snprintf(out, sizeof(out), "%s/flows.ndjson", b->dir);
	f = fopen(in, "r");
	o = fopen(out, "w");
	while (f && o && getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		if (!j)
			continue; /* a line cut by the end of the stream */
		if (b->anon.a)
			cli_anon_json(b->anon.a, j);
		char *s = json_dumps(j, JSON_COMPACT);
		if (s)
			fprintf(o, "%s\n", s), n++;
		free(s);
		json_decref(j);
	}
	free(line);
	if (f)
		fclose(f);
	if (o)
		fclose(o);
	unlink(in);
	return n;
}

static off_t file_size(const struct bundle *b, const char *name)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	return stat(path, &st) ? -1 : st.st_size;
}

static int manifest(struct bundle *b, int cap_rc, long nflows)
{
	static const char *const files[][2] = {
	    {"status.json", "GET /localapi/v0/status"},
	    {"capture.pcapng", "flowtap capture --format pcapng for --duration"},
	    {"capture.pcapng", "the flight recorder's window (capture --since), then "
			       "flowtap capture --format pcapng for --duration"},
	    {"flows.ndjson", "flow-log messages streamed during the capture"},
	};
	json_t *m = json_object(), *arr = json_array();
	char when[32];
	time_t t = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_object_set_new(m, "flowtap", json_string(FT_VERSION_STRING));
	json_object_set_new(m, "created", json_string(when));
	json_object_set_new(m, "seconds", json_integer(b->secs));
	json_object_set_new(m, "anonymized", json_boolean(b->anon.a != NULL));
	if (b->anon.a)
		json_object_set_new(m, "anonymization",
				    json_string("Crypto-PAn (prefix-preserving) of every IPv4 and "
						"IPv6 address; the key is not in the bundle"));
	json_object_set_new(m, "captureExit", json_integer(cap_rc));
	json_object_set_new(m, "flowMessages", json_integer(nflows));
	json_object_set_new(m, "recorderSeconds", json_integer(b->since));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		off_t sz = file_size(b, files[i][0]);
		/* Of the two capture.pcapng lines, the one that says how. */
		if (sz < 0 || (i == 1 && b->since) || (i == 2 && !b->since))
			continue;
		json_array_append_new(arr, json_pack("{s:s,s:I,s:s}", "name", files[i][0], "bytes",
						     (json_int_t)sz, "what", files[i][1]));
	}
	json_object_set_new(m, "files", arr);
	char path[128];
	snprintf(path, sizeof(path), "%s/manifest.json", b->dir);
	int ret = json_dump_file(m, path, JSON_INDENT(2)) ? -EIO : 0;
	json_decref(m);
	return ret;
}

/* Capture and flow stream side by side for --duration. */
static int collect_live(struct bundle *b, int *cap_rc)
{
	char secs[16], since[16], cap[128], flows[128];
	snprintf(secs, sizeof(secs), "%u", b->secs);
	snprintf(since, sizeof(since), "%us", b->since);
	snprintf(cap, sizeof(cap), "%s/capture.pcapng", b->dir);
	snprintf(flows, sizeof(flows), "%s/flows.raw", b->dir);
	char *cargs[16] = {"flowtap",	 "capture", "--socket", (char *)b->socket,
			   "--duration", secs,	    "--format", "pcapng",
			   "-w",	 cap};
	int n = 10;
	if (b->since) {
		cargs[n++] = "--since";
		cargs[n++] = since;
	}
	if (b->key[0]) {
		cargs[n++] = "--anonymize";
		cargs[n++] = b->key;
	}
	cargs[n] = NULL;
	char *fargs[] = {"flowtap", "flows", "--socket", (char *)b->socket, NULL};
	pid_t fp = spawn(fargs, flows), cp = spawn(cargs, NULL);

	if (cp > 0)
		*cap_rc = wait_rc(cp);
	if (fp > 0) {
		kill(fp, SIGINT);
		wait_rc(fp);
	}
	return cp > 0 && fp > 0 ? 0 : -1;
}

static int parse(struct bundle *b, int argc, char **argv)
{
	static const struct option lo[] = {{"socket", 1, 0, 's'},    {"duration", 1, 0, 'd'},
					   {"anonymize", 1, 0, 'k'}, {"no-anonymize", 0, 0, 'n'},
					   {"help", 0, 0, 'h'},	     {0, 0, 0, 0}};
	int c;
	char *end;

	b->secs = 5;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			b->out = optarg;
			break;
		case 's':
			b->socket = optarg;
			break;
		case 'd':
			b->secs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || b->secs < 1 || b->secs > 3600) {
				fprintf(stderr,
					"flowtap bundle: --duration: '%s' is not 1..3600 "
					"seconds\n",
					optarg);
				return 2;
			}
			break;
		case 'k':
			b->keyfile = optarg;
			break;
		case 'n':
			b->plain = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return 2;
		}
	}
	if (!b->out || optind < argc) {
		fprintf(stderr,
			"flowtap bundle: usage: flowtap bundle -o FILE.tar.gz (see --help)\n");
		return 2;
	}
	if (b->plain && b->keyfile) {
		fprintf(stderr,
			"flowtap bundle: --anonymize and --no-anonymize exclude each other\n");
		return 2;
	}
	b->socket = cli_socket_path(b->socket);
	return 0;
}

/* The key: the one named, or a new one beside the bundle. */
static int setup_key(struct bundle *b)
{
	char err[FT_ERRBUF_SIZE];

	if (b->plain)
		return 0;
	if (b->keyfile) {
		snprintf(b->key, sizeof(b->key), "%s", b->keyfile);
	} else {
		snprintf(b->key, sizeof(b->key), "%s.key", b->out);
		if (ft_anon_key_new(b->key, err) < 0) {
			fprintf(stderr, "flowtap bundle: %s\n", err);
			return 1;
		}
		fprintf(stderr,
			"flowtap bundle: new key in '%s' (keep it; it is not in the bundle)\n",
			b->key);
	}
	b->anon.keyfile = b->key;
	return cli_anon_open(&b->anon, "flowtap bundle");
}

int cmd_bundle_main(int argc, char **argv)
{
	struct bundle b = {0};
	int ret = parse(&b, argc, argv), cap_rc = -1;

	if (ret)
		return ret == 1 ? 0 : ret;
	if ((ret = setup_key(&b)) != 0)
		goto out;
	snprintf(b.dir, sizeof(b.dir), "/tmp/flowtap-bundle.XXXXXX");
	ret = 1;
	if (!mkdtemp(b.dir)) {
		perror("flowtap bundle: cannot make a staging directory");
		goto out;
	}
	if (collect_status(&b) < 0) {
		fprintf(stderr, "flowtap bundle: cannot get the status from '%s'\n", b.socket);
		goto clean;
	}
	if (collect_live(&b, &cap_rc) < 0)
		goto clean;
	long nflows = anonymize_flows(&b);
	if (manifest(&b, cap_rc, nflows) < 0)
		goto clean;
	char *targs[] = {"tar",
			 "-czf",
			 (char *)b.out,
			 "-C",
			 b.dir,
			 "manifest.json",
			 "status.json",
			 file_size(&b, "capture.pcapng") >= 0 ? "capture.pcapng" : "manifest.json",
			 "flows.ndjson",
			 NULL};
	pid_t tp = fork();
	if (tp == 0) {
		execvp("tar", targs);
		_exit(127);
	}
	if (tp < 0 || wait_rc(tp) != 0) {
		fprintf(stderr, "flowtap bundle: tar could not write '%s'\n", b.out);
		goto clean;
	}
	fprintf(stderr, "flowtap bundle: wrote '%s' (%s)\n", b.out,
		b.anon.a ? "anonymized" : "not anonymized");
	ret = 0;
clean:
	for (const char *f = "manifest.json\0status.json\0capture.pcapng\0flows.ndjson\0"; *f;
	     f += strlen(f) + 1) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", b.dir, f);
		unlink(p);
	}
	rmdir(b.dir);
out:
	cli_anon_free(&b.anon);
	return ret;
}
