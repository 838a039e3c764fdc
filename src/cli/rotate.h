/* SPDX-License-Identifier: BSD-2-Clause */
/* rotate.h - -w FILE with tcpdump's -C/-G/-W rotation, for flowtap read. */
#ifndef FT_CLI_ROTATE_H
#define FT_CLI_ROTATE_H

#include <limits.h>
#include <time.h>

#include <flowtap/writer.h>

struct rot {
	const char *base;    /* -w FILE (strftime pattern with -G) */
	const char *input;   /* -r FILE: never one of the output files */
	uint64_t size_limit; /* -C in bytes, 0: none */
	unsigned secs;	     /* -G, 0: none */
	unsigned count;	     /* -W, 0: none */
	int digits;	     /* width of the file number with -W */
	unsigned cflag_count, gflag_count;
	time_t period_start;
	int fd;
	uint64_t written; /* bytes handed to the current file */
	struct ft_writer_opts wo;
	struct ft_writer *w;
	char name[PATH_MAX];
};

/* Opens the first file. Returns 0, or 1 after a message. */
int rot_open(struct rot *r, const struct ft_writer_opts *wo);
/* Writes @p, rotating first if due. Returns 0, 1 when -G with -W reached
 * its file limit (the packet is not written), or -errno. */
int rot_write(struct rot *r, const struct ft_pkt *p);
/* Finishes and closes the current file. Returns 0 or -errno. */
int rot_close(struct rot *r);

#endif
