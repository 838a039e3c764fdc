/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: a live capture's pcapng stream, printed as text or written to
 * rotated files in the client.
 *
 * The datapath prints -v, -A and -x/-X itself (its format=text, kept for
 * curl users), but tcpdump's other flags and the relative sequence numbers
 * need flowtap read's formatter, its state across packets and its rotation.
 * So the CLI asks for pcapng, which carries all the text needs (paths in
 * interface names, direction in epb_flags, pre-NAT addresses and drops in
 * custom options, peer names in comments), and hands each block to the
 * reader flowtap read uses, through a FILE whose reads are served from the
 * blocks fed so far. The reader is only asked for a packet once its whole
 * block is here, so it never waits: one thread, no pipe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include <flowtap/reader.h>

#include "cap_local.h"
#include "peer_names.h"
#include "path_names.h"
#include "reader_stream.h"
#include "rotate.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 1u
#define BT_PB  2u
#define BT_SPB 3u
#define BT_EPB 6u

/* Blocks fed but not yet read: a few interface blocks and one packet; a
 * stream of interfaces without packets stops here. */
#define QUEUE_MAX (32u << 20)

/* Text leaves in chunks this large, or sooner (cap_local_flush). */
#define TEXT_CHUNK (1u << 20)

struct cap_local {
	struct cap_local_opts o;
	uint8_t *q; /* fed, not read */
	size_t qoff, qlen, qcap;
	FILE *fp;
	struct ft_reader *r;
	int dlt;
	struct ft_writer *w; /* or rot.w with -C/-G */
	struct rot rot;
	struct peer_names *names; /* peer names from the comments */
	bool warned;		  /* about a link type --anonymize cannot rewrite */
	char err[FT_ERRBUF_SIZE + 64];
};

static ssize_t q_read(void *ctx, char *buf, size_t len)
{
	struct cap_local *l = ctx;
	size_t n = l->qlen - l->qoff;

	if (n > len)
		n = len;
	memcpy(buf, l->q + l->qoff, n);
	l->qoff += n;
	if (l->qoff == l->qlen)
		l->qoff = l->qlen = 0;
	return (ssize_t)n;
}

static int q_close(void *ctx)
{
	return 0;
}

int cap_local_new(struct cap_local **out, const struct cap_local_opts *o)
{
	struct cap_local *l = calloc(1, sizeof(*l));
	cookie_io_functions_t io = {.read = q_read, .close = q_close};

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->o = *o;
	l->rot.fd = -1;
	l->fp = fopencookie(l, "rb", io);
	if (!l->fp || peer_names_new(&l->names) < 0) {
		cap_local_free(l);
		return -ENOMEM;
	}
	*out = l;
	return 0;
}

static int queue(struct cap_local *l, const uint8_t *p, size_t n)
{
	if (l->qoff) {
		memmove(l->q, l->q + l->qoff, l->qlen - l->qoff);
		l->qlen -= l->qoff;
		l->qoff = 0;
	}
	if (l->qlen + n > QUEUE_MAX)
		return -EPROTO;
	if (l->qlen + n > l->qcap) {
		size_t ncap = l->qcap ? l->qcap : 65536;
		while (ncap < l->qlen + n)
			ncap *= 2;
		uint8_t *nq = realloc(l->q, ncap);
		if (!nq)
			return -ENOMEM;
		l->q = nq;
		l->qcap = ncap;
	}
	memcpy(l->q + l->qlen, p, n);
	l->qlen += n;
	return 0;
}

static int refused(struct cap_local *l, const char *why)
{
	snprintf(l->err, sizeof(l->err), "%s", why);
	return -EPROTO;
}

/* Once the first interface is known: the reader, and the writer or the
 * first rotated file, set up as flowtap read sets them up. */
