/*
 * customers - parse the customers file into a hash table; look recipients up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "customers.h"
#include "utf8.h"

/* Longest key we accept; a recipient longer than this cannot match a mailbox key. */
#define KEY_MAX		(MW_POLICY_KEY_MAX - 1)
#define DOMAIN_MAX	253
/* Refuse absurd files instead of reading them into memory. */
#define FILE_MAX	((off_t)512 * 1024 * 1024)
/* Most specific first: 2 mailbox probes, domain, one per label, "*". */
#define CHAIN_MAX	(4 + DOMAIN_MAX / 2 + 1)

/* Which options an entry sets; the rest are inherited. */
enum {
	SET_SPAM		= 1u << 0,
	SET_VIRUS		= 1u << 1,
	SET_SPAM_THRESHOLD	= 1u << 2,
	SET_SPAM_REJECT		= 1u << 3,
	SET_SPAM_ACTION		= 1u << 4,
	SET_SUBJECT_TAG		= 1u << 5,
	SET_VIRUS_ACTION	= 1u << 6,
	SET_SPF_FAIL_ACTION	= 1u << 7,
	SET_TLS_WARN		= 1u << 8,
};

struct entry {
	char	*key;		/* normalised */
	char	*subject_tag;	/* owned; only when SET_SUBJECT_TAG */
	unsigned line;
	unsigned set;
	bool	 spam, virus;
	double	 spam_threshold, spam_reject_threshold;
	unsigned char spam_action, virus_action, spf_fail_action, tls_warn;
};

struct file_stamp {
	dev_t	 dev;
	ino_t	 ino;
	off_t	 size;
	struct timespec mtime;
};

struct mw_customers {
	bool	 case_sensitive;
	char	*delimiters;
	struct entry *entries;
	size_t	 n, cap;
	uint32_t *slots;	/* entry index + 1; 0 = empty; open addressing */
	size_t	 nslots;	/* power of two, >= 2 * n */
	char	*path;		/* NULL unless loaded from a file */
	struct file_stamp stamp;
};

/* --- option table ------------------------------------------------------------- */

enum opt_kind { K_BOOL, K_DOUBLE, K_ENUM, K_TAG };

struct cust_option {
	const char *name;
	enum opt_kind kind;
	unsigned bit;
	double	 min, max;
	const char *const *names;
};

static const struct cust_option cust_options[] = {
	{ "spam", K_BOOL, SET_SPAM, 0, 0, NULL },
	{ "virus", K_BOOL, SET_VIRUS, 0, 0, NULL },
	{ "spam_threshold", K_DOUBLE, SET_SPAM_THRESHOLD, -1000, 1000, NULL },
	{ "spam_reject_threshold", K_DOUBLE, SET_SPAM_REJECT, 0, 1000, NULL },
	{ "spam_action", K_ENUM, SET_SPAM_ACTION, 0, 0, mw_spam_action_names },
	{ "subject_tag", K_TAG, SET_SUBJECT_TAG, 0, 0, NULL },
	{ "virus_action", K_ENUM, SET_VIRUS_ACTION, 0, 0, mw_virus_action_names },
	{ "spf_fail_action", K_ENUM, SET_SPF_FAIL_ACTION, 0, 0, mw_spf_fail_action_names },
	{ "tls_warn", K_ENUM, SET_TLS_WARN, 0, 0, mw_tls_warn_names },
};
#define NCUST_OPTIONS	(sizeof(cust_options) / sizeof(cust_options[0]))

/* --- small helpers ------------------------------------------------------------ */

static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static void
lower_inplace(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = ascii_lower(s[i]);
}

static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits depend only on the low bits of each byte, and we mask to the
	 * low bits: finish with a full avalanche (MurmurHash3's fmix64 constants). */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static const struct entry *
table_find(const struct mw_customers *t, const char *key, size_t n)
{
	size_t mask, i;
	uint32_t s;

	if (t->nslots == 0)
		return NULL;
	mask = t->nslots - 1;
	for (i = hash_bytes(key, n) & mask; (s = t->slots[i]) != 0; i = (i + 1) & mask) {
		const struct entry *e = &t->entries[s - 1];

		if (strncmp(e->key, key, n) == 0 && e->key[n] == '\0')
			return e;
	}
	return NULL;
}

/* A domain name as we accept it in a key: LDH labels (and '_', and UTF-8 bytes
 * for internationalised names), no empty label, at most 253 bytes. */
static const char *
domain_problem(const char *d, size_t n)
{
	size_t i, label = 0;

	if (n == 0)
		return "empty domain";
	if (n > DOMAIN_MAX)
		return "domain longer than 253 characters";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0)
				return "empty label in domain";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80))
			return "invalid character in domain";
		if (++label > 63)
			return "domain label longer than 63 characters";
	}
	if (label == 0)
		return "empty label in domain";
	if (!mw_utf8_valid(d, n))
		return "domain is not valid UTF-8";
	return NULL;
}

