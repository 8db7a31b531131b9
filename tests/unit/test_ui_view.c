// SPDX-License-Identifier: GPL-2.0
/* The view builder: snapshot + sort + filter + toggles → rows shown. */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "collector.h"
#include "filter.h"
#include "snap_of_flows.h"
#include "ui_view.h"

static struct snapshot *mk_snap(size_t n)
{
	struct snapshot_meta m = { .seq = 2, .time = 100.0, .new_flows = 500,
				   .destroyed_flows = 100 };
	struct flow *flows = calloc(n, sizeof(*flows));
	struct snapshot *s;

	assert_non_null(flows);
	for (size_t i = 0; i < n; i++) {
		struct flow *f = &flows[i];

		f->ct_id = (uint32_t)(1000 + i);
		f->key.family = AF_INET;
		/* every third flow UDP, the rest TCP; one ICMP */
		f->key.proto = i % 3 == 0 ? IPPROTO_UDP : IPPROTO_TCP;
		f->key.src[0] = htonl(0xc0000201);
		f->key.dst[0] = htonl(0xcb007100 + (uint32_t)(i % 200));
		f->key.sport = htons((uint16_t)(1024 + i));
		f->key.dport = htons((uint16_t)(i % 7 == 0 ? 53 : 80));
		f->total.bytes[0] = i * 10;
		f->byte_rate[0] = (float)(i % 5);
	}
	flows[1].key.proto = IPPROTO_ICMP;
	s = snapshot_of_flows(flows, n, &m);
	assert_non_null(s);
	free(flows);
	return s;
}

/* row i of s as a whole flow (four at a time: one expression may compare two) */
static const struct flow *row_of(const struct snapshot *s, size_t i)
{
	static struct flow buf[4];
	static unsigned int next;

	return snapshot_flow(s, i, &buf[next++ % 4]);
}

static struct ui_params defaults(void)
{
	struct ui_params p;

	memset(&p, 0, sizeof(p));
	p.sort = SORT_BYTES;
	p.protos = SEL_PROTOS;
	return p;
}

static void test_toggles_and_order(void **state)
{
	struct snapshot *s = mk_snap(3000);
	struct ui_params p = defaults();
	struct view *v;
	size_t udp = 0, tcp = 0;

	(void)state;
	for (size_t i = 0; i < s->n; i++) {
		udp += row_of(s, i)->key.proto == IPPROTO_UDP;
		tcp += row_of(s, i)->key.proto == IPPROTO_TCP;
	}
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_non_null(v);
	assert_int_equal(v->n, 3000);
	/* most bytes first */
	for (size_t i = 1; i < v->n; i++)
		assert_true(row_of(s, v->idx[i - 1])->total.bytes[0] >=
			    row_of(s, v->idx[i])->total.bytes[0]);
	view_put(v);

	p.protos = SEL_TCP;
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_int_equal(v->n, tcp);
	for (size_t i = 0; i < v->n; i++)
		assert_int_equal(row_of(s, v->idx[i])->key.proto, IPPROTO_TCP);
	view_put(v);
	p.protos = SEL_UDP | SEL_ICMP;
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_int_equal(v->n, udp + 1);
	view_put(v);
	p.protos = 0;
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_int_equal(v->n, 0);
	view_put(v);
	snapshot_put(s);
}

static void test_filter_active_rates(void **state)
{
	struct snapshot *s = mk_snap(1000);
	struct snapshot_meta prev = s->meta;
	struct ui_params p = defaults();
	struct view *v;
	double sum = 0;

	(void)state;
	p.active_only = true;
	prev.time = 98.0;
	prev.new_flows = 100;
	prev.destroyed_flows = 0;
	v = view_build(s, &p, NULL, &prev, NULL, false, NULL, 0);
	assert_int_equal(v->n, 800);	/* rate 0 for every fifth flow */
	for (size_t i = 0; i < s->n; i++)
		if (row_of(s, i)->byte_rate[0] > 0)
			sum += row_of(s, i)->byte_rate[0];
	assert_true(v->rate[0] == sum);
	assert_true(v->new_per_s == 200.0);
	assert_true(v->gone_per_s == 50.0);
	view_put(v);

	p.active_only = false;
	strcpy(p.filter, "53");
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	/* port 53 exactly, or "53" inside an address (203.0.113.53, .153) */
	for (size_t i = 0; i < v->n; i++) {
		const struct flow *f = row_of(s, v->idx[i]);
		uint32_t last = ntohl(f->key.dst[0]) & 0xff;

		assert_true(ntohs(f->key.dport) == 53 || last == 53 || last == 153);
	}
	assert_true(v->n > 100 && v->n < 200);
	view_put(v);
	strcpy(p.filter, "203.0.113.17 53");
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	for (size_t i = 0; i < v->n; i++) {
		uint32_t last = ntohl(row_of(s, v->idx[i])->key.dst[0]) & 0xff;

		/* substring: 203.0.113.17 also finds .170 … .179 */
		assert_int_equal(ntohs(row_of(s, v->idx[i])->key.dport), 53);
		assert_true(last == 17 || last / 10 == 17);
	}
	assert_true(v->n >= 1);
	view_put(v);
	snapshot_put(s);
}

