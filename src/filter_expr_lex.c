// SPDX-License-Identifier: GPL-2.0
/*
 * Filter expressions, the words: the tokenizer, the table of fields, the
 * values they take (numbers with units, service names), error messages
 * that name the offending word, and the keywords a bare word may be a
 * typo of.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter_expr_internal.h"
#include "sanitize.h"
#include "services.h"

#define NF FILTER_NEEDS_FLOW
#define NI FILTER_NEEDS_INFO

static const struct field_def fields[] = {
	{ "port", F_PORT, V_PORT, 65535, NF },
	{ "sport", F_SPORT, V_PORT, 65535, NF },
	{ "dport", F_DPORT, V_PORT, 65535, NF },
	{ "bytes", F_BYTES, V_SIZE, 0, 0 },
	{ "orig_bytes", F_OBYTES, V_SIZE, 0, 0 },
	{ "reply_bytes", F_RBYTES, V_SIZE, 0, 0 },
	{ "packets", F_PKTS, V_SIZE, 0, 0 },
	{ "pkts", F_PKTS, V_SIZE, 0, 0 },
	{ "orig_packets", F_OPKTS, V_SIZE, 0, 0 },
	{ "reply_packets", F_RPKTS, V_SIZE, 0, 0 },
	{ "rate", F_RATE, V_RATE, 0, 0 },
	{ "orig_rate", F_ORATE, V_RATE, 0, 0 },
	{ "reply_rate", F_RRATE, V_RATE, 0, 0 },
	{ "pps", F_PPS, V_RATE, 0, 0 },
	{ "orig_pps", F_OPPS, V_RATE, 0, 0 },
	{ "reply_pps", F_RPPS, V_RATE, 0, 0 },
	{ "age", F_AGE, V_TIME, 0, NF },
	{ "zone", F_ZONE, V_INT, 65535, NF },
	{ "mark", F_MARK, V_INT, 4294967295.0, NF },
	{ "id", F_ID, V_INT, 4294967295.0, NF },
	{ "pid", F_PID, V_INT, 2147483647.0, NI },
	{ "asn", F_ASN, V_ASN, 4294967295.0, NI },
	{ "process", F_PROCESS, V_TEXT, 0, NI },
	{ "user", F_USER, V_TEXT, 0, NI },
	{ "country", F_COUNTRY, V_TEXT, 0, NI },
	{ "name", F_NAME, V_TEXT, 0, NI },
};

void fx_set_error(struct parser *p, size_t pos, const char *word,
		  size_t wlen, const char *fmt, ...)
{
	struct filter_error *err = p->err;
	va_list ap;

	if (p->ret)
		return;		/* the first error is the one to fix */
	p->ret = -EINVAL;
	if (!err)
		return;
	err->pos = pos + 1;
	err->word[0] = '\0';
	/* the word goes to a terminal: printable, and cut to fit */
	if (word && wlen) {
		char tmp[sizeof(err->word)];
		size_t n = wlen < sizeof(tmp) - 1 ? wlen : sizeof(tmp) - 1;

		memcpy(tmp, word, n);
		tmp[n] = '\0';
		sanitize_str(err->word, sizeof(err->word), tmp);
	}
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static bool special(char c)
{
	return c == '(' || c == ')' || c == '!' || c == '<' || c == '>' ||
	       c == '=' || c == '&' || c == '|' || c == '"' || c == '\'';
}

