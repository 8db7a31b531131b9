// SPDX-License-Identifier: GPL-2.0
/* GeoIP lookups, geoip.conf and iso-codes country names (see geoip.h). */
#include "geoip.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sanitize.h"
#include "conffile.h"
#include "utf8.h"
#include "log.h"

/* ------------------------------------------------------------ geoip.conf */

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

/* ------------------------------------------------------------- iso-codes */

/* 26 × 26 slots, one per alpha-2 code */
static char *iso_names[26 * 26];
static pthread_once_t iso_once = PTHREAD_ONCE_INIT;

static int iso_slot(const char *code)
{
	int a, b;

	if (!code || !isalpha((unsigned char)code[0]) ||
	    !isalpha((unsigned char)code[1]) || code[2])
		return -1;
	a = toupper((unsigned char)code[0]) - 'A';
	b = toupper((unsigned char)code[1]) - 'A';
	return a * 26 + b;
}

static void put_utf8(char **o, char *end, uint32_t cp)
{
	char buf[4];
	size_t n = utf8_encode(buf, cp);

	if (*o + n < end) {
		memcpy(*o, buf, n);
		*o += n;
	}
}

/*
 * The value of exactly 4 hex digits at s, or -1. Not sscanf's %4x: that
 * also takes fewer digits, a sign or blanks, and the caller then skipped 4
 * bytes, past the end of the text ("\\uf" at its end; found by fuzzing).
 */
static long hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)s[i];	/* a NUL stops it: not a digit */

		if (!isxdigit(c))
			return -1;
		v = v << 4 | (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	return v;
}

/*
 * Reads the JSON string starting at the quote *p into out (cap bytes,
 * decoded to UTF-8, cut if longer); *p moves past it. false on bad input.
 */
static bool json_string(const char **p, char *out, size_t cap)
{
	const char *s = *p + 1;
	char *o = out, *end = out + cap - 1;

	while (*s && *s != '"') {
		if (*s != '\\') {
			if (o < end)
				*o++ = *s;
			s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': put_utf8(&o, end + 1, '\b'); break;
		case 'f': put_utf8(&o, end + 1, '\f'); break;
		case 'n': put_utf8(&o, end + 1, '\n'); break;
		case 'r': put_utf8(&o, end + 1, '\r'); break;
		case 't': put_utf8(&o, end + 1, '\t'); break;
		case 'u': {
			long cp = hex4(s + 1), lo;

			if (cp < 0)
				return false;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' &&
			    s[2] == 'u' && (lo = hex4(s + 3)) >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			put_utf8(&o, end + 1, (uint32_t)cp);
			break;
		}
		case '\0':
			return false;
		default:
			if (o < end)
				*o++ = *s;
		}
		s++;
	}
	if (*s != '"')
		return false;
	*o = '\0';
	*p = s + 1;
	return true;
}

