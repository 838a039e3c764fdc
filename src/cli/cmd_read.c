/* \summary: flowtap read - print or rewrite a capture file (pcap, pcapng, user0). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pcap/dlt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flowtap/filter.h>
#include <flowtap/reader.h>

#include "parse_num.h"
#include <flowtap/writer.h>

#include "cli.h"
#include "output_file.h"

/* Text output is gathered in chunks this large before each write(). */
#define TEXT_CHUNK (1 << 20)

struct read_opts {
	const char *in, *out;
	bool have_format;
	enum ft_format format;
	uint64_t count; /* 0: all */
	uint32_t snaplen;
	unsigned text_flags;
	bool utc, date, no_time;
	const char *paths;
	enum ft_dir dir;
	char *expr;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flowtap read -r FILE [-w OUT] [--format pcap|pcap-ns|pcapng|user0|text]\n"
		"                    [-c N] [-s SNAPLEN] [-v] [-A] [-x] [--utc] [--date] [-t]\n"
		"                    [--path LIST] [--direction in|out] [EXPRESSION...]\n\n"
		"Print a capture file as text (default) or write the packets that match\n"
		"the tcpdump filter EXPRESSION to OUT. FILE and OUT may be '-' (stdin/stdout).\n\n"
		"  -r FILE             capture to read: pcap, pcapng or user0\n"
		"  -w OUT              write packets to OUT (default format: that of the input)\n"
		"  --format F          output format: pcap, pcap-ns, pcapng, user0, text\n"
		"  -c N                stop after N matching packets\n"
		"  -s SNAPLEN          cut packets to SNAPLEN bytes (original length kept)\n"
		"  -v                  verbose text: ttl, id, ip length, tcp options\n"
		"  -A                  print the payload as ASCII\n"
		"  -x                  print the packet in hex and ASCII\n"
		"  --utc               timestamps in UTC (default: local time)\n"
		"  --date              timestamps with the date\n"
		"  -t                  no timestamps\n"
		"  --path LIST         only packets captured on these paths (user0 input)\n"
		"  --direction in|out  only packets in this direction\n"
		"See flowtap(1) and flowtap-text(7).\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowtap read: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
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

enum { OPT_FORMAT = 256, OPT_UTC, OPT_DATE, OPT_PATH, OPT_DIRECTION };

static const struct option long_opts[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"utc", no_argument, NULL, OPT_UTC},
    {"date", no_argument, NULL, OPT_DATE},
    {"path", required_argument, NULL, OPT_PATH},
    {"direction", required_argument, NULL, OPT_DIRECTION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns 0, 1 for --help, or 2 after a usage message. */
static int parse_opts(int argc, char **argv, struct read_opts *o)
{
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:w:c:s:vAxth", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->in = optarg;
			break;
		case 'w':
			o->out = optarg;
			break;
		case OPT_FORMAT:
			if (ft_format_parse(optarg, &o->format) < 0)
				return usage_error("unknown format '%s'", optarg);
			o->have_format = true;
			break;
		case 'c':
			if (ft__parse_u64(optarg, UINT64_MAX, &v) < 0 || v == 0)
				return usage_error("bad packet count '%s'", optarg);
			o->count = v;
			break;
		case 's':
			if (ft__parse_u64(optarg, 262144, &v) < 0)
				return usage_error("bad snaplen '%s' (0..262144)", optarg);
			o->snaplen = (uint32_t)v;
			break;
		case 'v':
			o->text_flags |= FT_TEXT_VERBOSE;
			break;
		case 'A':
			o->text_flags |= FT_TEXT_ASCII;
			break;
		case 'x':
			o->text_flags |= FT_TEXT_HEX;
			break;
		case 't':
			o->no_time = true;
			break;
		case OPT_UTC:
			o->utc = true;
			break;
		case OPT_DATE:
			o->date = true;
			break;
		case OPT_PATH:
			o->paths = optarg;
			break;
		case OPT_DIRECTION:
			if (ft_dir_parse(optarg, &o->dir) < 0)
				return usage_error("bad direction '%s' (in, out or any)", optarg);
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o->in)
		return usage_error("%s", "-r FILE is required");
	o->expr = join_args(argc - optind, argv + optind);
	if (!o->expr) {
		fprintf(stderr, "flowtap: out of memory\n");
		return 2;
	}
	return 0;
}

static enum ft_time_mode time_mode(const struct read_opts *o)
{
	if (o->no_time)
		return FT_TIME_NONE;
	if (o->date)
		return o->utc ? FT_TIME_DATE_UTC : FT_TIME_DATE;
	return o->utc ? FT_TIME_UTC : FT_TIME_LOCAL;
}

/* The output format: as asked, else text to the terminal, else the input's. */
static enum ft_format out_format(const struct read_opts *o, const struct ft_reader *r)
{
	if (o->have_format)
		return o->format;
	if (!o->out)
		return FT_FORMAT_TEXT;
	if (ft_reader_is_user0(r))
		return FT_FORMAT_USER0;
	return ft_reader_is_pcapng(r) ? FT_FORMAT_PCAPNG : FT_FORMAT_PCAP;
}

struct run {
	struct read_opts *o;
	struct ft_reader *r;
	struct ft_filter *f;
	struct ft_pathset paths;
	struct ft_writer *w;
	const char *outname;
	struct cli_output out;
};

static bool selected(const struct run *run, const struct ft_pkt *p)
{
	if (run->o->paths && !ft_pathset_has(&run->paths, p->path))
		return false;
	if (run->o->dir != FT_DIR_UNKNOWN && p->dir != run->o->dir)
		return false;
	return ft_filter_match(run->f, p->data, p->caplen, p->len);
}

static int write_error(const struct run *run, int err)
{
	fprintf(stderr, "flowtap: cannot write to '%s': %s\n", run->outname, ft_strerror(err));
	return 1;
}

/* The read loop: every packet that passes goes to the writer. */
static int copy_packets(struct run *run)
{
	struct ft_pkt p;
	uint64_t n = 0, skipped = 0;
	int dlt = ft_reader_dlt(run->r);
	int rc, ret;

	while ((rc = ft_reader_next(run->r, &p)) == 1) {
		/* A pcapng file may mix link types; the filter and the output
		 * are for the first interface's. */
		if (p.dlt != dlt) {
			skipped++;
			continue;
		}
		if (!selected(run, &p))
			continue;
		ret = ft_writer_write(run->w, &p);
		if (ret < 0)
			return write_error(run, ret);
		if (run->o->count && ++n >= run->o->count)
			break;
	}
	ret = ft_writer_finish(run->w, NULL);
	if (ret < 0)
		return write_error(run, ret);
	if (skipped)
		fprintf(stderr,
			"flowtap: %s: %llu packets skipped: their link type is not that of the "
			"first interface\n",
			run->o->in, (unsigned long long)skipped);
	if (rc < 0) {
		fprintf(stderr, "flowtap: %s: %s\n", run->o->in, ft_reader_error(run->r));
		return 1;
	}
	return 0;
}

static int setup(struct run *run)
{
	struct read_opts *o = run->o;
	char err[FT_ERRBUF_SIZE];
	struct ft_writer_opts wo = {0};
	int ret;

	ret = ft_reader_open(&run->r, o->in, err);
	if (ret < 0) {
		fprintf(stderr, "flowtap: %s: %s\n", o->in, err[0] ? err : ft_strerror(ret));
		return 1;
	}
	if (ft_filter_compile(&run->f, ft_reader_dlt(run->r), o->expr, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowtap: bad filter expression: %s\n", err);
		return 2;
	}
	if (o->paths && ft_pathset_parse(&run->paths, o->paths, NULL, NULL, err, sizeof(err)) < 0)
		return usage_error("--path: %s", err);
	wo.format = out_format(o, run->r);
	/* Keep the input's snapshot length, as tcpdump -w does. */
	wo.snaplen = o->snaplen;
	if (!wo.snaplen && wo.format != FT_FORMAT_USER0 && ft_reader_snaplen(run->r) <= 262144)
		wo.snaplen = ft_reader_snaplen(run->r);
	wo.dlt = ft_reader_dlt(run->r);
	wo.text.flags = o->text_flags;
	wo.text.time = time_mode(o);
	wo.bufsize = wo.format == FT_FORMAT_TEXT ? TEXT_CHUNK : 0;
	if (wo.format == FT_FORMAT_USER0 && wo.dlt != DLT_RAW) {
		fprintf(stderr,
			"flowtap: cannot write user0: '%s' holds link-layer frames, not raw IP\n",
			o->in);
		return 2;
	}
	/* Never the input, and emptied only once all is ready. */
	ret = cli_output_open(&run->out, o->out, o->in);
	if (ret)
		return ret;
	ret = ft_writer_new(&run->w, &wo, ft_output_fd, (void *)(intptr_t)run->out.fd);
	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot write %s: %s\n", ft_format_name(wo.format),
			ret == -EINVAL ? "snaplen too short for this format" : ft_strerror(ret));
		return 2;
	}
	ret = cli_output_begin(&run->out);
	return ret < 0 ? write_error(run, ret) : 0;
}

int cmd_read_main(int argc, char **argv)
{
	struct read_opts o = {0};
	struct run run = {.o = &o, .out = {.fd = -1}};
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret == 1 ? 0 : ret;
	/* A closed pipe is reported as EPIPE by write(), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	run.outname = o.out && strcmp(o.out, "-") ? o.out : "standard output";
	ret = setup(&run);
	if (ret == 0)
		ret = copy_packets(&run);
	ft_writer_free(run.w);
	ft_filter_free(run.f);
	ft_reader_close(run.r);
	int cret = cli_output_close(&run.out, ret != 0);
	if (cret < 0 && ret == 0)
		ret = write_error(&run, cret);
	free(o.expr);
	return ret;
}
