/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: --anonymize KEYFILE for flowtap's commands, and the commands
 * that make a key and map single addresses with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "anon_cli.h"

const char cli_anon_help[] =
    "  --anonymize KEYFILE map IPv4/IPv6 addresses with Crypto-PAn (prefix-\n"
    "                      preserving) under the 32-byte key in KEYFILE\n"
    "  --headers-only      keep headers up to the transport layer, cut payloads\n";

int cli_anon_open(struct cli_anon *c, const char *who)
{
	uint8_t key[FT_ANON_KEY_LEN];
	char err[FT_ERRBUF_SIZE];
	int ret;

	if (!c->keyfile)
		return 0;
	ret = ft_anon_key_load(c->keyfile, key, err);
	if (ret < 0) {
		fprintf(stderr, "%s: --anonymize: %s\n", who, err);
		return 2;
	}
	ret = ft_anon_new(&c->a, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret < 0) {
		fprintf(stderr, "%s: --anonymize: %s\n", who, ft_strerror(ret));
		return 1;
	}
	return 0;
}

int cli_anon_check_dlt(const struct cli_anon *c, int dlt, const char *who, const char *what)
{
	if (!cli_anon_active(c) || ft_anon_dlt_supported(dlt))
		return 0;
	fprintf(stderr,
		"%s: cannot anonymize '%s': link type %d is not supported (Ethernet, Linux "
		"SLL/SLL2, raw IP, NULL/LOOP and user0 are)\n",
		who, what, ft_dlt_to_linktype(dlt));
	return 2;
}

int cli_anon_packet(struct cli_anon *c, struct ft_pkt *p)
{
	int n;

	if (!cli_anon_active(c))
		return 0;
	if (p->caplen > c->cap) {
		uint8_t *b = realloc(c->buf, p->caplen);
		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->cap = p->caplen;
	}
	if (p->caplen)
		memcpy(c->buf, p->data, p->caplen);
	n = ft_anon_packet(c->a, c->buf, p->caplen, p->dlt,
			   c->headers_only ? FT_ANON_HEADERS_ONLY : 0);
	if (n < 0)
		return n;
	p->data = c->buf;
	p->caplen = (uint32_t)n;
	if (c->a) {
		ft_anon_addr(c->a, &p->nat_src);
		ft_anon_addr(c->a, &p->nat_dst);
	}
	return 0;
}

void cli_anon_free(struct cli_anon *c)
{
	ft_anon_free(c->a);
	c->a = NULL;
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}

int cmd_anonymize_key_new_main(int argc, char **argv)
{
	char err[FT_ERRBUF_SIZE];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: flowtap anonymize-key-new FILE\n\n"
		       "Write a fresh random Crypto-PAn key (64 hex digits) to FILE, mode 0600,\n"
		       "for --anonymize. An existing FILE is never replaced. See flowtap(1).\n");
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr,
			"flowtap anonymize-key-new: usage: flowtap anonymize-key-new FILE\n");
		return 2;
	}
	if (ft_anon_key_new(argv[1], err) < 0) {
		fprintf(stderr, "flowtap anonymize-key-new: %s\n", err);
		return 1;
	}
	return 0;
}

int cmd_anonymize_addr_main(int argc, char **argv)
{
	struct cli_anon c = {0};
	char buf[64];
	int ret = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: flowtap anonymize-addr KEYFILE ADDRESS...\n\n"
		       "Print each address as --anonymize KEYFILE maps it, to find a host\n"
		       "in an anonymized capture or flow log. See flowtap(1).\n");
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "flowtap anonymize-addr: usage: flowtap anonymize-addr KEYFILE "
				"ADDRESS...\n");
		return 2;
	}
	c.keyfile = argv[1];
	ret = cli_anon_open(&c, "flowtap anonymize-addr");
	for (int i = 2; !ret && i < argc; i++) {
		struct ft_addr x;
		if (ft_addr_parse(argv[i], &x) < 0) {
			fprintf(stderr, "flowtap anonymize-addr: '%s' is not an IP address\n",
				argv[i]);
			ret = 2;
			break;
		}
		ft_anon_addr(c.a, &x);
		printf("%s\n", ft_addr_format(&x, buf, sizeof(buf)));
	}
	cli_anon_free(&c);
	return ret;
}
