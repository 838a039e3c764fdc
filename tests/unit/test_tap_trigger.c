/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: recorder triggers (files, extension, the directory bound, errors). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <flowtap/capture.h>
#include <flowtap/reader.h>
#include <flowtap/tap.h>
#include <flowtap/trigger.h>

#include "pkt_build.h"

static struct ft_tap *tap;
static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ft-trig-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ft_tap_new(&tap, "trig0"), 0);
	return ft_tap_recorder_start(tap, NULL);
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	(void)state;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, "..") != 0)) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
	ft_tap_free(tap);
	return 0;
}

/* A UDP packet to @dport whose payload starts with @id. */
static void hook_id(uint32_t id, uint16_t dport)
{
	uint8_t pkt[200];
	size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1000, dport, 64);
	memcpy(pkt + 28, &id, 4);
	ft_tap_hook(tap, FT_PATH_FROM_LOCAL, pkt, n, NULL);
}

/* Our files in dir (completed ones), their names sorted into @names. */
static int files(char names[][256], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "flowtap-trig0-", 14) && n < max)
			snprintf(names[n++], 256, "%s", e->d_name);
	closedir(d);
	qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Wait (at most 20 s: sanitizers are slow) for @n completed files. */
static void wait_files(struct ft_trigger *tr, uint64_t n)
{
	struct ft_trigger_stats st;
	for (int i = 0; i < 2000; i++) {
		ft_trigger_get_stats(tr, &st);
		if (st.files >= n && !st.saving)
			return;
		usleep(10000);
	}
	fail_msg("%llu files written, want %llu", (unsigned long long)st.files,
		 (unsigned long long)n);
}

/* The ids in file @name, in order; returns how many. */
static int file_ids(const char *name, uint32_t *ids, int max)
{
	char path[PATH_MAX], err[FT_ERRBUF_SIZE];
	struct ft_reader *r;
	struct ft_pkt p;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(ft_reader_open(&r, path, err), 0);
	assert_true(ft_reader_is_pcapng(r));
	while (ft_reader_next(r, &p) > 0 && n < max)
		if (p.caplen >= 32)
			memcpy(&ids[n++], p.data + 28, 4);
	ft_reader_close(r);
	return n;
}

static struct ft_trigger *start(struct ft_trigger_opts *o)
{
	struct ft_trigger *tr;
	char err[256];
	o->dir = dir;
	int ret = ft_trigger_start(&tr, tap, o, err, sizeof(err));
	if (ret)
		fail_msg("ft_trigger_start: %s: %s", ft_strerror(ret), err);
	return tr;
}

