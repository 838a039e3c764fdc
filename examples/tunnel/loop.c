/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the datapath and its libevent loop: TUN <-> UDP with the four capture hooks. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <flowtap/flows.h>
#include <flowtap/peers.h>
#include <flowtap/tap.h>

#include "tunnel.h"

/*
 * Where the hooks sit (the places a VPN engine has them):
 *
 *   TUN read --> [from-local] --> DNAT --> UDP send to the peer
 *            \-> service address echo --> [synthesized-to-local] --> TUN write
 *   UDP recv --> un-DNAT --> [from-peer] --> TUN write
 *            \-> service address echo --> [synthesized-to-peer] --> UDP send
 *   timer    --> keepalive probe --> [synthesized-to-peer] --> UDP send
 *
 * The hook sees a packet after the NAT applied in its direction of travel;
 * the addresses before NAT travel in the capture metadata (nat_src/nat_dst).
 * The tunnel-layer counters see packets as the local stack does (what
 * crosses the TUN device), the socket-layer counters what crosses the UDP
 * socket.
 */

/* A packet the tunnel throws away, reported on the path it was on with why
 * (flowtap capture --drops shows them; status counts them per reason). */
static void drop(struct tunnel *t, unsigned path, const uint8_t *pkt, uint32_t len, unsigned reason,
		 unsigned rule, const struct ft_meta *mp)
{
	struct ft_meta m = FT_META_INIT;

	if (mp)
		m = *mp;
	m.drop_rule = rule;
	ft_tap_drop(t->tap, path, pkt, len, reason, &m);
}

static void tun_write(struct tunnel *t, const uint8_t *pkt, uint32_t len)
{
	if (write(t->tun_fd, pkt, len) != (ssize_t)len) {
		STAT_INC(t->st.drop_tx);
		drop(t, FT_PATH_FROM_PEER, pkt, len, FT_DROP_QUEUE_FULL, 0, NULL);
		return;
	}
	STAT_INC(t->st.tun_tx);
	ft_flows_add_ip(t->tun_flows, pkt, len, FT_DIR_IN);
}

/* Send what is queued for the peer; count at the socket layer only what the
 * kernel took. */
static void peer_flush(struct tunnel *t)
{
	struct udp_tx *tx = &t->tx;

	if (!tx->n)
		return;
	udp_tx_flush(t->udp_fd, tx);
	for (int i = 0; i < tx->n; i++) {
		if (!tx->ok[i]) {
			STAT_INC(t->st.drop_tx);
			drop(t, FT_PATH_FROM_LOCAL, tx->iov[i].iov_base,
			     (uint32_t)tx->iov[i].iov_len, FT_DROP_QUEUE_FULL, 0, NULL);
			continue;
		}
		STAT_INC(t->st.udp_tx);
		observe_physical(t, FT_DIR_OUT, tx->iov[i].iov_len);
	}
	tx->n = 0;
}

/* Queue @pkt for the peer; it must stay put until peer_flush(). */
static void peer_send(struct tunnel *t, uint8_t *pkt, uint32_t len)
{
	if (!udp_tx_add(&t->tx, pkt, len, &t->peer, t->peer_len)) {
		peer_flush(t);
		udp_tx_add(&t->tx, pkt, len, &t->peer, t->peer_len);
	}
}

/* A packet to the service address: the tunnel itself answers echo requests. */
static void service_local(struct tunnel *t, struct ip4 *v)
{
	uint32_t n;

	if (!icmp_is_echo_request(v)) {
		STAT_INC(t->st.drop_service);
		drop(t, FT_PATH_FROM_LOCAL, v->p, v->len, t->reason_service, 0, NULL);
		return;
	}
	ft_tap_hook(t->tap, FT_PATH_FROM_LOCAL, v->p, v->len, NULL);
	n = icmp_echo_reply(v, t->synth, sizeof(t->synth));
	if (!n)
		return;
	STAT_INC(t->st.echo_local);
	ft_tap_hook(t->tap, FT_PATH_SYNTHESIZED_TO_LOCAL, t->synth, n, NULL);
	tun_write(t, t->synth, n);
}

/* One packet the local stack sent into the tunnel. Its buffer stays valid
 * until the transmit batch is flushed. */
