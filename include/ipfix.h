/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX export (RFC 7011) of the flows in the snapshots, to standard flow
 * collectors (nfdump's nfcapd, pmacct, GoFlow2 ...).
 *
 * Three layers, each usable alone (tests and benchmarks do):
 *  - the meter (ipfix_meter.c, pure): turns the stream of snapshots into
 *    data records: delta counters since the flow's previous record, an
 *    active-timeout record for long flows, an end record when conntrack
 *    destroys a flow. Every byte of a flow goes into exactly one record.
 *  - the encoder (ipfix.c): data records → IPFIX messages with CERT's
 *    libfixbuf, over UDP or TCP (or into a file for tests).
 *  - the exporter (ipfix.c): its own thread fed by the collector's
 *    on_snapshot hook through a short queue, so that a slow or absent
 *    collector never stalls the flow table.
 *
 * Records are RFC 5103 biflows: the original direction in octetDeltaCount
 * / packetDeltaCount, the reply direction in the reverse elements
 * (enterprise 29305), which nfdump stores as its "out" bytes/packets.
 */
#ifndef FLOWTOP_IPFIX_H
#define FLOWTOP_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "snapshot.h"

/* flowEndReason (IANA IE 136, RFC 5102) */
enum ipfix_end_reason {
	IPFIX_END_IDLE = 1,
	IPFIX_END_ACTIVE = 2,	/* active timeout: the flow goes on */
	IPFIX_END_EOF = 3,	/* conntrack destroyed the flow */
	IPFIX_END_FORCED = 4,	/* flowtop stopped while the flow was live */
	IPFIX_END_LACK = 5,	/* flow gone without its DESTROY reaching us
				 * (event loss, queue overflow): its last
				 * interval may be missing */
};

/* what a record carries besides addresses: picks the template */
enum ipfix_rec_kind {
	IPFIX_KIND_PLAIN = 0,	/* no ports (GRE ...) */
	IPFIX_KIND_PORTS = 1,	/* TCP, UDP, UDP-Lite, SCTP, DCCP */
	IPFIX_KIND_ICMP = 2,	/* ICMP / ICMPv6: type and code */
	IPFIX_KIND_COUNT = 3,
};

/*
 * One biflow data record. It is also the libfixbuf internal record: the
 * internal template in ipfix.c lists these fields in this order, so keep
 * both in step. Numbers in host byte order (libfixbuf converts), IPv6
 * addresses as the 16 bytes of the wire.
 */
struct ipfix_record {
	uint64_t start_ms;		/* flowStartMilliseconds (152) */
	uint64_t end_ms;		/* flowEndMilliseconds (153) */
	uint64_t octets;		/* octetDeltaCount (1): original direction */
	uint64_t packets;		/* packetDeltaCount (2) */
	uint64_t rev_octets;		/* reverseOctetDeltaCount (29305/1): reply */
	uint64_t rev_packets;		/* reversePacketDeltaCount (29305/2) */
	uint8_t src6[16];		/* sourceIPv6Address (27) */
	uint8_t dst6[16];		/* destinationIPv6Address (28) */
	uint8_t nat_src6[16];		/* postNATSourceIPv6Address (281) */
	uint8_t nat_dst6[16];		/* postNATDestinationIPv6Address (282) */
	uint32_t src4;			/* sourceIPv4Address (8) */
	uint32_t dst4;			/* destinationIPv4Address (12) */
	uint32_t nat_src4;		/* postNATSourceIPv4Address (225) */
	uint32_t nat_dst4;		/* postNATDestinationIPv4Address (226) */
	uint16_t sport;			/* sourceTransportPort (7) */
	uint16_t dport;			/* destinationTransportPort (11) */
	uint16_t nat_sport;		/* postNAPTSourceTransportPort (227) */
	uint16_t nat_dport;		/* postNAPTDestinationTransportPort (228) */
	uint16_t icmp4;			/* icmpTypeCodeIPv4 (32): type << 8 | code */
	uint16_t icmp6;			/* icmpTypeCodeIPv6 (139) */
	uint8_t proto;			/* protocolIdentifier (4) */
	uint8_t end_reason;		/* flowEndReason (136) */
	/* not exported (padding in the internal template): */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t kind : 2;		/* enum ipfix_rec_kind */
	uint8_t nat : 1;		/* post-NAT fields are set */
};

/* ---- meter: snapshots → records (pure, no I/O) ----------------------- */

struct ipfix_meter;

/* Called for each record; a non-zero return is counted, the state moves on
 * anyway (a record lost in transport is not sent twice). */
typedef int (*ipfix_emit_fn)(const struct ipfix_record *r, void *arg);

struct ipfix_meter_stats {
	uint64_t records;	/* emitted */
	uint64_t emit_errors;	/* emit returned non-zero */
	uint64_t active;	/* records by reason */
	uint64_t ended;
	uint64_t vanished;
	uint64_t forced;
	size_t tracked;		/* flows in the table now */
};

struct ipfix_meter *ipfix_meter_new(double active_timeout_s);
void ipfix_meter_free(struct ipfix_meter *m);

/*
 * Takes one snapshot (each snapshot once, in order; some may be skipped).
 * Emits an end record (IPFIX_END_EOF) for each flow destroyed in it, an
 * active-timeout record for each live flow whose timeout elapsed and that
 * had traffic since its last record, and an end record (IPFIX_END_LACK)
 * for each flow that is no longer in the snapshot without having been seen
 * destroyed. Flows are told apart by original tuple, zone and conntrack id.
 */
void ipfix_meter_process(struct ipfix_meter *m, const struct snapshot *s,
			 ipfix_emit_fn emit, void *arg);

/*
 * Shutdown: a record with reason for every tracked flow that has counts
 * not yet exported or was never exported, then forgets all flows.
 */
void ipfix_meter_flush(struct ipfix_meter *m, uint64_t now_ms, uint8_t reason,
		       ipfix_emit_fn emit, void *arg);

void ipfix_meter_get_stats(const struct ipfix_meter *m,
			   struct ipfix_meter_stats *st);

/* Fills the address, port/ICMP and NAT fields of r from a flow's tuples. */
void ipfix_record_from_tuples(struct ipfix_record *r,
			      const struct flow_key *key,
			      const struct flow_key *reply);

/* ---- encoder: records → IPFIX messages (libfixbuf) ------------------- */

struct ipfix_encoder;

struct ipfix_encoder_stats {
	uint64_t records;	/* handed to libfixbuf */
	uint64_t lost;		/* records in messages that failed to send */
	uint64_t errors;	/* transport errors (each resets the session) */
	uint64_t template_sends;
};

/* To a collector; TCP connects at once so that a refused connection is
 * reported here. 0 or a negative errno with a reason in err. */
int ipfix_encoder_open_net(struct ipfix_encoder **e, const char *host,
			   uint16_t port, enum ipfix_transport proto,
			   uint32_t domain, char *err, size_t errlen);
/* To a file, as an IPFIX file (RFC 5655 framing = plain messages). */
int ipfix_encoder_open_file(struct ipfix_encoder **e, const char *path,
			    uint32_t domain, char *err, size_t errlen);
/* Queues every template for the next message (UDP refresh). */
int ipfix_encoder_templates(struct ipfix_encoder *e);
int ipfix_encoder_add(struct ipfix_encoder *e, const struct ipfix_record *r);
/* Sends everything queued. */
int ipfix_encoder_flush(struct ipfix_encoder *e);
/* Flushes, closes, frees. NULL is fine. */
void ipfix_encoder_close(struct ipfix_encoder *e);
void ipfix_encoder_get_stats(const struct ipfix_encoder *e,
			     struct ipfix_encoder_stats *st);
/* the last transport error, "" if none */
const char *ipfix_encoder_last_error(const struct ipfix_encoder *e);
/* an ipfix_emit_fn that adds to the encoder given as arg */
int ipfix_encoder_emit(const struct ipfix_record *r, void *arg);

/* ---- exporter: the thread behind the collector's on_snapshot hook ---- */

struct ipfix_exporter;

/* Starts the export thread for cfg->ipfix_*. 0 or a negative errno with a
 * reason in err. */
int ipfix_open(struct ipfix_exporter **ex, const struct config *cfg,
	       char *err, size_t errlen);

/* The collector's on_snapshot hook (arg = the exporter): queues s, never
 * blocks. When the queue is full the oldest queued snapshot is dropped
 * (counted): the next one carries the cumulative counters. */
void ipfix_on_snapshot(struct snapshot *s, void *arg);

/*
 * Exports what is queued, then a final record (IPFIX_END_FORCED) for each
 * live flow with unexported counts, sends, stops the thread, prints a
 * summary to stderr and frees. NULL is fine.
 */
void ipfix_close(struct ipfix_exporter *ex);

#endif
