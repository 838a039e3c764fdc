/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/flows.h - connection counters and flow logs.
 *
 * Two objects:
 *  - struct ft_flows: a table of per-connection counters that a datapath
 *    updates per packet (hot path). Keep one for the tunnel layer (virtual
 *    addresses: the 5-tuple from the local side's point of view) and one for
 *    the socket layer (physical: per peer, the peer's overlay address -> the
 *    UDP endpoint used, proto and source port 0).
 *  - struct ft_flowlog: every interval extracts both tables, classifies each
 *    connection (virtual, subnet, exit, physical), builds JSON messages in the
 *    established flow-log format (or flat records, per sink: enum
 *    ft_flow_format) and hands them to its sinks (JSON lines file
 *    or stdout, HTTP POST with an on-disk spool, IPFIX over UDP, and any
 *    number of callbacks, e.g. the local API's GET /localapi/v0/flows).
 *
 * Typical datapath use (see flowtap-flows(5) for the message format):
 *
 *	struct ft_flows *tun, *phys;
 *	struct ft_flowlog *log;
 *	ft_flows_new(&tun, 0);
 *	ft_flows_new(&phys, 0);
 *	ft_flowlog_new(&log, tun, phys);
 *	ft_flowlog_set_node_id(log, "n1");
 *	ft_flowlog_add_route_str(log, "10.1.0.0/16");     // --route, repeatable
 *	ft_flowlog_add_sink_file(log, "-");                // --flow-log -
 *	ft_flowlog_add_sink_http(log, url, "/var/spool/x", NULL); // --url
 *	ft_flowlog_add_sink_ipfix(log, "127.0.0.1:4739"); // --ipfix
 *	ft_flowlog_start(log);
 *	...
 *	// per packet, any thread:
 *	ft_flows_add_ip(tun, ip, caplen, ip_len, FT_DIR_OUT);
 *	ft_flows_add_physical(phys, &peer_overlay_addr, &endpoint, port, FT_DIR_OUT, udp_len);
 *	...
 *	ft_flowlog_stop(log);   // final message flushed to every sink
 *	ft_flowlog_free(log);
 *	ft_flows_free(tun);
 *	ft_flows_free(phys);
 *
 * Threading: ft_flows_add*() may be called from any number of threads at
 * once. Every ft_flowlog_* function may be called from any thread, including
 * while the logger runs, except where a comment says otherwise.
 */
#ifndef FLOWTAP_FLOWS_H
#define FLOWTAP_FLOWS_H

#include <flowtap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Connection keys and counters                                              */
/* ------------------------------------------------------------------------ */

/**
 * A connection, from the local side's point of view: @src is the local
 * address and port, @dst the remote one. For ICMP/ICMPv6 (and protocols
 * without ports) both ports are 0. For socket-layer (physical) entries,
 * @proto is 0, @src is the peer's overlay address with port 0 and @dst is
 * the UDP endpoint the peer was reached at. @src and @dst may be of
 * different families only for physical entries. Unused bytes of an address
 * must be zero (ft_addr_parse() and the ft_flows_add_* helpers ensure it).
 */
struct ft_flow_key {
	struct ft_addr src;
	struct ft_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
};

/** Counts of one connection over an interval; tx = sent by the local side. */
struct ft_flow_counts {
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	/* Packets of the connection the datapath dropped (ft_flows_add_drop()),
	 * not in the counts above. */
	uint64_t drop_pkts;
	uint64_t drop_bytes;
	uint16_t drop_reason; /* the latest drop's reason (enum ft_drop_reason), 0: none */
	uint8_t drop_dir;     /* and its direction (enum ft_dir) */
};

/** One extracted connection. */
struct ft_flow_stat {
	struct ft_flow_key key;
	struct ft_flow_counts c;
};

/** An address prefix such as 10.1.0.0/16 or fd7a:115c:a1e0::/48. */
struct ft_prefix {
	struct ft_addr addr; /* host bits are zero */
	uint8_t bits;	     /* 0..32 or 0..128 */
};

/**
 * ft_prefix_parse - parse "ADDR/BITS" (or a bare address: a host prefix)
 * into @p; host bits are cleared.
 * Returns 0 or -EINVAL (bad address, bits out of range or trailing text).
 */
FT_EXPORT int ft_prefix_parse(const char *s, struct ft_prefix *p);

/** ft_prefix_contains - whether @a is inside @p (same family only). */
FT_EXPORT bool ft_prefix_contains(const struct ft_prefix *p, const struct ft_addr *a);

struct ft_flows;

/** Default bound on the connections one table holds between extracts. */
#define FT_FLOWS_DEFAULT_MAX 65536

/**
 * ft_flows_new - create a counter table.
 * @out: receives the table; free with ft_flows_free().
 * @max_conns: at most this many distinct connections are held between two
 *	extracts (0: FT_FLOWS_DEFAULT_MAX; at most 1<<24). Updates for new
 *	connections beyond the bound are dropped and counted (ft_flows_stats()).
 *	Each thread that updates the table gets its own table, allocated on
 *	its first update, with room for the whole bound (about 170 bytes per
 *	connection of virtual memory, touched only as connections appear);
 *	beyond 64 updating threads, threads share tables.
 * Returns 0, -EINVAL or -ENOMEM.
 */
FT_EXPORT int ft_flows_new(struct ft_flows **out, size_t max_conns);

/**
 * ft_flows_free - free @f (NULL is allowed). No thread may be inside an
 * ft_flows_* call on @f any longer, and no logger may still use it.
 */
FT_EXPORT void ft_flows_free(struct ft_flows *f);

/**
 * ft_flows_add - count @pkts packets of @bytes bytes in total for @k.
 * HOT PATH: no allocation (except once, on a thread's first update), no
 * syscall; one spinlock per updating thread that only that thread and
 * extract take, so it is uncontended and its cache line stays local.
 * @dir: FT_DIR_OUT counts as tx (sent by @k->src), FT_DIR_IN as rx.
 *	FT_DIR_UNKNOWN: if the reverse of @k is already counted (by the same
 *	thread, since the last extract), the packet is rx of that connection;
 *	otherwise it is tx of @k (so the sender of the first packet seen is the
 *	local side). Feed one capture from one thread for this to hold.
 * Returns 0, FT_ELIMIT when @k is new and the table is full, or -ENOMEM
 * when the thread's table could not be allocated (both counted as overflow).
 */
FT_EXPORT int ft_flows_add(struct ft_flows *f, const struct ft_flow_key *k, enum ft_dir dir,
			   uint64_t pkts, uint64_t bytes);

/**
 * ft_flows_key_from_ip - fill @k from a raw IPv4 or IPv6 packet (no
 * link-layer header), as seen in direction @dir: for FT_DIR_IN the packet's
 * destination is the local side, so source and destination are swapped.
 * Every byte is read bounds-checked. IPv6 extension headers (hop-by-hop,
 * routing, destination options, fragment, AH) are walked; ports are taken
 * only from TCP, UDP, UDP-Lite, SCTP and DCCP headers of a first fragment;
 * ICMP and ICMPv6 are keyed without ports.
 * @bytes: receives the IP length (IPv4 total length / IPv6 40 + payload
 *	length), or @caplen when the header field is 0 (jumbograms, TSO).
 * Returns 0, or FT_ECORRUPT when the IP header is truncated or not IPv4/6.
 */
FT_EXPORT int ft_flows_key_from_ip(struct ft_flow_key *k, uint32_t *bytes, const void *ip,
				   size_t caplen, enum ft_dir dir);

/**
 * ft_flows_add_ip - count one raw IP packet (see ft_flows_key_from_ip()).
 * HOT PATH. @dir as for ft_flows_add(). Bytes counted are the IP length
 * from the header (so snapped captures count the real size).
 * Returns 0, FT_ECORRUPT (not counted) or FT_ELIMIT.
 */
FT_EXPORT int ft_flows_add_ip(struct ft_flows *f, const void *ip, size_t caplen, enum ft_dir dir);

/**
 * ft_flows_add_physical - count one socket-layer packet: @bytes of UDP
 * payload exchanged with the peer whose overlay address is @peer, through
 * the UDP endpoint @ep:@ep_port. HOT PATH.
 * @dir: FT_DIR_OUT (sent to the peer) or FT_DIR_IN (received).
 * Returns 0, -EINVAL (bad direction or address) or FT_ELIMIT.
 */
FT_EXPORT int ft_flows_add_physical(struct ft_flows *f, const struct ft_addr *peer,
				    const struct ft_addr *ep, uint16_t ep_port, enum ft_dir dir,
				    uint64_t bytes);

/**
 * ft_flows_add_drop - count @pkts packets of @bytes that the datapath
 * dropped on connection @k, for @reason (enum ft_drop_reason of tap.h; 0 is
 * counted as FT_DROP_OTHER). They count as drop_pkts/drop_bytes, not as
 * tx/rx, and flow logs show them as "dropPkts"/"dropBytes"/"dropReason"
 * and IPFIX as records with forwardingStatus. HOT PATH, as ft_flows_add().
 * Returns as ft_flows_add().
 */
FT_EXPORT int ft_flows_add_drop(struct ft_flows *f, const struct ft_flow_key *k, enum ft_dir dir,
				uint64_t pkts, uint64_t bytes, unsigned reason);

/**
 * ft_flows_add_ip_drop - ft_flows_add_drop() for one raw IP packet, keyed
 * and sized as ft_flows_add_ip() does. HOT PATH.
 * Returns 0, FT_ECORRUPT (not counted) or FT_ELIMIT.
 */
FT_EXPORT int ft_flows_add_ip_drop(struct ft_flows *f, const void *ip, size_t caplen,
				   enum ft_dir dir, unsigned reason);

/**
 * ft_flows_extract - take every counted connection out of @f and reset the
 * table, atomically per shard: an update lands either in this extract or in
 * the next one, never in both and never lost.
 * @out: receives a malloc'ed array (free() it), NULL when empty.
 * @n: receives the number of entries.
 * A connection counted by several threads appears once, summed.
 * Calls to ft_flows_extract() are serialized internally.
 * Returns 0 or -ENOMEM (nothing is taken out then).
 */
FT_EXPORT int ft_flows_extract(struct ft_flows *f, struct ft_flow_stat **out, size_t *n);

/** Counters of a table. */
struct ft_flows_stats {
	uint64_t conns;	   /* connections currently held */
	uint64_t overflow; /* packets dropped because the table was full (total) */
	uint64_t max;	   /* the bound given to ft_flows_new() */
	uint64_t collided; /* packets not counted because their lookup reached the
			    * probe limit (the collision bucket; total). The hash
			    * is keyed, so this stays 0 unless a table is full of
			    * one connection's neighbours by rare chance. */
};

/** ft_flows_stats - read @f's counters (relaxed; for status output). */
FT_EXPORT void ft_flows_stats(const struct ft_flows *f, struct ft_flows_stats *st);

/**
 * Called by an updater on the first update after an extract (at most once
 * per extract, from the updating thread): lets a logger sleep while there
 * is no traffic. Must be quick and must not call back into @f.
 */
typedef void (*ft_flows_notify_fn)(void *ctx);

/** ft_flows_set_notify - install (or with NULL remove) @fn. Safe with
 * concurrent updates: once it returns, the previous function has returned
 * and is never called again (so its @ctx may be freed). ft_flowlog_new()
 * installs its own. */
FT_EXPORT void ft_flows_set_notify(struct ft_flows *f, ft_flows_notify_fn fn, void *ctx);

/* ------------------------------------------------------------------------ */
/* Flow logger                                                               */
/* ------------------------------------------------------------------------ */

struct ft_flowlog;

/** Traffic classes of a message (also the IPFIX trafficClass values). */
enum ft_flow_class {
	FT_FLOW_VIRTUAL = 1,  /* both ends in the overlay ranges */
	FT_FLOW_SUBNET = 2,   /* the remote end inside a configured route */
	FT_FLOW_EXIT = 3,     /* anything else on the tunnel layer */
	FT_FLOW_PHYSICAL = 4, /* socket layer: peer -> UDP endpoint */
};

/** Messages never exceed this many bytes (larger intervals are split). */
#define FT_FLOWLOG_MAX_MSG (256 * 1024)

/** Default interval between messages, in milliseconds. */
#define FT_FLOWLOG_DEFAULT_INTERVAL_MS 5000

/**
 * ft_flowlog_new - create a logger over the tunnel-layer table @tunnel and
 * the socket-layer table @physical (either may be NULL). The tables are
 * borrowed and must outlive the logger. Installs a notify function on them
 * (ft_flows_set_notify()). Defaults: node id "", interval 5 s, overlay
 * ranges 100.64.0.0/10 and fd7a:115c:a1e0::/48, no routes, exit flows
 * anonymized, no sinks.
 * Returns 0 or -ENOMEM.
 */
FT_EXPORT int ft_flowlog_new(struct ft_flowlog **out, struct ft_flows *tunnel,
			     struct ft_flows *physical);

/**
 * ft_flowlog_free - stop @l if it runs (final flush), close and free its
 * sinks, free @l. NULL is allowed.
 */
FT_EXPORT void ft_flowlog_free(struct ft_flowlog *l);

/**
 * Log callback for notices the library cannot return (HTTP failures,
 * spool drops, IPFIX send errors). @level is a syslog LOG_* value. Called
 * from the logger's or a sink's thread.
 */
typedef void (*ft_flowlog_log_fn)(void *ctx, int level, const char *msg);

/** ft_flowlog_set_log - install (or with NULL remove) the log callback. */
FT_EXPORT void ft_flowlog_set_log(struct ft_flowlog *l, ft_flowlog_log_fn fn, void *ctx);

struct ft_peers;

/**
 * ft_flowlog_set_peers - name the nodes of messages with peer table @p
 * (peers.h; NULL: none): each message then carries "srcNode" (the table's
 * self node, if set) and "dstNodes" (the peers owning an address of the
 * message's connections), see flowtap-flows(5); IPFIX records carry the
 * names of both ends. Without a table messages are unchanged. The logger
 * takes its own reference; replacing the table never stops or blocks the
 * logger or its sinks (the next window uses the new one). Any thread.
 * Returns 0 or -EINVAL (@p not built).
 */
FT_EXPORT int ft_flowlog_set_peers(struct ft_flowlog *l, struct ft_peers *p);

/* The most nodes ft_flowlog_set_stale() takes at once. */
#define FT_FLOWLOG_STALE_MAX 65536

/**
 * ft_flowlog_set_stale - the nodes (by node id, as in "srcNode"/"dstNodes")
 * whose link is unhealthy now, e.g. WireGuard peers whose last handshake is
 * too old while traffic is still sent to them; replaces the previous set
 * (n 0: none). A node entering the set counts one stale event. The first
 * message of each window then lists every node that was stale at some time
 * during the window, sorted by id (see flowtap-flows(5)):
 *   "staleNodes":[{"nodeId":"K","stale":true,"staleEvents":1}]
 * "stale" says whether it still is at the window's end, "staleEvents" how
 * often it turned stale in the window (omitted when 0). Up to 1,024 nodes
 * are listed, the rest counted in "staleNodesOmitted". Messages format only
 * (records and IPFIX carry no node state); an anonymized log carries none.
 * Copies the ids. Any thread; O(n log n), not for a per-packet path.
 * Returns 0, -EINVAL (an id NULL, empty or over 255 bytes), -E2BIG (@n over
 * FT_FLOWLOG_STALE_MAX) or -ENOMEM (the set may then lack new nodes).
 */
FT_EXPORT int ft_flowlog_set_stale(struct ft_flowlog *l, const char *const *node_ids, size_t n);

/**
 * ft_flowlog_set_node_id - the "nodeId" of every message (copied; at most
 * 255 bytes). Returns 0, -EINVAL or -ENOMEM.
 */
FT_EXPORT int ft_flowlog_set_node_id(struct ft_flowlog *l, const char *node_id);

/**
 * ft_flowlog_set_interval - milliseconds between messages (100..86400000).
 * Takes effect at the next interval. Returns 0 or -EINVAL.
 */
FT_EXPORT int ft_flowlog_set_interval(struct ft_flowlog *l, unsigned ms);

/**
 * ft_flowlog_set_log_exit_flows - false (default): all exit traffic of a
 * local address and protocol is one aggregate entry with ports and
 * non-overlay addresses removed; true: exit connections are logged with
 * their full tuples.
 */
FT_EXPORT void ft_flowlog_set_log_exit_flows(struct ft_flowlog *l, bool on);

/**
 * ft_flowlog_set_anonymize - map every address of the messages, records
 * and IPFIX data with Crypto-PAn under @key (FT_ANON_KEY_LEN bytes, copied;
 * see flowtap/anon.h), the same mapping a capture gets with that key.
 * Classification (routes, overlay) sees the real addresses. NULL turns it
 * off. Takes effect at the next message. Returns 0, -ENOMEM or -EIO.
 */
FT_EXPORT int ft_flowlog_set_anonymize(struct ft_flowlog *l, const uint8_t *key);

/**
 * ft_flowlog_set_routes - replace the configured routes (subnets reachable
 * through the overlay) by the @n prefixes at @p (copied). Takes effect for
 * the next message built. Returns 0, -EINVAL or -ENOMEM (routes unchanged).
 */
FT_EXPORT int ft_flowlog_set_routes(struct ft_flowlog *l, const struct ft_prefix *p, size_t n);

/**
 * ft_flowlog_add_route_str - add one route given as text ("10.1.0.0/16").
 * Returns 0, -EINVAL (bad prefix) or -ENOMEM.
 */
FT_EXPORT int ft_flowlog_add_route_str(struct ft_flowlog *l, const char *cidr);

/**
 * ft_flowlog_set_overlay - replace the overlay ranges (default
 * 100.64.0.0/10 and fd7a:115c:a1e0::/48). Returns 0, -EINVAL or -ENOMEM.
 */
FT_EXPORT int ft_flowlog_set_overlay(struct ft_flowlog *l, const struct ft_prefix *p, size_t n);

/**
 * A sink callback: receives each message as one JSON object, @len bytes
 * at @json, NUL-terminated, without a trailing newline; borrowed for the
 * call. Called from the logger's thread (or the thread calling
 * ft_flowlog_flush()), one message at a time, in order. It must not call
 * ft_flowlog_remove_sink() or other ft_flowlog_* functions on the same
 * logger; it should return quickly (queue the bytes, e.g. into an
 * evbuffer, rather than block on a slow client).
 */
typedef void (*ft_flowlog_sink_fn)(void *ctx, const char *json, size_t len);

/**
 * ft_flowlog_add_sink_fn - add a callback sink; safe at run time from any
 * thread. Returns a positive sink id for ft_flowlog_remove_sink(), or
 * -EINVAL / -ENOMEM.
 */
FT_EXPORT int ft_flowlog_add_sink_fn(struct ft_flowlog *l, ft_flowlog_sink_fn fn, void *ctx);

/**
 * ft_flowlog_remove_sink - remove the sink @id (any kind) and close it. On
 * return, a callback sink is not running and will not be called again.
 * Safe at run time from any thread except from inside a sink callback.
 * Returns 0 or -ENOENT.
 */
FT_EXPORT int ft_flowlog_remove_sink(struct ft_flowlog *l, int id);

/**
 * ft_flowlog_add_sink_file - add a JSON-lines sink: one message per line,
 * appended to @path (created 0644), or standard output for "-". Each line
 * is written with one write() and, for stdout, flushed per message.
 * Returns a positive sink id or -errno from opening the file.
 */
FT_EXPORT int ft_flowlog_add_sink_file(struct ft_flowlog *l, const char *path);

/**
 * The text a JSON sink (file, HTTP, callback) receives; see flowtap-flows(5).
 *  - FT_FLOW_FORMAT_MESSAGES (the default): one message per line, the
 *    connections of an interval nested in four arrays, one per class.
 *  - FT_FLOW_FORMAT_RECORDS: one flat JSON object per connection per
 *    interval ("id", "nodeId", "start", "end", "startMs", "endMs", "class",
 *    "proto", "src", "dst", "txPkts", "txBytes", "rxPkts", "rxBytes"), as
 *    column stores ingest rows (ClickHouse: FORMAT JSONEachRow). A callback
 *    sink gets the records of one message per call, separated by newlines.
 */
enum ft_flow_format {
	FT_FLOW_FORMAT_MESSAGES = 0,
	FT_FLOW_FORMAT_RECORDS = 1,
};

/** Options of the HTTP sink; zero values take the defaults. */
struct ft_http_sink_opts {
	unsigned batch_max;	  /* messages per POST (default 64) */
	unsigned retry_min_ms;	  /* first backoff (default 500 ms) */
	unsigned retry_max_ms;	  /* backoff cap (default 30000 ms) */
	unsigned timeout_ms;	  /* per request (default 10000 ms) */
	uint64_t spool_max_bytes; /* spool bound in bytes (default 64 MiB) */
	unsigned spool_max_files; /* spool bound in messages (default 100000) */
	unsigned drain_ms;	  /* at stop/remove, keep trying this long (default 2000) */
	/* Added in 0.1 for the records format; keep new fields at the end. */
	uint64_t batch_bytes;	/* seal a batch at this many bytes (default 8 MiB) */
	unsigned batch_wait_ms; /* or once its oldest line waited this long
				   (default 0 for messages, 1000 for records) */
	unsigned format;	/* enum ft_flow_format of the sink (default messages);
				   set here rather than with ft_flowlog_set_sink_format()
				   so that batches an earlier run left in the spool are
				   sent under the records policy from the start */
};

/**
 * ft_flowlog_add_sink_http - add a sink that POSTs NDJSON batches
 * (Content-Type: application/x-ndjson, one message per line) to @url from
 * its own thread, retrying with exponential backoff on connection errors,
 * 5xx and 429 (4xx other than 429 drops a batch of messages with a logged
 * notice; a batch of records, opts->format FT_FLOW_FORMAT_RECORDS, is kept
 * and retried with the same backoff).
 * @spool_dir: when not NULL, every message is first written to a file in
 *	this directory (created if missing) and deleted once the collector
 *	accepted it; files left by an earlier run are sent first, in order, so
 *	neither an outage nor a restart loses a message. A message may be sent
 *	twice (crash between acceptance and deletion): collectors drop
 *	duplicates by the message's "id". NULL: an in-memory queue with the
 *	same bounds.
 * When the bound is exceeded the oldest messages are dropped; each drop is
 * counted and logged through the log callback.
 * Batches: the oldest queued messages are sealed into one batch once they
 * reach batch_max messages or batch_bytes bytes, or once the oldest has
 * waited batch_wait_ms (at stop, at once). A sealed batch is one spool file
 * and is re-sent byte for byte until accepted, also after a restart, so a
 * collector that deduplicates inserts by content (ClickHouse's replicated
 * tables) drops a repeat. An error answer's body (the collector's message)
 * is logged once per distinct error and kept for
 * ft_flowlog_get_http_error().
 * Returns a positive sink id, -EINVAL (bad URL or options) or -errno.
 */
FT_EXPORT int ft_flowlog_add_sink_http(struct ft_flowlog *l, const char *url, const char *spool_dir,
				       const struct ft_http_sink_opts *opts);

/**
 * ft_flowlog_add_sink_ipfix - add an IPFIX (RFC 7011) exporter over UDP to
 * @hostport ("HOST:PORT", "[V6ADDR]:PORT"). Each connection yields up to
 * two data records, one per direction with traffic (flowDirection 1 =
 * egress for tx, 0 = ingress for rx, addresses as on the wire), in template
 * 256 (IPv4) or 257 (IPv6): sourceIP, destinationIP, sourceTransportPort,
 * destinationTransportPort, protocolIdentifier, packetDeltaCount,
 * octetDeltaCount, flowStartMilliseconds, flowEndMilliseconds,
 * flowDirection and the enterprise element 1 of PEN 32473
 * (flowtapTrafficClass, unsigned8, enum ft_flow_class). Templates are sent
 * first and again every 10 minutes or 100 messages. Datagrams are paced at
 * FT_IPFIX_DEFAULT_RATE per second (see ft_flowlog_add_sink_ipfix_opts()).
 * Returns a positive sink id, -EINVAL (bad HOST:PORT), FT_ERESOLVE (the host
 * name did not resolve; the name is looked up once, here) or -errno.
 */
FT_EXPORT int ft_flowlog_add_sink_ipfix(struct ft_flowlog *l, const char *hostport);

/**
 * ft_flow_format_parse - "messages" or "records" into @out.
 * Returns 0 or -EINVAL.
 */
FT_EXPORT int ft_flow_format_parse(const char *name, enum ft_flow_format *out);

/** ft_flow_format_name - "messages" or "records" ("?" for other values). */
FT_EXPORT const char *ft_flow_format_name(enum ft_flow_format f);

/**
 * ft_flowlog_set_sink_format - select what the sink @id receives. Call it
 * right after adding the sink, before the logger emits (a message already
 * spooled keeps its format). For an HTTP sink the records format also
 * changes its policy (see ft_flowlog_add_sink_http()): a batch the
 * collector rejects with any status stays spooled and is retried with
 * backoff, and batches are sealed by size and time (struct
 * ft_http_sink_opts' defaults for records).
 * Returns 0, -ENOENT (no such sink) or -EINVAL (an IPFIX sink, or a bad
 * format).
 */
FT_EXPORT int ft_flowlog_set_sink_format(struct ft_flowlog *l, int id, enum ft_flow_format fmt);

/**
 * ft_flowlog_get_http_error - the last error of the logger's HTTP sinks
 * ("URL: HTTP status 404: <the collector's message>"), copied into @buf
 * (@len bytes, NUL-terminated, truncated); empty once the sink that failed
 * delivered again. Returns the length of the copied text.
 */
FT_EXPORT size_t ft_flowlog_get_http_error(struct ft_flowlog *l, char *buf, size_t len);

/**
 * Datagrams per second an IPFIX sink sends by default. A window leaves as
 * one burst otherwise, and a collector reading UDP with the kernel's default
 * receive buffer (about 200 KiB, 90 datagrams) loses what overflows it:
 * pmacct's nfacctd with its defaults lost a third of a 180-datagram window.
 * At this rate a burst of FT_IPFIX_BURST leaves at once, then one datagram
 * per 1/rate s: 2,000 per second (2.8 MB/s, about 40,000 flow directions
 * per second) is far more than a 5 s window of a busy host needs.
 */
#define FT_IPFIX_DEFAULT_RATE 2000
#define FT_IPFIX_BURST	      32

/** Options of an IPFIX sink; ft_ipfix_sink_opts_init() sets the defaults. */
struct ft_ipfix_sink_opts {
	unsigned rate; /* datagrams per second, 0: unpaced (FT_IPFIX_DEFAULT_RATE) */
};

/** ft_ipfix_sink_opts_init - the defaults: rate FT_IPFIX_DEFAULT_RATE. */
FT_EXPORT void ft_ipfix_sink_opts_init(struct ft_ipfix_sink_opts *o);

/**
 * ft_flowlog_add_sink_ipfix_opts - ft_flowlog_add_sink_ipfix() with @o
 * (NULL: the defaults). Pacing sleeps in the thread that emits the window
 * (the logger's thread, or the caller of ft_flowlog_flush()), so a window
 * of N datagrams takes about (N - FT_IPFIX_BURST) / rate seconds to leave;
 * other sinks get the window after it.
 * Returns a positive sink id, -EINVAL (bad HOST:PORT or rate above
 * 1,000,000) or -errno.
 */
FT_EXPORT int ft_flowlog_add_sink_ipfix_opts(struct ft_flowlog *l, const char *hostport,
					     const struct ft_ipfix_sink_opts *o);

/** Enterprise number and element of the flowtapTrafficClass IPFIX IE. */
#define FT_IPFIX_PEN		  32473
#define FT_IPFIX_IE_TRAFFIC_CLASS 1
/* With a peer table (ft_flowlog_set_peers()): the node names of the
 * record's source and destination, variable-length UTF-8 strings, in
 * templates 260 (IPv4) and 261 (IPv6); see flowtap-flows(5). */
#define FT_IPFIX_IE_SRC_NODE_NAME 2
#define FT_IPFIX_IE_DST_NODE_NAME 3

struct ft_tap;

/**
 * ft_flowlog_set_drop_tap - total the drops @t counts (tap.h,
 * ft_tap_drop_counts(); this turns counting on) in the messages: the first
 * message of a window gets "drops": {"REASON": {"pkts": N, "bytes": B}, ...}
 * with what was dropped since the previous message, per reason. @t must
 * outlive the logger; NULL stops it. Any thread.
 */
FT_EXPORT void ft_flowlog_set_drop_tap(struct ft_flowlog *l, struct ft_tap *t);

/**
 * ft_flowlog_start - start the logger's thread: it sleeps until a table is
 * updated, then every interval extracts the tables and emits messages;
 * while there is no traffic it does not wake up.
 * Returns 0, FT_ERUNNING if already started, or -errno (thread creation).
 */
FT_EXPORT int ft_flowlog_start(struct ft_flowlog *l);

/**
 * ft_flowlog_stop - stop the thread after a final extract and flush of
 * pending counts. Returns 0 or FT_ESTOPPED if not running.
 */
FT_EXPORT int ft_flowlog_stop(struct ft_flowlog *l);

/** ft_flowlog_running - whether the logger's thread runs. */
FT_EXPORT bool ft_flowlog_running(struct ft_flowlog *l);

/**
 * ft_flowlog_flush - extract the tables now and emit the messages for the
 * window [@start_ns, @end_ns] (ns since the epoch, UTC) to every sink, from
 * the calling thread. Used for capture files (the file's timestamps) and
 * tests; with the thread running it is also allowed.
 * Returns the number of messages emitted (0 when there was no traffic) or
 * -ENOMEM.
 */
FT_EXPORT int ft_flowlog_flush(struct ft_flowlog *l, uint64_t start_ns, uint64_t end_ns);

/** Counters of a logger. */
struct ft_flowlog_stats {
	uint64_t messages;	   /* messages built */
	uint64_t conns;		   /* connection entries written */
	uint64_t http_sent;	   /* messages accepted by HTTP collectors */
	uint64_t http_dropped;	   /* messages dropped by the HTTP spool bound or a 4xx */
	uint64_t http_retries;	   /* failed POST attempts */
	uint64_t ipfix_sent;	   /* IPFIX datagrams sent */
	uint64_t ipfix_errors;	   /* IPFIX datagrams that failed to send */
	uint64_t ipfix_records;	   /* IPFIX data records (flow directions) sent */
	uint64_t ipfix_paced_ms;   /* time IPFIX sinks waited to keep their rate */
	uint64_t counter_overflow; /* ft_flows_stats overflow, summed over the tables */
	uint64_t counter_collided; /* ft_flows_stats collided, summed over the tables */
};

/** ft_flowlog_get_stats - read @l's counters. */
FT_EXPORT void ft_flowlog_get_stats(struct ft_flowlog *l, struct ft_flowlog_stats *st);

#ifdef __cplusplus
}
#endif
#endif
