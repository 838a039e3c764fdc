/* SPDX-License-Identifier: BSD-2-Clause */
/* test_api.c - the local API server: options, socket handling, taps, the
 * caller's-loop mode, flow publishing and capture streams over raw sockets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include <flowtap/api.h>
#include <flowtap/capture.h>

#include "api/api_int.h"

static char dir[64];

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ftd-unit-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} good[] = {{"10", 10000}, {"2.5", 2500},   {"500ms", 500},   {"5s", 5000},
		    {"1m", 60000}, {"1h", 3600000}, {"1m30s", 90000}, {"0", 0}};
	static const char *const bad[] = {"",	 "5x",	"-1",  "s",   "1e",
					  "abc", "nan", "inf", "1 s", "+3"};
	uint64_t ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ft__api_parse_duration(good[i].s, &ms), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ft__api_parse_duration(bad[i], &ms), -EINVAL);
}

static void test_parse_bool(void **state)
{
	bool b;

	assert_int_equal(ft__api_parse_bool("", &b), 0);
	assert_true(b);
	assert_int_equal(ft__api_parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(ft__api_parse_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(ft__api_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(ft__api_parse_bool("maybe", &b), -EINVAL);
}

static int new_api(struct ft_api **api, const char *sock, char *err, size_t errlen)
{
	struct ft_api_opts o;

	ft_api_opts_init(&o);
	o.socket_path = sock;
	return ft_api_new(api, NULL, &o, err, errlen);
}

static void test_socket_files(void **state)
{
	char sock[128], err[256];
	struct ft_api *api, *api2;
	struct stat st;
	int fd;

	/* A missing directory is created 0750; the socket is 0660. */
	path_in(sock, sizeof(sock), "run/x.sock");
	assert_int_equal(new_api(&api, sock, err, sizeof(err)), 0);
	assert_string_equal(ft_api_socket_path(api), sock);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	path_in(sock, sizeof(sock), "run");
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);

	/* A live server keeps its socket. */
	path_in(sock, sizeof(sock), "run/x.sock");
	assert_int_equal(new_api(&api2, sock, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	ft_api_free(api);
	assert_int_equal(access(sock, F_OK), -1); /* removed on free */

	/* Not a socket: left alone. */
	path_in(sock, sizeof(sock), "file");
	fd = open(sock, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(new_api(&api, sock, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "not a socket"));

	/* Too long for sun_path. */
	memset(sock, 'a', sizeof(sock) - 1);
	sock[0] = '/';
	sock[sizeof(sock) - 1] = '\0';
	assert_int_equal(new_api(&api, sock, err, sizeof(err)), -ENAMETOOLONG);
}

static void test_stale_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256];
	struct ft_api *api;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	path_in(sa.sun_path, sizeof(sa.sun_path), "stale.sock");
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, never listening, now dead */
	assert_int_equal(new_api(&api, sa.sun_path, err, sizeof(err)), 0);
	ft_api_free(api);
}

static void test_bad_group(void **state)
{
	struct ft_api_opts o;
	struct ft_api *api;
	char sock[128], err[256];

	path_in(sock, sizeof(sock), "g.sock");
	ft_api_opts_init(&o);
	o.socket_path = sock;
	o.group = "no-such-group-ftd";
	assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-group-ftd"));
	assert_null(api);
}

static void test_taps(void **state)
{
	struct ft_tap *a, *b, *a2;
	struct ft_api *api;
	char sock[128], err[256];

	path_in(sock, sizeof(sock), "t.sock");
	assert_int_equal(new_api(&api, sock, err, sizeof(err)), 0);
	assert_int_equal(ft_tap_new(&a, "a"), 0);
	assert_int_equal(ft_tap_new(&b, "b"), 0);
	assert_int_equal(ft_tap_new(&a2, "a"), 0);
	assert_int_equal(ft_api_add_tap(api, a), 0);
	assert_int_equal(ft_api_add_tap(api, a), -EEXIST);
	assert_int_equal(ft_api_add_tap(api, a2), -EEXIST); /* same name */
	assert_int_equal(ft_api_add_tap(api, b), 0);
	assert_ptr_equal(ft__api_find_tap(api, NULL), a); /* the first is the default */
	assert_ptr_equal(ft__api_find_tap(api, "b"), b);
	assert_null(ft__api_find_tap(api, "c"));
	assert_int_equal(ft_api_remove_tap(api, a2), -ENOENT);
	assert_int_equal(ft_api_remove_tap(api, a), 0);
	assert_ptr_equal(ft__api_find_tap(api, NULL), b);
	ft_api_free(api);
	ft_tap_free(a);
	ft_tap_free(b);
	ft_tap_free(a2);
}

