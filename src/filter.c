// SPDX-License-Identifier: GPL-2.0
/* The -4 -6 -T -U -D -I -S selection, as netsniff-ng's flowtop defines it. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "filter.h"

unsigned int sel_complete(unsigned int given)
{
	unsigned int sel = given & (SEL_FAMILIES | SEL_PROTOS);

	if (!sel)
		return SEL_DEFAULT;
	/* "-4" alone still means TCP over IPv4; "-U" alone UDP over both */
	if (!(sel & SEL_PROTOS))
		sel |= SEL_DEFAULT & SEL_PROTOS;
	if (!(sel & SEL_FAMILIES))
		sel |= SEL_FAMILIES;
	return sel;
}

unsigned int sel_proto_bit(uint8_t family, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return SEL_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return SEL_UDP;
	case IPPROTO_DCCP:
		return SEL_DCCP;
	case IPPROTO_SCTP:
		return SEL_SCTP;
	case IPPROTO_ICMP:
		/* ICMP over IPv6 is not a thing conntrack tracks as such */
		return family == AF_INET ? SEL_ICMP : 0;
	case IPPROTO_ICMPV6:
		return family == AF_INET6 ? SEL_ICMP : 0;
	default:
		return 0;
	}
}

bool sel_match(unsigned int sel, uint8_t family, uint8_t proto)
{
	unsigned int fam;

	if (family == AF_INET)
		fam = SEL_IPV4;
	else if (family == AF_INET6)
		fam = SEL_IPV6;
	else
		return false;
	return (sel & fam) && (sel & sel_proto_bit(family, proto));
}
