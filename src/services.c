// SPDX-License-Identifier: GPL-2.0
/* Service names of ports (services.h). */
#include "services.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"
#include "sanitize.h"
#include "util.h"

enum { SVC_TCP, SVC_UDP, SVC_SCTP, SVC_DCCP, SVC_NPROTO };

/* One name per port and protocol; names live in one growing pool. */
struct services {
	uint32_t *idx[SVC_NPROTO];	/* 65536 offsets+1 into pool, 0 = none */
	char *pool;
	size_t pool_len, pool_cap;
};

struct services *services_new(void)
{
	struct services *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	for (int i = 0; i < SVC_NPROTO; i++) {
		s->idx[i] = calloc(65536, sizeof(uint32_t));
		if (!s->idx[i]) {
			services_free(s);
			return NULL;
		}
	}
	return s;
}

void services_free(struct services *s)
{
	if (!s)
		return;
	for (int i = 0; i < SVC_NPROTO; i++)
		free(s->idx[i]);
	free(s->pool);
	free(s);
}

static int proto_slot(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:	return SVC_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:	return SVC_UDP;
	case IPPROTO_SCTP:	return SVC_SCTP;
	case IPPROTO_DCCP:	return SVC_DCCP;
	}
	return -1;
}

/* Sets the name of port unless it has one; 1 taken, 0 kept, -ENOMEM. */
static int set_name(struct services *s, int slot, unsigned port,
		    const char *name, size_t len)
{
	char clean[SERVICE_NAME_MAX];
	size_t n;

	if (s->idx[slot][port])
		return 0;
	n = sanitize_text(clean, sizeof(clean), name, len);
	if (!n)
		return 0;
	if (s->pool_len + n + 1 > s->pool_cap) {
		size_t cap = s->pool_cap ? s->pool_cap * 2 : 16384;
		char *p;

		while (cap < s->pool_len + n + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -ENOMEM;
		p = realloc(s->pool, cap);
		if (!p)
			return -ENOMEM;
		s->pool = p;
		s->pool_cap = cap;
	}
	memcpy(s->pool + s->pool_len, clean, n + 1);
	s->idx[slot][port] = (uint32_t)s->pool_len + 1;
	s->pool_len += n + 1;
	return 1;
}

static bool parse_port(const char *s, unsigned *port)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v < 0 || v > 65535)
		return false;
	*port = (unsigned)v;
	return true;
}

/*
 * One line of a services file, its comment already cut: 1 with *slot,
 * *port and *name set, 0 to pass over it quietly, -1 with *why for a line
 * worth a message.
 */
typedef int (*service_line_fn)(char *line, int *slot, unsigned *port,
			       char **name, const char **why);

/* flowtop's own "port, name" files (conf/tcp.conf, ...): the slot is the file's */
static int conf_line(char *line, int *slot, unsigned *port, char **name,
		     const char **why)
{
	char *comma, *port_s = conf_trim(line);

	(void)slot;
	if (!*port_s)
		return 0;
	comma = strchr(port_s, ',');
	if (!comma) {
		*why = "want 'port, name'";
		return -1;
	}
	*comma = '\0';
	*name = conf_trim(comma + 1);
	port_s = conf_trim(port_s);
	if (!parse_port(port_s, port))
		*why = "port is not a number from 0 to 65535";
	else if (!**name)
		*why = "no service name after the comma";
	else if (strpbrk(*name, " \t,"))
		*why = "service name has blanks or a second comma";
	else if (strlen(*name) >= SERVICE_NAME_MAX)
		*why = "service name longer than 31 bytes";
	return *why ? -1 : 1;
}