/*
 * Normalise a key as written in the file into buf (domain lower-cased, trailing dot
 * removed, local part lower-cased unless case-sensitive).  Returns a reason on error.
 */
static const char *
key_normalise(const struct mw_customers *t, const char *key, char *buf, size_t bufsize)
{
	size_t n = strlen(key), dlen;
	const char *at, *why;
	char *dom;

	if (n >= bufsize || n > KEY_MAX)
		return "key too long";
	memcpy(buf, key, n + 1);
	if (strcmp(buf, "*") == 0)
		return NULL;
	if (n > 1 && buf[n - 1] == '.' && buf[n - 2] != '.' && buf[n - 2] != '@')
		buf[--n] = '\0';
	if ((at = strrchr(buf, '@')) != NULL) {
		if (at == buf)
			return "empty local part (for a whole domain write the domain alone)";
		if (!mw_utf8_valid(buf, (size_t)(at - buf)))
			return "local part is not valid UTF-8";
		dom = (char *)at + 1;
		if (dom[0] == '.')
			return "a mailbox key cannot name a .domain";
		if (!t->case_sensitive)
			lower_inplace(buf, (size_t)(at - buf));
	} else if (buf[0] == '.') {
		dom = buf + 1;
	} else
		dom = buf;
	dlen = strlen(dom);
	if ((why = domain_problem(dom, dlen)) != NULL)
		return why;
	lower_inplace(dom, dlen);
	return NULL;
}

/* --- table building ----------------------------------------------------------- */

struct mw_customers *
mw_customers_new(const struct mw_customers_opts *o)
{
	struct mw_customers *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->case_sensitive = o->local_part_case_sensitive;
	if ((t->delimiters = strdup(o->recipient_delimiter ? o->recipient_delimiter : "")) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
mw_customers_free(struct mw_customers *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->entries[i].key);
		free(t->entries[i].subject_tag);
	}
	free(t->entries);
	free(t->slots);
	free(t->delimiters);
	free(t->path);
	free(t);
}

size_t
mw_customers_count(const struct mw_customers *t)
{
	return t ? t->n : 0;
}

static int
entry_append(struct mw_customers *t, const struct entry *e)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct entry *nv;

		if (ncap > UINT32_MAX - 1)
			return -1;
		if ((nv = realloc(t->entries, ncap * sizeof(*nv))) == NULL)
			return -1;
		t->entries = nv;
		t->cap = ncap;
	}
	t->entries[t->n++] = *e;
	return 0;
}

/* Index every entry; duplicates (after normalisation) are errors at the later line. */
static int
table_index(struct mw_customers *t, const char *name, struct mw_diag *diag)
{
	size_t nslots = 16, mask, i, j;

	while (nslots < t->n * 2)
		nslots *= 2;
	if ((t->slots = calloc(nslots, sizeof(*t->slots))) == NULL) {
		mw_diag_error(diag, name, 0, "out of memory");
		return -1;
	}
	t->nslots = nslots;
	mask = nslots - 1;
	for (i = 0; i < t->n; i++) {
		const struct entry *e = &t->entries[i];
		size_t klen = strlen(e->key);
		bool dup = false;

		for (j = hash_bytes(e->key, klen) & mask; t->slots[j] != 0; j = (j + 1) & mask) {
			const struct entry *o = &t->entries[t->slots[j] - 1];

			if (strcmp(o->key, e->key) == 0) {
				mw_diag_error(diag, name, e->line,
				    "duplicate key '%s' (first defined at line %u)", e->key, o->line);
				dup = true;
				break;
			}
		}
		if (!dup)
			t->slots[j] = (uint32_t)(i + 1);
	}
	return 0;
}

/* --- the line parser ---------------------------------------------------------- */

