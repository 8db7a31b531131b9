// SPDX-License-Identifier: GPL-2.0
/*
 * The field tables agree with everything they drive: the JSON keys and
 * the CSV columns the formats actually write are the tables' names, in
 * the tables' order (a field written by hand into one format only fails
 * here); every layout of the view and the text table shows fields of its
 * kind that have that presentation, and every field with a presentation
 * is in its layout; every key of the sort cycles has a column.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "flow_fields.h"
#include "format.h"
#include "group_out.h"
#include "sort.h"

#define MAXK 64

struct names {
	size_t n;
	char s[MAXK][32];
};

static void names_add(struct names *k, const char *s, size_t len)
{
	assert_true(k->n < MAXK);
	assert_true(len < sizeof(k->s[0]));
	memcpy(k->s[k->n], s, len);
	k->s[k->n][len] = '\0';
	k->n++;
}

static bool names_has(const struct names *k, const char *s)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->s[i], s))
			return true;
	return false;
}

/* a CSV header line's names (they need no quotes), from skip on */
static void csv_names(const char *line, size_t skip, struct names *k)
{
	const char *p = line;
	size_t i = 0;

	memset(k, 0, sizeof(*k));
	for (;;) {
		size_t len = strcspn(p, ",\n");

		if (i++ >= skip)
			names_add(k, p, len);
		if (p[len] != ',')
			break;
		p += len + 1;
	}
}

/* cells of a CSV line without quoted fields */
static size_t csv_cells(const char *line)
{
	size_t n = 1;

	for (const char *p = line; *p && *p != '\n'; p++)
		n += *p == ',';
	return n;
}

/* the end of the JSON string at p (after its opening quote) */
static const char *json_string_end(const char *p)
{
	for (; *p != '"'; p++) {
		assert_true(*p);
		if (*p == '\\')
			p++;
	}
	return p;
}

/*
 * The keys of the flat JSON object at p ('{'), in order; returns the end
 * of the object. Values are strings, numbers, true, false or null.
 */
static const char *json_keys(const char *p, struct names *k)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(*p, '{');
	p++;
	while (*p != '}') {
		const char *e;

		while (*p == ' ' || *p == ',')
			p++;
		assert_int_equal(*p, '"');
		e = json_string_end(p + 1);
		names_add(k, p + 1, (size_t)(e - p - 1));
		p = e + 1;
		assert_true(!strncmp(p, ": ", 2));
		p += 2;
		if (*p == '"')
			p = json_string_end(p + 1) + 1;
		else
			p += strcspn(p, ",}");
	}
	return p + 1;
}

/* the objects of the array after "key": [ in doc */
static size_t json_objects(const char *doc, const char *key,
			   struct names *objs, size_t max)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": [", key);
	p = strstr(doc, pat);
	assert_non_null(p);
	p += strlen(pat);
	while (*p == '{') {
		assert_true(n < max);
		p = json_keys(p, &objs[n++]);
		if (!strncmp(p, ", ", 2))
			p += 2;
	}
	assert_int_equal(*p, ']');
	return n;
}

/*
 * The CSV columns (cols) and the keys of the JSON objects agree: every
 * object's keys are columns, in the columns' order, and every column is
 * a key of some object.
 */
static void agree(const struct names *cols, const struct names *objs,
		  size_t nobj)
{
	for (size_t c = 0; c < cols->n; c++) {
		bool found = false;

		for (size_t o = 0; o < nobj; o++)
			found |= names_has(&objs[o], cols->s[c]);
		if (!found)
			fail_msg("CSV column %s is in no JSON object", cols->s[c]);
	}
	for (size_t o = 0; o < nobj; o++) {
		size_t c = 0;

		for (size_t i = 0; i < objs[o].n; i++) {
			while (c < cols->n && strcmp(cols->s[c], objs[o].s[i]))
				c++;
			if (c == cols->n)
				fail_msg("JSON key %s: not a CSV column, or out "
					 "of the columns' order", objs[o].s[i]);
		}
	}
}

