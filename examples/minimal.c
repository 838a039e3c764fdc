/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * minimal.c - the smallest embedding of libflowtap: a tap, one hook call per
 * packet, and a capture session writing pcapng to standard output.
 *
 *   cc minimal.c $(pkg-config --cflags --libs flowtap) -o minimal
 *   ./minimal | tshark -r -
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <flowtap/flowtap.h>

int main(void)
{
	struct ft_tap *tap;
	struct ft_session *s;
	struct ft_session_opts o;
	struct ft_session_stats st;
	char err[FT_ERRBUF_SIZE];
	uint8_t pkt[28] = {0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17}; /* IPv4 + UDP header */
	int ret;

	inet_pton(AF_INET, "100.64.0.1", pkt + 12);
	inet_pton(AF_INET, "100.64.0.2", pkt + 16);
	pkt[21] = 53, pkt[23] = 53, pkt[25] = 8;

	if ((ret = ft_tap_new(&tap, "example")) < 0) {
		fprintf(stderr, "minimal: cannot create tap: %s\n", ft_strerror(ret));
		return 1;
	}
	ft_session_opts_init(&o);
	o.format = FT_FORMAT_PCAPNG;
	o.out_fd = 1;
	o.filter = "udp port 53";
	if ((ret = ft_session_start(&s, tap, &o, err, sizeof(err))) < 0) {
		fprintf(stderr, "minimal: cannot start capture: %s %s\n", ft_strerror(ret), err);
		return 1;
	}
	/* In a datapath this is the TUN read loop. */
	for (int i = 0; i < 3; i++)
		ft_tap_hook(tap, FT_PATH_FROM_LOCAL, pkt, sizeof(pkt), NULL);
	ft_session_stop(s, &st);
	fprintf(stderr, "minimal: %llu packets written, %llu dropped\n",
		(unsigned long long)st.written, (unsigned long long)st.dropped);
	ft_session_free(s);
	ft_tap_free(tap);
	return 0;
}
