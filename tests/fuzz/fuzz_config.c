// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line values (config.c), the IPFIX ones included: the input,
 * split at NUL bytes, is the argument list after "flowtop". It is parsed
 * twice, and both results must agree (the parser keeps no state between
 * calls); every argument also goes through the value parsers directly.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"

#define MAX_ARGS 64

static bool same(const struct config *a, const struct config *b)
{
	return a->sel == b->sel && a->interval_s == b->interval_s &&
	       a->batch == b->batch && a->count == b->count &&
	       a->output == b->output && a->acct == b->acct &&
	       a->max_flows == b->max_flows &&
	       a->netlink_buffer == b->netlink_buffer &&
	       a->show_src == b->show_src && a->bits == b->bits &&
	       a->no_dns == b->no_dns && a->no_geoip == b->no_geoip &&
	       a->update == b->update && a->conf_dir == b->conf_dir &&
	       a->output_none == b->output_none &&
	       !strcmp(a->ipfix_host, b->ipfix_host) &&
	       a->ipfix_port == b->ipfix_port &&
	       a->ipfix_proto == b->ipfix_proto &&
	       a->ipfix_active_timeout_s == b->ipfix_active_timeout_s &&
	       a->ipfix_template_refresh_s == b->ipfix_template_refresh_s &&
	       a->ipfix_domain == b->ipfix_domain;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_strdup(data, size), *argv[MAX_ARGS + 2];
	static struct config c1, c2;
	enum config_result r1, r2;
	int argc = 1;

	argv[0] = "flowtop";
	/* "-4\0-T" is two arguments, a trailing NUL adds none */
	for (size_t i = 0; i < size && argc <= MAX_ARGS; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;

	for (int i = 1; i < argc; i++) {
		char host[IPFIX_HOST_MAX];
		uint16_t port;
		double d;
		long l;

		parse_seconds(argv[i], &d);
		parse_long(argv[i], 0, LONG_MAX, &l);
		parse_long(argv[i], -5, 5, &l);
		parse_host_port(argv[i], host, sizeof(host), &port);
		parse_host_port(argv[i], host, 4, &port);
	}
	r1 = config_parse(&c1, argc, argv, fuzz_devnull(), fuzz_devnull());
	r2 = config_parse(&c2, argc, argv, fuzz_devnull(), fuzz_devnull());
	if (r1 != r2 || (r1 == CONFIG_RUN && !same(&c1, &c2)))
		abort();
	free(buf);
	return 0;
}