static void from_local(struct tunnel *t, uint8_t *pkt, uint32_t n)
{
	struct ft_meta m = FT_META_INIT;
	const struct ft_meta *mp = NULL;
	struct ip4 v;
	uint32_t len;

	unsigned rule = 0;

	if (!ip_valid(pkt, n, &len)) {
		STAT_INC(t->st.drop_invalid);
		drop(t, FT_PATH_FROM_LOCAL, pkt, n, FT_DROP_INVALID, 0, NULL);
		return;
	}
	if (ip_version(pkt, len) == 4 && ip4_parse(pkt, len, &v)) {
		uint32_t svc;
		if ((rule = deny_match(t->cfg, &v))) {
			STAT_INC(t->st.drop_acl);
			ft_flows_add_ip_drop(t->tun_flows, pkt, len, FT_DIR_OUT, FT_DROP_ACL);
			drop(t, FT_PATH_FROM_LOCAL, pkt, len, FT_DROP_ACL, rule, NULL);
			return;
		}
		ft_flows_add_ip(t->tun_flows, pkt, len, FT_DIR_OUT);
		if (v.dst_be == t->cfg->service_be) {
			service_local(t, &v);
			return;
		}
		svc = dnat_out(&t->nat, &v);
		if (svc) {
			ft_meta_set_nat_ip4(&m, 0, svc);
			mp = &m;
		}
	} else {
		ft_flows_add_ip(t->tun_flows, pkt, len, FT_DIR_OUT);
	}
	if (!t->peer_len) {
		STAT_INC(t->st.drop_nopeer);
		drop(t, FT_PATH_FROM_LOCAL, pkt, len, FT_DROP_NO_ROUTE, 0, mp);
		return;
	}
	ft_tap_hook(t->tap, FT_PATH_FROM_LOCAL, pkt, len, mp);
	peer_send(t, pkt, len);
}

