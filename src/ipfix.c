// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX encoding with libfixbuf and the export thread.
 *
 * libfixbuf does the RFC 7011 work: message and set headers, template
 * sets, per-domain sequence numbers (data records sent before each
 * message), message size limits per transport (1420 bytes over UDP) and
 * the IANA + RFC 5103 reverse information model. We give it one internal
 * template (struct ipfix_record) and twelve export templates: IPv4/IPv6 ×
 * ports/ICMP/neither × with/without post-NAT fields, so that no record
 * carries fields that mean nothing for it.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fixbuf_dl.h"

#include "ipfix.h"
#include "util.h"
#include "log.h"

/* template selection flags for fbTemplateAppendSpecArray */
#define T_V4		0x01
#define T_V6		0x02
#define T_NAT		0x04
#define T_PORTS		0x08
#define T_ICMP		0x10
#define T_INTERNAL	0x20	/* padding: only in the internal template */

#define TID_INTERNAL	0x100
#define TID_BASE	0x101	/* + template index */
#define N_TEMPLATES	(2 * IPFIX_KIND_COUNT * 2)
/* records buffered per template before they go into the message: fewer
 * set headers than switching template at every record */
#define BATCH		64

/* In the order of struct ipfix_record (the internal template). */
static fbInfoElementSpec_t record_spec[] = {
	{ "flowStartMilliseconds", 8, 0 },
	{ "flowEndMilliseconds", 8, 0 },
	{ "octetDeltaCount", 8, 0 },
	{ "packetDeltaCount", 8, 0 },
	{ "reverseOctetDeltaCount", 8, 0 },
	{ "reversePacketDeltaCount", 8, 0 },
	{ "sourceIPv6Address", 16, T_V6 },
	{ "destinationIPv6Address", 16, T_V6 },
	{ "postNATSourceIPv6Address", 16, T_V6 | T_NAT },
	{ "postNATDestinationIPv6Address", 16, T_V6 | T_NAT },
	{ "sourceIPv4Address", 4, T_V4 },
	{ "destinationIPv4Address", 4, T_V4 },
	{ "postNATSourceIPv4Address", 4, T_V4 | T_NAT },
	{ "postNATDestinationIPv4Address", 4, T_V4 | T_NAT },
	{ "sourceTransportPort", 2, T_PORTS },
	{ "destinationTransportPort", 2, T_PORTS },
	{ "postNAPTSourceTransportPort", 2, T_PORTS | T_NAT },
	{ "postNAPTDestinationTransportPort", 2, T_PORTS | T_NAT },
	{ "icmpTypeCodeIPv4", 2, T_V4 | T_ICMP },
	{ "icmpTypeCodeIPv6", 2, T_V6 | T_ICMP },
	{ "protocolIdentifier", 1, 0 },
	{ "flowEndReason", 1, 0 },
	{ "paddingOctets", 2, T_INTERNAL },
	FB_IESPEC_NULL
};

static int template_index(int v6, int kind, int nat)
{
	return (v6 * IPFIX_KIND_COUNT + kind) * 2 + nat;
}

static uint32_t template_flags(int idx)
{
	int nat = idx % 2, kind = (idx / 2) % IPFIX_KIND_COUNT;
	int v6 = idx / (2 * IPFIX_KIND_COUNT);
	uint32_t fl = v6 ? T_V6 : T_V4;

	if (nat)
		fl |= T_NAT;
	if (kind == IPFIX_KIND_PORTS)
		fl |= T_PORTS;
	else if (kind == IPFIX_KIND_ICMP)
		fl |= T_ICMP;
	return fl;
}

/* ---- encoder ---------------------------------------------------------- */

struct ipfix_encoder {
	fbInfoModel_t *model;
	fBuf_t *fbuf;		/* owns the session and the exporter */
	fbConnSpec_t spec;	/* network export */
	char host[IPFIX_HOST_MAX];
	char svc[8];
	char *path;		/* file export */
	uint32_t domain;
	struct ipfix_record batch[N_TEMPLATES][BATCH];
	size_t nbatch[N_TEMPLATES];
	uint64_t in_message;	/* records in the message being built */
	struct ipfix_encoder_stats st;
	char last_error[256];
};

static void set_gerror(struct ipfix_encoder *e, GError **gerr, const char *what)
{
	snprintf(e->last_error, sizeof(e->last_error), "%s: %s", what,
		 *gerr ? (*gerr)->message : "unknown libfixbuf error");
	fbx.g_clear_error(gerr);
}

