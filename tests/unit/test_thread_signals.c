/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_thread_signals.c - every thread the library starts has every
 * blockable signal blocked, so the host's signals (SIGTERM, SIGHUP, SIGUSR1,
 * SIGCHLD...) reach the host's own threads and a SIGPIPE never kills it.
 *
 * The threads checked: a capture session, the API server's loop and one of
 * its workers, the flow logger and an HTTP sink. Each thread's mask is read
 * from /proc/self/task/TID/status while it runs.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtap/api.h>
#include <flowtap/capture.h>
#include <flowtap/flows.h>
#include <flowtap/tap.h>

static const int host_signals[] = {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD};

/* The SigBlk mask of thread @tid, or -1 if it could not be read. */
static long long sigblk(const char *tid)
{
	char path[300], line[256];
	long long mask = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigBlk:", 7))
			mask = strtoll(line + 7, NULL, 16);
	fclose(f);
	return mask;
}

/* Checks every thread but the caller; returns how many there were. */
static int check_other_threads(void)
{
	char self[32];
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/proc/self/task");

	assert_non_null(d);
	snprintf(self, sizeof(self), "%ld", (long)syscall(SYS_gettid));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, self))
			continue;
		long long m = sigblk(e->d_name);
		if (m < 0)
			continue; /* ended meanwhile */
		for (size_t i = 0; i < sizeof(host_signals) / sizeof(host_signals[0]); i++) {
			if (!(m & (1LL << (host_signals[i] - 1))))
				fail_msg("thread %s takes signal %d (SigBlk %llx)", e->d_name,
					 host_signals[i], m);
		}
		n++;
	}
	closedir(d);
	return n;
}

struct work_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state; /* 0 waiting to start, 1 running, 2 may finish */
};

/* Holds an API worker thread alive while the masks are read. */
static void hold_worker(void *ctx)
{
	struct work_gate *g = ctx;

	pthread_mutex_lock(&g->mu);
	g->state = 1;
	pthread_cond_broadcast(&g->cv);
	while (g->state != 2)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void test_library_threads_block_signals(void **state)
{
	char dir[] = "/tmp/ft-sigmask-XXXXXX", sock[128], spool[128], err[FT_ERRBUF_SIZE];
	struct work_gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct ft_session_opts so;
	struct ft_session *s;
	struct ft_api_opts ao;
	struct ft_flowlog *log;
	struct ft_flows *tun;
	struct ft_api *api;
	struct ft_tap *t;
	sigset_t none;

	(void)state;
	/* The host here takes every signal: any mask seen comes from us. */
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	snprintf(spool, sizeof(spool), "%s/spool", dir);

	assert_int_equal(ft_tap_new(&t, "sig"), 0);
	ft_session_opts_init(&so);
	so.format = FT_FORMAT_PCAP;
	int nul = open("/dev/null", O_WRONLY);
	so.out_fd = nul;
	assert_int_equal(ft_session_start(&s, t, &so, err, sizeof(err)), 0);

	ft_api_opts_init(&ao);
	ao.socket_path = sock;
	assert_int_equal(ft_api_new(&api, NULL, &ao, err, sizeof(err)), 0);
	assert_int_equal(ft_api_run_async(api, hold_worker, NULL, &g), 0);
	pthread_mutex_lock(&g.mu);
	while (g.state != 1)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);

	assert_int_equal(ft_flows_new(&tun, 1024), 0);
	assert_int_equal(ft_flowlog_new(&log, tun, NULL), 0);
	/* Port 9 on loopback: nothing listens, the sink's thread retries. */
	assert_int_equal(ft_flowlog_add_sink_http(log, "http://127.0.0.1:9/", spool, NULL) >= 0, 1);
	assert_int_equal(ft_flowlog_start(log), 0);

	/* session + API loop + worker + logger + HTTP sink */
	assert_true(check_other_threads() >= 5);

	pthread_mutex_lock(&g.mu);
	g.state = 2;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	ft_flowlog_stop(log);
	ft_flowlog_free(log);
	ft_flows_free(tun);
	ft_api_free(api);
	ft_session_stop(s, NULL);
	ft_session_free(s);
	ft_tap_free(t);
	close(nul);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_library_threads_block_signals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
