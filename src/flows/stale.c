/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: "staleNodes" of flow-log messages: which nodes' links were
 * unhealthy during a window, and how often they turned so
 * (ft_flowlog_set_stale(), flowtap-flows(5)).
 *
 *   "staleNodes":[{"nodeId":"K1","stale":true,"staleEvents":1},
 *                 {"nodeId":"K2","stale":false}]
 *
 * The datapath gives the whole set of nodes stale now, each time it looks;
 * the set is kept sorted, so a new set is merged with the window's in
 * O(n log n) whatever the ids (no hashing an id a remote peer chose).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows_int.h"

void ft__stale_init(struct ft__stale *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
}

void ft__stale_fini(struct ft__stale *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].id);
	free(s->v);
	pthread_mutex_destroy(&s->mu);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ft__stale_set(struct ft__stale *s, const char *const *ids, size_t n)
{
	if (n > FT_FLOWLOG_STALE_MAX)
		return -E2BIG;
	if (n && !ids)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!ids[i] || !*ids[i] || strlen(ids[i]) > 255)
			return -EINVAL;
	const char **sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (n)
		memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_id);

	pthread_mutex_lock(&s->mu);
	size_t cap = s->n + n;
	struct ft__stale_ent *v = malloc((cap ? cap : 1) * sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&s->mu);
		free(sorted);
		return -ENOMEM;
	}
	size_t i = 0, j = 0, k = 0;
	int ret = 0;
	while (i < s->n || j < n) {
		int c = i == s->n ? 1 : j == n ? -1 : strcmp(s->v[i].id, sorted[j]);
		if (c < 0) { /* not stale any more: kept for the window */
			v[k] = s->v[i++];
			v[k++].stale = false;
			continue;
		}
		if (c == 0) {
			v[k] = s->v[i++];
			v[k].events += !v[k].stale;
			v[k++].stale = true;
		} else if (k < FT_FLOWLOG_STALE_MAX) {
			char *id = strdup(sorted[j]);
			if (!id)
				ret = -ENOMEM;
			else
				v[k++] = (struct ft__stale_ent){id, 1, true};
		} else {
			s->omitted++; /* memory stays bounded by the cap */
		}
		/* Duplicates in @ids count once. */
		const char *cur = sorted[j];
		while (j < n && strcmp(sorted[j], cur) == 0)
			j++;
	}
	free(s->v);
	s->v = v;
	s->n = k;
	pthread_mutex_unlock(&s->mu);
	free(sorted);
	return ret;
}

char *ft__stale_take(struct ft__stale *s)
{
	char *out = NULL;
	pthread_mutex_lock(&s->mu);
	size_t shown = s->n < FT_FLOWLOG_STALE_LIST ? s->n : FT_FLOWLOG_STALE_LIST;
	uint64_t omitted = s->omitted + (s->n - shown);
	/* An id is at most 255 bytes, 6 per byte escaped. */
	size_t cap = 64 + shown * (255 * 6 + 64);
	if ((shown || omitted) && (out = malloc(cap))) {
		char *p = out;
		p += sprintf(p, ",\"staleNodes\":[");
		for (size_t i = 0; i < shown; i++) {
			p += sprintf(p, "%s{\"nodeId\":\"", i ? "," : "");
			p += ft__json_escape(s->v[i].id, p);
			p += sprintf(p, "\",\"stale\":%s", s->v[i].stale ? "true" : "false");
			if (s->v[i].events)
				p += sprintf(p, ",\"staleEvents\":%u", s->v[i].events);
			*p++ = '}';
		}
		*p++ = ']';
		if (omitted)
			p += sprintf(p, ",\"staleNodesOmitted\":%llu", (unsigned long long)omitted);
		*p = '\0';
	}
	/* The next window starts with the nodes still stale, no events yet. */
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->v[i].stale) {
			free(s->v[i].id);
			continue;
		}
		s->v[i].events = 0;
		s->v[k++] = s->v[i];
	}
	s->n = k;
	s->omitted = 0;
	pthread_mutex_unlock(&s->mu);
	return out;
}
