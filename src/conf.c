/*
 * conf - the option table and the mailwarden.conf parser.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "policy.h"	/* choice names of the policy options (issue 8) */
#include "av.h"	/* choice names of the virus options (issue 6) */

const char *const mw_log_facility_names[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};
static const char *const oversize_names[] = { "accept", "tempfail", "reject", NULL };
static const char *const log_format_names[] = { "kv", "json", NULL };
/* --- SPF (issue 7) --- */
const char *const mw_spf_temperror_action_names[] = { "none", "tempfail", NULL };
/* --- postmaster's view (issue 10) --- */
const char *const mw_log_addresses_names[] = { "full", "domain", "hash", NULL };

#define OFF(f)		offsetof(struct mw_conf, f)
#define UNBOUNDED	1, 0

/*
 * The table.  Keep it sorted by section; doc/mailwarden.conf.5 is checked against it
 * by tests/check-man-options.sh.
 */
const struct mw_option mw_options[] = {
	/* daemon */
	{ "socket", MW_OPT_STRING, OFF(socket), "inet:8899@127.0.0.1", UNBOUNDED, NULL,
	  "milter socket: unix:/path, local:/path, inet:port@host or inet6:port@host" },
	{ "socket_mode", MW_OPT_OCTAL, OFF(socket_mode), "0660", 0, 0777, NULL,
	  "permissions of a unix socket" },
	{ "socket_group", MW_OPT_STRING, OFF(socket_group), "", UNBOUNDED, NULL,
	  "group of a unix socket (e.g. postfix); empty = unchanged" },
	{ "user", MW_OPT_STRING, OFF(user), "", UNBOUNDED, NULL,
	  "user to run as after creating the socket (when started as root)" },
	{ "pidfile", MW_OPT_STRING, OFF(pidfile), "", UNBOUNDED, NULL,
	  "write the process id here; empty = none" },
	{ "hostname", MW_OPT_STRING, OFF(hostname), "", UNBOUNDED, NULL,
	  "host name used in added headers; empty = the system host name" },
	{ "milter_timeout", MW_OPT_SECONDS, OFF(milter_timeout), "300", 1, 3600, NULL,
	  "seconds libmilter waits for the MTA before giving up on a connection" },

	/* logging */
	{ "log_facility", MW_OPT_ENUM, OFF(log_facility), "mail", 0, 0, mw_log_facility_names,
	  "syslog facility" },
	{ "log_file", MW_OPT_STRING, OFF(log_file), "", UNBOUNDED, NULL,
	  "write log lines to this file instead of syslog (reopened on SIGUSR1)" },
	{ "log_format", MW_OPT_ENUM, OFF(log_format), "kv", 0, 0, log_format_names,
	  "per-message record format: kv (key=value) or json" },

	/* message handling */
	{ "max_message_size", MW_OPT_SIZE, OFF(max_message_size), "50M", 1024, 2147483647.0, NULL,
	  "messages larger than this are not scanned; oversize_action decides" },
	{ "oversize_action", MW_OPT_ENUM, OFF(oversize_action), "accept", 0, 0, oversize_names,
	  "what to do with a message over max_message_size: accept (unscanned, logged), "
	  "tempfail or reject" },
	{ "memory_body_limit", MW_OPT_SIZE, OFF(memory_body_limit), "1M", 0, 2147483647.0, NULL,
	  "message bytes kept in memory; beyond this the message is spooled to a private file" },
	{ "tmpdir", MW_OPT_STRING, OFF(tmpdir), "/var/tmp", UNBOUNDED, NULL,
	  "where the private spool directory (mode 0700) is created" },
	{ "max_header_count", MW_OPT_INT, OFF(max_header_count), "1000", 10, 100000, NULL,
	  "header fields parsed per message; more are ignored and the message is flagged" },
	{ "max_header_size", MW_OPT_SIZE, OFF(max_header_size), "64k", 998, 16777216, NULL,
	  "bytes kept of one header field; longer ones are truncated and flagged" },
	{ "authserv_id", MW_OPT_STRING, OFF(authserv_id), "", UNBOUNDED, NULL,
	  "authserv-id for Authentication-Results; empty = the MTA's host name (j macro)" },

	/* --- MIME model (issue 3) --- */
	{ "mime_max_depth", MW_OPT_INT, OFF(mime_max_depth), "20", 1, 100, NULL,
	  "MIME nesting (multiparts, attached messages) followed; deeper parts are not "
	  "read and the message is flagged mime_truncated" },
	{ "mime_max_parts", MW_OPT_INT, OFF(mime_max_parts), "500", 1, 100000, NULL,
	  "MIME parts recorded per message; further parts are not read (mime_truncated)" },
	{ "mime_max_part_size", MW_OPT_SIZE, OFF(mime_max_part_size), "2M", 1024, 268435456.0,
	  NULL, "decoded bytes kept of one text part for the rules; the rest is cut "
	  "(mime_truncated); attachments are never decoded" },
	{ "mime_max_text", MW_OPT_SIZE, OFF(mime_max_text), "2M", 1024, 268435456.0, NULL,
	  "text given to body and to rawbody rules, each, per message (mime_truncated beyond)" },
	{ "mime_max_uris", MW_OPT_INT, OFF(mime_max_uris), "1000", 1, 1000000, NULL,
	  "distinct URIs kept per message for uri rules (mime_truncated beyond)" },

	/* --- spam rules (issue 4) --- */
	{ "rules", MW_OPT_STRING, OFF(rules),
	  "?" MW_DATADIR "/rules, ?" MW_SA_RULES_DIR ", ?/etc/spamassassin/local.cf",
	  UNBOUNDED, NULL,
	  "SpamAssassin-syntax rule files and directories, comma-separated, loaded in order "
	  "(a directory: its *.cf files in lexical order; later definitions override earlier "
	  "ones); a path starting with ? is skipped when it does not exist" },
	{ "score_set", MW_OPT_INT, OFF(score_set), "0", 0, 3, NULL,
	  "SpamAssassin score set: 0 = no network tests, no Bayes (what mailwarden runs)" },
	{ "spam_threshold", MW_OPT_DOUBLE, OFF(spam_threshold), "5.0", -1000, 1000, NULL,
	  "spam score at or above which a message handled by the built-in policy "
	  "(no customers entry) is spam" },
	{ "rules_time_budget", MW_OPT_INT, OFF(rules_time_budget), "2000", 0, 600000, NULL,
	  "milliseconds of rule matching per message; past it the remaining rules are skipped "
	  "and the result says so (0 = no limit)" },
	/* --- virus scanning (issue 6) --- */
	{ "clamav_database", MW_OPT_STRING, OFF(clamav_database), "/var/lib/clamav", UNBOUNDED,
	  NULL, "ClamAV signature database: a directory as freshclam fills it, or one signature "
	  "file. The default directory may be missing or empty (loud warning, every message "
	  "logged virus=skipped:no_database until a database appears); any other path must "
	  "load or the configuration is refused" },
	{ "clamav_backend", MW_OPT_STRING, OFF(clamav_backend), "local", UNBOUNDED, NULL,
	  "local = libclamav inside mailwarden; clamd:/path/to/clamd.ctl or clamd:host:port = "
	  "send each message to that clamd (INSTREAM; its StreamMaxLength must exceed "
	  "max_message_size) with the same results and failure handling" },
	{ "clamav_check_interval", MW_OPT_SECONDS, OFF(clamav_check_interval), "60", 1, 86400,
	  NULL, "how often the database is checked for changes (and reloaded in the background; "
	  "SIGHUP reloads at once)" },
	{ "clamav_max_scansize", MW_OPT_SIZE, OFF(clamav_max_scansize), "400M", 0, 4294967295.0,
	  NULL, "ClamAV MaxScanSize: bytes scanned per message, counting unpacked content "
	  "(0 = no limit)" },
	{ "clamav_max_filesize", MW_OPT_SIZE, OFF(clamav_max_filesize), "100M", 0, 4294967295.0,
	  NULL, "ClamAV MaxFileSize: largest single part or archive member scanned (0 = no limit)" },
	{ "clamav_max_recursion", MW_OPT_INT, OFF(clamav_max_recursion), "17", 1, 1000, NULL,
	  "ClamAV MaxRecursion: nesting depth of archives and attached messages" },
	{ "clamav_max_files", MW_OPT_INT, OFF(clamav_max_files), "10000", 0, 4294967295.0, NULL,
	  "ClamAV MaxFiles: parts and archive members scanned per message (0 = no limit)" },
	{ "clamav_max_scantime", MW_OPT_SECONDS, OFF(clamav_max_scantime), "120", 0, 3600, NULL,
	  "ClamAV MaxScanTime: seconds one message may take to scan (0 = no limit)" },
	{ "clamav_on_limit", MW_OPT_ENUM, OFF(clamav_on_limit), "accept", 0, 0,
	  mw_av_on_limit_names, "a ClamAV limit stopped the scan before the end: accept "
	  "(X-Virus-Status: Incomplete, logged virus=limit:<Limit>), tag (the same plus "
	  "X-Mailwarden-Virus-Limit and action tag) or tempfail (451 4.3.0)" },
	{ "clamav_on_error", MW_OPT_ENUM, OFF(clamav_on_error), "tempfail", 0, 0,
	  mw_av_on_error_names, "the scanner failed (clamd down, libclamav error): tempfail "
	  "(451 4.3.0, the sender retries) or accept (unscanned; X-Virus-Status: Unscanned and "
	  "the log say so)" },
	{ "clamav_timeout", MW_OPT_SECONDS, OFF(clamav_timeout), "60", 1, 3600, NULL,
	  "clamd backend: seconds allowed for connecting and for each send or receive" },
	{ "virus_reject_text", MW_OPT_STRING, OFF(virus_reject_text),
	  "Message rejected: virus found (%v)", UNBOUNDED, NULL,
	  "reply text after 550 5.7.1 for virus_action reject; %v = the signature name, "
	  "%% = a percent sign; no other % escapes" },
	{ "clamav_tmpdir", MW_OPT_STRING, OFF(clamav_tmpdir), "", UNBOUNDED, NULL,
	  "where libclamav writes the parts and archive members it extracts while scanning "
	  "(removed after each message); empty = tmpdir. A tmpfs such as /dev/shm makes "
	  "scanning many times faster (doc/PERFORMANCE.md)" },
	/* --- SPF (issue 7) --- */
	{ "spf_check", MW_OPT_BOOL, OFF(spf_check), "yes", UNBOUNDED, NULL,
	  "check the sender's SPF (RFC 7208) with libspf2; results go into Received-SPF and "
	  "Authentication-Results headers, the spam rules (SPF_*) and the log" },
	{ "spf_check_helo", MW_OPT_BOOL, OFF(spf_check_helo), "yes", UNBOUNDED, NULL,
	  "also check the HELO name as its own identity, for the SPF_HELO_* spam rules "
	  "(the HELO identity is always checked when MAIL FROM is null)" },
	{ "spf_trusted_networks", MW_OPT_STRING, OFF(spf_trusted_networks),
	  "127.0.0.0/8, ::1/128", UNBOUNDED, NULL,
	  "clients (CIDR list, separated by spaces or commas) whose mail is not SPF-checked; "
	  "authenticated clients are never checked either" },
	{ "spf_dns_timeout", MW_OPT_SECONDS, OFF(spf_dns_timeout), "5", 1, 60, NULL,
	  "seconds to wait for one DNS answer before retrying or giving up (temperror)" },
	{ "spf_dns_attempts", MW_OPT_INT, OFF(spf_dns_attempts), "2", 1, 5, NULL,
	  "how often one DNS query is sent before it counts as failed (temperror)" },
	{ "spf_timeout", MW_OPT_SECONDS, OFF(spf_timeout), "20", 1, 300, NULL,
	  "time budget for one SPF check (all its DNS lookups); past it the result is temperror" },
	{ "spf_nameserver", MW_OPT_STRING, OFF(spf_nameserver), "", UNBOUNDED, NULL,
	  "DNS server for SPF lookups as IPv4[:port] (e.g. a local caching resolver); "
	  "empty = the servers in /etc/resolv.conf" },
	{ "spf_temperror_action", MW_OPT_ENUM, OFF(spf_temperror_action), "none", 0, 0,
	  mw_spf_temperror_action_names,
	  "on SPF temperror (DNS failure): none (accept, result in the headers) or tempfail "
	  "(451 4.7.24, the sender retries later)" },
	{ "spf_test_zone", MW_OPT_STRING, OFF(spf_test_zone), "", UNBOUNDED, NULL,
	  "TEST ONLY: answer SPF DNS lookups from this zone file (libspf2's zone layer, format in "
	  "doc/FORMATS.md) instead of DNS; empty = real DNS. Never set this in production" },
	/* --- customers and policy (issue 8) --- */
	{ "customers", MW_OPT_STRING, OFF(customers), "", UNBOUNDED, NULL,
	  "customers file (doc/CUSTOMERS.md): per-recipient opt-in to spam and virus filtering; "
	  "a recipient no entry matches is not filtered. Empty = no file: every recipient is "
	  "filtered with the default_* settings" },
	{ "local_part_case", MW_OPT_ENUM, OFF(local_part_case), "insensitive", 0, 0,
	  mw_local_part_case_names,
	  "how customers mailbox keys compare local parts (domains are always case-insensitive)" },
	{ "recipient_delimiter", MW_OPT_STRING, OFF(recipient_delimiter), "+", UNBOUNDED, NULL,
	  "characters that start an address extension (like Postfix's recipient_delimiter): "
	  "user+ext@domain is looked up as itself, then as user@domain; empty = none" },
	{ "mixed_policy", MW_OPT_ENUM, OFF(mixed_policy), "defer", 0, 0, mw_mixed_policy_names,
	  "recipients of one message whose filtering differs: defer (the later ones get "
	  "452 4.5.3 and are retried separately) or strictest (accept all, apply the strongest "
	  "filtering of them all)" },
	{ "trusted_networks", MW_OPT_STRING, OFF(trusted_networks), "", UNBOUNDED, NULL,
	  "client networks (CIDR, separated by spaces or commas) whose mail gets the submission "
	  "policy like authenticated submissions; empty = none" },
	{ "submission_spam", MW_OPT_BOOL, OFF(submission_spam), "no", UNBOUNDED, NULL,
	  "spam filtering for authenticated submissions and trusted networks" },
	{ "submission_virus", MW_OPT_BOOL, OFF(submission_virus), "yes", UNBOUNDED, NULL,
	  "virus scanning for authenticated submissions and trusted networks" },
	{ "default_spam_reject_threshold", MW_OPT_DOUBLE, OFF(default_spam_reject_threshold), "0",
	  0, 1000, NULL,
	  "spam scoring at or above this is rejected whatever spam_action says (spam_action "
	  "applies between spam_threshold and it); 0 = none" },
	{ "default_spam_action", MW_OPT_ENUM, OFF(default_spam_action), "tag", 0, 0,
	  mw_spam_action_names, "what happens to spam unless a customers entry says" },
	{ "default_subject_tag", MW_OPT_STRING, OFF(default_subject_tag), "[SPAM]", UNBOUNDED, NULL,
	  "Subject prefix for spam_action subject (at most 63 bytes of UTF-8)" },
	{ "default_virus_action", MW_OPT_ENUM, OFF(default_virus_action), "reject", 0, 0,
	  mw_virus_action_names, "what happens to infected mail unless a customers entry says" },
	{ "default_spf_fail_action", MW_OPT_ENUM, OFF(default_spf_fail_action), "none", 0, 0,
	  mw_spf_fail_action_names, "what happens on SPF fail unless a customers entry says" },
	{ "default_tls_warn", MW_OPT_ENUM, OFF(default_tls_warn), "log", 0, 0, mw_tls_warn_names,
	  "how cleartext hops are reported unless a customers entry says" },
	/* --- TLS audit (issue 9) --- */
	{ "tls_subject_tag", MW_OPT_STRING, OFF(tls_subject_tag), "[UNENCRYPTED]", UNBOUNDED,
	  NULL, "Subject prefix for tls_warn subject, added when the message reached us in clear "
	  "text (at most 63 bytes; non-ASCII is written as RFC 2047 encoded-words)" },
	{ "tls_own_hosts", MW_OPT_STRING, OFF(tls_own_hosts), "", UNBOUNDED, NULL,
	  "host names of our own MTAs (separated by spaces or commas) besides the MTA's j macro "
	  "and hostname: Received fields they wrote are trusted, all below them are claims" },
	{ "tls_internal_networks", MW_OPT_STRING, OFF(tls_internal_networks),
	  "127.0.0.0/8 ::1/128", UNBOUNDED, NULL,
	  "networks (CIDR, separated by spaces or commas) of our own infrastructure: an "
	  "unencrypted hop from there to one of our hosts counts as internal, not clear text" },
	/* --- postmaster's view (issue 10) --- */
	{ "log_addresses", MW_OPT_ENUM, OFF(log_addresses), "full", 0, 0, mw_log_addresses_names,
	  "how mail addresses appear in log records: full; domain (\"@example.com\"); or hash "
	  "(\"h:<16 hex>@example.com\", HMAC-SHA256 keyed with log_hash_key over the lower-cased "
	  "address, so mailwarden-report --address can still find one address)" },
	{ "log_hash_key", MW_OPT_STRING, OFF(log_hash_key), "", UNBOUNDED, NULL,
	  "secret key for log_addresses = hash (at least 16 characters; keep this file "
	  "unreadable to others); required when log_addresses = hash" },
};
const size_t mw_noptions = sizeof(mw_options) / sizeof(mw_options[0]);

