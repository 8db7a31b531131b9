/* SPDX-License-Identifier: GPL-2.0 */
/* Which flows are shown: the -4 -6 -T -U -D -I -S selection. Pure logic. */
#ifndef FLOWTOP_FILTER_H
#define FLOWTOP_FILTER_H

#include <stdbool.h>
#include <stdint.h>

enum {
	SEL_IPV4 = 1u << 0,
	SEL_IPV6 = 1u << 1,
	SEL_TCP = 1u << 2,
	SEL_UDP = 1u << 3,	/* UDP and UDP-Lite */
	SEL_DCCP = 1u << 4,
	SEL_ICMP = 1u << 5,	/* ICMP for IPv4, ICMPv6 for IPv6 */
	SEL_SCTP = 1u << 6,
	SEL_FAMILIES = SEL_IPV4 | SEL_IPV6,
	SEL_PROTOS = SEL_TCP | SEL_UDP | SEL_DCCP | SEL_ICMP | SEL_SCTP,
	/* what flowtop shows when no selection flag is given */
	SEL_DEFAULT = SEL_IPV4 | SEL_IPV6 | SEL_TCP,
};

/*
 * Completes a set of flags given on the command line: flags replace the
 * default set, but a set naming only families keeps the default protocols
 * and one naming only protocols keeps both families.
 */
unsigned int sel_complete(unsigned int given);

/* The SEL_* protocol bit a flow of this family/protocol belongs to, or 0. */
unsigned int sel_proto_bit(uint8_t family, uint8_t proto);

bool sel_match(unsigned int sel, uint8_t family, uint8_t proto);

#endif
