// SPDX-License-Identifier: GPL-2.0
/* GeoIP lookups in an open handle's databases (see geoip.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "geoip_internal.h"
#include "sanitize.h"

/* two ASCII letters, as an ISO 3166-1 alpha-2 code is */
static bool is_alpha2(const char *c)
{
	return isalpha((unsigned char)c[0]) && isalpha((unsigned char)c[1]) &&
	       !c[2];
}

/* A string field at path into out (sanitized) unless out is already set. */
static void get_str(MMDB_entry_s *e, char *out, size_t len, const char *const *path)
{
	MMDB_entry_data_s d;

	if (out[0])
		return;
	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return;
	sanitize_text(out, len, d.utf8_string, d.data_size);
}

static void get_u32(MMDB_entry_s *e, uint32_t *out, const char *const *path)
{
	MMDB_entry_data_s d;

	if (*out)
		return;
	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
		return;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		*out = d.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		*out = d.uint32;
		break;
	case MMDB_DATA_TYPE_INT32:
		*out = d.int32 > 0 ? (uint32_t)d.int32 : 0;
		break;
	case MMDB_DATA_TYPE_UINT64:
		*out = d.uint64 <= UINT32_MAX ? (uint32_t)d.uint64 : 0;
		break;
	}
}

#define P(...) ((const char *const[]){ __VA_ARGS__, NULL })

bool geoip_lookup(const struct geoip *g, int family, const void *addr,
		  struct geo_info *out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	const struct sockaddr *sa;

	memset(out, 0, sizeof(*out));
	if (!g)
		return false;
	if (family == AF_INET) {
		memcpy(&sin.sin_addr, addr, 4);
		sa = (const struct sockaddr *)&sin;
	} else if (family == AF_INET6) {
		memcpy(&sin6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&sin6;
	} else {
		return false;
	}
	/* the lock is the only thing a lookup writes: cast away const */
	pthread_rwlock_rdlock((pthread_rwlock_t *)&g->rw);
	for (int i = 0; i < g->n; i++) {
		MMDB_lookup_result_s r;
		int mmerr;

		if (!g->slot[i].db)
			continue;
		r = MMDB_lookup_sockaddr(g->slot[i].db, sa, &mmerr);
		if (mmerr != MMDB_SUCCESS || !r.found_entry)
			continue;
		/* MaxMind / DB-IP nested layout, then ip-location-db's flat one */
		get_str(&r.entry, out->country_code, sizeof(out->country_code),
			P("country", "iso_code"));
		get_str(&r.entry, out->country_code, sizeof(out->country_code),
			P("country_code"));
		get_str(&r.entry, out->country_code, sizeof(out->country_code),
			P("registered_country", "iso_code"));
		get_str(&r.entry, out->country, sizeof(out->country),
			P("country", "names", "en"));
		get_str(&r.entry, out->country, sizeof(out->country),
			P("country_name"));
		get_str(&r.entry, out->city, sizeof(out->city),
			P("city", "names", "en"));
		get_str(&r.entry, out->city, sizeof(out->city), P("city"));
		get_u32(&r.entry, &out->asn, P("autonomous_system_number"));
		get_str(&r.entry, out->as_org, sizeof(out->as_org),
			P("autonomous_system_organization"));
	}
	pthread_rwlock_unlock((pthread_rwlock_t *)&g->rw);
	/* a code is two letters or nothing: anything else is not a code */
	if (out->country_code[0] && !is_alpha2(out->country_code))
		out->country_code[0] = '\0';
	for (char *c = out->country_code; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	if (!out->country[0] && out->country_code[0]) {
		const char *nm = iso_country_name(out->country_code);

		if (nm)
			snprintf(out->country, sizeof(out->country), "%s", nm);
	}
	return out->country_code[0] || out->country[0] || out->city[0] ||
	       out->asn || out->as_org[0];
}

