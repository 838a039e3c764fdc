/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_text - time ft_text_format() alone, without I/O: the packets of a
 * capture (the first MAX_PKTS, a working set that stays in cache as a
 * reader's freshly read packet does) are loaded into memory, then formatted
 * in a loop (default and -v text, local time), timed in CPU time so that other load on the machine
 * does not count. Prints `BENCH text_format_ns <v> ns/pkt` and
 * `BENCH text_format_v_ns <v> ns/pkt`.
 *
 * Usage: bench_text CAPTURE [MIN_SECONDS]
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flowtap/text.h>

#define MAX_PKTS 4096

struct rec {
	struct ft_pkt p;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(const struct rec *r, size_t n, unsigned flags, double min_s, size_t *sink)
{
	static char buf[1 << 20];
	struct ft_text_opts o = {flags, FT_TIME_LOCAL, NULL, NULL, NULL, NULL};
	size_t done = 0;
	double t0 = now(), t;

	do {
		struct ft_strbuf sb = {buf, 0, sizeof(buf), false};
		for (size_t i = 0; i < n; i++) {
			if (sb.cap - sb.len < 4096)
				sb.len = 0; /* like a writer flushing its buffer */
			ft_text_format(&r[i].p, &o, &sb);
		}
		*sink += sb.len;
		done += n;
		t = now() - t0;
	} while (t < min_s);
	return t * 1e9 / (double)done;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t n = 0, cap = 1024, sink = 0;
	double min_s = argc > 2 ? atof(argv[2]) : 1.0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_text CAPTURE [MIN_SECONDS]\n");
		return 2;
	}
	pcap_t *pc = pcap_open_offline(argv[1], err);
	if (!pc) {
		fprintf(stderr, "bench_text: cannot open '%s': %s\n", argv[1], err);
		return 1;
	}
	struct rec *r = malloc(cap * sizeof(*r));
	if (!r)
		return 1;
	while (n < MAX_PKTS && pcap_next_ex(pc, &h, &d) == 1) {
		if (n == cap) {
			struct rec *nr = realloc(r, (cap *= 2) * sizeof(*r));
			if (!nr)
				return 1;
			r = nr;
		}
		uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
		if (!copy)
			return 1;
		memcpy(copy, d, h->caplen);
		memset(&r[n].p, 0, sizeof(r[n].p));
		r[n].p.ts_ns =
		    (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u;
		r[n].p.data = copy;
		r[n].p.caplen = h->caplen;
		r[n].p.len = h->len;
		r[n].p.dlt = pcap_datalink(pc);
		r[n].p.path = FT_PATH_NONE;
		n++;
	}
	pcap_close(pc);
	if (!n) {
		fprintf(stderr, "bench_text: '%s' has no packets\n", argv[1]);
		return 1;
	}
	printf("BENCH text_format_ns %.1f ns/pkt\n", run(r, n, 0, min_s, &sink));
	printf("BENCH text_format_v_ns %.1f ns/pkt\n", run(r, n, FT_TEXT_VERBOSE, min_s, &sink));
	printf("BENCH text_format_packets %zu packets\n", n);
	for (size_t i = 0; i < n; i++)
		free((void *)r[i].p.data);
	free(r);
	return sink ? 0 : 1;
}
