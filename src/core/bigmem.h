/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bigmem.h - the capture core's large buffers (session rings, the flight
 * recorder): zeroed and populated when allocated, so that no hook takes a
 * page fault, and in huge pages where the system has them, so that a
 * producer writing its way through tens of megabytes does not miss the TLB
 * on every page.
 */
#ifndef FT_BIGMEM_H
#define FT_BIGMEM_H

#include <stddef.h>

/* Under AddressSanitizer the memory comes from the heap: ASan checks the
 * bounds of heap blocks, not of mappings, and its mmap hooks keep shadow
 * memory for every fresh mapping. Otherwise it is mapped (bigmem.c). */
#if defined(__SANITIZE_ADDRESS__)
#define FT_BIGMEM_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FT_BIGMEM_HEAP 1
#endif
#endif
#ifndef FT_BIGMEM_HEAP
#define FT_BIGMEM_HEAP 0
#endif

/*
 * ft__bigmem_alloc - at least *@size bytes, zeroed and populated, aligned
 * to 64 bytes (mapped: to a huge page from 2 MiB on); *@size is rounded up
 * to whole pages (under ASan to 64 bytes) and written back, for
 * ft__bigmem_free(). Not hot: it faults in every page. Returns NULL
 * without memory, for a size of 0 or one within 4 MiB of SIZE_MAX.
 */
void *ft__bigmem_alloc(size_t *size);

/* ft__bigmem_free - give back what ft__bigmem_alloc() returned, with the
 * size it wrote back. NULL is ignored. */
void ft__bigmem_free(void *p, size_t size);

#endif
