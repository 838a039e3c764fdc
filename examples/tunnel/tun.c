/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: the TUN device: open the clone device and attach a layer-3 interface. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tunnel.h"

/*
 * tun_open - open @dev (normally /dev/net/tun) and attach the TUN interface
 * @name (created if absent), without the packet-information prefix, so that
 * each read or write is exactly one IP packet. The fd is non-blocking.
 * @ifname receives the interface name (IFNAMSIZ bytes); @step names the
 * step that failed. Returns the fd or -errno.
 */
int tun_open(const char *dev, const char *name, char *ifname, const char **step)
{
	struct ifreq ifr;
	int fd, ret;

	*step = "open";
	fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (name)
		strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	*step = "attach";
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = '\0';
	return fd;
}
