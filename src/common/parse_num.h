/* SPDX-License-Identifier: BSD-2-Clause */
/* parse_num.h - strict number parsing shared by the CLI, the API and flowtapd. */
#ifndef FT_PARSE_NUM_H
#define FT_PARSE_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * ft__parse_u64 - parse a decimal number with nothing before or after it
 * (no sign, no spaces, no suffix) that is at most @max.
 * Returns 0 or -EINVAL; @out is untouched on failure.
 */
int ft__parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * ft__hex_decode - @n bytes from the 2*@n hex digits at @s (either case).
 * Returns 0 or -EINVAL (a non-hex character; @out is then partly written).
 */
int ft__hex_decode(const char *s, size_t n, uint8_t *out);

/*
 * ft__parse_duration_ms - the @n characters at @s as a duration: seconds,
 * or a number with ms, s, m or h ("60", "500ms", "1.5m"), 1 ms to 24 h.
 * Returns 0, -EINVAL (not a duration) or -ERANGE; @ms untouched on failure.
 */
int ft__parse_duration_ms(const char *s, size_t n, uint64_t *ms);

/*
 * ft__parse_size - @s as a size: bytes, or with K, M or G (binary; "KiB",
 * "MB" too), at most 16 GiB. Returns 0, -EINVAL or -ERANGE.
 */
int ft__parse_size(const char *s, uint64_t *out);

#endif
