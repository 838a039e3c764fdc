/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: ft-testdp, a stand-in datapath for the local API tests.
 *
 * It owns one tap ("testdp", with path 254 registered as "disco"), serves the
 * local API on a given socket, and offers numbered UDP packets on the four
 * built-in paths and the disco path with NAT metadata, at a given rate:
 *
 *   packet i: path = {0,1,2,3,254}[i % 5]
 *             IPv6 (fd7a:115c:a1e0::1 -> ::2) when i % 4 == 3, else IPv4
 *             (100.64.0.1 -> 100.64.0.2); UDP sport 40000, dport 47000 + path;
 *             payload: i as 8 decimal digits, then "flowtap-testdp " repeated
 *             up to --size bytes.
 *             from-local carries a pre-SNAT source (192.168.1.5 / fd00::5),
 *             from-peer a pre-DNAT destination (10.0.0.9 / fd00::9).
 *
 * Usage: ft-testdp --socket PATH [--count N] [--rate PPS] [--wait-sessions K]
 *                  [--size BYTES] [--group NAME] [--mode OCTAL] [--max-sessions N]
 *                  [--session-buf BYTES] [--client-buf BYTES] [--flows MS]
 *                  [--attach-delay MS] [--anonymize KEYFILE]
 * --attach-delay makes every attach and detach of a session wait MS in the
 * tap's watch callback, as a capture source opening its kernel rings does.
 * --flows also counts every packet in a flow table whose logger (interval MS,
 * node id "testdp") feeds GET /localapi/v0/flows.
 * --anonymize gives the API the key (ft_api_set_anonymize) and, with
 * --flows, the flow logger too, as flowtapd --anonymize does.
 * With --wait-sessions it starts offering once K sessions are attached. After
 * --count packets it keeps serving until SIGINT/SIGTERM, which end every
 * stream as flowtapd does (the flow logger stopped first, then
 * ft_api_free). SIGUSR1 removes the
 * tap from the API (ft_api_remove_tap), which ends its streams, while the
 * server and the offering go on.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flowtap/anon.h>
#include <flowtap/api.h>
#include <flowtap/flows.h>
#include <flowtap/tap.h>

static volatile sig_atomic_t stop, remove_tap;

static void on_usr1(int sig)
{
	remove_tap = 1;
}

static void maybe_remove(struct ft_api *api, struct ft_tap *tap)
{
	if (!remove_tap)
		return;
	remove_tap = 0;
	ft_api_remove_tap(api, tap);
	fprintf(stderr, "ft-testdp: tap removed from the API\n");
}

