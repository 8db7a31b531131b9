// SPDX-License-Identifier: GPL-2.0
/* acct backend names: what --acct accepts and what the snapshots print. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "acct.h"

static void test_names_round_trip(void **state)
{
	static const enum acct_kind kinds[] = {
		ACCT_AUTO, ACCT_NETFILTER, ACCT_FENTRY, ACCT_KPROBE,
		ACCT_CONNTRACK,
	};
	static const char *const names[] = {
		"auto", "netfilter", "fentry", "kprobe", "conntrack",
	};
	enum acct_kind k;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_string_equal(acct_kind_name(kinds[i]), names[i]);
		k = (enum acct_kind)-1;
		assert_int_equal(acct_kind_parse(names[i], &k), 0);
		assert_int_equal(k, kinds[i]);
	}
}

static void test_parse_rejects(void **state)
{
	enum acct_kind k = ACCT_KPROBE;

	(void)state;
	assert_int_equal(acct_kind_parse("", &k), -EINVAL);
	assert_int_equal(acct_kind_parse("Netfilter", &k), -EINVAL);
	assert_int_equal(acct_kind_parse("netfilter ", &k), -EINVAL);
	assert_int_equal(acct_kind_parse("bpf", &k), -EINVAL);
	assert_int_equal(acct_kind_parse(NULL, &k), -EINVAL);
	assert_int_equal(k, ACCT_KPROBE);	/* untouched on error */
	assert_string_equal(acct_kind_name((enum acct_kind)42), "unknown");
}

static void test_conntrack_needs_no_bpf(void **state)
{
	struct acct *a = NULL;
	struct acct_stats st;
	struct flow_key key;
	char err[256];

	(void)state;
	/* the conntrack backend opens without BPF (and without root) */
	struct acct_opts o = { .kind = ACCT_CONNTRACK };

	assert_int_equal(acct_open(&a, &o, err, sizeof(err)), 0);
	assert_non_null(a);
	assert_int_equal(acct_kind_of(a), ACCT_CONNTRACK);
	assert_int_equal(acct_map_fd(a), -1);
	memset(&key, 0, sizeof(key));
	assert_int_equal(acct_forget(a, &key), 0);
	assert_int_equal(acct_forget_now(a, &key), 0);
	assert_int_equal(acct_read(a, NULL, NULL), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.evictions, 0);
	acct_close(a);
}

static void test_bpf_backend_needs_room(void **state)
{
	struct acct *a = (struct acct *)&a;
	char err[256] = "";

	(void)state;
	struct acct_opts o = { .kind = ACCT_NETFILTER, .max_flows = 0 };

	assert_int_equal(acct_open(&a, &o, err, sizeof(err)), -EINVAL);
	assert_null(a);
	assert_non_null(strstr(err, "netfilter accounting"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_conntrack_needs_no_bpf),
		cmocka_unit_test(test_bpf_backend_needs_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
