// SPDX-License-Identifier: GPL-2.0
/* Asynchronous reverse DNS with c-ares and a TTL cache (see dns.h). */
#include "dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sanitize.h"
#include "util.h"

#define DNS_BUCKETS 16384	/* power of two */

enum entry_state { E_QUEUED, E_INFLIGHT, E_DONE };

struct dns_entry {
	struct dns_entry *next;
	uint8_t family;
	uint8_t state;		/* enum entry_state */
	bool refreshing;	/* expired, a new query queued or in flight */
	uint8_t addr[16];
	double expires;		/* CLOCK_MONOTONIC seconds */
	char *name;		/* sanitized, NULL = negative */
};

struct dns_req {
	struct dns *d;
	uint8_t family;
	uint8_t addr[16];
};

struct dns {
	pthread_mutex_t lock;	/* cache, queue, stats */
	struct dns_entry *buckets[DNS_BUCKETS];
	size_t entries;
	double last_sweep;
	struct dns_req queue[DNS_QUEUE_MAX];
	size_t q_head, q_len;
	struct dns_stats st;

	/* worker thread only */
	ares_channel chan;
	int inflight;
	int wake_fd;		/* eventfd: queue not empty, or stop */
	atomic_int notify_fd;	/* written after each answer, -1: none */
	atomic_bool stop;
	pthread_t thread;
};

static size_t alen_of(int family)
{
	return family == AF_INET ? 4 : 16;
}

static uint32_t hash_addr(int family, const uint8_t *a)
{
	uint32_t h = 2166136261u ^ (uint32_t)family;

	for (size_t i = 0; i < alen_of(family); i++)
		h = (h ^ a[i]) * 16777619u;
	return h & (DNS_BUCKETS - 1);
}

static struct dns_entry **find_slot(struct dns *d, int family, const uint8_t *a)
{
	struct dns_entry **pp = &d->buckets[hash_addr(family, a)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->family == family &&
		    !memcmp((*pp)->addr, a, alen_of(family)))
			return pp;
	return pp;
}

/* Drops expired answers to make room; at most once a second. */
static void sweep(struct dns *d, double now)
{
	if (now - d->last_sweep < 1.0)
		return;
	d->last_sweep = now;
	for (size_t b = 0; b < DNS_BUCKETS; b++) {
		struct dns_entry **pp = &d->buckets[b];

		while (*pp) {
			struct dns_entry *e = *pp;

			if (e->state == E_DONE && !e->refreshing && e->expires <= now) {
				*pp = e->next;
				free(e->name);
				free(e);
				d->entries--;
				continue;
			}
			pp = &e->next;
		}
	}
}

static bool enqueue(struct dns *d, struct dns_entry *e)
{
	struct dns_req *r;

	if (d->q_len >= DNS_QUEUE_MAX)
		return false;
	r = &d->queue[(d->q_head + d->q_len++) % DNS_QUEUE_MAX];
	r->d = d;
	r->family = e->family;
	memcpy(r->addr, e->addr, 16);
	return true;
}

static void wake(struct dns *d)
{
	uint64_t one = 1;

	if (write(d->wake_fd, &one, sizeof(one)) < 0) {
		/* eventfd full is impossible at our rates; nothing to do */
	}
}