/* A fresh session (sequence 0, templates first) and transport. */
static int session_build(struct ipfix_encoder *e)
{
	fbSession_t *session = fbx.fbSessionAlloc(e->model);
	fbExporter_t *exp;
	fbTemplate_t *t;
	GError *gerr = NULL;

	fbx.fbSessionSetDomain(session, e->domain);
	t = fbx.fbTemplateAlloc(e->model);
	if (!fbx.fbTemplateAppendSpecArray(t, record_spec, UINT32_MAX, &gerr) ||
	    !fbx.fbSessionAddTemplate(session, TRUE, TID_INTERNAL, t, &gerr)) {
		set_gerror(e, &gerr, "internal template");
		fbx.fbSessionFree(session);
		return -EINVAL;
	}
	for (int i = 0; i < N_TEMPLATES; i++) {
		t = fbx.fbTemplateAlloc(e->model);
		if (!fbx.fbTemplateAppendSpecArray(t, record_spec,
					       template_flags(i), &gerr) ||
		    !fbx.fbSessionAddTemplate(session, FALSE, TID_BASE + i, t,
					  &gerr)) {
			set_gerror(e, &gerr, "export template");
			fbx.fbSessionFree(session);
			return -EINVAL;
		}
	}
	exp = e->path ? fbx.fbExporterAllocFile(e->path) :
			fbx.fbExporterAllocNet(&e->spec);
	e->fbuf = fbx.fBufAllocForExport(session, exp);
	if (!fbx.fBufSetInternalTemplate(e->fbuf, TID_INTERNAL, &gerr)) {
		set_gerror(e, &gerr, "internal template");
		return -EINVAL;
	}
	return ipfix_encoder_templates(e);
}

/*
 * After a transport error the message that failed is still in the buffer
 * and the peer (a new TCP connection) has not seen our templates: start
 * over with a new session. Its records are lost, and counted.
 */
static int transport_failed(struct ipfix_encoder *e, GError **gerr)
{
	set_gerror(e, gerr, "sending to the collector");
	e->st.errors++;
	e->st.lost += e->in_message;
	e->in_message = 0;
	if (e->fbuf)
		fbx.fBufFree(e->fbuf);
	e->fbuf = NULL;
	return -EIO;
}

static int ensure_session(struct ipfix_encoder *e)
{
	return e->fbuf ? 0 : session_build(e);
}

int ipfix_encoder_templates(struct ipfix_encoder *e)
{
	GError *gerr = NULL;

	if (!e->fbuf)
		return ensure_session(e);	/* sends them */
	/* automatic mode lets libfixbuf start the template message (and
	 * split it) itself; data go in manual mode, see append() */
	fbx.fBufSetAutomaticMode(e->fbuf, TRUE);
	if (!fbx.fbSessionExportTemplates(fbx.fBufGetSession(e->fbuf), &gerr))
		return transport_failed(e, &gerr);
	fbx.fBufSetAutomaticMode(e->fbuf, FALSE);
	e->st.template_sends++;
	return 0;
}

static int emit(struct ipfix_encoder *e)
{
	GError *gerr = NULL;

	if (!fbx.fBufEmit(e->fbuf, &gerr))
		return transport_failed(e, &gerr);
	e->in_message = 0;
	return 0;
}

/*
 * Manual mode: when the message is full we emit it ourselves, so that we
 * know which records a failed send took with it.
 */
static int append(struct ipfix_encoder *e, struct ipfix_record *r)
{
	GError *gerr = NULL;
	int ret;

	if (fbx.fBufAppend(e->fbuf, (uint8_t *)r, sizeof(*r), &gerr))
		goto ok;
	if (!fbx.g_error_matches(gerr, fbx.g_quark_from_string("fixbufError"),
				  FB_ERROR_EOM))
		return transport_failed(e, &gerr);
	fbx.g_clear_error(&gerr);
	ret = emit(e);
	if (ret)
		return ret;
	if (!fbx.fBufAppend(e->fbuf, (uint8_t *)r, sizeof(*r), &gerr))
		return transport_failed(e, &gerr);
ok:
	e->in_message++;
	e->st.records++;
	return 0;
}

