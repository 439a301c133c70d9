/*
 * received - Received: field parser and hop classification.
 *
 * A small lexer splits a value into words, comments (nested, with quoted-pairs)
 * and the ';' that starts the date.  Words after the keywords from/by/via/with/id/for
 * fill the clauses; comments are recognised by their shape (TLS, authentication,
 * the address comment after "from", the software comment after "by").  Every loop
 * advances through a bounded input, so hostile values cost at most linear time.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "received.h"

#define MAX_COMMENT_DEPTH	8

enum clause { C_NONE, C_FROM, C_BY, C_VIA, C_WITH, C_ID, C_FOR, C_NCLAUSES };

enum tok_type { T_END, T_WORD, T_COMMENT, T_SEMI };

struct tok {
	enum tok_type type;
	const char *p;
	size_t	 n;
};

struct lexer {
	const char *s;
	size_t	 len, pos;
	unsigned *flags;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

static bool
ieq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

static bool
iprefix(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && strncasecmp(p, lit, l) == 0;
}

/* lit as a whole first word: "Postfix" matches "Postfix, from userid 0" but not
 * the host name "postfix.example.org". */
static bool
iword(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return iprefix(p, n, lit) && (n == l || is_wsp(p[l]) || p[l] == ',' || p[l] == ':');
}

/* Find lit (case-insensitive) in [p, p+n); returns offset or n. */
static size_t
ifind(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit), i;

	for (i = 0; l <= n && i + l <= n; i++)
		if (strncasecmp(p + i, lit, l) == 0)
			return i;
	return n;
}

/* Copy into a fixed field: printable ASCII kept, anything else becomes '?', so a
 * field is always safe to show; too long -> truncated and flagged. */
