/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: read pcap/pcapng files through libpcap; unwrap user0 streams. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flowtap/reader.h>

#include "rd.h"
#include "reader_ng.h"
#include "reader_rec.h"
#include "reader_stream.h"

/* stdio buffer for the capture file: large reads, few syscalls. */
#define READ_BUFSIZE (1 << 20)

/*
 * Classic pcap files on disk are read with large pread() calls into one
 * window: no copy through stdio and libpcap's buffer, which is most of the
 * cost of reading. libpcap still opens the file (and validates its header);
 * pcapng, pipes and uncommon pcap variants are read through libpcap.
 *
 * Not mmap(): a file truncated while mapped (by another program, or by our
 * own -w to the same file) kills the process with SIGBUS, and a library
 * must not install a process-wide handler to survive that. With read(), a
 * file that shrinks under us is a short read: a "truncated dump file" error.
 * (A mapping was also measured slower here: on this class of virtual machine
 * every newly touched 4 KiB page costs more than copying it.)
 *
 * Records stay in the window until it is refilled, so that flowtap read can
 * write them out from there (reader_rec.h).
 */
#define WIN_CHUNK (1u << 20)

struct win {
	uint8_t *buf;	      /* NULL: read through libpcap */
	size_t cap, len, off; /* bytes held, bytes consumed */
	off_t pos;	      /* file offset of buf[len] */
	int fd;
	int err; /* errno of a failed read, sticky */
	bool swap, nsec;
	const uint8_t *rec;	   /* the last record handed out (reader_rec.h), */
	size_t reclen;		   /* header and captured bytes */
	void (*refill)(void *ctx); /* called before buf's bytes move */
	void *refill_ctx;
};

struct ft_reader {
	pcap_t *pcap;	   /* classic pcap (and anything else libpcap reads) */
	struct ft__ng *ng; /* or pcapng, read by reader_pcapng.c */
	FILE *ngfp;	   /* the file ng reads */
	struct win map;	   /* buf NULL: read through libpcap */
	char *iobuf;
	int dlt;     /* DLT handed out */
	bool user0;  /* records carry the user0 prefix */
	bool failed; /* a libpcap error is sticky */
	uint64_t n;  /* records read */
	char err[PCAP_ERRBUF_SIZE + 64];
};

static void set_err(char *errbuf, const char *fmt, const char *a, const char *b)
{
	if (errbuf)
		snprintf(errbuf, FT_ERRBUF_SIZE, fmt, a, b);
}

/*
 * "-" is standard input, read through a FILE of our own on a duplicate of
 * fd 0: the caller's stdin is never given our buffer (which a failed open
 * frees) and is not closed by ft_reader_close().
 */
static FILE *open_file(const char *path, char *errbuf, int *ret)
{
	FILE *fp = NULL;

	if (strcmp(path, "-")) {
		fp = fopen(path, "rb");
	} else {
		int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd >= 0 && !(fp = fdopen(fd, "rb")))
			close(fd);
	}
	if (!fp) {
		*ret = -errno;
		set_err(errbuf, "%s%s", strerror(errno), "");
	}
	return fp;
}

#define MAGIC_US    0xa1b2c3d4u
#define MAGIC_NS    0xa1b23c4du
#define PCAP_HDRLEN 24
#define PCAP_RECLEN 16
/* libpcap refuses records longer than this (its largest snapshot length). */
#define MAX_CAPLEN 262144

static uint32_t bswap(uint32_t v, bool swap)
{
	return swap ? __builtin_bswap32(v) : v;
}

/* Read a regular file whose header is classic pcap 2.4 through the
 * window; else leave r->map empty and libpcap does the reading. */