static void copy_cut(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * iso_3166-1.json is {"3166-1": [{"alpha_2": "AW", "name": "Aruba", ...},
 * ...]}: every object with an alpha_2 gives one entry, its common_name
 * ("Taiwan") preferred over the formal name ("Taiwan, Province of China").
 */
static int iso_parse(const char *text)
{
	char key[32] = "", val[256], code[8] = "", name[256] = "", common[256] = "";
	const char *p = text;
	int n = 0;

	while (*p) {
		switch (*p) {
		case '{':
			code[0] = name[0] = common[0] = key[0] = '\0';
			p++;
			break;
		case '}': {
			int slot = iso_slot(code);
			const char *nm = common[0] ? common : name;

			if (slot >= 0 && nm[0] && !iso_names[slot]) {
				char clean[64];

				sanitize_str(clean, sizeof(clean), nm);
				iso_names[slot] = strdup(clean);
				n += iso_names[slot] != NULL;
			}
			code[0] = '\0';
			p++;
			break;
		}
		case '"': {
			const char *q;

			if (!json_string(&p, val, sizeof(val)))
				return -EINVAL;
			q = p;
			while (isspace((unsigned char)*q))
				q++;
			if (*q == ':') {
				copy_cut(key, sizeof(key), val);
				p = q + 1;
				break;
			}
			if (!strcmp(key, "alpha_2"))
				copy_cut(code, sizeof(code), val);
			else if (!strcmp(key, "name"))
				snprintf(name, sizeof(name), "%s", val);
			else if (!strcmp(key, "common_name"))
				snprintf(common, sizeof(common), "%s", val);
			key[0] = '\0';
			break;
		}
		default:
			p++;
		}
	}
	return n ? 0 : -ENOENT;
}

int iso_codes_load(const char *path)
{
	FILE *f = conf_fopen(path);
	char *text;
	long len;
	int ret;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	text = malloc((size_t)len + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(text, 1, (size_t)len, f) != (size_t)len) {
		free(text);
		fclose(f);
		return -EIO;
	}
	text[len] = '\0';
	fclose(f);
	ret = iso_parse(text);
	free(text);
	return ret;
}

static void iso_load_default(void)
{
	iso_codes_load(ISO_3166_JSON);
}

const char *iso_country_name(const char *code)
{
	int slot = iso_slot(code);

	pthread_once(&iso_once, iso_load_default);
	return slot >= 0 ? iso_names[slot] : NULL;
}

/* --------------------------------------------------------------- lookups */

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
#define GEOIP_MAX_FILE (1L << 30)	/* the largest free city DBs are ~0.2 GB */
#define GEOIP_CHECK_DATA 512		/* data records decoded by db_check */

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

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * Opened databases are checked beyond what MMDB_open reads (metadata):
 * the type, every search-tree node's records in bounds, a sample of the
 * data records they point to decoded, and a few lookups.
 */
static int db_check(MMDB_s *db, const char *pattern, char *why, size_t whylen)
{
	static const char *const probes[] = {
		"1.1.1.1", "192.0.2.1", "203.0.113.200", "2001:db8::1",
		"2a00::1",
	};
	uint32_t decoded = 0;

	if (!db->metadata.database_type ||
	    fnmatch(pattern, db->metadata.database_type, FNM_CASEFOLD)) {
		char t[64];

		sanitize_str(t, sizeof(t), db->metadata.database_type ?
			     db->metadata.database_type : "");
		snprintf(why, whylen, "database type '%s' does not match the "
			 "expected '%s'", t, pattern);
		return -EINVAL;
	}
	if (db->metadata.node_count == 0) {
		snprintf(why, whylen, "database has no data");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < db->metadata.node_count; i++) {
		MMDB_search_node_s node;
		MMDB_entry_s *ent[2] = { &node.left_record_entry,
					 &node.right_record_entry };
		uint8_t type[2];

		if (MMDB_read_node(db, i, &node) != MMDB_SUCCESS) {
			snprintf(why, whylen, "database is corrupt (search "
				 "tree node %u unreadable)", i);
			return -EINVAL;
		}
		type[0] = node.left_record_type;
		type[1] = node.right_record_type;
		for (int k = 0; k < 2; k++) {
			MMDB_entry_data_list_s *list = NULL;
			int st;

			if (type[k] == MMDB_RECORD_TYPE_INVALID) {
				snprintf(why, whylen, "database is corrupt "
					 "(search tree node %u points outside "
					 "the file)", i);
				return -EINVAL;
			}
			if (type[k] != MMDB_RECORD_TYPE_DATA ||
			    decoded >= GEOIP_CHECK_DATA)
				continue;
			decoded++;
			st = MMDB_get_entry_data_list(ent[k], &list);
			MMDB_free_entry_data_list(list);
			if (st != MMDB_SUCCESS) {
				snprintf(why, whylen, "database is corrupt (%s)",
					 MMDB_strerror(st));
				return -EINVAL;
			}
		}
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		MMDB_lookup_result_s r;
		MMDB_entry_data_list_s *list = NULL;
		int gai, mmerr;

		r = MMDB_lookup_string(db, probes[i], &gai, &mmerr);
		if (gai || mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
			continue;
		if (mmerr == MMDB_SUCCESS && r.found_entry)
			mmerr = MMDB_get_entry_data_list(&r.entry, &list);
		MMDB_free_entry_data_list(list);
		if (mmerr != MMDB_SUCCESS) {
			snprintf(why, whylen, "database is corrupt (%s)",
				 MMDB_strerror(mmerr));
			return -EINVAL;
		}
	}
	return 0;
}

static void db_free(MMDB_s *db)
{
	if (!db)
		return;
	MMDB_close(db);
	free(db);
}

/* Copies all of src (size bytes) to dst from offset 0; -EAGAIN if src
 * was not size bytes long (changed while being read). */
static int copy_fd(int dst, int src, off_t size)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	off_t done = 0;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r = pread(src, buf, cap, done), w;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		if (done + r > size) {
			ret = -EAGAIN;
			break;
		}
		for (ssize_t off = 0; off < r; off += w) {
			w = pwrite(dst, buf + off, (size_t)(r - off), done + off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				ret = w < 0 ? -errno : -EIO;
				goto out;
			}
		}
		done += r;
	}
	if (!ret && done != size)
		ret = -EAGAIN;
out:
	free(buf);
	return ret;
}

