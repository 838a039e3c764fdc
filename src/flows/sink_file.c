/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flow-log sink: JSON lines appended to a file or standard output. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include "sink.h"

struct sink_file {
	struct ft__sink base;
	int fd;
	bool own;
	char *path;
};

static void file_emit(struct ft__sink *s, const char *json, size_t len)
{
	struct sink_file *f = (struct sink_file *)s;
	struct iovec iov[2] = {{(void *)json, len}, {(void *)"\n", 1}};
	size_t total = len + 1;
	/* One writev per message keeps lines whole with O_APPEND; short writes
	 * (pipes, signals) are finished off. */
	while (total) {
		ssize_t n = writev(f->fd, iov, 2);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ft__sink_logf(s, LOG_ERR, "flow log: cannot write to '%s': %s", f->path,
				      strerror(errno));
			return;
		}
		total -= (size_t)n;
		for (int i = 0; i < 2 && n; i++) {
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= (ssize_t)k;
		}
	}
}

static void file_close(struct ft__sink *s)
{
	struct sink_file *f = (struct sink_file *)s;
	if (f->own)
		close(f->fd);
	free(f->path);
	free(f);
}

int ft__sink_file_new(struct ft__sink **out, const char *path)
{
	struct sink_file *f;
	if (!path || !*path)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->path = strdup(path);
	if (!f->path) {
		free(f);
		return -ENOMEM;
	}
	if (!strcmp(path, "-")) {
		f->fd = STDOUT_FILENO;
	} else {
		f->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (f->fd < 0) {
			int err = -errno;
			free(f->path);
			free(f);
			return err;
		}
		f->own = true;
	}
	f->base.emit_json = file_emit;
	f->base.close = file_close;
	*out = &f->base;
	return 0;
}
