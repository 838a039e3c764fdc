/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * session_files.h - helpers of the tests that write sessions to files and
 * read them with real tools: run() a command and keep its output, and
 * start_file() a session writing @name under the test's directory. The
 * including file declares `static char dir[64]` first.
 */
#ifndef FT_TEST_SESSION_FILES_H
#define FT_TEST_SESSION_FILES_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>

#include <flowtap/capture.h>

static int run(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	if (!f)
		return -1;
	while (n + 1 < len && !feof(f)) {
		size_t r = fread(out + n, 1, len - 1 - n, f);
		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	return pclose(f);
}

/* A session with options @o (its output replaced) writing @name: to the
 * descriptor, or through @o->out if set, which gets the descriptor as its
 * context. */
static struct ft_session *start_file_opts(struct ft_tap *t, struct ft_session_opts *o,
					  const char *name, int *fd)
{
	struct ft_session *s;
	char path[128], err[FT_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(*fd >= 0);
	o->out_fd = *fd;
	o->out_ctx = (void *)(intptr_t)*fd;
	assert_int_equal(ft_session_start(&s, t, o, err, sizeof(err)), 0);
	return s;
}

static struct ft_session *start_file(struct ft_tap *t, enum ft_format fmt, const char *name,
				     int *fd)
{
	struct ft_session_opts o;
	ft_session_opts_init(&o);
	o.format = fmt;
	return start_file_opts(t, &o, name, fd);
}

#endif
