/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: -w FILE with tcpdump's rotation rules (-C SIZE, -G SECONDS,
 * -W COUNT), as tcpdump 4.99 names and rotates its files:
 *
 *   -C: FILE, FILE1, FILE2, ... (a new file once the current one holds more
 *       than SIZE bytes); with -W N: FILE0 .. FILE{N-1} (zero-padded to the
 *       digits of N-1), overwritten in a ring.
 *   -G: FILE passed through strftime(3) at each rotation (numbered as
 *       above only with -C too); with -W N the program stops after N files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "output_file.h"
#include "rotate.h"

static int count_output(void *ctx, const void *data, size_t len)
{
	struct rot *r = ctx;
	int ret = ft_output_fd((void *)(intptr_t)r->fd, data, len);
	if (ret == 0)
		r->written += len;
	return ret;
}

/* tcpdump's MakeFilename: the strftime'd name, then the number unless it
 * is file 0 without -W. */
static int make_name(struct rot *r, unsigned cnt)
{
	char pat[PATH_MAX];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (r->secs) {
		localtime_r(&now, &tm);
		if (!strftime(pat, sizeof(pat), r->base, &tm))
			return -ENAMETOOLONG;
	} else {
		snprintf(pat, sizeof(pat), "%s", r->base);
	}
	if (cnt == 0 && r->digits == 0)
		n = snprintf(r->name, sizeof(r->name), "%s", pat);
	else
		n = snprintf(r->name, sizeof(r->name), "%s%0*u", pat, r->digits, cnt);
	return n < 0 || (size_t)n >= sizeof(r->name) ? -ENAMETOOLONG : 0;
}

static int open_file(struct rot *r, unsigned cnt)
{
	int ret = make_name(r, cnt);

	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot name the output file '%s': %s\n", r->base,
			strerror(-ret));
		return 1;
	}
	/* Like -w without rotation: never the input (a rotated name can be
	 * the file being read), emptied only once it is known not to be. */
	struct cli_output out;
	ret = cli_output_open(&out, r->name, r->input);
	if (ret)
		return ret;
	r->fd = out.fd;
	ret = cli_output_begin(&out);
	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot empty '%s': %s\n", r->name, strerror(-ret));
		return 1;
	}
	r->written = 0;
	ret = ft_writer_new(&r->w, &r->wo, count_output, r);
	if (ret < 0) {
		fprintf(stderr, "flowtap: cannot write %s: %s\n", ft_format_name(r->wo.format),
			ret == -EINVAL ? "snaplen too short for this format" : ft_strerror(ret));
		return 2;
	}
	return 0;
}

int rot_open(struct rot *r, const struct ft_writer_opts *wo)
{
	r->wo = *wo;
	/* Numbered names only when -C rotates (with -G alone, -W only
	 * counts the files), padded to the digits of -W minus one. */
	r->digits = 0;
	for (unsigned x = r->count && r->size_limit ? r->count - 1 : 0; x; x /= 10)
		r->digits++;
	r->period_start = time(NULL);
	return open_file(r, 0);
}

int rot_close(struct rot *r)
{
	int ret = 0;

	if (!r->w)
		return 0;
	ret = ft_writer_finish(r->w, NULL);
	ft_writer_free(r->w);
	r->w = NULL;
	if (close(r->fd) < 0 && ret == 0)
		ret = -errno;
	r->fd = -1;
	return ret;
}

static int rotate(struct rot *r, unsigned cnt)
{
	int ret = rot_close(r);

	if (ret < 0)
		return ret;
	return open_file(r, cnt) ? -EIO : 0;
}

int rot_write(struct rot *r, const struct ft_pkt *p)
{
	int ret;

	if (r->secs) {
		time_t now = time(NULL);
		if (now - r->period_start >= (time_t)r->secs) {
			r->period_start = now;
			if (r->count && !r->size_limit && ++r->gflag_count >= r->count)
				return 1;
			r->cflag_count = 0;
			ret = rotate(r, 0);
			if (ret < 0)
				return ret;
		}
	}
	if (r->size_limit && r->written + ft_writer_pending(r->w) > r->size_limit) {
		if (++r->cflag_count >= r->count && r->count)
			r->cflag_count = 0;
		ret = rotate(r, r->cflag_count);
		if (ret < 0)
			return ret;
	}
	return ft_writer_write(r->w, p);
}
