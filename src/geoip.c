// SPDX-License-Identifier: GPL-2.0
/* GeoIP lookups, geoip.conf and iso-codes country names (see geoip.h). */
#include "geoip.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sanitize.h"
#include "services.h"

/* ------------------------------------------------------------ geoip.conf */

static char *trim(char *p)
{
	char *e;

	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return p;
}

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
	unsigned long lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->timeout_s = 30;
	if (strlen(path) >= sizeof(c->source))
		return -ENAMETOOLONG;
	strcpy(c->source, path);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		char *hash = strchr(line, '#'), *p;
		const char *why;

		lineno++;
		if (hash)
			*hash = '\0';
		p = trim(line);
		if (!*p)
			continue;
		why = conf_line(c, p);
		if (why) {
			if (err)
				fprintf(err, "flowtop: %s:%lu: %s\n", path, lineno, why);
			ret = -EINVAL;
		}
	}
	free(line);
	fclose(f);
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

int geoip_db_locate(const struct geoip_conf *c, const struct geoip_db_conf *db,
		    char *path, size_t len)
{
	if (db->file[0] == '/') {
		if ((size_t)snprintf(path, len, "%s", db->file) >= len)
			return -ENAMETOOLONG;
		return access(path, F_OK) ? -ENOENT : 0;
	}
	for (int i = 0; i < c->npaths; i++) {
		if ((size_t)snprintf(path, len, "%s/%s", c->paths[i], db->file) >= len)
			continue;
		if (access(path, F_OK) == 0)
			return 0;
	}
	return -ENOENT;
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
	int n;

	if (cp < 0x80) {
		buf[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		buf[0] = (char)(0xc0 | cp >> 6);
		buf[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | cp >> 12);
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		buf[0] = (char)(0xf0 | cp >> 18);
		buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*o + n < end) {
		memcpy(*o, buf, n);
		*o += n;
	}
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
			unsigned cp, lo;

			if (sscanf(s + 1, "%4x", &cp) != 1)
				return false;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' &&
			    s[2] == 'u' && sscanf(s + 3, "%4x", &lo) == 1 &&
			    lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			put_utf8(&o, end + 1, cp);
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
	FILE *f = fopen(path, "re");
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

struct geoip {
	int n;
	MMDB_s db[GEOIP_MAX_DBS];
};

static int open_one(struct geoip *g, const char *path, FILE *err)
{
	int st = MMDB_open(path, MMDB_MODE_MMAP, &g->db[g->n]);

	if (st != MMDB_SUCCESS) {
		if (err)
			fprintf(err, "flowtop: GeoIP database %s unusable: %s%s%s; "
				"running without it (flowtop -u fetches a fresh copy)\n",
				path, MMDB_strerror(st),
				st == MMDB_IO_ERROR ? ": " : "",
				st == MMDB_IO_ERROR ? strerror(errno) : "");
		return -EINVAL;
	}
	g->n++;
	return 0;
}

int geoip_open_files(struct geoip **out, const char *const *files, int n,
		     FILE *err)
{
	struct geoip *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	for (int i = 0; i < n && g->n < GEOIP_MAX_DBS; i++)
		open_one(g, files[i], err);
	if (!g->n) {
		free(g);
		return -ENOENT;
	}
	*out = g;
	return 0;
}

int geoip_open(struct geoip **out, const struct geoip_conf *c, FILE *err)
{
	const char *files[GEOIP_MAX_DBS];
	char paths[GEOIP_MAX_DBS][PATH_MAX];
	int n = 0;

	for (int i = 0; i < c->ndb; i++) {
		if (geoip_db_locate(c, &c->db[i], paths[n], PATH_MAX)) {
			if (err)
				fprintf(err, "flowtop: GeoIP database %s not found "
					"(searched the path lines of %s); running "
					"without it (flowtop -u downloads it)\n",
					c->db[i].file, c->source);
			continue;
		}
		files[n] = paths[n];
		n++;
	}
	return geoip_open_files(out, files, n, err);
}

void geoip_close(struct geoip *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->n; i++)
		MMDB_close(&g->db[i]);
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
	for (int i = 0; i < g->n; i++) {
		MMDB_lookup_result_s r;
		int mmerr;

		/* const only by the library's signature: lookups do not write */
		r = MMDB_lookup_sockaddr((MMDB_s *)&g->db[i], sa, &mmerr);
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
	int ret = 0;

	if (st != MMDB_SUCCESS) {
		snprintf(why, whylen, "not a MaxMind DB file (%s)", MMDB_strerror(st));
		return -EINVAL;
	}
	if (!db.metadata.database_type ||
	    fnmatch(pattern, db.metadata.database_type, FNM_CASEFOLD)) {
		char t[64];

		sanitize_str(t, sizeof(t), db.metadata.database_type);
		snprintf(why, whylen, "database type '%s' does not match the "
			 "expected '%s'", t, pattern);
		ret = -EINVAL;
	} else if (db.metadata.node_count == 0) {
		snprintf(why, whylen, "database has no data");
		ret = -EINVAL;
	} else {
		/* MMDB_open reads only the metadata: walk the tree a little */
		static const char *const probes[] = {
			"1.1.1.1", "192.0.2.1", "203.0.113.200", "2001:db8::1",
			"2a00::1",
		};
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			MMDB_lookup_result_s r;
			MMDB_entry_data_list_s *list = NULL;
			int gai, mmerr;

			r = MMDB_lookup_string(&db, probes[i], &gai, &mmerr);
			if (gai || mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
				continue;
			if (mmerr == MMDB_SUCCESS && r.found_entry)
				mmerr = MMDB_get_entry_data_list(&r.entry, &list);
			MMDB_free_entry_data_list(list);
			if (mmerr != MMDB_SUCCESS) {
				snprintf(why, whylen, "database is corrupt (%s)",
					 MMDB_strerror(mmerr));
				ret = -EINVAL;
				break;
			}
		}
	}
	MMDB_close(&db);
	return ret;
}