static void
copy_field(char *dst, size_t size, const char *src, size_t n, unsigned *flags)
{
	size_t i;

	if (n >= size) {
		n = size - 1;
		*flags |= MW_RCV_TRUNCATED;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
}

/* Append " word" (or "word" when empty) to a fixed field. */
static void
append_word(char *dst, size_t size, const char *src, size_t n, unsigned *flags)
{
	size_t have = strlen(dst);

	if (have > 0) {
		if (have + 1 >= size) {
			*flags |= MW_RCV_TRUNCATED;
			return;
		}
		dst[have++] = ' ';
		dst[have] = '\0';
	}
	copy_field(dst + have, size - have, src, n, flags);
}

static struct tok
next_token(struct lexer *lx)
{
	struct tok t = { T_END, NULL, 0 };
	const char *s = lx->s;
	size_t i;

	while (lx->pos < lx->len && is_wsp(s[lx->pos]))
		lx->pos++;
	if (lx->pos >= lx->len)
		return t;
	i = lx->pos;
	if (s[i] == ';') {
		t.type = T_SEMI;
		t.p = s + i;
		t.n = 1;
		lx->pos = i + 1;
		return t;
	}
	if (s[i] == '(') {
		unsigned depth = 1;
		size_t j = i + 1;

		for (; j < lx->len; j++) {
			if (s[j] == '\\' && j + 1 < lx->len) {
				j++;
				continue;
			}
			if (s[j] == '(') {
				if (++depth > MAX_COMMENT_DEPTH)
					*lx->flags |= MW_RCV_DEEP_COMMENT;
			} else if (s[j] == ')' && --depth == 0)
				break;
		}
		t.type = T_COMMENT;
		t.p = s + i + 1;
		t.n = j - i - 1;
		if (j >= lx->len) {
			*lx->flags |= MW_RCV_UNBALANCED;
			t.n = lx->len - i - 1;
			lx->pos = lx->len;
		} else
			lx->pos = j + 1;
		return t;
	}
	t.type = T_WORD;
	t.p = s + i;
	if (s[i] == '<' || s[i] == '"') {
		char close = s[i] == '<' ? '>' : '"';
		size_t j;

		for (j = i + 1; j < lx->len && s[j] != close; j++)
			if (close == '"' && s[j] == '\\' && j + 1 < lx->len)
				j++;
		if (j < lx->len) {
			t.n = j + 1 - i;
			lx->pos = j + 1;
			return t;
		}
		*lx->flags |= MW_RCV_UNBALANCED;
		/* Unclosed: fall back to an ordinary word. */
	}
	while (lx->pos < lx->len && !is_wsp(s[lx->pos]) && s[lx->pos] != '(' &&
	    s[lx->pos] != ';')
		lx->pos++;
	t.n = (size_t)(s + lx->pos - t.p);
	return t;
}

/* Words of a comment: split on white space and commas, nested (...) groups skipped. */
struct cwords {
	const char *p;
	size_t	 n, pos;
};

static bool
cword_next(struct cwords *cw, const char **w, size_t *wn)
{
	for (;;) {
		size_t start;

		while (cw->pos < cw->n && (is_wsp(cw->p[cw->pos]) || cw->p[cw->pos] == ','))
			cw->pos++;
		if (cw->pos >= cw->n)
			return false;
		if (cw->p[cw->pos] == '(') {
			unsigned depth = 0;

			for (; cw->pos < cw->n; cw->pos++) {
				if (cw->p[cw->pos] == '(')
					depth++;
				else if (cw->p[cw->pos] == ')' && --depth == 0) {
					cw->pos++;
					break;
				}
			}
			continue;
		}
		start = cw->pos;
		while (cw->pos < cw->n && !is_wsp(cw->p[cw->pos]) && cw->p[cw->pos] != ',' &&
		    cw->p[cw->pos] != '(')
			cw->pos++;
		*w = cw->p + start;
		*wn = cw->pos - start;
		return true;
	}
}

bool
mw_received_parse_ip(const char *text, size_t len, char *out)
{
	char tmp[64];
	unsigned char addr[16];

	if (len >= 5 && strncasecmp(text, "IPv6:", 5) == 0) {
		text += 5;
		len -= 5;
	}
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, text, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, addr) == 1)
		return inet_ntop(AF_INET, addr, out, MW_RCV_IP_MAX) != NULL;
	if (inet_pton(AF_INET6, tmp, addr) == 1)
		return inet_ntop(AF_INET6, addr, out, MW_RCV_IP_MAX) != NULL;
	return false;
}

/* "[addr]" or "[addr]:port"; returns true and sets out when it holds an address. */
static bool
bracket_ip(const char *w, size_t n, char *out, unsigned *flags)
{
	const char *close;

	if (n < 2 || w[0] != '[')
		return false;
	if ((close = memchr(w, ']', n)) == NULL)
		return false;
	if (mw_received_parse_ip(w + 1, (size_t)(close - w - 1), out))
		return true;
	*flags |= MW_RCV_BAD_IP;
	return false;
}

static bool
is_hostname(const char *w, size_t n)
{
	size_t i;
	bool alnum = false;

	if (n == 0 || n >= MW_RCV_HOST_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (isalnum(c))
			alnum = true;
		else if (c != '.' && c != '-' && c != '_')
			return false;
	}
	return alnum;
}

/* A host name without the one trailing dot Gmail writes. */
static void
copy_host(char *dst, const char *w, size_t n, unsigned *flags)
{
	if (n > 1 && w[n - 1] == '.')
		n--;
	copy_field(dst, MW_RCV_HOST_MAX, w, n, flags);
}

/* A shape typical of one MTA but not proof of it: kept only when nothing better said. */
static void
hint_mta(struct mw_received_hop *h, enum mw_rcv_mta mta)
{
	if (h->mta == MW_RCV_MTA_UNKNOWN)
		h->mta = mta;
}

static int
parse_bits(const char *w, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n && isdigit((unsigned char)w[i]) && v < 100000; i++)
		v = v * 10 + (w[i] - '0');
	return i > 0 ? v : 0;
}

