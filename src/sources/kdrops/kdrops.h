/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kdrops.h - internal: flowtapd's kernel drop source. A BPF program on the
 * skb:kfree_skb tracepoint reports every packet the kernel drops, with the
 * kernel's reason and the freeing location, into a tap named "drops".
 *
 * The program is loaded and attached only while a session watches the tap
 * (or a packet callback needs every drop) and unloaded when the last one
 * ends, so nothing of it is in the kernel while nobody asks.
 *
 * Built only where libbpf, clang and bpftool are (kdrops.c); elsewhere
 * kdrops_none.c refuses with a message.
 */
#ifndef FT_KDROPS_H
#define FT_KDROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtap/tap.h>

#define FT_KDROPS_TAP	       "drops"
#define FT_KDROPS_PATH_OTHER   4 /* "drops": an interface not known at start */
#define FT_KDROPS_SNAP_DEFAULT 128

/* A dropped packet as handed to the packet callback (source thread). */
struct ft_kdrops_pkt {
	uint64_t ts_ns;
	const uint8_t *ip; /* from the network header, borrowed */
	uint32_t caplen;
	uint32_t len;
	uint32_t ifindex;
	uint32_t kreason;	 /* the kernel's enum skb_drop_reason value */
	const char *reason_name; /* e.g. "NETFILTER_DROP" */
	const char *where;	 /* e.g. "nft_do_chain+0x3c4", "" if unknown */
	unsigned category;	 /* the shared reason it falls under (enum ft_drop_reason) */
	uint8_t dir;		 /* FT_DIR_OUT if dropped on the way out, else FT_DIR_IN */
};

typedef void (*ft_kdrops_pkt_fn)(void *ctx, const struct ft_kdrops_pkt *p);

struct ft_kdrops_opts {
	const char *const *netns; /* names under /run/netns or paths; none: all */
	int nnetns;
	const char *const *ifnames; /* interfaces (in each netns given, else ours) */
	int nifnames;
	uint32_t snaplen;	    /* bytes from the network header; 0: 128 */
	size_t ring_bytes;	    /* BPF ring buffer size; 0: 4 MiB */
	ft_kdrops_pkt_fn on_packet; /* optional; when set the program stays attached */
	void *on_packet_ctx;
};

struct ft_kdrops;

/*
 * ft__kdrops_new - resolve the scope, read the reason names from the kernel's
 * BTF and /proc/kallsyms, create the tap and load and attach the program
 * once to check that BPF is allowed here (then detach it again unless a
 * packet callback is set). Call with the privileges needed (root); the
 * thread starts in ft__kdrops_start(), after privileges dropped.
 * Returns 0, or -errno with a message naming the problem in @err:
 * -EPERM (no privilege or lockdown), -ENOENT (no BTF, no namespace),
 * -ENODEV (no such interface), -EINVAL, -ENOMEM, -ENOTSUP (not built).
 */
int ft__kdrops_new(struct ft_kdrops **out, const struct ft_kdrops_opts *o, char *err,
		   size_t errlen);

/* ft__kdrops_start - start the source thread and watch the tap. Returns 0 or -errno. */
int ft__kdrops_start(struct ft_kdrops *k, char *err, size_t errlen);

/* ft__kdrops_free - detach, stop the thread, free the tap. NULL ok. */
void ft__kdrops_free(struct ft_kdrops *k);

/* ft__kdrops_tap - the "drops" tap, owned by @k. */
struct ft_tap *ft__kdrops_tap(struct ft_kdrops *k);

/* ft__kdrops_status - a JSON object (malloc'd text) of counters and state. */
char *ft__kdrops_status(struct ft_kdrops *k);

/* ft__kdrops_attached_total - programs attached now (0 or 1). */
int ft__kdrops_attached(struct ft_kdrops *k);

#endif
