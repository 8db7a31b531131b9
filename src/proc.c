// SPDX-License-Identifier: GPL-2.0
/* Owning process of a flow: sock_diag + /proc/PID/fd (see proc.h). */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sanitize.h"

#include "util.h"

#define CACHE_BUCKETS 16384
#define SOCK_BUCKETS 65536
#define INODE_BUCKETS 65536

/* ------------------------------------------------------------- flow cache */

struct pentry {
	struct pentry *next;
	struct flow_key key;
	bool queued;
	bool done;
	double expires;
	struct proc_info info;
};

struct preq {
	struct flow_key key, reply;
};

/* ----------------------------------------------------------- socket table */

struct tuple {
	uint8_t proto, family;
	uint16_t lport, rport;	/* host order */
	uint8_t l[16], r[16];
};

struct sock_ent {
	struct tuple t;
	uint32_t uid;
	unsigned long inode;
	int next;		/* index, -1 = end */
};

struct inode_ent {
	struct inode_ent *next;
	unsigned long inode;
	pid_t pid;
	int fd;
};

struct proc_lookup {
	pthread_mutex_t lock;		/* cache + queue */
	struct pentry *cache[CACHE_BUCKETS];
	size_t entries;
	struct preq queue[PROC_QUEUE_MAX];
	size_t q_len;
	double last_sweep;

	/* worker only */
	int wake_fd;
	atomic_int notify_fd;		/* written after each batch, -1: none */
	atomic_bool stop;
	pthread_t thread;
	int diag_fd;
	struct sock_ent *socks;
	size_t nsocks, socks_cap;
	int *sock_heads;		/* SOCK_BUCKETS */
	struct inode_ent *inodes[INODE_BUCKETS];
	size_t ninodes;
	double last_scan;
};

static uint32_t fnv(const void *p, size_t n, uint32_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static struct pentry **cache_slot(struct proc_lookup *p,
				  const struct flow_key *k)
{
	struct pentry **pp = &p->cache[fnv(k, sizeof(*k), 2166136261u) &
				       (CACHE_BUCKETS - 1)];

	for (; *pp; pp = &(*pp)->next)
		if (!memcmp(&(*pp)->key, k, sizeof(*k)))
			return pp;
	return pp;
}

static bool has_socket_proto(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE;
}

/*
 * Full cache: drop answers past their TTL (a flow still shown is simply
 * asked again). At most once a second: the walk costs a few ms.
 */
static void cache_sweep(struct proc_lookup *p, double now)
{
	if (now - p->last_sweep < 1.0)
		return;
	p->last_sweep = now;
	for (size_t b = 0; b < CACHE_BUCKETS; b++) {
		struct pentry **pp = &p->cache[b];

		while (*pp) {
			struct pentry *e = *pp;

			if (!e->queued && e->expires < now) {
				*pp = e->next;
				free(e);
				p->entries--;
				continue;
			}
			pp = &e->next;
		}
	}
}

bool proc_lookup_flow(struct proc_lookup *p, const struct flow *f,
		      struct proc_info *out)
{
	struct pentry **pp, *e;
	bool hit = false, queued = false;
	double now;

	memset(out, 0, sizeof(*out));
	/* no lookup, no socket to find: "no process" is the answer */
	if (!p || !has_socket_proto(f->key.proto))
		return true;
	now = mono_s();
	pthread_mutex_lock(&p->lock);
	pp = cache_slot(p, &f->key);
	e = *pp;
	if (!e) {
		if (p->entries >= PROC_CACHE_MAX) {
			cache_sweep(p, now);
			pp = cache_slot(p, &f->key);
		}
		if (p->entries >= PROC_CACHE_MAX || p->q_len >= PROC_QUEUE_MAX)
			goto out;
		e = calloc(1, sizeof(*e));
		if (!e)
			goto out;
		e->key = f->key;
		*pp = e;
		p->entries++;
	}
	if (e->done) {
		*out = e->info;
		hit = true;
	}
	if (!e->queued && (!e->done || e->expires <= now) &&
	    p->q_len < PROC_QUEUE_MAX) {
		p->queue[p->q_len].key = f->key;
		p->queue[p->q_len].reply = f->reply;
		p->q_len++;
		e->queued = true;
		queued = true;
	}
out:
	pthread_mutex_unlock(&p->lock);
	if (queued) {
		uint64_t one = 1;

		if (write(p->wake_fd, &one, sizeof(one)) < 0) {
			/* the worker is awake already */
		}
	}
	return hit;
}

/* ------------------------------------------------------------- sock_diag */

static uint32_t tuple_hash(const struct tuple *t)
{
	return fnv(t, sizeof(*t), 2166136261u) & (SOCK_BUCKETS - 1);
}

/* ::ffff:a.b.c.d → AF_INET a.b.c.d: dual-stack sockets serve IPv4 flows */
static void norm_addr(uint8_t *family, uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (*family == AF_INET6 && !memcmp(a, mapped, 12)) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		*family = AF_INET;
	}
}

