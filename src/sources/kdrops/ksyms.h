/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ksyms.h - internal: kernel text symbols from /proc/kallsyms, loaded once
 * into a sorted table and looked up by binary search, to print a drop
 * location as pwru does ("ip_rcv_finish_core+0x1a").
 */
#ifndef FT_KSYMS_H
#define FT_KSYMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ft_ksyms;

/* ft__ksyms_load - read the symbols of @f (kallsyms text). Returns 0 or -errno;
 * -EPERM when every address reads as 0 (no CAP_SYSLOG / kptr_restrict). */
int ft__ksyms_load(struct ft_ksyms **out, FILE *f);

/* ft__ksyms_format - "sym+0xoff" of @addr into @buf, or "0xADDR" if no symbol
 * holds it. Returns @buf. */
const char *ft__ksyms_format(const struct ft_ksyms *k, uint64_t addr, char *buf, size_t len);

/* ft__ksyms_count - number of symbols loaded. */
size_t ft__ksyms_count(const struct ft_ksyms *k);

void ft__ksyms_free(struct ft_ksyms *k);

#endif
