/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_wireguard.c - libFuzzer target for the WireGuard device readers: the
 * first byte picks the UAPI text parser or the WG_CMD_GET_DEVICE netlink
 * decoder (the rest is one reply message, its length patched to fit, then
 * decoded twice to exercise the continuation of the last peer). Any bytes:
 * no read outside the buffer, no leak, bounded peers and allowed IPs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>

#include "sources/wireguard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool uapi = data[0] & 1;
	data++, size--;
	/* An exact-size copy, so ASan catches a read one byte past the end. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct ft_wg_device d = {0};
	char err[256];
	if (uapi) {
		(void)ft__wg_uapi_parse(&d, (const char *)buf, size, err, sizeof(err));
	} else {
		if (size >= sizeof(struct nlmsghdr)) {
			uint32_t len = (uint32_t)size & ~3u; /* aligned, as the kernel sends */
			memcpy(buf, &len, sizeof(len));
		}
		(void)ft__wg_genl_parse(&d, buf, size, err, sizeof(err));
		(void)ft__wg_genl_parse(&d, buf, size, err, sizeof(err));
	}
	if (d.npeers > FT_WG_MAX_PEERS)
		abort();
	for (size_t i = 0; i < d.npeers; i++)
		if (d.peers[i].nallowed > FT_WG_MAX_ALLOWED)
			abort();
	ft__wg_device_clear(&d);
	free(buf);
	return 0;
}