static int write_batch(struct ipfix_encoder *e, int t)
{
	GError *gerr = NULL;
	int ret = ensure_session(e);

	if (ret) {
		e->st.lost += e->nbatch[t];
		e->nbatch[t] = 0;
		return ret;
	}
	if (!fbx.fBufSetExportTemplate(e->fbuf, TID_BASE + t, &gerr)) {
		e->nbatch[t] = 0;
		return transport_failed(e, &gerr);
	}
	for (size_t i = 0; i < e->nbatch[t]; i++) {
		ret = append(e, &e->batch[t][i]);
		if (ret) {
			e->st.lost += e->nbatch[t] - i;
			e->nbatch[t] = 0;
			return ret;
		}
	}
	e->nbatch[t] = 0;
	return 0;
}

int ipfix_encoder_add(struct ipfix_encoder *e, const struct ipfix_record *r)
{
	int t = template_index(r->family == AF_INET6, r->kind, r->nat);

	e->batch[t][e->nbatch[t]++] = *r;
	if (e->nbatch[t] == BATCH)
		return write_batch(e, t);
	return 0;
}

int ipfix_encoder_emit(const struct ipfix_record *r, void *arg)
{
	return ipfix_encoder_add(arg, r);
}

int ipfix_encoder_flush(struct ipfix_encoder *e)
{
	int ret = 0;

	for (int t = 0; t < N_TEMPLATES; t++)
		if (e->nbatch[t]) {
			int r = write_batch(e, t);

			ret = ret ? ret : r;
		}
	if (!e->fbuf)
		return ret;
	return emit(e) ? -EIO : ret;
}

static int encoder_alloc(struct ipfix_encoder **out, uint32_t domain,
			 char *err, size_t errlen)
{
	struct ipfix_encoder *e;
	int ret = fixbuf_load(err, errlen);

	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory for the IPFIX encoder");
		return -ENOMEM;
	}
	e->model = fbx.fbInfoModelAlloc();
	e->domain = domain;
	*out = e;
	return 0;
}

int ipfix_encoder_open_net(struct ipfix_encoder **out, const char *host,
			   uint16_t port, enum ipfix_transport proto,
			   uint32_t domain, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	const char *pname = proto == IPFIX_TCP ? "TCP" : "UDP";
	struct ipfix_encoder *e;
	int ret;

	ret = encoder_alloc(&e, domain, err, errlen);
	if (ret)
		return ret;
	snprintf(e->host, sizeof(e->host), "%s", host);
	snprintf(e->svc, sizeof(e->svc), "%u", port);
	/* resolve now: a typo must stop the start, not the first export */
	hints.ai_socktype = proto == IPFIX_TCP ? SOCK_STREAM : SOCK_DGRAM;
	ret = getaddrinfo(e->host, e->svc, &hints, &ai);
	if (ret) {
		snprintf(err, errlen, "IPFIX collector %s port %s: %s; check "
			 "--ipfix HOST:PORT", host, e->svc, gai_strerror(ret));
		ipfix_encoder_close(e);
		return -EINVAL;
	}
	freeaddrinfo(ai);
	e->spec.transport = proto == IPFIX_TCP ? FB_TCP : FB_UDP;
	e->spec.host = e->host;
	e->spec.svc = e->svc;
	ret = session_build(e);
	/* TCP connects on the first message: send the templates now so that
	 * a collector that is not listening is reported at start */
	if (!ret)
		ret = ipfix_encoder_flush(e);
	if (ret) {
		snprintf(err, errlen, "IPFIX export over %s to %s port %s: %s; "
			 "is the collector running and listening?", pname,
			 host, e->svc, e->last_error);
		ipfix_encoder_close(e);
		return ret;
	}
	*out = e;
	return 0;
}

int ipfix_encoder_open_file(struct ipfix_encoder **out, const char *path,
			    uint32_t domain, char *err, size_t errlen)
{
	struct ipfix_encoder *e;
	int ret = encoder_alloc(&e, domain, err, errlen);

	if (ret)
		return ret;
	e->path = strdup(path);
	ret = e->path ? session_build(e) : -ENOMEM;
	if (ret) {
		snprintf(err, errlen, "IPFIX file %s: %s", path, e->last_error);
		ipfix_encoder_close(e);
		return ret;
	}
	*out = e;
	return 0;
}

void ipfix_encoder_close(struct ipfix_encoder *e)
{
	if (!e)
		return;
	if (e->fbuf) {
		ipfix_encoder_flush(e);
		if (e->fbuf) {
			fbx.fbExporterClose(fbx.fBufGetExporter(e->fbuf));
			fbx.fBufFree(e->fbuf);
		}
	}
	if (e->model)
		fbx.fbInfoModelFree(e->model);
	free(e->path);
	free(e);
}

