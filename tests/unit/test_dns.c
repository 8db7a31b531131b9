// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the pure parts of dns.c (PTR query names, answer
 * parsing: TTL, negative TTL from the SOA, compression, malformed
 * packets, hostile names) and proc.c's /proc/PID/fd link parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "proc.h"

static void test_ptr_name(void **state)
{
	unsigned char a4[4], a6[16];
	char out[128];

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", a4);
	assert_int_equal(dns_ptr_name(AF_INET, a4, out, sizeof(out)), 0);
	assert_string_equal(out, "1.2.0.192.in-addr.arpa");
	inet_pton(AF_INET6, "2001:db8::2", a6);
	assert_int_equal(dns_ptr_name(AF_INET6, a6, out, sizeof(out)), 0);
	assert_string_equal(out, "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
			    "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(dns_ptr_name(AF_INET6, a6, out, 20), -ENOSPC);
	assert_int_equal(dns_ptr_name(99, a6, out, sizeof(out)), -EAFNOSUPPORT);
}

/* builds a DNS message: header, one question, then the given records */
struct msg {
	unsigned char b[512];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(m, b, 2);
}

static void put32(struct msg *m, unsigned long v)
{
	put16(m, (unsigned)(v >> 16));
	put16(m, (unsigned)(v & 0xffff));
}

static void put_name(struct msg *m, const char *dotted)
{
	const char *p = dotted;

	while (*p) {
		const char *e = strchr(p, '.');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		m->b[m->n++] = (unsigned char)l;
		put(m, p, l);
		p += l + (e ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

static void header(struct msg *m, unsigned rcode, unsigned an, unsigned ns)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8400 | rcode);
	put16(m, 1);
	put16(m, an);
	put16(m, ns);
	put16(m, 0);
	put_name(m, "1.2.0.192.in-addr.arpa");	/* at offset 12 */
	put16(m, 12);
	put16(m, 1);
}

static void test_parse_positive(void **state)
{
	struct msg m;
	char name[256];
	uint32_t ttl;
	size_t rdlen_at;

	(void)state;
	header(&m, 0, 1, 0);
	put16(&m, 0xc00c);	/* owner: pointer to the question */
	put16(&m, 12);
	put16(&m, 1);
	put32(&m, 3600);
	rdlen_at = m.n;
	put16(&m, 0);
	put_name(&m, "host.example.test");
	m.b[rdlen_at + 1] = (unsigned char)(m.n - rdlen_at - 2);
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, sizeof(name), &ttl), 0);
	assert_string_equal(name, "host.example.test");
	assert_int_equal(ttl, 3600);

	/* the name cut to the caller's buffer, visibly */
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, 10, &ttl), 0);
	assert_string_equal(name, "host.e...");
}

static void test_parse_hostile(void **state)
{
	static const unsigned char label[] = "evil\x1b[31mred";
	struct msg m;
	char name[256];
	uint32_t ttl;
	size_t rdlen_at, start;

	(void)state;
	header(&m, 0, 1, 0);
	put16(&m, 0xc00c);
	put16(&m, 12);
	put16(&m, 1);
	put32(&m, 0);
	rdlen_at = m.n;
	put16(&m, 0);
	start = m.n;
	m.b[m.n++] = sizeof(label) - 1;
	put(&m, label, sizeof(label) - 1);
	/* then a compression pointer to "in-addr.arpa" of the question */
	put16(&m, 0xc000 | (12 + 10));
	m.b[rdlen_at + 1] = (unsigned char)(m.n - start);
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, sizeof(name), &ttl), 0);
	assert_string_equal(name, "evil?red.in-addr.arpa");
	assert_int_equal(ttl, 0);	/* the caller clamps it */
}

static void test_parse_negative(void **state)
{
	struct msg m;
	char name[256];
	uint32_t ttl;
	size_t rdlen_at, start;

	(void)state;
	/* NXDOMAIN with an SOA: negative TTL = min(SOA TTL, minimum) */
	header(&m, 3, 0, 1);
	put_name(&m, "arpa");
	put16(&m, 6);
	put16(&m, 1);
	put32(&m, 900);
	rdlen_at = m.n;
	put16(&m, 0);
	start = m.n;
	put_name(&m, "ns.example");
	put_name(&m, "admin.example");
	put32(&m, 1);
	put32(&m, 3600);
	put32(&m, 600);
	put32(&m, 86400);
	put32(&m, 120);
	m.b[rdlen_at + 1] = (unsigned char)(m.n - start);
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, sizeof(name), &ttl), -ENOENT);
	assert_int_equal(ttl, 120);
	assert_string_equal(name, "");

	/* without an SOA: the default */
	header(&m, 3, 0, 0);
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, sizeof(name), &ttl), -ENOENT);
	assert_int_equal(ttl, DNS_NEG_TTL_DEFAULT);
}

static void test_parse_malformed(void **state)
{
	struct msg m;
	char name[256];
	uint32_t ttl;

	(void)state;
	assert_int_equal(dns_parse_ptr(NULL, 0, name, sizeof(name), &ttl), -EINVAL);
	header(&m, 0, 1, 0);
	assert_int_equal(dns_parse_ptr(m.b, 11, name, sizeof(name), &ttl), -EINVAL);
	/* an answer that is announced but missing */
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, sizeof(name), &ttl), -EINVAL);
	/* a compression loop */
	put16(&m, 0xc000 | (unsigned)m.n);
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, sizeof(name), &ttl), -EINVAL);
	/* rdlength beyond the packet */
	header(&m, 0, 1, 0);
	put16(&m, 0xc00c);
	put16(&m, 12);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 200);
	assert_int_equal(dns_parse_ptr(m.b, m.n, name, sizeof(name), &ttl), -EINVAL);
}

static void test_socket_inode(void **state)
{
	(void)state;
	assert_int_equal(proc_socket_inode("socket:[12345]"), 12345);
	assert_int_equal(proc_socket_inode("socket:[]"), 0);
	assert_int_equal(proc_socket_inode("socket:[12a]"), 0);
	assert_int_equal(proc_socket_inode("socket:[1]x"), 0);
	assert_int_equal(proc_socket_inode("pipe:[12345]"), 0);
	assert_int_equal(proc_socket_inode("/dev/null"), 0);
	assert_int_equal(proc_socket_inode("anon_inode:[eventfd]"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ptr_name),
		cmocka_unit_test(test_parse_positive),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_negative),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_socket_inode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
