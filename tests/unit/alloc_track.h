/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alloc_track.h - the library's malloc, calloc, realloc and free seen by a
 * test, for tests linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
 *   -Wl,--wrap=strdup,--wrap=strndup
 * (CMakeLists.txt lists them). The linker sends every call the test and
 * libflowtap's objects make to these functions, which call the real ones
 * (ASan's, TSan's or libc's, whichever the program has): so it works under
 * the sanitizers too, and calls made inside other shared libraries (libc's
 * strdup, libevent, libcrypto) are not seen.
 *
 * While tracking is on (at_start()):
 *  - each block allocated is remembered with its size, so that free() can
 *    look in a block for a secret before it is released (at_secret());
 *  - the Nth allocation can be made to fail (at_fail_at()), for the error
 *    paths of allocation failures;
 *  - at_live() counts the blocks allocated and not yet freed, a leak count
 *    that needs no leak checker.
 * Include it in one file of a test program only.
 */
#ifndef FT_TEST_ALLOC_TRACK_H
#define FT_TEST_ALLOC_TRACK_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#define AT_MAX 65536

static struct {
	pthread_mutex_t mu;
	bool on;
	long nallocs; /* allocations while on */
	long fail_at; /* 1-based index of the allocation to fail; 0: none */
	const void *secret;
	size_t secret_len;
	long scanned;	  /* tracked blocks freed (and searched) */
	long secret_hits; /* ... that still held the secret */
	size_t n;
	struct {
		void *p;
		size_t len;
		const void *caller; /* at_dump() */
		long nth;	    /* the allocation's number while on */
	} b[AT_MAX];
} at = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Under at.mu. Blocks past AT_MAX are not tracked (at_live() then
 * undercounts; the tests stay far below). */
static void at_add(void *p, size_t len, const void *caller)
{
	if (p && at.n < AT_MAX) {
		at.b[at.n].p = p;
		at.b[at.n].len = len;
		at.b[at.n].caller = caller;
		at.b[at.n].nth = at.nallocs;
		at.n++;
	}
}

/* Under at.mu: forget @p, searching it for the secret first if asked. */
static void at_remove(void *p, bool search)
{
	for (size_t i = 0; p && i < at.n; i++) {
		if (at.b[i].p != p)
			continue;
		if (search) {
			at.scanned++;
			if (at.secret && memmem(p, at.b[i].len, at.secret, at.secret_len))
				at.secret_hits++;
		}
		at.b[i] = at.b[--at.n];
		return;
	}
}

/* Under at.mu: whether this allocation is the one to fail. */
static bool at_next_fails(void)
{
	return at.on && ++at.nallocs == at.fail_at;
}

void *__wrap_malloc(size_t n)
{
	void *p = NULL;

	pthread_mutex_lock(&at.mu);
	if (!at_next_fails()) {
		p = __real_malloc(n);
		if (at.on)
			at_add(p, n, __builtin_return_address(0));
	}
	pthread_mutex_unlock(&at.mu);
	return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
	void *p = NULL;

	pthread_mutex_lock(&at.mu);
	if (!at_next_fails()) {
		p = __real_calloc(k, n);
		if (at.on)
			at_add(p, k * n, __builtin_return_address(0));
	}
	pthread_mutex_unlock(&at.mu);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q = NULL;

	pthread_mutex_lock(&at.mu);
	if (!at_next_fails()) {
		/* A block that moves is released by realloc itself, unsearched. */
		q = __real_realloc(p, n);
		if (q || !n)
			at_remove(p, false);
		if (at.on)
			at_add(q, n, __builtin_return_address(0));
	}
	pthread_mutex_unlock(&at.mu);
	return q;
}

void __wrap_free(void *p)
{
	pthread_mutex_lock(&at.mu);
	at_remove(p, true);
	__real_free(p);
	pthread_mutex_unlock(&at.mu);
}

char *__wrap_strdup(const char *s)
{
	char *p = NULL;

	pthread_mutex_lock(&at.mu);
	if (!at_next_fails()) {
		p = __real_strdup(s);
		if (at.on && p)
			at_add(p, strlen(p) + 1, __builtin_return_address(0));
	}
	pthread_mutex_unlock(&at.mu);
	return p;
}

char *__wrap_strndup(const char *s, size_t n)
{
	char *p = NULL;

	pthread_mutex_lock(&at.mu);
	if (!at_next_fails()) {
		p = __real_strndup(s, n);
		if (at.on && p)
			at_add(p, strlen(p) + 1, __builtin_return_address(0));
	}
	pthread_mutex_unlock(&at.mu);
	return p;
}

/* Start tracking: forget earlier blocks, fail allocation number @fail_at
 * (1-based; 0: none) and search freed blocks for @secret (NULL: none). */
static inline void at_start(long fail_at, const void *secret, size_t secret_len)
{
	pthread_mutex_lock(&at.mu);
	at.on = true;
	at.n = 0;
	at.nallocs = 0;
	at.fail_at = fail_at;
	at.secret = secret;
	at.secret_len = secret_len;
	at.scanned = at.secret_hits = 0;
	pthread_mutex_unlock(&at.mu);
}

/* While tracking: fail the @k-th allocation from now on (0: none). Returns
 * the number of allocations made so far. */
static inline long at_fail_next(long k)
{
	long n;

	pthread_mutex_lock(&at.mu);
	n = at.nallocs;
	at.fail_at = k ? n + k : 0;
	pthread_mutex_unlock(&at.mu);
	return n;
}

/* Stop counting and failing; blocks already tracked are still searched
 * and forgotten when freed. */
static inline void at_stop(void)
{
	pthread_mutex_lock(&at.mu);
	at.on = false;
	at.fail_at = 0;
	pthread_mutex_unlock(&at.mu);
}

/* Blocks allocated while tracking and not freed since. */
static inline size_t at_live(void)
{
	size_t n;

	pthread_mutex_lock(&at.mu);
	n = at.n;
	pthread_mutex_unlock(&at.mu);
	return n;
}

/* Print the blocks still tracked: their allocation's number and caller
 * (an offset into its object: addr2line -e OBJECT OFFSET names it). */
static inline void at_dump(void)
{
	pthread_mutex_lock(&at.mu);
	for (size_t i = 0; i < at.n; i++) {
		Dl_info di = {0};

		dladdr(at.b[i].caller, &di);
		fprintf(stderr, "# block of %zu bytes, allocation %ld, from %s+%#lx\n", at.b[i].len,
			at.b[i].nth, di.dli_fname ? di.dli_fname : "?",
			(unsigned long)((const char *)at.b[i].caller - (const char *)di.dli_fbase));
	}
	pthread_mutex_unlock(&at.mu);
}

/* Allocations made while tracking (with the failed one). */
static inline long at_allocs(void)
{
	long n;

	pthread_mutex_lock(&at.mu);
	n = at.nallocs;
	pthread_mutex_unlock(&at.mu);
	return n;
}

#endif