static const char *const type_names[] = {
	[MW_OPT_STRING] = "string", [MW_OPT_INT] = "integer", [MW_OPT_SIZE] = "size",
	[MW_OPT_SECONDS] = "seconds", [MW_OPT_DOUBLE] = "number", [MW_OPT_BOOL] = "yes|no",
	[MW_OPT_ENUM] = "choice", [MW_OPT_OCTAL] = "octal",
};

int
mw_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	size_t i;

	for (i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
	for (i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	return -1;
}

int
mw_parse_enum(const char *s, const char *const *names, int *out)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcasecmp(s, names[i]) == 0)
			return *out = i, 0;
	return -1;
}

static int
parse_scaled(const char *s, long *out, const char *suffixes, const long *mult)
{
	char *end;
	long long v;
	const char *p;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (p = strchr(suffixes, *end)) == NULL)
			return -1;
		if (v > LONG_MAX / mult[p - suffixes])
			return -1;
		v *= mult[p - suffixes];
	}
	if (v > LONG_MAX)
		return -1;
	*out = (long)v;
	return 0;
}

int
mw_parse_size(const char *s, long *out)
{
	static const long mult[] = { 1024, 1024, 1048576, 1048576, 1073741824L, 1073741824L };

	return parse_scaled(s, out, "kKmMgG", mult);
}

