/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcapsrc.c - AF_PACKET and NFLOG sources through libpcap.
 *
 * AF_PACKET: one TPACKET_V3 ring per direction. libpcap does not hand the
 * packet type of an Ethernet or raw-IP frame to the callback, so each ring
 * gets an in-kernel filter "inbound and (E)" or "outbound and (E)" (libpcap
 * compiles inbound/outbound to the kernel's SKF_AD_PKTTYPE): each packet is
 * copied to exactly one ring and its direction is the ring's. libpcap turns
 * immediate mode into TPACKET_V2, so instead of immediate mode the rings use
 * a short block timeout, which bounds the delay the same way. The two rings
 * are merged back into timestamp order (a packet waits until the other ring
 * shows a later one, or at most HOLD_NS), so captures read like tcpdump's.
 *
 * NFLOG: libpcap's "nflog:N" device; the records keep their TLVs (prefix,
 * interfaces) and the tap has link type DLT_NFLOG.
 */
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <sys/socket.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "source.h"
#include "decode.h"

#define RING_TIMEOUT_MS 10
/* Longer than a block can stay open with a packet in it (timeout + timer slack). */
#define HOLD_NS	     (25 * 1000000ull)
#define MERGE_BUDGET 4096
/* While one direction alone has traffic its packets wait out HOLD_NS: the
 * thread then sleeps until the oldest is due plus this much, so a wake-up
 * takes a few milliseconds of packets instead of the one due (at high
 * rates a wake-up per millisecond cost more than the packets' own work). */
#define HOLD_BATCH_MS 4

static const char *const dir_expr[2] = {"inbound", "outbound"};
static const pcap_direction_t dir_pcap[2] = {PCAP_D_IN, PCAP_D_OUT};

static uint64_t hdr_ns(const struct ft_source *s, const struct pcap_pkthdr *h)
{
	/* AF_PACKET handles give nanoseconds; NFLOG only microseconds. */
	return (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * s->ts_mult;
}

static void close_all(struct ft_source *s)
{
	s->head[0].valid = s->head[1].valid = false;
	s->head[0].ready = s->head[1].ready = true;
	for (int i = 0; i < 2; i++) {
		if (s->pc[i])
			pcap_close(s->pc[i]);
		s->pc[i] = NULL;
	}
	s->nfds = 0;
}

static int open_one(struct ft_source *s, const char *dev, pcap_t **out, char *errbuf, size_t errlen)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(dev, err);
	int ret;

	if (!p) {
		snprintf(errbuf, errlen, "%s", err);
		return -ENODEV;
	}
	pcap_set_snaplen(p, (int)s->o.snaplen);
	pcap_set_promisc(p, 0);
	pcap_set_timeout(p, RING_TIMEOUT_MS);
	pcap_set_buffer_size(p, (int)(s->o.buffer_size > (1u << 30) ? 1u << 30 : s->o.buffer_size));
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	ret = pcap_activate(p);
	if (ret < 0) {
		snprintf(errbuf, errlen, "%s", pcap_geterr(p));
		pcap_close(p);
		return ft__pcap_errno(ret);
	}
	if (pcap_setnonblock(p, 1, err) < 0) {
		snprintf(errbuf, errlen, "%s", err);
		pcap_close(p);
		return -EIO;
	}
	s->ts_mult = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
	*out = p;
	return 0;
}

/*
 * Attach a compiled program to the ring's socket ourselves: after
 * pcap_setfilter() libpcap re-runs the new filter in userland over the blocks
 * already in the ring, and its userland BPF cannot read the packet type, so
 * "inbound" would reject them. The direction is exact anyway: libpcap checks
 * pcap_setdirection() against each frame's packet type. Cooked captures
 * ("any") need libpcap's offset fix-ups and have the packet type in their
 * header, so they use pcap_setfilter().
 */
static int attach_kernel(pcap_t *p, struct bpf_program *prog, int dlt)
{
	if (dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2)
		return pcap_setfilter(p, prog) == 0 ? 0 : -EINVAL;
	struct sock_fprog fp = {
	    .len = (unsigned short)prog->bf_len,
	    .filter = (struct sock_filter *)prog->bf_insns,
	};
	return setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) == 0
		   ? 0
		   : -errno;
}