void fx_next(struct parser *p)
{
	const char *s = p->text;
	struct token *t = &p->tok;
	size_t i;

	p->prev = *t;
	while (p->pos < p->len && isspace((unsigned char)s[p->pos]))
		p->pos++;
	i = p->pos;
	memset(t, 0, offsetof(struct token, text));
	t->text[0] = '\0';
	t->pos = i;
	if (p->ret || i >= p->len) {
		t->type = T_END;
		t->len = 0;
		return;
	}
	t->len = 1;
	switch (s[i]) {
	case '(':
		t->type = T_LPAREN;
		break;
	case ')':
		t->type = T_RPAREN;
		break;
	case '!':
		if (s[i + 1] == '=') {
			t->type = T_CMP;
			t->cmp = C_NE;
			t->len = 2;
		} else {
			t->type = T_NOT;
		}
		break;
	case '&':
	case '|':
		if (s[i + 1] != s[i]) {
			fx_set_error(p, i, s + i, 1, "unknown operator: use '%c%c' or '%s'",
				     s[i], s[i], s[i] == '&' ? "and" : "or");
			t->type = T_END;
			return;
		}
		t->type = s[i] == '&' ? T_AND : T_OR;
		t->len = 2;
		break;
	case '<':
	case '>':
		t->type = T_CMP;
		if (s[i + 1] == '=') {
			t->cmp = s[i] == '<' ? C_LE : C_GE;
			t->len = 2;
		} else {
			t->cmp = s[i] == '<' ? C_LT : C_GT;
		}
		break;
	case '=':
		t->type = T_CMP;
		t->cmp = C_EQ;
		if (s[i + 1] == '=')
			t->len = 2;
		break;
	case '"':
	case '\'': {
		const char *end = memchr(s + i + 1, s[i], p->len - i - 1);
		size_t n;

		if (!end) {
			fx_set_error(p, i, s + i, p->len - i,
				     "the quote is not closed");
			t->type = T_END;
			return;
		}
		n = (size_t)(end - (s + i + 1));
		t->len = n + 2;
		if (n >= WORD_MAX) {
			fx_set_error(p, i, s + i, t->len,
				     "quoted text longer than %d bytes", WORD_MAX - 1);
			t->type = T_END;
			return;
		}
		memcpy(t->text, s + i + 1, n);
		t->text[n] = '\0';
		t->type = T_WORD;
		t->quoted = true;
		break;
	}
	default: {
		size_t n = 0;

		while (i + n < p->len && !isspace((unsigned char)s[i + n]) &&
		       !special(s[i + n]))
			n++;
		t->len = n;
		if (n >= WORD_MAX) {
			fx_set_error(p, i, s + i, n, "word longer than %d bytes",
				     WORD_MAX - 1);
			t->type = T_END;
			return;
		}
		memcpy(t->text, s + i, n);
		t->text[n] = '\0';
		t->type = T_WORD;
		if (!strcasecmp(t->text, "and"))
			t->type = T_AND;
		else if (!strcasecmp(t->text, "or"))
			t->type = T_OR;
		else if (!strcasecmp(t->text, "not"))
			t->type = T_NOT;
		break;
	}
	}
	p->pos = i + t->len;
}

const struct field_def *fx_find_field(const char *w)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcasecmp(fields[i].name, w))
			return &fields[i];
	return NULL;
}

const struct field_def *fx_field_def(enum field f)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].field == f)
			return &fields[i];
	return NULL;
}

/* --- values ----------------------------------------------------------- */

/*
 * A plain decimal number at the start of s ("12", "1.5"): strtod would
 * also take "inf", "nan", hex and exponents. Its length, or 0.
 */
size_t fx_decimal_len(const char *s)
{
	size_t n = 0, digits = 0;
	bool dot = false;

	for (;; n++) {
		if (isdigit((unsigned char)s[n])) {
			digits++;
		} else if (s[n] == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	return digits ? n : 0;
}

struct unit {
	const char *name;
	double mult;
};

static const struct unit size_units[] = {
	{ "", 1 }, { "k", 1e3 }, { "m", 1e6 }, { "g", 1e9 }, { "t", 1e12 },
	{ "p", 1e15 }, { "ki", 1024.0 }, { "mi", 1048576.0 },
	{ "gi", 1073741824.0 }, { "ti", 1099511627776.0 },
	{ "pi", 1125899906842624.0 },
};

static const struct unit time_units[] = {
	{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 }, { "min", 60 },
	{ "h", 3600 }, { "d", 86400 },
};

static bool find_unit(const struct unit *u, size_t n, const char *s,
		      size_t len, double *mult)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(u[i].name) == len && !strncasecmp(u[i].name, s, len)) {
			*mult = u[i].mult;
			return true;
		}
	return false;
}

/*
 * One value of kind k from s[0..len) into *out. Service names (V_PORT)
 * may stand for several ports: they go to ports[] (*nports), *out is then
 * not set. Returns false with the reason in why.
 */