static int add_sock(struct proc_lookup *p, const struct inet_diag_msg *m,
		    uint8_t proto)
{
	struct sock_ent *s;
	uint32_t h;

	if (grow_array((void **)&p->socks, &p->socks_cap, p->nsocks + 1,
		       sizeof(*p->socks), 1024))
		return -ENOMEM;
	s = &p->socks[p->nsocks];
	memset(&s->t, 0, sizeof(s->t));
	s->t.proto = proto;
	s->t.family = m->idiag_family;
	s->t.lport = ntohs(m->id.idiag_sport);
	s->t.rport = ntohs(m->id.idiag_dport);
	memcpy(s->t.l, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
	memcpy(s->t.r, m->id.idiag_dst, m->idiag_family == AF_INET ? 4 : 16);
	/* the family of r follows l: both are mapped or neither */
	if (s->t.family == AF_INET6) {
		uint8_t fam = AF_INET6;

		norm_addr(&s->t.family, s->t.l);
		norm_addr(&fam, s->t.r);
		if (fam != s->t.family) {
			/* mapped local, :: remote (unconnected dual-stack) */
			memset(s->t.r, 0, 16);
		}
	}
	s->uid = m->idiag_uid;
	s->inode = m->idiag_inode;
	h = tuple_hash(&s->t);
	s->next = p->sock_heads[h];
	p->sock_heads[h] = (int)p->nsocks++;
	return 0;
}

int proc_diag_parse(struct proc_lookup *p, const void *buf, size_t len,
		    uint8_t proto)
{
	const struct nlmsghdr *h;
	size_t off;

	/*
	 * Not NLMSG_OK/NLMSG_NEXT on a size_t: NEXT takes the padding of an
	 * unaligned last message off the length, which then wraps and passes
	 * the next OK check, reading past the buffer (found by fuzzing).
	 */
	for (off = 0; off + sizeof(*h) <= len; off += NLMSG_ALIGN(h->nlmsg_len)) {
		h = (const struct nlmsghdr *)((const char *)buf + off);
		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off)
			break;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			/* too short to hold the error code: not from the kernel */
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e->error)))
				return -EPROTO;
			/* no UDP-Lite in this kernel: nothing to list */
			return e->error < 0 ? e->error : 1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			continue;
		if (add_sock(p, NLMSG_DATA(h), proto))
			return -ENOMEM;
	}
	return 0;
}

/* One dump of family × proto into the socket table. 0 or -errno. */
static int dump_socks(struct proc_lookup *p, uint8_t family, uint8_t proto)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = proto,
			.idiag_states = ~0u,
		},
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	static _Thread_local char buf[65536] __attribute__((aligned(8)));

	if (sendto(p->diag_fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(p->diag_fd, buf, sizeof(buf), 0);
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = proc_diag_parse(p, buf, (size_t)n, proto);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

void proc_table_reset(struct proc_lookup *p)
{
	p->nsocks = 0;
	memset(p->sock_heads, 0xff, SOCK_BUCKETS * sizeof(int));
}

/*
 * Reloads the sockets of the protocols the batch asks about. Only those:
 * the kernel answers a TCP dump by walking its whole established hash,
 * whatever the number of sockets, which costs a view of UDP flows ~2 % of
 * a core at five dumps a second. Both families: an IPv6 socket may own an
 * IPv4 flow (v4-mapped).
 */
static int refresh_socks(struct proc_lookup *p, const struct preq *reqs,
			 size_t n)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE };
	int ret = 0;

	proc_table_reset(p);
	for (size_t i = 0; i < sizeof(protos); i++) {
		size_t k = 0;
		int r4, r6;

		while (k < n && reqs[k].key.proto != protos[i])
			k++;
		if (k == n)
			continue;	/* nobody asks about this protocol */
		r4 = dump_socks(p, AF_INET, protos[i]);
		r6 = dump_socks(p, AF_INET6, protos[i]);

		if (protos[i] == IPPROTO_TCP && (r4 || r6))
			ret = r4 ? r4 : r6;
	}
	return ret;
}

