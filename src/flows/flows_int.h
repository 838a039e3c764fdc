/* SPDX-License-Identifier: BSD-2-Clause */
/* flows_int.h - internals shared by the files of src/flows. */
#ifndef FT_FLOWS_INT_H
#define FT_FLOWS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <flowtap/flows.h>
#include <flowtap/peers.h>
#include <flowtap/tap.h>

#include "sink.h"

/* Adds @s's drops to @d: counts summed, the reason and direction of a
 * connection's latest drop kept (either side's, when both dropped). */
static inline void ft__flow_counts_add_drops(struct ft_flow_counts *d,
					     const struct ft_flow_counts *s)
{
	d->drop_pkts += s->drop_pkts;
	d->drop_bytes += s->drop_bytes;
	if (s->drop_reason) {
		d->drop_reason = s->drop_reason;
		d->drop_dir = s->drop_dir;
	}
}

/* Registers @s with @l (takes ownership); returns its id or -errno. */
int ft__flowlog_add_sink(struct ft_flowlog *l, struct ft__sink *s);

/* Sends a notice through @l's log callback, printf-style. */
void ft__flowlog_logf(struct ft_flowlog *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * JSON message building (msg.c). Calls @emit for each message of the
 * window (entries sorted by class), splitting so that none exceeds @max
 * bytes; @nents is the number of entries in the message (the next ones of
 * the window, in order). @next_id fills the "id" value for each message (no quotes).
 * Returns the number of messages or -ENOMEM.
 */
typedef void (*ft__msg_emit_fn)(void *ctx, const char *json, size_t len, size_t nents);
typedef void (*ft__msg_id_fn)(void *ctx, char *buf, size_t len);
/* srcNode and dstNodes of a message (msg_nodes.c); all no-ops without a
 * table. Bytes are bounded by the rendered nodes, so the builder can keep
 * a message under its size bound. */
struct ft__msg_nodes {
	const struct ft_peers *p;
	char **json;   /* per node index, rendered on first use */
	uint8_t *seen; /* per node index: in the current message */
	size_t *order; /* node indexes of the current message, as seen */
	size_t nseen;
	size_t tail;	 /* bytes of the current message's dstNodes entries */
	char *self_json; /* srcNode */
};
int ft__msg_nodes_init(struct ft__msg_nodes *m, const struct ft_peers *p);
void ft__msg_nodes_fini(struct ft__msg_nodes *m);
/* Bytes the nodes of @k not yet in the message would add. */
size_t ft__msg_nodes_need(struct ft__msg_nodes *m, const struct ft_flow_key *k);
void ft__msg_nodes_add(struct ft__msg_nodes *m, const struct ft_flow_key *k);
/* Bytes ft__msg_nodes_put() writes for the current message (at most). */
size_t ft__msg_nodes_tail(const struct ft__msg_nodes *m);
char *ft__msg_nodes_put(struct ft__msg_nodes *m, char *p);
void ft__msg_nodes_reset(struct ft__msg_nodes *m);

/* The nodes made stale by ft_flowlog_set_stale() during the current window
 * (stale.c), sorted by id; a node turned healthy stays until the window is
 * taken. At most FT_FLOWLOG_STALE_MAX entries (more are only counted). */
struct ft__stale_ent {
	char *id;
	uint32_t events; /* times it turned stale in the window */
	bool stale;	 /* stale now */
};
struct ft__stale {
	pthread_mutex_t mu;
	struct ft__stale_ent *v;
	size_t n;
	uint64_t omitted;
};
/* The most nodes a message lists in "staleNodes"; the rest are counted in
 * "staleNodesOmitted", which keeps the first message near its size bound. */
#define FT_FLOWLOG_STALE_LIST 1024
void ft__stale_init(struct ft__stale *s);
void ft__stale_fini(struct ft__stale *s);
/* Replaces the set of nodes stale now (ft_flowlog_set_stale()'s returns). */
int ft__stale_set(struct ft__stale *s, const char *const *ids, size_t n);
/* ,"staleNodes":[...] of the window ending now (malloc'd; NULL if none or
 * no memory), and starts the next window. */
char *ft__stale_take(struct ft__stale *s);

int ft__msg_build(const struct ft__window *w, const char *node_id, size_t max,
		  ft__msg_id_fn next_id, ft__msg_emit_fn emit, void *ctx);

/* A growing text buffer for records. */
struct ft__recbuf {
	char *buf;
	size_t len;
	size_t cap;
};

/*
 * Records (records.c): the @n entries of @w from @first, the message
 * @msg_id's, as lines separated by '\n' (no trailing newline) in @b.
 * @node_esc is the node id JSON-escaped. Returns 0 or -ENOMEM.
 */
int ft__records_build(struct ft__recbuf *b, const struct ft__window *w, size_t first, size_t n,
		      const char *msg_id, const char *node_esc);

/* JSON string body of @s (quotes not included); @buf has 6*strlen+1 bytes. */
size_t ft__json_escape(const char *s, char *buf);

/* Formats @ns as RFC 3339 UTC with 9 fractional digits; @buf >= 32 bytes. */
size_t ft__fmt_time(uint64_t ns, char *buf);

/* Formats "addr:port" or "[addr]:port"; @buf >= 56 bytes. */
size_t ft__fmt_addrport(const struct ft_addr *a, uint16_t port, char *buf);

#endif
