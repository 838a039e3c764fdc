/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ksyms.c - /proc/kallsyms into a sorted table. Names live in one arena so
 * the table is two allocations whatever the symbol count (~120k here).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset into the arena */
};

struct ft_ksyms {
	struct ksym *v;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* One "ADDR TYPE NAME [module]" line: text symbols only (t, T, w, W). */
static int add_line(struct ft_ksyms *k, const char *line)
{
	char *end;
	uint64_t addr = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return 0;
	char t = end[1];
	if (t != 't' && t != 'T' && t != 'w' && t != 'W')
		return 0;
	const char *name = end + 3;
	size_t l = strcspn(name, " \t\n");
	if (!l || addr == 0)
		return 0;
	if (grow((void **)&k->v, &k->cap, k->n + 1, sizeof(*k->v)) < 0 ||
	    grow((void **)&k->names, &k->ncap, k->nlen + l + 1, 1) < 0)
		return -ENOMEM;
	memcpy(k->names + k->nlen, name, l);
	k->names[k->nlen + l] = 0;
	k->v[k->n++] = (struct ksym){addr, (uint32_t)k->nlen};
	k->nlen += l + 1;
	return 0;
}

int ft__ksyms_load(struct ft_ksyms **out, FILE *f)
{
	struct ft_ksyms *k = calloc(1, sizeof(*k));
	char line[512];
	int ret = -ENOMEM;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	while (fgets(line, sizeof(line), f))
		if ((ret = add_line(k, line)) < 0)
			goto fail;
	if (k->n == 0) {
		/* Every address read as zero: kptr_restrict hides them from us. */
		ret = -EPERM;
		goto fail;
	}
	qsort(k->v, k->n, sizeof(*k->v), cmp_ksym);
	*out = k;
	return 0;
fail:
	ft__ksyms_free(k);
	return ret;
}

const char *ft__ksyms_format(const struct ft_ksyms *k, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = k ? k->n : 0;

	/* The last symbol at or below @addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, k->names + k->v[lo - 1].name,
			 addr - k->v[lo - 1].addr);
	return buf;
}

size_t ft__ksyms_count(const struct ft_ksyms *k)
{
	return k ? k->n : 0;
}

void ft__ksyms_free(struct ft_ksyms *k)
{
	if (!k)
		return;
	free(k->v);
	free(k->names);
	free(k);
}
