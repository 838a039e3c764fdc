/* SPDX-License-Identifier: BSD-2-Clause */
/* cap_local.h - flowtap capture's text and rotated files, made in the client
 * from the pcapng stream the datapath sends, with the reader and writers of
 * flowtap read: `flowtap capture FLAGS` prints what
 * `flowtap capture -w - --format pcapng | flowtap read -r - FLAGS` would. */
#ifndef FT_CLI_CAP_LOCAL_H
#define FT_CLI_CAP_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtap/writer.h>

#include "anon_cli.h"
#include "tdopts.h"

struct cap_local_opts {
	const struct td_opts *td; /* text flags, -C/-G/-W, -w FILE, -l/-U */
	enum ft_format format;	  /* of the output: text, or the files' */
	ft_output_fn out;	  /* the output without rotation, and its */
	void *out_ctx;		  /* argument */
	struct cli_anon *anon;	  /* --anonymize/--headers-only, or NULL */
};

struct cap_local;

/* cap_local_new - Returns 0 or -ENOMEM. */
int cap_local_new(struct cap_local **out, const struct cap_local_opts *o);

/*
 * cap_local_block - one whole pcapng block of the stream (@n bytes at @p,
 * big-endian if @swapped). A packet block is printed or written at once
 * (into the writer's buffer). Returns 1 if it was a packet that was output,
 * 0 for any other block or a packet left out (a link type --anonymize
 * cannot rewrite), 2 when -G with -W has written its last file (the
 * capture must stop), or a negative error: -EPROTO for a stream the reader
 * refuses (cap_local_error() says why), else -errno of the output.
 */
int cap_local_block(struct cap_local *l, const uint8_t *p, size_t n, bool swapped);

/* cap_local_flush - write out what the writer holds. Returns 0 or -errno. */
int cap_local_flush(struct cap_local *l);

/* cap_local_finish - flush and close the output files. Returns 0 or -errno. */
int cap_local_finish(struct cap_local *l);

/* The name of the file being written (for messages), or NULL. */
const char *cap_local_outname(const struct cap_local *l);
/* Why the stream was refused. */
const char *cap_local_error(const struct cap_local *l);

void cap_local_free(struct cap_local *l);

#endif
