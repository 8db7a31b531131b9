// SPDX-License-Identifier: GPL-2.0
/*
 * acct_loadcheck KIND: loads the BPF program of one accounting backend
 * (netfilter, fentry, kprobe) through the verifier without attaching it,
 * once per counter layout (slots, lru: each is a different program for
 * the verifier). Shows that a backend's program is valid on a kernel
 * where it cannot attach (kprobe without CONFIG_KPROBES). Exit 0 when
 * every layout loads, else 1.
 */
#include <stdio.h>

#include "acct.h"

int main(int argc, char **argv)
{
	enum acct_kind kind;
	char err[512];

	if (argc != 2 || acct_kind_parse(argv[1], &kind)) {
		fprintf(stderr, "usage: acct_loadcheck netfilter|fentry|kprobe\n");
		return 2;
	}
	if (acct_load_only(kind, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: loaded (slots and lru counter layouts)\n",
	       acct_kind_name(kind));
	return 0;
}
