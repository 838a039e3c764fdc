/* SPDX-License-Identifier: BSD-2-Clause */
/* anon_cli.h - --anonymize KEYFILE and --headers-only for the commands that
 * write packets or flow logs. */
#ifndef FT_CLI_ANON_H
#define FT_CLI_ANON_H

#include <jansson.h>

#include <flowtap/anon.h>

struct cli_anon {
	const char *keyfile; /* --anonymize, NULL if not given */
	bool headers_only;   /* --headers-only */
	struct ft_anon *a;   /* NULL: packets are not mapped */
	uint8_t *buf;	     /* the rewritten packet */
	size_t cap;
};

/* Long options' help text, shared by read and capture. */
extern const char cli_anon_help[];

/*
 * cli_anon_open - load the key of --anonymize (if given) for command @who.
 * Returns 0, or 2 after a message naming the problem.
 */
int cli_anon_open(struct cli_anon *c, const char *who);

/* cli_anon_active - whether packets are rewritten at all. */
static inline bool cli_anon_active(const struct cli_anon *c)
{
	return c->a || c->headers_only;
}

/* cli_anon_check_dlt - 0, or 2 after a message if @dlt cannot be rewritten. */
int cli_anon_check_dlt(const struct cli_anon *c, int dlt, const char *who, const char *what);

/*
 * cli_anon_packet - rewrite @p: its bytes into c->buf (p->data then points
 * there) and its pre-NAT addresses. Returns 0, or -ENOMEM / FT_ELINKTYPE.
 */
int cli_anon_packet(struct cli_anon *c, struct ft_pkt *p);

void cli_anon_free(struct cli_anon *c);

/* The state of a pcap or pcapng stream rewritten record by record. */
struct cli_anon_stream {
	struct cli_anon *c;
	int linktype;  /* pcap: the header's */
	int ng_lt[64]; /* pcapng: each interface's, -1 beyond */
	unsigned ng_n; /* interfaces seen since the section header */
	bool warned;   /* about a link type left out */
};

/*
 * cli_anon_unit - rewrite one whole pcap unit (@header: the file header) or
 * pcapng block at @p (@n bytes, written big-endian if @swapped) in place.
 * Returns its new length: @n, less when packet bytes were cut, 0 when the
 * unit must be left out (a packet of a link type that cannot be rewritten,
 * a Name Resolution Block, whose addresses would undo the mapping).
 */
size_t cli_anon_unit(struct cli_anon_stream *s, uint8_t *p, size_t n, bool pcapng, bool header,
		     bool swapped);

/* cli_anon_json - map, in place, every address form in @j's strings (each
 * word that is ADDR, ADDR:PORT, [ADDR]:PORT or ADDR/BITS). */
void cli_anon_json(struct ft_anon *a, json_t *j);

int cmd_bundle_main(int argc, char **argv);

/* flowtap anonymize-key-new FILE and flowtap anonymize-addr KEYFILE ADDR... */
int cmd_anonymize_key_new_main(int argc, char **argv);
int cmd_anonymize_addr_main(int argc, char **argv);

#endif