enum dns_result dns_lookup(struct dns *d, int family, const void *addr,
			   char *host, size_t len)
{
	enum dns_result res = DNS_PENDING;
	struct dns_entry **pp, *e;
	bool queued = false;
	double now;

	if (len)
		host[0] = '\0';
	if (!d || (family != AF_INET && family != AF_INET6))
		return DNS_NONE;
	now = mono_s();
	pthread_mutex_lock(&d->lock);
	pp = find_slot(d, family, addr);
	e = *pp;
	if (!e) {
		if (d->entries >= DNS_CACHE_MAX) {
			sweep(d, now);
			pp = find_slot(d, family, addr);
		}
		if (d->entries >= DNS_CACHE_MAX || d->q_len >= DNS_QUEUE_MAX) {
			d->st.dropped++;
			goto out;
		}
		e = calloc(1, sizeof(*e));
		if (!e)
			goto out;
		e->family = (uint8_t)family;
		memcpy(e->addr, addr, alen_of(family));
		e->state = E_QUEUED;
		enqueue(d, e);
		*pp = e;
		d->entries++;
		queued = true;
		goto out;
	}
	if (e->state != E_DONE)
		goto out;
	if (e->name && len) {
		snprintf(host, len, "%s", e->name);
		res = DNS_FOUND;
	} else {
		res = DNS_NONE;
	}
	if (e->expires <= now && !e->refreshing) {
		if (enqueue(d, e)) {
			e->refreshing = true;
			queued = true;
		} else {
			d->st.dropped++;
		}
	}
out:
	pthread_mutex_unlock(&d->lock);
	if (queued)
		wake(d);
	return res;
}

void dns_get_stats(struct dns *d, struct dns_stats *st)
{
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	st->cache_entries = d->entries;
	pthread_mutex_unlock(&d->lock);
}

/* ------------------------------------------------------------ wire format */

int dns_ptr_name(int family, const void *addr, char *out, size_t len)
{
	const uint8_t *a = addr;
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (family == AF_INET) {
		int n = snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa",
				 a[3], a[2], a[1], a[0]);
		return n > 0 && (size_t)n < len ? 0 : -ENOSPC;
	}
	if (family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < 64 + sizeof("ip6.arpa"))
		return -ENOSPC;
	for (int i = 15; i >= 0; i--) {
		out[o++] = hex[a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	strcpy(out + o, "ip6.arpa");
	return 0;
}

static uint16_t rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Decodes the (possibly compressed) name at off into out as raw label
 * bytes joined by '.'; *next is the offset after the name in the record.
 * Label bytes are kept as they are: the caller sanitizes them. 0 or
 * -EINVAL.
 */
static int read_name(const unsigned char *buf, size_t blen, size_t off,
		     size_t *next, char *out, size_t olen)
{
	size_t o = 0, jumps = 0;
	bool jumped = false;

	for (;;) {
		unsigned l;

		if (off >= blen)
			return -EINVAL;
		l = buf[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= blen || ++jumps > 64)
				return -EINVAL;
			if (!jumped && next)
				*next = off + 2;
			jumped = true;
			off = (size_t)(l & 0x3f) << 8 | buf[off + 1];
			continue;
		}
		if (l & 0xc0)
			return -EINVAL;
		if (l == 0) {
			if (!jumped && next)
				*next = off + 1;
			break;
		}
		if (off + 1 + l > blen)
			return -EINVAL;
		if (out) {
			if (o && o < olen - 1)
				out[o++] = '.';
			for (unsigned i = 0; i < l && o < olen - 1; i++)
				out[o++] = (char)buf[off + 1 + i];
		}
		off += 1 + l;
	}
	if (out)
		out[o] = '\0';
	return 0;
}

