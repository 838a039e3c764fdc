/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cxx_hook.cpp - libflowtap from C++: every public header, a tap, one hook
 * call and a capture session whose output is a C++ lambda. Built and run as
 * a test, so the headers keep compiling as C++17 (g++ and clang++).
 *
 *   c++ -std=c++17 cxx_hook.cpp $(pkg-config --cflags --libs flowtap)
 */
#include <flowtap/flowtap.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

// The capture output: collects what the session writes.
struct Collector {
	std::vector<std::uint8_t> bytes;

	static int out(void *ctx, const void *data, size_t len)
	{
		auto *self = static_cast<Collector *>(ctx);
		auto *p = static_cast<const std::uint8_t *>(data);
		self->bytes.insert(self->bytes.end(), p, p + len);
		return 0;
	}
};

} // namespace

int main()
{
	ft_tap *tap = nullptr;
	ft_session *s = nullptr;
	ft_session_opts o;
	ft_session_stats st{};
	char err[FT_ERRBUF_SIZE];
	Collector c;
	// IPv4 + UDP header, 100.64.0.1:53 -> 100.64.0.2:53.
	std::uint8_t pkt[28] = {0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 100, 64, 0, 1,
				100, 64, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0};
	int ret;

	if ((ret = ft_tap_new(&tap, "cxx")) < 0) {
		std::fprintf(stderr, "cxx_hook: cannot create tap: %s\n", ft_strerror(ret));
		return 1;
	}
	ft_tap_hook(tap, FT_PATH_FROM_LOCAL, pkt, sizeof(pkt), nullptr); // unwatched: nothing
	ft_session_opts_init(&o);
	o.out = Collector::out;
	o.out_ctx = &c;
	o.filter = "udp port 53";
	if ((ret = ft_session_start(&s, tap, &o, err, sizeof(err))) < 0) {
		std::fprintf(stderr, "cxx_hook: cannot start capture: %s %s\n", ft_strerror(ret), err);
		return 1;
	}
	ft_meta m = FT_META_INIT;
	ft_meta_set_nat_ip4(&m, 0, 0x0a000001);
	ft_tap_hook(tap, FT_PATH_FROM_LOCAL, pkt, sizeof(pkt), &m);
	ft_session_stop(s, &st);
	ft_session_free(s);
	ft_tap_free(tap);
	// A pcap header (24 bytes) and one record (16 + 28 bytes).
	if (st.written != 1 || c.bytes.size() != 24 + 16 + sizeof(pkt) ||
	    std::memcmp(c.bytes.data() + 40, pkt, sizeof(pkt)) != 0) {
		std::fprintf(stderr, "cxx_hook: expected 1 packet, got %llu (%zu bytes)\n",
			     static_cast<unsigned long long>(st.written), c.bytes.size());
		return 1;
	}
	std::printf("cxx_hook: 1 packet captured\n");
	return 0;
}