static void map_file(struct ft_reader *r, FILE *fp)
{
	struct stat st;
	uint32_t magic;
	uint8_t hdr[8];
	struct ft_rd rd;
	struct win *m = &r->map;

	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < PCAP_HDRLEN ||
	    pread(fileno(fp), hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return;
	rd = ft_rd_init(hdr, sizeof(hdr));
	magic = ft_rd_le32(&rd);
	m->swap = magic == __builtin_bswap32(MAGIC_US) || magic == __builtin_bswap32(MAGIC_NS);
	magic = bswap(magic, m->swap);
	if ((magic != MAGIC_US && magic != MAGIC_NS) ||
	    ft_rd_le32(&rd) != (m->swap ? (2u << 16 | 4) : (4u << 16 | 2)))
		return;
	/* A chunk, plus the largest record, so that one always fits. */
	m->cap = WIN_CHUNK + PCAP_RECLEN + MAX_CAPLEN;
	m->buf = malloc(m->cap);
	if (!m->buf)
		return; /* libpcap reads it instead */
	posix_fadvise(fileno(fp), 0, 0, POSIX_FADV_SEQUENTIAL);
	m->fd = fileno(fp);
	m->pos = PCAP_HDRLEN;
	m->nsec = magic == MAGIC_NS;
}

/* At least @need bytes at m->buf + m->off, reading more if the window holds
 * fewer; false at the end of the file (or on a read error, in m->err). */
static bool win_fill(struct win *m, size_t need)
{
	if (m->len - m->off >= need)
		return true;
	if (m->refill)
		m->refill(m->refill_ctx);
	memmove(m->buf, m->buf + m->off, m->len - m->off);
	m->len -= m->off;
	m->off = 0;
	while (m->len < need && !m->err) {
		ssize_t n = pread(m->fd, m->buf + m->len, m->cap - m->len, m->pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			m->err = errno;
		if (n <= 0)
			break;
		m->len += (size_t)n;
		m->pos += n;
	}
	return m->len >= need;
}

/* "truncated dump file" for a short read, else the read error. */
static int win_short(struct ft_reader *r, const char *what, size_t want, size_t got)
{
	struct win *m = &r->map;

	if (m->err)
		snprintf(r->err, sizeof(r->err), "read error: %s", strerror(m->err));
	else
		snprintf(r->err, sizeof(r->err),
			 "truncated dump file; tried to read %zu %s bytes, only got %zu", want,
			 what, got);
	return m->err ? -m->err : FT_ECORRUPT;
}

/* One record from the window, with libpcap's checks and messages. */
static int map_next(struct ft_reader *r, struct ft_pkt *p, uint32_t *caplen, uint32_t *len)
{
	struct win *m = &r->map;
	struct ft_rd rd;
	uint32_t sec, frac;

	if (!win_fill(m, PCAP_RECLEN)) {
		if (m->len == m->off && !m->err)
			return 0;
		return win_short(r, "header", PCAP_RECLEN, m->len - m->off);
	}
	rd = ft_rd_init(m->buf + m->off, m->len - m->off);
	sec = bswap(ft_rd_le32(&rd), m->swap);
	frac = bswap(ft_rd_le32(&rd), m->swap);
	*caplen = bswap(ft_rd_le32(&rd), m->swap);
	*len = bswap(ft_rd_le32(&rd), m->swap);
	if (*caplen > MAX_CAPLEN) {
		snprintf(r->err, sizeof(r->err),
			 "invalid packet capture length %u, bigger than maximum of %u", *caplen,
			 MAX_CAPLEN);
		return FT_ECORRUPT;
	}
	if (!win_fill(m, PCAP_RECLEN + (size_t)*caplen))
		return win_short(r, "captured", *caplen, m->len - m->off - PCAP_RECLEN);
	p->ts_ns = (uint64_t)sec * 1000000000u + (m->nsec ? frac : (uint64_t)frac * 1000u);
	p->data = m->buf + m->off + PCAP_RECLEN;
	m->rec = m->buf + m->off;
	m->reclen = PCAP_RECLEN + *caplen;
	m->off += PCAP_RECLEN + *caplen;
	return 1;
}

/*
 * A pipe cannot be rewound after its magic number was read to tell pcapng
 * from the rest: this stdio cookie hands the bytes already read back to
 * libpcap before the remainder of the pipe.
 */
struct peeked {
	FILE *fp;
	uint8_t pre[4];
	size_t npre, off;
};

static ssize_t peeked_read(void *c, char *buf, size_t len)
{
	struct peeked *pk = c;
	size_t n = 0;

	while (pk->off < pk->npre && n < len)
		buf[n++] = (char)pk->pre[pk->off++];
	if (n < len)
		n += fread(buf + n, 1, len - n, pk->fp);
	return (ssize_t)n;
}

static int peeked_close(void *c)
{
	struct peeked *pk = c;
	int rc = fclose(pk->fp);

	free(pk);
	return rc;
}

static FILE *unpeek(FILE *fp, const uint8_t *pre, size_t npre)
{
	cookie_io_functions_t io = {.read = peeked_read, .close = peeked_close};
	struct peeked *pk = calloc(1, sizeof(*pk));
	FILE *w;

	if (!pk)
		return NULL;
	pk->fp = fp;
	memcpy(pk->pre, pre, npre);
	pk->npre = npre;
	w = fopencookie(pk, "rb", io);
	if (!w)
		free(pk);
	return w;
}

/* Reads the first 4 bytes: without moving a regular file's position, else
 * by consuming them (returned in @pre/@npre). Returns the LE magic or 0. */
static uint32_t peek_magic(FILE *fp, uint8_t *pre, size_t *npre)
{
	struct stat st;
	uint8_t b[4];
	struct ft_rd rd;

	*npre = 0;
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
		if (pread(fileno(fp), b, 4, 0) != 4)
			return 0;
	} else {
		*npre = fread(pre, 1, 4, fp);
		if (*npre != 4)
			return 0;
		memcpy(b, pre, 4);
	}
	rd = ft_rd_init(b, 4);
	return ft_rd_le32(&rd);
}

static int open_ng(struct ft_reader *r, FILE *fp, const uint8_t *pre, size_t npre, char *errbuf)
{
	int ret = ft__ng_open(&r->ng, fp, pre, npre, r->err, sizeof(r->err));

	if (ret < 0) {
		if (errbuf)
			snprintf(errbuf, FT_ERRBUF_SIZE, "%.200s",
				 ret == -ENOMEM ? strerror(ENOMEM) : r->err);
		r->err[0] = '\0';
		return ret;
	}
	r->ngfp = fp;
	r->dlt = ft__ng_dlt(r->ng);
	if (r->dlt == DLT_USER0) {
		r->user0 = true;
		r->dlt = DLT_RAW;
	}
	return 0;
}

/* Opens the reader on @fp (taken over: closed on failure too). */
static int open_fp(struct ft_reader **out, FILE *fp, char *errbuf)
{
	int ret = -ENOMEM;
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct ft_reader *r = calloc(1, sizeof(*r));
	uint8_t pre[4];
	size_t npre;

	*out = NULL;
	if (!r || !(r->iobuf = malloc(READ_BUFSIZE))) {
		fclose(fp);
		goto fail;
	}
	setvbuf(fp, r->iobuf, _IOFBF, READ_BUFSIZE);
	if (peek_magic(fp, pre, &npre) == FT__PCAPNG_SHB) {
		ret = open_ng(r, fp, pre, npre, errbuf);
		if (ret < 0) {
			fclose(fp);
			goto fail;
		}
		*out = r;
		return 0;
	}
	if (npre) {
		FILE *w = unpeek(fp, pre, npre);
		if (!w) {
			fclose(fp);
			goto fail;
		}
		fp = w;
	}
	/* Nanosecond precision: libpcap scales microsecond files up. */
	r->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!r->pcap) {
		/* libpcap closes nothing on failure; an unknown magic means
		 * "not a capture file", anything else is an I/O error. */
		ret = ferror(fp) ? -EIO : FT_ECORRUPT;
		fclose(fp);
		set_err(errbuf, "%s%s", perr, "");
		goto fail;
	}
	map_file(r, fp);
	r->dlt = pcap_datalink(r->pcap);
	if (r->dlt == DLT_USER0) {
		r->user0 = true;
		r->dlt = DLT_RAW;
	}
	*out = r;
	return 0;
fail:
	if (r)
		free(r->iobuf);
	free(r);
	return ret;
}