/*
 * MMDB_open wants a path: the memfd's /proc/self/fd entry. A process that
 * switched user is not "dumpable" and cannot open that entry; then the
 * copy goes through a file in a private directory, removed once mapped.
 */
static int open_private(int mfd, off_t size, MMDB_s *db, char *why,
			size_t whylen)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[PATH_MAX], dir[PATH_MAX - 16];
	int st, fd, ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	st = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (st != MMDB_FILE_OPEN_ERROR)
		goto done;
	if (!tmpdir || tmpdir[0] != '/' ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/flowtop-geoip.XXXXXX",
			     tmpdir) >= sizeof(dir))
		snprintf(dir, sizeof(dir), "/tmp/flowtop-geoip.XXXXXX");
	if (!mkdtemp(dir)) {
		ret = -errno;
		snprintf(why, whylen, "cannot make a private copy (%.40s and "
			 "mkdtemp %.100s: %s)", path, dir, strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/db", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ret = fd < 0 ? -errno : copy_fd(fd, mfd, size);
	if (fd >= 0)
		close(fd);
	st = ret ? MMDB_IO_ERROR : MMDB_open(path, MMDB_MODE_MMAP, db);
	unlink(path);
	rmdir(dir);
	if (ret) {
		snprintf(why, whylen, "cannot write a private copy in %.100s: %s",
			 dir, strerror(-ret));
		return ret;
	}
done:
	if (st != MMDB_SUCCESS) {
		snprintf(why, whylen, "not a MaxMind DB file (%s)",
			 MMDB_strerror(st));
		return -EINVAL;
	}
	return 0;
}

/*
 * Loads a private copy of path into *out, checked against pattern; *st
 * is the file's state that the copy reflects. -EAGAIN when the file
 * changed while it was read (try later), another negative errno with why
 * set when it is unusable.
 */
static int db_load(const char *path, const char *pattern, MMDB_s **out,
		   struct stat *st, char *why, size_t whylen)
{
	struct stat after;
	MMDB_s *db = NULL;
	int fd, mfd = -1, ret;

	/* O_NONBLOCK: a FIFO in the database's place must not hang us */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "cannot open it: %s", strerror(errno));
		return ret;
	}
	if (fstat(fd, st)) {
		ret = -errno;
		snprintf(why, whylen, "cannot stat it: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "not a regular file");
		ret = -EINVAL;
		goto out;
	}
	if (st->st_size > GEOIP_MAX_FILE) {
		snprintf(why, whylen, "larger than %ld MiB, not a GeoIP "
			 "database flowtop copies into memory",
			 GEOIP_MAX_FILE >> 20);
		ret = -EFBIG;
		goto out;
	}
	mfd = memfd_create("flowtop-geoip", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		ret = -errno;
		snprintf(why, whylen, "memfd_create: %s", strerror(errno));
		goto out;
	}
	ret = copy_fd(mfd, fd, st->st_size);
	if (!ret && fstat(fd, &after) == 0 && !same_file(st, &after))
		ret = -EAGAIN;
	if (ret) {
		snprintf(why, whylen, ret == -EAGAIN ?
			 "it changed while it was read" : "reading it failed: %s",
			 strerror(-ret));
		goto out;
	}
	/* nobody, not even root, can change the copy under the mapping */
	fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				F_SEAL_SEAL);
	db = calloc(1, sizeof(*db));
	if (!db) {
		ret = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	ret = open_private(mfd, st->st_size, db, why, whylen);
	if (ret) {
		free(db);
		db = NULL;
		goto out;
	}
	ret = db_check(db, pattern, why, whylen);
out:
	if (mfd >= 0)
		close(mfd);	/* the mapping keeps the copy */
	close(fd);
	if (ret) {
		db_free(db);
		return ret;
	}
	*out = db;
	return 0;
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
	db_free(old);	/* no lookup can hold it any more */
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
			if (s->have_loaded && same_file(&st, &s->loaded) &&
			    !strcmp(path, s->path))
				continue;
			if (s->have_rejected && same_file(&st, &s->rejected))
				continue;
			if (!s->have_seen || !same_file(&st, &s->seen)) {
				s->seen = st;
				s->have_seen = true;
				continue;	/* settle for one interval */
			}
		}
		ret = db_load(path, s->type, &db, &got, why, sizeof(why));
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

	ret = db_load(path, s->type, &s->db, &st, why, sizeof(why));
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
		db_free(g->slot[i].db);
	pthread_rwlock_destroy(&g->rw);
	pthread_mutex_destroy(&g->check_lock);
	pthread_mutex_destroy(&g->wlock);
	pthread_cond_destroy(&g->wcond);
	free(g);
}

