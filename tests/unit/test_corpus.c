/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every capture in $FT_SHARED/corpus/tcpdump (tcpdump's own regression
 * captures, many deliberately truncated or malformed) is opened with libpcap
 * and each packet formatted with default, -v, -x, -A and every time mode,
 * then again cut to a few tiny capture lengths. Run under ASan+UBSan (make
 * asan) this catches any out-of-bounds read; here it also checks that every
 * packet gives exactly one summary line.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include <flowtap/text.h>

/* Room for the largest packet libpcap reads, with every dump. */
#define BUF_MAX (8u << 20)
static char buf[BUF_MAX];
static char dir[4096];

static size_t count_lines(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* Formats @p with @flags into buf, given exactly the room that
 * ft_text_size_max() promises is enough; returns the text length. */
static size_t fmt(const struct ft_pkt *p, unsigned flags, enum ft_time_mode tm)
{
	struct ft_text_opts o = {flags, tm, NULL, NULL, NULL, NULL};
	size_t cap = ft_text_size_max(p->caplen, flags);
	struct ft_strbuf sb = {buf, 0, cap, false};
	assert_true(cap <= BUF_MAX);
	size_t n = ft_text_format(p, &o, &sb);
	assert_false(sb.overflow);
	assert_true(n < cap);
	return n;
}

static void one_packet(const char *file, const struct ft_pkt *p)
{
	static const uint32_t cuts[] = {0, 1, 4, 13, 14, 17, 20, 33, 34, 40, 54, 60};
	size_t n = fmt(p, 0, FT_TIME_LOCAL);

	if (count_lines(buf, n) != 1 || buf[n - 1] != '\n') {
		fprintf(stderr, "%s: not one line: %.*s\n", file, (int)n, buf);
		fail();
	}
	fmt(p, FT_TEXT_VERBOSE, FT_TIME_UTC);
	fmt(p, FT_TEXT_HEX, FT_TIME_DATE);
	fmt(p, FT_TEXT_ASCII | FT_TEXT_VERBOSE, FT_TIME_DATE_UTC);
	fmt(p, FT_TEXT_HEX | FT_TEXT_ASCII, FT_TIME_NONE);

	/* The same packet cut short, in an exact-size heap copy so that ASan
	 * flags a read of even one byte too many. */
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (cuts[i] >= p->caplen)
			break;
		struct ft_pkt c = *p;
		uint8_t *d = malloc(cuts[i] ? cuts[i] : 1);
		assert_non_null(d);
		memcpy(d, p->data, cuts[i]);
		c.data = d;
		c.caplen = cuts[i];
		/* One summary line; -v may continue it on indented lines, as
		 * tcpdump -v does. */
		n = fmt(&c, 0, FT_TIME_NONE);
		assert_int_equal(count_lines(buf, n), 1);
		fmt(&c, FT_TEXT_VERBOSE, FT_TIME_NONE);
		fmt(&c, FT_TEXT_HEX | FT_TEXT_ASCII, FT_TIME_NONE);
		free(d);
	}
}

/* Returns the number of packets formatted, or -1 if libpcap refused the file. */
static long one_file(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	long n = 0;
	pcap_t *pc = pcap_open_offline(path, err);

	if (!pc)
		return -1;
	int dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct ft_pkt p = {0};
		/* A heap copy of exactly caplen bytes (libpcap's buffer is larger). */
		uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
		assert_non_null(copy);
		memcpy(copy, data, h->caplen);
		p.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u;
		p.data = copy;
		p.caplen = h->caplen;
		p.len = h->len;
		p.dlt = dlt;
		p.path = FT_PATH_NONE;
		one_packet(path, &p);
		free(copy);
		n++;
	}
	pcap_close(pc);
	return n;
}

static void test_corpus(void **state)
{
	struct dirent **ents;
	long files = 0, refused = 0, packets = 0;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0) {
		printf("SKIP: corpus %s is absent\n", dir);
		skip();
	}
	for (int i = 0; i < n; i++) {
		char path[8192];
		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			long k = one_file(path);
			if (k < 0) {
				refused++;
			} else {
				files++;
				packets += k;
			}
		}
		free(ents[i]);
	}
	free(ents);
	printf("corpus: %ld files, %ld packets formatted; %ld files libpcap cannot open\n", files,
	       packets, refused);
	assert_true(files > 0);
	assert_true(packets > 0);
}

int main(void)
{
	const char *shared = getenv("FT_SHARED");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	};

	snprintf(dir, sizeof(dir), "%s/corpus/tcpdump", shared ? shared : FT_SRCDIR "/../shared");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
