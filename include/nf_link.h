/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching a BPF_PROG_TYPE_NETFILTER program (Linux >= 6.4) with libbpf
 * 1.1 and Debian 12's uapi headers, which know neither the program type nor
 * the BPF_NETFILTER link: a raw bpf(BPF_LINK_CREATE) with our own copy of
 * the attribute layout. Newer libbpf has bpf_program__attach_netfilter().
 */
#ifndef FLOWTOP_NF_LINK_H
#define FLOWTOP_NF_LINK_H

#include <stdint.h>

#define NF_LINK_PROG_TYPE	32	/* BPF_PROG_TYPE_NETFILTER */
#define NF_LINK_ATTACH_TYPE	45	/* BPF_NETFILTER */

/*
 * Hooks prog_fd at (pf, hooknum) with priority. Returns the link fd (the
 * hook stays while it is open) or a negative errno. The hook belongs to the
 * network namespace of the calling thread.
 */
int nf_link_create(int prog_fd, uint32_t pf, uint32_t hooknum,
		   int32_t priority);

#endif
