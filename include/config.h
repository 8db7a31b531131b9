/* SPDX-License-Identifier: GPL-2.0 */
/* Command line → configuration. Pure: parses, validates, prints usage. */
#ifndef FLOWTOP_CONFIG_H
#define FLOWTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acct.h"
#include "sort.h"
#include "group.h"

enum output_format {
	OUTPUT_TEXT = 0,
	OUTPUT_JSON,
	OUTPUT_CSV,
};

enum ipfix_transport {
	IPFIX_UDP = 0,
	IPFIX_TCP,
};

#define IPFIX_HOST_MAX 256

struct config {
	unsigned int sel;		/* SEL_* (filter.h), already completed */
	double interval_s;		/* -t: refresh interval, > 0 */
	bool batch;			/* --batch: print snapshots, no ncurses */
	long count;			/* --count: snapshots to print, 0 = until signal */
	double wait_s;			/* --wait: seconds batch mode waits for the
					 * lookups of a snapshot before printing
					 * it, 0 = none; default the shorter of
					 * 1 s and the interval */
	enum output_format output;	/* --output */
	enum acct_kind acct;		/* --acct */
	uint32_t max_flows;		/* --max-flows, 0 = namespace's nf_conntrack_max */
	enum acct_layout counter_map;	/* --counter-map: BPF counter layout */
	int netlink_buffer;		/* --netlink-buffer bytes, 0 = default */
	bool show_src;			/* -s */
	bool bits;			/* -b */
	bool no_dns;			/* -n */
	bool no_geoip;			/* -G */
	bool update;			/* -u */
	const char *conf_dir;		/* --conf-dir */
	const char *user;		/* --user: run as this user, NULL = stay */
	/*
	 * --output none: print nothing (headless export). A flag beside
	 * output rather than a format of its own, so that the formatters
	 * never see a "format" that has no output.
	 */
	bool output_none;
	/* IPFIX export (RFC 7011); ipfix_host[0] == '\0' means off */
	char ipfix_host[IPFIX_HOST_MAX];	/* --ipfix HOST:PORT, brackets removed */
	uint16_t ipfix_port;
	enum ipfix_transport ipfix_proto;	/* --ipfix-proto */
	double ipfix_active_timeout_s;		/* --ipfix-active-timeout, default 60 */
	double ipfix_template_refresh_s;	/* --ipfix-template-refresh, default 60 */
	uint32_t ipfix_domain;			/* --ipfix-domain, default 1 */
	/*
	 * Which flows and in what order (filter_expr.h, sort.h): the
	 * view's starting filter and sort, and batch's selection. The
	 * expression is only kept here; main compiles it (it needs the
	 * service names) and exits 2 if it is bad.
	 */
	const char *filter;		/* --filter EXPR, NULL = every flow */
	enum sort_key sort;		/* --sort, default rate */
	bool sort_given;		/* --sort or --reverse given */
	bool reverse;			/* sort_item_fill's flag, --reverse applied */
	long top;			/* --top N: flows printed, 0 = all */
	/* --group-by: kind GROUP_NONE = one row per flow */
	struct group_spec group_by;
};

enum config_result {
	CONFIG_RUN = 0,		/* go on with cfg */
	CONFIG_EXIT_OK = 1,	/* --help / --version printed: exit 0 */
	CONFIG_USAGE = 2,	/* bad usage, message printed: exit 2 */
};

void config_defaults(struct config *cfg);

/* Parses argv into cfg; messages go to out (help, version) or err (errors). */
enum config_result config_parse(struct config *cfg, int argc, char **argv,
				FILE *out, FILE *err);

/* Strict number parsers used for option values: 0 or -EINVAL/-ERANGE. */
int parse_seconds(const char *s, double *out);	/* > 0, finite, e.g. "0.5" */
int parse_seconds_or_zero(const char *s, double *out);	/* also 0 */
int parse_long(const char *s, long min, long max, long *out);
/*
 * "HOST:PORT", "[V6ADDR]:PORT" → host (brackets removed) and port 1-65535.
 * A bare IPv6 address needs the brackets. 0, -EINVAL or -ERANGE.
 */
int parse_host_port(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
