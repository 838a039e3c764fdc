/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \summary: Crypto-PAn key files: loading with permission checks, and
 * making a fresh random one.
 *
 * The key is as secret as the addresses it hides (with it the mapping can
 * be inverted bit by bit), so a file others may read is refused rather than
 * used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <flowtap/anon.h>

#include "fd_write.h"
#include "parse_num.h"

/* 32 raw bytes, or 64 hex digits and an optional line end. */
static int parse_key(const uint8_t *buf, size_t n, uint8_t key[FT_ANON_KEY_LEN])
{
	if (n == FT_ANON_KEY_LEN) {
		memcpy(key, buf, FT_ANON_KEY_LEN);
		return 0;
	}
	while (n > 2 * FT_ANON_KEY_LEN && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n != 2 * FT_ANON_KEY_LEN)
		return -EINVAL;
	return ft__hex_decode((const char *)buf, FT_ANON_KEY_LEN, key);
}

int ft_anon_key_load(const char *path, uint8_t key[FT_ANON_KEY_LEN], char *err)
{
	uint8_t buf[2 * FT_ANON_KEY_LEN + 8];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	err[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "cannot open key file '%s': %s", path,
			 strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, FT_ERRBUF_SIZE, "key file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, FT_ERRBUF_SIZE,
			 "key file '%s' may be read or written by group or others (mode %04o): "
			 "chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		ret = -EPERM;
		goto out;
	}
	while (got < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			snprintf(err, FT_ERRBUF_SIZE, "cannot read key file '%s': %s", path,
				 strerror(-ret));
			goto out;
		}
		got += (size_t)n;
	}
	ret = parse_key(buf, got, key);
	if (ret < 0)
		snprintf(err, FT_ERRBUF_SIZE,
			 "key file '%s' is not a key: %s%zu bytes, a key is %d bytes or %d hex "
			 "digits (make one with flowtap anonymize-key-new)",
			 path, got < FT_ANON_KEY_LEN ? "too short, " : "", got, FT_ANON_KEY_LEN,
			 2 * FT_ANON_KEY_LEN);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return ret;
}

int ft_anon_key_new(const char *path, char *err)
{
	uint8_t key[FT_ANON_KEY_LEN];
	char hex[2 * FT_ANON_KEY_LEN + 1];
	int fd, ret = 0;

	err[0] = 0;
	if (RAND_bytes(key, sizeof(key)) != 1) {
		snprintf(err, FT_ERRBUF_SIZE, "no random bytes for a key (libcrypto RAND_bytes)");
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * FT_ANON_KEY_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, FT_ERRBUF_SIZE, "cannot create key file '%s': %s", path,
			 ret == -EEXIST ? "it exists (a key is never replaced)" : strerror(-ret));
		goto out;
	}
	struct iovec iov = {hex, sizeof(hex)};
	ret = ft__output_fdv(fd, &iov, 1);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (ret) {
		snprintf(err, FT_ERRBUF_SIZE, "cannot write key file '%s': %s", path,
			 strerror(-ret));
		unlink(path);
	}
	close(fd);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return ret;
}
