/*
 * Session outputs read back by the real tshark: pcapng interface names are
 * the path names and EPB flags carry the direction; user0 records carry the
 * path and pre-NAT addresses (decoded with our Lua dissector); pcap and text
 * sessions on the same tap see the same packets.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/tap.h>

#include "pkt_build.h"

static char dir[64];

static int run(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	if (!f)
		return -1;
	while (n + 1 < len && !feof(f)) {
		size_t r = fread(out + n, 1, len - 1 - n, f);
		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	return pclose(f);
}

static struct ft_session *start_file(struct ft_tap *t, enum ft_format fmt, const char *name,
				     int *fd)
{
	struct ft_session_opts o;
	struct ft_session *s;
	char path[128], err[FT_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(*fd >= 0);
	ft_session_opts_init(&o);
	o.format = fmt;
	o.out_fd = *fd;
	assert_int_equal(ft_session_start(&s, t, &o, err, sizeof(err)), 0);
	return s;
}

static void offer_all(struct ft_tap *t)
{
	uint8_t a[128], b[128];
	size_t na = tb_ip4(a, "100.64.0.1", "100.64.0.2", 17, 4000, 53, 10);
	size_t nb = tb_ip4(b, "100.64.0.2", "100.64.0.1", 1, 7, 1, 32);
	struct ft_meta m = FT_META_INIT;
	struct ft_addr svc, orig;
	ft_addr_parse("100.100.100.100", &svc);
	ft_addr_parse("fd7a:115c:a1e0::53", &orig);
	ft_tap_hook(t, FT_PATH_FROM_LOCAL, a, na, NULL);
	ft_meta_set_nat(&m, &orig, &svc);
	ft_tap_hook(t, FT_PATH_FROM_PEER, b, nb, &m);
	ft_tap_hook(t, FT_PATH_SYNTHESIZED_TO_LOCAL, b, nb, NULL);
	ft_tap_hook(t, FT_PATH_SYNTHESIZED_TO_PEER, a, na, NULL);
	ft_tap_hook(t, 254, a, na, NULL);
}

static void test_outputs(void **state)
{
	struct ft_tap *t;
	struct ft_session *s[4];
	int fd[4];
	char cmd[512], out[4096];

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	strcpy(dir, "/tmp/ft-sess-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ft_tap_new(&t, "tun0"), 0);
	assert_int_equal(ft_tap_path_register(t, 254, "disco"), 0);
	s[0] = start_file(t, FT_FORMAT_PCAPNG, "a.pcapng", &fd[0]);
	s[1] = start_file(t, FT_FORMAT_USER0, "a.user0", &fd[1]);
	s[2] = start_file(t, FT_FORMAT_PCAP, "a.pcap", &fd[2]);
	s[3] = start_file(t, FT_FORMAT_TEXT, "a.txt", &fd[3]);
	offer_all(t);
	for (int i = 0; i < 4; i++) {
		struct ft_session_stats st;
		assert_int_equal(ft_session_stop(s[i], &st), 0);
		assert_int_equal(st.written, 5);
		ft_session_free(s[i]);
		close(fd[i]);
	}
	ft_tap_free(t);

	/* pcapng: interface per path, direction flags (1 inbound, 2 outbound). */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s/a.pcapng -T fields -E separator=, -e frame.interface_name "
		 "-e frame.packet_flags_direction -e ip.src 2>&1",
		 dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "from-local,0x00000002,100.64.0.1\n"));
	assert_non_null(strstr(out, "from-peer,0x00000001,100.64.0.2\n"));
	assert_non_null(strstr(out, "synthesized-to-local,0x00000001,100.64.0.2\n"));
	assert_non_null(strstr(out, "synthesized-to-peer,0x00000002,100.64.0.1\n"));
	assert_non_null(strstr(out, "disco,"));

	/* pcap: tshark and capinfos agree on 5 packets of the right sizes. */
	snprintf(cmd, sizeof(cmd), "capinfos -c -M %s/a.pcap %s/a.user0 2>&1", dir, dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Number of packets:   5"));

	/* user0 with our Lua dissector: path numbers and pre-NAT addresses. */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -X lua_script:%s/share/flowtap/flowtap.lua -r %s/a.user0 -T fields "
		 "-E separator=, -e flowtap.path -e flowtap.snat.ip6 -e flowtap.dnat.ip4 -e ip.src "
		 "2>&1",
		 FT_SRCDIR, dir);
	if (access(FT_SRCDIR "/share/flowtap/flowtap.lua", R_OK) == 0) {
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		print_message("%s", out);
		assert_non_null(strstr(out, "0,,,100.64.0.1\n"));
		assert_non_null(strstr(out, "1,fd7a:115c:a1e0::53,100.100.100.100,100.64.0.2\n"));
		assert_non_null(strstr(out, "254,,,100.64.0.1\n"));
	}

	/* text: one line per packet with direction and path. */
	snprintf(cmd, sizeof(cmd), "cat %s/a.txt", dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, " OUT from-local IP 100.64.0.1.4000 > 100.64.0.2.53"));
	assert_non_null(strstr(out, " IN from-peer IP 100.64.0.2 > 100.64.0.1: ICMP echo request"));
	assert_non_null(strstr(out, " disco IP 100.64.0.1.4000 >"));

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
