/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: write pcap records with writev(2) where they lie (pcap_batch.h).
 *
 * Filtering a large capture into a file is bound by memory traffic: each
 * selected byte was copied into the writer's buffer and again into the page
 * cache. Here a record whose bytes in the input are already those the pcap
 * writer would produce (this host's byte order, same precision, not cut, original
 * length not below the captured one) goes to writev() as it lies; records
 * next to each other in the input share one iovec. Any other record gets a
 * header built as writer_pcap.c builds it, so the file is byte-identical.
 */
#include <errno.h>
#include <string.h>

#include "pcap_batch.h"
#include "writer_direct.h"

#define PCAP_RECLEN 16
/* Output leaves once this much is queued, so it streams as it is read. */
#define FLUSH_BYTES (4u << 20)

void ft__pcap_batch_init(struct ft__pcap_batch *b, int fd, bool nsec, uint32_t snaplen)
{
	memset(b, 0, offsetof(struct ft__pcap_batch, iov));
	b->fd = fd;
	b->nsec = nsec;
	b->snaplen = snaplen;
}

int ft__pcap_batch_flush(struct ft__pcap_batch *b)
{
	if (b->n && !b->err)
		b->err = ft__output_fdv(b->fd, b->iov, b->n);
	b->n = b->nhdr = 0;
	b->bytes = 0;
	return b->err;
}

static void push(struct ft__pcap_batch *b, const void *p, size_t len)
{
	struct iovec *last = b->n ? &b->iov[b->n - 1] : NULL;

	if (last && (const uint8_t *)last->iov_base + last->iov_len == (const uint8_t *)p) {
		last->iov_len += len;
	} else {
		b->iov[b->n].iov_base = (void *)p;
		b->iov[b->n].iov_len = len;
		b->n++;
	}
	b->bytes += len;
}

int ft__pcap_batch_add(struct ft__pcap_batch *b, const struct ft_pkt *p, const uint8_t *rec,
		       size_t reclen)
{
	uint32_t caplen = p->caplen < b->snaplen ? p->caplen : b->snaplen;
	uint8_t hdr[PCAP_RECLEN];

	if (b->err)
		return b->err;
	/* Room for a header and its data, each perhaps an iovec of its own. */
	if ((b->n + 2 > FT__PCAP_BATCH_IOV || b->nhdr == FT__PCAP_BATCH_IOV / 2 ||
	     b->bytes >= FLUSH_BYTES) &&
	    ft__pcap_batch_flush(b) < 0)
		return b->err;
	ft__pcap_put_rec(hdr, p->ts_ns, b->nsec, caplen, p->len);
	if (rec && reclen == PCAP_RECLEN + (size_t)caplen && rec + PCAP_RECLEN == p->data &&
	    !memcmp(rec, hdr, PCAP_RECLEN)) {
		push(b, rec, reclen);
		return 0;
	}
	memcpy(b->hdr[b->nhdr], hdr, PCAP_RECLEN);
	push(b, b->hdr[b->nhdr++], PCAP_RECLEN);
	push(b, p->data, caplen);
	return 0;
}
