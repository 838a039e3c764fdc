/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: SSH identification string (RFC 4253, section 4.2).
 *
 * The first line each side sends, "SSH-protoversion-softwareversion", is
 * printed after the TCP length: ": SSH: SSH-2.0-OpenSSH_9.6".
 */
#include "dissect.h"

bool ft__dis_ssh(struct ft_dis *d, struct ft_rd r)
{
	static const char *const prefix[] = {"SSH-"};
	return ft__put_line_if(d, r, "SSH", prefix, 1);
}
