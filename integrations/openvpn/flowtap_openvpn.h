/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowtap_openvpn.h - the five calls OpenVPN's flowtap patch makes
 * (openvpn-2.7.6-flowtap.patch); the glue behind them is flowtap_openvpn.c.
 *
 * Everything is off unless the environment variable FLOWTAP_SOCKET names
 * the local API socket when OpenVPN opens its tun device; then each call
 * costs one function call, a branch, the tap's relaxed atomic load and one
 * flow-counter update. All calls are made from OpenVPN's one thread.
 */
#ifndef FLOWTAP_OPENVPN_H
#define FLOWTAP_OPENVPN_H

#include <stdbool.h>

struct context;
struct buffer;
struct link_socket_actual;

/* ftovpn_open - the tun device of @c is open: start flowtap (once). */
void ftovpn_open(struct context *c);

/* ftovpn_tun_read - @buf was read from the tun device (from-local). */
void ftovpn_tun_read(struct context *c, const struct buffer *buf);

/* ftovpn_tun_write - @buf was written to the tun device: decrypted from the
 * peer, or made by OpenVPN itself (see ftovpn_synth). */
void ftovpn_tun_write(struct context *c, const struct buffer *buf);

/* ftovpn_synth - OpenVPN made the IPv6 packet @buf (an ICMPv6 unreachable
 * for --block-ipv6): toward the local stack if @to_local, else to the peer. */
void ftovpn_synth(struct context *c, const struct buffer *buf, bool to_local);

/* ftovpn_link - @len bytes of UDP (or TCP) payload exchanged with the peer
 * at @a: received when @in, else sent. */
void ftovpn_link(struct context *c, bool in, const struct link_socket_actual *a, int len);

#endif
