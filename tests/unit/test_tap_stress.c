/*
 * Stress: 4 producer threads offer packets while sessions attach, detach and
 * stall in a loop. Every packet offered to a session must be accounted for
 * exactly once as written, dropped, discarded or filtered out, and each
 * written packet must reach the output once (checked by sequence number).
 * Run under TSan (make tsan) and ASan (make asan) in CI.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"

#define PRODUCERS 4
#define ROUNDS	  60
#define MAXSEQ	  (1u << 24)

static struct ft_tap *tap;
static _Atomic bool running = true;
static _Atomic uint32_t next_seq;

struct sink {
	uint8_t *seen; /* one byte per sequence number */
	uint64_t records, dups, bad;
	int stall_us; /* sleep per chunk: a slow client */
	size_t partial;
	bool header_done;
	uint8_t hold[16 + 256];
};

/* Parse pcap records straight from the stream (they may span chunks). */
static int sink_out(void *ctx, const void *data, size_t len)
{
	struct sink *k = ctx;
	const uint8_t *p = data;
	if (k->stall_us)
		usleep((useconds_t)k->stall_us);
	/* The first 24 bytes are the global header. */
	for (size_t i = 0; i < len; i++) {
		k->hold[k->partial++] = p[i];
		if (!k->header_done) {
			if (k->partial == 24) {
				k->header_done = true;
				k->partial = 0;
			}
			continue;
		}
		if (k->partial >= 16) {
			uint32_t cl;
			memcpy(&cl, k->hold + 8, 4);
			if (cl > 256) {
				k->bad++;
				k->partial = 0;
				continue;
			}
			if (k->partial == 16 + cl) {
				uint32_t seq;
				/* seq lives in the UDP payload, after 28 header bytes */
				memcpy(&seq, k->hold + 16 + 28, 4);
				if (seq >= MAXSEQ || k->seen[seq])
					k->dups++;
				else
					k->seen[seq] = 1;
				k->records++;
				k->partial = 0;
			}
		}
	}
	return 0;
}

static void *producer(void *arg)
{
	uint8_t pkt[128];
	uintptr_t id = (uintptr_t)arg;
	size_t n = tb_ip4(pkt, "100.64.0.1", "100.64.0.2", 17, (uint16_t)(1000 + id), 53, 16);
	struct ft_meta m = FT_META_INIT;
	while (atomic_load_explicit(&running, memory_order_relaxed)) {
		uint32_t seq = atomic_fetch_add(&next_seq, 1);
		if (seq >= MAXSEQ - 1)
			break;
		memcpy(pkt + 28, &seq, 4);
		if ((seq & 63) == 0)
			usleep(100); /* keep the offered load bounded for every round */
		m.dir = 0;
		ft_tap_hook(tap, seq % 3 ? FT_PATH_FROM_LOCAL : FT_PATH_FROM_PEER, pkt, n, &m);
	}
	return NULL;
}

static void check(const struct ft_session_stats *st, const struct sink *k)
{
	if (k->records != st->written)
		print_message(
		    "records %llu written %llu matched %llu dropped %llu disc %llu off %llu\n",
		    (unsigned long long)k->records, (unsigned long long)st->written,
		    (unsigned long long)st->matched, (unsigned long long)st->dropped,
		    (unsigned long long)st->discarded, (unsigned long long)st->offered);
	assert_int_equal(st->error, 0);
	assert_int_equal(st->matched, st->written + st->dropped + st->discarded);
	assert_true(st->offered >= st->matched);
	assert_int_equal(k->records, st->written);
	assert_int_equal(k->dups, 0);
	assert_int_equal(k->bad, 0);
}

static void test_attach_detach_stall(void **state)
{
	pthread_t th[PRODUCERS];
	uint64_t total_written = 0, total_dropped = 0;

	assert_int_equal(ft_tap_new(&tap, "stress"), 0);
	for (uintptr_t i = 0; i < PRODUCERS; i++)
		pthread_create(&th[i], NULL, producer, (void *)i);

	for (int r = 0; r < ROUNDS; r++) {
		struct ft_session *s[3];
		struct sink k[3];
		struct ft_session_stats st;
		char err[FT_ERRBUF_SIZE];
		for (int j = 0; j < 3; j++) {
			struct ft_session_opts o;
			memset(&k[j], 0, sizeof(k[j]));
			k[j].seen = calloc(MAXSEQ, 1);
			k[j].stall_us = j == 2 ? 2000 : 0; /* the third one is slow */
			ft_session_opts_init(&o);
			o.out = sink_out;
			o.out_ctx = &k[j];
			o.bufsize = 64 << 10;
			o.filter = j == 1 ? "udp src port 1001 or udp src port 1002" : NULL;
			if (r % 2 && j == 0)
				o.dir = FT_DIR_IN;
			assert_int_equal(ft_session_start(&s[j], tap, &o, err, sizeof(err)), 0);
			usleep(1000);
		}
		usleep(5000);
		for (int j = 0; j < 3; j++) {
			assert_int_equal(ft_session_stop(s[j], &st), 0);
			check(&st, &k[j]);
			assert_true(st.offered > 0); /* traffic ran in every round */
			total_written += st.written;
			total_dropped += st.dropped;
			ft_session_free(s[j]);
			free(k[j].seen);
		}
	}
	atomic_store(&running, false);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	print_message("written %llu dropped %llu offered-total %u\n",
		      (unsigned long long)total_written, (unsigned long long)total_dropped,
		      atomic_load(&next_seq));
	assert_true(total_written > 0);
	assert_false(ft_tap_watched(tap));
	ft_tap_free(tap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_attach_detach_stall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
