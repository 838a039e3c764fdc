/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_kdrops_ksyms.c - kernel drop locations: /proc/kallsyms text into a
 * sorted table, printed as pwru does ("ip_rcv_finish_core+0x1a"); data
 * symbols, zero addresses and malformed lines are left out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ksyms.h"

static struct ft_ksyms *load(const char *text, int want)
{
	struct ft_ksyms *k = NULL;
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	assert_int_equal(ft__ksyms_load(&k, f), want);
	fclose(f);
	return k;
}

static void test_lookup(void **state)
{
	/* Out of order, as module symbols are; a data symbol between two
	 * functions must not swallow the second one's offsets. */
	struct ft_ksyms *k = load("ffffffff81a00100 T nft_do_chain\t[nf_tables]\n"
				  "ffffffff81000000 T _stext\n"
				  "ffffffff81900000 t ip_rcv_finish_core\n"
				  "ffffffff81900080 d some_table\n"
				  "ffffffff81900200 W weak_fn\n"
				  "0000000000000000 T hidden_fn\n"
				  "garbage line\n"
				  "ffffffff81900100 X not_text\n",
				  0);
	char buf[64];
	assert_int_equal(ft__ksyms_count(k), 4);
	assert_string_equal(ft__ksyms_format(k, 0xffffffff8190001a, buf, sizeof(buf)),
			    "ip_rcv_finish_core+0x1a");
	assert_string_equal(ft__ksyms_format(k, 0xffffffff81900090, buf, sizeof(buf)),
			    "ip_rcv_finish_core+0x90");
	assert_string_equal(ft__ksyms_format(k, 0xffffffff81900200, buf, sizeof(buf)),
			    "weak_fn+0x0");
	assert_string_equal(ft__ksyms_format(k, 0xffffffff81a0046f, buf, sizeof(buf)),
			    "nft_do_chain+0x36f");
	/* Below every symbol: the bare address. */
	assert_string_equal(ft__ksyms_format(k, 0x1234, buf, sizeof(buf)), "0x1234");
	/* A short buffer truncates, never overruns. */
	char small[8];
	ft__ksyms_format(k, 0xffffffff8190001a, small, sizeof(small));
	assert_string_equal(small, "ip_rcv_");
	ft__ksyms_free(k);
}

static void test_hidden(void **state)
{
	/* kptr_restrict: every address reads as zero. */
	assert_null(load("0000000000000000 T _stext\n0000000000000000 t ip_rcv\n", -EPERM));
	assert_null(load("", -EPERM));
	char buf[32];
	assert_string_equal(ft__ksyms_format(NULL, 0xabc, buf, sizeof(buf)), "0xabc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_hidden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