static void on_tun(evutil_socket_t fd, short what, void *arg)
{
	struct tunnel *t = arg;

	for (int i = 0; i < TUN_BATCH; i++) {
		uint8_t *buf = t->tun_bufs + (size_t)i * TUN_PKT_MAX;
		ssize_t n = read(fd, buf, TUN_PKT_MAX);
		if (n <= 0)
			break;
		STAT_INC(t->st.tun_rx);
		from_local(t, buf, (uint32_t)n);
	}
	peer_flush(t);
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

/* Accept a datagram from the configured peer's host (its port may change, as
 * behind a NAT); without --peer, the latest sender becomes the peer. */
static bool accept_sender(struct tunnel *t, const struct sockaddr_storage *from, socklen_t len)
{
	if (t->cfg->peer_len && !same_host(from, &t->cfg->peer)) {
		STAT_INC(t->st.drop_foreign);
		return false;
	}
	/* Only this thread writes the peer, so it reads it without the lock;
	 * the lock is for the status readers, taken only when it changes. */
	if (len == t->peer_len && !memcmp(from, &t->peer, len))
		return true;
	pthread_mutex_lock(&t->peer_mu);
	memcpy(&t->peer, from, len);
	t->peer_len = len;
	pthread_mutex_unlock(&t->peer_mu);
	return true;
}

/* The peer's overlay address keys the socket-layer counters: learn it from
 * inner sources inside our own tunnel prefix. */
static void learn_overlay(struct tunnel *t, const struct ip4 *v)
{
	uint32_t mask = t->addr4_mask_be;

	if (t->peer_overlay.len || !t->addr4_be || v->src_be == t->addr4_be)
		return;
	if ((v->src_be & mask) != (t->addr4_be & mask) || v->src_be == t->cfg->service_be)
		return;
	pthread_mutex_lock(&t->peer_mu);
	t->peer_overlay.len = 4;
	memcpy(t->peer_overlay.b, &v->src_be, 4);
	pthread_mutex_unlock(&t->peer_mu);
}

/* An echo request from the peer to our service address: answer it to the peer. */
static void service_peer(struct tunnel *t, struct ip4 *v)
{
	uint32_t n;

	if (!icmp_is_echo_request(v)) {
		STAT_INC(t->st.drop_service);
		drop(t, FT_PATH_FROM_PEER, v->p, v->len, t->reason_service, 0, NULL);
		return;
	}
	ft_tap_hook(t->tap, FT_PATH_FROM_PEER, v->p, v->len, NULL);
	n = icmp_echo_reply(v, t->synth, sizeof(t->synth));
	if (!n)
		return;
	STAT_INC(t->st.echo_peer);
	ft_tap_hook(t->tap, FT_PATH_SYNTHESIZED_TO_PEER, t->synth, n, NULL);
	peer_send(t, t->synth, n);
	peer_flush(t); /* t->synth is reused */
}

/* A datagram of @n bytes from the peer holding an IP packet of @len bytes. */
static void from_peer(struct tunnel *t, uint8_t *pkt, uint32_t n, uint32_t len)
{
	struct ft_meta m = FT_META_INIT;
	const struct ft_meta *mp = NULL;
	struct ip4 v;
	unsigned rule;

	observe_physical(t, FT_DIR_IN, n);
	if (ip_version(pkt, len) == 4 && ip4_parse(pkt, len, &v)) {
		uint32_t real;
		learn_overlay(t, &v);
		if (v.dst_be == t->cfg->service_be) {
			service_peer(t, &v);
			return;
		}
		if (icmp_is_keepalive_reply(&v, t->addr4_be)) {
			ft_tap_hook(t->tap, FT_PATH_FROM_PEER, pkt, len, NULL);
			STAT_INC(t->st.keepalive_rx);
			return;
		}
		if ((rule = deny_match(t->cfg, &v))) {
			STAT_INC(t->st.drop_acl);
			ft_flows_add_ip_drop(t->tun_flows, pkt, len, FT_DIR_IN, FT_DROP_ACL);
			drop(t, FT_PATH_FROM_PEER, pkt, len, FT_DROP_ACL, rule, NULL);
			return;
		}
		real = dnat_in(&t->nat, &v);
		if (real) {
			ft_meta_set_nat_ip4(&m, real, 0);
			mp = &m;
		}
	}
	ft_tap_hook(t->tap, FT_PATH_FROM_PEER, pkt, len, mp);
	tun_write(t, pkt, len);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct tunnel *t = arg;
	int count = udp_recv(fd, &t->rx);

	for (int i = 0; i < count; i++) {
		uint8_t *pkt = t->rx.iov[i].iov_base;
		uint32_t n = t->rx.msgs[i].msg_len, len;
		STAT_INC(t->st.udp_rx);
		/* Validate before the sender may become the peer: garbage must
		 * not redirect the tunnel. */
		if (!n || !ip_valid(pkt, n, &len)) {
			STAT_INC(t->st.drop_invalid);
			if (n)
				drop(t, FT_PATH_FROM_PEER, pkt, n, FT_DROP_INVALID, 0, NULL);
			continue;
		}
		if (!accept_sender(t, &t->rx.from[i], t->rx.msgs[i].msg_hdr.msg_namelen)) {
			drop(t, FT_PATH_FROM_PEER, pkt, len, FT_DROP_FOREIGN, 0, NULL);
			continue;
		}
		from_peer(t, pkt, n, len);
	}
	peer_flush(t);
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct tunnel *t = arg;
	uint32_t n;

	if (!t->peer_len || !t->addr4_be)
		return;
	n = icmp_keepalive(t->addr4_be, t->cfg->service_be, ++t->keepalive_seq, t->synth,
			   sizeof(t->synth));
	if (!n)
		return;
	STAT_INC(t->st.keepalive_tx);
	ft_tap_hook(t->tap, FT_PATH_SYNTHESIZED_TO_PEER, t->synth, n, NULL);
	peer_send(t, t->synth, n);
	peer_flush(t);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tunnel *t = arg;
	event_base_loopbreak(t->base);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	tun_peers_reload(arg);
}

/* SIGUSR2: save the flight recorder (--trigger-dir). */
static void on_usr2(evutil_socket_t sig, short what, void *arg)
{
	struct tunnel *t = arg;

	if (t->trigger)
		ft_trigger_fire(t->trigger, "SIGUSR2");
	else
		fprintf(stderr, TUN_PROG ": SIGUSR2: no recorder trigger (--trigger-dir)\n");
}

static int open_tun(struct tunnel *t)
{
	const struct tun_cfg *c = t->cfg;
	struct netcfg_err e = {0};
	const char *step;
	int ret;

	t->tun_fd = tun_open(c->tun_dev, c->tun_name, t->ifname, &step);
	if (t->tun_fd < 0) {
		if (!strcmp(step, "open"))
			fprintf(stderr, TUN_PROG ": cannot open TUN device %s: %s%s\n", c->tun_dev,
				strerror(-t->tun_fd),
				t->tun_fd == -ENOENT
				    ? " (no TUN support: is the tun module loaded?)"
				    : "");
		else
			fprintf(stderr, TUN_PROG ": cannot create TUN interface '%s' with %s: %s\n",
				c->tun_name, c->tun_dev, strerror(-t->tun_fd));
		return t->tun_fd;
	}
	ret = netcfg_apply(t->ifname, c, &e);
	if (ret < 0)
		fprintf(stderr, TUN_PROG ": cannot %s%s%s on %s: %s\n", e.what,
			e.subject[0] ? " " : "", e.subject, t->ifname, strerror(-ret));
	return ret;
}

static int open_udp(struct tunnel *t)
{
	const struct tun_cfg *c = t->cfg;
	char a[80];

	t->udp_fd = udp_open(&c->listen, c->listen_len);
	if (t->udp_fd < 0) {
		fprintf(stderr, TUN_PROG ": cannot listen on %s: %s\n",
			tun_format_sockaddr((const struct sockaddr *)&c->listen, a, sizeof(a)),
			strerror(-t->udp_fd));
		return t->udp_fd;
	}
	if (c->peer_len) {
		memcpy(&t->peer, &c->peer, c->peer_len);
		t->peer_len = c->peer_len;
	}
	return 0;
}

static int add_events(struct tunnel *t)
{
	struct timeval ka = {.tv_sec = t->cfg->keepalive_s};

	t->ev_tun = event_new(t->base, t->tun_fd, EV_READ | EV_PERSIST, on_tun, t);
	t->ev_udp = event_new(t->base, t->udp_fd, EV_READ | EV_PERSIST, on_udp, t);
	t->ev_sig[0] = evsignal_new(t->base, SIGINT, on_signal, t);
	t->ev_sig[1] = evsignal_new(t->base, SIGTERM, on_signal, t);
	t->ev_sig[2] = evsignal_new(t->base, SIGHUP, on_hup, t);
	t->ev_sig[3] = evsignal_new(t->base, SIGUSR2, on_usr2, t);
	if (!t->ev_tun || !t->ev_udp || !t->ev_sig[0] || !t->ev_sig[1] || !t->ev_sig[2] ||
	    !t->ev_sig[3])
		return -ENOMEM;
	if (event_add(t->ev_tun, NULL) || event_add(t->ev_udp, NULL) ||
	    event_add(t->ev_sig[0], NULL) || event_add(t->ev_sig[1], NULL) ||
	    event_add(t->ev_sig[2], NULL) || event_add(t->ev_sig[3], NULL))
		return -EINVAL;
	if (!t->cfg->keepalive_s)
		return 0;
	t->ev_keepalive = event_new(t->base, -1, EV_PERSIST, on_keepalive, t);
	if (!t->ev_keepalive || event_add(t->ev_keepalive, &ka))
		return -ENOMEM;
	return 0;
}

static int setup(struct tunnel *t)
{
	char err[256] = "";
	int ret;

	/* The socket first: a port in use then fails before an interface is
	 * created (and destroyed again). */
	ret = open_udp(t);
	if (ret < 0)
		return ret;
	ret = open_tun(t);
	if (ret < 0)
		return ret;
	ret = -ENOMEM;
	t->tun_bufs = malloc((size_t)TUN_BATCH * TUN_PKT_MAX);
	t->base = event_base_new();
	if (!t->tun_bufs || !t->base || udp_rx_init(&t->rx) < 0)
		goto oom;
	ret = ft_tap_new(&t->tap, t->ifname);
	if (ret < 0)
		goto oom;
	ret = ft_tap_add_drop_reason(t->tap, "service");
	if (ret < 0)
		goto oom;
	t->reason_service = (unsigned)ret;
	if (t->cfg->recorder && (ret = ft_tap_recorder_start(t->tap, &t->cfg->rec)) < 0) {
		fprintf(
		    stderr, TUN_PROG ": cannot start the flight recorder: %s%s\n", ft_strerror(ret),
		    ret == -EINVAL ? " (the size must hold 8 packets of --recorder-snaplen)" : "");
		return ret;
	}
	if ((ret = tun_trigger_start(t)) < 0)
		return ret;
	ret = observe_start(t, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, TUN_PROG ": %s\n", err);
		return ret;
	}
	struct ft_peers *peers;
	if ((ret = tun_peers_load(t->cfg, &peers, err, sizeof(err))) < 0) {
		fprintf(stderr, TUN_PROG ": %s\n", err);
		return ret;
	}
	tun_peers_apply(t, peers);
	ft_peers_free(peers);
	ret = add_events(t);
	if (ret < 0)
		goto oom;
	return 0;
oom:
	fprintf(stderr, TUN_PROG ": cannot set up the datapath: %s\n", ft_strerror(ret));
	return ret;
}

