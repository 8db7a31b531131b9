// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag replies (proc.c): the input is a protocol byte, an original
 * and a reply flow key (2 × 40 bytes), then one received inet_diag dump
 * buffer. The buffer goes through proc_diag_parse into a socket table,
 * then the flow is looked up in it the way the process lookup does
 * (connected sockets, listeners, wildcards, dual-stack).
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow_key.h"
#include "fuzz_util.h"
#include "proc.h"

#define HDR (1 + 2 * sizeof(struct flow_key))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, 136 };
	static struct proc_lookup *p;
	struct flow_key key, reply;
	uint8_t *buf;

	if (size < HDR)
		return 0;
	/* one table for the process: calloc'ing its 1 MB each run is slow */
	if (!p)
		p = proc_table_new();
	if (!p)
		return 0;
	memcpy(&key, data + 1, sizeof(key));
	memcpy(&reply, data + 1 + sizeof(key), sizeof(reply));
	/* netlink messages are 4-byte aligned in a receive buffer */
	buf = malloc(size - HDR + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + HDR, size - HDR);
	proc_table_reset(p);
	proc_diag_parse(p, buf, size - HDR, protos[data[0] % 3]);
	proc_table_inode(p, &key, &reply);
	free(buf);
	return 0;
}