static void
set_tls(struct mw_received_hop *h, const char *ver, size_t vn, const char *ciph, size_t cn,
    int bits)
{
	h->flags |= MW_RCV_TLS_COMMENT;
	if (ver != NULL && h->tls_version[0] == '\0')
		copy_field(h->tls_version, sizeof(h->tls_version), ver, vn, &h->flags);
	if (ciph != NULL && h->tls_cipher[0] == '\0')
		copy_field(h->tls_cipher, sizeof(h->tls_cipher), ciph, cn, &h->flags);
	if (bits > 0 && h->tls_bits == 0)
		h->tls_bits = bits;
}

/* Postfix: "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ..." */
static void
comment_postfix_tls(struct mw_received_hop *h, const char *c, size_t n)
{
	struct cwords cw = { c, n, 0 };
	const char *w, *ver = NULL, *ciph = NULL;
	size_t wn, vn = 0, cn = 0;
	int state = 0;
	size_t paren;

	while (cword_next(&cw, &w, &wn)) {
		if (state == 0 && ieq(w, wn, "using"))
			state = 1;
		else if (state == 1) {
			ver = w, vn = wn;
			state = 2;
		} else if (state == 2 && ieq(w, wn, "cipher"))
			state = 3;
		else if (state == 3) {
			ciph = w, cn = wn;
			break;
		}
	}
	/* The first "(N/M bits)" group holds the symmetric key size. */
	paren = ifind(c, n, "(");
	set_tls(h, ver, vn, ciph, cn, paren < n ? parse_bits(c + paren + 1, n - paren - 1) : 0);
	hint_mta(h, MW_RCV_MTA_POSTFIX);
}

/* Sendmail, Gmail, Exchange: "version=TLSv1.3 cipher=X bits=256[/256] verify=NOT" or
 * "version=TLS1_2, cipher=X".  Only a version naming TLS or SSL counts. */
static bool
comment_version_tls(struct mw_received_hop *h, const char *c, size_t n)
{
	struct cwords cw = { c, n, 0 };
	const char *w, *ver = NULL, *ciph = NULL;
	size_t wn, vn = 0, cn = 0;
	int bits = 0;

	while (cword_next(&cw, &w, &wn)) {
		if (iprefix(w, wn, "version="))
			ver = w + 8, vn = wn - 8;
		else if (iprefix(w, wn, "cipher="))
			ciph = w + 7, cn = wn - 7;
		else if (iprefix(w, wn, "bits="))
			bits = parse_bits(w + 5, wn - 5);
	}
	if (ver == NULL || !(iprefix(ver, vn, "TLS") || iprefix(ver, vn, "SSL")))
		return false;
	set_tls(h, ver, vn, ciph, cn, bits);
	return true;
}

/* Exim after "with": "(TLS1.3)" or the older "(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)". */
static bool
comment_exim_tls(struct mw_received_hop *h, const char *c, size_t n)
{
	const char *c1, *c2 = NULL;
	size_t vn, cn = 0;

	while (n > 0 && is_wsp(*c))
		c++, n--;
	if (!(iprefix(c, n, "TLS") || iprefix(c, n, "SSL")) || memchr(c, ' ', n) != NULL)
		return false;
	c1 = memchr(c, ':', n);
	vn = c1 ? (size_t)(c1 - c) : n;
	if (c1 != NULL) {
		c2 = memchr(c1 + 1, ':', n - vn - 1);
		cn = c2 ? (size_t)(c2 - c1 - 1) : n - vn - 1;
	}
	set_tls(h, c, vn, c1 ? c1 + 1 : NULL, cn,
	    c2 ? parse_bits(c2 + 1, (size_t)(c + n - c2 - 1)) : 0);
	return true;
}

