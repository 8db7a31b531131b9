/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who and where: reverse DNS, GeoIP, service names and the owning process
 * of a flow, for the front ends (UI, batch output). Every call here is
 * non-blocking and safe from any thread: lookups that need the network or
 * a /proc scan run in enrichment workers and fill caches; a call returns
 * what the caches hold now (and may queue the work for next time).
 */
#ifndef FLOWTOP_ENRICH_H
#define FLOWTOP_ENRICH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowtab.h"

struct enrich_config {
	const char *conf_dir;	/* --conf-dir, or NULL for the search order */
	bool dns;		/* reverse DNS wanted (no -n) */
	bool geoip;		/* GeoIP wanted (no -G) */
	bool process;		/* owning process lookups */
};

/* Names are already sanitized: printable UTF-8, no control characters. */
struct geo_info {
	char country_code[3];	/* ISO 3166-1 alpha-2, "" if unknown */
	char country[64];
	char city[64];
	uint32_t asn;		/* 0 if unknown */
	char as_org[96];
};

struct endpoint_info {
	char host[256];		/* reverse DNS name, "" if none (yet) */
	struct geo_info geo;
	char service[32];	/* service name of the port, "" if none */
};

struct proc_info {
	pid_t pid;		/* 0 if the flow has no local socket (or unknown yet) */
	char comm[64];		/* program name */
	char user[64];		/* user name (or numeric uid) */
};

struct flow_info {
	struct endpoint_info src;	/* original source */
	struct endpoint_info dst;	/* original destination */
	struct proc_info proc;
};

struct enrich;

/*
 * Starts the workers. Optional parts that fail (no GeoIP database, DNS
 * unusable) are turned off with one notice line on stderr; only a hard
 * error (out of memory) fails. 0 or a negative errno.
 */
int enrich_open(struct enrich **out, const struct enrich_config *cfg);
void enrich_close(struct enrich *e);

/* Fills *out for f from the caches; never blocks. */
void enrich_flow(struct enrich *e, const struct flow *f, struct flow_info *out);

struct services;
/* The service name table (read-only), for filter expressions; NULL if none. */
const struct services *enrich_services(const struct enrich *e);

/*
 * Whether every lookup enrich_flow makes for f has its answer in the
 * caches (a name or none, a process or none); the ones that have not are
 * queued as enrich_flow queues them. Never blocks. For batch mode, which
 * waits for the flows it is about to print (enrich_wait.h).
 */
bool enrich_flow_answered(struct enrich *e, const struct flow *f);

/*
 * An eventfd (non-blocking) that the lookup workers write to whenever
 * answers came in: poll it, read it to reset it. -1 for e NULL.
 */
int enrich_answer_fd(const struct enrich *e);

/* Run-time switches (UI keys n and g). */
void enrich_set_dns(struct enrich *e, bool on);
void enrich_set_geoip(struct enrich *e, bool on);

/*
 * SIGUSR1: the GeoIP databases are read again (by their watcher thread,
 * not the caller's). Nothing to do for e NULL: no database is open then.
 */
void enrich_reload(struct enrich *e);

#endif