void ipfix_encoder_get_stats(const struct ipfix_encoder *e,
			     struct ipfix_encoder_stats *st)
{
	*st = e->st;
}

const char *ipfix_encoder_last_error(const struct ipfix_encoder *e)
{
	return e->last_error;
}

/* ---- exporter thread --------------------------------------------------- */

/* Snapshots waiting for the export thread. A few intervals of slack; more
 * would only hold memory (a 262k-flow snapshot is tens of MB). */
#define QUEUE_LEN 4

struct ipfix_exporter {
	struct ipfix_meter *meter;
	struct ipfix_encoder *enc;
	enum ipfix_transport proto;
	double refresh_s;
	double last_templates;		/* CLOCK_MONOTONIC seconds */
	char where[IPFIX_HOST_MAX + 16];

	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct snapshot *queue[QUEUE_LEN];
	size_t qhead, qlen;
	bool stop;
	uint64_t dropped;		/* snapshots dropped (queue full) */
	uint64_t snapshots;		/* snapshots exported */
	uint64_t errors_reported;
	bool failing;			/* in an error burst, already reported */
	uint64_t records_mark;		/* records sent when it was reported */
};

/* libfixbuf talks through glib's log; make its words look like ours */
static void glib_log(const gchar *domain, GLogLevelFlags level,
		     const gchar *msg, gpointer arg)
{
	(void)domain;
	(void)arg;
	if (level & G_LOG_LEVEL_DEBUG)
		return;
	flowtop_log(FT_LOG_WARN, "flowtop: ipfix: %s\n", msg);
}

static void report_errors(struct ipfix_exporter *ex)
{
	struct ipfix_encoder_stats st;

	ipfix_encoder_get_stats(ex->enc, &st);
	if (st.errors == ex->errors_reported) {
		/* recovered only once records went out again */
		if (!ex->failing || st.records == ex->records_mark)
			return;
		if (ex->failing)
			flowtop_log(FT_LOG_WARN, "flowtop: ipfix: export to %s works "
					 "again (%llu records lost in all)\n", ex->where,
					 (unsigned long long)st.lost);
		ex->failing = false;
		return;
	}
	ex->errors_reported = st.errors;
	/* once per error burst, not once per interval */
	if (ex->failing) {
		ex->records_mark = st.records;
		return;
	}
	ex->failing = true;
	ex->records_mark = st.records;
	flowtop_log(FT_LOG_WARN, "flowtop: ipfix: %s (%llu records lost so far); "
			 "trying again every interval with a new session\n",
			 ipfix_encoder_last_error(ex->enc),
			 (unsigned long long)st.lost);
}

static void export_one(struct ipfix_exporter *ex, struct snapshot *s)
{
	double now = mono_s();

	if (ex->proto == IPFIX_UDP && now - ex->last_templates >= ex->refresh_s) {
		/* UDP collectors that start (or restart) after us learn the
		 * templates from these */
		ipfix_encoder_templates(ex->enc);
		ex->last_templates = now;
	}
	ipfix_meter_process(ex->meter, s, ipfix_encoder_emit, ex->enc);
	ipfix_encoder_flush(ex->enc);
	ex->snapshots++;
	report_errors(ex);
}

static void *exporter_main(void *arg)
{
	struct ipfix_exporter *ex = arg;

	for (;;) {
		struct snapshot *s = NULL;
		bool stop;

		pthread_mutex_lock(&ex->lock);
		while (!ex->qlen && !ex->stop)
			pthread_cond_wait(&ex->cond, &ex->lock);
		if (ex->qlen) {
			s = ex->queue[ex->qhead];
			ex->qhead = (ex->qhead + 1) % QUEUE_LEN;
			ex->qlen--;
		}
		stop = ex->stop && !s;
		pthread_mutex_unlock(&ex->lock);
		if (stop)
			break;
		export_one(ex, s);
		snapshot_put(s);
	}
	/* the flows still live: their counts so far, then forget them */
	ipfix_meter_flush(ex->meter, real_ns() / 1000000u, IPFIX_END_FORCED,
			  ipfix_encoder_emit, ex->enc);
	ipfix_encoder_flush(ex->enc);
	report_errors(ex);
	return NULL;
}

