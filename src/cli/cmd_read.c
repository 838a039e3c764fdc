/* SPDX-License-Identifier: BSD-2-Clause */
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
#include <flowtap/peers.h>
#include <flowtap/reader.h>

#include "parse_num.h"
#include "pcap_batch.h"
#include "reader_rec.h"
#include "writer_direct.h"
#include <flowtap/writer.h>

#include "anon_cli.h"
#include "cli.h"
#include "output_file.h"
#include "path_names.h"
#include "peer_names.h"
#include "rotate.h"
#include "tdopts.h"

/* Text output is gathered in chunks this large before each write(). */
#define TEXT_CHUNK (1 << 20)

struct read_opts {
	struct td_opts td;
	bool have_format;
	enum ft_format format;
	bool utc, date;
	const char *paths;
	enum ft_dir dir;
	const char *peers_file; /* --peers */
	struct cli_anon anon;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flowtap read -r FILE [-w OUT] [--format pcap|pcap-ns|pcapng|user0|text]\n"
		"                    [tcpdump options] [--utc] [--date] [--path LIST]\n"
		"                    [--direction in|out] [--anonymize KEYFILE] [--headers-only]\n"
		"                    [EXPRESSION...]\n\n"
		"Print a capture file as text (default) or write the packets that match\n"
		"the tcpdump filter EXPRESSION to OUT. FILE and OUT may be '-' (stdin/stdout).\n"
		"Options may come before or after the expression.\n\n"
		"  -r FILE             capture to read: pcap, pcapng or user0\n"
		"  -w OUT              write packets to OUT (default format: that of the input)\n"
		"  --format F          output format: pcap, pcap-ns, pcapng, user0, text\n"
		"  --utc               timestamps in UTC (default: local time)\n"
		"  --date              timestamps with the date (as -tttt)\n"
		"  --path LIST         only packets captured on these paths (user0 input)\n"
		"  --direction in|out  only packets in this direction\n"
		"  --peers FILE        name the ends of packets from this peer table\n"
		"                      (flowtap-peers(5)): text, pcapng comments and NRB\n"
		"%s\n"
		"%s"
		"See flowtap(1) and flowtap-text(7).\n",
		cli_anon_help, td_help);
}

enum {
	OPT_FORMAT = 256,
	OPT_UTC,
	OPT_DATE,
	OPT_PATH,
	OPT_DIRECTION,
	OPT_VERSION,
	OPT_ANONYMIZE,
	OPT_HEADERS_ONLY,
	OPT_PEERS,
};

