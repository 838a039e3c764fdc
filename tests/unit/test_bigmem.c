/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: large buffers (bigmem.h): populated, in huge pages, any size. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <flowtap/tap.h>

#include "bigmem.h"
#include "recorder.h"
#include "tap_internal.h"

#if !FT_BIGMEM_HEAP
/* Copies into @out the value of @field in /proc/self/smaps for the mapping
 * holding @p (the rest of its line); false if not found. */
static bool smaps_field(const void *p, const char *field, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, found = false;
	size_t flen = strlen(field);

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		/* A mapping's first line: "lo-hi perms ..." (the fields'
		 * lines start with a name, never with "hex-"). */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && !strncmp(line, field, flen) && line[flen] == ':') {
			snprintf(out, outlen, "%s", line + flen + 1);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* "always", "madvise", "never", or "" where the kernel has no THP. */
static void thp_mode(char *out, size_t outlen)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "", *a, *b;

	out[0] = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && (a = strchr(line, '[')) && (b = strchr(a, ']'))) {
		*b = 0;
		snprintf(out, outlen, "%s", a + 1);
	}
	fclose(f);
}

/* @size bytes at @buf: all resident, 2 MiB aligned, asked for huge pages
 * (VmFlags "hg") and, unless the system says "never", given them. */
static void check_huge(const void *buf, size_t size, const char *what)
{
	unsigned char *vec = calloc(size / 4096, 1);
	char mode[32], flags[256] = "", huge[64] = "";
	size_t resident = 0;

	assert_non_null(vec);
	assert_int_equal((uintptr_t)buf % (2u << 20), 0);
	/* Populated: every page resident (mincore() looks at this range
	 * only, whatever mappings the kernel merged it with). */
	assert_int_equal(mincore((void *)buf, size, vec), 0);
	for (size_t i = 0; i < size / 4096; i++)
		resident += vec[i] & 1;
	free(vec);
	assert_int_equal(resident, size / 4096);
	thp_mode(mode, sizeof(mode));
	assert_true(smaps_field(buf, "VmFlags", flags, sizeof(flags)));
	assert_true(smaps_field(buf, "AnonHugePages", huge, sizeof(huge)));
	print_message("%s: THP \"%s\", AnonHugePages%s", what, mode, huge);
	if (mode[0]) {
		/* Asked for, whatever the mode: "hg" is MADV_HUGEPAGE. */
		assert_non_null(strstr(flags, " hg"));
		if (strcmp(mode, "never") != 0)
			assert_true(strtol(huge, NULL, 10) >= 4096);
	} else {
		print_message("no transparent huge pages in this kernel: not checked\n");
	}
}
#endif

/* Any size: rounded up to whole pages, zeroed, populated, and in huge pages
 * from 2 MiB on (a 64 MiB ring in 4 KiB pages made each packet's copy miss
 * the TLB). */
static void test_alloc(void **state)
{
	size_t size = (8u << 20) + 12345;
	uint8_t *buf = ft__bigmem_alloc(&size);

	assert_non_null(buf);
	assert_int_equal(size, (8u << 20) + (FT_BIGMEM_HEAP ? 12352 : 16384));
	assert_int_equal(buf[0] | buf[size - 1], 0);
#if FT_BIGMEM_HEAP
	print_message("skipped: under AddressSanitizer the memory comes from the heap\n");
#else
	check_huge(buf, 8u << 20, "8 MiB and 12345 bytes");
#endif
	buf[size - 1] = 1;
	ft__bigmem_free(buf, size);
	size = 100;
	buf = ft__bigmem_alloc(&size);
	assert_non_null(buf);
	assert_int_equal(size, FT_BIGMEM_HEAP ? 128 : 4096);
	buf[size - 1] = 1;
	ft__bigmem_free(buf, size);
	size = 0;
	assert_null(ft__bigmem_alloc(&size));
	size = SIZE_MAX - 100;
	assert_null(ft__bigmem_alloc(&size));
	size = SIZE_MAX - 8191; /* whole pages, but the alignment would wrap */
	assert_null(ft__bigmem_alloc(&size));
	ft__bigmem_free(NULL, 0);
}

/* The flight recorder's memory too: every producer thread writes its way
 * through all of it, as through a session's ring. */
static void test_recorder_memory(void **state)
{
	struct ft_recorder_opts o;
	struct ft_tap *tap;

	assert_int_equal(ft_tap_new(&tap, "bigmem"), 0);
	ft_recorder_opts_init(&o);
	o.max_bytes = 24u << 20;
	assert_int_equal(ft_tap_recorder_start(tap, &o), 0);
	struct ft_recorder *r = tap->rec;
	assert_non_null(r);
	assert_true(r->mem_mapped >= r->mem_size);
#if FT_BIGMEM_HEAP
	print_message("skipped: under AddressSanitizer the memory comes from the heap\n");
#else
	check_huge(r->mem, r->mem_size & ~(size_t)((2u << 20) - 1), "recorder of 24 MiB");
#endif
	ft_tap_free(tap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc),
	    cmocka_unit_test(test_recorder_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
