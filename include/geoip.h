/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GeoIP: country, city and AS of an address from MaxMind DB files
 * (libmaxminddb), both the nested layout of MaxMind GeoLite2/GeoIP2 and
 * DB-IP (country.iso_code, city.names.en, ...) and the flat one of the
 * ip-location-db project (country_code, city, ...). Country names for
 * databases that carry only a code come from Debian's iso-codes data.
 *
 * geoip.conf (found with conf_find) lists, one directive a line, '#'
 * comments:
 *	path DIR		directory searched for database files (in order)
 *	database FILE [TYPE]	a database; TYPE is an fnmatch(3) pattern the
 *				metadata database_type must match (no case),
 *				checked by -u before a download replaces FILE
 *	mirror FILE URL		where -u fetches FILE (tried in order)
 *	timeout SECONDS		-u gives up on a mirror after this long
 *				without data (default 30)
 */
#ifndef FLOWTOP_GEOIP_H
#define FLOWTOP_GEOIP_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "enrich.h"

#define GEOIP_MAX_PATHS 8
#define GEOIP_MAX_DBS 8
#define GEOIP_MAX_MIRRORS 8
#define ISO_3166_JSON "/usr/share/iso-codes/json/iso_3166-1.json"

struct geoip_db_conf {
	char file[PATH_MAX];		/* name or absolute path */
	char type[64];			/* database_type pattern, "*" = any */
	char *mirrors[GEOIP_MAX_MIRRORS];
	int nmirrors;
};

struct geoip_conf {
	char source[PATH_MAX];		/* the geoip.conf read, "" if none */
	char paths[GEOIP_MAX_PATHS][PATH_MAX];
	int npaths;
	struct geoip_db_conf db[GEOIP_MAX_DBS];
	int ndb;
	long timeout_s;
};

/*
 * Reads a geoip.conf. Errors name file:line; a bad line makes the whole
 * file invalid (-EINVAL) so that a typo in a mirror URL is not silently
 * ignored. 0 or a negative errno. Free with geoip_conf_free.
 */
int geoip_conf_read(struct geoip_conf *c, const char *path, FILE *err);

/* geoip.conf found with conf_find(conf_dir); -ENOENT when there is none. */
int geoip_conf_load(struct geoip_conf *c, const char *conf_dir, FILE *err);
void geoip_conf_free(struct geoip_conf *c);

/*
 * Where the database db lives: an absolute FILE as is, else the first path
 * directory holding it. 0 or -ENOENT.
 */
int geoip_db_locate(const struct geoip_conf *c, const struct geoip_db_conf *db,
		    char *path, size_t len);

struct geoip;

/*
 * Opens every database of c, each from a private sealed in-memory copy
 * (never the file itself, so that a file truncated or rewritten under
 * flowtop cannot crash it or be read half-written) checked against its
 * TYPE pattern and for a sound search tree. A missing or unusable one
 * gives a notice on err and is left out. A watcher thread stats the files
 * every 2 s and reloads one that changed once it has stayed the same for
 * one check and passes the checks; until then the old copy is served.
 * -ENOENT when c names no database (a handle is returned even when none
 * opened yet: a database fetched later with flowtop -u is picked up).
 */
int geoip_open(struct geoip **out, const struct geoip_conf *c, FILE *err);

/* Opens exactly the given files (tests, tools), no watcher thread;
 * -ENOENT when none opened. */
int geoip_open_files(struct geoip **out, const char *const *files, int n,
		     FILE *err);
void geoip_close(struct geoip *g);

/*
 * One watcher pass over g's files (the watcher calls it; tests may too):
 * a changed file is reloaded if it looked the same at the previous pass,
 * every file at once when force is set; a copy that fails the checks
 * leaves the old one in place. Returns how many were reloaded.
 */
int geoip_check(struct geoip *g, bool force);

/* Asks the watcher of every handle from geoip_open to reload all files
 * now (SIGUSR1, SIGHUP in headless mode); returns at once. */
void geoip_request_reload(void);

/*
 * Fills *out for addr (family AF_INET/AF_INET6, network order bytes) from
 * the databases, the first database with a field wins. Thread safe; a
 * read lock that only a reload's pointer swap contends; no I/O beyond
 * the in-memory copies. Returns true if anything is known.
 */
bool geoip_lookup(const struct geoip *g, int family, const void *addr,
		  struct geo_info *out);

/* The English name of an ISO 3166-1 alpha-2 code from iso-codes, or NULL. */
const char *iso_country_name(const char *code);

/* Loads the iso-codes table from path (once per process; tests may call). */
int iso_codes_load(const char *path);

/* Downloads every database of c (geoip_update.c); see flowtop -u. */
int geoip_update(const struct geoip_conf *c, FILE *err, bool progress);

/*
 * flowtop -u: geoip.conf found with conf_find(conf_dir), then
 * geoip_update with a progress line when stderr is a terminal. 0, or a
 * negative errno when the configuration is missing or broken or a
 * database could not be fetched from any of its mirrors.
 */
int geoip_update_run(const char *conf_dir);

/* Checks that path is a MaxMind DB whose database_type matches pattern,
 * with a sound search tree and decodable data (why says what is wrong). */
int geoip_validate(const char *path, const char *pattern, char *why,
		   size_t whylen);

#endif