/* The address comment after "from": Postfix/Sendmail "(rdns [ip])", "(unknown [ip])",
 * "(user@rdns [ip])"; Exim "([ip] helo=x ident=y)" / "(helo=x)"; Exchange "(ip)";
 * qmail "(HELO x) (ip)". */
struct addr_form {
	bool	 seen;
	bool	 name_then_ip;	/* a host name came before the [ip] */
	bool	 helo_kw;	/* helo=... was present: the from word is not the HELO */
	char	 name[MW_RCV_HOST_MAX];
};

static void
comment_address(struct mw_received_hop *h, const char *c, size_t n, struct addr_form *af)
{
	struct cwords cw = { c, n, 0 };
	const char *w;
	size_t wn;
	bool want_helo = false;
	char ip[MW_RCV_IP_MAX];

	af->seen = true;
	while (cword_next(&cw, &w, &wn)) {
		if (want_helo) {
			copy_host(h->helo, w, wn, &h->flags);
			want_helo = false;
			continue;
		}
		if (iprefix(w, wn, "helo=")) {
			copy_host(h->helo, w + 5, wn - 5, &h->flags);
			af->helo_kw = true;
		} else if (iprefix(w, wn, "ident="))
			copy_field(h->ident, sizeof(h->ident), w + 6, wn - 6, &h->flags);
		else if (ieq(w, wn, "HELO")) {
			want_helo = true;	/* qmail */
			af->helo_kw = true;
			h->mta = MW_RCV_MTA_QMAIL;
		} else if (w[0] == '[') {
			if (bracket_ip(w, wn, ip, &h->flags) && h->ip[0] == '\0')
				snprintf(h->ip, sizeof(h->ip), "%s", ip);
		} else if (mw_received_parse_ip(w, wn, ip)) {
			if (h->ip[0] == '\0')
				snprintf(h->ip, sizeof(h->ip), "%s", ip);
		} else if (memchr(w, '=', wn) != NULL) {
			continue;		/* port=, other Exim items */
		} else if (h->ip[0] == '\0' && !af->name_then_ip && af->name[0] == '\0') {
			const char *at = memchr(w, '@', wn);

			if (at != NULL) {	/* Sendmail's ident: user@host */
				copy_field(h->ident, sizeof(h->ident), w, (size_t)(at - w),
				    &h->flags);
				wn -= (size_t)(at + 1 - w);
				w = at + 1;
			}
			if (ieq(w, wn, "unknown"))
				strcpy(af->name, "unknown");
			else if (is_hostname(w, wn))
				copy_host(af->name, w, wn, &h->flags);
			af->name_then_ip = af->name[0] != '\0';
		}
	}
}

static void
handle_comment(struct mw_received_hop *h, enum clause cl, const char *c, size_t n,
    struct addr_form *af)
{
	const char *p = c;
	size_t m = n;
	char ip[MW_RCV_IP_MAX];

