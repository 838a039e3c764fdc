/* flows_int.h - internals shared by the files of src/flows. */
#ifndef FT_FLOWS_INT_H
#define FT_FLOWS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <flowtap/flows.h>

#include "clock.h"

/* One classified connection of a window, as handed to structured sinks. */
struct ft__flowent {
	struct ft_flow_stat s;
	uint8_t cls; /* enum ft_flow_class */
};

/* A window's worth of classified entries, sorted by class. */
struct ft__window {
	uint64_t start_ns;
	uint64_t end_ns;
	const struct ft__flowent *ents;
	size_t n;
};

/*
 * A sink. emit_json gets every JSON message (NUL-terminated, no newline);
 * emit_window gets the structured entries of the window once, after its
 * JSON messages. Both are called with the logger's sink lock held, in
 * order, from one thread at a time. close frees the sink.
 */
struct ft__sink {
	int id;
	int (*start)(struct ft__sink *s); /* optional; after registration */
	void (*emit_json)(struct ft__sink *s, const char *json, size_t len);
	void (*emit_window)(struct ft__sink *s, const struct ft__window *w);
	void (*close)(struct ft__sink *s);
	/* optional; told the format once it is chosen (before any emit) */
	void (*set_format)(struct ft__sink *s, enum ft_flow_format f);
	uint8_t format; /* enum ft_flow_format: what emit_json receives */
	struct ft_flowlog *log;
	struct ft__sink *next;
};

/* Registers @s with @l (takes ownership); returns its id or -errno. */
int ft__flowlog_add_sink(struct ft_flowlog *l, struct ft__sink *s);

/* Sends a notice through @l's log callback, printf-style. */
void ft__flowlog_logf(struct ft_flowlog *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds to one of @l's stats counters (offsetof a field of ft_flowlog_stats). */
void ft__flowlog_count(struct ft_flowlog *l, size_t field_off, uint64_t n);
#define FT__COUNT(l, field, n) ft__flowlog_count((l), offsetof(struct ft_flowlog_stats, field), (n))

/* Sink constructors (sink_*.c). */
int ft__sink_file_new(struct ft__sink **out, const char *path);
int ft__sink_http_new(struct ft__sink **out, const char *url, const char *spool_dir,
		      const struct ft_http_sink_opts *opts);
int ft__sink_ipfix_new(struct ft__sink **out, const char *hostport,
		       const struct ft_ipfix_sink_opts *o);

/*
 * JSON message building (msg.c). Calls @emit for each message of the
 * window (entries sorted by class), splitting so that none exceeds @max
 * bytes; @nents is the number of entries in the message (the next ones of
 * the window, in order). @next_id fills the "id" value for each message (no quotes).
 * Returns the number of messages or -ENOMEM.
 */
typedef void (*ft__msg_emit_fn)(void *ctx, const char *json, size_t len, size_t nents);
typedef void (*ft__msg_id_fn)(void *ctx, char *buf, size_t len);
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

/* @text (NUL-terminated) becomes the logger's HTTP error for status, set
 * by sink @id; "" clears it if @id set it. */
void ft__flowlog_set_http_error(struct ft_flowlog *l, int id, const char *text);

/* JSON string body of @s (quotes not included); @buf has 6*strlen+1 bytes. */
size_t ft__json_escape(const char *s, char *buf);

/* Formats @ns as RFC 3339 UTC with 9 fractional digits; @buf >= 32 bytes. */
size_t ft__fmt_time(uint64_t ns, char *buf);

/* Formats "addr:port" or "[addr]:port"; @buf >= 56 bytes. */
size_t ft__fmt_addrport(const struct ft_addr *a, uint16_t port, char *buf);

#endif