/* the table's names [0, n) are cols */
static void names_are(const struct field *fields, size_t n,
		      const struct names *cols)
{
	assert_int_equal(cols->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(cols->s[i], fields[i].name);
}

/* (not inline: GCC then takes the memstream buffer for a dangling local) */
static __attribute__((noinline)) char *render(void (*fn)(FILE *f, void *arg),
					     void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, arg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* --- flows ------------------------------------------------------------ */

static void add_flow(struct flowtab *tab, uint8_t proto, uint32_t src,
		     uint32_t dst, uint16_t sport, uint16_t dport, bool nat)
{
	struct flow_key k;
	struct flow_rec *f;
	bool created;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.proto = proto;
	k.src[0] = htonl(src);
	k.dst[0] = htonl(dst);
	k.sport = htons(sport);
	k.dport = htons(dport);
	f = flowtab_upsert(tab, &k, &created);
	assert_non_null(f);
	f->ct_id = sport;
	f->counters_valid = 1;
	f->total.packets[0] = 3;
	f->total.bytes[0] = 300;
	if (nat) {
		struct flow_key r = k;

		memcpy(r.src, k.dst, sizeof(r.src));
		memcpy(r.dst, k.src, sizeof(r.dst));
		r.sport = k.dport;
		r.dport = htons(40000);
		r.dst[0] = htonl(0xc6336401);
		assert_int_equal(flowtab_set_reply(tab, f, &r), 0);
	}
}

struct flow_out {
	const struct snapshot *snap;
	enum output_format fmt;
	struct enrich *e;
};

static void flow_render(FILE *f, void *arg)
{
	struct flow_out *o = arg;

	assert_int_equal(format_snapshot(f, o->snap, o->fmt, true, o->e), 0);
}

/* CSV and JSON of a TCP, a NAT'd UDP and an ICMP flow, plain and enriched */
static void test_flow_formats_agree(void **state)
{
	struct snapshot_meta m = { .seq = 1, .time = 1700000000.5,
				   .interval = 1 };
	struct enrich_config cfg = { 0 };
	struct flowtab *tab = flowtab_new(16);
	struct flow_out o = { 0 };
	struct enrich *e = NULL;
	struct names cols, objs[4];
	struct snapshot *s;

	(void)state;
	assert_non_null(tab);
	add_flow(tab, IPPROTO_TCP, 0xc0000201, 0xcb007101, 40000, 443, false);
	add_flow(tab, IPPROTO_UDP, 0xc0000202, 0xcb007102, 40001, 53, true);
	add_flow(tab, IPPROTO_ICMP, 0xc0000203, 0xcb007103, 7, 0x0800, false);
	s = snapshot_build(tab, &m, false, NULL);
	assert_non_null(s);
	assert_int_equal(enrich_open(&e, &cfg), 0);
	o.snap = s;
	for (int enr = 0; enr < 2; enr++) {
		size_t n = enr ? FF_NAMED : FF_PLAIN;
		char *csv, *json, *line;
		size_t nobj;

		o.e = enr ? e : NULL;
		o.fmt = OUTPUT_CSV;
		csv = render(flow_render, &o);
		o.fmt = OUTPUT_JSON;
		json = render(flow_render, &o);

		/* the snapshot's time, then the table's names */
		assert_true(!strncmp(csv, "time,", 5));
		csv_names(csv, 1, &cols);
		names_are(flow_fields, n, &cols);
		/* every row as many cells as the header */
		for (line = strchr(csv, '\n') + 1; *line;
		     line = strchr(line, '\n') + 1)
			assert_int_equal(csv_cells(line), n + 1);
		nobj = json_objects(json, "flows", objs, 4);
		assert_int_equal(nobj, 3);
		agree(&cols, objs, nobj);
		free(csv);
		free(json);
	}
	enrich_close(e);
	snapshot_put(s);
	flowtab_free(tab);
}

/* --- groups ----------------------------------------------------------- */

struct group_out {
	const struct snapshot *snap;
	const struct group_spec *spec;
	const struct group_result *r;
	enum output_format fmt;
};

static void group_render(FILE *f, void *arg)
{
	struct group_out *o = arg;

	assert_int_equal(group_format(f, o->snap, o->spec, o->r, 0, o->fmt,
				      true, NULL), 0);
}

static void test_group_formats_agree(void **state)
{
	struct snapshot_meta m = { .seq = 1, .time = 1700000000.5,
				   .interval = 1 };
	struct flowtab *tab = flowtab_new(16);
	struct group_spec g;
	struct group_agg *a;
	struct group_result r;
	struct group_out o;
	struct names cols, objs[4];
	char err[128], *csv, *json;
	struct snapshot *s;
	size_t nobj;

	(void)state;
	assert_non_null(tab);
	add_flow(tab, IPPROTO_TCP, 0xc0000201, 0xcb007101, 40000, 443, false);
	add_flow(tab, IPPROTO_UDP, 0xc0000202, 0xcb007102, 40001, 53, false);
	s = snapshot_build(tab, &m, false, NULL);
	assert_non_null(s);
	assert_int_equal(group_spec_parse("src", &g, err, sizeof(err)), 0);
	a = group_agg_new(&g);
	assert_non_null(a);
	assert_int_equal(group_snapshot(s, a, NULL, NULL, NULL, SORT_BYTES, false,
					&r), 0);
	o = (struct group_out){ s, &g, &r, OUTPUT_CSV };
	csv = render(group_render, &o);
	o.fmt = OUTPUT_JSON;
	json = render(group_render, &o);

	/* the snapshot's time and the key kind, then the table's names */
	assert_true(!strncmp(csv, "time,group_by,", 14));
	csv_names(csv, 2, &cols);
	names_are(group_fields, GF_COUNT, &cols);
	assert_int_equal(csv_cells(strchr(csv, '\n') + 1), GF_COUNT + 2);
	nobj = json_objects(json, "groups", objs, 4);
	assert_int_equal(nobj, 2);
	agree(&cols, objs, nobj);
	/* the envelope has what CSV repeats on every row */
	assert_non_null(strstr(json, "{\"time\": "));
	assert_non_null(strstr(json, ", \"group_by\": \"src\""));

	free(csv);
	free(json);
	group_result_free(&r);
	group_agg_free(a);
	snapshot_put(s);
	flowtab_free(tab);
}

/* --- the tables themselves --------------------------------------------- */

/* named fields first, each with its key, reader and a name of its own */
static void check_names(const struct field *fields, size_t named,
			size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct field *f = &fields[i];
		char key[FIELD_JKEY_MAX + 8];

		if (i >= named) {
			assert_null(f->name);
			assert_null(f->value);
			continue;
		}
		assert_non_null(f->name);
		assert_non_null(f->value);
		snprintf(key, sizeof(key), ", \"%s\": ", f->name);
		assert_string_equal(f->jkey, key);
		assert_int_equal(f->jlen, strlen(key));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(f->name, fields[j].name);
	}
}

static void test_flow_table(void **state)
{
	(void)state;
	check_names(flow_fields, FF_NAMED, FF_COUNT);
	/* the enriched ones, and only they, after FF_PLAIN */
	for (int i = 0; i < FF_NAMED; i++)
		assert_int_equal(flow_fields[i].enrich, i >= FF_PLAIN);
}

static void test_group_table(void **state)
{
	(void)state;
	check_names(group_fields, GF_COUNT, GF_COUNT);
}

static bool in_layout(const struct column_table *l, int id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return true;
	return false;
}

/*
 * A view layout shows fields with a view column, one flexible column at
 * most; every field with a view column is in it.
 */
static void check_view(const struct column_table *l, size_t count,
		       int flexible)
{
	int flex = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct column c = columns_col(l, i);

		assert_true(l->ids[i] < (int)count);
		if (l->ids[i] < 0)
			continue;
		assert_non_null(c.title);
		assert_non_null(c.cell);
		flex += !c.width;
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(l->ids[j], l->ids[i]);
	}
	assert_int_equal(flex, flexible);
	for (size_t id = 0; id < count; id++)
		if (l->fields[id].view.title)
			assert_true(in_layout(l, (int)id));
}