	while (m > 0 && is_wsp(*p))
		p++, m--;
	if (iprefix(p, m, "using ") && (ifind(p, m, "TLS") < m || ifind(p, m, "SSL") < m)) {
		comment_postfix_tls(h, p, m);
		return;
	}
	if (iprefix(p, m, "version=")) {
		comment_version_tls(h, p, m);
		return;
	}
	if (cl == C_WITH && comment_exim_tls(h, p, m))
		return;
	if (iprefix(p, m, "Authenticated sender:")) {
		size_t k = strlen("Authenticated sender:");
		while (k < m && is_wsp(p[k]))
			k++;
		copy_field(h->auth, sizeof(h->auth), p + k, m - k, &h->flags);
		hint_mta(h, MW_RCV_MTA_POSTFIX);
		return;
	}
	if (iword(p, m, "authenticated")) {	/* Sendmail "(authenticated bits=0)" */
		if (h->auth[0] == '\0')
			strcpy(h->auth, "authenticated");
		return;
	}
	if (iword(p, m, "envelope-from")) {
		const char *lt = memchr(p, '<', m), *gt;
		if (lt != NULL && (gt = memchr(lt, '>', m - (size_t)(lt - p))) != NULL)
			copy_field(h->envfrom, sizeof(h->envfrom), lt + 1, (size_t)(gt - lt - 1),
			    &h->flags);
		return;
	}
	if (iprefix(p, m, "Google Transport Security")) {
		h->flags |= MW_RCV_TLS_COMMENT;
		h->mta = MW_RCV_MTA_GMAIL;
		return;
	}
	if (iprefix(p, m, "Exim ")) {
		h->mta = MW_RCV_MTA_EXIM;
		return;
	}
	if (iword(p, m, "Postfix")) {
		h->mta = MW_RCV_MTA_POSTFIX;
		if (ifind(p, m, "from userid") < m)
			h->flags |= MW_RCV_LOCAL_USER;
		return;
	}
	if (iprefix(p, m, "No client certificate") || iprefix(p, m, "Client CN") ||
	    iprefix(p, m, "Client did not present")) {
		hint_mta(h, MW_RCV_MTA_POSTFIX);
		return;
	}
	if (iprefix(p, m, "qmail ")) {
		/* qmail's injection record: "(qmail 123 invoked by uid 89)",
		 * "(qmail 123 invoked from network)" */
		h->mta = MW_RCV_MTA_QMAIL;
		if (ifind(p, m, "invoked") < m)
			h->flags |= MW_RCV_LOCAL_USER;
		return;
	}
	if (cl == C_NONE && iprefix(p, m, "from ")) {
		/* Sendmail's submission record: "(from user@localhost)" */
		const char *u = p + 5, *e;
		size_t un = m - 5;
		e = memchr(u, '@', un);
		copy_field(h->ident, sizeof(h->ident), u, e ? (size_t)(e - u) : un, &h->flags);
		h->flags |= MW_RCV_LOCAL_USER;
		return;
	}
	if (cl == C_FROM && !af->seen) {
		comment_address(h, p, m, af);
		return;
	}
	if (cl == C_BY) {
		/* Sendmail "(8.17.1/8.17.1)", Exchange "(10.0.0.6)" */
		if (m > 0 && isdigit((unsigned char)p[0]) && memchr(p, '/', m) != NULL)
			h->mta = MW_RCV_MTA_SENDMAIL;
		else if (h->by_ip[0] == '\0' && mw_received_parse_ip(p, m, ip))
			snprintf(h->by_ip, sizeof(h->by_ip), "%s", ip);
		return;
	}
	/* qmail's second comment "(1.2.3.4)" */
	if (cl == C_FROM && h->ip[0] == '\0' && mw_received_parse_ip(p, m, ip))
		snprintf(h->ip, sizeof(h->ip), "%s", ip);
}

static enum clause
keyword(const char *w, size_t n)
{
	static const char *const names[C_NCLAUSES] = {
		[C_FROM] = "from", [C_BY] = "by", [C_VIA] = "via", [C_WITH] = "with",
		[C_ID] = "id", [C_FOR] = "for",
	};
	int i;

	for (i = C_FROM; i < C_NCLAUSES; i++)
		if (ieq(w, n, names[i]))
			return (enum clause)i;
	return C_NONE;
}

static bool
is_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	    strncasecmp(ip, "::ffff:127.", 11) == 0;
}