static const struct sock_ent *find_sock(const struct proc_lookup *p,
					const struct tuple *t)
{
	for (int i = p->sock_heads[tuple_hash(t)]; i >= 0; i = p->socks[i].next)
		if (!memcmp(&p->socks[i].t, t, sizeof(*t)) && p->socks[i].inode)
			return &p->socks[i];
	return NULL;
}

/* local end lk:lport, remote rk:rport of flow key k (addresses as is) */
static void tuple_of(struct tuple *t, const struct flow_key *k, bool reply_side)
{
	memset(t, 0, sizeof(*t));
	t->proto = k->proto == IPPROTO_UDPLITE ? IPPROTO_UDPLITE : k->proto;
	t->family = k->family;
	/*
	 * The local socket of the orig direction is the source; the reply
	 * tuple's source is the local end of an inbound flow.
	 */
	(void)reply_side;
	memcpy(t->l, k->src, k->family == AF_INET ? 4 : 16);
	memcpy(t->r, k->dst, k->family == AF_INET ? 4 : 16);
	t->lport = ntohs(k->sport);
	t->rport = ntohs(k->dport);
}

/*
 * The socket of a flow: connected sockets first (either end), then a
 * listener or an unconnected UDP socket on the inbound end (bound address,
 * then wildcard, then the dual-stack IPv6 wildcard), then on the outbound
 * end (unconnected UDP senders).
 */
static const struct sock_ent *sock_of(const struct proc_lookup *p,
				      const struct preq *r)
{
	const struct flow_key *sides[2] = { &r->key, &r->reply };
	const struct sock_ent *s;
	struct tuple t;

	for (int i = 0; i < 2; i++) {
		tuple_of(&t, sides[i], i);
		s = find_sock(p, &t);
		if (s)
			return s;
	}
	for (int i = 1; i >= 0; i--) {
		tuple_of(&t, sides[i], i);
		memset(t.r, 0, 16);
		t.rport = 0;
		s = find_sock(p, &t);
		if (s)
			return s;
		memset(t.l, 0, 16);
		s = find_sock(p, &t);
		if (s)
			return s;
		if (t.family == AF_INET) {
			t.family = AF_INET6;
			s = find_sock(p, &t);
			if (s)
				return s;
		}
	}
	return NULL;
}

/* ----------------------------------------------------------- inode → pid */

unsigned long proc_socket_inode(const char *link)
{
	char *end;
	unsigned long v;

	if (strncmp(link, "socket:[", 8) || !isdigit((unsigned char)link[8]))
		return 0;
	errno = 0;
	v = strtoul(link + 8, &end, 10);
	if (errno || end[0] != ']' || end[1])
		return 0;
	return v;
}

static struct inode_ent **inode_slot(struct proc_lookup *p, unsigned long ino)
{
	struct inode_ent **pp = &p->inodes[(ino * 2654435761u) & (INODE_BUCKETS - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->inode == ino)
			return pp;
	return pp;
}

static void inode_put(struct proc_lookup *p, unsigned long ino, pid_t pid, int fd)
{
	struct inode_ent **pp = inode_slot(p, ino), *e = *pp;

	if (!e) {
		if (p->ninodes >= (1u << 20))
			return;	/* a million sockets: enough memory spent */
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		e->inode = ino;
		*pp = e;
		p->ninodes++;
	}
	e->pid = pid;
	e->fd = fd;
}

static void inode_drop(struct proc_lookup *p, unsigned long ino)
{
	struct inode_ent **pp = inode_slot(p, ino), *e = *pp;

	if (e) {
		*pp = e->next;
		free(e);
		p->ninodes--;
	}
}

/* Is fd of pid still the socket ino? (cheap check of one cache entry) */
static bool inode_valid(const struct inode_ent *e)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", e->pid, e->fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return proc_socket_inode(link) == e->inode;
}