static void test_bad_opts(void **state)
{
	struct ft_trigger_opts o;
	struct ft_trigger *tr, *tr2;
	struct ft_tap *off;
	char err[256], file[PATH_MAX];
	(void)state;

	ft_trigger_opts_init(&o);
	assert_int_equal(ft_trigger_start(&tr, tap, &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no directory for the trigger's files");
	o.dir = "/nonexistent/ft-trig";
	assert_int_equal(ft_trigger_start(&tr, tap, &o, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/ft-trig"));
	snprintf(file, sizeof(file), "%s/plain", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	o.dir = file;
	assert_int_equal(ft_trigger_start(&tr, tap, &o, err, sizeof(err)), -ENOTDIR);
	unlink(file);
	o.dir = dir;
	o.filter = "udp and and";
	assert_int_equal(ft_trigger_start(&tr, tap, &o, err, sizeof(err)), FT_EFILTER);
	o.filter = NULL;
	o.after_ms = 3600001;
	assert_int_equal(ft_trigger_start(&tr, tap, &o, err, sizeof(err)), -EINVAL);
	o.after_ms = 0;
	assert_int_equal(ft_tap_new(&off, "off0"), 0);
	assert_int_equal(ft_trigger_start(&tr, off, &o, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "tap 'off0' has no flight recorder running");
	ft_tap_free(off);
	/* One per tap; after a failed start the tap is free again. */
	assert_int_equal(ft_trigger_start(&tr, tap, &o, err, sizeof(err)), 0);
	assert_int_equal(ft_trigger_start(&tr2, tap, &o, err, sizeof(err)), -EBUSY);
	ft_trigger_free(tr);
	assert_int_equal(ft_trigger_opts_parse(&o, "after", "2m", err, sizeof(err)), 0);
	assert_int_equal(o.after_ms, 120000);
	assert_int_equal(ft_trigger_opts_parse(&o, "after", "2h", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad trigger after time '2h' (want 1ms to 1h, e.g. 10s)");
	assert_int_equal(ft_trigger_opts_parse(&o, "before", "soon", err, sizeof(err)), -EINVAL);
	assert_int_equal(ft_trigger_opts_parse(&o, "keep", "5,10M", err, sizeof(err)), 0);
	assert_int_equal(o.max_files, 5);
	assert_int_equal(o.max_bytes, 10 << 20);
	assert_int_equal(ft_trigger_opts_parse(&o, "keep", "0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad trigger file count '0' (want 1 to 10000)");
	assert_int_equal(ft_trigger_opts_parse(&o, "keep", "3,1K", err, sizeof(err)), -EINVAL);
	assert_int_equal(ft_trigger_opts_parse(&o, "size", "1", err, sizeof(err)), -EINVAL);
}

/* A matching packet saves the window before it and after_ms after it. */
static void test_filter_saves_before_and_after(void **state)
{
	struct ft_trigger_opts o;
	struct ft_trigger *tr;
	struct ft_recorder_stats rs;
	struct ft_trigger_stats ts;
	char names[4][256];
	uint32_t ids[400];
	(void)state;

	for (uint32_t i = 1; i <= 100; i++)
		hook_id(i, 2000);
	ft_trigger_opts_init(&o);
	o.filter = "udp dst port 9";
	o.after_ms = 1500;
	tr = start(&o);
	for (uint32_t i = 101; i <= 200; i++)
		hook_id(i, 2000);
	hook_id(1000, 9);
	usleep(500000); /* "after": within after_ms of the event */
	for (uint32_t i = 201; i <= 210; i++)
		hook_id(i, 2000);
	wait_files(tr, 1);
	/* Long after: not in the file. */
	hook_id(5000, 2000);
	ft_trigger_get_stats(tr, &ts);
	ft_trigger_free(tr);

	assert_int_equal(files(names, 4), 1);
	assert_string_equal(ts.last_file, names[0]);
	int n = file_ids(names[0], ids, 400);
	assert_int_equal(n, 211);
	for (int i = 0; i < 200; i++)
		assert_int_equal(ids[i], i + 1);
	assert_int_equal(ids[200], 1000);
	for (int i = 201; i < 211; i++)
		assert_int_equal(ids[i], i);
	assert_int_equal(ts.fired, 1);
	assert_int_equal(ts.files, 1);
	assert_int_equal(ts.failed, 0);
	ft_tap_recorder_stats(tap, &rs);
	assert_int_equal(rs.triggers, 1);
	assert_int_equal(rs.files, 1);
}

/* A second event inside the window extends the same file. */
static void test_repeat_extends(void **state)
{
	struct ft_trigger_opts o;
	struct ft_trigger *tr;
	struct ft_trigger_stats ts;
	char names[4][256];
	uint32_t ids[16];
	(void)state;

	ft_trigger_opts_init(&o);
	o.after_ms = 1000;
	tr = start(&o);
	hook_id(1, 2000);
	assert_int_equal(ft_tap_trigger_fire(tap, "first"), 0);
	usleep(600000);
	hook_id(2, 2000);
	assert_int_equal(ft_trigger_fire(tr, "second"), 0);
	usleep(700000); /* past the first event's window, within the second's */
	hook_id(3, 2000);
	wait_files(tr, 1);
	ft_trigger_get_stats(tr, &ts);
	assert_int_equal(ts.fired, 2);
	assert_int_equal(ts.files, 1);
	assert_int_equal(files(names, 4), 1);
	assert_int_equal(file_ids(names[0], ids, 16), 3);
	ft_trigger_free(tr);
}

/* The directory keeps max_files: the oldest go, counted. */
static void test_dir_bound(void **state)
{
	struct ft_trigger_opts o;
	struct ft_trigger *tr;
	struct ft_trigger_stats ts;
	char names[8][256], first[256] = "";
	(void)state;

	ft_trigger_opts_init(&o);
	o.after_ms = 1;
	o.max_files = 2;
	tr = start(&o);
	for (uint64_t i = 1; i <= 4; i++) {
		hook_id((uint32_t)i, 2000);
		ft_trigger_fire(tr, NULL);
		wait_files(tr, i);
		if (i == 1)
			files(names, 8), snprintf(first, sizeof(first), "%s", names[0]);
	}
	ft_trigger_get_stats(tr, &ts);
	assert_int_equal(ts.files, 4);
	assert_int_equal(ts.removed, 2);
	assert_int_equal(files(names, 8), 2);
	assert_string_not_equal(names[0], first);
	assert_string_equal(names[1], ts.last_file);
	ft_trigger_free(tr);
}

/* A drop with the chosen reason fires; other drops and packets do not. */
static void test_drop_fires(void **state)
{
	struct ft_trigger_opts o;
	struct ft_trigger *tr;
	struct ft_trigger_stats ts;
	uint8_t pkt[200];
	size_t n = tb_ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1000, 2000, 64);
	(void)state;

	ft_trigger_opts_init(&o);
	o.after_ms = 1;
	o.on_drop = true;
	ft_pathset_add(&o.drop_reasons, FT_DROP_ACL);
	tr = start(&o);
	ft_tap_drop(tap, FT_PATH_FROM_PEER, pkt, n, FT_DROP_NO_ROUTE, NULL);
	hook_id(1, 2000);
	usleep(300000);
	ft_trigger_get_stats(tr, &ts);
	assert_int_equal(ts.fired, 0);
	ft_tap_drop(tap, FT_PATH_FROM_PEER, pkt, n, FT_DROP_ACL, NULL);
	wait_files(tr, 1);
	ft_trigger_free(tr);
	assert_int_equal(ft_tap_trigger_fire(tap, "x"), -ENOENT);
	assert_int_equal(ft_tap_trigger_stats(tap, &ts), -ENOENT);
}

/* A file a crash left under its hidden name is kept at the next start. */
static void test_recover_part(void **state)
{
	struct ft_trigger_opts o;
	struct ft_trigger *tr;
	char p[PATH_MAX], names[4][256];
	(void)state;

	snprintf(p, sizeof(p), "%s/.flowtap-trig0-20260101T000000Z-0001.pcapng.part", dir);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	ft_trigger_opts_init(&o);
	tr = start(&o);
	assert_int_equal(files(names, 4), 1);
	assert_string_equal(names[0], "flowtap-trig0-20260101T000000Z-0001.pcapng");
	ft_trigger_free(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bad_opts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_filter_saves_before_and_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repeat_extends, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_fires, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recover_part, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
