// SPDX-License-Identifier: GPL-2.0
/*
 * GeoIP handles: opening the configured databases, the watcher thread
 * that reloads a changed file, SIGUSR1's reload of every handle, closing
 * (see geoip.h; the copies themselves are geoip_db.c's).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "geoip_internal.h"
#include "util.h"
#include "log.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct geoip *registry;
static void notice(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notice(FILE *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	/* stderr is the log: under the view a status line, not a write */
	if (err == stderr)
		flowtop_vlog(FT_LOG_WARN, fmt, ap);
	else
		vfprintf(err, fmt, ap);
	va_end(ap);
}

static int locate_in(char (*paths)[PATH_MAX], int npaths, const char *file,
		     char *path, size_t len)
{
	if (file[0] == '/') {
		if ((size_t)snprintf(path, len, "%s", file) >= len)
			return -ENAMETOOLONG;
		return access(path, F_OK) ? -ENOENT : 0;
	}
	for (int i = 0; i < npaths; i++) {
		if ((size_t)snprintf(path, len, "%s/%s", paths[i], file) >= len)
			continue;
		if (access(path, F_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int geoip_db_locate(const struct geoip_conf *c, const struct geoip_db_conf *db,
		    char *path, size_t len)
{
	return locate_in((char (*)[PATH_MAX])c->paths, c->npaths, db->file,
			 path, len);
}

static int slot_locate(struct geoip *g, struct geo_slot *s, char *path,
		       size_t len)
{
	if (s->fixed) {
		if ((size_t)snprintf(path, len, "%s", s->file) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return locate_in(g->paths, g->npaths, s->file, path, len);
}

static void slot_swap(struct geoip *g, struct geo_slot *s, MMDB_s *db)
{
	MMDB_s *old;

	pthread_rwlock_wrlock(&g->rw);
	old = s->db;
	s->db = db;
	pthread_rwlock_unlock(&g->rw);
	geoip_db_free(old);	/* no lookup can hold it any more */
}

/*
 * One pass over the slots. A changed file is reloaded when it looks the
 * same as at the previous pass (a writer that is still busy changes
 * size or mtime in between), or at once when force is set. A version
 * that failed the checks is not tried again until it changes.
 */
int geoip_check(struct geoip *g, bool force)
{
	int reloaded = 0;

	if (!g)
		return 0;
	pthread_mutex_lock(&g->check_lock);
	for (int i = 0; i < g->n; i++) {
		struct geo_slot *s = &g->slot[i];
		char path[PATH_MAX], why[256];
		struct stat st, got;
		MMDB_s *db = NULL;
		int ret;

		if (slot_locate(g, s, path, sizeof(path)) || stat(path, &st)) {
			if (s->db && !s->gone_noted)
				notice(g->err, "flowtop: GeoIP database %s is "
				       "gone; still using the copy read "
				       "before\n", s->file);
			s->gone_noted = true;
			s->have_seen = false;
			continue;
		}
		s->gone_noted = false;
		if (!force) {
			if (s->have_loaded && geoip_same_file(&st, &s->loaded) &&
			    !strcmp(path, s->path))
				continue;
			if (s->have_rejected && geoip_same_file(&st, &s->rejected))
				continue;
			if (!s->have_seen || !geoip_same_file(&st, &s->seen)) {
				s->seen = st;
				s->have_seen = true;
				continue;	/* settle for one interval */
			}
		}
		ret = geoip_db_load(path, s->type, &db, &got, why, sizeof(why));
		if (ret == -EAGAIN) {
			s->have_seen = false;	/* still being written */
			continue;
		}
		if (ret) {
			s->rejected = st;
			s->have_rejected = true;
			notice(g->err, "flowtop: GeoIP database %s unusable: "
			       "%s; %s\n", path, why, s->db ?
			       "still using the copy read before" :
			       "running without it (flowtop -u fetches a "
			       "fresh copy)");
			continue;
		}
		slot_swap(g, s, db);
		snprintf(s->path, sizeof(s->path), "%s", path);
		s->loaded = got;
		s->have_loaded = true;
		s->have_rejected = false;
		reloaded++;
		notice(g->err, "flowtop: GeoIP database %s (re)loaded\n", path);
	}
	pthread_mutex_unlock(&g->check_lock);
	return reloaded;
}

static void *watch_main(void *arg)
{
	struct geoip *g = arg;

	pthread_mutex_lock(&g->wlock);
	while (!g->stop) {
		struct timespec until;
		bool force;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += GEOIP_CHECK_MS / 1000;
		until.tv_nsec += (GEOIP_CHECK_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!g->stop && !g->force &&
		       pthread_cond_timedwait(&g->wcond, &g->wlock, &until) == 0)
			;
		if (g->stop)
			break;
		force = g->force;
		g->force = false;
		pthread_mutex_unlock(&g->wlock);
		geoip_check(g, force);
		pthread_mutex_lock(&g->wlock);
	}
	pthread_mutex_unlock(&g->wlock);
	return NULL;
}

void geoip_request_reload(void)
{
	pthread_mutex_lock(&registry_lock);
	for (struct geoip *g = registry; g; g = g->next) {
		pthread_mutex_lock(&g->wlock);
		g->force = true;
		pthread_cond_signal(&g->wcond);
		pthread_mutex_unlock(&g->wlock);
	}
	pthread_mutex_unlock(&registry_lock);
}

static struct geoip *geoip_new(FILE *err)
{
	struct geoip *g = calloc(1, sizeof(*g));
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;

	if (!g)
		return NULL;
	/* lookups never stop: a waiting reload must get its turn */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&g->rw, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&g->check_lock, NULL);
	pthread_mutex_init(&g->wlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wcond, &ca);
	pthread_condattr_destroy(&ca);
	g->err = err;
	return g;
}

static int loaded_count(const struct geoip *g)
{
	int n = 0;

	for (int i = 0; i < g->n; i++)
		n += g->slot[i].db != NULL;
	return n;
}

static void slot_first_load(struct geoip *g, struct geo_slot *s,
			    const char *path)
{
	char why[256];
	struct stat st;
	int ret;

	ret = geoip_db_load(path, s->type, &s->db, &st, why, sizeof(why));
	if (ret == 0) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		s->loaded = st;
		s->have_loaded = true;
		return;
	}
	s->db = NULL;
	if (stat(path, &st) == 0 && ret != -EAGAIN) {
		s->rejected = st;
		s->have_rejected = true;
	}
	notice(g->err, "flowtop: GeoIP database %s unusable: %s; running "
	       "without it (flowtop -u fetches a fresh copy)\n", path, why);
}

int geoip_open_files(struct geoip **out, const char *const *files, int n,
		     FILE *err)
{
	struct geoip *g = geoip_new(err);

	if (!g)
		return -ENOMEM;
	for (int i = 0; i < n && g->n < GEOIP_MAX_DBS; i++) {
		struct geo_slot *s = &g->slot[g->n++];

		if (strlen(files[i]) >= sizeof(s->file)) {
			g->n--;
			continue;
		}
		strcpy(s->file, files[i]);
		strcpy(s->type, "*");
		s->fixed = true;
		slot_first_load(g, s, files[i]);
	}
	if (!loaded_count(g)) {
		geoip_close(g);
		return -ENOENT;
	}
	*out = g;
	return 0;
}

int geoip_open(struct geoip **out, const struct geoip_conf *c, FILE *err)
{
	struct geoip *g;
	int ret;

	if (c->ndb == 0)
		return -ENOENT;
	g = geoip_new(err);
	if (!g)
		return -ENOMEM;
	memcpy(g->paths, c->paths, sizeof(g->paths));
	g->npaths = c->npaths;
	for (int i = 0; i < c->ndb && i < GEOIP_MAX_DBS; i++) {
		struct geo_slot *s = &g->slot[g->n++];
		char path[PATH_MAX];

		memcpy(s->file, c->db[i].file, sizeof(s->file));
		memcpy(s->type, c->db[i].type, sizeof(s->type));
		if (slot_locate(g, s, path, sizeof(path))) {
			notice(err, "flowtop: GeoIP database %s not found "
			       "(searched the path lines of %s); running "
			       "without it until it appears (flowtop -u "
			       "downloads it)\n", s->file, c->source);
			continue;
		}
		slot_first_load(g, s, path);
	}
	if (!loaded_count(g))
		notice(err, "flowtop: no GeoIP database could be opened; "
		       "flowtop checks for them every %d s\n",
		       GEOIP_CHECK_MS / 1000);
	ret = pthread_create(&g->thr, NULL, watch_main, g);
	if (ret) {
		geoip_close(g);
		return -ret;
	}
	g->watching = true;
	thread_background(g->thr);	/* reloads never preempt the view */
	pthread_mutex_lock(&registry_lock);
	g->next = registry;
	registry = g;
	pthread_mutex_unlock(&registry_lock);
	*out = g;
	return 0;
}

void geoip_close(struct geoip *g)
{
	if (!g)
		return;
	if (g->watching) {
		pthread_mutex_lock(&registry_lock);
		for (struct geoip **p = &registry; *p; p = &(*p)->next) {
			if (*p == g) {
				*p = g->next;
				break;
			}
		}
		pthread_mutex_unlock(&registry_lock);
		pthread_mutex_lock(&g->wlock);
		g->stop = true;
		pthread_cond_signal(&g->wcond);
		pthread_mutex_unlock(&g->wlock);
		pthread_join(g->thr, NULL);
	}
	for (int i = 0; i < g->n; i++)
		geoip_db_free(g->slot[i].db);
	pthread_rwlock_destroy(&g->rw);
	pthread_mutex_destroy(&g->check_lock);
	pthread_mutex_destroy(&g->wlock);
	pthread_cond_destroy(&g->wcond);
	free(g);
}