static int cmp_pid_desc(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static bool wanted_has(const unsigned long *w, size_t n, unsigned long ino)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == ino)
			return true;
	return false;
}

/*
 * Records every socket fd of every process, newest processes first (new
 * sockets mostly belong to them), until all wanted inodes were seen. A
 * process or fd that vanishes meanwhile is skipped.
 */
static void scan_proc(struct proc_lookup *p, const unsigned long *wanted,
		      size_t nwanted)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t *pids = NULL;
	size_t npids = 0, cap = 0, found = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || v <= 0)
			continue;
		if (npids == cap) {
			pid_t *n = realloc(pids, (cap = cap ? cap * 2 : 1024) * sizeof(*n));

			if (!n)
				break;
			pids = n;
		}
		pids[npids++] = (pid_t)v;
	}
	closedir(d);
	qsort(pids, npids, sizeof(*pids), cmp_pid_desc);
	for (size_t i = 0; i < npids && found < nwanted; i++) {
		char path[64];
		DIR *fdd;
		int dfd;

		snprintf(path, sizeof(path), "/proc/%d/fd", pids[i]);
		fdd = opendir(path);
		if (!fdd)
			continue;	/* exited, or a kernel thread */
		dfd = dirfd(fdd);
		while ((de = readdir(fdd))) {
			char link[64];
			unsigned long ino;
			ssize_t n;

			if (de->d_name[0] == '.')
				continue;
			n = readlinkat(dfd, de->d_name, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			ino = proc_socket_inode(link);
			if (!ino)
				continue;
			if (wanted_has(wanted, nwanted, ino) &&
			    !*inode_slot(p, ino))
				found++;
			inode_put(p, ino, pids[i], atoi(de->d_name));
		}
		closedir(fdd);
	}
	free(pids);
}

