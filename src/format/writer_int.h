/* SPDX-License-Identifier: BSD-2-Clause */
/* writer_int.h - what the per-format writers share with the dispatcher. */
#ifndef FT_WRITER_INT_H
#define FT_WRITER_INT_H

#include <flowtap/writer.h>

#include "writer_direct.h" /* ft__pcap_put_rec() */

struct ft_writer;

/*
 * One output format. Each callback appends to the writer's buffer through
 * ft__writer_reserve(); none of them does I/O itself.
 */
struct ft__writer_ops {
	/* Largest single reservation a packet needs at @snaplen. */
	size_t (*max_record)(const struct ft_writer_opts *o, uint32_t snaplen);
	int (*init)(struct ft_writer *w);  /* optional: per-format state */
	void (*fini)(struct ft_writer *w); /* optional */
	int (*header)(struct ft_writer *w);
	/* @caplen is already cut to the snaplen. */
	int (*packet)(struct ft_writer *w, const struct ft_pkt *p, uint32_t caplen);
	int (*finish)(struct ft_writer *w, const struct ft_writer_isb *isb); /* optional */
	void (*peers_changed)(struct ft_writer *w); /* optional: w->peers was replaced */
};

struct ft_writer {
	struct ft_writer_opts o;
	const struct ft__writer_ops *ops;
	ft_output_fn fn;
	void *ctx;
	uint8_t *buf;
	size_t len, cap;
	size_t chunk; /* hand the buffer out once it holds this much */
	uint32_t snaplen;
	int err;		/* sticky output error */
	bool started;		/* header written */
	bool finished;		/* ft_writer_finish() ran */
	void *priv;		/* per-format state */
	struct ft_peers *peers; /* names the packets' ends; a reference, or NULL */
	char *comment;		/* o.comment, copied */
};

extern const struct ft__writer_ops ft__writer_pcap_ops;
extern const struct ft__writer_ops ft__writer_pcapng_ops;
extern const struct ft__writer_ops ft__writer_user0_ops;
extern const struct ft__writer_ops ft__writer_text_ops;

/*
 * ft__writer_reserve - room for @n bytes at the end of the buffer, flushing
 * it first if needed. The caller fills the bytes and adds @n to w->len.
 * Returns NULL with w->err set on an output error, or with -E2BIG if @n
 * exceeds what the writer was sized for.
 */
uint8_t *ft__writer_reserve(struct ft_writer *w, size_t n);

/* ft__writer_path_name - name of @path for interfaces and text ("path-N" if
 * unknown, formatted into @buf of at least 16 bytes). */
const char *ft__writer_path_name(const struct ft_writer *w, unsigned path, char *buf, size_t len);

static inline uint8_t *ft__put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static inline uint8_t *ft__put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

static inline uint8_t *ft__put_le64(uint8_t *p, uint64_t v)
{
	ft__put_le32(p, (uint32_t)v);
	return ft__put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ft__pcap_put_header - the 24-byte little-endian classic pcap header. */
uint8_t *ft__pcap_put_header(uint8_t *p, uint32_t magic, uint32_t snaplen, uint32_t linktype);

#endif
