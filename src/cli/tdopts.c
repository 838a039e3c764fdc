/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: tcpdump's short options for flowtap read and capture.
 *
 * A tcpdump user's command line works unchanged: the same letters with the
 * same meanings, options before or after the filter expression, and a
 * tcpdump option that flowtap does not implement is refused by name rather
 * than ignored or taken for something else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_num.h"
#include "tdopts.h"

/* tcpdump 4.99's options that flowtap has no equivalent for (the ones
 * taking an argument are followed by ':' so getopt consumes it). */
#define UNSUPPORTED "ab:B:dE:fg:HIj:JkKLm:M:OpPT:uV:y:Yz:Z:"

const char td_help[] =
    "tcpdump options (same letters, same meanings; flowtap never resolves names,\n"
    "so -n and -nn change nothing and are accepted):\n"
    "  -c N          stop after N packets          -s SNAPLEN  bytes per packet (0: 262144)\n"
    "  -F FILE       read the filter from FILE     -w FILE     write packets to FILE\n"
    "  -v, -vv, -vvv more detail                   -q          less protocol detail\n"
    "  -x, -xx       hex dump (-xx: with the link-level header)\n"
    "  -X, -XX       hex and ASCII dump            -A          ASCII dump\n"
    "  -e            print the link-level header   -S          absolute TCP sequence numbers\n"
    "  -t            no timestamp   -tt seconds since 1970   -ttt delta to the previous packet\n"
    "  -tttt         date and time  -ttttt delta to the first packet\n"
    "  -#            packet numbers                -l, -U      line / packet buffered output\n"
    "  -C SIZE       rotate -w files every SIZE million bytes (FILE, FILE1, FILE2, ...)\n"
    "  -G SECONDS    rotate -w files every SECONDS (FILE may hold strftime %-escapes)\n"
    "  -W COUNT      with -C: a ring of COUNT files; with -G: stop after COUNT files\n"
    "  --version     print the version\n";

const char *td_name(const struct td_opts *o)
{
	return o->cmd == TD_READ ? "flowtap read" : "flowtap capture";
}

static int bad(const struct td_opts *o, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", td_name(o));
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return 2;
}

/* Joins the remaining arguments with spaces, as tcpdump does. */
static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* -F FILE: the whole file is the expression; tcpdump ignores the command
 * line's expression then (and says so), as do we. */
static int read_filter_file(struct td_opts *o)
{
	FILE *f = fopen(o->ffile, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: cannot read the filter file '%s': %s\n", td_name(o), o->ffile,
			strerror(errno));
		return 2;
	}
	for (;;) {
		if (cap - n < 4096) {
			char *nb = cap > (1u << 20) ? NULL : realloc(buf, cap + 8192);
			if (!nb) {
				fclose(f);
				free(buf);
				return bad(o, "filter file '%s' is too large", o->ffile);
			}
			buf = nb;
			cap += 8192;
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);
		if (!k)
			break;
		n += k;
	}
	fclose(f);
	buf[n] = '\0';
	/* tcpdump's filter files may hold comments from '#' to the end of line. */
	for (char *p = buf; (p = strchr(p, '#'));)
		while (*p && *p != '\n')
			*p++ = ' ';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	free(o->expr);
	o->expr = buf;
	return 0;
}

/* -C: tcpdump's file size in millions of bytes, a positive integer. */
static int parse_size(struct td_opts *o, const char *s)
{
	uint64_t v;

	if (ft__parse_u64(s, UINT64_MAX / 1000000, &v) < 0 || v == 0)
		return bad(o, "-C: invalid file size '%s' (a positive number of millions of bytes)",
			   s);
	o->file_size = v * 1000000;
	return 0;
}

static int parse_uint(struct td_opts *o, const char *what, const char *s, uint64_t max, uint64_t *v)
{
	if (ft__parse_u64(s, max, v) < 0 || *v == 0) {
		fprintf(stderr, "%s: %s: invalid value '%s' (1..%llu)\n", td_name(o), what, s,
			(unsigned long long)max);
		return 2;
	}
	return 0;
}

static int short_opt(struct td_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'r':
		if (o->cmd == TD_CAPTURE)
			return bad(o, "%s", "-r reads a file: use flowtap read -r");
		o->rfile = arg;
		return 0;
	case 'w':
		o->wfile = arg;
		return 0;
	case 'F':
		o->ffile = arg;
		return 0;
	case 'c':
		if (ft__parse_u64(arg, UINT64_MAX, &v) < 0 || v == 0)
			return bad(o, "-c: invalid packet count '%s' (a positive number)", arg);
		o->count = v;
		return 0;
	case 's':
		if (ft__parse_u64(arg, 262144, &v) < 0)
			return bad(o, "-s: invalid snaplen '%s' (0..262144)", arg);
		o->snaplen = v ? (uint32_t)v : 262144; /* tcpdump: 0 is the default 262144 */
		o->snaplen_set = true;
		return 0;
	case 'C':
		return parse_size(o, arg);
	case 'G':
		if (o->cmd == TD_CAPTURE) {
			/* capture's -G meant "stop after"; kept for one release. */
			o->old_duration = arg;
			return 0;
		}
		if (parse_uint(o, "-G", arg, 100000000, &v))
			return 2;
		o->rotate_secs = (unsigned)v;
		return 0;
	case 'W':
		if (parse_uint(o, "-W", arg, 1000000, &v))
			return 2;
		o->file_count = (unsigned)v;
		return 0;
	case 'i':
		if (o->cmd == TD_READ)
			return bad(o, "%s", "-i selects a tap: use flowtap capture -i");
		o->iface = arg;
		return 0;
	case 'D':
		if (o->cmd == TD_READ)
			return bad(o, "%s", "-D lists taps: use flowtap capture -D");
		o->list_taps = true;
		return 0;
	case 'Q':
		if (o->cmd == TD_READ)
			return bad(o, "%s", "-Q selects a direction: use --direction with read");
		if (strcmp(arg, "in") && strcmp(arg, "out") && strcmp(arg, "inout"))
			return bad(o, "-Q: invalid direction '%s' (in, out or inout)", arg);
		o->direction_q = arg;
		return 0;
	case 'n':
	case 'N':
		return 0; /* flowtap never resolves names */
	case 'v':
		o->vflag++;
		return 0;
	case 'x':
		o->xflag++;
		return 0;
	case 'X':
		o->Xflag++;
		return 0;
	case 'A':
		o->Aflag++;
		return 0;
	case 't':
		o->tflag++;
		return 0;
	case 'e':
		o->eflag = true;
		return 0;
	case 'q':
		o->qflag = true;
		return 0;
	case 'S':
		o->Sflag = true;
		return 0;
	case '#':
		o->numbers = true;
		return 0;
	case 'l':
		o->line_buffered = true;
		return 0;
	case 'U':
		o->packet_buffered = true;
		return 0;
	}
	return -1;
}