static int afp_filter_one(struct ft_source *s, int i, const char *expr)
{
	char full[600];
	struct bpf_program prog;
	int ret;

	if (*expr)
		snprintf(full, sizeof(full), "%s and (%s)", dir_expr[i], expr);
	else
		snprintf(full, sizeof(full), "%s", dir_expr[i]);
	if (pcap_compile(s->pc[i], &prog, full, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return -EINVAL;
	ret = attach_kernel(s->pc[i], &prog, s->dlt);
	pcap_freecode(&prog);
	return ret;
}

static int afp_set_filter(struct ft_source *s, const char *expr)
{
	int ret = 0;

	for (int i = 0; i < 2; i++)
		if (afp_filter_one(s, i, expr) < 0)
			ret = -EINVAL;
	/* On failure fall back to the direction alone: sessions still filter. */
	if (ret < 0)
		for (int i = 0; i < 2; i++)
			afp_filter_one(s, i, "");
	return ret;
}

static int afp_open(struct ft_source *s, char *errbuf, size_t errlen)
{
	int ret;

	for (int i = 0; i < 2; i++) {
		if ((ret = open_one(s, s->ifname, &s->pc[i], errbuf, errlen)) < 0)
			goto fail;
		s->dlt = pcap_datalink(s->pc[i]);
		pcap_setdirection(s->pc[i], dir_pcap[i]);
		s->fds[i] = pcap_get_selectable_fd(s->pc[i]);
		s->pctx[i].s = s;
		s->pctx[i].dirn = i;
	}
	s->nfds = 2;
	/* Until the first reconcile: direction only. */
	if (afp_set_filter(s, "") < 0) {
		snprintf(errbuf, errlen, "cannot attach a kernel filter on '%s': %s", s->ifname,
			 pcap_geterr(s->pc[0]));
		ret = -EIO;
		goto fail;
	}
	return 0;
fail:
	close_all(s);
	return ret;
}

/* One AF_PACKET frame of ring @dirn (0 inbound, 1 outbound) to the tap and the counters. */
static void afp_emit(struct ft_source *s, int dirn, const struct pcap_pkthdr *h,
		     const u_char *bytes, uint64_t ts)
{
	struct ft_meta m = FT_META_INIT;

	m.ts_ns = ts;
	m.dir = dirn == 0 ? FT_DIR_IN : FT_DIR_OUT;
	ft_tap_hook_frame(s->tap, FT_SOURCE_PATH, bytes, h->caplen, h->len, &m);
	int off = s->o.on_packet ? ft__frame_ip(s->dlt, bytes, h->caplen) : -1;
	if (off < 0)
		ft__source_count(s, m.ts_ns, NULL, 0, h->len, m.dir, 0, 1);
	else
		ft__source_count(s, m.ts_ns, bytes + off, h->caplen - (uint32_t)off,
				 h->len - (uint32_t)off, m.dir, 0, 1);
}

static int pcap_result(pcap_t *p, int r, char *errbuf, size_t errlen)
{
	if (r != PCAP_ERROR)
		return 0;
	snprintf(errbuf, errlen, "%s", pcap_geterr(p));
	return -EIO;
}

/* Load the next packet of ring @i into its head slot if it has none. */
static int afp_fill(struct ft_source *s, int i, char *errbuf, size_t errlen)
{
	struct ft_source_head *h = &s->head[i];

	/* An empty ring costs libpcap a poll() per look: look only when the
	 * ring's descriptor was readable, until it runs dry. */
	if (h->valid || !h->ready)
		return 0;
	int r = pcap_next_ex(s->pc[i], &h->hdr, &h->data);
	if (r == 1) {
		h->valid = true;
		h->ts = hdr_ns(s, h->hdr);
		return 0;
	}
	h->ready = false;
	return pcap_result(s->pc[i], r, errbuf, errlen);
}

static void afp_flush_heads(struct ft_source *s)
{
	struct ft_source_head *a = &s->head[0], *b = &s->head[1];

	if (a->valid && b->valid && b->ts < a->ts) {
		afp_emit(s, 1, b->hdr, b->data, b->ts);
		b->valid = false;
	}
	for (int i = 0; i < 2; i++)
		if (s->head[i].valid) {
			afp_emit(s, i, s->head[i].hdr, s->head[i].data, s->head[i].ts);
			s->head[i].valid = false;
		}
}

/*
 * Merge the two rings in timestamp order. Each ring is in order; a packet
 * may only go out once the other ring shows a later one, or once it is older
 * than HOLD_NS: by then the other ring's block that could hold an older
 * packet has been retired by its timeout and is visible. Bounded work per
 * call so the thread still sees its eventfd.
 */
static int afp_merge(struct ft_source *s, char *errbuf, size_t errlen, int *timeout_ms,
		     unsigned *skip)
{
	uint64_t limit = ft__now_ns() - HOLD_NS;

	for (unsigned budget = 0; budget < MERGE_BUDGET; budget++) {
		if (afp_fill(s, 0, errbuf, errlen) < 0 || afp_fill(s, 1, errbuf, errlen) < 0) {
			/* The interface is gone: what was read still goes out, in order. */
			afp_flush_heads(s);
			return -EIO;
		}
		struct ft_source_head *a = &s->head[0], *b = &s->head[1];
		int pick = -1;
		if (a->valid && b->valid)
			pick = a->ts <= b->ts ? 0 : 1;
		else if (a->valid && a->ts <= limit)
			pick = 0;
		else if (b->valid && b->ts <= limit)
			pick = 1;
		if (pick < 0) {
			const struct ft_source_head *w = a->valid ? a : b->valid ? b : NULL;
			*timeout_ms = w ? (int)((w->ts - limit) / 1000000) + HOLD_BATCH_MS : -1;
			*skip = (a->valid ? 1u : 0u) | (b->valid ? 2u : 0u);
			return 0;
		}
		afp_emit(s, pick, s->head[pick].hdr, s->head[pick].data, s->head[pick].ts);
		s->head[pick].valid = false;
	}
	*timeout_ms = 0; /* more to do: come back right away */
	*skip = 0;
	return 0;
}

static int afp_dispatch(struct ft_source *s, int i, char *errbuf, size_t errlen)
{
	int timeout;
	unsigned skip;
	s->head[i].ready = true;
	return afp_merge(s, errbuf, errlen, &timeout, &skip);
}

static int afp_pending(struct ft_source *s, char *errbuf, size_t errlen, int *timeout_ms,
		       unsigned *skip)
{
	return afp_merge(s, errbuf, errlen, timeout_ms, skip);
}

static void pcap_refresh(struct ft_source *s)
{
	uint64_t d = 0;
	struct pcap_stat ps;

	for (int i = 0; i < 2; i++)
		if (s->pc[i] && pcap_stats(s->pc[i], &ps) == 0)
			d += ps.ps_drop;
	s->kdrops_now = d;
}

const struct ft_source_ops ft__afpacket_ops = {
    .open = afp_open,
    .close = close_all,
    .set_filter = afp_set_filter,
    .dispatch = afp_dispatch,
    .pending = afp_pending,
    .refresh = pcap_refresh,
};

static int nflog_open(struct ft_source *s, char *errbuf, size_t errlen)
{
	char dev[32];
	int ret;

	snprintf(dev, sizeof(dev), "nflog:%u", s->o.group);
	if ((ret = open_one(s, dev, &s->pc[0], errbuf, errlen)) < 0)
		return ret;
	s->dlt = pcap_datalink(s->pc[0]);
	s->fds[0] = pcap_get_selectable_fd(s->pc[0]);
	s->nfds = 1;
	return 0;
}

static int nflog_set_filter(struct ft_source *s, const char *expr)
{
	struct bpf_program prog;
	int ret = -EINVAL;

	/* NFLOG has no in-kernel filter; libpcap filters right after recv. */
	if (pcap_compile(s->pc[0], &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return ret;
	if (pcap_setfilter(s->pc[0], &prog) == 0)
		ret = 0;
	pcap_freecode(&prog);
	return ret;
}

static void nflog_packet(u_char *u, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct ft_source *s = (struct ft_source *)u;
	struct ft_nflog_msg nm;
	struct ft_meta m = FT_META_INIT;
	const uint8_t *ip = NULL;
	uint32_t iplen = 0;

	m.ts_ns = hdr_ns(s, h);
	if (ft__nflog_decode(bytes, h->caplen, &nm) == 0) {
		/* A packet with an input device arrived; one with only an output leaves. */
		m.dir = nm.indev ? FT_DIR_IN : nm.outdev ? FT_DIR_OUT : FT_DIR_UNKNOWN;
		m.ifid = nm.indev ? nm.indev : nm.outdev;
		if (nm.payload && nm.payload_len &&
		    (nm.payload[0] >> 4 == 4 || nm.payload[0] >> 4 == 6)) {
			ip = nm.payload;
			iplen = nm.payload_len;
		}
	} else {
		atomic_store_explicit(&s->skipped,
				      atomic_load_explicit(&s->skipped, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		return;
	}
	ft_tap_hook_frame(s->tap, FT_SOURCE_PATH, bytes, h->caplen, h->len, &m);
	ft__source_count(s, m.ts_ns, ip, iplen, iplen, (enum ft_dir)m.dir, m.ifid, 1);
}

static int nflog_dispatch(struct ft_source *s, int i, char *errbuf, size_t errlen)
{
	int r = pcap_dispatch(s->pc[0], -1, nflog_packet, (u_char *)s);
	return pcap_result(s->pc[0], r, errbuf, errlen);
}

const struct ft_source_ops ft__nflog_ops = {
    .open = nflog_open,
    .close = close_all,
    .set_filter = nflog_set_filter,
    .dispatch = nflog_dispatch,
    .refresh = pcap_refresh,
};
