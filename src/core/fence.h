/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fence.h - asymmetric full fences, as liburcu's "memb" flavour has them.
 *
 * Two places in the capture core need a store followed by a load of another
 * location to be ordered on both sides (Dekker): a hook entering its grace
 * period against ft_tap detach (tap.c), and a producer publishing a record
 * against the session thread going to sleep (session.c). The hook runs per
 * packet, the other side rarely. membarrier(2) with
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED makes every thread of the process that
 * runs at the time execute a full memory barrier (and a thread that does not
 * run passes one when it is scheduled), so the rare side's membarrier()
 * stands in for the hot side's fence: the hot side needs only a compiler
 * barrier to keep its store and load in program order. Where the kernel
 * lacks it, both sides keep their seq_cst fence.
 */
#ifndef FT_FENCE_H
#define FT_FENCE_H

#include <stdatomic.h>
#include <stdbool.h>

/* Set once (false to true) by ft__fence_init(), before any session exists
 * that relies on it; read relaxed: a hook that still sees false fences. */
extern _Atomic bool ft__fence_asym;

/* Register for membarrier(2), once per process; any thread. Not hot. */
void ft__fence_init(void);

/* The hot side: between its store and its load. */
static inline void ft__fence_hot(void)
{
	if (atomic_load_explicit(&ft__fence_asym, memory_order_relaxed))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/* The rare side: between its store and its load. A system call. */
void ft__fence_cold(void);

#endif