bool fx_parse_value(struct parser *p, const struct field_def *fd,
		    const char *s, size_t len, double *out,
		    uint16_t *ports, size_t *nports, const char **why)
{
	char buf[WORD_MAX];
	size_t n;
	double v, mult = 1;
	char *end;

	if (nports)
		*nports = 0;
	if (!len) {
		*why = "a value is missing";
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	s = buf;
	switch (fd->kind) {
	case V_ASN:
		if (!strncasecmp(s, "as", 2))
			s += 2;
		/* fall through */
	case V_INT:
	case V_PORT:
		if (fd->kind != V_ASN && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		    isxdigit((unsigned char)s[2])) {
			for (n = 2; isxdigit((unsigned char)s[n]); n++)
				;
			if (s[n] || n > 18) {
				*why = n > 18 ? "number too large" : "not a number";
				return false;
			}
			v = (double)strtoull(s, &end, 16);
		} else {
			n = fx_decimal_len(s);
			if (n && !s[n] && !strchr(s, '.')) {
				v = n > 20 ? INFINITY : strtod(s, &end);
			} else if (fd->kind == V_PORT && p->svc && ports &&
				   (*nports = services_ports(p->svc, buf, ports,
							     MAX_SVC_PORTS))) {
				return true;
			} else {
				*why = fd->kind == V_PORT ?
				       "not a port number or a known service name" :
				       fd->kind == V_ASN ?
				       "not an AS number (e.g. 64496 or AS64496)" :
				       "not a whole number";
				return false;
			}
		}
		if (v > fd->max) {
			*why = fd->kind == V_PORT ? "port numbers go up to 65535" :
			       "number too large";
			return false;
		}
		*out = v;
		return true;
	case V_SIZE:
	case V_RATE:
	case V_TIME:
		n = fx_decimal_len(s);
		if (!n || n > 40) {
			*why = n ? "number too long" : "not a number";
			return false;
		}
		v = strtod(s, &end);
		s += n;
		len = strlen(s);
		if (fd->kind == V_RATE && len >= 2 && !strcmp(s + len - 2, "/s"))
			len -= 2;
		if (fd->kind != V_TIME && len && (s[len - 1] == 'b' || s[len - 1] == 'B') &&
		    fd->field != F_PKTS && fd->field != F_OPKTS &&
		    fd->field != F_RPKTS && fd->field != F_PPS &&
		    fd->field != F_OPPS && fd->field != F_RPPS)
			len--;	/* "1MB", "10kB/s": bytes */
		if (fd->kind == V_TIME ?
		    !find_unit(time_units, sizeof(time_units) / sizeof(time_units[0]),
			       s, len, &mult) :
		    !find_unit(size_units, sizeof(size_units) / sizeof(size_units[0]),
			       s, len, &mult)) {
			*why = fd->kind == V_TIME ?
			       "unknown time unit (ms, s, m, h or d)" :
			       "unknown unit (k, M, G, T, P or Ki, Mi, Gi, Ti, Pi)";
			return false;
		}
		v *= mult;
		if (!isfinite(v) || v > 1.8446744073709552e19) {
			*why = "number too large";
			return false;
		}
		*out = v;
		return true;
	case V_TEXT:
		break;
	}
	*why = "not a value";
	return false;
}

/* a and b differ by at most one edit (a letter changed, added, dropped
 * or two swapped) */
static bool one_edit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (la < lb) {
		const char *t = a;

		a = b;
		b = t;
		la = lb;
		lb = strlen(b);
	}
	if (la - lb > 1)
		return false;
	while (i < lb && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i]))
		i++;
	if (la == lb) {
		if (i + 1 >= la)
			return true;
		if (!strcasecmp(a + i + 1, b + i + 1))
			return true;
		/* swapped */
		return tolower((unsigned char)a[i]) == tolower((unsigned char)b[i + 1]) &&
		       tolower((unsigned char)a[i + 1]) == tolower((unsigned char)b[i]) &&
		       !strcasecmp(a + i + 2, b + i + 2);
	}
	return !strcasecmp(a + i + 1, b + i);
}

/*
 * The keyword a bare word is a typo of ("scr", "dprot", "bytess"), or
 * NULL. Such a word would silently turn into a text search that matches
 * nothing; an error that names it helps more.
 */
const char *fx_typo_of(const char *w)
{
	static const char *const kws[] = {
		"src", "dst", "host", "net", "proto", "state", "family",
	};
	size_t n = strlen(w);

	if (n < 3)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)w[i]) && w[i] != '_')
			return NULL;
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (one_edit(w, kws[i]))
			return kws[i];
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (one_edit(w, fields[i].name))
			return fields[i].name;
	return NULL;
}