FT_EXPORT int ft_reader_open(struct ft_reader **out, const char *path, char *errbuf)
{
	int ret = -ENOMEM;
	FILE *fp;

	*out = NULL;
	if (errbuf)
		errbuf[0] = '\0';
	fp = open_file(path, errbuf, &ret);
	if (!fp)
		return ret;
	return open_fp(out, fp, errbuf);
}

int ft__reader_open_stream(struct ft_reader **out, FILE *fp, char *errbuf)
{
	if (errbuf)
		errbuf[0] = '\0';
	return open_fp(out, fp, errbuf);
}

/* Fill @p from a user0 record: the prefix becomes metadata and the IP packet
 * behind it is handed out, its original length reduced by the prefix. */
static int unwrap_user0(struct ft_reader *r, uint32_t caplen, uint32_t len, struct ft_pkt *p)
{
	uint32_t prefix;

	if (ft_user0_parse(p->data, p->caplen, p) < 0) {
		snprintf(r->err, sizeof(r->err),
			 "record %llu: bad user0 prefix (%u bytes captured)",
			 (unsigned long long)r->n, caplen);
		return FT_ECORRUPT;
	}
	prefix = caplen - p->caplen;
	p->len = len >= prefix ? len - prefix : p->caplen;
	if (p->len < p->caplen)
		p->len = p->caplen;
	return 1;
}