/* Decide helo and rdns from the from word and the address comment's shape. */
static void
settle_names(struct mw_received_hop *h, const struct addr_form *af)
{
	char ip[MW_RCV_IP_MAX];
	const char *fw = h->from_word;
	size_t fn = strlen(fw);
	bool fw_literal = false;

	if (fn > 0 && fw[0] == '[') {
		unsigned junk = 0;
		fw_literal = true;
		if (bracket_ip(fw, fn, ip, &junk) && h->ip[0] == '\0')
			snprintf(h->ip, sizeof(h->ip), "%s", ip);
	} else if (fn > 0 && mw_received_parse_ip(fw, fn, ip)) {
		fw_literal = true;
		if (h->ip[0] == '\0')
			snprintf(h->ip, sizeof(h->ip), "%s", ip);
	}

	if (!af->seen && !fw_literal && mw_received_with_class(h->with) == MW_RCV_INTERNAL) {
		/* Exim "from alice by host with local": a user, not a host. */
		copy_field(h->ident, sizeof(h->ident), fw, fn, &h->flags);
		return;
	}
	if (af->helo_kw) {
		/* Exim: the from word is the verified name or the [ip]; qmail: "unknown". */
		if (!fw_literal && h->mta != MW_RCV_MTA_QMAIL && fn > 0)
			copy_host(h->rdns, fw, fn, &h->flags);
		return;
	}
	if (fn > 0 && h->helo[0] == '\0')
		copy_host(h->helo, fw, fn, &h->flags);
	if (af->name_then_ip) {
		if (strcmp(af->name, "unknown") != 0)
			memcpy(h->rdns, af->name, sizeof(h->rdns));
	} else if (h->mta == MW_RCV_MTA_EXIM && !fw_literal && h->ip[0] != '\0') {
		/* Exim writes the verified name first and omits helo= when they agree. */
		memcpy(h->rdns, h->helo, sizeof(h->rdns));
	}
}

static void
guess_mta(struct mw_received_hop *h)
{
	size_t n = strlen(h->by);

	if (h->mta != MW_RCV_MTA_UNKNOWN)
		return;
	if (strncasecmp(h->with, "Microsoft SMTP", 14) == 0)
		h->mta = MW_RCV_MTA_EXCHANGE;
	else if ((n >= 10 && strcasecmp(h->by + n - 10, "google.com") == 0))
		h->mta = MW_RCV_MTA_GMAIL;
}

