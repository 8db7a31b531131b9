// SPDX-License-Identifier: GPL-2.0
/*
 * GeoIP database files read into private, sealed copies and checked
 * before use (see geoip_internal.h); geoip_validate for -u's downloads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "geoip_internal.h"
#include "sanitize.h"

#define GEOIP_MAX_FILE (1L << 30)	/* the largest free city DBs are ~0.2 GB */
#define GEOIP_CHECK_DATA 512		/* data records decoded by db_check */

bool geoip_same_file(const struct stat *a, const struct stat *b)
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

void geoip_db_free(MMDB_s *db)
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
int geoip_db_load(const char *path, const char *pattern, MMDB_s **out,
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
	if (!ret && fstat(fd, &after) == 0 && !geoip_same_file(st, &after))
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
		geoip_db_free(db);
		return ret;
	}
	*out = db;
	return 0;
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