/*
 * Next white-space separated token of a line.  Double quotes group (and are removed),
 * backslash escapes '"' and '\' inside quotes, '#' at a token start ends the line.
 * The token is written to out (NUL-terminated).  Returns 1 = token, 0 = end of line,
 * -1 = error (reason in *why).
 */
static int
next_token(const char **pp, const char *end, char *out, size_t outsize, const char **why)
{
	const char *p = *pp;
	size_t o = 0;
	bool quoted = false;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (p == end || *p == '#') {
		*pp = end;
		return 0;
	}
	while (p < end && (quoted || (*p != ' ' && *p != '\t' && *p != '\r'))) {
		char c = *p++;

		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && c == '\\' && p < end && (*p == '"' || *p == '\\'))
			c = *p++;
		if (o + 1 >= outsize) {
			*why = "token too long";
			return -1;
		}
		out[o++] = c;
	}
	if (quoted) {
		*why = "unterminated quote";
		return -1;
	}
	out[o] = '\0';
	*pp = p;
	return 1;
}

static int
parse_option(struct entry *e, const char *tok, const char *name, unsigned line,
    struct mw_diag *diag)
{
	const struct cust_option *o = NULL;
	const char *eq = strchr(tok, '='), *val;
	size_t nlen, i;
	char *end;
	double d;
	bool b;
	int k;

	if (eq == NULL) {
		mw_diag_error(diag, name, line, "expected option=value, got '%s'", tok);
		return -1;
	}
	nlen = (size_t)(eq - tok);
	val = eq + 1;
	for (i = 0; i < NCUST_OPTIONS; i++)
		if (strlen(cust_options[i].name) == nlen &&
		    strncmp(cust_options[i].name, tok, nlen) == 0)
			o = &cust_options[i];
	if (o == NULL) {
		mw_diag_error(diag, name, line, "unknown option '%.*s'", (int)nlen, tok);
		return -1;
	}
	if (e->set & o->bit) {
		mw_diag_error(diag, name, line, "option '%s' given twice", o->name);
		return -1;
	}
	switch (o->kind) {
	case K_BOOL:
		if (mw_parse_bool(val, &b) < 0) {
			mw_diag_error(diag, name, line, "%s: '%s' is not on or off", o->name, val);
			return -1;
		}
		if (o->bit == SET_SPAM)
			e->spam = b;
		else
			e->virus = b;
		break;
	case K_DOUBLE:
		errno = 0;
		d = strtod(val, &end);
		if (end == val || *end != '\0' || errno || !isfinite(d)) {
			mw_diag_error(diag, name, line, "%s: '%s' is not a number", o->name, val);
			return -1;
		}
		if (d < o->min || d > o->max) {
			mw_diag_error(diag, name, line, "%s: %s is out of range %g..%g", o->name,
			    val, o->min, o->max);
			return -1;
		}
		if (o->bit == SET_SPAM_THRESHOLD)
			e->spam_threshold = d;
		else
			e->spam_reject_threshold = d;
		break;
	case K_ENUM:
		if (mw_parse_enum(val, o->names, &k) < 0) {
			char choices[256];
			size_t off = 0;

			choices[0] = '\0';
			for (i = 0; o->names[i] && off < sizeof(choices); i++)
				off += (size_t)snprintf(choices + off, sizeof(choices) - off,
				    "%s%s", i ? "|" : "", o->names[i]);
			mw_diag_error(diag, name, line, "%s: '%s' is not one of %s", o->name, val,
			    choices);
			return -1;
		}
		switch (o->bit) {
		case SET_SPAM_ACTION:		e->spam_action = (unsigned char)k; break;
		case SET_VIRUS_ACTION:		e->virus_action = (unsigned char)k; break;
		case SET_SPF_FAIL_ACTION:	e->spf_fail_action = (unsigned char)k; break;
		default:			e->tls_warn = (unsigned char)k; break;
		}
		break;
	case K_TAG: {
		size_t n = strlen(val);

		if (n >= MW_SUBJECT_TAG_MAX) {
			mw_diag_error(diag, name, line, "subject_tag: longer than %d bytes",
			    MW_SUBJECT_TAG_MAX - 1);
			return -1;
		}
		for (i = 0; i < n; i++)
			if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f) {
				mw_diag_error(diag, name, line,
				    "subject_tag: control character not allowed");
				return -1;
			}
		if (!mw_utf8_valid(val, n)) {
			mw_diag_error(diag, name, line, "subject_tag: not valid UTF-8");
			return -1;
		}
		if ((e->subject_tag = strdup(val)) == NULL) {
			mw_diag_error(diag, name, line, "out of memory");
			return -1;
		}
		break;
	}
	}
	e->set |= o->bit;
	return 0;
}

