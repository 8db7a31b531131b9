/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c):
 * parsers that read a file get the input through a memfd, so no target
 * touches the file system, and messages meant for the user go to
 * /dev/null (formatting them is still exercised).
 */
#ifndef FLOWTOP_FUZZ_UTIL_H
#define FLOWTOP_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A stream that swallows everything (opened once, kept for the process). */
static inline FILE *fuzz_devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	if (!f)
		abort();
	return f;
}

/*
 * Writes data into a fresh memfd; *path names it as /proc/self/fd/N for
 * functions that open a path. Returns the fd (close it after use).
 */
static inline int fuzz_memfd(const uint8_t *data, size_t len, char *path,
			     size_t plen)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		abort();
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

/* A NUL-terminated copy of data (free it). */
static inline char *fuzz_strdup(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

#endif
