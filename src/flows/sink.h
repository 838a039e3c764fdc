/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sink.h - the interface between the flow logger and its sinks.
 *
 * The logger (flowlog.c) depends on the sinks (it creates them and hands
 * them windows); a sink depends only on this interface: it reports notices,
 * counters and HTTP errors through the ft__sink_host the logger gave it at
 * registration, never by calling into the logger. So src/flows has no
 * include cycle: sink_*.c -> sink.h <- flowlog.c -> sink_*.c constructors.
 */
#ifndef FT_FLOWS_SINK_H
#define FT_FLOWS_SINK_H

#include <stddef.h>
#include <stdint.h>

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
	const struct ft_peers *peers; /* names the nodes (peers.h); NULL: none */
	const char *drops_json;	      /* ,"drops":{...} of the first message, or NULL */
	const char *stale_json;	      /* ,"staleNodes":[...] of the first message, or NULL */
};

/*
 * What a sink may ask of whoever runs it (the logger implements it). Each
 * function is thread-safe: sinks call them from their own threads too.
 */
struct ft__sink_host {
	/* A notice (already formatted) for the log callback. */
	void (*log)(struct ft__sink_host *h, int level, const char *msg);
	/* Adds @n to the stats counter at @field_off in struct ft_flowlog_stats. */
	void (*count)(struct ft__sink_host *h, size_t field_off, uint64_t n);
	/* @text becomes the HTTP error shown in status, set by sink @id; ""
	 * clears it if @id set it. */
	void (*http_error)(struct ft__sink_host *h, int id, const char *text);
};

/*
 * A sink. emit_json gets every JSON message (NUL-terminated, no newline);
 * emit_window gets the structured entries of the window once, after its
 * JSON messages. Both are called with the logger's sink lock held, in
 * order, from one thread at a time. close frees the sink. host and id are
 * set at registration, before start.
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
	struct ft__sink_host *host;
	struct ft__sink *next;
};

/* ft__sink_logf - a notice through @s's host, printf-style (no host: dropped). */
void ft__sink_logf(struct ft__sink *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void ft__sink_count(struct ft__sink *s, size_t field_off, uint64_t n)
{
	if (s->host)
		s->host->count(s->host, field_off, n);
}
#define FT__COUNT(s, field, n) ft__sink_count((s), offsetof(struct ft_flowlog_stats, field), (n))

static inline void ft__sink_http_error(struct ft__sink *s, const char *text)
{
	if (s->host)
		s->host->http_error(s->host, s->id, text);
}

/* Sink constructors (sink_*.c). */
int ft__sink_file_new(struct ft__sink **out, const char *path);
int ft__sink_http_new(struct ft__sink **out, const char *url, const char *spool_dir,
		      const struct ft_http_sink_opts *opts);
int ft__sink_ipfix_new(struct ft__sink **out, const char *hostport,
		       const struct ft_ipfix_sink_opts *o);

#endif
