/* \summary: read pcap/pcapng files through libpcap; unwrap user0 streams. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtap/reader.h>

/* stdio buffer for the capture file: large reads, few syscalls. */
#define READ_BUFSIZE (1 << 20)

struct ft_reader {
	pcap_t *pcap;
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

static FILE *open_file(const char *path, char *errbuf, int *ret)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!fp) {
		*ret = -errno;
		set_err(errbuf, "%s%s", strerror(errno), "");
	}
	return fp;
}

FT_EXPORT int ft_reader_open(struct ft_reader **out, const char *path, char *errbuf)
{
	int ret = -ENOMEM;
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct ft_reader *r = calloc(1, sizeof(*r));
	FILE *fp = NULL;

	*out = NULL;
	if (errbuf)
		errbuf[0] = '\0';
	if (!r || !(r->iobuf = malloc(READ_BUFSIZE)))
		goto fail;
	fp = open_file(path, errbuf, &ret);
	if (!fp)
		goto fail;
	setvbuf(fp, r->iobuf, _IOFBF, READ_BUFSIZE);
	/* Nanosecond precision: libpcap scales microsecond files up. */
	r->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!r->pcap) {
		/* libpcap closes nothing on failure; an unknown magic means
		 * "not a capture file", anything else is an I/O error. */
		ret = ferror(fp) ? -EIO : FT_ECORRUPT;
		if (fp != stdin)
			fclose(fp);
		set_err(errbuf, "%s%s", perr, "");
		goto fail;
	}
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

/* Fill @p from a user0 record: the prefix becomes metadata and the IP packet
 * behind it is handed out, its original length reduced by the prefix. */
static int unwrap_user0(struct ft_reader *r, const struct pcap_pkthdr *h, struct ft_pkt *p)
{
	uint32_t prefix;

	if (ft_user0_parse(p->data, p->caplen, p) < 0) {
		snprintf(r->err, sizeof(r->err),
			 "record %llu: bad user0 prefix (%u bytes captured)",
			 (unsigned long long)r->n, h->caplen);
		return FT_ECORRUPT;
	}
	prefix = h->caplen - p->caplen;
	p->len = h->len >= prefix ? h->len - prefix : p->caplen;
	if (p->len < p->caplen)
		p->len = p->caplen;
	return 1;
}

FT_EXPORT int ft_reader_next(struct ft_reader *r, struct ft_pkt *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (r->failed)
		return FT_ECORRUPT;
	rc = pcap_next_ex(r->pcap, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		r->failed = true;
		snprintf(r->err, sizeof(r->err), "%s", pcap_geterr(r->pcap));
		return FT_ECORRUPT;
	}
	r->n++;
	memset(p, 0, sizeof(*p));
	p->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
	p->data = data;
	p->caplen = h->caplen;
	p->len = h->len < h->caplen ? h->caplen : h->len;
	p->dlt = r->dlt;
	p->path = FT_PATH_NONE;
	if (r->user0)
		return unwrap_user0(r, h, p);
	return 1;
}

FT_EXPORT int ft_reader_dlt(const struct ft_reader *r)
{
	return r->dlt;
}

FT_EXPORT uint32_t ft_reader_snaplen(const struct ft_reader *r)
{
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
	return pcap_major_version(r->pcap) == 1;
}

FT_EXPORT const char *ft_reader_error(const struct ft_reader *r)
{
	return r->err;
}

FT_EXPORT void ft_reader_close(struct ft_reader *r)
{
	if (!r)
		return;
	/* pcap_close() also closes the FILE (stdin too, as tcpdump does). */
	pcap_close(r->pcap);
	free(r->iobuf);
	free(r);
}
