/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration files: where they are searched and how they are opened.
 * Shared by every module that reads one (services, geoip, ...), kept
 * apart so that none of them depends on another for it.
 */
#ifndef FLOWTOP_CONFFILE_H
#define FLOWTOP_CONFFILE_H

#include <stddef.h>
#include <stdio.h>

/* where installed configuration and data live (the Makefile sets both) */
#ifndef FLOWTOP_SYSCONFDIR
#define FLOWTOP_SYSCONFDIR "/etc/flowtop"
#endif
#ifndef FLOWTOP_DATADIR
#define FLOWTOP_DATADIR "/usr/local/share/flowtop"
#endif

/* errors reported per conf file; the rest are counted in one line */
#define CONF_MAX_ERRORS 10

/*
 * Finds configuration file name: conf_dir (if not NULL), FLOWTOP_SYSCONFDIR,
 * FLOWTOP_DATADIR, then conf/ beside the running binary (a source tree's
 * ./flowtop). Writes the path; 0, or -ENOENT when no directory has it.
 */
int conf_find(const char *conf_dir, const char *name, char *path, size_t len);

/*
 * fopen(path, "re") for a configuration or data file, refusing anything
 * but a regular file (NULL, errno EISDIR for a directory, EINVAL for a
 * FIFO, socket or device) without blocking: a FIFO put in a conf file's
 * place would otherwise hang start-up in open(2).
 */
FILE *conf_fopen(const char *path);

/* p without its leading blanks, its trailing ones cut off in place */
char *conf_trim(char *p);

#endif
