// SPDX-License-Identifier: GPL-2.0
/*
 * Batch mode's bounded wait for lookups, with the real process worker
 * (sock_diag and /proc of this process, no privilege needed): a loopback
 * TCP connection of this test finds its owner within the wait, flows
 * without sockets are not waited for, no wait means no answer yet, and a
 * readable abort fd ends the wait at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enrich.h"
#include "enrich_wait.h"
#include "snap_of_flows.h"

/* A connected loopback TCP pair; *flow is the client's flow. */
static void tcp_pair(int fds[3], struct flow *flow)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fds[0] >= 0);
	assert_int_equal(bind(fds[0], (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fds[0], 1), 0);
	assert_int_equal(getsockname(fds[0], (struct sockaddr *)&a, &len), 0);
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fds[1] >= 0);
	assert_int_equal(connect(fds[1], (struct sockaddr *)&a, sizeof(a)), 0);
	fds[2] = accept(fds[0], NULL, NULL);
	assert_true(fds[2] >= 0);

	memset(flow, 0, sizeof(*flow));
	flow->key.family = AF_INET;
	flow->key.proto = IPPROTO_TCP;
	flow->key.src[0] = flow->key.dst[0] = htonl(INADDR_LOOPBACK);
	flow->key.dport = a.sin_port;
	len = sizeof(a);
	assert_int_equal(getsockname(fds[1], (struct sockaddr *)&a, &len), 0);
	flow->key.sport = a.sin_port;
	flow->reply = flow->key;
	flow->reply.sport = flow->key.dport;
	flow->reply.dport = flow->key.sport;
	flow->state = 3;
}

static void close_pair(int fds[3])
{
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

/* A snapshot of flows; the one of the call before is put. */
static struct snapshot *snap_of(struct flow *flows, size_t n)
{
	static struct snapshot *s;
	struct snapshot_meta m = { .seq = 1 };

	snapshot_put(s);
	s = snapshot_of_flows(flows, n, &m);
	assert_non_null(s);
	return s;
}

static struct enrich *open_enrich(void)
{
	struct enrich_config cfg = { .conf_dir = "/nonexistent", .process = true };
	struct enrich *e = NULL;

	assert_int_equal(enrich_open(&e, &cfg), 0);
	return e;
}

static void test_owner_found_within_wait(void **state)
{
	struct enrich *e = open_enrich();
	struct enrich_wait_stats st;
	struct flow_info fi;
	struct flow f[2];
	int fds[3];

	(void)state;
	tcp_pair(fds, &f[0]);
	/* ICMP has no socket: nothing to wait for */
	memset(&f[1], 0, sizeof(f[1]));
	f[1].key.family = f[1].reply.family = AF_INET;
	f[1].key.proto = f[1].reply.proto = IPPROTO_ICMP;

	assert_int_equal(enrich_wait_snapshot(e, snap_of(f, 2), NULL, 0, 30, -1,
					      &st), 0);
	assert_int_equal(st.flows, 2);
	assert_int_equal(st.waited_for, 1);
	assert_int_equal(st.unanswered, 0);
	enrich_flow(e, &f[0], &fi);
	assert_int_equal(fi.proc.pid, getpid());
	assert_true(fi.proc.comm[0] != '\0');
	/* answered now: a second wait has nothing to wait for */
	assert_int_equal(enrich_wait_snapshot(e, snap_of(f, 2), NULL, 0, 30, -1,
					      &st), 0);
	assert_int_equal(st.waited_for, 0);
	close_pair(fds);
	enrich_close(e);
}

static void test_no_wait(void **state)
{
	struct enrich *e = open_enrich();
	struct enrich_wait_stats st;
	struct flow_info fi;
	struct flow f;
	int fds[3];

	(void)state;
	tcp_pair(fds, &f);
	/* what a batch run without --wait prints: not known yet */
	assert_int_equal(enrich_wait_snapshot(e, snap_of(&f, 1), NULL, 0, 0, -1,
					      &st), 0);
	assert_int_equal(st.waited_for, 0);
	enrich_flow(e, &f, &fi);
	assert_int_equal(fi.proc.pid, 0);
	close_pair(fds);
	enrich_close(e);
}

/* Rows given (batch --top after --filter): only those are looked up. */
static void test_rows(void **state)
{
	struct enrich *e = open_enrich();
	struct enrich_wait_stats st;
	struct flow_info fi;
	struct flow f[2];
	const uint32_t rows[] = { 1 };
	int a[3], b[3];

	(void)state;
	tcp_pair(a, &f[0]);
	tcp_pair(b, &f[1]);
	assert_int_equal(enrich_wait_snapshot(e, snap_of(f, 2), rows, 1, 30,
					      -1, &st), 0);
	assert_int_equal(st.flows, 1);
	assert_int_equal(st.waited_for, 1);
	assert_int_equal(st.unanswered, 0);
	enrich_flow(e, &f[1], &fi);
	assert_int_equal(fi.proc.pid, getpid());
	/* row 0 was not asked for: no answer yet */
	enrich_flow(e, &f[0], &fi);
	assert_int_equal(fi.proc.pid, 0);
	close_pair(a);
	close_pair(b);
	enrich_close(e);
}

/* A signal to handle (the abort fd) ends the wait before any answer. */
static void test_abort(void **state)
{
	struct enrich *e = open_enrich();
	struct enrich_wait_stats st;
	struct flow f;
	int fds[3], ab = eventfd(1, EFD_CLOEXEC);

	(void)state;
	assert_true(ab >= 0);
	tcp_pair(fds, &f);
	assert_int_equal(enrich_wait_snapshot(e, snap_of(&f, 1), NULL, 0, 3600,
					      ab, &st), 0);
	assert_int_equal(st.waited_for, 1);
	assert_int_equal(st.unanswered, 1);
	close(ab);
	close_pair(fds);
	enrich_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_found_within_wait),
		cmocka_unit_test(test_no_wait),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