static const struct option long_opts[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"utc", no_argument, NULL, OPT_UTC},
    {"date", no_argument, NULL, OPT_DATE},
    {"path", required_argument, NULL, OPT_PATH},
    {"direction", required_argument, NULL, OPT_DIRECTION},
    {"version", no_argument, NULL, OPT_VERSION},
    {"peers", required_argument, NULL, OPT_PEERS},
    {"anonymize", required_argument, NULL, OPT_ANONYMIZE},
    {"headers-only", no_argument, NULL, OPT_HEADERS_ONLY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int long_opt(void *ctx, int c, const char *arg)
{
	struct read_opts *o = ctx;

	switch (c) {
	case OPT_FORMAT:
		if (ft_format_parse(arg, &o->format) < 0) {
			fprintf(stderr, "flowtap read: unknown format '%s'\n", arg);
			return 2;
		}
		o->have_format = true;
		return 0;
	case OPT_UTC:
		o->utc = true;
		return 0;
	case OPT_DATE:
		o->date = true;
		return 0;
	case OPT_PATH:
		o->paths = arg;
		return 0;
	case OPT_DIRECTION:
		if (ft_dir_parse(arg, &o->dir) < 0) {
			fprintf(stderr, "flowtap read: bad direction '%s' (in, out or any)\n", arg);
			return 2;
		}
		return 0;
	case OPT_PEERS:
		o->peers_file = arg;
		return 0;
	case OPT_VERSION:
		printf("flowtap %s\n", FT_VERSION_STRING);
		return 1;
	case OPT_ANONYMIZE:
		o->anon.keyfile = arg;
		return 0;
	case OPT_HEADERS_ONLY:
		o->anon.headers_only = true;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	}
	return 2;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowtap read: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return 2;
}

/* Returns 0, 1 for --help/--version, or 2 after a message. */
static int parse_opts(int argc, char **argv, struct read_opts *o)
{
	int ret;

	o->td.cmd = TD_READ;
	ret = td_parse(&o->td, argc, argv, long_opts, long_opt, o);
	if (ret)
		return ret;
	if (!o->td.rfile)
		return usage_error("%s", "-r FILE is required (see flowtap read --help)");
	return 0;
}

/* The output format: as asked, else text to the terminal, else the input's. */
static enum ft_format out_format(const struct read_opts *o, const struct ft_reader *r)
{
	if (o->have_format)
		return o->format;
	if (!o->td.wfile)
		return FT_FORMAT_TEXT;
	if (ft_reader_is_user0(r))
		return FT_FORMAT_USER0;
	return ft_reader_is_pcapng(r) ? FT_FORMAT_PCAPNG : FT_FORMAT_PCAP;
}

struct run {
	struct read_opts *o;
	struct ft_peers *peers; /* --peers */
	struct ft_reader *r;
	struct ft_filter *f;
	struct ft_pathset paths;
	struct rot rot;	     /* -w FILE, rotated with -C/-G */
	struct ft_writer *w; /* or standard output */
	const char *outname;
	struct cli_output out;
	bool names; /* registered paths by name (path_names.h) */
	/* Without --peers or --anonymize, text names the ends a flowtap
	 * pcapng's comments name, as flowtap capture prints them. */
	struct peer_names *file_names;
	/* pcap out of a pcap file, nothing rewritten: records go to writev()
	 * from the reader's window (pcap_batch.h), not through run->w. */
	struct ft__pcap_batch *batch;
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
	fprintf(stderr, "flowtap: cannot write to '%s': %s\n",
		run->rot.w ? run->rot.name : run->outname, ft_strerror(err));
	return 1;
}

static int write_pkt(struct run *run, const struct ft_pkt *p)
{
	int ret;

	if (run->batch) {
		size_t reclen;
		const uint8_t *rec = ft__reader_rec(run->r, &reclen);
		return ft__pcap_batch_add(run->batch, p, rec, reclen);
	}
	if (!run->w)
		return rot_write(&run->rot, p);
	ret = ft_writer_write(run->w, p);
	/* -l and -U: each packet's text leaves at once. */
	if (ret == 0 && (run->o->td.line_buffered || run->o->td.packet_buffered))
		ret = ft_writer_flush(run->w);
	return ret;
}

/* The read loop: every packet that passes goes to the writer. */
static int copy_packets(struct run *run)
{
	struct ft_pkt p;
	uint64_t n = 0, skipped = 0;
	int dlt = ft_reader_dlt(run->r);
	int rc, ret;

	/* The file header goes out first, through the writer. */
	if (run->batch &&
	    ((ret = ft__writer_begin(run->w)) < 0 || (ret = ft_writer_flush(run->w)) < 0))
		return write_error(run, ret);
	while ((rc = ft_reader_next(run->r, &p)) == 1) {
		/* A pcapng file may mix link types; the filter and the output
		 * are for the first interface's. */
		if (p.dlt != dlt) {
			skipped++;
			continue;
		}
		if (!selected(run, &p))
			continue;
		if ((ret = cli_anon_packet(&run->o->anon, &p)) < 0)
			return write_error(run, ret);
		if (run->names)
			cli_path_names_apply(run->r, &p);
		if (run->file_names && peer_names_packet(run->file_names, run->r, &p))
			ft_writer_set_peers(run->w, peer_names_table(run->file_names));
		ret = write_pkt(run, &p);
		if (ret == 1) {
			fprintf(stderr, "Maximum file limit reached: %u\n", run->o->td.file_count);
			break;
		}
		if (ret < 0)
			return write_error(run, ret);
		if (run->o->td.count && ++n >= run->o->td.count)
			break;
	}
	if (run->batch && (ret = ft__pcap_batch_flush(run->batch)) < 0)
		return write_error(run, ret);
	ret = run->w ? ft_writer_finish(run->w, NULL) : rot_close(&run->rot);
	if (ret < 0)
		return write_error(run, ret);
	if (skipped)
		fprintf(stderr,
			"flowtap: %s: %llu packets skipped: their link type is not that of the "
			"first interface\n",
			run->o->td.rfile, (unsigned long long)skipped);
	if (rc < 0) {
		fprintf(stderr, "flowtap: %s: %s\n", run->o->td.rfile, ft_reader_error(run->r));
		return 1;
	}
	return 0;
}

static int open_output(struct run *run, const struct ft_writer_opts *wo)
{
	const struct td_opts *td = &run->o->td;
	int ret;

	if (td->file_size || td->rotate_secs) {
		run->rot.base = td->wfile;
		run->rot.input = td->rfile;
		run->rot.size_limit = td->file_size;
		run->rot.secs = td->rotate_secs;
		run->rot.count = td->file_count;
		if (!strcmp(td->wfile, td->rfile)) {
			fprintf(stderr, "flowtap: '%s' is the input: refusing to write to it\n",
				td->wfile);
			return 2;
		}
		return rot_open(&run->rot, wo);
	}
	/* Never the input, and emptied only once all is ready. */
	ret = cli_output_open(&run->out, td->wfile, td->rfile);
	if (ret)
		return ret;
	ret = ft_writer_new(&run->w, wo, ft_output_fd, (void *)(intptr_t)run->out.fd);
	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot write %s: %s\n", ft_format_name(wo->format),
			ret == -EINVAL ? "snaplen too short for this format" : ft_strerror(ret));
		return 2;
	}
	ret = cli_output_begin(&run->out);
	return ret < 0 ? write_error(run, ret) : 0;
}

/* The window is about to move: what the batch points into must go out.
 * An output error is kept in the batch, and its next use returns it. */
static void batch_refill(void *batch)
{
	ft__pcap_batch_flush(batch);
}

