/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: text writer: ft_text_format() lines into the writer's buffer. */
#include <errno.h>
#include <string.h>

#include <flowtap/text.h>

#include "writer_int.h"

static size_t max_record(const struct ft_writer_opts *o, uint32_t snaplen)
{
	/* Sized from the packet, not FT_TEXT_MAX: the dumps of a packet over
	 * 64 KiB are larger than that, and nothing may be cut. */
	return ft_text_size_max(snaplen, o->text.flags);
}

/* Relative TCP sequence numbers and -ttt deltas need memory across
 * packets: the writer keeps one state unless the caller passed its own. */
static int init(struct ft_writer *w)
{
	struct ft_text_state *st = NULL;
	int ret;

	if (w->o.text.state)
		return 0;
	ret = ft_text_state_new(&st, 0);
	if (ret < 0)
		return ret;
	w->priv = st;
	return 0;
}

static void fini(struct ft_writer *w)
{
	ft_text_state_free(w->priv);
	w->priv = NULL;
}

static int header(struct ft_writer *w)
{
	return 0; /* text has no header */
}

/* Formats straight into the output buffer: no copy, no allocation. */
static int packet(struct ft_writer *w, const struct ft_pkt *pk, uint32_t caplen)
{
	struct ft_text_opts o = w->o.text;
	struct ft_pkt p = *pk;
	struct ft_strbuf sb;
	size_t room = ft_text_size_max(caplen, o.flags);
	uint8_t *dst = ft__writer_reserve(w, room);

	if (!dst)
		return w->err;
	if (!o.state)
		o.state = w->priv;
	if (!o.peers)
		o.peers = w->peers;
	if (!o.path_name) {
		o.path_name = w->o.path_name;
		o.path_ctx = w->o.path_ctx;
	}
	p.caplen = caplen;
	p.dlt = w->o.dlt;
	sb.p = (char *)dst;
	sb.len = 0;
	sb.cap = room;
	sb.overflow = false;
	ft_text_format(&p, &o, &sb);
	w->len += sb.len;
	/* Cannot happen (fuzz_text checks the bound); never cut silently. */
	return sb.overflow ? -E2BIG : 0;
}

const struct ft__writer_ops ft__writer_text_ops = {
    .max_record = max_record,
    .init = init,
    .fini = fini,
    .header = header,
    .packet = packet,
};
