/* SPDX-License-Identifier: BSD-2-Clause */
/* reader_ng.h - flowtap's own pcapng reader (see reader_pcapng.c). */
#ifndef FT_READER_NG_H
#define FT_READER_NG_H

#include <stdio.h>

#include <flowtap/common.h>

#define FT__PCAPNG_SHB 0x0a0d0d0au

struct ft__ng;

/* ft__ng_open - read a pcapng stream from @fp, whose first @npre bytes were
 * already consumed into @pre (at most 8), up to its first interface.
 * Returns 0, FT_ECORRUPT (message in @err) or -ENOMEM. Does not own @fp. */
int ft__ng_open(struct ft__ng **out, FILE *fp, const uint8_t *pre, size_t npre, char *err,
		size_t errlen);

/* ft__ng_next - the next packet; 1, 0 at the end, or FT_ECORRUPT (message in
 * @err). p->data stays valid until the next call. */
int ft__ng_next(struct ft__ng *g, struct ft_pkt *p, char *err, size_t errlen);

/* The interface name of a flowtap-written section for a path the file
 * numbers nowhere (a registered path: "disco"), or NULL. */
#define FT__NG_IFNAME_MAX 31
const char *ft__ng_ifname(const struct ft__ng *g, uint32_t ifid);

/* The last packet's "peers src NAME dst NAME" comment (@len bytes, not
 * NUL-terminated; valid until the next call), or NULL. */
const char *ft__ng_peers(const struct ft__ng *g, size_t *len);

int ft__ng_dlt(const struct ft__ng *g);
uint32_t ft__ng_snaplen(const struct ft__ng *g);
void ft__ng_close(struct ft__ng *g);

#endif
