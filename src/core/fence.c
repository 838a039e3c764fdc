/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: asymmetric fences with membarrier(2) (see fence.h for the argument). */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fence.h"

_Atomic bool ft__fence_asym;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) < 0)
		return;
	atomic_store(&ft__fence_asym, true);
}

void ft__fence_init(void)
{
	pthread_once(&once, init_once);
}

void ft__fence_cold(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	/* Registered once and never undone: it cannot fail with EPERM, and
	 * the flag is only set once registration succeeded. */
	if (atomic_load_explicit(&ft__fence_asym, memory_order_relaxed))
		syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}