void
mw_received_parse(struct mw_received_hop *h, const char *value, size_t len)
{
	struct lexer lx;
	struct tok t;
	struct addr_form af;
	enum clause cl = C_NONE;
	bool has_value = false, seen[C_NCLAUSES] = { false }, date = false;
	bool want_cipher = false;

	memset(h, 0, sizeof(*h));
	memset(&af, 0, sizeof(af));
	if (value == NULL)
		len = 0;
	if (len > MW_RCV_MAX_INPUT) {
		len = MW_RCV_MAX_INPUT;
		h->flags |= MW_RCV_TRUNCATED;
	}
	lx.s = value;
	lx.len = len;
	lx.pos = 0;
	lx.flags = &h->flags;

	while (!date && (t = next_token(&lx)).type != T_END) {
		enum clause kw;

		switch (t.type) {
		case T_SEMI:
			date = true;
			break;
		case T_COMMENT:
			handle_comment(h, cl, t.p, t.n, &af);
			break;
		case T_WORD:
			kw = keyword(t.p, t.n);
			/* A keyword starts a clause where a clause may end; each counts once. */
			if (kw != C_NONE && !seen[kw] && (cl == C_NONE || has_value) &&
			    !(cl == C_WITH && want_cipher)) {
				cl = kw;
				seen[kw] = true;
				has_value = false;
				break;
			}
			switch (cl) {
			case C_FROM:
				if (!has_value)
					copy_field(h->from_word, sizeof(h->from_word), t.p, t.n,
					    &h->flags);
				else if (t.p[0] == '[' && h->ip[0] == '\0') {
					/* fetchmail, old smail: "from host [192.0.2.1]" */
					char ip[MW_RCV_IP_MAX];
					if (bracket_ip(t.p, t.n, ip, &h->flags))
						snprintf(h->ip, sizeof(h->ip), "%s", ip);
				}
				break;
			case C_BY:
				if (!has_value)
					copy_host(h->by, t.p, t.n, &h->flags);
				break;
			case C_WITH:
				/* Exim 4.9x: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384" */
				if (want_cipher) {
					set_tls(h, NULL, 0, t.p, t.n, 0);
					want_cipher = false;
				} else if (has_value && ieq(t.p, t.n, "tls"))
					want_cipher = true;
				else
					append_word(h->with, sizeof(h->with), t.p, t.n, &h->flags);
				break;
			case C_ID:
				if (!has_value)
					copy_field(h->id, sizeof(h->id), t.p, t.n, &h->flags);
				break;
			case C_FOR:
				if (!has_value) {
					const char *p = t.p;
					size_t n = t.n;
					if (n >= 2 && p[0] == '<' && p[n - 1] == '>')
						p++, n -= 2;
					copy_field(h->for_addr, sizeof(h->for_addr), p, n,
					    &h->flags);
				}
				break;
			case C_VIA:
			case C_NONE:
			case C_NCLAUSES:
				break;
			}
			has_value = true;
			break;
		case T_END:
			break;
		}
	}
	if (!seen[C_FROM] || h->from_word[0] == '\0')
		h->flags |= MW_RCV_NO_FROM;
	if (!seen[C_BY] || h->by[0] == '\0')
		h->flags |= MW_RCV_NO_BY;
	if (!date)
		h->flags |= MW_RCV_NO_DATE;

	guess_mta(h);
	if (!(h->flags & MW_RCV_NO_FROM))
		settle_names(h, &af);
	if (h->ip[0] != '\0' && is_loopback(h->ip))
		h->flags |= MW_RCV_LOOPBACK;
	if (h->auth[0] == '\0' && mw_received_with_class(h->with) != MW_RCV_UNKNOWN) {
		size_t n = strlen(h->with);
		/* RFC 3848: a trailing 'A' (ESMTPA, ESMTPSA, LMTPA...) means authenticated. */
		if (n > 4 && (h->with[n - 1] == 'A' || h->with[n - 1] == 'a') &&
		    strchr(h->with, ' ') == NULL)
			copy_field(h->auth, sizeof(h->auth), h->with, n, &h->flags);
	}
	mw_received_classify(h);
}

enum mw_rcv_class
mw_received_with_class(const char *with)
{
	static const char *const internal[] = {
		"local", "mapi", "bsmtp", "spooler", "pickup", "stdin", NULL
	};
	const char *p = with;
	size_t n, i;
	bool tls = false;

	if (with == NULL || *with == '\0')
		return MW_RCV_UNKNOWN;
	if (strncasecmp(with, "Microsoft SMTP", 14) == 0)
		return MW_RCV_CLEAR;	/* Exchange; TLS shows only in its version= comment */
	n = strcspn(with, " ");
	for (i = 0; internal[i]; i++) {
		size_t l = strlen(internal[i]);
		if ((n == l || (n > l && with[l] == '-')) && strncasecmp(with, internal[i], l) == 0)
			return MW_RCV_INTERNAL;	/* Exim local-esmtp, local-bsmtp too */
	}
	if (ieq(with, n, "HTTPS"))
		return MW_RCV_ENCRYPTED;
	if (ieq(with, n, "HTTP") || ieq(with, n, "asmtp") || ieq(with, n, "QMQP"))
		return MW_RCV_CLEAR;
	/* RFC 3848 / RFC 6531: [UTF8](SMTP|ESMTP|LMTP)[S][A] */
	if (n >= 4 && strncasecmp(p, "UTF8", 4) == 0)
		p += 4, n -= 4;
	if (n >= 5 && strncasecmp(p, "ESMTP", 5) == 0)
		p += 5, n -= 5;
	else if (n >= 4 && (strncasecmp(p, "SMTP", 4) == 0 || strncasecmp(p, "LMTP", 4) == 0))
		p += 4, n -= 4;
	else
		return MW_RCV_UNKNOWN;
	if (n > 0 && (*p == 'S' || *p == 's'))
		tls = true, p++, n--;
	if (n > 0 && (*p == 'A' || *p == 'a'))
		p++, n--;
	if (n != 0)
		return MW_RCV_UNKNOWN;
	return tls ? MW_RCV_ENCRYPTED : MW_RCV_CLEAR;
}

