/* SPDX-License-Identifier: BSD-2-Clause */
/* output_file.h - the output of `read -w` and `capture -w`, opened without
 * destroying anything: never the file being read, never truncated before
 * the command knows it will write. */
#ifndef FT_CLI_OUTPUT_FILE_H
#define FT_CLI_OUTPUT_FILE_H

#include <stdbool.h>

struct cli_output {
	const char *path; /* NULL: standard output */
	int fd;
	bool created; /* the file did not exist: remove it if nothing is written */
	bool regular; /* a regular file: truncated by cli_output_begin() */
	bool begun;
};

/*
 * cli_output_open - open @path ("-" or NULL: standard output) for writing,
 * without truncating it. @input is the file being read ("-": standard
 * input; NULL: none); an output that is the input (same device and inode,
 * through any link or symlink) is refused. Prints the reason on stderr.
 * Returns 0, 1 if the file cannot be opened, 2 if it is the input.
 */
int cli_output_open(struct cli_output *out, const char *path, const char *input);

/*
 * cli_output_begin - the command is about to write: empty an existing
 * regular file now (once). Returns 0 or -errno.
 */
int cli_output_begin(struct cli_output *out);

/*
 * cli_output_close - close the file. Success with nothing written empties
 * it; @failed before anything was written: a file this command created is
 * removed, one that existed is left as it was. Returns 0 or -errno from close().
 */
int cli_output_close(struct cli_output *out, bool failed);

#endif