/* One line: "key option=value ...".  Errors are reported; the entry is dropped. */
static void
parse_line(struct mw_customers *t, const char *name, unsigned line, const char *p,
    const char *end, struct mw_diag *diag)
{
	char tok[1024], key[MW_POLICY_KEY_MAX + 1];
	const char *why = NULL;
	struct entry e;
	bool bad = false;
	int r;

	if (memchr(p, '\0', (size_t)(end - p)) != NULL) {
		mw_diag_error(diag, name, line, "NUL byte in line");
		return;
	}
	if ((r = next_token(&p, end, tok, sizeof(tok), &why)) <= 0) {
		if (r < 0)
			mw_diag_error(diag, name, line, "%s", why);
		return;		/* blank or comment */
	}
	if ((why = key_normalise(t, tok, key, sizeof(key))) != NULL) {
		mw_diag_error(diag, name, line, "bad key '%s': %s", tok, why);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.line = line;
	while ((r = next_token(&p, end, tok, sizeof(tok), &why)) > 0)
		if (parse_option(&e, tok, name, line, diag) < 0)
			bad = true;
	if (r < 0) {
		mw_diag_error(diag, name, line, "%s", why);
		bad = true;
	}
	if (!bad && e.set == 0) {
		mw_diag_error(diag, name, line, "key '%s' sets no option", key);
		bad = true;
	}
	if (!bad && (e.key = strdup(key)) == NULL) {
		mw_diag_error(diag, name, line, "out of memory");
		bad = true;
	}
	if (!bad && entry_append(t, &e) < 0) {
		mw_diag_error(diag, name, line, "out of memory");
		bad = true;
	}
	if (bad) {
		free(e.key);
		free(e.subject_tag);
	}
}

static struct mw_customers *
parse_text(const char *name, const char *text, size_t len, const struct mw_customers_opts *o,
    struct mw_diag *diag)
{
	struct mw_customers *t;
	size_t errors_before = diag->nerrors;
	const char *p = text, *end = text + len, *nl;
	unsigned line = 0;

	if ((t = mw_customers_new(o)) == NULL) {
		mw_diag_error(diag, name, 0, "out of memory");
		return NULL;
	}
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line++;
		parse_line(t, name, line, p, nl, diag);
		p = nl + 1;
	}
	/* Index even after errors, so duplicate keys are reported with the rest. */
	table_index(t, name, diag);
	if (diag->nerrors > errors_before) {
		mw_customers_free(t);
		return NULL;
	}
	return t;
}

struct mw_customers *
mw_customers_parse(const char *name, const char *text, size_t len,
    const struct mw_customers_opts *o, struct mw_diag *diag)
{
	return parse_text(name, text, len, o, diag);
}

static void
stamp_of(const struct stat *st, struct file_stamp *s)
{
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
}

