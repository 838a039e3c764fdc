/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privs.c - drop root after the sockets are open, keeping only CAP_NET_RAW
 * (AF_PACKET sockets reopened when a capture starts) and CAP_NET_ADMIN
 * (NFLOG binding, joining the psample group), and for --drops CAP_BPF and
 * CAP_PERFMON (loading the kfree_skb program when a capture starts).
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "flowtapd.h"

static int keep_net_caps(bool bpf)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	uint32_t want = (1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN);
	/* CAP_PERFMON (38) and CAP_BPF (39): load and attach the kfree_skb
	 * program again whenever a capture of the drops starts. */
	uint32_t want_hi = bpf ? (1u << (38 - 32)) | (1u << (39 - 32)) : 0;

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = want;
	d[1].effective = d[1].permitted = want_hi;
	return (int)syscall(SYS_capset, &h, d);
}

int ftd_drop_privileges(const char *user, bool bpf, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if (!(pw = getpwnam(user))) {
		snprintf(err, errlen, "unknown user '%s'%s%s", user, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	/* Keep the permitted set across setuid(), then trim it to the two. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || initgroups(user, pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		snprintf(err, errlen, "cannot become user '%s': %s", user, strerror(errno));
		return -1;
	}
	if (keep_net_caps(bpf) < 0) {
		snprintf(err, errlen, "cannot keep CAP_NET_RAW and CAP_NET_ADMIN%s: %s",
			 bpf ? ", CAP_BPF and CAP_PERFMON" : "", strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}
