// SPDX-License-Identifier: GPL-2.0
/*
 * Who and where (enrich.h): glues the service table, GeoIP, the reverse
 * DNS worker and the process worker behind one non-blocking call. Parts
 * that cannot start are left out with one notice; the run goes on.
 */
#include "enrich.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dns.h"
#include "geoip.h"
#include "proc.h"
#include "services.h"
#include "log.h"

struct enrich {
	struct enrich_config cfg;
	char conf_dir[4096];
	pthread_mutex_t lock;		/* starting parts on demand */
	struct services *svc;		/* read-only once loaded */
	_Atomic(struct dns *) dns;
	_Atomic(struct geoip *) geo;
	struct proc_lookup *proc;
	atomic_bool dns_on, geo_on;
	bool dns_tried, geo_tried;
	int answer_fd;			/* eventfd the workers write answers to */
};

static void start_dns(struct enrich *e)
{
	struct dns *d = NULL;

	pthread_mutex_lock(&e->lock);
	if (!e->dns_tried) {
		e->dns_tried = true;
		if (dns_open(&d, stderr) == 0) {
			dns_set_notify_fd(d, e->answer_fd);
			atomic_store(&e->dns, d);
		}
	}
	pthread_mutex_unlock(&e->lock);
}

static void start_geoip(struct enrich *e)
{
	struct geoip_conf c;
	struct geoip *g = NULL;
	int ret;

	pthread_mutex_lock(&e->lock);
	if (e->geo_tried)
		goto out;
	e->geo_tried = true;
	ret = geoip_conf_load(&c, e->cfg.conf_dir, stderr);
	if (ret == -ENOENT) {
		flowtop_log(FT_LOG_WARN, "flowtop: no geoip.conf found (see --conf-dir); "
				 "running without GeoIP\n");
		goto out;
	}
	if (ret) {
		flowtop_log(FT_LOG_WARN, "flowtop: geoip.conf unusable; running without GeoIP\n");
		goto out;
	}
	if (geoip_open(&g, &c, stderr) == 0)
		atomic_store(&e->geo, g);
	else
		flowtop_log(FT_LOG_WARN, "flowtop: no GeoIP database could be opened; "
				 "running without GeoIP\n");
	geoip_conf_free(&c);
out:
	pthread_mutex_unlock(&e->lock);
}

int enrich_open(struct enrich **out, const struct enrich_config *cfg)
{
	struct enrich *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	if (cfg->conf_dir) {
		snprintf(e->conf_dir, sizeof(e->conf_dir), "%s", cfg->conf_dir);
		e->cfg.conf_dir = e->conf_dir;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->answer_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->answer_fd < 0) {
		int ret = -errno;

		pthread_mutex_destroy(&e->lock);
		free(e);
		return ret;
	}
	e->svc = services_load(e->cfg.conf_dir, stderr);
	if (!e->svc) {
		close(e->answer_fd);
		pthread_mutex_destroy(&e->lock);
		free(e);
		return -ENOMEM;
	}
	atomic_store(&e->dns_on, cfg->dns);
	atomic_store(&e->geo_on, cfg->geoip);
	if (cfg->dns)
		start_dns(e);
	if (cfg->geoip)
		start_geoip(e);
	if (cfg->process && proc_open(&e->proc, stderr))
		e->proc = NULL;
	proc_set_notify_fd(e->proc, e->answer_fd);
	*out = e;
	return 0;
}

void enrich_close(struct enrich *e)
{
	if (!e)
		return;
	proc_close(e->proc);
	dns_close(atomic_load(&e->dns));
	geoip_close(atomic_load(&e->geo));
	services_free(e->svc);
	close(e->answer_fd);	/* after the workers: none writes any more */
	pthread_mutex_destroy(&e->lock);
	free(e);
}

const struct services *enrich_services(const struct enrich *e)
{
	return e ? e->svc : NULL;
}

void enrich_set_dns(struct enrich *e, bool on)
{
	if (!e)
		return;
	atomic_store(&e->dns_on, on);
	if (on)
		start_dns(e);
}

void enrich_set_geoip(struct enrich *e, bool on)
{
	if (!e)
		return;
	atomic_store(&e->geo_on, on);
	if (on)
		start_geoip(e);
}

static void endpoint(struct enrich *e, struct dns *d, struct geoip *g,
		     const struct flow_key *k, const uint32_t *addr,
		     uint16_t port_be, struct endpoint_info *out)
{
	const char *svc;

	if (d)
		dns_lookup(d, k->family, addr, out->host, sizeof(out->host));
	if (g)
		geoip_lookup(g, k->family, addr, &out->geo);
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		return;
	svc = services_name(e->svc, k->proto, ntohs(port_be));
	if (svc)
		snprintf(out->service, sizeof(out->service), "%s", svc);
}

void enrich_flow(struct enrich *e, const struct flow *f, struct flow_info *out)
{
	struct dns *d;
	struct geoip *g;

	memset(out, 0, sizeof(*out));
	if (!e || !f)
		return;
	d = atomic_load(&e->dns_on) ? atomic_load(&e->dns) : NULL;
	g = atomic_load(&e->geo_on) ? atomic_load(&e->geo) : NULL;
	endpoint(e, d, g, &f->key, f->key.src, f->key.sport, &out->src);
	endpoint(e, d, g, &f->key, f->key.dst, f->key.dport, &out->dst);
	if (e->proc)
		proc_lookup_flow(e->proc, f, &out->proc);
}

bool enrich_flow_answered(struct enrich *e, const struct flow *f)
{
	struct proc_info pi;
	struct dns *d;
	char host[8];
	bool done = true;

	if (!e || !f)
		return true;
	/* GeoIP and service names answer at once, from memory */
	d = atomic_load(&e->dns_on) ? atomic_load(&e->dns) : NULL;
	if (d) {
		if (dns_lookup(d, f->key.family, f->key.src, host,
			       sizeof(host)) == DNS_PENDING)
			done = false;
		if (dns_lookup(d, f->key.family, f->key.dst, host,
			       sizeof(host)) == DNS_PENDING)
			done = false;
	}
	if (e->proc && !proc_lookup_flow(e->proc, f, &pi))
		done = false;
	return done;
}

int enrich_answer_fd(const struct enrich *e)
{
	return e ? e->answer_fd : -1;
}

void enrich_reload(struct enrich *e)
{
	if (e)
		geoip_request_reload();
}
