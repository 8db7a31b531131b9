// SPDX-License-Identifier: GPL-2.0
/* Command line parsing: strict values, usage on stderr, no side effects. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "config.h"
#include "filter.h"
#include "sanitize.h"

/* Beyond this an interval stops being a refresh rate and is a typo. */
#define MAX_INTERVAL_S (24.0 * 3600)
#define MAX_MAX_FLOWS (1L << 26)
#define MIN_NETLINK_BUFFER 4096L
#define MAX_NETLINK_BUFFER (1L << 30)

enum long_only_opt {
	OPT_BATCH = 0x100,
	OPT_COUNT,
	OPT_OUTPUT,
	OPT_ACCT,
	OPT_MAX_FLOWS,
	OPT_COUNTER_MAP,
	OPT_NETLINK_BUFFER,
	OPT_CONF_DIR,
	OPT_USER,
	OPT_IPFIX,
	OPT_IPFIX_PROTO,
	OPT_IPFIX_ACTIVE_TIMEOUT,
	OPT_IPFIX_DOMAIN,
	OPT_IPFIX_TEMPLATE_REFRESH,
	OPT_FILTER,
	OPT_SORT,
	OPT_REVERSE,
	OPT_TOP,
	OPT_GROUP_BY,
	OPT_WAIT,
};

static const struct option long_opts[] = {
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "tcp", no_argument, NULL, 'T' },
	{ "udp", no_argument, NULL, 'U' },
	{ "dccp", no_argument, NULL, 'D' },
	{ "icmp", no_argument, NULL, 'I' },
	{ "sctp", no_argument, NULL, 'S' },
	{ "no-dns", no_argument, NULL, 'n' },
	{ "no-geoip", no_argument, NULL, 'G' },
	{ "show-src", no_argument, NULL, 's' },
	{ "bits", no_argument, NULL, 'b' },
	{ "update", no_argument, NULL, 'u' },
	{ "interval", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "batch", no_argument, NULL, OPT_BATCH },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "acct", required_argument, NULL, OPT_ACCT },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "counter-map", required_argument, NULL, OPT_COUNTER_MAP },
	{ "netlink-buffer", required_argument, NULL, OPT_NETLINK_BUFFER },
	{ "conf-dir", required_argument, NULL, OPT_CONF_DIR },
	{ "user", required_argument, NULL, OPT_USER },
	{ "ipfix", required_argument, NULL, OPT_IPFIX },
	{ "ipfix-proto", required_argument, NULL, OPT_IPFIX_PROTO },
	{ "ipfix-active-timeout", required_argument, NULL, OPT_IPFIX_ACTIVE_TIMEOUT },
	{ "ipfix-domain", required_argument, NULL, OPT_IPFIX_DOMAIN },
	{ "ipfix-template-refresh", required_argument, NULL, OPT_IPFIX_TEMPLATE_REFRESH },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "reverse", no_argument, NULL, OPT_REVERSE },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "group-by", required_argument, NULL, OPT_GROUP_BY },
	{ NULL, 0, NULL, 0 },
};