/*
 * The fast path: pcap records from a classic pcap file written as they lie
 * in the reader's window, queued until it refills. Only when nothing
 * rewrites a record on its way (no anonymization, path names or peer
 * names, no rotation) and each packet need not leave on its own (-U, -l).
 * The reader keeps its checks and messages; the batch writes the bytes the
 * writer would.
 */
static int setup_batch(struct run *run, const struct ft_writer_opts *wo)
{
	const struct read_opts *o = run->o;

	if (!run->w || (wo->format != FT_FORMAT_PCAP && wo->format != FT_FORMAT_PCAP_NS) ||
	    o->td.line_buffered || o->td.packet_buffered || cli_anon_active(&o->anon) ||
	    run->names || run->file_names)
		return 0;
	run->batch = malloc(sizeof(*run->batch));
	if (!run->batch)
		return write_error(run, -ENOMEM);
	ft__pcap_batch_init(run->batch, run->out.fd, wo->format == FT_FORMAT_PCAP_NS,
			    wo->snaplen ? wo->snaplen : 262144);
	if (ft__reader_on_refill(run->r, batch_refill, run->batch) < 0) {
		free(run->batch); /* not read through a window: the writer's path */
		run->batch = NULL;
	}
	return 0;
}

static int setup(struct run *run)
{
	struct read_opts *o = run->o;
	char err[FT_ERRBUF_SIZE];
	struct ft_writer_opts wo = {0};
	int ret;

	if (o->peers_file && ft_peers_load_file(o->peers_file, &run->peers, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowtap: %s\n", err);
		return 2;
	}
	ret = ft_reader_open(&run->r, o->td.rfile, err);
	if (ret < 0) {
		fprintf(stderr, "flowtap: %s: %s\n", o->td.rfile, err[0] ? err : ft_strerror(ret));
		return 1;
	}
	if (ft_filter_compile(&run->f, ft_reader_dlt(run->r), o->td.expr, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowtap: bad filter expression: %s\n", err);
		return 2;
	}
	/* Names would say who the mapped addresses are. */
	if (o->peers_file && o->anon.keyfile)
		return usage_error("%s", "--peers and --anonymize exclude each other");
	ret = cli_anon_open(&o->anon, "flowtap read");
	if (!ret)
		ret = cli_anon_check_dlt(&o->anon, ft_reader_dlt(run->r), "flowtap read",
					 o->td.rfile);
	if (ret)
		return ret;
	if (o->paths && ft_pathset_parse(&run->paths, o->paths, NULL, NULL, err, sizeof(err)) < 0)
		return usage_error("--path: %s", err);
	wo.format = out_format(o, run->r);
	/* Keep the input's snapshot length, as tcpdump -w does. */
	wo.snaplen = o->td.snaplen;
	if (!wo.snaplen && wo.format != FT_FORMAT_USER0 && ft_reader_snaplen(run->r) <= 262144)
		wo.snaplen = ft_reader_snaplen(run->r);
	wo.dlt = ft_reader_dlt(run->r);
	wo.text.flags = td_text_flags(&o->td);
	wo.text.time = td_time_mode(&o->td, o->utc, o->date);
	wo.bufsize = wo.format == FT_FORMAT_TEXT ? TEXT_CHUNK : 0;
	cli_path_names_opts(run->r, &wo);
	run->names = wo.path_name != NULL;
	if (wo.format == FT_FORMAT_USER0 && wo.dlt != DLT_RAW) {
		fprintf(stderr,
			"flowtap: cannot write user0: '%s' holds link-layer frames, not raw IP\n",
			o->td.rfile);
		return 2;
	}
	ret = open_output(run, &wo);
	if (!ret && run->w)
		ft_writer_set_peers(run->w, run->peers);
	if (!ret && run->w && wo.format == FT_FORMAT_TEXT && !run->peers &&
	    !cli_anon_active(&o->anon) && ft_reader_is_pcapng(run->r) &&
	    peer_names_new(&run->file_names) < 0)
		ret = write_error(run, -ENOMEM);
	if (!ret)
		ret = setup_batch(run, &wo);
	return ret;
}

int cmd_read_main(int argc, char **argv)
{
	struct read_opts o = {0};
	struct run run = {.o = &o, .out = {.fd = -1}, .rot = {.fd = -1}};
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret) {
		free(o.td.expr);
		return ret == 1 ? 0 : ret;
	}
	/* A closed pipe is reported as EPIPE by write(), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	run.outname = o.td.wfile && strcmp(o.td.wfile, "-") ? o.td.wfile : "standard output";
	ret = setup(&run);
	if (ret == 0)
		ret = copy_packets(&run);
	ft_writer_free(run.w);
	free(run.batch);
	if (run.rot.w) {
		ft_writer_free(run.rot.w);
		close(run.rot.fd);
	}
	ft_filter_free(run.f);
	ft_peers_free(run.peers);
	peer_names_free(run.file_names);
	ft_reader_close(run.r);
	cli_anon_free(&o.anon);
	int cret = cli_output_close(&run.out, ret != 0);
	if (cret < 0 && ret == 0)
		ret = write_error(&run, cret);
	free(o.td.expr);
	return ret;
}