void
mw_received_classify(struct mw_received_hop *h)
{
	enum mw_rcv_class wc = mw_received_with_class(h->with);

	/* Stated TLS wins: it names what protected this transfer. */
	if (h->flags & MW_RCV_TLS_COMMENT) {
		h->cls = MW_RCV_ENCRYPTED;
		h->why = "tls_comment";
	} else if (wc == MW_RCV_ENCRYPTED) {
		h->cls = MW_RCV_ENCRYPTED;
		h->why = "with_keyword";
	} else if (h->flags & MW_RCV_LOCAL_USER) {
		h->cls = MW_RCV_INTERNAL;
		h->why = "local_submission";
	} else if ((h->flags & MW_RCV_NO_FROM) && !(h->flags & MW_RCV_NO_BY)) {
		h->cls = MW_RCV_INTERNAL;
		h->why = "no_from_clause";
	} else if (h->flags & MW_RCV_LOOPBACK) {
		h->cls = MW_RCV_INTERNAL;
		h->why = "loopback";
	} else if (wc == MW_RCV_INTERNAL) {
		h->cls = MW_RCV_INTERNAL;
		h->why = "local_protocol";
	} else if (wc == MW_RCV_CLEAR) {
		h->cls = MW_RCV_CLEAR;
		h->why = "with_keyword";
	} else {
		h->cls = MW_RCV_UNKNOWN;
		h->why = h->with[0] ? "unknown_protocol" : "no_protocol";
	}
}

int
mw_received_chain_build(struct mw_received_chain *c, const struct mw_message *m,
    size_t max_hops)
{
	size_t i, n;

	memset(c, 0, sizeof(*c));
	n = mw_message_header_count(m, "Received");
	c->nfields = n;
	if (n > max_hops)
		n = max_hops;
	if (n == 0)
		return 0;
	if ((c->hops = calloc(n, sizeof(*c->hops))) == NULL)
		return -1;
	for (i = 0; i < m->nheaders && c->nhops < n; i++) {
		const struct mw_header *h = &m->headers[i];

		if (strcasecmp(h->name, "Received") == 0)
			mw_received_parse(&c->hops[c->nhops++], h->value, h->value_len);
	}
	return 0;
}

void
mw_received_chain_free(struct mw_received_chain *c)
{
	if (c == NULL)
		return;
	free(c->hops);
	memset(c, 0, sizeof(*c));
}

const char *
mw_received_class_name(enum mw_rcv_class cls)
{
	switch (cls) {
	case MW_RCV_UNKNOWN:	return "unknown";
	case MW_RCV_ENCRYPTED:	return "encrypted";
	case MW_RCV_CLEAR:	return "clear";
	case MW_RCV_INTERNAL:	return "internal";
	}
	return "unknown";
}

const char *
mw_received_mta_name(enum mw_rcv_mta mta)
{
	switch (mta) {
	case MW_RCV_MTA_UNKNOWN:	return "unknown";
	case MW_RCV_MTA_POSTFIX:	return "postfix";
	case MW_RCV_MTA_SENDMAIL:	return "sendmail";
	case MW_RCV_MTA_EXIM:		return "exim";
	case MW_RCV_MTA_EXCHANGE:	return "exchange";
	case MW_RCV_MTA_GMAIL:		return "gmail";
	case MW_RCV_MTA_QMAIL:		return "qmail";
	}
	return "unknown";
}

const char *
mw_received_from_host(const struct mw_received_hop *h)
{
	if (h->rdns[0])
		return h->rdns;
	if (h->helo[0])
		return h->helo;
	if (h->ip[0])
		return h->ip;
	return "unknown";
}