static const char short_opts[] = "46TUDISnGsbut:vh";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flowtop [options]\n"
"Shows the flows the kernel's connection tracking knows, with per-flow counters.\n"
"\n"
"Selection (any of these replaces the default: IPv4 + IPv6, TCP):\n"
"  -4, --ipv4             IPv4 flows\n"
"  -6, --ipv6             IPv6 flows\n"
"  -T, --tcp              TCP flows\n"
"  -U, --udp              UDP and UDP-Lite flows\n"
"  -D, --dccp             DCCP flows\n"
"  -I, --icmp             ICMP (IPv4) and ICMPv6 (IPv6) flows\n"
"  -S, --sctp             SCTP flows\n"
"Display:\n"
"  -t, --interval SEC     refresh interval in seconds, fractions allowed (default 1)\n"
"  -s, --show-src         show the source of each flow too\n"
"  -b, --bits             rates in bits per second instead of bytes\n"
"  -n, --no-dns           no reverse DNS lookups\n"
"  -G, --no-geoip         no GeoIP lookups\n"
"  -u, --update           update the GeoIP databases and exit\n"
"Which flows, in what order (the view starts with them too):\n"
"      --filter EXPR      only flows matching EXPR, e.g. 'dport 443 and\n"
"                         src 192.0.2.0/24', 'bytes > 1M', 'not proto udp'\n"
"                         (FILTER EXPRESSIONS in flowtop(8))\n"
"      --sort KEY         rate, bytes, packets, age, proto, state, destination,\n"
"                         port, process or country; -KEY largest first, +KEY\n"
"                         smallest first (default: rate, highest first)\n"
"      --reverse          the other way round\n"
"      --top N            batch: print only the first N flows (after --filter\n"
"                         and --sort)\n"
"Batch mode:\n"
"      --batch            print snapshots to stdout instead of the interactive view\n"
"      --count N          snapshots to print, 0 = until interrupted (default 1)\n"
"      --output FORMAT    text, json, csv or none (default text); none prints\n"
"                         nothing: with --count 0 and --ipfix it is the headless\n"
"                         exporter for a service\n"
"      --group-by KEY     one row per group of flows instead of one per flow:\n"
"                         src, dst, host (the client: original source),\n"
"                         net/N (IPv4 source network), net6/N (IPv6), both as\n"
"                         net/N,net6/M, country, asn (of the destination),\n"
"                         process, proto or port (the service: original\n"
"                         destination port); in the view: the groups tab's key\n"
"      --wait SEC         before printing a snapshot, wait up to SEC for the\n"
"                         process and name lookups of its flows; 0 = do not\n"
"                         wait (default: 1, or the interval when shorter)\n"
"Collection:\n"
"      --acct BACKEND     counters from auto, netfilter, fentry, kprobe or conntrack\n"
"      --max-flows N      counter map size (default: nf_conntrack_max)\n"
"      --counter-map L    BPF counter layout: slots (mmap()ed arrays, default)\n"
"                         or lru (per-CPU LRU hash read with batch lookups)\n"
"      --netlink-buffer BYTES  conntrack event socket buffer (default 16 MiB)\n"
"      --conf-dir DIR     configuration directory (default " FLOWTOP_SYSCONFDIR ")\n"
"      --user NAME        after start-up run as user NAME and its groups, keeping\n"
"                         only CAP_NET_ADMIN (see CAPABILITIES in flowtop(8))\n"
"IPFIX export (RFC 7011, biflow records):\n"
"      --ipfix HOST:PORT  send flow records to a collector ([ADDR]:PORT for IPv6)\n"
"      --ipfix-proto P    udp or tcp (default udp)\n"
"      --ipfix-active-timeout SEC  a record for long flows every SEC (default 60)\n"
"      --ipfix-domain ID  observation domain id, 0-4294967295 (default 1)\n"
"      --ipfix-template-refresh SEC  resend templates over UDP every SEC (default 60)\n"
"  -v, --version          print the version and exit\n"
"  -h, --help             print this help and exit\n");
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol would skip leading blanks: a value is only digits */
	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_seconds_or_zero(const char *s, double *out)
{
	char *end;
	double v;

	/* "0", "0.0": no wait; anything else as parse_seconds says */
	if (s && *s >= '0' && *s <= '9' && !strpbrk(s, "xXnNiI")) {
		v = strtod(s, &end);
		if (*end == '\0' && v == 0) {
			*out = 0;
			return 0;
		}
	}
	return parse_seconds(s, out);
}

