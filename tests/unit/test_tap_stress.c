/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stress: 8 producer threads offer packets while sessions attach, detach and
 * stall in a loop. Every packet offered to a session must be accounted for
 * exactly once as written, dropped, discarded or filtered out, and each
 * written packet must reach the output once (checked by sequence number).
 * Run under TSan (make tsan) and ASan (make asan) in CI.
 */
#include <pthread.h>
#include <stdatomic.h>
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

#define PRODUCERS 8
#define ROUNDS	  60
#define MAXSEQ	  (1u << 24)

static struct ft_tap *tap;
static _Atomic bool running = true;
static _Atomic uint32_t next_seq;
static _Atomic int round_no = -1;
#define PER_ROUND 4000 /* * PRODUCERS * ROUNDS < MAXSEQ */

struct sink {
	uint8_t *seen; /* one byte per sequence number */
	uint64_t records, dups, bad, disorder;
	uint32_t last[PRODUCERS]; /* per producer: the last sequence number + 1 */
	int stall_us;		  /* sleep per chunk: a slow client */
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
				uint16_t sport =
				    (uint16_t)(k->hold[16 + 20] << 8 | k->hold[16 + 21]);
				unsigned id = (unsigned)(sport - 1000) % PRODUCERS;
				if (seq >= MAXSEQ || k->seen[seq])
					k->dups++;
				else
					k->seen[seq] = 1;
				/* Each producer's packets keep their order. */
				if (seq < MAXSEQ && seq + 1 <= k->last[id])
					k->disorder++;
				else if (seq < MAXSEQ)
					k->last[id] = seq + 1;
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
	int round = -2;
	unsigned in_round = 0;
	for (unsigned i = 1; atomic_load_explicit(&running, memory_order_relaxed); i++) {
		/* At most PER_ROUND packets per producer and round: sequence
		 * numbers last however slow the build (sanitizers). */
		if (atomic_load(&round_no) != round) {
			round = atomic_load(&round_no);
			in_round = 0;
		}
		if (++in_round > PER_ROUND) {
			usleep(1000);
			continue;
		}
		uint32_t seq = atomic_fetch_add(&next_seq, 1);
		if (seq >= MAXSEQ - 1)
			break;
		memcpy(pkt + 28, &seq, 4);
		if ((i & 63) == 0)
			usleep(1000); /* keep the offered load bounded for every round */
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
	assert_int_equal(k->disorder, 0);
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
		atomic_store(&round_no, r); /* a new quota, while all three are attached */
		usleep(5000);
		/* A loaded machine (sanitizers, two cores) may not have run a
		 * producer yet: wait for traffic, boundedly. */
		for (int w = 0; w < 5000; w++) {
			ft_session_get_stats(s[2], &st); /* the last attached */
			if (st.offered)
				break;
			usleep(1000);
		}
		for (int j = 0; j < 3; j++) {
			assert_int_equal(ft_session_stop(s[j], &st), 0);
			check(&st, &k[j]);
			if (!st.offered)
				print_message("round %d session %d seq %u\n", r, j,
					      atomic_load(&next_seq));
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

/*
 * Lifetime: taps and sessions started, ending by themselves (count,
 * duration), stopped and freed from several threads at once. A tap is freed
 * while its sessions finish and while their owners free them on another
 * thread (the rules of ft_tap_free() in tap.h). ASan and TSan see any
 * use after free or race.
 */
#define LIFE_WORKERS 3
#define LIFE_ROUNDS  40
#define LIFE_SESS    4

struct life {
	struct ft_tap *tap;
	struct ft_session *s[LIFE_SESS];
	_Atomic int go;
};

static int slow_out(void *ctx, const void *data, size_t len)
{
	usleep(500);
	return 0;
}

static void *life_hooker(void *arg)
{
	struct life *l = arg;
	uint8_t pkt[128];
	size_t n = tb_ip4(pkt, "100.64.0.1", "100.64.0.2", 17, 1000, 53, 16);
	for (int i = 0; i < 200; i++)
		ft_tap_hook(l->tap, FT_PATH_FROM_LOCAL, pkt, n, NULL);
	return NULL;
}

static void *life_free_sessions(void *arg)
{
	struct life *l = arg;
	while (!atomic_load(&l->go))
		;
	for (int j = 0; j < LIFE_SESS; j += 2)
		ft_session_free(l->s[j]);
	return NULL;
}

static void *life_worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	for (int r = 0; r < LIFE_ROUNDS; r++) {
		struct life l = {0};
		pthread_t hook, freer;
		char err[FT_ERRBUF_SIZE];

		assert_int_equal(ft_tap_new(&l.tap, "life"), 0);
		for (int j = 0; j < LIFE_SESS; j++) {
			struct ft_session_opts o;
			ft_session_opts_init(&o);
			o.out = slow_out;
			o.bufsize = 64 << 10;
			if (j == 0)
				o.max_packets = 1 + (unsigned)(r % 3);
			if (j == 1)
				o.duration_ms = (uint64_t)(r % 4);
			assert_int_equal(ft_session_start(&l.s[j], l.tap, &o, err, sizeof(err)), 0);
		}
		pthread_create(&hook, NULL, life_hooker, &l);
		pthread_join(hook, NULL);
		if ((r + id) % 3 == 0)
			usleep(200); /* sometimes sessions are mid-finish */
		pthread_create(&freer, NULL, life_free_sessions, &l);
		atomic_store(&l.go, 1);
		ft_tap_free(l.tap); /* concurrently with the freer */
		pthread_join(freer, NULL);
		for (int j = 1; j < LIFE_SESS; j += 2) {
			struct ft_session_stats st;
			ft_session_get_stats(l.s[j], &st);
			assert_true(st.done);
			assert_int_equal(st.matched, st.written + st.dropped + st.discarded);
			ft_session_free(l.s[j]); /* after its tap is gone */
		}
	}
	return NULL;
}

static void test_lifetime_threads(void **state)
{
	pthread_t th[LIFE_WORKERS];
	for (uintptr_t i = 0; i < LIFE_WORKERS; i++)
		pthread_create(&th[i], NULL, life_worker, (void *)i);
	for (int i = 0; i < LIFE_WORKERS; i++)
		pthread_join(th[i], NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_attach_detach_stall),
	    cmocka_unit_test(test_lifetime_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