static void on_signal(int sig)
{
	stop = 1;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The UDP checksum over the pseudo-header (RFC 768, RFC 8200 8.1). */
static void udp_csum(uint8_t *ip, bool v6, uint8_t *udp, size_t udpl)
{
	uint8_t ph[40 + 1500];
	size_t alen = v6 ? 16 : 4, n = 0;

	memcpy(ph, ip + (v6 ? 8 : 12), 2 * alen);
	n = 2 * alen;
	ph[n++] = 0;
	ph[n++] = 17;
	ph[n++] = (uint8_t)(udpl >> 8);
	ph[n++] = (uint8_t)udpl;
	memcpy(ph + n, udp, udpl);
	uint16_t c = csum(ph, n + udpl);
	if (!c)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
}

/* Builds packet @i into @buf; returns its length. */
static size_t build(uint8_t *buf, uint64_t i, unsigned path, size_t payload)
{
	bool v6 = i % 4 == 3;
	size_t ipl = v6 ? 40 : 20, udpl = 8 + payload, n = ipl + udpl;
	uint8_t *udp = buf + ipl;

	memset(buf, 0, n);
	if (v6) {
		buf[0] = 0x60;
		buf[4] = (uint8_t)(udpl >> 8);
		buf[5] = (uint8_t)udpl;
		buf[6] = 17;
		buf[7] = 64;
		uint8_t a[16] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
		a[15] = 1;
		memcpy(buf + 8, a, 16);
		a[15] = 2;
		memcpy(buf + 24, a, 16);
	} else {
		buf[0] = 0x45;
		buf[2] = (uint8_t)(n >> 8);
		buf[3] = (uint8_t)n;
		buf[4] = (uint8_t)(i >> 8);
		buf[5] = (uint8_t)i;
		buf[8] = 64;
		buf[9] = 17;
		memcpy(buf + 12, (uint8_t[]){100, 64, 0, 1, 100, 64, 0, 2}, 8);
		uint16_t c = csum(buf, 20);
		buf[10] = (uint8_t)(c >> 8);
		buf[11] = (uint8_t)c;
	}
	udp[0] = 40000 >> 8;
	udp[1] = 40000 & 0xff;
	udp[2] = (uint8_t)((47000 + path) >> 8);
	udp[3] = (uint8_t)(47000 + path);
	udp[4] = (uint8_t)(udpl >> 8);
	udp[5] = (uint8_t)udpl;
	char seq[16];
	snprintf(seq, sizeof(seq), "%08llu", (unsigned long long)(i % 100000000u));
	memcpy(udp + 8, seq, 8);
	for (size_t b = 8; b < payload; b++)
		udp[8 + b] = (uint8_t) " flowtap-testdp"[b % 15];
	udp_csum(buf, v6, udp, udpl);
	return n;
}

static struct ft_flows *flows;

/* The tap's watch callback, on the thread that attaches or detaches. */
static void slow_watch(struct ft_tap *t, void *ctx)
{
	unsigned ms = *(unsigned *)ctx;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void offer(struct ft_tap *tap, uint64_t i, size_t payload)
{
	static const unsigned paths[] = {0, 1, 2, 3, 254};
	unsigned path = paths[i % 5];
	bool v6 = i % 4 == 3;
	uint8_t buf[2048];
	struct ft_meta m = FT_META_INIT;
	struct ft_addr a;
	size_t n = build(buf, i, path, payload);

	if (path == 0) {
		ft_addr_parse(v6 ? "fd00::5" : "192.168.1.5", &a);
		ft_meta_set_nat(&m, &a, NULL);
	} else if (path == 1) {
		ft_addr_parse(v6 ? "fd00::9" : "10.0.0.9", &a);
		ft_meta_set_nat(&m, NULL, &a);
	} else if (path == 254) {
		m.dir = FT_DIR_IN;
	}
	ft_tap_hook(tap, path, buf, n, &m);
	if (flows)
		ft_flows_add_ip(flows, buf, n, path == 0 || path == 3 ? FT_DIR_OUT : FT_DIR_IN);
}

static int start_flows(struct ft_api *api, struct ft_flowlog **log, unsigned ms, const uint8_t *key)
{
	if (ft_flows_new(&flows, 0) < 0 || ft_flowlog_new(log, flows, NULL) < 0 ||
	    (key && ft_flowlog_set_anonymize(*log, key) < 0) ||
	    ft_flowlog_set_node_id(*log, "testdp") < 0 || ft_flowlog_set_interval(*log, ms) < 0 ||
	    ft_api_set_flowlog(api, *log) < 0 || ft_flowlog_start(*log) < 0)
		return -1;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u),
			      .tv_nsec = (long)(t % 1000000000u)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"socket", 1, 0, 'S'},      {"count", 1, 0, 'c'},
					   {"rate", 1, 0, 'r'},	       {"wait-sessions", 1, 0, 'w'},
					   {"size", 1, 0, 's'},	       {"group", 1, 0, 'g'},
					   {"mode", 1, 0, 'm'},	       {"max-sessions", 1, 0, 'M'},
					   {"session-buf", 1, 0, 'B'}, {"client-buf", 1, 0, 'C'},
					   {"flows", 1, 0, 'F'},       {"attach-delay", 1, 0, 'D'},
					   {"anonymize", 1, 0, 'A'},   {0, 0, 0, 0}};
	struct ft_api_opts o;
	struct ft_api *api = NULL;
	struct ft_tap *tap = NULL;
	struct ft_flowlog *log = NULL;
	unsigned flows_ms = 0, attach_ms = 0;
	struct ft_tap_stats ts;
	uint64_t count = 0, rate = 1000, wait = 0, payload = 64;
	char err[256];
	uint8_t key[FT_ANON_KEY_LEN];
	bool anon = false;
	int c, ret;

	ft_api_opts_init(&o);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'S':
			o.socket_path = optarg;
			break;
		case 'c':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			wait = strtoull(optarg, NULL, 10);
			break;
		case 's':
			payload = strtoull(optarg, NULL, 10);
			break;
		case 'g':
			o.group = optarg;
			break;
		case 'm':
			o.socket_mode = (mode_t)strtoul(optarg, NULL, 8);
			break;
		case 'M':
			o.max_sessions = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'B':
			o.session_bufsize = strtoull(optarg, NULL, 10);
			break;
		case 'C':
			o.client_bufsize = strtoull(optarg, NULL, 10);
			break;
		case 'F':
			flows_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'D':
			attach_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'A':
			if (ft_anon_key_load(optarg, key, err) < 0) {
				fprintf(stderr, "ft-testdp: --anonymize: %s\n", err);
				return 2;
			}
			anon = true;
			break;
		default:
			fprintf(stderr, "usage: see the comment in ft-testdp.c\n");
			return 2;
		}
	}
	if (payload < 8 || payload > 1400) {
		fprintf(stderr, "ft-testdp: --size must be 8..1400\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	if (ft_tap_new(&tap, "testdp") < 0 || ft_tap_path_register(tap, 254, "disco") < 0) {
		fprintf(stderr, "ft-testdp: cannot create the tap\n");
		return 1;
	}
	if (attach_ms)
		ft_tap_set_watch(tap, slow_watch, &attach_ms);
	ret = ft_api_new(&api, NULL, &o, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "ft-testdp: cannot start the local API: %s\n", err);
		ft_tap_free(tap);
		return 1;
	}
	ft_api_add_tap(api, tap);
	if (anon)
		ft_api_set_anonymize(api, key);
	if (flows_ms && start_flows(api, &log, flows_ms, anon ? key : NULL) < 0) {
		fprintf(stderr, "ft-testdp: cannot start the flow logger\n");
		stop = 1;
	}
	while (!stop && wait) {
		ft_tap_get_stats(tap, &ts);
		if (ts.sessions >= wait)
			break;
		usleep(10000);
	}
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; !stop && (!count || i < count); i++) {
		if (rate)
			sleep_until(t0 + i * 1000000000u / rate);
		maybe_remove(api, tap);
		offer(tap, i, payload);
	}
	fprintf(stderr, "ft-testdp: offered %llu packets\n", (unsigned long long)count);
	while (!stop) {
		pause();
		maybe_remove(api, tap);
	}
	/* As flowtapd does: the logger's final message first, then the API
	 * ends every stream (which must carry that message and everything
	 * the sessions counted). */
	if (log)
		ft_flowlog_stop(log);
	ft_api_free(api);
	ft_flowlog_free(log);
	ft_flows_free(flows);
	ft_tap_free(tap);
	return 0;
}
