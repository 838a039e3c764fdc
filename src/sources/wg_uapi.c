/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wg_uapi.c - WireGuard's cross-platform userspace API (wireguard-go,
 * boringtun): "get=1\n\n" on /var/run/wireguard/IFACE.sock, answered with
 * key=value lines, peers introduced by public_key=, ended by "errno=N" and an
 * empty line. Keys are 64 hex digits; we keep public keys as base64 (as `wg`
 * prints them) and skip private_key and preshared_key without storing them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "parse_num.h"
#include "wireguard.h"

static int hex_key(const char *v, uint8_t key[FT_WG_KEY_LEN])
{
	if (strlen(v) != 2 * FT_WG_KEY_LEN)
		return -EINVAL;
	return ft__hex_decode(v, FT_WG_KEY_LEN, key);
}

/* "1.2.3.4:51820" or "[fd00::1]:51820" (a zone "%eth0" is dropped). */
static int parse_endpoint(const char *v, struct ft_addr *a, uint16_t *port)
{
	char host[64];
	const char *colon;
	size_t n;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - v - 1);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, v + 1, n);
		host[n] = '\0';
		char *zone = strchr(host, '%');
		if (zone)
			*zone = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - v);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, v, n);
		host[n] = '\0';
	}
	uint64_t p;
	if (ft_addr_parse(host, a) < 0 || ft__parse_u64(colon + 1, 65535, &p) < 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

struct uapi_state {
	struct ft_wg_device *d;
	struct ft_wg_peer *peer; /* the peer lines now apply to, or NULL */
	bool skipping;		 /* the peer was left out by the bound */
	bool have_errno;
	uint64_t err_no;
};

static int uapi_line(struct uapi_state *st, char *key, char *val)
{
	struct ft_wg_device *d = st->d;
	uint64_t n;
	if (strcmp(key, "public_key") == 0) {
		uint8_t k[FT_WG_KEY_LEN];
		char b64[FT_WG_KEY_B64];
		if (hex_key(val, k) < 0)
			return -EINVAL;
		ft__wg_key_b64(k, b64);
		st->peer = ft__wg_peer_add(d, b64);
		st->skipping = st->peer == NULL;
		if (!st->peer && d->npeers < FT_WG_MAX_PEERS)
			return -ENOMEM;
		return 0;
	}
	if (strcmp(key, "errno") == 0) {
		st->have_errno = true;
		return ft__parse_u64(val, 4095, &st->err_no);
	}
	/* Secrets are recognised only to be skipped. */
	if (strcmp(key, "private_key") == 0 || strcmp(key, "preshared_key") == 0)
		return 0;
	if (!st->peer) {
		if (st->skipping)
			return 0;
		if (strcmp(key, "listen_port") == 0) {
			if (ft__parse_u64(val, 65535, &n) < 0)
				return -EINVAL;
			d->listen_port = (uint16_t)n;
		}
		return 0; /* fwmark and keys a newer implementation adds */
	}
	struct ft_wg_peer *p = st->peer;
	if (strcmp(key, "endpoint") == 0) {
		if (parse_endpoint(val, &p->ep, &p->ep_port) < 0)
			return -EINVAL;
		p->has_endpoint = true;
	} else if (strcmp(key, "allowed_ip") == 0) {
		struct ft_prefix pfx;
		if (ft_prefix_parse(val, &pfx) < 0)
			return -EINVAL;
		return ft__wg_peer_add_allowed(d, p, &pfx);
	} else if (strcmp(key, "rx_bytes") == 0) {
		return ft__parse_u64(val, UINT64_MAX, &p->rx_bytes);
	} else if (strcmp(key, "tx_bytes") == 0) {
		return ft__parse_u64(val, UINT64_MAX, &p->tx_bytes);
	} else if (strcmp(key, "last_handshake_time_sec") == 0) {
		if (ft__parse_u64(val, INT64_MAX, &n) < 0)
			return -EINVAL;
		p->hs_sec = (int64_t)n;
	} else if (strcmp(key, "last_handshake_time_nsec") == 0) {
		if (ft__parse_u64(val, 999999999, &n) < 0)
			return -EINVAL;
		p->hs_nsec = (int64_t)n;
	} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
		if (ft__parse_u64(val, 65535, &n) < 0)
			return -EINVAL;
		p->keepalive = (uint16_t)n;
	}
	return 0;
}

