/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: capture writers: format names, buffering and dispatch to a format. */
#include <errno.h>
#include <limits.h>
#include <pcap/dlt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <flowtap/peers.h>
#include <flowtap/writer.h>

#include "iov.h"
#include "user0.h"
#include "writer_direct.h"
#include "writer_int.h"

#define DEFAULT_BUFSIZE (256 * 1024)
#define MIN_BUFSIZE	4096
#define DEFAULT_SNAPLEN 262144
#define USER0_SNAPLEN	65535

static const struct {
	const char *name;
	const char *content_type;
	const struct ft__writer_ops *ops;
} formats[] = {
    [FT_FORMAT_PCAP] = {"pcap", "application/vnd.tcpdump.pcap", &ft__writer_pcap_ops},
    [FT_FORMAT_PCAP_NS] = {"pcap-ns", "application/vnd.tcpdump.pcap", &ft__writer_pcap_ops},
    [FT_FORMAT_PCAPNG] = {"pcapng", "application/x-pcapng", &ft__writer_pcapng_ops},
    [FT_FORMAT_USER0] = {"user0", "application/vnd.tcpdump.pcap", &ft__writer_user0_ops},
    [FT_FORMAT_TEXT] = {"text", "text/plain; charset=utf-8", &ft__writer_text_ops},
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

FT_EXPORT int ft_format_parse(const char *s, enum ft_format *out)
{
	for (size_t i = 0; s && i < NFORMATS; i++) {
		if (!strcmp(s, formats[i].name)) {
			*out = (enum ft_format)i;
			return 0;
		}
	}
	return FT_EFORMAT;
}

FT_EXPORT const char *ft_format_name(enum ft_format f)
{
	return (unsigned)f < NFORMATS ? formats[f].name : "unknown";
}

FT_EXPORT const char *ft_format_content_type(enum ft_format f)
{
	return (unsigned)f < NFORMATS ? formats[f].content_type : "application/octet-stream";
}

FT_EXPORT int ft_output_fd(void *ctx, const void *data, size_t len)
{
	struct iovec iov = {(void *)data, len};

	return len ? ft__output_fdv((int)(intptr_t)ctx, &iov, 1) : 0;
}

const char *ft__writer_path_name(const struct ft_writer *w, unsigned path, char *buf, size_t len)
{
	const char *n = w->o.path_name ? w->o.path_name(w->o.path_ctx, path) : NULL;

	if (!n)
		n = ft_path_builtin_name(path);
	if (n)
		return n;
	snprintf(buf, len, "path-%u", path);
	return buf;
}

static int check_opts(const struct ft_writer_opts *o)
{
	if ((unsigned)o->format >= NFORMATS)
		return FT_EFORMAT;
	if (o->snaplen > DEFAULT_SNAPLEN)
		return -EINVAL;
	if (o->format == FT_FORMAT_USER0 &&
	    (o->dlt != DLT_RAW || (o->snaplen && o->snaplen < FT__USER0_PREFIX_MAX)))
		return -EINVAL;
	return 0;
}

FT_EXPORT int ft_writer_new(struct ft_writer **out, const struct ft_writer_opts *o, ft_output_fn fn,
			    void *ctx)
{
	int ret;
	struct ft_writer *w;
	size_t bufsize;

	*out = NULL;
	ret = check_opts(o);
	if (ret < 0 || !fn)
		return ret < 0 ? ret : -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->o = *o;
	w->o.comment = NULL;
	if (o->comment && !(w->comment = strndup(o->comment, 4000))) {
		free(w);
		return -ENOMEM;
	}
	w->ops = formats[o->format].ops;
	w->fn = fn;
	w->ctx = ctx;
	w->snaplen = o->snaplen ? o->snaplen
				: (o->format == FT_FORMAT_USER0 ? USER0_SNAPLEN : DEFAULT_SNAPLEN);
	bufsize = o->bufsize ? o->bufsize : DEFAULT_BUFSIZE;
	if (bufsize < MIN_BUFSIZE)
		bufsize = MIN_BUFSIZE;
	/* Room for one largest record beyond the chunk size, so a chunk is
	 * handed out only when it is (almost) full. */
	w->chunk = bufsize;
	w->cap = bufsize + w->ops->max_record(&w->o, w->snaplen);
	ret = -ENOMEM;
	w->buf = malloc(w->cap);
	if (!w->buf)
		goto fail;
	if (w->ops->init && (ret = w->ops->init(w)) < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	free(w->buf);
	free(w->comment);
	free(w);
	return ret;
}

static int flush(struct ft_writer *w)
{
	int ret;

	if (w->err)
		return w->err;
	if (!w->len)
		return 0;
	ret = w->fn(w->ctx, w->buf, w->len);
	w->len = 0;
	if (ret < 0)
		w->err = ret;
	return ret < 0 ? ret : 0;
}

uint8_t *ft__writer_reserve(struct ft_writer *w, size_t n)
{
	if (w->cap - w->len < n && flush(w) < 0)
		return NULL;
	if (w->cap - w->len < n) {
		w->err = -E2BIG;
		return NULL;
	}
	return w->buf + w->len;
}

static int start(struct ft_writer *w)
{
	int ret;

	if (w->started)
		return 0;
	ret = w->ops->header(w);
	if (ret < 0)
		return ret;
	w->started = true;
	return 0;
}

int ft__writer_begin(struct ft_writer *w)
{
	if (w->err)
		return w->err;
	if (w->finished)
		return FT_ESTOPPED;
	return start(w);
}

FT_EXPORT int ft_writer_write(struct ft_writer *w, const struct ft_pkt *p)
{
	int ret;
	uint32_t caplen;

	if (w->err)
		return w->err;
	if (w->finished)
		return FT_ESTOPPED;
	ret = start(w);
	if (ret < 0)
		return ret;
	caplen = p->caplen < w->snaplen ? p->caplen : w->snaplen;
	ret = w->ops->packet(w, p, caplen);
	if (ret == 0 && w->len >= w->chunk)
		ret = flush(w);
	return ret;
}

FT_EXPORT int ft_writer_flush(struct ft_writer *w)
{
	return flush(w);
}

FT_EXPORT size_t ft_writer_pending(const struct ft_writer *w)
{
	return w->len;
}

FT_EXPORT int ft_writer_finish(struct ft_writer *w, const struct ft_writer_isb *isb)
{
	int ret;

	if (w->err)
		return w->err;
	if (w->finished)
		return 0;
	w->finished = true;
	ret = start(w);
	if (ret < 0)
		return ret;
	if (w->ops->finish && (ret = w->ops->finish(w, isb)) < 0)
		return ret;
	return flush(w);
}

FT_EXPORT void ft_writer_set_peers(struct ft_writer *w, struct ft_peers *p)
{
	if (p == w->peers)
		return;
	ft_peers_free(w->peers);
	w->peers = ft_peers_ref(p);
	if (w->ops->peers_changed)
		w->ops->peers_changed(w);
}

FT_EXPORT void ft_writer_free(struct ft_writer *w)
{
	if (!w)
		return;
	ft_peers_free(w->peers);
	if (w->ops->fini)
		w->ops->fini(w);
	free(w->buf);
	free(w->comment);
	free(w);
}
