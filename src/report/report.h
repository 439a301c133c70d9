/*
 * mailwarden-report - internal interfaces.
 *
 * The program reads syslog lines (plain or gzip, several files or stdin), picks
 * out mailwarden's records and Postfix's lines, and aggregates them in one pass;
 * the text and HTML writers only read the finished aggregates.
 */
#ifndef MW_REPORT_H
#define MW_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --- strmap: string -> fixed-size zeroed value, insertion-ordered -------------- */
struct strmap {
	struct strmap_slot { uint64_t hash; uint32_t idx1; } *slots; /* idx1 0 = empty */
	size_t	 nslots;
	size_t	 n;
	char	**keys;
	size_t	*klens;
	unsigned char *vals;
	size_t	 vsize;
	size_t	 cap;
};

void	 strmap_init(struct strmap *m, size_t vsize);
void	 strmap_free(struct strmap *m);
/* The value for key (created zeroed when absent); NULL on ENOMEM.  The pointer is
 * valid until the next insertion. */
void	*strmap_get(struct strmap *m, const char *key, size_t klen);
void	*strmap_find(const struct strmap *m, const char *key, size_t klen);
static inline const char *strmap_key(const struct strmap *m, size_t i) { return m->keys[i]; }
static inline void *strmap_val(const struct strmap *m, size_t i) { return m->vals + i * m->vsize; }
/* Indices sorted by cmp(value a, value b, key a, key b); caller frees. */
size_t	*strmap_sorted(const struct strmap *m,
	    int (*cmp)(const void *, const void *, const char *, const char *));

/* --- one parsed line ------------------------------------------------------------ */
#define REC_MAXFIELDS	96

enum line_kind { LINE_FOREIGN, LINE_MW, LINE_POSTFIX };

struct field { const char *k, *v; size_t klen, vlen; };

struct line {
	enum line_kind kind;
	bool	 has_time;
	int64_t	 t;		/* wall-clock seconds as written (naive, like timegm) */
	const char *prog;	/* "postfix/cleanup", ... */
	size_t	 proglen;
	const char *msg;	/* after "prog[pid]: " */
	size_t	 msglen;
	/* mailwarden records only */
	struct field f[REC_MAXFIELDS];
	size_t	 nf;
	bool	 truncated;	/* cut short: the last field may be partial and was dropped */
	const char *resync;	/* damaged line: another record starts here (NULL if none) */
};

/* Parse one line (without newline, NUL-terminated at len). year: for syslog stamps
 * without one.  The line is modified in place (JSON values are unescaped). */
void	 line_parse(char *s, size_t len, int year_now, int month_now, struct line *ln);
const struct field *line_get(const struct line *ln, const char *key);
/* Decode mw_buf_log_value's \xHH escapes into out (outsz >= vlen+1). */
size_t	 unescape_value(const char *v, size_t vlen, char *out);
int64_t	 days_from_civil(int y, int m, int d);
void	 civil_from_days(int64_t z, int *y, int *m, int *d);
int	 parse_time_arg(const char *s, int64_t *out);

/* --- aggregates ----------------------------------------------------------------- */
enum { ACT_ACCEPT, ACT_TAG, ACT_TEMPFAIL, ACT_HOLD, ACT_DISCARD, ACT_REJECT, ACT_OTHER, NACT };
extern const char *const act_names[NACT];

struct cust_stats {
	uint64_t messages, scanned, spam, viruses, held, rejected, tls_known, clear;
};
struct dom_stats { uint64_t total, clear; };
struct err_stats { uint64_t count; int64_t first, last; };
struct counts { uint64_t n[NACT]; };

struct pf_state {		/* what Postfix logged for one queue id */
	unsigned flags;		/* PF_* */
	uint8_t	 mw_action;	/* ours, 1 + ACT_*, 0 = no mailwarden record */
};
enum { PF_SEEN = 1, PF_HOLD = 2, PF_REJECT = 4, PF_DISCARD = 8, PF_TEMPFAIL = 16,
	PF_SENT = 32, PF_REMOVED = 64, PF_BOUNCED = 128, PF_DEFERRED = 256 };

struct event_line { int64_t t; bool has_time; size_t seq; char *text; };

struct report {
	/* options */
	int64_t	 since, until;
	bool	 have_since, have_until;
	const char *customer;
	const char *address;	/* lower-cased query */
	char	 address_hash[64];	/* "h:<hex>" token for address, "" without a key */
	bool	 address_is_domain;
	int	 top;
	int	 year, month;

	/* counters */
	uint64_t lines, mw_records, rcpt_records, event_records, postfix_lines, foreign;
	uint64_t daemon_messages;
	uint64_t truncated, damaged, outside_time, filtered, untimed, json_records, hashed_seen;
	int64_t	 tmin, tmax;
	bool	 have_range;
	uint64_t spam_yes, spam_scanned, tls_known, tls_clear;	/* whole log */
	struct counts actions;
	uint64_t rcpt_actions[NACT];
	struct strmap days;	/* "YYYY-MM-DD" -> counts */
	struct strmap hours;	/* int64 hour number -> counts */
	struct strmap customers;	/* key -> cust_stats */
	struct strmap domains;	/* sender domain -> dom_stats */
	struct strmap clients;	/* client address -> dom_stats */
	struct strmap rules;	/* rule -> uint64 */
	struct strmap viruses;	/* name -> uint64 */
	struct strmap spf;	/* result -> uint64 */
	struct strmap errors;	/* "stage: text" -> err_stats */
	struct strmap events;	/* event name -> uint64 */
	struct strmap skipped;	/* skip reason -> uint64 */
	struct strmap notices;	/* the daemon's other lines -> uint64 */
	struct strmap early;	/* first earlier clear-text hop -> uint64 */
	uint64_t early_clear;	/* messages with an earlier clear-text hop */
	struct strmap qids;	/* queue id -> pf_state */
	struct event_line *evlog;	/* reloads, refusals, errors: the last ones */
	size_t	 nevlog, evlog_cap;

	/* --address */
	struct strmap mainrec;	/* queue id -> char* copy of the message record */
	struct match { char *qid; char *text; int64_t t; bool has_time; } *matches;
	size_t	 nmatches, matches_cap;
};

int	 report_init(struct report *r);
void	 report_free(struct report *r);
void	 report_line(struct report *r, struct line *ln);
void	 report_finish(struct report *r);	/* after the last line */
/* address as it appears in a record, matched against --address */
bool	 report_address_matches(const struct report *r, const char *tok, size_t n);

void	 report_text(const struct report *r, FILE *out);
int	 report_html(const struct report *r, FILE *out);
void	 report_matches(const struct report *r, FILE *out);

/* Postfix's view of mailwarden's decisions, per action */
struct corr {
	uint64_t mw[NACT];	/* mailwarden records with a queue id */
	uint64_t seen[NACT];	/* ... that Postfix logged at all */
	uint64_t agree[NACT];	/* ... where Postfix logged the same outcome */
	uint64_t pf_only_hold, pf_only_reject, pf_only_discard;	/* no mailwarden record */
	uint64_t pf_qids;	/* queue ids Postfix logged */
};
void	 report_correlate(const struct report *r, struct corr *c);
const char *corr_meaning(int action);	/* what "agree" means for an action */

/* small helpers shared by the writers */
size_t	*sorted_by_count(const struct strmap *m);	/* values are uint64_t */
size_t	*sorted_by_total(const struct strmap *m);	/* values start with uint64_t total */
void	 format_day(int64_t t, char *out, size_t n);

#endif
