// SPDX-License-Identifier: GPL-2.0
/*
 * bpf(BPF_LINK_CREATE) for netfilter programs, by raw syscall: the uapi
 * <linux/bpf.h> of Debian 12 predates the netfilter link (Linux 6.4), so
 * the part of union bpf_attr that the command reads is spelled out here.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "nf_link.h"

#ifndef BPF_LINK_CREATE
#define BPF_LINK_CREATE 28
#endif

/* union bpf_attr, member link_create, with its netfilter variant (6.4) */
struct nf_link_attr {
	uint32_t prog_fd;
	uint32_t target_fd;	/* unused for netfilter, must be 0 */
	uint32_t attach_type;	/* BPF_NETFILTER */
	uint32_t flags;		/* link flags, must be 0 */
	struct {
		uint32_t pf;		/* NFPROTO_IPV4 / NFPROTO_IPV6 */
		uint32_t hooknum;	/* NF_INET_* */
		int32_t priority;	/* relative to NF_IP_PRI_* */
		uint32_t flags;		/* BPF_F_NETFILTER_IP_DEFRAG (6.6) */
	} netfilter;
};

_Static_assert(sizeof(struct nf_link_attr) == 32,
	       "link_create with netfilter attr is 32 bytes in the uapi");

int nf_link_create(int prog_fd, uint32_t pf, uint32_t hooknum,
		   int32_t priority)
{
	struct nf_link_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (uint32_t)prog_fd;
	attr.attach_type = NF_LINK_ATTACH_TYPE;
	attr.netfilter.pf = pf;
	attr.netfilter.hooknum = hooknum;
	attr.netfilter.priority = priority;
	/* the kernel accepts a shorter attr and zero-fills the rest */
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	return (int)fd;
}