static bool
stamp_equal(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

struct mw_customers *
mw_customers_load(const char *path, const struct mw_customers_opts *o, struct mw_diag *diag)
{
	struct mw_customers *t = NULL;
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		mw_diag_error(diag, path, 0, "cannot open customers file: %s", strerror(errno));
		return NULL;
	}
	/* Stamp before reading: a change while we read is then seen as a change. */
	if (fstat(fd, &st) < 0) {
		mw_diag_error(diag, path, 0, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		mw_diag_error(diag, path, 0, "not a regular file");
		goto out;
	}
	if (st.st_size > FILE_MAX) {
		mw_diag_error(diag, path, 0, "file larger than %lld bytes", (long long)FILE_MAX);
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		mw_diag_error(diag, path, 0, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mw_diag_error(diag, path, 0, "read error: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;		/* shrank while reading: parse what is there */
		got += (size_t)r;
	}
	if ((t = parse_text(path, text, got, o, diag)) == NULL)
		goto out;
	if ((t->path = strdup(path)) == NULL) {
		mw_diag_error(diag, path, 0, "out of memory");
		mw_customers_free(t);
		t = NULL;
		goto out;
	}
	stamp_of(&st, &t->stamp);
out:
	free(text);
	close(fd);
	return t;
}

const char *
mw_customers_path(const struct mw_customers *t)
{
	return t ? t->path : NULL;
}

bool
mw_customers_file_changed(const struct mw_customers *t)
{
	struct stat st;
	struct file_stamp now;

	if (t == NULL || t->path == NULL)
		return false;
	if (stat(t->path, &st) < 0)
		return true;
	stamp_of(&st, &now);
	return !stamp_equal(&now, &t->stamp);
}

/* --- lookup ------------------------------------------------------------------- */

static void
entry_apply(const struct entry *e, struct mw_policy *p)
{
	if (e->set & SET_SPAM)
		p->spam = e->spam;
	if (e->set & SET_VIRUS)
		p->virus = e->virus;
	if (e->set & SET_SPAM_THRESHOLD)
		p->spam_threshold = e->spam_threshold;
	if (e->set & SET_SPAM_REJECT)
		p->spam_reject_threshold = e->spam_reject_threshold;
	if (e->set & SET_SPAM_ACTION)
		p->spam_action = (enum mw_spam_action)e->spam_action;
	if (e->set & SET_SUBJECT_TAG)
		snprintf(p->subject_tag, sizeof(p->subject_tag), "%s", e->subject_tag);
	if (e->set & SET_VIRUS_ACTION)
		p->virus_action = (enum mw_virus_action)e->virus_action;
	if (e->set & SET_SPF_FAIL_ACTION)
		p->spf_fail_action = (enum mw_spf_fail_action)e->spf_fail_action;
	if (e->set & SET_TLS_WARN)
		p->tls_warn = (enum mw_tls_warn)e->tls_warn;
}

int
mw_customers_lookup(const struct mw_customers *t, const char *rcpt,
    const struct mw_policy *base, struct mw_policy *out)
{
	const struct entry *chain[CHAIN_MAX], *e;
	char buf[KEY_MAX + 2];
	size_t nchain = 0, llen = 0, dlen = 0, stripped, i;
	const char *at, *local = "", *dom = "";
	char *bdom;

	*out = *base;
	if (t == NULL)
		return 0;
	if (rcpt != NULL) {
		if ((at = strrchr(rcpt, '@')) != NULL) {
			local = rcpt;
			llen = (size_t)(at - rcpt);
			dom = at + 1;
			dlen = strlen(dom);
			if (dlen > 0 && dom[dlen - 1] == '.')
				dlen--;
		}
	}
	/* Mailbox probes: the full local part, then without its extension. */
	if (llen > 0 && dlen > 0 && llen + 1 + dlen <= KEY_MAX) {
		memcpy(buf, local, llen);
		if (!t->case_sensitive)
			lower_inplace(buf, llen);
		buf[llen] = '@';
		memcpy(buf + llen + 1, dom, dlen);
		lower_inplace(buf + llen + 1, dlen);
		buf[llen + 1 + dlen] = '\0';
		if ((e = table_find(t, buf, llen + 1 + dlen)) != NULL)
			chain[nchain++] = e;
		stripped = t->delimiters[0] ? strcspn(buf, t->delimiters) : llen;
		if (stripped > 0 && stripped < llen) {
			memmove(buf + stripped, buf + llen, 1 + dlen + 1);
			if ((e = table_find(t, buf, stripped + 1 + dlen)) != NULL)
				chain[nchain++] = e;
		}
	}
	/* Domain probes: exact, then .domain and every parent's .domain. */
	if (dlen > 0 && dlen <= DOMAIN_MAX) {
		buf[0] = '.';
		bdom = buf + 1;
		memcpy(bdom, dom, dlen);
		lower_inplace(bdom, dlen);
		bdom[dlen] = '\0';
		if ((e = table_find(t, bdom, dlen)) != NULL)
			chain[nchain++] = e;
		for (i = 0; i < dlen; i++) {
			if (i > 0 && bdom[i - 1] != '.')
				continue;
			if (bdom[i] == '.')
				continue;	/* malformed "a..b": no such key can exist */
			if ((e = table_find(t, bdom + i - 1, dlen - i + 1)) != NULL &&
			    nchain < CHAIN_MAX - 1)
				chain[nchain++] = e;
		}
	}
	if ((e = table_find(t, "*", 1)) != NULL)
		chain[nchain++] = e;
	if (nchain == 0)
		return 0;
	/* Least specific first, so the more specific entries override. */
	for (i = nchain; i-- > 0;)
		entry_apply(chain[i], out);
	snprintf(out->key, sizeof(out->key), "%s", chain[0]->key);
	return 1;
}
