// SPDX-License-Identifier: GPL-2.0
/* geoip.conf: which databases, where, and their mirrors (see geoip.h). */
#include "geoip.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"


void geoip_conf_free(struct geoip_conf *c)
{
	for (int i = 0; i < c->ndb; i++)
		for (int j = 0; j < c->db[i].nmirrors; j++)
			free(c->db[i].mirrors[j]);
	c->ndb = 0;
}

static struct geoip_db_conf *find_db(struct geoip_conf *c, const char *file)
{
	for (int i = 0; i < c->ndb; i++)
		if (!strcmp(c->db[i].file, file))
			return &c->db[i];
	return NULL;
}

/* One directive; NULL if fine, else why not. */
static const char *conf_line(struct geoip_conf *c, char *line)
{
	char *save, *kw, *a, *b, *extra;
	struct geoip_db_conf *db;

	kw = strtok_r(line, " \t", &save);
	a = strtok_r(NULL, " \t", &save);
	b = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!strcmp(kw, "path")) {
		if (!a || b)
			return "want 'path DIR'";
		if (c->npaths >= GEOIP_MAX_PATHS)
			return "too many path lines (at most 8)";
		if (strlen(a) >= PATH_MAX)
			return "path too long";
		strcpy(c->paths[c->npaths++], a);
		return NULL;
	}
	if (!strcmp(kw, "database")) {
		if (!a || extra)
			return "want 'database FILE [TYPE]'";
		if (find_db(c, a))
			return "database listed twice";
		if (c->ndb >= GEOIP_MAX_DBS)
			return "too many databases (at most 8)";
		if (strlen(a) >= PATH_MAX || (b && strlen(b) >= 64))
			return "file name or type too long";
		db = &c->db[c->ndb++];
		memset(db, 0, sizeof(*db));
		strcpy(db->file, a);
		strcpy(db->type, b ? b : "*");
		return NULL;
	}
	if (!strcmp(kw, "mirror")) {
		if (!a || !b || extra)
			return "want 'mirror FILE URL'";
		db = find_db(c, a);
		if (!db)
			return "mirror for a file no 'database' line names (put the database line first)";
		if (strncmp(b, "http://", 7) && strncmp(b, "https://", 8))
			return "mirror URL must start with http:// or https://";
		if (db->nmirrors >= GEOIP_MAX_MIRRORS)
			return "too many mirrors for this file (at most 8)";
		db->mirrors[db->nmirrors] = strdup(b);
		if (!db->mirrors[db->nmirrors])
			return "out of memory";
		db->nmirrors++;
		return NULL;
	}
	if (!strcmp(kw, "timeout")) {
		char *end;
		long v;

		if (!a || b)
			return "want 'timeout SECONDS'";
		errno = 0;
		v = strtol(a, &end, 10);
		if (*end || errno || v < 1 || v > 3600 || !isdigit((unsigned char)*a))
			return "timeout must be whole seconds from 1 to 3600";
		c->timeout_s = v;
		return NULL;
	}
	return "unknown directive (want path, database, mirror or timeout)";
}

int geoip_conf_read(struct geoip_conf *c, const char *path, FILE *err)
{
	unsigned long lineno = 0, bad = 0;
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->timeout_s = 30;
	if (strlen(path) >= sizeof(c->source))
		return -ENAMETOOLONG;
	strcpy(c->source, path);
	f = conf_fopen(path);
	if (!f) {
		ret = -errno;
		if (err && ret != -ENOENT)
			fprintf(err, "flowtop: cannot read %s: %s\n", path,
				ret == -EINVAL ? "not a regular file" :
				strerror(-ret));
		return ret;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *hash = strchr(line, '#'), *p;
		const char *why;

		lineno++;
		if (hash)
			*hash = '\0';
		p = conf_trim(line);
		if (!*p)
			continue;
		why = conf_line(c, p);
		if (why) {
			if (err && ++bad <= CONF_MAX_ERRORS)
				fprintf(err, "flowtop: %s:%lu: %s\n", path, lineno, why);
			ret = -EINVAL;
		}
	}
	free(line);
	fclose(f);
	if (err && bad > CONF_MAX_ERRORS)
		fprintf(err, "flowtop: %s: %lu more bad lines (is it a text "
			"file?)\n", path, bad - CONF_MAX_ERRORS);
	if (ret)
		geoip_conf_free(c);
	return ret;
}

int geoip_conf_load(struct geoip_conf *c, const char *conf_dir, FILE *err)
{
	char path[PATH_MAX];

	if (conf_find(conf_dir, "geoip.conf", path, sizeof(path)))
		return -ENOENT;
	return geoip_conf_read(c, path, err);
}

