// SPDX-License-Identifier: GPL-2.0
/* The socket table: a sock_diag (inet_diag) dump, by tuple (see proc.h). */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc_internal.h"
#include "util.h"

/* ------------------------------------------------------------- sock_diag */

static uint32_t tuple_hash(const struct tuple *t)
{
	return proc_fnv(t, sizeof(*t), 2166136261u) & (SOCK_BUCKETS - 1);
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
int proc_refresh_socks(struct proc_lookup *p, const struct preq *reqs,
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
const struct sock_ent *proc_sock_of(const struct proc_lookup *p,
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


unsigned long proc_table_inode(const struct proc_lookup *p,
			       const struct flow_key *key,
			       const struct flow_key *reply)
{
	const struct preq r = { .key = *key, .reply = *reply };
	const struct sock_ent *s = proc_sock_of(p, &r);

	return s ? s->inode : 0;
}

