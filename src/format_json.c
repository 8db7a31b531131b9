// SPDX-License-Identifier: GPL-2.0
/* Snapshots as JSON: one object per snapshot and line. */
#include "format_internal.h"


/* Decimals: microseconds for times, milliseconds for ages and rates. */
/*
 * Keys are string literals: ", \"key\": " is assembled by the compiler,
 * so writing a key is one copy of known length.
 */
#define JSON_KEY(key) ", \"" key "\": "
#define json_key(w, key) wb_put(w, JSON_KEY(key), sizeof(JSON_KEY(key)) - 1)
#define json_u64(w, key, v) do { json_key(w, key); wb_u64(w, v); } while (0)
#define json_double(w, key, v, dec) \
	do { json_key(w, key); wb_double(w, v, dec); } while (0)
#define json_str(w, key, s) do { json_key(w, key); wb_json_string(w, s); } while (0)

void format_json(struct wbuf *w, const struct snapshot *snap,
			struct enrich *enrich, const struct format_sel *sel)
{
	const struct snapshot_meta *m = &snap->meta;
	struct flow_fctx c = { .now = m->time, .since = m->counting_since };
	struct flow_info fi;
	struct flow buf;

	wb_puts(w, "{\"time\": ");
	wb_double(w, m->time, DEC_TIME);
	json_double(w, "interval", m->interval, DEC_TIME);
	json_str(w, "acct", acct_name(m->acct));
	json_u64(w, "flows_total", snap->n);
	if (sel)
		json_u64(w, "flows_matched", sel->matched);
	json_u64(w, "lost_events", m->lost_events);
	json_u64(w, "resyncs", m->resyncs);
	json_key(w, "resyncing");
	wb_puts(w, m->resyncing ? "true" : "false");
	json_u64(w, "evictions", m->evictions);
	json_u64(w, "events", m->events);
	json_u64(w, "new_flows", m->new_flows);
	json_u64(w, "destroyed_flows", m->destroyed_flows);
	json_u64(w, "refresh_dumps", m->refresh_dumps);
	json_u64(w, "gets", m->gets);
	json_u64(w, "silent_ends", m->silent_ends);
	json_u64(w, "silent_rearms", m->silent_rearms);
	json_double(w, "silent_ms", m->silent_ms, DEC_RATE);
	json_double(w, "map_read_ms", m->map_read_ms, DEC_RATE);
	json_key(w, "flows");
	wb_char(w, '[');
	for (size_t i = 0; i < sel_n(snap, sel); i++) {
		if (i)
			wb_put(w, ", ", 2);
		/* the fields of flow_fields.h, the enriched ones with enrich */
		c.f = sel_flow(snap, sel, i, &buf);
		if (enrich) {
			enrich_flow(enrich, c.f, &fi);
			c.fi = &fi;
		}
		flow_json_row(w, &c);
	}
	wb_put(w, "]}\n", 3);
}
