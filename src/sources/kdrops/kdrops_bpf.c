/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kdrops_bpf.c - the BPF side of the kernel drop source: load and attach the
 * skeleton of src/bpf/kdrops.bpf.c, read its ring buffer and hand each
 * dropped packet to the tap with its reason and location, then unload it.
 * Everything here runs on the thread that owns the program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "kdrops.skel.h"
#include "kdrops_int.h"

/* libbpf's last warning on this thread: the detail of a failed load. */
static _Thread_local char libbpf_msg[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	if (level > LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	if (line[0])
		snprintf(libbpf_msg, sizeof(libbpf_msg), "%s", line);
	return 0;
}

static void add_relaxed(_Atomic uint64_t *c, uint64_t n)
{
	/* Single writer: a load and a store, no locked instruction. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void lockdown_mode(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");
	char line[128] = "";
	buf[0] = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		char *b = strchr(line, '['), *e = b ? strchr(b, ']') : NULL;
		if (b && e && strncmp(b, "[none]", 6))
			snprintf(buf, len, "%.*s", (int)(e - b - 1), b + 1);
	}
	fclose(f);
}

/* Whether this thread holds what loading a tracing program takes:
 * CAP_SYS_ADMIN (21), or CAP_BPF (39) and CAP_PERFMON (38). */
static bool bpf_capable(void)
{
	FILE *f = fopen("/proc/thread-self/status", "re");
	char line[256];
	unsigned long long eff = 0;
	bool found = false;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			found = sscanf(line + 7, "%llx", &eff) == 1;
	if (f)
		fclose(f);
	return !found || (eff >> 21 & 1) || ((eff >> 38 & 1) && (eff >> 39 & 1));
}

/* A message naming why BPF is refused here. */
static void explain(int r, const char *step, char *err, size_t errlen)
{
	char lock[64];

	lockdown_mode(lock, sizeof(lock));
	if ((r == -EPERM || r == -EACCES) && lock[0])
		snprintf(err, errlen,
			 "BPF is not allowed: the kernel is locked down (%s), which forbids "
			 "tracing programs that read kernel memory",
			 lock);
	else if ((r == -EPERM || r == -EACCES) && !bpf_capable())
		snprintf(err, errlen,
			 "BPF is not allowed: %s the kfree_skb program needs root, or "
			 "CAP_BPF and CAP_PERFMON (uid %u: %s)",
			 step, (unsigned)geteuid(), strerror(-r));
	else
		snprintf(err, errlen, "cannot %s the kfree_skb BPF program: %s%s%s", step,
			 strerror(-r), libbpf_msg[0] ? ": " : "", libbpf_msg);
}

static uint64_t ring_size(size_t want)
{
	uint64_t s = (uint64_t)sysconf(_SC_PAGESIZE);
	while (s < want && s < (1ull << 30))
		s <<= 1;
	return s;
}

static int fill_scope(struct ft_kdrops *k, struct kdrops_bpf *s)
{
	uint8_t one = 1;
	int r;
	for (int i = 0; i < k->scope.nnetns && k->scope.by_netns; i++)
		if ((r = bpf_map__update_elem(s->maps.netns_allow, &k->scope.netns[i], 4, &one, 1,
					      BPF_ANY)) < 0)
			return r;
	for (int i = 0; i < k->scope.nifs && k->scope.by_if; i++) {
		struct kdrops_ifkey key = {k->scope.ifs[i].netns, k->scope.ifs[i].ifindex};
		if ((r = bpf_map__update_elem(s->maps.if_allow, &key, sizeof(key), &one, 1,
					      BPF_ANY)) < 0)
			return r;
	}
	return 0;
}

/* The packet to the tap as a drop, with its reason and where (and to the
 * packet callback). Symbolizing costs a binary search: only for a taker. */
static void deliver(struct ft_kdrops *k, const struct kdrops_event *e, unsigned slot)
{
	const struct ft_kscope_if *in = ft__kscope_find(&k->scope, e->netns, e->ifindex);
	unsigned path = in ? in->path : FT_KDROPS_PATH_OTHER;
	char where[128] = "";
	uint64_t ts = e->ts_ns + (uint64_t)k->mono_to_real;
	bool watched = ft_tap_watched(k->tap);

	if (watched || k->o.on_packet)
		ft__ksyms_format(k->ksyms, e->location, where, sizeof(where));
	if (k->o.on_packet) {
		struct ft_kdrops_pkt p = {
		    .ts_ns = ts,
		    .ip = e->data,
		    .caplen = e->caplen,
		    .len = e->len,
		    .ifindex = e->ifindex,
		    .kreason = e->reason,
		    .reason_name = ft__kreasons_name(&k->reasons, e->reason),
		    .where = where,
		    .category = k->category[slot],
		    .dir = e->outgoing ? FT_DIR_OUT : FT_DIR_IN,
		};
		k->o.on_packet(k->o.on_packet_ctx, &p);
	}
	struct ft_meta m = FT_META_INIT;
	m.ts_ns = ts;
	m.ifid = e->ifindex;
	m.dir = e->outgoing ? FT_DIR_OUT : FT_DIR_IN;
	m.drop_where = watched ? where : NULL;
	/* Counted per reason by the tap too (the API turns counting on). */
	ft_tap_drop_frame(k->tap, path, e->data, e->caplen, e->len, k->reason_id[slot], &m);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct ft_kdrops *k = ctx;
	const struct kdrops_event *e = data;

	if (size < sizeof(*e) || e->caplen > size - sizeof(*e))
		return 0;
	uint8_t v = e->caplen ? e->data[0] >> 4 : 0;
	if (v != 4 && v != 6) { /* ARP and the like: a raw-IP tap cannot carry them */
		add_relaxed(&k->not_ip, 1);
		return 0;
	}
	unsigned slot = e->reason < KD_NREASONS - 1 ? e->reason : KD_NREASONS - 1;
	add_relaxed(&k->by_reason[slot], 1);
	add_relaxed(&k->received, 1);
	add_relaxed(&k->bytes, e->len);
	deliver(k, e, slot);
	return 0;
}

int ft__kdrops_attach(struct ft_kdrops *k, char *err, size_t errlen)
{
	struct kdrops_bpf *s;
	int r;

	libbpf_set_print(libbpf_print); /* flowtapd's only libbpf user: no one else's to keep */
	libbpf_msg[0] = 0;
	if (!(s = kdrops_bpf__open())) {
		explain(-errno, "open", err, errlen);
		return -errno;
	}
	s->rodata->snaplen = k->o.snaplen;
	s->rodata->scope_netns = k->scope.by_netns;
	s->rodata->scope_if = k->scope.by_if;
	uint64_t rs = ring_size(k->o.ring_bytes);
	s->rodata->wake_bytes = (__u32)(rs / 8 < 65536 ? rs / 8 : 65536);
	bpf_map__set_max_entries(s->maps.events, (__u32)rs);
	if ((r = kdrops_bpf__load(s)) < 0) {
		explain(r, "loading", err, errlen);
		goto fail;
	}
	if ((r = fill_scope(k, s)) < 0) {
		explain(r, "scope", err, errlen);
		goto fail;
	}
	if ((r = kdrops_bpf__attach(s)) < 0) {
		explain(r, "attaching", err, errlen);
		goto fail;
	}
	if (!(k->rb = ring_buffer__new(bpf_map__fd(s->maps.events), on_event, k, NULL))) {
		r = -errno;
		explain(r, "read", err, errlen);
		goto fail;
	}
	k->mono_to_real = (int64_t)(ft__now_ns() - ft__mono_ns());
	k->bpf = s;
	k->lost_attached = k->nohdr_attached = 0;
	atomic_store(&k->attached, true);
	add_relaxed(&k->attaches, 1);
	return 0;
fail:
	kdrops_bpf__destroy(s);
	return r;
}

/* Sum a per-CPU counter of the program. */
static uint64_t percpu(struct kdrops_bpf *s, uint32_t idx)
{
	int n = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	if (n <= 0 || n > 4096)
		return 0;
	uint64_t *v = calloc((size_t)n, sizeof(*v));
	if (v && bpf_map__lookup_elem(s->maps.counters, &idx, sizeof(idx), v,
				      (size_t)n * sizeof(*v), 0) == 0)
		for (int i = 0; i < n; i++)
			sum += v[i];
	free(v);
	return sum;
}

void ft__kdrops_refresh(struct ft_kdrops *k)
{
	if (!k->bpf)
		return;
	uint64_t lost = percpu(k->bpf, KDROPS_CNT_LOST), nohdr = percpu(k->bpf, KDROPS_CNT_NOHDR);
	if (lost > k->lost_attached) {
		add_relaxed(&k->lost, lost - k->lost_attached);
		ft_tap_add_upstream_drops(k->tap, lost - k->lost_attached);
		k->lost_attached = lost;
	}
	if (nohdr > k->nohdr_attached) {
		add_relaxed(&k->nohdr, nohdr - k->nohdr_attached);
		k->nohdr_attached = nohdr;
	}
}

void ft__kdrops_detach(struct ft_kdrops *k)
{
	if (!k->bpf)
		return;
	ring_buffer__consume(k->rb);
	ft__kdrops_refresh(k);
	ring_buffer__free(k->rb);
	k->rb = NULL;
	/* Destroying the skeleton detaches the link and unloads the program
	 * and its maps: bpftool shows nothing of ours after this. */
	kdrops_bpf__destroy(k->bpf);
	k->bpf = NULL;
	atomic_store(&k->attached, false);
}

int ft__kdrops_fd(struct ft_kdrops *k)
{
	return k->rb ? ring_buffer__epoll_fd(k->rb) : -1;
}

void ft__kdrops_consume(struct ft_kdrops *k)
{
	if (k->rb)
		ring_buffer__consume(k->rb);
}

int ft__kdrops_register_reasons(struct ft_kdrops *k, char *err, size_t errlen)
{
	/* Each name the kernel gave becomes a reason of the tap, by the same
	 * name; values it did not name (and any beyond the table) are "other". */
	for (unsigned v = 0; v < KD_NREASONS; v++) {
		const char *name = v < k->reasons.n ? k->reasons.name[v] : NULL;
		int id = name ? ft_tap_add_drop_reason(k->tap, name) : -ENOENT;
		if (id == -ENOSPC) {
			snprintf(err, errlen, "too many kernel drop reasons for the tap (%u named)",
				 k->reasons.named);
			return id;
		}
		k->reason_id[v] = id > 0 ? (unsigned)id : FT_DROP_OTHER;
		k->category[v] = ft__kreasons_category(name);
	}
	return 0;
}
