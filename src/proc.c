// SPDX-License-Identifier: GPL-2.0
/*
 * Owning process of a flow (see proc.h): the answer cache any thread
 * asks, and the worker that answers its queue in batches with
 * proc_sock.c's socket table and proc_fd.c's inode → pid cache.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc_internal.h"
#include "util.h"

static struct pentry **cache_slot(struct proc_lookup *p,
				  const struct flow_key *k)
{
	struct pentry **pp = &p->cache[proc_fnv(k, sizeof(*k), 2166136261u) &
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

	if (!socks || !wanted || proc_refresh_socks(p, reqs, n)) {
		/* cannot tell now: answer "unknown", asked again after the TTL */
		for (size_t i = 0; i < n; i++)
			publish(p, &reqs[i].key, &(struct proc_info){ 0 });
		free(socks);
		free(wanted);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct inode_ent *e;

		socks[i] = proc_sock_of(p, &reqs[i]);
		if (!socks[i])
			continue;
		e = *proc_inode_slot(p, socks[i]->inode);
		if (e && !proc_inode_valid(e)) {
			proc_inode_drop(p, socks[i]->inode);
			e = NULL;
		}
		if (!e)
			wanted[nwanted++] = socks[i]->inode;
	}
	if (nwanted)
		proc_scan(p, wanted, nwanted);
	for (size_t i = 0; i < n; i++) {
		/* one process owns many flows: describe each once per batch */
		static _Thread_local struct proc_info memo[32];
		static _Thread_local size_t nmemo;
		struct proc_info info = { 0 };
		struct inode_ent *e = socks[i] ?
			*proc_inode_slot(p, socks[i]->inode) : NULL;
		size_t m;

		if (i == 0)
			nmemo = 0;
		for (m = 0; e && m < nmemo && memo[m].pid != e->pid; m++)
			;
		if (e && m < nmemo) {
			info = memo[m];
		} else if (e && proc_describe(e->pid, &info)) {
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
	thread_background(p->thread);	/* a /proc scan never preempts the view */
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