int dns_parse_ptr(const unsigned char *abuf, size_t alen, char *name,
		  size_t len, uint32_t *ttl)
{
	unsigned qd, an, ns;
	size_t off = 12;
	char raw[1024];

	*ttl = DNS_NEG_TTL_DEFAULT;
	if (len)
		name[0] = '\0';
	if (!abuf || alen < 12)
		return -EINVAL;
	qd = rd16(abuf + 4);
	an = rd16(abuf + 6);
	ns = rd16(abuf + 8);
	for (unsigned i = 0; i < qd; i++) {
		if (read_name(abuf, alen, off, &off, NULL, 0) || off + 4 > alen)
			return -EINVAL;
		off += 4;
	}
	for (unsigned i = 0; i < an + ns; i++) {
		uint16_t type, cls, rdlen;
		uint32_t rttl;
		size_t rd;

		if (read_name(abuf, alen, off, &off, NULL, 0) || off + 10 > alen)
			return -EINVAL;
		type = rd16(abuf + off);
		cls = rd16(abuf + off + 2);
		rttl = rd32(abuf + off + 4);
		rdlen = rd16(abuf + off + 8);
		rd = off + 10;
		if (rd + rdlen > alen)
			return -EINVAL;
		off = rd + rdlen;
		if (cls != 1)
			continue;
		if (i < an && type == 12) {	/* PTR */
			if (read_name(abuf, alen, rd, NULL, raw, sizeof(raw)))
				return -EINVAL;
			sanitize_text(name, len, raw, strlen(raw));
			*ttl = rttl & 0x7fffffff;
			return 0;
		}
		if (i >= an && type == 6) {	/* SOA: RFC 2308 negative TTL */
			size_t p = rd;

			if (read_name(abuf, alen, p, &p, NULL, 0) ||
			    read_name(abuf, alen, p, &p, NULL, 0) ||
			    p + 20 > rd + rdlen)
				return -EINVAL;
			*ttl = rd32(abuf + p + 16);
			if (rttl < *ttl)
				*ttl = rttl;
		}
	}
	return -ENOENT;
}

/* ----------------------------------------------------------------- worker */

static uint32_t clamp_ttl(uint32_t t)
{
	return t < DNS_MIN_TTL ? DNS_MIN_TTL : t > DNS_MAX_TTL ? DNS_MAX_TTL : t;
}

/* Tells a waiter (dns_set_notify_fd) that an answer came in. */
static void notify(struct dns *d)
{
	int fd = atomic_load(&d->notify_fd);
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full of wake-ups already */
	}
}

void dns_set_notify_fd(struct dns *d, int fd)
{
	if (d)
		atomic_store(&d->notify_fd, fd);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
		      int alen)
{
	struct dns_req *r = arg;
	struct dns *d = r->d;
	struct dns_entry *e;
	char name[256] = "";
	uint32_t ttl = DNS_FAIL_TTL;
	int ret = -EIO;

	(void)timeouts;
	d->inflight--;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		free(r);
		return;
	}
	if (abuf && alen > 0 && (status == ARES_SUCCESS ||
				 status == ARES_ENOTFOUND ||
				 status == ARES_ENODATA)) {
		ret = dns_parse_ptr(abuf, (size_t)alen, name, sizeof(name), &ttl);
		if (ret == -EINVAL)
			ttl = DNS_FAIL_TTL;
	}
	pthread_mutex_lock(&d->lock);
	e = *find_slot(d, r->family, r->addr);
	if (e) {
		if (ret == 0 && name[0]) {
			char *dup = strdup(name);

			if (dup) {
				free(e->name);
				e->name = dup;
			}
			d->st.answers++;
		} else if (ret == -ENOENT) {
			free(e->name);
			e->name = NULL;
			d->st.negative++;
		} else {
			/* a failure keeps an older good name until it expires again */
			d->st.failures++;
		}
		e->state = E_DONE;
		e->refreshing = false;
		e->expires = mono_s() + clamp_ttl(ttl);
	}
	pthread_mutex_unlock(&d->lock);
	free(r);
	if (e)
		notify(d);
}

/* Sends queued lookups while fewer than DNS_INFLIGHT_MAX are out. */
static void send_queued(struct dns *d)
{
	for (;;) {
		struct dns_req *r;
		struct dns_entry *e;
		char qname[80];

		if (d->inflight >= DNS_INFLIGHT_MAX)
			return;
		r = malloc(sizeof(*r));
		if (!r)
			return;
		pthread_mutex_lock(&d->lock);
		if (!d->q_len) {
			pthread_mutex_unlock(&d->lock);
			free(r);
			return;
		}
		*r = d->queue[d->q_head];
		d->q_head = (d->q_head + 1) % DNS_QUEUE_MAX;
		d->q_len--;
		e = *find_slot(d, r->family, r->addr);
		if (e && e->state == E_QUEUED)
			e->state = E_INFLIGHT;
		d->st.queries++;
		pthread_mutex_unlock(&d->lock);
		dns_ptr_name(r->family, r->addr, qname, sizeof(qname));
		d->inflight++;
		/* the callback may run inside (cached failure): it frees r */
		ares_query(d->chan, qname, ns_c_in, ns_t_ptr, on_answer, r);
	}
}

