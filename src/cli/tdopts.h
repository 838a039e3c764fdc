/* SPDX-License-Identifier: BSD-2-Clause */
/* tdopts.h - tcpdump's short options, with tcpdump's meanings, shared by
 * flowtap read and flowtap capture. */
#ifndef FT_CLI_TDOPTS_H
#define FT_CLI_TDOPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include <flowtap/text.h>

enum td_cmd { TD_READ, TD_CAPTURE };

struct td_opts {
	enum td_cmd cmd;
	const char *rfile, *wfile, *ffile, *iface, *direction_q;
	char *expr;	  /* the filter: -F FILE's text or the remaining words */
	uint64_t count;	  /* -c, 0: all */
	uint32_t snaplen; /* -s (0 given means 262144), 0: not given */
	bool snaplen_set, list_taps;
	unsigned vflag, xflag, Xflag, Aflag, tflag;
	bool eflag, qflag, Sflag, numbers, line_buffered, packet_buffered;
	uint64_t file_size;	  /* -C, in bytes (tcpdump: millions of bytes) */
	unsigned rotate_secs;	  /* -G */
	unsigned file_count;	  /* -W */
	const char *old_duration; /* capture's -G without -w FILE: "stop after" */
};

/* A long option the command handles itself: td_parse() returns its val. */
typedef int (*td_long_fn)(void *ctx, int val, const char *arg);

/*
 * td_parse - parse @argv (tcpdump's short options, the command's @longopts
 * handled by @fn, options after the expression too). Returns 0, 1 after
 * --help (printed by @fn with val 'h'), or 2 after printing why the command
 * line is bad.
 */
int td_parse(struct td_opts *o, int argc, char **argv, const struct option *longopts, td_long_fn fn,
	     void *ctx);

/* The ft_text_opts flags and time mode the options ask for. */
unsigned td_text_flags(const struct td_opts *o);
enum ft_time_mode td_time_mode(const struct td_opts *o, bool utc, bool date);

/* The command's name for messages: "flowtap read" or "flowtap capture". */
const char *td_name(const struct td_opts *o);

/* Text for --help: the tcpdump options both commands share. */
extern const char td_help[];

#endif
