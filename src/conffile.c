// SPDX-License-Identifier: GPL-2.0
/* Configuration file search and safe opening (conffile.h). */
#include "conffile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int conf_find(const char *conf_dir, const char *name, char *path, size_t len)
{
	const char *dirs[3] = { conf_dir, FLOWTOP_SYSCONFDIR, FLOWTOP_DATADIR };
	char exe[PATH_MAX];
	ssize_t n;

	for (size_t i = 0; i < 3; i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		if ((size_t)snprintf(path, len, "%s/%s", dirs[i], name) < len &&
		    access(path, R_OK) == 0)
			return 0;
	}
	/* ./flowtop in a source tree: its conf/ holds the defaults */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(path, len, "%s/conf/%s", exe, name) < len &&
			    access(path, R_OK) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

FILE *conf_fopen(const char *path)
{
	struct stat st;
	FILE *f;
	int fd;

	/* O_NONBLOCK: opening a FIFO with no writer must not wait for one */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	/* a regular file never blocks; plain reads from here on */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "r");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

char *conf_trim(char *p)
{
	char *e;

	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return p;
}
