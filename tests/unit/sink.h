/* SPDX-License-Identifier: BSD-2-Clause */
/* sink.h - a session output callback gathering its bytes in memory (unit tests). */
#ifndef FT_TEST_SINK_H
#define FT_TEST_SINK_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sink {
	pthread_mutex_t mu;
	uint8_t *buf;
	size_t len, cap;
	sem_t *gate; /* if set, each call waits for a post: a stalled client */
	int fail;    /* if set, return this error */
};

static inline int sink_out(void *ctx, const void *data, size_t len)
{
	struct sink *k = ctx;
	if (k->gate)
		sem_wait(k->gate);
	if (k->fail)
		return k->fail;
	pthread_mutex_lock(&k->mu);
	if (k->len + len > k->cap) {
		k->cap = (k->len + len) * 2;
		k->buf = realloc(k->buf, k->cap);
	}
	memcpy(k->buf + k->len, data, len);
	k->len += len;
	pthread_mutex_unlock(&k->mu);
	return 0;
}

static inline void sink_init(struct sink *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->mu, NULL);
}

static inline void sink_free(struct sink *k)
{
	free(k->buf);
	pthread_mutex_destroy(&k->mu);
}

#endif