int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* strtod also takes "inf", "nan" and hex floats: only plain decimals */
	if (*end != '\0' || end == s || strpbrk(s, "xXnNiI"))
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v) || v <= 0 || v > MAX_INTERVAL_S)
		return -ERANGE;
	/* below a millisecond the timer cannot honour it */
	if (v < 0.001)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_host_port(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = s;
	size_t n;
	long v;
	int ret;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '[') {
		/* [2001:db8::1]:4739: the brackets keep the port apart */
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		n = (size_t)(close - h);
		colon = close + 1;
		if (!memchr(h, ':', n))
			return -EINVAL;	/* brackets are for IPv6 only */
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - s);
		/* a second colon: an IPv6 address without brackets */
		if (memchr(s, ':', n))
			return -EINVAL;
	}
	if (n == 0)
		return -EINVAL;
	if (n >= hostlen)
		return -ERANGE;
	for (size_t i = 0; i < n; i++)
		if (isspace((unsigned char)h[i]) || h[i] == '[' || h[i] == ']' ||
		    h[i] == '/')
			return -EINVAL;
	ret = parse_long(colon + 1, 1, 65535, &v);
	if (ret)
		return ret;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (uint16_t)v;
	return 0;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sel = SEL_DEFAULT;
	cfg->interval_s = 1.0;
	cfg->count = 1;
	cfg->wait_s = -1;	/* not given: see config_parse */
	cfg->output = OUTPUT_TEXT;
	cfg->acct = ACCT_AUTO;
	cfg->counter_map = ACCT_LAYOUT_SLOTS;
	cfg->conf_dir = FLOWTOP_SYSCONFDIR;
	cfg->ipfix_proto = IPFIX_UDP;
	cfg->ipfix_active_timeout_s = 60.0;
	cfg->ipfix_template_refresh_s = 60.0;
	cfg->ipfix_domain = 1;
}

/*
 * A user name as useradd(8) takes it (portable characters, at most 32,
 * an optional final '$' for machine accounts); all digits would read as
 * a uid, which --user does not take.
 */
static bool valid_user_name(const char *s)
{
	size_t n = strlen(s);
	bool digits = true;

	if (n == 0 || n > 32 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool digit = c >= '0' && c <= '9';

		if (c == '$' && i == n - 1)
			continue;
		/* ASCII only, whatever the locale */
		if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    c != '_' && c != '-' && c != '.')
			return false;
		if (!digit)
			digits = false;
	}
	return !digits;
}

static enum config_result bad_value(FILE *err, const char *opt,
				    const char *val, const char *want)
{
	char shown[80];

	/* the value goes to a terminal: no escape bytes, no 100 kB echo */
	sanitize_str(shown, sizeof(shown), val);
	fprintf(err, "flowtop: invalid value '%s' for %s: %s\n", shown, opt,
		want);
	usage(err);
	return CONFIG_USAGE;
}