static int open_reader(struct cap_local *l)
{
	const struct td_opts *td = l->o.td;
	struct ft_writer_opts wo = {0};
	char err[FT_ERRBUF_SIZE];
	int ret;

	/* The reader owns the FILE from now on, also when it fails. */
	ret = ft__reader_open_stream(&l->r, l->fp, err);
	l->fp = NULL;
	if (ret < 0)
		return ret == -ENOMEM ? ret : refused(l, err);
	l->dlt = ft_reader_dlt(l->r);
	wo.format = l->o.format;
	wo.snaplen = td->snaplen;
	if (!wo.snaplen && wo.format != FT_FORMAT_USER0 && ft_reader_snaplen(l->r) <= 262144)
		wo.snaplen = ft_reader_snaplen(l->r);
	wo.dlt = l->dlt;
	wo.text.flags = td_text_flags(td);
	wo.text.time = td_time_mode(td, false, false);
	wo.bufsize = wo.format == FT_FORMAT_TEXT ? TEXT_CHUNK : 0;
	cli_path_names_opts(l->r, &wo);
	if (wo.format == FT_FORMAT_USER0 && wo.dlt != DLT_RAW)
		return refused(l, "user0 needs raw IP packets: this tap has link-layer frames");
	if (td->file_size || td->rotate_secs) {
		l->rot.base = td->wfile;
		l->rot.size_limit = td->file_size;
		l->rot.secs = td->rotate_secs;
		l->rot.count = td->file_count;
		return rot_open(&l->rot, &wo) ? -EIO : 0;
	}
	ret = ft_writer_new(&l->w, &wo, l->o.out, l->o.out_ctx);
	return ret == -EINVAL ? refused(l, "snaplen too short for this format") : ret;
}

/* One packet, as flowtap read's loop handles it. */
static int packet(struct cap_local *l, struct ft_pkt *p)
{
	int ret;

	/* A pcapng stream may mix link types; the output is for the first. */
	if (p->dlt != l->dlt)
		return 0;
	if (l->o.anon && cli_anon_active(l->o.anon)) {
		ret = cli_anon_packet(l->o.anon, p);
		if (ret == FT_ELINKTYPE) {
			if (!l->warned)
				fprintf(stderr,
					"flowtap capture: packets of link type %d cannot be "
					"anonymized: they are left out\n",
					p->dlt);
			l->warned = true;
			return 0;
		}
		if (ret < 0)
			return ret;
	} else if (l->w && peer_names_packet(l->names, l->r, p)) {
		/* Names would say who the mapped addresses are: not with
		 * --anonymize. Rotated files are written as read writes them. */
		ft_writer_set_peers(l->w, peer_names_table(l->names));
	}
	if (l->o.format == FT_FORMAT_TEXT || l->o.format == FT_FORMAT_PCAPNG)
		cli_path_names_apply(l->r, p);
	if (l->w) {
		ret = ft_writer_write(l->w, p);
		/* -l and -U: each packet's text leaves at once. */
		if (ret == 0 && (l->o.td->line_buffered || l->o.td->packet_buffered))
			ret = ft_writer_flush(l->w);
	} else {
		ret = rot_write(&l->rot, p);
		if (ret == 1)
			return 2;
	}
	return ret < 0 ? ret : 1;
}

int cap_local_block(struct cap_local *l, const uint8_t *p, size_t n, bool swapped)
{
	uint32_t type;
	struct ft_pkt pkt;
	int ret;

	memcpy(&type, p, 4);
	if (swapped)
		type = __builtin_bswap32(type);
	/* Name resolution and statistics blocks are not the reader's. */
	if (type != BT_SHB && type != BT_IDB && type != BT_EPB && type != BT_SPB && type != BT_PB)
		return 0;
	if ((ret = queue(l, p, n)) < 0)
		return ret == -EPROTO ? refused(l, "too many blocks without a packet") : ret;
	if (!l->r) {
		if (type == BT_SHB)
			return 0;
		if (type != BT_IDB)
			return refused(l, "a packet before any interface");
		return open_reader(l);
	}
	if (type == BT_SHB || type == BT_IDB)
		return 0;
	ret = ft_reader_next(l->r, &pkt);
	if (ret < 0)
		return refused(l, ft_reader_error(l->r));
	if (ret == 0)
		return refused(l, "a packet block the reader did not find");
	return packet(l, &pkt);
}

int cap_local_flush(struct cap_local *l)
{
	if (l->w)
		return ft_writer_flush(l->w);
	return 0;
}

int cap_local_finish(struct cap_local *l)
{
	if (l->w)
		return ft_writer_finish(l->w, NULL);
	return rot_close(&l->rot);
}

const char *cap_local_outname(const struct cap_local *l)
{
	return l->rot.w || l->rot.name[0] ? l->rot.name : NULL;
}

const char *cap_local_error(const struct cap_local *l)
{
	return l->err;
}

void cap_local_free(struct cap_local *l)
{
	if (!l)
		return;
	ft_writer_free(l->w);
	if (l->rot.w) {
		ft_writer_free(l->rot.w);
		close(l->rot.fd);
	}
	ft_reader_close(l->r);
	if (l->fp)
		fclose(l->fp);
	peer_names_free(l->names);
	free(l->q);
	free(l);
}
