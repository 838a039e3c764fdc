/* \summary: text writer: ft_text_format() lines into the writer's buffer. */
#include <string.h>

#include <flowtap/text.h>

#include "writer_int.h"

static size_t max_record(const struct ft_writer_opts *o, uint32_t snaplen)
{
	/* The formatter never writes more than FT_TEXT_MAX for one packet. */
	return FT_TEXT_MAX;
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
	uint8_t *dst = ft__writer_reserve(w, FT_TEXT_MAX);

	if (!dst)
		return w->err;
	if (!o.path_name) {
		o.path_name = w->o.path_name;
		o.path_ctx = w->o.path_ctx;
	}
	p.caplen = caplen;
	p.dlt = w->o.dlt;
	sb.p = (char *)dst;
	sb.len = 0;
	sb.cap = FT_TEXT_MAX;
	sb.overflow = false;
	ft_text_format(&p, &o, &sb);
	w->len += sb.len;
	return 0;
}

const struct ft__writer_ops ft__writer_text_ops = {
    .max_record = max_record,
    .header = header,
    .packet = packet,
};
