/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tunnel.h - flowtap-tunnel internals: a reference userspace datapath.
 *
 * flowtap-tunnel moves IP packets between a TUN device and one UDP peer
 * (plain IP-in-UDP: the UDP payload is the inner IP packet, nothing else; no
 * encryption, so this is a reference datapath and not a VPN). It embeds
 * libflowtap the way a real VPN engine would: one tap with hooks at the four
 * built-in paths, connection counters at the tunnel and socket layers, the
 * flow logger and the local API.
 *
 * One file per concern: main.c (flags), tun.c (TUN device), netcfg.c
 * (addresses and routes over rtnetlink), udp.c (socket and encapsulation),
 * pkt.c (IPv4 header parsing and checksums), icmp.c (echo responder and
 * keepalive probes), dnat.c (the DNAT rule), observe.c (counters, flow logger,
 * local API), loop.c (the libevent loop and the datapath).
 */
#ifndef FT_TUNNEL_H
#define FT_TUNNEL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <flowtap/common.h>
#include <flowtap/tap.h>
#include <flowtap/trigger.h>

#define TUN_PROG	"flowtap-tunnel"
#define TUN_MAX_ROUTES	16
#define TUN_MAX_DNAT	8
#define TUN_MAX_DENY	16
#define TUN_BATCH	32    /* packets per recvmmsg/sendmmsg */
#define TUN_PKT_MAX	65535 /* largest IP packet */
#define TUN_DEFAULT_MTU 1420  /* 1500 minus outer IPv6 (40) + UDP (8), rounded down */

/*
 * A counter written by the loop thread only and read by the local API's
 * thread: a relaxed load and store (plain moves on common CPUs), not a
 * locked read-modify-write, since there is a single writer.
 */
typedef _Atomic uint64_t stat_t;
#define STAT_INC(c)                                                                                \
	atomic_store_explicit(&(c), atomic_load_explicit(&(c), memory_order_relaxed) + 1,          \
			      memory_order_relaxed)
#define STAT_GET(c) atomic_load_explicit(&(c), memory_order_relaxed)

/* An address with a prefix length: 100.64.0.1/10, fd7a::1/64. */
struct ipnet {
	struct ft_addr addr;
	uint8_t plen;
};

/* --deny CIDR[:PORT]: packets to CIDR (and TCP/UDP port PORT, 0: any)
 * are dropped as acl-denied, with rule id = the option's position (1..). */
struct deny_rule {
	uint32_t net_be, mask_be;
	uint16_t port;
};

/* --dnat SERVICE=REAL: local packets to SERVICE go to REAL across the tunnel. */
struct dnat_rule {
	uint32_t service_be;
	uint32_t real_be;
};

struct tun_cfg {
	const char *tun_name;  /* --tun */
	const char *tun_dev;   /* --tun-dev: the clone device, /dev/net/tun */
	struct ipnet addrs[2]; /* --addr (one IPv4, optionally one IPv6) */
	int naddrs;
	struct sockaddr_storage listen; /* --listen */
	socklen_t listen_len;
	struct sockaddr_storage peer; /* --peer */
	socklen_t peer_len;	      /* 0: learn from the first datagram */
	struct ft_addr peer_overlay;  /* --peer-addr; len 0: learn it */
	struct ipnet routes[TUN_MAX_ROUTES];
	int nroutes;
	struct ipnet overlay[TUN_MAX_ROUTES]; /* --overlay: replaces the default ranges */
	int noverlay;
	const char *socket_path;     /* --socket; NULL: no local API */
	const char *flow_log;	     /* --flow-log FILE or - */
	const char *node_id;	     /* --node-id */
	const char *peers_file;	     /* --peers: the peer table, re-read on SIGHUP */
	const char *node_name;	     /* --node: this node's name (without --peers) */
	const char *peer_name;	     /* --peer-name: the peer's name (without --peers) */
	const char *url;	     /* --url */
	const char *spool_dir;	     /* --spool */
	unsigned flow_format;	     /* --flow-format: enum ft_flow_format */
	const char *api_group;	     /* --group */
	const char *ipfix;	     /* --ipfix HOST:PORT */
	const char *metrics_listen;  /* --metrics-listen [ADDR:]PORT */
	bool recorder;		     /* --recorder: the tap's flight recorder runs */
	struct ft_recorder_opts rec; /* --recorder SECONDS[,SIZE], --recorder-snaplen */
	bool recorder_paths;	     /* --recorder-paths given */
	const char *trigger_dir;     /* --trigger-dir: recorder triggers save there */
	const char *trigger;	     /* --trigger EXPR */
	const char *trigger_drop;    /* --trigger-drop any|REASON[,REASON] */
	struct ft_trigger_opts trig; /* --trigger-after, --trigger-before, --trigger-keep */
	bool trigger_opts;	     /* one of those was given */
	bool log_exit_flows;
	bool anon;		   /* --anonymize: the flow log's addresses mapped */
	uint8_t anon_key[32];	   /* with this key (FT_ANON_KEY_LEN) */
	unsigned flow_interval_ms; /* --flow-interval */
	uint32_t service_be;	   /* --service-addr, network order */
	struct dnat_rule dnat[TUN_MAX_DNAT];
	int ndnat;
	struct deny_rule deny[TUN_MAX_DENY];
	int ndeny;
	unsigned keepalive_s; /* --keepalive; 0: off */
	int mtu;
	bool quiet;
};