static void teardown(struct tunnel *t)
{
	/* A file being saved is completed while the tap still exists. */
	ft_trigger_free(t->trigger);
	observe_stop(t);
	if (t->ev_keepalive)
		event_free(t->ev_keepalive);
	for (int i = 0; i < 4; i++)
		if (t->ev_sig[i])
			event_free(t->ev_sig[i]);
	if (t->ev_tun)
		event_free(t->ev_tun);
	if (t->ev_udp)
		event_free(t->ev_udp);
	ft_tap_free(t->tap);
	if (t->base)
		event_base_free(t->base);
	udp_rx_free(&t->rx);
	free(t->tun_bufs);
	if (t->tun_fd >= 0)
		close(t->tun_fd);
	if (t->udp_fd >= 0)
		close(t->udp_fd);
}

/* Every counter as `label value`, the labels of status. */
static void summary(const struct tunnel *t)
{
	fprintf(stderr, TUN_PROG ": %s:", t->ifname);
	for (size_t i = 0; i < tun_ncounters; i++)
		fprintf(stderr, "%s %s %" PRIu64, i ? "," : "", tun_counters[i].label,
			tun_counter_get(t, &tun_counters[i]));
	fputc('\n', stderr);
}

static void announce(const struct tunnel *t)
{
	const struct tun_cfg *c = t->cfg;
	char addrs[160] = "", a[64], l[80], p[80] = "learned from the first datagram";
	char s[INET_ADDRSTRLEN];
	size_t off = 0;

	for (int i = 0; i < c->naddrs && off < sizeof(addrs); i++)
		off += (size_t)snprintf(addrs + off, sizeof(addrs) - off, "%s%s/%u", i ? " " : "",
					ft_addr_format(&c->addrs[i].addr, a, sizeof(a)),
					c->addrs[i].plen);
	tun_format_sockaddr((const struct sockaddr *)&c->listen, l, sizeof(l));
	if (c->peer_len)
		tun_format_sockaddr((const struct sockaddr *)&c->peer, p, sizeof(p));
	inet_ntop(AF_INET, &c->service_be, s, sizeof(s));
	fprintf(stderr, TUN_PROG ": %s up: %s, udp %s, peer %s, service %s, local API %s\n",
		t->ifname, addrs, l, p, s, t->api ? c->socket_path : "off");
}

