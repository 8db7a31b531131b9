// SPDX-License-Identifier: GPL-2.0
/*
 * flowtop -u: fetch each GeoIP database from its mirrors (libcurl, http or
 * https, plain or gzip), check that the download opens as a MaxMind DB of
 * the expected type, and only then move it over the old file: the
 * temporary file lives in the same directory so that rename(2) replaces
 * the database atomically and a running flowtop keeps its mapping of the
 * old inode. On any failure the old file stays as it was.
 *
 * libcurl is opened here, at run time, not linked: with its TLS and
 * protocol libraries it adds some 6 MB to the resident size of every
 * process that maps it (their relocations and constructors touch the
 * pages), and only -u uses it.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "conffile.h"
#include "dl_syms.h"
#include "geoip.h"
#include "sanitize.h"
#include "util.h"

#define LIBCURL_SONAME "libcurl.so.4"

/* The libcurl functions -u calls, from dlopen (load_curl). */
static struct {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	void (*easy_cleanup)(CURL *h);
} lc;

/*
 * Opens libcurl once (never closed: -u runs once and exits) and looks up
 * the functions above. 0, or -ENOENT with the reason on err.
 */
static int load_curl(FILE *err)
{
	static void *lib;
	static const struct dl_sym syms[] = {
		{ "curl_global_init", (void **)&lc.global_init },
		{ "curl_global_cleanup", (void **)&lc.global_cleanup },
		{ "curl_easy_init", (void **)&lc.easy_init },
		{ "curl_easy_setopt", (void **)&lc.easy_setopt },
		{ "curl_easy_perform", (void **)&lc.easy_perform },
		{ "curl_easy_getinfo", (void **)&lc.easy_getinfo },
		{ "curl_easy_strerror", (void **)&lc.easy_strerror },
		{ "curl_easy_cleanup", (void **)&lc.easy_cleanup },
	};
	char why[256];

	if (lib)
		return 0;
	lib = dl_open_syms(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL, NULL, syms,
			   sizeof(syms) / sizeof(syms[0]), why, sizeof(why));
	if (!lib) {
		fprintf(err, "flowtop: -u downloads with libcurl, which cannot "
			"be loaded (%s); install libcurl4\n", why);
		return -ENOENT;
	}
	return 0;
}

/* No database of ours is near this; a bigger body is a wrong URL. */
#define MAX_DOWNLOAD (1024LL << 20)

struct dl {
	int fd;
	long long bytes;
	int werr;		/* errno of a failed write */
	bool progress;
	FILE *err;
	const char *label;
	double last_shown;	/* CLOCK_MONOTONIC of the last progress line */
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct dl *d = arg;
	size_t len = size * n, done = 0;

	if (d->bytes + (long long)len > MAX_DOWNLOAD) {
		d->werr = EFBIG;
		return 0;
	}
	while (done < len) {
		ssize_t w = write(d->fd, p + done, len - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			d->werr = errno;
			return 0;
		}
		done += (size_t)w;
	}
	d->bytes += (long long)len;
	return len;
}

static int on_progress(void *arg, curl_off_t total, curl_off_t now,
		       curl_off_t ut, curl_off_t un)
{
	struct dl *d = arg;
	double mib = (double)now / (1 << 20);
	double t;

	(void)ut;
	(void)un;
	/* ten updates a second are plenty for a human */
	t = mono_s();
	if (t - d->last_shown < 0.1)
		return 0;
	d->last_shown = t;
	if (total > 0)
		fprintf(d->err, "\r\033[Kflowtop: %s: %.1f of %.1f MiB (%d%%)",
			d->label, mib, (double)total / (1 << 20),
			(int)(100 * now / total));
	else
		fprintf(d->err, "\r\033[Kflowtop: %s: %.1f MiB", d->label, mib);
	fflush(d->err);
	return 0;
}