/* /etc/services: "name port/proto aliases..."; what is not ours is skipped */
static int etc_line(char *line, int *slot, unsigned *port, char **name,
		    const char **why)
{
	static const struct {
		const char *proto;
		int slot;
	} protos[] = {
		{ "tcp", SVC_TCP }, { "udp", SVC_UDP },
		{ "sctp", SVC_SCTP }, { "dccp", SVC_DCCP },
	};
	char *save, *pp, *slash;

	(void)why;
	*name = strtok_r(line, " \t\r\n", &save);
	pp = *name ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	if (!pp)
		return 0;
	slash = strchr(pp, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (!parse_port(pp, port))
		return 0;
	for (size_t k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
		if (!strcmp(slash + 1, protos[k].proto)) {
			*slot = protos[k].slot;
			return 1;
		}
	return 0;
}

/*
 * Reads path line by line into s (slot: where a line without a protocol
 * of its own goes); bad lines are reported to err (when not NULL), at
 * most CONF_MAX_ERRORS of them. The number of names taken or -errno.
 */
static int load_lines(struct services *s, const char *path, int slot,
		      service_line_fn parse, FILE *err)
{
	unsigned long lineno = 0, bad = 0;
	int taken = 0, ret = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = conf_fopen(path);

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		const char *why = NULL;
		int line_slot = slot, ok;
		char *hash, *name = NULL;
		unsigned port = 0;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		ok = parse(line, &line_slot, &port, &name, &why);
		if (ok < 0) {
			/* a binary file would give a line per newline byte */
			if (err && ++bad <= CONF_MAX_ERRORS)
				fprintf(err, "flowtop: %s:%lu: %s; line skipped\n",
					path, lineno, why);
			continue;
		}
		if (!ok)
			continue;
		ret = set_name(s, line_slot, port, name, strlen(name));
		if (ret < 0)
			break;
		taken += ret;
		ret = 0;
	}
	free(line);
	fclose(f);
	if (err && bad > CONF_MAX_ERRORS)
		fprintf(err, "flowtop: %s: %lu more bad lines skipped (is it "
			"a text file?)\n", path, bad - CONF_MAX_ERRORS);
	return ret < 0 ? ret : taken;
}

int services_load_conf(struct services *s, uint8_t proto, const char *path,
		       FILE *err)
{
	int slot = proto_slot(proto);

	if (slot < 0)
		return -EINVAL;
	return load_lines(s, path, slot, conf_line, err);
}

int services_load_etc(struct services *s, const char *path)
{
	return load_lines(s, path, -1, etc_line, NULL);
}

struct services *services_load(const char *conf_dir, FILE *err)
{
	struct services *s = services_new();
	char path[PATH_MAX];
	int ret;

	if (!s)
		return NULL;
	if (conf_find(conf_dir, "tcp.conf", path, sizeof(path)) == 0) {
		ret = services_load_conf(s, IPPROTO_TCP, path, err);
		if (ret < 0 && ret != -ENOMEM && err)
			fprintf(err, "flowtop: cannot read %s: %s\n", path,
				ret == -EINVAL ? "not a regular file" :
				strerror(-ret));
		if (ret == -ENOMEM)
			goto nomem;
	}
	if (conf_find(conf_dir, "udp.conf", path, sizeof(path)) == 0) {
		ret = services_load_conf(s, IPPROTO_UDP, path, err);
		if (ret < 0 && ret != -ENOMEM && err)
			fprintf(err, "flowtop: cannot read %s: %s\n", path,
				ret == -EINVAL ? "not a regular file" :
				strerror(-ret));
		if (ret == -ENOMEM)
			goto nomem;
	}
	if (services_load_etc(s, "/etc/services") == -ENOMEM)
		goto nomem;
	return s;
nomem:
	services_free(s);
	return NULL;
}

const char *services_name(const struct services *s, uint8_t proto,
			  uint16_t port)
{
	int slot = proto_slot(proto);
	uint32_t i;

	if (!s || slot < 0)
		return NULL;
	i = s->idx[slot][port];
	/* SCTP/DCCP ports without an entry of their own: the TCP name */
	if (!i && (slot == SVC_SCTP || slot == SVC_DCCP))
		i = s->idx[SVC_TCP][port];
	return i ? s->pool + i - 1 : NULL;
}

size_t services_ports(const struct services *s, const char *name,
		      uint16_t *ports, size_t max)
{
	size_t n = 0;

	if (!s || !name || !*name)
		return 0;
	/* port by port: the list comes out ascending and each port once */
	for (uint32_t port = 0; port < 65536 && n < max; port++) {
		for (int slot = 0; slot < SVC_NPROTO; slot++) {
			uint32_t i = s->idx[slot][port];

			if (i && !strcasecmp(s->pool + i - 1, name)) {
				ports[n++] = (uint16_t)port;
				break;
			}
		}
	}
	return n;
}