/* A string field at path into out (sanitized) unless out is already set. */
static void get_str(MMDB_entry_s *e, char *out, size_t len, const char *const *path)
{
	MMDB_entry_data_s d;

	if (out[0])
		return;
	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return;
	sanitize_text(out, len, d.utf8_string, d.data_size);
}

static void get_u32(MMDB_entry_s *e, uint32_t *out, const char *const *path)
{
	MMDB_entry_data_s d;

	if (*out)
		return;
	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
		return;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		*out = d.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		*out = d.uint32;
		break;
	case MMDB_DATA_TYPE_INT32:
		*out = d.int32 > 0 ? (uint32_t)d.int32 : 0;
		break;
	case MMDB_DATA_TYPE_UINT64:
		*out = d.uint64 <= UINT32_MAX ? (uint32_t)d.uint64 : 0;
		break;
	}
}

#define P(...) ((const char *const[]){ __VA_ARGS__, NULL })

bool geoip_lookup(const struct geoip *g, int family, const void *addr,
		  struct geo_info *out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	const struct sockaddr *sa;

	memset(out, 0, sizeof(*out));
	if (!g)
		return false;
	if (family == AF_INET) {
		memcpy(&sin.sin_addr, addr, 4);
		sa = (const struct sockaddr *)&sin;
	} else if (family == AF_INET6) {
		memcpy(&sin6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&sin6;
	} else {
		return false;
	}
	/* the lock is the only thing a lookup writes: cast away const */
	pthread_rwlock_rdlock((pthread_rwlock_t *)&g->rw);
	for (int i = 0; i < g->n; i++) {
		MMDB_lookup_result_s r;
		int mmerr;

		if (!g->slot[i].db)
			continue;
		r = MMDB_lookup_sockaddr(g->slot[i].db, sa, &mmerr);
		if (mmerr != MMDB_SUCCESS || !r.found_entry)
			continue;
		/* MaxMind / DB-IP nested layout, then ip-location-db's flat one */
		get_str(&r.entry, out->country_code, sizeof(out->country_code),
			P("country", "iso_code"));
		get_str(&r.entry, out->country_code, sizeof(out->country_code),
			P("country_code"));
		get_str(&r.entry, out->country_code, sizeof(out->country_code),
			P("registered_country", "iso_code"));
		get_str(&r.entry, out->country, sizeof(out->country),
			P("country", "names", "en"));
		get_str(&r.entry, out->country, sizeof(out->country),
			P("country_name"));
		get_str(&r.entry, out->city, sizeof(out->city),
			P("city", "names", "en"));
		get_str(&r.entry, out->city, sizeof(out->city), P("city"));
		get_u32(&r.entry, &out->asn, P("autonomous_system_number"));
		get_str(&r.entry, out->as_org, sizeof(out->as_org),
			P("autonomous_system_organization"));
	}
	pthread_rwlock_unlock((pthread_rwlock_t *)&g->rw);
	/* a code is two letters or nothing: anything else is not a code */
	if (out->country_code[0] && iso_slot(out->country_code) < 0)
		out->country_code[0] = '\0';
	for (char *c = out->country_code; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	if (!out->country[0] && out->country_code[0]) {
		const char *nm = iso_country_name(out->country_code);

		if (nm)
			snprintf(out->country, sizeof(out->country), "%s", nm);
	}
	return out->country_code[0] || out->country[0] || out->city[0] ||
	       out->asn || out->as_org[0];
}

int geoip_validate(const char *path, const char *pattern, char *why,
		   size_t whylen)
{
	MMDB_s db;
	int st = MMDB_open(path, MMDB_MODE_MMAP, &db);
	int ret;

	if (st != MMDB_SUCCESS) {
		snprintf(why, whylen, "not a MaxMind DB file (%s)", MMDB_strerror(st));
		return -EINVAL;
	}
	ret = db_check(&db, pattern, why, whylen);
	MMDB_close(&db);
	return ret;
}
