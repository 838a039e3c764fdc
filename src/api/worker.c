/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: blocking work off the API's loop: a few worker threads run it
 * and report back through the loop's eventfd.
 *
 * Starting a session can wait for a capture source to open its kernel
 * rings (seconds), and ending one joins its thread, which drains to a
 * client. The loop must answer everyone else meanwhile, so it only queues
 * such work here and finishes it (replies, frees) when the job's done()
 * runs on the loop. Jobs run in parallel on up to FT__API_WORKERS threads,
 * started when needed, so one slow attach does not hold up other clients.
 *
 * Ordering: the queue and the finished list are under jmu. A worker moves
 * a job to the finished list under jmu after its work() returned, then
 * writes the eventfd; the loop takes the finished list under jmu, so every
 * store work() made happens before done() reads it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "api_int.h"
#include "thread.h"

void ft__api_wake(struct ft_api *api)
{
	uint64_t one = 1;

	if (atomic_exchange(&api->wake_pending, true))
		return;
	/* An eventfd write never blocks short of 2^64-1 pending wakes. */
	if (write(api->wakefd, &one, sizeof(one)) < 0)
		atomic_store(&api->wake_pending, false);
}

int ft__api_worker_init(struct ft_api *api)
{
	pthread_mutex_init(&api->jmu, NULL);
	pthread_cond_init(&api->jcv, NULL);
	pthread_cond_init(&api->jdone, NULL);
	api->jobs_tail = &api->jobs;
	api->finished_tail = &api->finished;
	return 0;
}

static void *worker_main(void *arg)
{
	struct ft_api *api = arg;
	struct api_job *j;

	pthread_mutex_lock(&api->jmu);
	for (;;) {
		while (!api->jobs && !api->jstop) {
			api->nidle++;
			pthread_cond_wait(&api->jcv, &api->jmu);
			api->nidle--;
		}
		if (!api->jobs)
			break; /* stopping, and nothing left to run */
		j = api->jobs;
		api->jobs = j->next;
		if (!api->jobs)
			api->jobs_tail = &api->jobs;
		pthread_mutex_unlock(&api->jmu);
		j->work(j->arg);
		pthread_mutex_lock(&api->jmu);
		j->next = NULL;
		*api->finished_tail = j;
		api->finished_tail = &j->next;
		pthread_cond_broadcast(&api->jdone);
		ft__api_wake(api);
	}
	pthread_mutex_unlock(&api->jmu);
	return NULL;
}

/* Under jmu: a thread for a job nobody idle can take, up to the limit. */
static int maybe_spawn(struct ft_api *api)
{
	int ret;

	if (api->nidle || api->nworkers == FT__API_WORKERS)
		return 0;
	/* Workers take no signals (thread.h): SIGPIPE from a closed client
	 * becomes EPIPE. */
	ret = ft__thread_start(&api->workers[api->nworkers], worker_main, api);
	if (ret < 0)
		return api->nworkers ? 0 : -EAGAIN; /* the others will get to it */
	api->nworkers++;
	return 0;
}

int ft__api_defer(struct ft_api *api, void (*work)(void *), void (*done)(void *), void *arg)
{
	struct api_job *j = calloc(1, sizeof(*j));
	int ret;

	if (!j)
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&api->jmu);
	ret = maybe_spawn(api);
	if (ret == 0) {
		*api->jobs_tail = j;
		api->jobs_tail = &j->next;
		api->jobs_open++;
		pthread_cond_signal(&api->jcv);
	}
	pthread_mutex_unlock(&api->jmu);
	if (ret < 0)
		free(j);
	return ret;
}

void ft__api_run_finished(struct ft_api *api)
{
	struct api_job *list, *j;

	pthread_mutex_lock(&api->jmu);
	list = api->finished;
	api->finished = NULL;
	api->finished_tail = &api->finished;
	pthread_mutex_unlock(&api->jmu);
	while ((j = list)) {
		list = j->next;
		if (j->done)
			j->done(j->arg);
		free(j);
		pthread_mutex_lock(&api->jmu);
		api->jobs_open--;
		pthread_mutex_unlock(&api->jmu);
	}
}

void ft__api_worker_drain(struct ft_api *api)
{
	pthread_mutex_lock(&api->jmu);
	while (api->jobs_open) {
		while (!api->finished)
			pthread_cond_wait(&api->jdone, &api->jmu);
		pthread_mutex_unlock(&api->jmu);
		ft__api_run_finished(api); /* may queue more */
		pthread_mutex_lock(&api->jmu);
	}
	pthread_mutex_unlock(&api->jmu);
}

void ft__api_worker_free(struct ft_api *api)
{
	pthread_mutex_lock(&api->jmu);
	api->jstop = true;
	pthread_cond_broadcast(&api->jcv);
	pthread_mutex_unlock(&api->jmu);
	for (unsigned i = 0; i < api->nworkers; i++)
		pthread_join(api->workers[i], NULL);
	api->nworkers = 0;
	ft__api_run_finished(api);
	pthread_cond_destroy(&api->jdone);
	pthread_cond_destroy(&api->jcv);
	pthread_mutex_destroy(&api->jmu);
}