/*
 * tunnel_run - set the tunnel up as @c says, run it until SIGINT or SIGTERM
 * and tear it down. Errors are reported on stderr. Returns 0 or -errno.
 */
int tunnel_run(const struct tun_cfg *c)
{
	struct tunnel *t = calloc(1, sizeof(*t));
	int ret = -ENOMEM;

	if (!t) {
		fprintf(stderr, TUN_PROG ": out of memory\n");
		return ret;
	}
	t->cfg = c;
	t->tun_fd = t->udp_fd = -1;
	pthread_mutex_init(&t->peer_mu, NULL);
	for (int i = 0; i < c->naddrs; i++) {
		uint8_t plen = c->addrs[i].plen;
		if (c->addrs[i].addr.len != 4)
			continue;
		memcpy(&t->addr4_be, c->addrs[i].addr.b, 4);
		t->addr4_mask_be = plen ? htonl(~0u << (32 - plen)) : 0;
	}
	t->peer_overlay = c->peer_overlay;
	dnat_init(&t->nat, c->dnat, c->ndnat);
	ret = setup(t);
	if (ret == 0) {
		if (!c->quiet)
			announce(t);
		ret = event_base_dispatch(t->base) < 0 ? -EIO : 0;
	}
	teardown(t);
	if (ret == 0 && !c->quiet)
		summary(t);
	pthread_mutex_destroy(&t->peer_mu);
	free(t);
	return ret;
}
