// SPDX-License-Identifier: GPL-2.0
/* /proc/net/stat/nf_conntrack: one column summed over the CPUs. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct_stat.h"

/* the file is a header and ~150 bytes per CPU: room for 1,500 CPUs */
#define CT_STAT_MAX (256 << 10)

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static size_t word_len(const char *p)
{
	size_t n = 0;

	while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '\n')
		n++;
	return n;
}

/* Which column (from 0) of the header line is named col, or -1. */
static int column_of(const char *line, const char *col)
{
	size_t clen = strlen(col);
	int i = 0;

	for (const char *p = skip_blank(line); *p && *p != '\n';
	     p = skip_blank(p), i++) {
		size_t n = word_len(p);

		if (n == clen && !memcmp(p, col, n))
			return i;
		p += n;
	}
	return -1;
}

int ct_stat_sum(const char *text, const char *col, uint64_t *sum)
{
	const char *p = text, *nl = strchr(text, '\n');
	int c = column_of(text, col);
	uint64_t total = 0;

	if (c < 0)
		return -ENOENT;
	for (p = nl ? nl + 1 : p + strlen(p); *p; ) {
		const char *q = skip_blank(p);
		bool found = false;

		if (*q == '\n' || !*q) {	/* an empty line */
			p = *q ? q + 1 : q;
			continue;
		}
		for (int i = 0; *q && *q != '\n'; i++, q = skip_blank(q)) {
			size_t n = word_len(q);
			char *end;
			unsigned long long v;

			if (i == c) {
				errno = 0;
				v = strtoull(q, &end, 16);
				if (errno || end != q + n || !n)
					return -EINVAL;
				total += v;
				found = true;
			}
			q += n;
		}
		if (!found)
			return -EINVAL;
		p = *q ? q + 1 : q;
	}
	*sum = total;
	return 0;
}

int ct_stat_early_drops(const char *path, uint64_t *sum)
{
	char *buf = malloc(CT_STAT_MAX);
	size_t len = 0;
	int fd, ret;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CT_STAT_MAX - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			close(fd);
			free(buf);
			return ret;
		}
		if (!n || (len += (size_t)n) == CT_STAT_MAX - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	ret = ct_stat_sum(buf, "early_drop", sum);
	free(buf);
	return ret;
}