int ft__wg_uapi_parse(struct ft_wg_device *d, const char *text, size_t len, char *err,
		      size_t errlen)
{
	struct uapi_state st = {.d = d};
	char line[512];
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		if (!nl)
			break; /* a last line without its newline: the answer was cut */
		size_t n = (size_t)(nl - (text + pos));
		lineno++;
		if (n == 0) {
			if (!st.have_errno) {
				snprintf(err, errlen, "UAPI answer has no errno line");
				return -EPROTO;
			}
			if (st.err_no) {
				snprintf(err, errlen, "UAPI answered errno=%llu (%s)",
					 (unsigned long long)st.err_no, strerror((int)st.err_no));
				return -(int)st.err_no;
			}
			return 0;
		}
		if (n >= sizeof(line) || memchr(text + pos, '\0', n)) {
			snprintf(err, errlen, "UAPI answer line %zu is malformed", lineno);
			return -EPROTO;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		char *eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "UAPI answer line %zu has no '='", lineno);
			return -EPROTO;
		}
		*eq = '\0';
		int r = uapi_line(&st, line, eq + 1);
		if (r == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return r;
		}
		if (r < 0) {
			/* Never echo the value: it may be a key. */
			snprintf(err, errlen, "UAPI answer line %zu: bad value for '%.32s'", lineno,
				 line);
			return -EPROTO;
		}
	}
	snprintf(err, errlen, "UAPI answer ended early (after %zu lines)", lineno);
	return -EPROTO;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @ev on @fd until @deadline; 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = ev};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int uapi_exchange(int fd, char **out, size_t *outlen, long long deadline)
{
	static const char req[] = "get=1\n\n";
	size_t off = 0;
	while (off < sizeof(req) - 1) {
		ssize_t w = send(fd, req + off, sizeof(req) - 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN) {
			int r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (w < 0)
			return errno == EINTR ? 0 : -errno;
		off += (size_t)w;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		/* The answer ends with an empty line: stop there rather than
		 * wait for a close the implementation need not send. */
		if (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n')
			break;
		if (len == cap) {
			if (cap >= FT_WG_UAPI_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = recv(fd, buf + len, cap - len, 0);
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		if (r == 0)
			break; /* closed: the parser says whether that was early */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			int e = -errno;
			free(buf);
			return e;
		}
		int w = wait_fd(fd, POLLIN, deadline);
		if (w < 0) {
			free(buf);
			return w;
		}
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int ft__wg_uapi_get(struct ft_wg_device *d, const char *dir, const char *ifname, int timeout_ms,
		    char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", dir, ifname);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path) || strchr(ifname, '/')) {
		snprintf(err, errlen, "bad UAPI socket path for '%s'", ifname);
		return -EINVAL;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-e));
		return e;
	}
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno == EINPROGRESS)
		r = wait_fd(fd, POLLOUT, deadline);
	else if (r < 0)
		r = -errno;
	if (r < 0) {
		/* A stale socket file of a dead implementation refuses: that is
		 * "not there" for the caller, like a missing file. */
		if (r == -ECONNREFUSED)
			r = -ENOENT;
		snprintf(err, errlen, "cannot connect to %s: %s", sa.sun_path, strerror(-r));
		close(fd);
		return r;
	}
	char *buf = NULL;
	size_t len = 0;
	r = uapi_exchange(fd, &buf, &len, deadline);
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", sa.sun_path,
			 r == -EMSGSIZE ? "answer too long" : strerror(-r));
		return r == -EMSGSIZE ? -EPROTO : r;
	}
	char perr[200] = "";
	r = ft__wg_uapi_parse(d, buf, len, perr, sizeof(perr));
	free(buf);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", sa.sun_path, perr);
		return r;
	}
	d->via = FT_WG_VIA_UAPI;
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	return 0;
}