/* Cross-option rules, as tcpdump has them (and one of ours: -W alone). */
static int check(struct td_opts *o)
{
	uint64_t v;

	if (o->tflag > 5)
		return bad(o, "%s", "-t: at most -ttttt");
	/* capture's -G: tcpdump's rotation where there are files to rotate
	 * (-w FILE, whole seconds); else the old "stop after" (deprecated). */
	if (o->cmd == TD_CAPTURE && o->old_duration && o->wfile && strcmp(o->wfile, "-") &&
	    ft__parse_u64(o->old_duration, 100000000, &v) == 0 && v) {
		o->rotate_secs = (unsigned)v;
		o->old_duration = NULL;
	}
	if (o->file_count && !o->file_size && !o->rotate_secs)
		return bad(o, "%s", "-W needs -C or -G (it counts rotated files)");
	if ((o->file_size || o->rotate_secs) && (!o->wfile || !strcmp(o->wfile, "-")))
		return bad(o, "%s", "-C and -G rotate files: they need -w FILE");
	return 0;
}

int td_parse(struct td_opts *o, int argc, char **argv, const struct option *longopts, td_long_fn fn,
	     void *ctx)
{
	static const char shortopts[] = "r:w:F:c:s:C:G:W:i:DQ:nNvxXAteqS#lUh" UNSUPPORTED;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == '?') {
			if (optopt && strchr(UNSUPPORTED, optopt))
				goto unsupported;
			if (optopt && strchr(shortopts, optopt))
				return bad(o, "option -%s needs an argument",
					   (char[]){(char)optopt, 0});
			if (optopt)
				return bad(o, "unknown option -%s", (char[]){(char)optopt, 0});
			return bad(o, "unknown option '%s'", argv[optind - 1]);
		}
		if (c == ':')
			return bad(o, "option -%s needs an argument", (char[]){(char)optopt, 0});
		if (c < 256 && c != 'h' && strchr(UNSUPPORTED, c)) {
			optopt = c;
			goto unsupported;
		}
		ret = c < 256 && c != 'h' ? short_opt(o, c, optarg) : fn(ctx, c, optarg);
		if (ret)
			return ret;
	}
	o->expr = join_args(argc - optind, argv + optind);
	if (!o->expr) {
		fprintf(stderr, "flowtap: out of memory\n");
		return 2;
	}
	if (o->ffile && (ret = read_filter_file(o)))
		return ret;
	return check(o);
unsupported:
	fprintf(stderr, "flowtap: -%c is a tcpdump option flowtap does not support\n", optopt);
	return 2;
}

unsigned td_text_flags(const struct td_opts *o)
{
	unsigned f = 0;

	if (o->vflag)
		f |= FT_TEXT_VERBOSE;
	if (o->vflag > 1)
		f |= FT_TEXT_VERBOSE2;
	if (o->vflag > 2)
		f |= FT_TEXT_VERBOSE3;
	if (o->Xflag)
		f |= FT_TEXT_HEX;
	else if (o->xflag)
		f |= FT_TEXT_HEXONLY;
	if (o->Aflag)
		f |= FT_TEXT_ASCII;
	if (o->Xflag > 1 || o->xflag > 1 || o->Aflag > 1)
		f |= FT_TEXT_DUMPLINK;
	if (o->eflag)
		f |= FT_TEXT_LINKHDR;
	if (o->qflag)
		f |= FT_TEXT_QUICK;
	if (o->Sflag)
		f |= FT_TEXT_ABSSEQ;
	if (o->numbers)
		f |= FT_TEXT_NUMBER;
	return f;
}

enum ft_time_mode td_time_mode(const struct td_opts *o, bool utc, bool date)
{
	switch (o->tflag) {
	case 1:
		return FT_TIME_NONE;
	case 2:
		return FT_TIME_EPOCH;
	case 3:
		return FT_TIME_DELTA;
	case 4:
		return utc ? FT_TIME_DATE_UTC : FT_TIME_DATE;
	case 5:
		return FT_TIME_SINCE_FIRST;
	}
	if (date)
		return utc ? FT_TIME_DATE_UTC : FT_TIME_DATE;
	return utc ? FT_TIME_UTC : FT_TIME_LOCAL;
}