void ipfix_on_snapshot(struct snapshot *s, void *arg)
{
	struct ipfix_exporter *ex = arg;
	struct snapshot *old = NULL;

	pthread_mutex_lock(&ex->lock);
	if (ex->qlen == QUEUE_LEN) {
		old = ex->queue[ex->qhead];
		ex->qhead = (ex->qhead + 1) % QUEUE_LEN;
		ex->qlen--;
		ex->dropped++;
	}
	ex->queue[(ex->qhead + ex->qlen) % QUEUE_LEN] = s;
	ex->qlen++;
	pthread_cond_signal(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	if (old) {
		/* the collector thread pays for the free, outside the lock */
		snapshot_put(old);
	}
}

int ipfix_open(struct ipfix_exporter **out, const struct config *cfg,
	       char *err, size_t errlen)
{
	struct ipfix_exporter *ex;
	int ret = fixbuf_load(err, errlen);

	if (ret)
		return ret;
	ex = calloc(1, sizeof(*ex));
	if (!ex) {
		snprintf(err, errlen, "out of memory for the IPFIX exporter");
		return -ENOMEM;
	}
	fbx.g_log_set_default_handler(glib_log, NULL);
	pthread_mutex_init(&ex->lock, NULL);
	pthread_cond_init(&ex->cond, NULL);
	ex->proto = cfg->ipfix_proto;
	ex->refresh_s = cfg->ipfix_template_refresh_s;
	ex->last_templates = mono_s();	/* sent by the open below */
	snprintf(ex->where, sizeof(ex->where),
		 strchr(cfg->ipfix_host, ':') ? "[%s]:%u" : "%s:%u",
		 cfg->ipfix_host, cfg->ipfix_port);
	ex->meter = ipfix_meter_new(cfg->ipfix_active_timeout_s);
	if (!ex->meter) {
		snprintf(err, errlen, "out of memory for the IPFIX flow table");
		ret = -ENOMEM;
		goto fail;
	}
	ret = ipfix_encoder_open_net(&ex->enc, cfg->ipfix_host, cfg->ipfix_port,
				     cfg->ipfix_proto, cfg->ipfix_domain,
				     err, errlen);
	if (ret)
		goto fail;
	ret = -pthread_create(&ex->thread, NULL, exporter_main, ex);
	if (ret) {
		snprintf(err, errlen, "cannot start the IPFIX export thread: %s",
			 strerror(-ret));
		goto fail;
	}
	ex->running = true;
	flowtop_log(FT_LOG_INFO, "flowtop: exporting IPFIX over %s to %s, observation "
			 "domain %u, active timeout %gs\n",
			 cfg->ipfix_proto == IPFIX_TCP ? "TCP" : "UDP", ex->where,
			 cfg->ipfix_domain, cfg->ipfix_active_timeout_s);
	*out = ex;
	return 0;
fail:
	ipfix_close(ex);
	return ret;
}

void ipfix_close(struct ipfix_exporter *ex)
{
	if (!ex)
		return;
	if (ex->running) {
		struct ipfix_meter_stats ms;
		struct ipfix_encoder_stats es;

		pthread_mutex_lock(&ex->lock);
		ex->stop = true;
		pthread_cond_signal(&ex->cond);
		pthread_mutex_unlock(&ex->lock);
		pthread_join(ex->thread, NULL);
		ipfix_meter_get_stats(ex->meter, &ms);
		ipfix_encoder_get_stats(ex->enc, &es);
		flowtop_log(FT_LOG_WARN, "flowtop: ipfix: %llu records sent to %s "
				 "(%llu end, %llu active timeout, %llu at exit, %llu "
				 "without destroy event), %llu lost, %llu snapshots "
				 "dropped by a slow export\n",
				 (unsigned long long)es.records, ex->where,
				 (unsigned long long)ms.ended,
				 (unsigned long long)ms.active,
				 (unsigned long long)ms.forced,
				 (unsigned long long)ms.vanished,
				 (unsigned long long)es.lost,
				 (unsigned long long)ex->dropped);
	}
	while (ex->qlen) {
		snapshot_put(ex->queue[ex->qhead]);
		ex->qhead = (ex->qhead + 1) % QUEUE_LEN;
		ex->qlen--;
	}
	ipfix_encoder_close(ex->enc);
	ipfix_meter_free(ex->meter);
	pthread_mutex_destroy(&ex->lock);
	pthread_cond_destroy(&ex->cond);
	free(ex);
}