/* deny.c: parse one --deny into @c (-EINVAL after a message); the rule
 * (1-based) that denies IPv4 packet @v, 0 if none. */
struct ip4;
int deny_parse(const char *s, struct tun_cfg *c);
unsigned deny_match(const struct tun_cfg *c, const struct ip4 *v);

/* main.c helpers shared with other files. */
int tun_parse_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len);
const char *tun_format_sockaddr(const struct sockaddr *sa, char *buf, size_t len);
int tun_parse_ipnet(const char *s, struct ipnet *n);

/* tun.c: open and attach the TUN device; returns the fd or -errno. @err
 * names the step that failed ("open"/"attach"). */
int tun_open(const char *dev, const char *name, char *ifname, const char **step);

/* netcfg.c: bring the interface up with @mtu, add the addresses and routes. */
struct netcfg_err {
	const char *what; /* "set link up", "add address", "add route" */
	char subject[64];
};
int netcfg_apply(const char *ifname, const struct tun_cfg *c, struct netcfg_err *e);

/* udp.c */
int udp_open(const struct sockaddr_storage *ss, socklen_t len);

/* pkt.c: a validated view of an IPv4 packet. Offsets are within @len. */
struct ip4 {
	uint8_t *p;
	uint32_t len; /* total length from the header (<= buffer) */
	uint8_t ihl;  /* header bytes */
	uint8_t proto;
	bool first;	 /* fragment offset 0: the L4 header is present */
	bool fragmented; /* a fragment (offset or more-fragments set) */
	uint32_t src_be, dst_be;
	uint16_t sport, dport; /* TCP/UDP ports, or ICMP echo id in both */
	uint8_t icmp_type;
	bool has_l4; /* ports/type valid */
};
int ip_version(const uint8_t *p, uint32_t n);
bool ip_valid(const uint8_t *p, uint32_t n, uint32_t *iplen);
bool ip4_parse(uint8_t *p, uint32_t n, struct ip4 *v);
uint16_t csum_fold(uint32_t sum);
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
void ip4_set_src(struct ip4 *v, uint32_t addr_be);
void ip4_set_dst(struct ip4 *v, uint32_t addr_be);
void ip4_fix_csum(uint8_t *p, uint8_t ihl);

/* icmp.c */
#define KEEPALIVE_ID 0x4654 /* "FT": the ICMP echo id of keepalive probes */
bool icmp_is_echo_request(const struct ip4 *v);
uint32_t icmp_echo_reply(const struct ip4 *req, uint8_t *out, uint32_t cap);
uint32_t icmp_keepalive(uint32_t src_be, uint32_t dst_be, uint16_t seq, uint8_t *out, uint32_t cap);
bool icmp_is_keepalive_reply(const struct ip4 *v, uint32_t our_be);

/* dnat.c: the rule table plus a small bounded table of NATed connections so
 * that only replies to NATed packets are translated back. */
struct dnat_conn {
	uint32_t local_be, real_be, service_be;
	uint16_t lport, rport;
	uint8_t proto;
	bool used;
};
#define DNAT_CONNS 1024
struct dnat {
	const struct dnat_rule *rules;
	int nrules;
	struct dnat_conn conns[DNAT_CONNS];
	stat_t translated, untranslated;
};
void dnat_init(struct dnat *d, const struct dnat_rule *rules, int n);
/* Outbound: returns the service address rewritten (network order) or 0. */
uint32_t dnat_out(struct dnat *d, struct ip4 *v);
/* Inbound: rewrites a reply back; returns the real address it came from or 0. */
uint32_t dnat_in(struct dnat *d, struct ip4 *v);

/* udp.c: batched receive (recvmmsg) and send (sendmmsg). A transmit batch
 * only points at the caller's packets, which must stay put until flushed. */
