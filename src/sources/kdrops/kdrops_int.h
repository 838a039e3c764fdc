/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kdrops_int.h - internal to the kernel drop source: its state, shared by
 * the lifecycle (kdrops.c) and the BPF side (kdrops_bpf.c).
 */
#ifndef FT_KDROPS_INT_H
#define FT_KDROPS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <linux/types.h>

#include "kdrops.h"
#include "kdrops_event.h"
#include "ksyms.h"
#include "reasons.h"
#include "scope.h"

/* Counted per kernel reason value; the last slot holds everything above. */
#define KD_NREASONS 256

struct kdrops_bpf;
struct ring_buffer;

struct ft_kdrops {
	struct ft_kdrops_opts o;
	struct ft_tap *tap;
	struct ft_kscope scope;
	struct ft_kreasons reasons;
	struct ft_ksyms *ksyms;
	unsigned reason_id[KD_NREASONS]; /* the tap's id of each kernel reason */
	unsigned category[KD_NREASONS];	 /* the shared reason of each, for flow counts */

	/* Owned by the source thread once it runs (by the creator before). */
	struct kdrops_bpf *bpf; /* NULL: not loaded */
	struct ring_buffer *rb;
	int64_t mono_to_real;			/* add to a bpf_ktime_get_ns() for CLOCK_REALTIME */
	uint64_t lost_attached, nohdr_attached; /* BPF counters of the attached program */

	pthread_t thr;
	bool thr_started;
	int evfd;
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t want_gen, done_gen;
	char error[256]; /* under mu */

	/* Counters: written by the source thread only (relaxed), read by anyone. */
	atomic_bool attached;
	_Atomic uint64_t attaches, received, bytes, lost, nohdr, not_ip;
	_Atomic uint64_t by_reason[KD_NREASONS];
};

/* kdrops_bpf.c, all on the thread that owns the program. */
int ft__kdrops_attach(struct ft_kdrops *k, char *err, size_t errlen);
void ft__kdrops_detach(struct ft_kdrops *k);
int ft__kdrops_fd(struct ft_kdrops *k); /* the ring buffer's epoll fd, -1 if detached */
void ft__kdrops_consume(struct ft_kdrops *k);
void ft__kdrops_refresh(struct ft_kdrops *k);
int ft__kdrops_register_reasons(struct ft_kdrops *k, char *err, size_t errlen);

#endif
