/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: reading a peer table from a JSON file (flowtap-peers(5)). */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <flowtap/peers.h>

#define MAX_NODE_ADDRS 4096
#define MAX_NODE_TAGS  64

static void errf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* An optional string member; "" if absent, NULL if present but not a string. */
static const char *opt_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return "";
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Where a node is: "peers[3]" or "self". */
static int parse_node(json_t *o, const char *where, const char *path, struct ft_peers *p, bool self,
		      char *err, size_t errlen)
{
	static const char *const keys[] = {"nodeId", "name", "os", "user"};
	const char *s[4];
	struct ft_prefix addrs[64], *a = addrs;
	const char *tags[MAX_NODE_TAGS];
	struct ft_peer n = {0};
	json_t *arr, *v;
	size_t i;
	int ret = -EINVAL;

	if (!json_is_object(o)) {
		errf(err, errlen, "%s: %s: not an object", path, where);
		return -EINVAL;
	}
	for (i = 0; i < 4; i++) {
		if (!(s[i] = opt_str(o, keys[i]))) {
			errf(err, errlen, "%s: %s: \"%s\" is not a string", path, where, keys[i]);
			return -EINVAL;
		}
	}
	if (!*s[1]) {
		errf(err, errlen, "%s: %s: no \"name\"", path, where);
		return -EINVAL;
	}
	if (strlen(s[1]) > FT_PEER_NAME_MAX) {
		errf(err, errlen, "%s: %s: \"name\" longer than %d bytes", path, where,
		     FT_PEER_NAME_MAX);
		return -EINVAL;
	}
	arr = json_object_get(o, "addresses");
	if (arr && !json_is_array(arr)) {
		errf(err, errlen, "%s: %s (%s): \"addresses\" is not an array", path, where, s[1]);
		return -EINVAL;
	}
	if (json_array_size(arr) > MAX_NODE_ADDRS) {
		errf(err, errlen, "%s: %s (%s): more than %d addresses", path, where, s[1],
		     MAX_NODE_ADDRS);
		return -EINVAL;
	}
	if (json_array_size(arr) > 64 && !(a = malloc(json_array_size(arr) * sizeof(*a))))
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) || ft_prefix_parse(json_string_value(v), &a[i]) < 0) {
			errf(err, errlen, "%s: %s (%s): bad address or prefix %s%s%s", path, where,
			     s[1], json_is_string(v) ? "'" : "",
			     json_is_string(v) ? json_string_value(v) : "(not a string)",
			     json_is_string(v) ? "'" : "");
			goto out;
		}
	}
	n.addrs = a;
	n.naddrs = (unsigned)json_array_size(arr);
	arr = json_object_get(o, "tags");
	if (arr && (!json_is_array(arr) || json_array_size(arr) > MAX_NODE_TAGS)) {
		errf(err, errlen, "%s: %s (%s): \"tags\" is not an array of at most %d strings",
		     path, where, s[1], MAX_NODE_TAGS);
		goto out;
	}
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v)) {
			errf(err, errlen, "%s: %s (%s): a tag is not a string", path, where, s[1]);
			goto out;
		}
		tags[i] = json_string_value(v);
	}
	n.tags = tags;
	n.ntags = (unsigned)json_array_size(arr);
	n.node_id = s[0];
	n.name = s[1];
	n.os = s[2];
	n.user = s[3];
	ret = self ? ft_peers_set_self(p, &n) : ft_peers_add(p, &n);
	if (ret == -E2BIG)
		errf(err, errlen, "%s: too many prefixes (at most 1000000)", path);
	else if (ret < 0)
		errf(err, errlen, "%s: %s (%s): %s", path, where, s[1], strerror(-ret));
out:
	if (a != addrs)
		free(a);
	return ret;
}

static int parse_doc(json_t *doc, const char *path, struct ft_peers *p, char *err, size_t errlen)
{
	json_t *peers = doc, *self = NULL, *v;
	char where[32];
	size_t i;
	int ret;

	if (json_is_object(doc)) {
		const char *k;
		json_object_foreach(doc, k, v)
		{
			if (strcmp(k, "self") && strcmp(k, "peers")) {
				errf(err, errlen,
				     "%s: unknown member \"%s\" (expected \"self\", \"peers\")",
				     path, k);
				return -EINVAL;
			}
		}
		self = json_object_get(doc, "self");
		peers = json_object_get(doc, "peers");
		if (!peers)
			peers = json_array(); /* a file with only "self" */
		else
			json_incref(peers);
	} else {
		json_incref(peers);
	}
	ret = -EINVAL;
	if (!json_is_array(peers)) {
		errf(err, errlen, "%s: \"peers\" is not an array", path);
		goto out;
	}
	if (self && (ret = parse_node(self, "self", path, p, true, err, errlen)) < 0)
		goto out;
	json_array_foreach(peers, i, v)
	{
		snprintf(where, sizeof(where), "peers[%zu]", i);
		if ((ret = parse_node(v, where, path, p, false, err, errlen)) < 0)
			goto out;
	}
	ret = ft_peers_build(p);
	if (ret < 0)
		errf(err, errlen, "%s: %s", path, strerror(-ret));
out:
	json_decref(peers);
	return ret;
}

FT_EXPORT int ft_peers_load_file(const char *path, struct ft_peers **out, char *err, size_t errlen)
{
	struct ft_peers *p = NULL;
	json_error_t je;
	struct stat st;
	json_t *doc;
	FILE *f;
	int ret;

	*out = NULL;
	if (!(f = fopen(path, "re"))) {
		ret = -errno;
		errf(err, errlen, "cannot open peer file '%s': %s", path, strerror(errno));
		return ret;
	}
	/* A directory opens for reading but reads as an error: say so. */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		errf(err, errlen, "cannot read peer file '%s': %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!doc) {
		errf(err, errlen, "%s:%d:%d: bad JSON: %s", path, je.line, je.column, je.text);
		return -EINVAL;
	}
	if ((ret = ft_peers_new(&p)) == 0 && (ret = parse_doc(doc, path, p, err, errlen)) == 0) {
		*out = p;
		p = NULL;
	} else if (ret == -ENOMEM) {
		errf(err, errlen, "%s: out of memory", path);
	}
	ft_peers_free(p);
	json_decref(doc);
	return ret;
}
