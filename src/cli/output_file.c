/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the output file of read -w and capture -w, opened safely.
 *
 * `flowtap read -r x.pcap -w x.pcap` used to truncate x.pcap while it was
 * being read: the capture was lost (and the reader died of SIGBUS). Now the
 * output is opened without O_TRUNC, refused if it is the input, and an
 * existing file is emptied only once everything else is ready: a bad
 * filter, a refused capture or an unreadable input leave it as it was.
 * Truncating in place (rather than writing a temporary file and renaming
 * it) keeps what tcpdump -w does for a long capture: the file is there,
 * under its name, while it grows, with its owner and mode kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output_file.h"

static bool is_stdio(const char *path)
{
	return !path || !strcmp(path, "-");
}

/* Whether @fd is the file @input names (or standard input for "-"). */
static bool same_as_input(int fd, const char *input)
{
	struct stat o, i;

	if (!input || fstat(fd, &o) < 0)
		return false;
	if (is_stdio(input) ? fstat(STDIN_FILENO, &i) < 0 : stat(input, &i) < 0)
		return false;
	/* Only files can be both; two ends of a pipe or a terminal can. */
	return S_ISREG(o.st_mode) && o.st_dev == i.st_dev && o.st_ino == i.st_ino;
}

int cli_output_open(struct cli_output *out, const char *path, const char *input)
{
	struct stat st;

	*out = (struct cli_output){.path = is_stdio(path) ? NULL : path, .fd = STDOUT_FILENO};
	if (out->path) {
		out->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		out->created = out->fd >= 0;
		if (out->fd < 0 && errno == EEXIST)
			out->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (out->fd < 0) {
			fprintf(stderr, "flowtap: cannot create '%s': %s\n", path, strerror(errno));
			return 1;
		}
	}
	if (same_as_input(out->fd, input)) {
		fprintf(stderr,
			"flowtap: cannot write to '%s': it is the input file '%s'; "
			"write to another file\n",
			out->path ? out->path : "standard output",
			is_stdio(input) ? "standard input" : input);
		if (out->path)
			close(out->fd);
		out->fd = -1;
		return 2;
	}
	out->regular = out->path && fstat(out->fd, &st) == 0 && S_ISREG(st.st_mode);
	return 0;
}

int cli_output_begin(struct cli_output *out)
{
	if (out->begun)
		return 0;
	out->begun = true;
	if (out->regular && !out->created && ftruncate(out->fd, 0) < 0)
		return -errno;
	return 0;
}

int cli_output_close(struct cli_output *out, bool failed)
{
	int ret = 0;

	if (!out->path || out->fd < 0)
		return 0;
	/* Success with nothing written: the file is empty, not the old one. */
	if (!failed)
		ret = cli_output_begin(out);
	if (close(out->fd) < 0 && !ret)
		ret = -errno;
	out->fd = -1;
	if (failed && out->created && !out->begun)
		unlink(out->path);
	return ret;
}
