/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What geoip's parts share: the handle (geoip_watch.c opens, watches and
 * closes it; geoip.c looks up in it) and the checked private copies of
 * the database files (geoip_db.c).
 */
#ifndef FLOWTOP_GEOIP_INTERNAL_H
#define FLOWTOP_GEOIP_INTERNAL_H

#include <limits.h>
#include <maxminddb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "geoip.h"

/*
 * Every database is read from a private, sealed copy (a memfd), never
 * mapped straight from its file: libmaxminddb mmap()s what it opens, and
 * a mapped file that someone truncates in place turns the next lookup
 * past the new end into SIGBUS, while one rewritten in place is read half
 * old, half new. The files are watched instead; a changed one replaces
 * its copy only once it has stayed the same for one check interval and
 * the new copy passes db_check. Until then the old copy is served.
 */
#define GEOIP_CHECK_MS 2000

struct geo_slot {
	char file[PATH_MAX];		/* as configured (name or path) */
	char type[64];			/* database_type pattern */
	char path[PATH_MAX];		/* where the loaded copy came from */
	bool fixed;			/* file is the path (geoip_open_files) */
	MMDB_s *db;			/* NULL: none loaded; swapped under rw */
	struct stat loaded, seen, rejected;
	bool have_loaded, have_seen, have_rejected, gone_noted;
};

struct geoip {
	/* readers hold it across a lookup; a reload takes it only to swap */
	pthread_rwlock_t rw;
	pthread_mutex_t check_lock;	/* one geoip_check at a time */
	int n;
	struct geo_slot slot[GEOIP_MAX_DBS];
	char paths[GEOIP_MAX_PATHS][PATH_MAX];
	int npaths;
	FILE *err;
	/* the watcher thread (geoip_open only) */
	bool watching;
	pthread_t thr;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	bool stop, force;
	struct geoip *next;		/* in the reload registry */
};

/* the same file, unchanged (device, inode, size, mtime, ctime) */
bool geoip_same_file(const struct stat *a, const struct stat *b);

/*
 * Loads a private copy of path into *out, checked against pattern; *st
 * is the file's state that the copy reflects. -EAGAIN when the file
 * changed while it was read (try later), another negative errno with why
 * set when it is unusable.
 */
int geoip_db_load(const char *path, const char *pattern, MMDB_s **out,
		  struct stat *st, char *why, size_t whylen);

/* Closes and frees a copy from geoip_db_load (NULL is fine) */
void geoip_db_free(MMDB_s *db);

#endif