static void *dns_worker(void *arg)
{
	struct dns *d = arg;

	while (!atomic_load(&d->stop)) {
		struct pollfd pfd[1 + ARES_GETSOCK_MAXNUM];
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct timeval tv, max = { 1, 0 }, *tvp;
		int bits, n = 1, timeout;

		send_queued(d);
		pfd[0].fd = d->wake_fd;
		pfd[0].events = POLLIN;
		bits = ares_getsock(d->chan, socks, ARES_GETSOCK_MAXNUM);
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;

			/* c-ares 1.18's ARES_GETSOCK_WRITABLE shifts a signed 1
			 * into the sign bit for the 16th socket: do it unsigned */
			if ((unsigned)bits & (1u << i))
				ev |= POLLIN;
			if ((unsigned)bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
				ev |= POLLOUT;
			if (!ev)
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = ev;
			n++;
		}
		tvp = ares_timeout(d->chan, &max, &tv);
		timeout = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(d->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: someone else drained it */
			}
		}
		for (int i = 1; i < n; i++) {
			ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				rfd = pfd[i].fd;
			if (pfd[i].revents & POLLOUT)
				wfd = pfd[i].fd;
			if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD)
				ares_process_fd(d->chan, rfd, wfd);
		}
		/* timeouts of queries whose sockets stayed quiet */
		ares_process_fd(d->chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	return NULL;
}

int dns_open(struct dns **out, FILE *err)
{
	struct ares_options opt = {
		/* one long-lived socket per server: see dns.h */
		.flags = ARES_FLAG_STAYOPEN,
		.timeout = 2000,
		.tries = 2,
	};
	struct dns *d;
	int st, ret;

	st = ares_library_init(ARES_LIB_INIT_ALL);
	if (st != ARES_SUCCESS) {
		fprintf(err, "flowtop: c-ares: %s; reverse DNS off\n",
			ares_strerror(st));
		return -EIO;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		ares_library_cleanup();
		return -ENOMEM;
	}
	pthread_mutex_init(&d->lock, NULL);
	atomic_init(&d->notify_fd, -1);
	d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->wake_fd < 0) {
		ret = -errno;
		goto fail;
	}
	st = ares_init_options(&d->chan, &opt, ARES_OPT_FLAGS |
			       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (st != ARES_SUCCESS) {
		fprintf(err, "flowtop: c-ares cannot start (%s): check "
			"/etc/resolv.conf; reverse DNS off\n", ares_strerror(st));
		ret = -EIO;
		goto fail;
	}
	ret = -pthread_create(&d->thread, NULL, dns_worker, d);
	if (ret) {
		ares_destroy(d->chan);
		goto fail;
	}
	thread_background(d->thread);	/* never preempts the view */
	*out = d;
	return 0;
fail:
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	pthread_mutex_destroy(&d->lock);
	free(d);
	ares_library_cleanup();
	return ret;
}

void dns_close(struct dns *d)
{
	if (!d)
		return;
	atomic_store(&d->stop, true);
	wake(d);
	pthread_join(d->thread, NULL);
	/* runs the callbacks of queries still out with ARES_EDESTRUCTION */
	ares_destroy(d->chan);
	ares_library_cleanup();
	for (size_t b = 0; b < DNS_BUCKETS; b++) {
		struct dns_entry *e = d->buckets[b], *n;

		for (; e; e = n) {
			n = e->next;
			free(e->name);
			free(e);
		}
	}
	close(d->wake_fd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
