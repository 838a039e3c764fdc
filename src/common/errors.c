/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: error messages for -errno and FT_E* codes. */
#include <string.h>

#include <flowtap/common.h>

FT_EXPORT const char *ft_strerror(int err)
{
	switch (err) {
#define FT_ERR_CASE(name, val, msg)                                                                \
	case (val):                                                                                \
		return msg;
		FT_ERRNO_MAP(FT_ERR_CASE)
#undef FT_ERR_CASE
	default:
		break;
	}
	if (err < 0)
		err = -err;
	return strerror(err);
}