enum config_result config_parse(struct config *cfg, int argc, char **argv,
				FILE *out, FILE *err)
{
	unsigned int sel = 0;
	const char *ipfix_opt = NULL;	/* an --ipfix-* option seen */
	bool sort_rev = false, reverse = false;
	long v;
	int c;

	config_defaults(cfg);
	/*
	 * 0, not 1: only that resets glibc's getopt fully. With 1, a call after
	 * one that returned in the middle of "-mnb" (unknown -m) resumed at
	 * "nb" of the old argv (found by fuzzing; unit tests parse many times).
	 */
	optind = 0;
	opterr = 0;	/* our own messages, to err */
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (c) {
		case '4': sel |= SEL_IPV4; break;
		case '6': sel |= SEL_IPV6; break;
		case 'T': sel |= SEL_TCP; break;
		case 'U': sel |= SEL_UDP; break;
		case 'D': sel |= SEL_DCCP; break;
		case 'I': sel |= SEL_ICMP; break;
		case 'S': sel |= SEL_SCTP; break;
		case 'n': cfg->no_dns = true; break;
		case 'G': cfg->no_geoip = true; break;
		case 's': cfg->show_src = true; break;
		case 'b': cfg->bits = true; break;
		case 'u': cfg->update = true; break;
		case 't':
			if (parse_seconds(optarg, &cfg->interval_s))
				return bad_value(err, "-t/--interval", optarg,
					"a number of seconds > 0, e.g. 1 or 0.5");
			break;
		case OPT_BATCH:
			cfg->batch = true;
			break;
		case OPT_COUNT:
			if (parse_long(optarg, 0, LONG_MAX, &v))
				return bad_value(err, "--count", optarg,
					"a whole number >= 0 (0 = run until interrupted)");
			cfg->count = v;
			break;
		case OPT_WAIT:
			if (parse_seconds_or_zero(optarg, &cfg->wait_s))
				return bad_value(err, "--wait", optarg,
					"a number of seconds >= 0, e.g. 1 or 0.5 "
					"(0 = do not wait)");
			break;
		case OPT_OUTPUT:
			if (!strcmp(optarg, "text"))
				cfg->output = OUTPUT_TEXT;
			else if (!strcmp(optarg, "json"))
				cfg->output = OUTPUT_JSON;
			else if (!strcmp(optarg, "csv"))
				cfg->output = OUTPUT_CSV;
			else if (!strcmp(optarg, "none"))
				cfg->output_none = true;
			else
				return bad_value(err, "--output", optarg,
					"one of text, json, csv, none");
			/* the last --output wins, as for every option */
			if (strcmp(optarg, "none"))
				cfg->output_none = false;
			break;
		case OPT_ACCT:
			if (acct_kind_parse(optarg, &cfg->acct))
				return bad_value(err, "--acct", optarg,
					"one of auto, netfilter, fentry, kprobe, conntrack");
			break;
		case OPT_MAX_FLOWS:
			if (parse_long(optarg, 1, MAX_MAX_FLOWS, &v))
				return bad_value(err, "--max-flows", optarg,
					"a whole number from 1 to 67108864");
			cfg->max_flows = (uint32_t)v;
			break;
		case OPT_COUNTER_MAP:
			if (acct_layout_parse(optarg, &cfg->counter_map))
				return bad_value(err, "--counter-map", optarg,
					"slots or lru");
			break;
		case OPT_NETLINK_BUFFER:
			if (parse_long(optarg, MIN_NETLINK_BUFFER,
				       MAX_NETLINK_BUFFER, &v))
				return bad_value(err, "--netlink-buffer", optarg,
					"bytes from 4096 to 1073741824");
			cfg->netlink_buffer = (int)v;
			break;
		case OPT_USER:
			if (!valid_user_name(optarg))
				return bad_value(err, "--user", optarg,
					"a user name: up to 32 letters, digits, "
					"'_', '-' or '.', not starting with '-' "
					"and not only digits");
			cfg->user = optarg;
			break;
		case OPT_GROUP_BY: {
			char why[200];

			if (group_spec_parse(optarg, &cfg->group_by, why,
					     sizeof(why)))
				return bad_value(err, "--group-by", optarg, why);
			break;
		}
		case OPT_CONF_DIR:
			if (!*optarg)
				return bad_value(err, "--conf-dir", optarg,
						 "a directory");
			cfg->conf_dir = optarg;
			break;
		case OPT_IPFIX:
			if (parse_host_port(optarg, cfg->ipfix_host,
					    sizeof(cfg->ipfix_host),
					    &cfg->ipfix_port))
				return bad_value(err, "--ipfix", optarg,
					"HOST:PORT with a port from 1 to 65535, "
					"e.g. 127.0.0.1:4739 or [::1]:4739");
			break;
		case OPT_IPFIX_PROTO:
			ipfix_opt = "--ipfix-proto";
			if (!strcmp(optarg, "udp"))
				cfg->ipfix_proto = IPFIX_UDP;
			else if (!strcmp(optarg, "tcp"))
				cfg->ipfix_proto = IPFIX_TCP;
			else
				return bad_value(err, "--ipfix-proto", optarg,
						 "udp or tcp");
			break;
		case OPT_IPFIX_ACTIVE_TIMEOUT:
			ipfix_opt = "--ipfix-active-timeout";
			if (parse_seconds(optarg, &cfg->ipfix_active_timeout_s))
				return bad_value(err, "--ipfix-active-timeout",
					optarg, "a number of seconds > 0, e.g. 60");
			break;
		case OPT_IPFIX_TEMPLATE_REFRESH:
			ipfix_opt = "--ipfix-template-refresh";
			if (parse_seconds(optarg, &cfg->ipfix_template_refresh_s))
				return bad_value(err, "--ipfix-template-refresh",
					optarg, "a number of seconds > 0, e.g. 60");
			break;
		case OPT_IPFIX_DOMAIN:
			ipfix_opt = "--ipfix-domain";
			if (parse_long(optarg, 0, UINT32_MAX, &v))
				return bad_value(err, "--ipfix-domain", optarg,
					"a whole number from 0 to 4294967295");
			cfg->ipfix_domain = (uint32_t)v;
			break;
		case OPT_FILTER:
			cfg->filter = optarg;
			break;
		case OPT_SORT: {
			bool rev;

			if (sort_key_parse(optarg, &cfg->sort, &rev))
				return bad_value(err, "--sort", optarg,
					"one of rate, bytes, packets, age, proto, "
					"state, destination, port, process, "
					"country, optionally after - or +");
			sort_rev = rev;
			cfg->sort_given = true;
			break;
		}
		case OPT_REVERSE:
			reverse = true;
			cfg->sort_given = true;
			break;
		case OPT_TOP:
			if (parse_long(optarg, 1, INT32_MAX, &v))
				return bad_value(err, "--top", optarg,
					"a whole number of flows >= 1");
			cfg->top = v;
			break;
		case 'v':
			fprintf(out, "flowtop %s\n", FLOWTOP_VERSION);
			return CONFIG_EXIT_OK;
		case 'h':
			usage(out);
			return CONFIG_EXIT_OK;
		case ':':
		case '?':
		default: {
			char shown[80], ch[2] = { (char)optopt, '\0' };

			sanitize_str(shown, sizeof(shown), argv[optind - 1]);
			if (optopt == 0)
				fprintf(err, "flowtop: unknown option '%s'\n",
					shown);
			else if (optopt >= 0x100)
				fprintf(err, "flowtop: option '%s' needs a value\n",
					shown);
			else if (strchr(short_opts, optopt))
				fprintf(err, "flowtop: option -%c needs a value\n",
					optopt);
			else
				fprintf(err, "flowtop: unknown option -%s\n",
					sanitize_str(shown, sizeof(shown), ch) ?
					shown : "?");
			usage(err);
			return CONFIG_USAGE;
		}
		}
	}
	if (optind < argc) {
		char shown[80];

		sanitize_str(shown, sizeof(shown), argv[optind]);
		fprintf(err, "flowtop: unexpected argument '%s'\n", shown);
		usage(err);
		return CONFIG_USAGE;
	}
	if (ipfix_opt && !cfg->ipfix_host[0]) {
		fprintf(err, "flowtop: '%s' configures the IPFIX export, which "
			"is off: add --ipfix HOST:PORT\n", ipfix_opt);
		return CONFIG_USAGE;
	}
	if (cfg->user && cfg->update) {
		fprintf(err, "flowtop: --user is for the monitoring run; run -u "
			"as the user that owns the GeoIP database files\n");
		return CONFIG_USAGE;
	}
	if (cfg->output_none && !cfg->batch) {
		fprintf(err, "flowtop: --output none is for --batch: add --batch "
			"(and --ipfix HOST:PORT to export)\n");
		return CONFIG_USAGE;
	}
	if (cfg->output_none && !cfg->ipfix_host[0]) {
		fprintf(err, "flowtop: --output none without --ipfix would "
			"produce nothing; add --ipfix HOST:PORT\n");
		return CONFIG_USAGE;
	}
	if (cfg->top && !cfg->batch) {
		fprintf(err, "flowtop: --top is for --batch (the view shows "
			"what fits on the screen)\n");
		return CONFIG_USAGE;
	}
	/* --reverse turns whatever order --sort gave around */
	cfg->reverse = sort_rev != reverse;
	if (cfg->wait_s >= 0 && !cfg->batch) {
		fprintf(err, "flowtop: --wait is for --batch (the interactive "
			"view never waits for lookups)\n");
		return CONFIG_USAGE;
	}
	/* a wait longer than the interval would make snapshots pile up */
	if (cfg->wait_s < 0)
		cfg->wait_s = cfg->interval_s < 1.0 ? cfg->interval_s : 1.0;
	cfg->sel = sel_complete(sel);
	return CONFIG_RUN;
}