struct udp_rx {
	struct mmsghdr msgs[TUN_BATCH];
	struct iovec iov[TUN_BATCH];
	struct sockaddr_storage from[TUN_BATCH];
	uint8_t *bufs; /* TUN_BATCH buffers of TUN_PKT_MAX bytes */
};
struct udp_tx {
	struct mmsghdr msgs[TUN_BATCH];
	struct iovec iov[TUN_BATCH];
	bool ok[TUN_BATCH]; /* set by udp_tx_flush(): datagram i was sent */
	int n;
};
int udp_rx_init(struct udp_rx *rx);
void udp_rx_free(struct udp_rx *rx);
int udp_recv(int fd, struct udp_rx *rx);
bool udp_tx_add(struct udp_tx *tx, void *pkt, size_t len, const struct sockaddr_storage *to,
		socklen_t tolen);
int udp_tx_flush(int fd, struct udp_tx *tx);

/* Counters of the datapath itself (status and the exit summary). */
struct tun_stats {
	stat_t tun_rx, tun_tx;	      /* packets read from / written to the TUN device */
	stat_t udp_rx, udp_tx;	      /* datagrams received from / sent to the peer */
	stat_t echo_local, echo_peer; /* echo requests answered for the service address */
	stat_t keepalive_tx, keepalive_rx;
	stat_t drop_invalid; /* not an IP packet */
	stat_t drop_nopeer;  /* no peer known yet */
	stat_t drop_foreign; /* datagram from an address that is not the peer */
	stat_t drop_service; /* to the service address but not an echo request */
	stat_t drop_tx;	     /* socket or TUN device full (EAGAIN) or failing */
	stat_t drop_acl;     /* denied by a --deny rule */
};

struct ft_tap;
struct ft_flows;
struct ft_flowlog;
struct ft_api;
struct event_base;
struct event;

/* The running tunnel. */
struct tunnel {
	const struct tun_cfg *cfg;
	char ifname[16];
	int tun_fd, udp_fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;	     /* 0: not known yet */
	struct ft_addr peer_overlay; /* the peer's tunnel address (physical flow key) */
	pthread_mutex_t peer_mu;     /* held to change the peer, and by status readers */
	uint32_t addr4_be;	     /* our IPv4 tunnel address, 0 if none */
	uint32_t addr4_mask_be;	     /* its prefix as a mask, network order */
	struct ft_tap *tap;
	struct ft_flows *tun_flows, *phys_flows;
	struct ft_flowlog *flowlog;
	struct ft_api *api;
	struct event_base *base;
	struct event *ev_tun, *ev_udp, *ev_keepalive, *ev_sig[4];
	struct ft_trigger *trigger; /* --trigger-dir, NULL: none */
	struct dnat nat;
	struct udp_rx rx;
	struct udp_tx tx;
	uint8_t *tun_bufs;	    /* TUN_BATCH buffers of TUN_PKT_MAX bytes */
	uint8_t synth[TUN_PKT_MAX]; /* replies and probes built by the tunnel */
	uint16_t keepalive_seq;
	struct tun_stats st;
	unsigned reason_service; /* drop reason "service": not an echo to the service address */
};

/* One counter of the tunnel: its label in status, the exit summary and
 * (with the reason label when it has one) its Prometheus family. */
struct tun_counter {
	const char *label;
	const char *metric, *reason, *help;
	size_t off;	 /* of its stat_t in struct tunnel */
	const char *key; /* the name of the label of @reason; NULL: "reason" */
};
extern const struct tun_counter tun_counters[];
extern const size_t tun_ncounters;
uint64_t tun_counter_get(const struct tunnel *t, const struct tun_counter *c);

/* observe.c: counters, flow logger and local API around the datapath. The
 * error message, if any, goes to @err. */
int observe_start(struct tunnel *t, char *err, size_t errlen);
void observe_stop(struct tunnel *t);
void observe_physical(struct tunnel *t, int dir, size_t bytes);

/* loop.c */
int tunnel_run(const struct tun_cfg *c);

/* trigger.c: --trigger-dir, after the recorder started (0 or -errno, said). */
int tun_trigger_start(struct tunnel *t);

/* names.c: the peer table (see the top of names.c). */
struct ft_peers;
/* From --peers or --node/--peer-name into *out (NULL: none asked for).
 * Returns 0 or a negative code with a message in @err. */
int tun_peers_load(const struct tun_cfg *c, struct ft_peers **out, char *err, size_t errlen);
/* Name the tap's captures and the flow log with @p (NULL: none). */
void tun_peers_apply(struct tunnel *t, struct ft_peers *p);
/* SIGHUP: re-read --peers; a bad file keeps the running table. */
void tun_peers_reload(struct tunnel *t);

#endif
