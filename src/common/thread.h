/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread.h - how the library starts its threads.
 *
 * A library that lives inside someone else's process must not take that
 * process's signals: a SIGTERM or SIGHUP meant for the host's main loop (or a
 * signalfd, or sigwait() in a thread of its choosing) would otherwise be
 * delivered to whichever of our threads happens to run, where no handler
 * expects it, and a SIGPIPE from a write to a closed client would kill the
 * host. OpenVPN showed both: its event loop waits with sigwait-style masks.
 * So every thread the library starts has every blockable signal blocked from
 * its first instruction (the mask is set in the parent around
 * pthread_create(), which the child inherits; setting it in the child would
 * leave a window before its first line).
 */
#ifndef FT_COMMON_THREAD_H
#define FT_COMMON_THREAD_H

#include <pthread.h>

/**
 * ft__thread_start - pthread_create() with every signal blocked in the new
 * thread; the caller's own mask is unchanged on return.
 * Return: 0, or a negative errno from pthread_create().
 */
int ft__thread_start(pthread_t *thr, void *(*fn)(void *), void *arg);

#endif
