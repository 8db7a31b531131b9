/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service names of ports: conf/tcp.conf and conf/udp.conf (netsniff-ng's
 * "port, name" format) first, /etc/services for the rest; TCP, UDP,
 * UDP-Lite, SCTP and DCCP. Loaded once, then read-only: lookups need no lock.
 */
#ifndef FLOWTOP_SERVICES_H
#define FLOWTOP_SERVICES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SERVICE_NAME_MAX 32	/* bytes with the NUL, as in enrich.h */

struct services;

struct services *services_new(void);
void services_free(struct services *s);

/*
 * Reads a netsniff-ng style file ("port, name" lines, '#' comments) for
 * proto (IPPROTO_TCP or IPPROTO_UDP). A malformed line is reported on err
 * as file:line and skipped; an earlier entry for a port wins. Returns the
 * number of entries taken or a negative errno (file unreadable).
 */
int services_load_conf(struct services *s, uint8_t proto, const char *path,
		       FILE *err);

/*
 * Reads an /etc/services style file ("name port/proto aliases..."): fills
 * only ports that have no name yet. Lines it cannot use are skipped
 * silently (the system file is not ours to lint). Entries taken or -errno.
 */
int services_load_etc(struct services *s, const char *path);

/*
 * tcp.conf and udp.conf found with conf_find, then /etc/services. Missing
 * files are not an error. NULL only when out of memory.
 */
struct services *services_load(const char *conf_dir, FILE *err);

/*
 * The name of port (host byte order) for proto, or NULL. UDP-Lite uses
 * the UDP names, SCTP and DCCP their own /etc/services entries and then
 * the TCP names (IANA registers a service's port for all of them).
 */
const char *services_name(const struct services *s, uint8_t proto,
			  uint16_t port);

/*
 * The ports that name (case-insensitive) names for any protocol, into
 * ports[] ascending and without repeats, at most max of them: how many
 * (0: no such service). A scan of the whole table, for filter expressions
 * (compiled once), not for every flow.
 */
size_t services_ports(const struct services *s, const char *name,
		      uint16_t *ports, size_t max);

#endif
