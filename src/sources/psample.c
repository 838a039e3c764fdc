/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * psample.c - psample source: samples from tc's sample action and Open
 * vSwitch, delivered on the "packets" multicast group of the "psample"
 * generic netlink family (linux/psample.h), read through libmnl.
 *
 * Loss is counted two ways: ENOBUFS from the socket (the receive buffer
 * overflowed; the kernel does not say by how much, so each counts one) and
 * gaps in the per-group sequence number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <pcap/dlt.h>

#include "source.h"
#include "decode.h"

#define PSAMPLE_RECV_BUF (256u << 10)

struct family_info {
	uint16_t id;
	uint32_t grp;
	bool grp_found;
};

static int grp_cb(const struct nlattr *a, void *data)
{
	struct family_info *fi = data;
	struct nlattr *g;
	const char *name = NULL;
	uint32_t id = 0;
	bool have_id = false;

	mnl_attr_for_each_nested(g, a)
	{
		switch (mnl_attr_get_type(g)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(g, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(g);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_validate(g, MNL_TYPE_U32) == 0) {
				id = mnl_attr_get_u32(g);
				have_id = true;
			}
			break;
		}
	}
	if (name && have_id && strcmp(name, "packets") == 0) {
		fi->grp = id;
		fi->grp_found = true;
	}
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct family_info *fi = data;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			fi->id = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_MCAST_GROUPS: {
		struct nlattr *g;
		mnl_attr_for_each_nested(g, a) grp_cb(g, data);
		break;
	}
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
}

/* Resolve the psample family and its "packets" group (CTRL_CMD_GETFAMILY). */
static int resolve(struct mnl_socket *nl, struct family_info *fi, char *errbuf, size_t errlen)
{
	char buf[8192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned seq = 1, portid = mnl_socket_get_portid(nl);

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "psample");
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto err;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			goto err;
		int r = mnl_cb_run(buf, (size_t)n, seq, portid, family_cb, fi);
		if (r == MNL_CB_STOP)
			break;
		if (r < 0)
			goto err;
	}
	if (!fi->id || !fi->grp_found) {
		snprintf(errbuf, errlen, "psample family has no \"packets\" multicast group");
		return -EPROTO;
	}
	return 0;
err:
	if (errno == ENOENT) {
		snprintf(errbuf, errlen,
			 "the kernel has no psample generic netlink family "
			 "(load the psample module: modprobe psample)");
		return FT_ENOPSAMPLE;
	}
	snprintf(errbuf, errlen, "cannot resolve the psample family: %s", strerror(errno));
	return -errno;
}

static int ps_open(struct ft_source *s, char *errbuf, size_t errlen)
{
	struct family_info fi = {0};
	int ret, rcv = (int)(s->o.buffer_size > (1u << 30) ? 1u << 30 : s->o.buffer_size);

	s->dlt = DLT_RAW;
	if (!s->buf && !(s->buf = malloc(PSAMPLE_RECV_BUF)))
		return -ENOMEM;
	s->buflen = PSAMPLE_RECV_BUF;
	if (!(s->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC)))
		goto err;
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	if ((ret = resolve(s->nl, &fi, errbuf, errlen)) < 0)
		goto fail;
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN, which joining the group needs anyway. */
	if (setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (mnl_socket_setsockopt(s->nl, NETLINK_ADD_MEMBERSHIP, &fi.grp, sizeof(fi.grp)) < 0) {
		ret = -errno;
		snprintf(errbuf, errlen, "cannot join the psample \"packets\" group: %s%s",
			 strerror(errno), errno == EPERM ? " (CAP_NET_ADMIN is needed)" : "");
		goto fail;
	}
	s->family = fi.id;
	s->mcgrp = fi.grp;
	s->fds[0] = mnl_socket_get_fd(s->nl);
	s->nfds = 1;
	s->have_seq = false;
	return 0;
err:
	ret = -errno;
	snprintf(errbuf, errlen, "cannot open a generic netlink socket: %s", strerror(errno));
fail:
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
	return ret;
}

static void ps_close(struct ft_source *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
	s->nfds = 0;
}

static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void ps_sample(struct ft_source *s, const struct ft_psample_msg *m)
{
	struct ft_meta meta = FT_META_INIT;
	const uint8_t *ip = m->data;
	uint32_t caplen = m->data_len, len;

	if (!ft__psample_l3(m)) {
		int off = ft__frame_ip(DLT_EN10MB, m->data, m->data_len);
		if (off < 0) {
			bump(&s->skipped, 1);
			return;
		}
		ip += off;
		caplen -= (uint32_t)off;
		len = m->origsize > (uint32_t)off ? m->origsize - (uint32_t)off : caplen;
	} else {
		len = m->origsize ? m->origsize : caplen;
	}
	if (len < caplen)
		len = caplen;
	meta.ts_ns = m->timestamp_ns;
	meta.dir = m->oif ? FT_DIR_OUT : FT_DIR_IN;
	meta.ifid = m->oif ? m->oif : m->iif;
	ft_tap_hook_frame(s->tap, FT_SOURCE_PATH, ip, caplen, len, &meta);
	ft__source_count(s, m->timestamp_ns, ip, caplen, len, (enum ft_dir)meta.dir, meta.ifid,
			 ft__psample_scale(m));
}

static int ps_dispatch(struct ft_source *s, int i, char *errbuf, size_t errlen)
{
	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n = recv(s->fds[0], s->buf, s->buflen, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				s->kdrops_closed++;
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			snprintf(errbuf, errlen, "psample socket: %s", strerror(errno));
			return -errno;
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)s->buf;
		int left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			struct ft_psample_msg m;
			if (ft__psample_decode(nlh, nlh->nlmsg_len, s->family, &m) < 0 ||
			    !FT_PSAMPLE_HAS(&m, FT_PSAMPLE_ATTR_SAMPLE_GROUP) ||
			    m.group != s->o.group || !m.data) {
				bump(&s->skipped, 1);
				continue;
			}
			if (FT_PSAMPLE_HAS(&m, FT_PSAMPLE_ATTR_GROUP_SEQ)) {
				if (s->have_seq)
					bump(&s->seq_gaps,
					     ft__psample_seq_gap(s->last_seq, m.group_seq));
				s->last_seq = m.group_seq;
				s->have_seq = true;
			}
			ps_sample(s, &m);
		}
	}
	return 0;
}

static void ps_refresh(struct ft_source *s)
{
	/* ENOBUFS events are counted into kdrops_closed as they happen. */
	s->kdrops_now = 0;
}

const struct ft_source_ops ft__psample_ops = {
    .open = ps_open,
    .close = ps_close,
    /* No kernel filter: samples are few, and the kernel delivers them as
     * netlink messages a socket filter would have to parse; sessions filter
     * them in userspace, and status says no kernel filter is attached. */
    .set_filter = NULL,
    .dispatch = ps_dispatch,
    .refresh = ps_refresh,
};