/* A raw HTTP client: connect, send @req, return the fd. */
static int client(const char *sock, const char *req)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read into @buf until @needle shows up, EOF, or 5 s pass. */
static size_t read_until(int fd, char *buf, size_t cap, const char *needle)
{
	size_t len = 0;

	buf[0] = '\0';
	while (len + 1 < cap && !strstr(buf, needle)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			break;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return len;
}

struct get_arg {
	const char *sock;
	char buf[8192];
	_Atomic bool done;
};

static void *get_status(void *p)
{
	struct get_arg *g = p;
	int fd = client(g->sock, "GET /localapi/v0/status HTTP/1.1\r\nHost: x\r\n"
				 "Connection: close\r\n\r\n");

	if (fd >= 0) {
		read_until(fd, g->buf, sizeof(g->buf), "\n}\n");
		close(fd);
	}
	atomic_store(&g->done, true);
	return NULL;
}

struct loop_ctx {
	struct event_base *base;
	struct get_arg *g;
};

static void check_done2(evutil_socket_t fd, short what, void *arg)
{
	struct loop_ctx *l = arg;

	if (atomic_load(&l->g->done))
		event_base_loopbreak(l->base);
}

/* The server on the caller's event base, dispatched by the caller. */
static void test_caller_base(void **state)
{
	struct event_base *base = event_base_new();
	struct get_arg g = {0};
	struct loop_ctx l = {.base = base, .g = &g};
	struct timeval tv = {0, 10000};
	struct ft_api_opts o;
	struct ft_api *api;
	struct ft_tap *t;
	struct event *ev;
	pthread_t th;
	char sock[128], err[256];

	path_in(sock, sizeof(sock), "base.sock");
	ft_api_opts_init(&o);
	o.socket_path = sock;
	assert_int_equal(ft_api_new(&api, base, &o, err, sizeof(err)), 0);
	assert_int_equal(ft_tap_new(&t, "embedded"), 0);
	assert_int_equal(ft_api_add_tap(api, t), 0);
	g.sock = sock;
	ev = event_new(base, -1, EV_PERSIST, check_done2, &l);
	event_add(ev, &tv);
	assert_int_equal(pthread_create(&th, NULL, get_status, &g), 0);
	event_base_dispatch(base);
	pthread_join(th, NULL);
	assert_non_null(strstr(g.buf, "HTTP/1.1 200"));
	assert_non_null(strstr(g.buf, "\"embedded\""));
	assert_non_null(strstr(g.buf, "\"from-peer\""));
	event_free(ev);
	ft_api_free(api);
	ft_tap_free(t);
	event_base_free(base);
}

static void test_publish_flow(void **state)
{
	struct ft_api *api;
	struct ft_api_stats st;
	char sock[128], err[256], buf[4096];
	int fd, n = 0;

	path_in(sock, sizeof(sock), "f.sock");
	assert_int_equal(new_api(&api, sock, err, sizeof(err)), 0);
	assert_int_equal(ft_api_publish_flow(api, "{}", 2), 0); /* nobody listens */
	fd = client(sock, "GET /localapi/v0/flows HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(fd >= 0);
	read_until(fd, buf, sizeof(buf), "\r\n\r\n");
	assert_non_null(strstr(buf, "200 OK"));
	assert_non_null(strstr(buf, "application/x-ndjson"));
	for (int i = 0; i < 200 && n == 0; i++) {
		n = ft_api_publish_flow(api, "{\"nodeId\":\"u\"}", 14);
		usleep(5000);
	}
	assert_int_equal(n, 1);
	read_until(fd, buf, sizeof(buf), "{\"nodeId\":\"u\"}\n");
	assert_non_null(strstr(buf, "{\"nodeId\":\"u\"}\n"));
	ft_api_get_stats(api, &st);
	assert_int_equal(st.sessions, 1);
	close(fd);
	/* The subscriber is gone within a second. */
	for (int i = 0; i < 100 && st.sessions; i++) {
		usleep(20000);
		ft_api_get_stats(api, &st);
	}
	assert_int_equal(st.sessions, 0);
	ft_api_free(api);
}

/* Removing a tap ends its streams: the chunked reply is terminated. */
static void test_remove_tap_ends_stream(void **state)
{
	struct ft_tap_stats ts;
	struct ft_api *api;
	struct ft_tap *t;
	char sock[128], err[256], buf[8192];
	int fd;

	path_in(sock, sizeof(sock), "r.sock");
	assert_int_equal(new_api(&api, sock, err, sizeof(err)), 0);
	assert_int_equal(ft_tap_new(&t, "r"), 0);
	assert_int_equal(ft_api_add_tap(api, t), 0);
	fd = client(sock, "POST /localapi/v0/debug-capture?format=text HTTP/1.1\r\nHost: x\r\n"
			  "Content-Length: 0\r\n\r\n");
	assert_true(fd >= 0);
	read_until(fd, buf, sizeof(buf), "\r\n\r\n");
	assert_non_null(strstr(buf, "200 OK"));
	assert_non_null(strstr(buf, "text/plain"));
	ft_tap_get_stats(t, &ts);
	assert_int_equal(ts.sessions, 1);
	assert_int_equal(ft_api_remove_tap(api, t), 0);
	ft_tap_get_stats(t, &ts);
	assert_int_equal(ts.sessions, 0);
	read_until(fd, buf, sizeof(buf), "0\r\n\r\n");
	assert_non_null(strstr(buf, "0\r\n\r\n"));
	close(fd);
	ft_api_free(api);
	ft_tap_free(t);
}

/* Query strings: a NUL in a value and a repeated key are refused, each
 * with a message; CR/LF survive decoding (the filter check sees them). */
static void test_parse_query(void **state)
{
	struct api_query q;
	char err[256], many[512] = "";

	assert_int_equal(ft__api_parse_query("a=1&&b&c=x+y%0d%0a", &q, err, sizeof(err)), 0);
	assert_int_equal(q.n, 3);
	assert_string_equal(ft__api_query_get(&q, "a"), "1");
	assert_string_equal(ft__api_query_get(&q, "b"), "");
	assert_string_equal(ft__api_query_get(&q, "c"), "x y\r\n");
	assert_null(ft__api_query_get(&q, "d"));
	ft__api_query_free(&q);
	assert_int_equal(ft__api_parse_query(NULL, &q, err, sizeof(err)), 0);
	assert_int_equal(q.n, 0);

	assert_int_equal(ft__api_parse_query("filter=tcp%00port+80", &q, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'filter' contains a NUL byte"));
	assert_int_equal(ft__api_parse_query("a%00b=1", &q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(ft__api_parse_query("count=1&tap=x&count=1", &q, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "parameter 'count' given twice");
	assert_int_equal(ft__api_parse_query("%1b%5b2J=1&%1b%5b2J=2", &q, err, sizeof(err)),
			 -EINVAL);
	assert_null(strchr(err, 0x1b)); /* the key is shown escaped */
	assert_non_null(strstr(err, "\\x1b[2J"));
	for (int i = 0; i < FT__API_MAX_PARAMS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "k%d=1&", i);
	assert_int_equal(ft__api_parse_query(many, &q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than"));
}

static void test_escape(void **state)
{
	char buf[64];

	assert_string_equal(ft__api_escape(buf, sizeof(buf), "\x1b[31mred\r\n\\ok\x80"),
			    "\\x1b[31mred\\x0d\\x0a\\\\ok\\x80");
	/* Cut between escapes, never inside one. */
	assert_string_equal(ft__api_escape(buf, 7, "ab\x1b\x1b"), "ab\\x1b");
	assert_string_equal(ft__api_escape(buf, sizeof(buf), NULL), "");
}

static void test_clean_filter(void **state)
{
	char err[256], *f;

	f = ft__api_clean_filter("udp\r\nand\tport 1", err, sizeof(err));
	assert_non_null(f);
	assert_string_equal(f, "udp  and port 1");
	free(f);
	errno = 0;
	assert_null(ft__api_clean_filter("udp \x1b[2J", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "byte 0x1b at offset 4"));
	assert_null(ft__api_clean_filter("host caf\xc3\xa9", err, sizeof(err)));
	assert_non_null(strstr(err, "0xc3"));
}

/* Limits are refused when given, not when the first client trips on them. */
static void test_bad_limits(void **state)
{
	struct ft_api_opts o;
	struct ft_api *api;
	char sock[128], err[256];
	uint64_t ms;

	path_in(sock, sizeof(sock), "lim.sock");
	ft_api_opts_init(&o);
	o.socket_path = sock;
	o.session_bufsize = 2ull << 30;
	assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "session buffer size"));
	o.session_bufsize = 0;
	o.client_bufsize = 100;
	assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "client buffer size"));
	o.client_bufsize = 0;
	o.max_sessions = 100000;
	assert_int_equal(ft_api_new(&api, NULL, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "sessions"));
	assert_int_equal(access(sock, F_OK), -1);
	/* duration: 0 is no limit; the bound keeps deadlines in 64-bit ns. */
	assert_int_equal(ft__api_parse_duration("87600h", &ms), 0);
	assert_int_equal(ms, FT_API_MAX_DURATION_MS);
	assert_int_equal(ft__api_parse_duration("87601h", &ms), -EINVAL);
	assert_int_equal(ft__api_parse_duration("1e30", &ms), -EINVAL);
}

/* Regression: when setting up the loop's events failed after the socket
 * was bound (here: no fd left for the eventfd), the listening socket leaked. */
static void test_setup_error_closes_socket(void **state)
{
	struct event_base *base = event_base_new();
	struct rlimit old, lim;
	struct ft_api_opts o;
	struct ft_api *api;
	char sock[128], err[256];
	int a = dup(0), b = dup(0), ret;

	assert_non_null(base);
	assert_true(a >= 0 && b > a);
	close(a);
	close(b);
	/* The socket gets fd a; the eventfd would need b: beyond the limit. */
	path_in(sock, sizeof(sock), "leak.sock");
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)b;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	ft_api_opts_init(&o);
	o.socket_path = sock;
	ret = ft_api_new(&api, base, &o, err, sizeof(err));
	setrlimit(RLIMIT_NOFILE, &old);
	assert_int_equal(ret, -EMFILE);
	assert_non_null(strstr(err, "eventfd"));
	assert_int_equal(fcntl(a, F_GETFD), -1); /* the socket is closed */
	assert_int_equal(access(sock, F_OK), -1);
	event_base_free(base);
}

static pthread_t work_thr, done_thr;
static _Atomic int done_calls;

static void work_fn(void *ctx)
{
	work_thr = pthread_self();
	usleep(200000); /* blocking work: the loop keeps serving */
}

static void done_fn(void *ctx)
{
	done_thr = pthread_self();
	atomic_fetch_add(&done_calls, 1);
}

/* ft_api_run_async: work off the loop, done on it, status served meanwhile. */
static void test_run_async(void **state)
{
	struct ft_api *api;
	char sock[128], err[256], buf[8192];
	int fd;

	path_in(sock, sizeof(sock), "async.sock");
	assert_int_equal(new_api(&api, sock, err, sizeof(err)), 0);
	assert_int_equal(ft_api_run_async(api, NULL, done_fn, NULL), -EINVAL);
	assert_int_equal(ft_api_run_async(api, work_fn, done_fn, NULL), 0);
	usleep(20000);
	fd = client(sock, "GET /localapi/v0/status HTTP/1.1\r\nHost: x\r\n\r\n");
	read_until(fd, buf, sizeof(buf), "\r\n\r\n");
	assert_non_null(strstr(buf, "200 OK"));
	close(fd);
	assert_int_equal(atomic_load(&done_calls), 0); /* status came first */
	for (int i = 0; i < 200 && !atomic_load(&done_calls); i++)
		usleep(10000);
	assert_int_equal(atomic_load(&done_calls), 1);
	assert_false(pthread_equal(work_thr, done_thr));
	assert_false(pthread_equal(done_thr, pthread_self()));
	ft_api_free(api);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_parse_bool),
	    cmocka_unit_test(test_socket_files),
	    cmocka_unit_test(test_stale_socket),
	    cmocka_unit_test(test_bad_group),
	    cmocka_unit_test(test_taps),
	    cmocka_unit_test(test_caller_base),
	    cmocka_unit_test(test_publish_flow),
	    cmocka_unit_test(test_remove_tap_ends_stream),
	    cmocka_unit_test(test_parse_query),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_clean_filter),
	    cmocka_unit_test(test_bad_limits),
	    cmocka_unit_test(test_setup_error_closes_socket),
	    cmocka_unit_test(test_run_async),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, setup, teardown);
}
