/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * scope.c - namespaces and interfaces of the kernel drop source. A
 * namespace is identified in the kernel by its nsfs inode (what the BPF
 * program reads from dev->nd_net); its interfaces are listed from a
 * short-lived thread that enters it, since setns() changes only the
 * calling thread.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scope.h"

struct ns_list_job {
	int fd; /* -1: our own namespace */
	struct if_nameindex *ifs;
	int err;
};

static void *list_thread(void *arg)
{
	struct ns_list_job *j = arg;
	if (j->fd >= 0 && setns(j->fd, CLONE_NEWNET) < 0) {
		j->err = -errno;
		return NULL;
	}
	if (!(j->ifs = if_nameindex()))
		j->err = -errno;
	return NULL;
}

/* The interfaces of the namespace open at @fd (-1: ours). */
static int list_ifs(int fd, struct if_nameindex **out)
{
	struct ns_list_job j = {.fd = fd};
	pthread_t t;
	int r = pthread_create(&t, NULL, list_thread, &j);
	if (r)
		return -r;
	pthread_join(t, NULL);
	*out = j.ifs;
	return j.err;
}

static int open_ns(const char *spec, char *path, size_t plen)
{
	if (strchr(spec, '/'))
		snprintf(path, plen, "%s", spec);
	else
		snprintf(path, plen, "/run/netns/%s", spec);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static uint32_t ns_inode(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

static void path_name(char *dst, size_t len, const char *ns, const char *ifname)
{
	snprintf(dst, len, "%s%s%s", ns ? ns : "", ns ? "." : "", ifname);
	/* Path names are [A-Za-z0-9_.-]. */
	for (char *c = dst; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
			*c = '_';
}

static bool name_taken(const struct ft_kscope *s, const char *name)
{
	for (int i = 0; i < s->nifs; i++)
		if (!strcmp(s->ifs[i].name, name))
			return true;
	return !strcmp(name, "drops");
}

/* Add the interfaces of one namespace (all, or those named in @want). */
static int add_ns(struct ft_kscope *s, int fd, uint32_t ino, const char *prefix,
		  const char *const *want, int nwant, int *found)
{
	struct if_nameindex *ifs = NULL;
	int r = list_ifs(fd, &ifs);
	if (r < 0)
		return r;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		bool wanted = nwant == 0;
		for (int w = 0; w < nwant && !wanted; w++)
			wanted = !strcmp(want[w], i->if_name);
		if (!wanted || s->nifs >= FT_KSCOPE_MAX_IFS)
			continue;
		struct ft_kscope_if *e = &s->ifs[s->nifs];
		e->netns = ino;
		e->ifindex = i->if_index;
		path_name(e->name, sizeof(e->name), prefix, i->if_name);
		if (name_taken(s, e->name))
			continue; /* its drops go to "drops" */
		e->path = (unsigned)(5 + s->nifs);
		s->nifs++;
		(*found)++;
	}
	if_freenameindex(ifs);
	return 0;
}

static int cmp_if(const void *a, const void *b)
{
	const struct ft_kscope_if *x = a, *y = b;
	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static void describe(struct ft_kscope *s, const char *what, const char *const *v, int n)
{
	size_t o = (size_t)snprintf(s->desc, sizeof(s->desc), "%s", what);
	for (int i = 0; i < n && o < sizeof(s->desc); i++)
		o += (size_t)snprintf(s->desc + o, sizeof(s->desc) - o, " %s", v[i]);
}

/* No scope: every namespace; paths for ours and those under /run/netns. */
static int resolve_all(struct ft_kscope *s, char *err, size_t errlen)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), found = 0, r;
	if (self < 0) {
		snprintf(err, errlen, "cannot open /proc/self/ns/net: %s", strerror(errno));
		return -errno;
	}
	uint32_t own = ns_inode(self);
	close(self);
	if ((r = add_ns(s, -1, own, NULL, NULL, 0, &found)) < 0) {
		snprintf(err, errlen, "cannot list interfaces: %s", strerror(-r));
		return r;
	}
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char path[300];
		if (de->d_name[0] == '.')
			continue;
		int fd = open_ns(de->d_name, path, sizeof(path));
		uint32_t ino = fd >= 0 ? ns_inode(fd) : 0;
		/* A namespace we cannot enter keeps its drops on "drops". */
		if (fd >= 0 && ino != own)
			add_ns(s, fd, ino, de->d_name, NULL, 0, &found);
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	snprintf(s->desc, sizeof(s->desc), "all");
	return 0;
}

int ft__kscope_resolve(struct ft_kscope *s, const char *const *netns, int nnetns,
		       const char *const *ifnames, int nifnames, char *err, size_t errlen)
{
	int found = 0, r = 0;

	memset(s, 0, sizeof(*s));
	if (nnetns > FT_KSCOPE_MAX_NS) {
		snprintf(err, errlen, "at most %d namespaces", FT_KSCOPE_MAX_NS);
		return -EINVAL;
	}
	if (nnetns == 0 && nifnames == 0)
		r = resolve_all(s, err, errlen);
	for (int i = 0; i < nnetns; i++) {
		char path[300];
		int fd = open_ns(netns[i], path, sizeof(path));
		if (fd < 0) {
			r = -errno;
			snprintf(err, errlen, "no network namespace '%s' (%s: %s)", netns[i], path,
				 strerror(errno));
			return r;
		}
		s->netns[s->nnetns++] = ns_inode(fd);
		const char *base = strrchr(netns[i], '/');
		r = add_ns(s, fd, s->netns[s->nnetns - 1],
			   nnetns > 1 ? (base ? base + 1 : netns[i]) : NULL, ifnames, nifnames,
			   &found);
		close(fd);
		if (r < 0) {
			snprintf(err, errlen, "cannot list the interfaces of namespace '%s': %s",
				 netns[i], strerror(-r));
			return r;
		}
	}
	if (nnetns == 0 && nifnames > 0) {
		int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		uint32_t own = self >= 0 ? ns_inode(self) : 0;
		if (self >= 0)
			close(self);
		if ((r = add_ns(s, -1, own, NULL, ifnames, nifnames, &found)) < 0) {
			snprintf(err, errlen, "cannot list interfaces: %s", strerror(-r));
			return r;
		}
	}
	if (r < 0)
		return r;
	for (int w = 0; w < nifnames; w++) {
		bool any = false;
		char want[32];
		for (int i = 0; i < s->nifs && !any; i++) {
			const char *dot = strrchr(s->ifs[i].name, '.');
			path_name(want, sizeof(want), NULL, ifnames[w]);
			any = !strcmp(nnetns > 1 && dot ? dot + 1 : s->ifs[i].name, want);
		}
		if (!any) {
			snprintf(err, errlen, "no interface '%s'%s", ifnames[w],
				 nnetns ? " in the namespaces given" : "");
			return -ENODEV;
		}
	}
	s->by_if = nifnames > 0;
	s->by_netns = nnetns > 0;
	qsort(s->ifs, (size_t)s->nifs, sizeof(s->ifs[0]), cmp_if);
	if (nifnames)
		describe(s, "interface", ifnames, nifnames);
	else if (nnetns)
		describe(s, "netns", netns, nnetns);
	return 0;
}

const struct ft_kscope_if *ft__kscope_find(const struct ft_kscope *s, uint32_t netns,
					   uint32_t ifindex)
{
	struct ft_kscope_if key = {.netns = netns, .ifindex = ifindex};
	return bsearch(&key, s->ifs, (size_t)s->nifs, sizeof(s->ifs[0]), cmp_if);
}