/* gzip file src_fd → fresh file dst_fd; 0 or -EINVAL (not valid gzip). */
static int gunzip_fd(int src_fd, int dst_fd)
{
	int dup_fd = dup(src_fd), n, ret = 0, zerr;
	char buf[65536];
	gzFile gz;

	if (dup_fd < 0)
		return -errno;
	if (lseek(dup_fd, 0, SEEK_SET) < 0) {
		close(dup_fd);
		return -errno;
	}
	gz = gzdopen(dup_fd, "rb");
	if (!gz) {
		close(dup_fd);
		return -ENOMEM;
	}
	while ((n = gzread(gz, buf, sizeof(buf))) > 0) {
		if (write(dst_fd, buf, (size_t)n) != n) {
			ret = -EIO;
			break;
		}
	}
	if (n < 0) {
		gzerror(gz, &zerr);
		ret = -EINVAL;
	}
	gzclose(gz);
	return ret;
}

static bool is_gzip(int fd)
{
	unsigned char m[2];

	return pread(fd, m, 2, 0) == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

static void __attribute__((format(printf, 3, 4)))
set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* Makes dir and its parents (mode 0755). */
static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", dir) >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Where the new copy of db goes: its current place, else the first path. */
static int target_of(const struct geoip_conf *c, const struct geoip_db_conf *db,
		     char *path, size_t len)
{
	if (!geoip_db_locate(c, db, path, len) || db->file[0] == '/')
		return 0;
	if (!c->npaths)
		return -ENOENT;
	if ((size_t)snprintf(path, len, "%s/%s", c->paths[0], db->file) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * One mirror: download to a temporary file beside target, gunzip, check,
 * rename. 0 when target was replaced; else why says why not.
 */
static int fetch_one(const struct geoip_conf *c, const struct geoip_db_conf *db,
		     const char *url, const char *target, FILE *err,
		     bool progress, char *why, size_t whylen)
{
	char dir[PATH_MAX], tmp[PATH_MAX], tmp2[PATH_MAX] = "";
	struct dl d = { .progress = progress, .err = err, .label = db->file };
	CURL *curl = NULL;
	CURLcode cc;
	long status = 0;
	int fd, ret = -EIO;

	snprintf(dir, sizeof(dir), "%s", target);
	snprintf(dir, sizeof(dir), "%s", dirname(dir));
	if (snprintf(tmp, sizeof(tmp), "%s/.flowtop-update.XXXXXX", dir) >= (int)sizeof(tmp)) {
		set_why(why, whylen, "path too long");
		return -ENAMETOOLONG;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		set_why(why, whylen, "cannot create a temporary file in %s: %s",
			 dir, strerror(errno));
		return ret;
	}
	d.fd = fd;
	curl = lc.easy_init();
	if (!curl) {
		set_why(why, whylen, "libcurl could not start");
		goto out;
	}
	lc.easy_setopt(curl, CURLOPT_URL, url);
	lc.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	lc.easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
	lc.easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	lc.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/* transport compression (Content-Encoding: gzip) is undone by curl */
	lc.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	lc.easy_setopt(curl, CURLOPT_USERAGENT, "flowtop/" FLOWTOP_VERSION);
	lc.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, c->timeout_s);
	/* a stalled server: less than 1 byte/s for timeout seconds */
	lc.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	lc.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, c->timeout_s);
	lc.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	lc.easy_setopt(curl, CURLOPT_WRITEDATA, &d);
	if (progress) {
		lc.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		lc.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		lc.easy_setopt(curl, CURLOPT_XFERINFODATA, &d);
	}
	cc = lc.easy_perform(curl);
	if (progress) {
		fprintf(err, "\r\033[K");
		fflush(err);
	}
	lc.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		if (d.werr)
			set_why(why, whylen, "writing %s failed: %s", tmp,
				 strerror(d.werr));
		else if (cc == CURLE_HTTP_RETURNED_ERROR)
			set_why(why, whylen, "server answered HTTP %ld", status);
		else
			set_why(why, whylen, "%s", lc.easy_strerror(cc));
		goto out;
	}
	if (is_gzip(fd)) {
		int fd2;

		if (snprintf(tmp2, sizeof(tmp2), "%s/.flowtop-update.XXXXXX",
			     dir) >= (int)sizeof(tmp2))
			goto out;
		fd2 = mkstemp(tmp2);
		if (fd2 < 0) {
			set_why(why, whylen, "cannot create a temporary file in %s: %s",
				 dir, strerror(errno));
			tmp2[0] = '\0';
			goto out;
		}
		ret = gunzip_fd(fd, fd2);
		close(fd);
		unlink(tmp);
		fd = fd2;
		strcpy(tmp, tmp2);
		tmp2[0] = '\0';
		if (ret) {
			set_why(why, whylen, "gzip data is corrupt or truncated");
			ret = -EIO;
			goto out;
		}
		ret = -EIO;
	}
	if (fsync(fd)) {
		set_why(why, whylen, "fsync %s: %s", tmp, strerror(errno));
		goto out;
	}
	ret = geoip_validate(tmp, db->type, why, whylen);
	if (ret)
		goto out;
	if (fchmod(fd, 0644) || rename(tmp, target)) {
		ret = -errno;
		set_why(why, whylen, "cannot move the download to %s: %s",
			 target, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	/* the rename itself must survive a crash too */
	{
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	ret = 0;
out:
	if (curl)
		lc.easy_cleanup(curl);
	close(fd);
	if (tmp[0])
		unlink(tmp);
	return ret;
}

int geoip_update(const struct geoip_conf *c, FILE *err, bool progress)
{
	int failed = 0, updated = 0;

	if (!c->ndb) {
		fprintf(err, "flowtop: %s lists no database; nothing to update\n",
			c->source);
		return -ENOENT;
	}
	if (load_curl(err))
		return -ENOENT;
	if (lc.global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(err, "flowtop: libcurl could not be initialised\n");
		return -EIO;
	}
	for (int i = 0; i < c->ndb; i++) {
		const struct geoip_db_conf *db = &c->db[i];
		char target[PATH_MAX], dir[PATH_MAX];
		bool done = false;
		int ret;

		if (!db->nmirrors) {
			fprintf(err, "flowtop: %s has no mirror line in %s; skipped\n",
				db->file, c->source);
			continue;
		}
		if (target_of(c, db, target, sizeof(target))) {
			fprintf(err, "flowtop: no directory to put %s in: add a "
				"'path DIR' line to %s\n", db->file, c->source);
			failed++;
			continue;
		}
		snprintf(dir, sizeof(dir), "%s", target);
		ret = mkdir_p(dirname(dir));
		if (ret) {
			fprintf(err, "flowtop: cannot create the directory of %s: %s\n",
				target, strerror(-ret));
			failed++;
			continue;
		}
		for (int m = 0; m < db->nmirrors && !done; m++) {
			char why[512] = "", url[256];

			sanitize_str(url, sizeof(url), db->mirrors[m]);
			if (fetch_one(c, db, db->mirrors[m], target, err, progress,
				      why, sizeof(why)) == 0) {
				fprintf(err, "flowtop: updated %s from %s\n", target, url);
				done = true;
			} else {
				fprintf(err, "flowtop: %s: download from %s failed: %s\n",
					db->file, url, why);
			}
		}
		if (done) {
			updated++;
		} else {
			fprintf(err, "flowtop: every mirror of %s failed; the old "
				"file (if any) is kept. Check the network or the "
				"mirror lines in %s\n", db->file, c->source);
			failed++;
		}
	}
	lc.global_cleanup();
	return failed ? -EIO : 0;
}

int geoip_update_run(const char *conf_dir)
{
	struct geoip_conf c;
	int ret = geoip_conf_load(&c, conf_dir, stderr);

	if (ret == -ENOENT) {
		fprintf(stderr, "flowtop: -u: no geoip.conf in %s, %s, %s or "
			"conf/ beside the binary; say where with --conf-dir\n",
			conf_dir ? conf_dir : "(no --conf-dir)",
			FLOWTOP_SYSCONFDIR, FLOWTOP_DATADIR);
		return ret;
	}
	if (ret) {
		fprintf(stderr, "flowtop: -u: fix %s first (errors above)\n",
			c.source[0] ? c.source : "geoip.conf");
		return ret;
	}
	ret = geoip_update(&c, stderr, isatty(STDERR_FILENO));
	geoip_conf_free(&c);
	return ret;
}