/* Program name, user: false when the process is gone. */
static bool describe(pid_t pid, struct proc_info *out)
{
	char path[64], comm[64], pwbuf[1024];
	struct passwd pw, *res = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return false;
	if (comm[n - 1] == '\n')
		n--;
	out->pid = pid;
	sanitize_text(out->comm, sizeof(out->comm), comm, (size_t)n);
	if (getpwuid_r(st.st_uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		sanitize_str(out->user, sizeof(out->user), pw.pw_name);
	else
		snprintf(out->user, sizeof(out->user), "%u", (unsigned)st.st_uid);
	return true;
}

static void publish(struct proc_lookup *p, const struct flow_key *k,
		    const struct proc_info *info)
{
	struct pentry *e;

	pthread_mutex_lock(&p->lock);
	e = *cache_slot(p, k);
	if (e) {
		e->info = *info;
		e->done = true;
		e->queued = false;
		e->expires = mono_s() + (info->pid ? PROC_TTL_FOUND : PROC_TTL_NONE);
	}
	pthread_mutex_unlock(&p->lock);
}

static void handle_batch(struct proc_lookup *p, struct preq *reqs, size_t n)
{
	const struct sock_ent **socks = calloc(n, sizeof(*socks));
	unsigned long *wanted = calloc(n, sizeof(*wanted));
	size_t nwanted = 0;

	if (!socks || !wanted || refresh_socks(p, reqs, n)) {
		/* cannot tell now: answer "unknown", asked again after the TTL */
		for (size_t i = 0; i < n; i++)
			publish(p, &reqs[i].key, &(struct proc_info){ 0 });
		free(socks);
		free(wanted);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct inode_ent *e;

		socks[i] = sock_of(p, &reqs[i]);
		if (!socks[i])
			continue;
		e = *inode_slot(p, socks[i]->inode);
		if (e && !inode_valid(e)) {
			inode_drop(p, socks[i]->inode);
			e = NULL;
		}
		if (!e)
			wanted[nwanted++] = socks[i]->inode;
	}
	if (nwanted)
		scan_proc(p, wanted, nwanted);
	for (size_t i = 0; i < n; i++) {
		/* one process owns many flows: describe each once per batch */
		static _Thread_local struct proc_info memo[32];
		static _Thread_local size_t nmemo;
		struct proc_info info = { 0 };
		struct inode_ent *e = socks[i] ? *inode_slot(p, socks[i]->inode) : NULL;
		size_t m;

		if (i == 0)
			nmemo = 0;
		for (m = 0; e && m < nmemo && memo[m].pid != e->pid; m++)
			;
		if (e && m < nmemo) {
			info = memo[m];
		} else if (e && describe(e->pid, &info)) {
			if (nmemo < 32)
				memo[nmemo++] = info;
		} else {
			memset(&info, 0, sizeof(info));
		}
		publish(p, &reqs[i].key, &info);
	}
	free(socks);
	free(wanted);
}

/* Tells a waiter (proc_set_notify_fd) that answers came in. */
static void notify(struct proc_lookup *p)
{
	int fd = atomic_load(&p->notify_fd);
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full of wake-ups already */
	}
}

void proc_set_notify_fd(struct proc_lookup *p, int fd)
{
	if (p)
		atomic_store(&p->notify_fd, fd);
}

static void *proc_worker(void *arg)
{
	struct proc_lookup *p = arg;
	struct preq *batch = malloc(PROC_QUEUE_MAX * sizeof(*batch));

	if (!batch)
		return NULL;
	while (!atomic_load(&p->stop)) {
		struct pollfd pfd = { .fd = p->wake_fd, .events = POLLIN };
		uint64_t v;
		double wait;
		size_t n;

		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		if (read(p->wake_fd, &v, sizeof(v)) < 0) {
			/* timeout: nothing new */
		}
		if (atomic_load(&p->stop))
			break;
		/* gather a batch: one socket dump serves every request in it */
		wait = p->last_scan + PROC_MIN_PERIOD - mono_s();
		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
		pthread_mutex_lock(&p->lock);
		n = p->q_len;
		memcpy(batch, p->queue, n * sizeof(*batch));
		p->q_len = 0;
		pthread_mutex_unlock(&p->lock);
		if (!n)
			continue;
		p->last_scan = mono_s();
		handle_batch(p, batch, n);
		notify(p);
	}
	free(batch);
	return NULL;
}

struct proc_lookup *proc_table_new(void)
{
	struct proc_lookup *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->sock_heads = malloc(SOCK_BUCKETS * sizeof(int));
	if (!p->sock_heads) {
		free(p);
		return NULL;
	}
	proc_table_reset(p);
	pthread_mutex_init(&p->lock, NULL);
	p->diag_fd = -1;
	p->wake_fd = -1;
	atomic_init(&p->notify_fd, -1);
	return p;
}

void proc_table_free(struct proc_lookup *p)
{
	if (!p)
		return;
	for (size_t b = 0; b < CACHE_BUCKETS; b++) {
		struct pentry *e = p->cache[b], *n;

		for (; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	for (size_t b = 0; b < INODE_BUCKETS; b++) {
		struct inode_ent *e = p->inodes[b], *n;

		for (; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	if (p->diag_fd >= 0)
		close(p->diag_fd);
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	free(p->socks);
	free(p->sock_heads);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

unsigned long proc_table_inode(const struct proc_lookup *p,
			       const struct flow_key *key,
			       const struct flow_key *reply)
{
	const struct preq r = { .key = *key, .reply = *reply };
	const struct sock_ent *s = sock_of(p, &r);

	return s ? s->inode : 0;
}

int proc_open(struct proc_lookup **out, FILE *err)
{
	struct proc_lookup *p = proc_table_new();
	int ret;

	if (!p)
		return -ENOMEM;
	p->diag_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (p->diag_fd < 0) {
		ret = -errno;
		fprintf(err, "flowtop: sock_diag netlink socket: %s; no process "
			"names (is CONFIG_INET_DIAG set?)\n", strerror(errno));
		goto fail;
	}
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->wake_fd < 0) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = -pthread_create(&p->thread, NULL, proc_worker, p);
	if (ret)
		goto fail;
	*out = p;
	return 0;
fail:
	proc_table_free(p);
	return ret;
}

void proc_close(struct proc_lookup *p)
{
	uint64_t one = 1;

	if (!p)
		return;
	atomic_store(&p->stop, true);
	if (write(p->wake_fd, &one, sizeof(one)) < 0) {
		/* the worker wakes within a second anyway */
	}
	pthread_join(p->thread, NULL);
	proc_table_free(p);
}