static int
parse_seconds(const char *s, long *out)
{
	static const long mult[] = { 1, 60, 3600 };

	return parse_scaled(s, out, "smh", mult);
}

static bool
in_range(const struct mw_option *o, double v)
{
	return o->min > o->max || (v >= o->min && v <= o->max);
}

/* Parse one value into the conf; on error write a reason into why. */
static int
set_value(struct mw_conf *c, const struct mw_option *o, const char *val, char *why, size_t whylen)
{
	char *field = (char *)c + o->offset;
	char *end;
	long l;
	double d;
	bool b;
	int e;

	switch (o->type) {
	case MW_OPT_STRING: {
		char *dup = strdup(val);
		if (dup == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = dup;
		return 0;
	}
	case MW_OPT_INT:
		errno = 0;
		l = strtol(val, &end, 10);
		if (end == val || *end != '\0' || errno) {
			snprintf(why, whylen, "'%s' is not an integer", val);
			return -1;
		}
		goto range_long;
	case MW_OPT_OCTAL:
		errno = 0;
		l = strtol(val, &end, 8);
		if (end == val || *end != '\0' || errno) {
			snprintf(why, whylen, "'%s' is not an octal mode", val);
			return -1;
		}
		goto range_long;
	case MW_OPT_SIZE:
		if (mw_parse_size(val, &l) < 0) {
			snprintf(why, whylen, "'%s' is not a size (e.g. 512k, 10M)", val);
			return -1;
		}
		goto range_long;
	case MW_OPT_SECONDS:
		if (parse_seconds(val, &l) < 0) {
			snprintf(why, whylen, "'%s' is not a duration (e.g. 30, 30s, 5m)", val);
			return -1;
		}
		goto range_long;
	case MW_OPT_DOUBLE:
		errno = 0;
		d = strtod(val, &end);
		if (end == val || *end != '\0' || errno || !isfinite(d)) {
			snprintf(why, whylen, "'%s' is not a number", val);
			return -1;
		}
		if (!in_range(o, d)) {
			snprintf(why, whylen, "%s is out of range %g..%g", val, o->min, o->max);
			return -1;
		}
		*(double *)field = d;
		return 0;
	case MW_OPT_BOOL:
		if (mw_parse_bool(val, &b) < 0) {
			snprintf(why, whylen, "'%s' is not yes or no", val);
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case MW_OPT_ENUM:
		if (mw_parse_enum(val, o->enum_names, &e) < 0) {
			size_t i, off;
			off = (size_t)snprintf(why, whylen, "'%s' is not one of", val);
			for (i = 0; o->enum_names[i] && off < whylen; i++)
				off += (size_t)snprintf(why + off, whylen - off, " %s", o->enum_names[i]);
			return -1;
		}
		*(int *)field = e;
		return 0;
	}
	snprintf(why, whylen, "internal: unknown option type");
	return -1;

range_long:
	if (!in_range(o, (double)l)) {
		snprintf(why, whylen, "%s is out of range %.0f..%.0f", val, o->min, o->max);
		return -1;
	}
	*(long *)field = l;
	return 0;
}

const struct mw_option *
mw_conf_find(const char *name)
{
	size_t i;

	for (i = 0; i < mw_noptions; i++)
		if (strcmp(mw_options[i].name, name) == 0)
			return &mw_options[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Strip a trailing comment: '#' at the start or after white space, outside quotes. */
static void
strip_comment(char *s)
{
	bool quoted = false;
	char *p;

	for (p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '#' && !quoted && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

static int
parse_file(struct mw_conf *c, FILE *fp, const char *path, struct mw_diag *diag)
{
	char *line = NULL, *p, *eq, *name, *val;
	size_t cap = 0, nline = 0;
	ssize_t n;
	unsigned *seen;
	char why[512];

	if ((seen = calloc(mw_noptions, sizeof(*seen))) == NULL) {
		mw_diag_error(diag, path, 0, "out of memory");
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		const struct mw_option *o;
		size_t vlen;

		nline++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			mw_diag_error(diag, path, nline, "NUL byte in line");
			continue;
		}
		strip_comment(line);
		p = trim(line);
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			mw_diag_error(diag, path, nline, "expected 'name = value'");
			continue;
		}
		*eq = '\0';
		name = trim(p);
		val = trim(eq + 1);
		vlen = strlen(val);
		if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
			val[vlen - 1] = '\0';
			val++;
		}
		if ((o = mw_conf_find(name)) == NULL) {
			mw_diag_error(diag, path, nline, "unknown option '%s'", name);
			continue;
		}
		if (seen[o - mw_options]) {
			mw_diag_error(diag, path, nline, "'%s' already set at line %u", name,
			    seen[o - mw_options]);
			continue;
		}
		seen[o - mw_options] = (unsigned)nline;
		if (set_value(c, o, val, why, sizeof(why)) < 0)
			mw_diag_error(diag, path, nline, "%s: %s", name, why);
	}
	if (ferror(fp))
		mw_diag_error(diag, path, 0, "read error: %s", strerror(errno));
	free(line);
	free(seen);
	return diag->nerrors ? -1 : 0;
}

/* --- postmaster's view (issue 10) --- */
/* A hash without a real secret could be reversed by hashing guessed addresses. */
static void
check_log_addresses(const struct mw_conf *c, struct mw_diag *diag)
{
	if (c->log_addresses == MW_LOG_ADDR_HASH && strlen(c->log_hash_key) < 16)
		mw_diag_error(diag, c->path, 0,
		    "log_addresses = hash needs log_hash_key of at least 16 characters");
}

struct mw_conf *
mw_conf_load(const char *path, bool missing_ok, struct mw_diag *diag)
{
	struct mw_conf *c;
	char why[512];
	size_t i, errs_before = diag->nerrors;
	FILE *fp;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		mw_diag_error(diag, path, 0, "out of memory");
		return NULL;
	}
	for (i = 0; i < mw_noptions; i++)
		if (set_value(c, &mw_options[i], mw_options[i].def, why, sizeof(why)) < 0)
			mw_diag_error(diag, NULL, 0, "internal: default of %s: %s",
			    mw_options[i].name, why);

	if (path != NULL) {
		if ((fp = fopen(path, "r")) == NULL) {
			if (!(errno == ENOENT && missing_ok))
				mw_diag_error(diag, path, 0, "cannot open: %s", strerror(errno));
		} else {
			if ((c->path = strdup(path)) == NULL)
				mw_diag_error(diag, path, 0, "out of memory");
			parse_file(c, fp, path, diag);
			fclose(fp);
		}
	}
	check_log_addresses(c, diag);	/* issue 10: options that depend on each other */
	if (diag->nerrors > errs_before) {
		mw_conf_free(c);
		return NULL;
	}
	return c;
}

void
mw_conf_free(struct mw_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < mw_noptions; i++)
		if (mw_options[i].type == MW_OPT_STRING)
			free(*(char **)((char *)c + mw_options[i].offset));
	free(c->path);
	free(c);
}

/* Enumerated values as "a|b|c". */
static void
print_choices(FILE *fp, const struct mw_option *o)
{
	size_t j;

	for (j = 0; o->enum_names[j]; j++)
		fprintf(fp, "%s%s", j ? "|" : "", o->enum_names[j]);
}

/* Escape backslashes and hyphens for roff. */
static void
print_roff(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

/* An option's range as text, in the notation its values are written in (file modes
 * in octal); false when the option has none. */
static bool
range_text(const struct mw_option *o, const char *sep, char *buf, size_t len)
{
	if (o->min > o->max || o->type == MW_OPT_ENUM)
		return false;
	if (o->type == MW_OPT_OCTAL)
		snprintf(buf, len, "%#o%s%#o", (unsigned)o->min, sep, (unsigned)o->max);
	else if (o->type == MW_OPT_DOUBLE)
		snprintf(buf, len, "%g%s%g", o->min, sep, o->max);
	else
		snprintf(buf, len, "%.0f%s%.0f", o->min, sep, o->max);
	return true;
}

void
mw_conf_list(void *stdio_file, enum mw_conf_list_format fmt)
{
	FILE *fp = stdio_file;
	char range[96];
	size_t i;

	for (i = 0; i < mw_noptions; i++) {
		const struct mw_option *o = &mw_options[i];

		switch (fmt) {
		case MW_CONF_LIST_SAMPLE:
			fprintf(fp, "# %s", o->help);
			if (o->type == MW_OPT_ENUM) {
				fprintf(fp, " (");
				print_choices(fp, o);
				fprintf(fp, ")");
			}
			fprintf(fp, "\n#%s = %s\n\n", o->name, o->def);
			break;
		case MW_CONF_LIST_MAN:
			fprintf(fp, ".TP\n.B %s\n", o->name);
			fprintf(fp, "Type: %s.  Default: \\(lq", type_names[o->type]);
			print_roff(fp, o->def);
			fprintf(fp, "\\(rq.");
			if (o->type == MW_OPT_ENUM) {
				fprintf(fp, "  One of: ");
				print_choices(fp, o);
				fprintf(fp, ".");
			} else if (range_text(o, " to ", range, sizeof(range)))
				fprintf(fp, "  Range: %s.", range);
			fprintf(fp, "\n");
			print_roff(fp, o->help);
			fprintf(fp, ".\n");
			break;
		case MW_CONF_LIST_TEXT:
			fprintf(fp, "%-24s %-8s default \"%s\"", o->name, type_names[o->type],
			    o->def);
			if (o->type == MW_OPT_ENUM) {
				fprintf(fp, " (");
				print_choices(fp, o);
				fprintf(fp, ")");
			} else if (range_text(o, "..", range, sizeof(range)))
				fprintf(fp, " range %s", range);
			fprintf(fp, "\n    %s\n", o->help);
			break;
		}
	}
}