/* the same for a text layout (no gaps) */
static void check_text(const struct column_table *l, size_t count)
{
	for (size_t i = 0; i < l->n; i++) {
		int id = l->ids[i];

		assert_true(id >= 0 && id < (int)count);
		assert_non_null(l->fields[id].text.title);
		assert_non_null(l->fields[id].text.put);
	}
	for (size_t id = 0; id < count; id++)
		if (l->fields[id].text.title)
			assert_true(in_layout(l, (int)id));
}

static void test_layouts(void **state)
{
	(void)state;
	check_view(&flow_view_layout, FF_COUNT, 1);
	check_view(&group_view_layout, GF_COUNT, 1);
	check_view(&proc_view_layout, proc_fields_n, 0);
	check_text(&flow_text_layout, FF_COUNT);
	check_text(&group_text_layout, GF_COUNT);
	assert_true(flow_text_layout.n <= 16);
	/* without enrichment the text table stops before the enriched fields */
	for (size_t i = 0; i < flow_text_layout.n; i++)
		assert_int_equal(flow_fields[flow_text_layout.ids[i]].enrich,
				 i >= FLOW_TEXT_PLAIN);
}

/* a shown column of l (view, or text) that sorts by k */
static bool sorted_by(const struct column_table *l, int k)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] >= 0 && l->fields[l->ids[i]].sort == k)
			return true;
	return false;
}

static void test_sort_cycles(void **state)
{
	enum sort_key k = SORT_RATE;
	enum proc_sort p = PSORT_RATE;

	(void)state;
	/* o/O goes round every flow key; each has a column, enriched
	 * exactly when the key needs enrichment */
	for (int i = 0; i < SORT_KEY_COUNT; i++, k = sort_key_next(k, 1)) {
		bool found = false;

		assert_true(sorted_by(&flow_view_layout, k) ||
			    sorted_by(&flow_text_layout, k));
		for (int f = 0; f < FF_COUNT; f++)
			if (flow_fields[f].sort == (int)k) {
				found = true;
				assert_int_equal(flow_fields[f].enrich,
						 sort_key_needs_info(k));
			}
		assert_true(found);
	}
	assert_int_equal(k, SORT_RATE);
	for (int i = 0; i < PSORT_COUNT; i++, p = proc_sort_next(p, 1))
		assert_true(sorted_by(&proc_view_layout, p));
	/* groups sort by rate, bytes or packets, each shown */
	for (int f = 0; f < GF_COUNT; f++) {
		int s = group_fields[f].sort;

		assert_true(s == COL_NO_SORT || s == SORT_RATE ||
			    s == SORT_BYTES || s == SORT_PACKETS);
	}
	assert_true(sorted_by(&group_view_layout, SORT_RATE));
	assert_true(sorted_by(&group_view_layout, SORT_BYTES));
	assert_true(sorted_by(&group_view_layout, SORT_PACKETS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_formats_agree),
		cmocka_unit_test(test_group_formats_agree),
		cmocka_unit_test(test_flow_table),
		cmocka_unit_test(test_group_table),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_sort_cycles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