static void test_selection_and_samples(void **state)
{
	struct snapshot *s = mk_snap(5000);
	struct ui_params p = defaults();
	struct flow_ident sel, watch[3];
	struct view *v;

	(void)state;
	/* as the view names them: id, tuple and the table index */
	sel.ct_id = row_of(s, 4321)->ct_id;
	sel.key = row_of(s, 4321)->key;
	sel.idx = row_of(s, 4321)->idx;
	for (int i = 0; i < 3; i++) {
		watch[i].ct_id = row_of(s, 10 + i)->ct_id;
		watch[i].key = row_of(s, 10 + i)->key;
		watch[i].idx = row_of(s, 10 + i)->idx;
	}
	watch[2].key.sport ^= 1;	/* same id, other tuple: not the flow */
	v = view_build(s, &p, NULL, NULL, &sel, true, watch, 3);
	assert_true(v->sel_pos >= 0);
	assert_int_equal(v->idx[v->sel_pos], 4321);
	assert_int_equal(v->nsamples, 2);
	assert_true(v->samples[0].byte_rate[0] == row_of(s, 10)->byte_rate[0] ||
		    v->samples[0].byte_rate[0] == row_of(s, 11)->byte_rate[0]);
	view_put(v);

	/* every watched flow found: the builder stops looking, and the watch
	 * set still goes (a leak under SANITIZE=1 before) */
	watch[2].key.sport ^= 1;
	v = view_build(s, &p, NULL, NULL, NULL, false, watch, 3);
	assert_int_equal(v->nsamples, 3);
	view_put(v);

	/* filtered out: not found */
	p.protos = SEL_UDP;
	if (row_of(s, 4321)->key.proto != IPPROTO_UDP) {
		v = view_build(s, &p, NULL, NULL, &sel, true, NULL, 0);
		assert_int_equal(v->sel_pos, -1);
		view_put(v);
	}
	/* the view keeps the snapshot alive after the caller drops it */
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	snapshot_put(s);
	assert_int_equal(atomic_load(&v->snap->refs), 1);
	view_put(v);
}

/* How many of this process's threads run in scheduling class policy
 * (field 41 of /proc/self/task/TID/stat). */
static int threads_in_class(int policy)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[1024], *p;
		int field = 2;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* the thread ended meanwhile */
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (!p || !(p = strrchr(buf, ')')))
			continue;
		/* past the name, fields are single words: count to 41 */
		for (p++; *p && field < 41; p++)
			if (*p == ' ')
				field++;
		if (field == 41 && atoi(p) == policy)
			n++;
	}
	closedir(d);
	return n;
}

/* The builder is background work: woken on every snapshot, it must not
 * preempt the view's thread (SCHED_BATCH). */
static void test_builder_is_background(void **state)
{
	struct collector *col = calloc(1, sizeof(*col));
	struct ui_params p = defaults();
	struct ui_builder *b;
	int before;

	(void)state;
	assert_non_null(col);
	before = threads_in_class(SCHED_BATCH);
	assert_int_equal(ui_builder_start(&b, col, NULL, &p), 0);
	assert_int_equal(threads_in_class(SCHED_BATCH), before + 1);
	ui_builder_stop(b);
	free(col);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toggles_and_order),
		cmocka_unit_test(test_filter_active_rates),
		cmocka_unit_test(test_selection_and_samples),
		cmocka_unit_test(test_builder_is_background),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
