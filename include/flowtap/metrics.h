/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap/metrics.h - Prometheus metrics of a process that owns taps.
 *
 * The local API serves the counters that GET /localapi/v0/status shows as a
 * Prometheus text exposition (format 0.0.4) at GET /localapi/v0/metrics and,
 * when asked with ft_api_listen_metrics(), at GET /metrics on a TCP address
 * for a scraper. Names follow Prometheus conventions: a flowtap_ prefix,
 * base units, _total on counters. The server's own families are:
 *
 *   flowtap_build_info{version}                      gauge, always 1
 *   flowtap_api_uptime_seconds                       gauge
 *   flowtap_api_requests_total                       counter
 *   flowtap_api_requests_denied_total                counter (403)
 *   flowtap_api_requests_rejected_busy_total         counter (503)
 *   flowtap_api_streams                              gauge (capture and flow streams)
 *   flowtap_api_streams_opened_total                 counter
 *   flowtap_api_flow_messages_dropped_total          counter
 *   flowtap_tap_info{tap,linktype}                   gauge, always 1
 *   flowtap_tap_packets_offered_total{tap}           counter
 *   flowtap_tap_sessions{tap}                        gauge
 *   flowtap_tap_sessions_started_total{tap}          counter
 *   flowtap_session_packets_matched_total{tap}       counter   (the session_
 *   flowtap_session_packets_written_total{tap}       counter    counters sum
 *   flowtap_session_bytes_written_total{tap}         counter    every capture
 *   flowtap_session_dropped_packets_total{tap}       counter    session of the
 *   flowtap_session_truncated_packets_total{tap}     counter    tap, live or ended)
 *   flowtap_tap_dropped_packets_total{tap,reason}    counter   (what the datapath
 *   flowtap_tap_dropped_bytes_total{tap,reason}      counter    discarded, ft_tap_drop(),
 *                                                               or the kernel for
 *                                                               flowtapd --drops; a
 *                                                               reason once counted)
 *   flowtap_flowlog_messages_total                   counter   (with a flow logger)
 *   flowtap_flowlog_connections_total                counter
 *   flowtap_flowlog_http_messages_sent_total         counter
 *   flowtap_flowlog_http_messages_dropped_total      counter
 *   flowtap_flowlog_http_retries_total               counter
 *   flowtap_flowlog_ipfix_datagrams_sent_total       counter
 *   flowtap_flowlog_ipfix_send_errors_total          counter
 *
 * ft_metrics_sources() adds flowtap_source_* (kernel sources), and an
 * ft_api_metrics_fn adds whatever the embedding program counts itself.
 */
#ifndef FLOWTAP_METRICS_H
#define FLOWTAP_METRICS_H

#include <flowtap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_api;
struct ft_source;

/** An exposition being written (opaque; valid during one callback only). */
struct ft_metrics;

enum ft_metric_type { FT_METRIC_COUNTER, FT_METRIC_GAUGE };

/** The Content-Type of a Prometheus text exposition. */
#define FT_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** The URL path of the metrics on the local API socket. */
#define FT_API_PATH_METRICS "/localapi/v0/metrics"

/**
 * ft_metrics_family - start a metric family: its # HELP and # TYPE lines.
 * Every sample of the family must follow before the next family starts.
 * @name must match [a-zA-Z_:][a-zA-Z0-9_:]* (a bad name is skipped, with its
 * samples, so the exposition stays valid); @help is escaped.
 */
FT_EXPORT void ft_metrics_family(struct ft_metrics *m, const char *name, enum ft_metric_type type,
				 const char *help);

/**
 * ft_metrics_sample - one sample of the family just started.
 * @labels: NULL, or name, value, name, value, ..., NULL. Values are escaped
 * (backslash, double quote, newline); a label with a NULL value is left out.
 * @value: printed as an integer when it is one, else with 15 significant digits.
 */
FT_EXPORT void ft_metrics_sample(struct ft_metrics *m, const char *const *labels, double value);

/**
 * ft_metrics_sources - the flowtap_source_* families of @n kernel sources,
 * labelled by tap and kind: _up (gauge), _packets_received_total,
 * _bytes_received_total, _kernel_drops_total, _sequence_gaps_total,
 * _skipped_messages_total, _opens_total.
 */
FT_EXPORT void ft_metrics_sources(struct ft_metrics *m, struct ft_source *const *src, int n);

/**
 * Adds the embedding program's own families to each exposition. Called on
 * the server's loop thread, under the server's lock (do not call ft_api_*).
 */
typedef void (*ft_api_metrics_fn)(void *ctx, struct ft_metrics *m);

/** ft_api_set_metrics_fn - install (or with NULL remove) @fn. */
FT_EXPORT void ft_api_set_metrics_fn(struct ft_api *api, ft_api_metrics_fn fn, void *ctx);

/**
 * ft_api_metrics_text - the whole exposition, as GET /metrics serves it.
 * @out receives a malloc'ed NUL-terminated text (free() it). Any thread.
 * Returns its length or -ENOMEM.
 */
FT_EXPORT long ft_api_metrics_text(struct ft_api *api, char **out);

/**
 * ft_api_listen_metrics - also serve GET /metrics on the TCP address @addr:
 * "PORT" or ":PORT" (127.0.0.1, loopback), "IPV4:PORT" or "[IPV6]:PORT".
 * Only the metrics are served there, to anyone who can connect: bind a
 * non-loopback address only on a network you trust. Call it once, from any
 * thread (it runs on the server's loop). The port 0 picks a free one, which
 * ft_api_metrics_port() then tells.
 * Returns 0, -EINVAL (a bad address, @errbuf says why), -EALREADY, or the
 * -errno of socket, bind or listen (e.g. -EADDRINUSE).
 */
FT_EXPORT int ft_api_listen_metrics(struct ft_api *api, const char *addr, char *errbuf,
				    size_t errlen);

/** ft_api_metrics_port - the TCP port metrics are served on, 0 for none. */
FT_EXPORT unsigned ft_api_metrics_port(const struct ft_api *api);

/**
 * ft_metrics_parse_listen - parse @addr as ft_api_listen_metrics() does,
 * without binding (for command-line checks). Returns 0 or -EINVAL.
 */
FT_EXPORT int ft_metrics_parse_listen(const char *addr);

#ifdef __cplusplus
}
#endif
#endif