static int pcap_next_rec(struct ft_reader *r, struct ft_pkt *p, uint32_t *caplen, uint32_t *len)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(r->pcap, &h, &data);

	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		snprintf(r->err, sizeof(r->err), "%s", pcap_geterr(r->pcap));
		return FT_ECORRUPT;
	}
	p->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
	p->data = data;
	*caplen = h->caplen;
	*len = h->len;
	return 1;
}

/* pcapng packets come with their link type, path and direction. */
static int ng_next(struct ft_reader *r, struct ft_pkt *p)
{
	int rc = ft__ng_next(r->ng, p, r->err, sizeof(r->err));

	if (rc <= 0) {
		r->failed = rc < 0;
		return rc;
	}
	r->n++;
	if (p->dlt == DLT_USER0) {
		p->dlt = DLT_RAW;
		return unwrap_user0(r, p->caplen, p->len, p);
	}
	return 1;
}

FT_EXPORT int ft_reader_next(struct ft_reader *r, struct ft_pkt *p)
{
	uint32_t caplen = 0, len = 0;
	int rc;

	if (r->failed)
		return FT_ECORRUPT;
	memset(p, 0, sizeof(*p));
	if (r->ng)
		return ng_next(r, p);
	rc = r->map.buf ? map_next(r, p, &caplen, &len) : pcap_next_rec(r, p, &caplen, &len);
	if (rc <= 0) {
		r->failed = rc < 0;
		return rc;
	}
	r->n++;
	p->caplen = caplen;
	p->len = len < caplen ? caplen : len;
	p->dlt = r->dlt;
	p->path = FT_PATH_NONE;
	if (r->user0)
		return unwrap_user0(r, caplen, len, p);
	return 1;
}

FT_EXPORT int ft_reader_dlt(const struct ft_reader *r)
{
	return r->dlt;
}

FT_EXPORT uint32_t ft_reader_snaplen(const struct ft_reader *r)
{
	if (r->ng)
		return ft__ng_snaplen(r->ng);
	return (uint32_t)pcap_snapshot(r->pcap);
}

FT_EXPORT bool ft_reader_is_user0(const struct ft_reader *r)
{
	return r->user0;
}

FT_EXPORT bool ft_reader_is_pcapng(const struct ft_reader *r)
{
	/* libpcap reports the pcapng section's version (1.x) where a classic
	 * pcap file says 2.x. */
	return r->ng || pcap_major_version(r->pcap) == 1;
}

const char *ft__reader_ifname(const struct ft_reader *r, uint32_t ifid)
{
	return r->ng ? ft__ng_ifname(r->ng, ifid) : NULL;
}

const char *ft__reader_peers(const struct ft_reader *r, size_t *len)
{
	*len = 0;
	return r->ng ? ft__ng_peers(r->ng, len) : NULL;
}

FT_EXPORT const char *ft_reader_error(const struct ft_reader *r)
{
	return r->err;
}

FT_EXPORT void ft_reader_close(struct ft_reader *r)
{
	if (!r)
		return;
	/* pcap_close() also closes the FILE (for "-", our duplicate of fd 0). */
	if (r->pcap)
		pcap_close(r->pcap);
	ft__ng_close(r->ng);
	if (r->ngfp)
		fclose(r->ngfp);
	free(r->map.buf);
	free(r->iobuf);
	free(r);
}

const uint8_t *ft__reader_rec(const struct ft_reader *r, size_t *len)
{
	*len = r->map.buf ? r->map.reclen : 0;
	return r->map.buf ? r->map.rec : NULL;
}

int ft__reader_on_refill(struct ft_reader *r, void (*fn)(void *ctx), void *ctx)
{
	if (!r->map.buf)
		return -ENOTSUP;
	r->map.refill = fn;
	r->map.refill_ctx = ctx;
	return 0;
}
