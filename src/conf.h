/*
 * conf - mailwarden.conf: one table of typed options (name, type, default, range,
 * help) drives the parser, `mailwarden --list-options`, the sample file and the
 * man page check.  A parsed configuration is immutable once built.
 *
 * File format: `name = value` per line; `#` starts a comment (at line start or after
 * white space); blank lines ignored; values may be double-quoted.  Unknown names,
 * bad values and duplicates are errors naming file:line; every error is reported.
 */
#ifndef MW_CONF_H
#define MW_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define MW_DEFAULT_CONFIG	"/etc/mailwarden/mailwarden.conf"

enum mw_opt_type {
	MW_OPT_STRING,
	MW_OPT_INT,		/* long; min/max apply */
	MW_OPT_SIZE,		/* bytes, suffixes k/K m/M g/G; min/max apply */
	MW_OPT_SECONDS,		/* duration, suffixes s/m/h; stored as long seconds */
	MW_OPT_DOUBLE,
	MW_OPT_BOOL,		/* yes/no/true/false/on/off/1/0 */
	MW_OPT_ENUM,		/* stored as int index into enum_names */
	MW_OPT_OCTAL,		/* file modes */
};

struct mw_option {
	const char	*name;
	enum mw_opt_type type;
	size_t		 offset;	/* into struct mw_conf */
	const char	*def;		/* default, parsed by the same code as the file */
	double		 min, max;	/* numeric range; min > max means unbounded */
	const char *const *enum_names;	/* NULL-terminated, for MW_OPT_ENUM */
	const char	*help;
};

enum mw_oversize_action { MW_OVERSIZE_ACCEPT, MW_OVERSIZE_TEMPFAIL, MW_OVERSIZE_REJECT };
enum mw_log_format { MW_LOG_KV, MW_LOG_JSON };
/* --- SPF (issue 7) --- */
enum mw_spf_temperror_action { MW_SPF_TEMPERROR_NONE, MW_SPF_TEMPERROR_TEMPFAIL };
extern const char *const mw_spf_temperror_action_names[];
/* --- postmaster's view (issue 10) --- */
enum mw_log_addresses { MW_LOG_ADDR_FULL, MW_LOG_ADDR_DOMAIN, MW_LOG_ADDR_HASH };
extern const char *const mw_log_addresses_names[];

struct mw_conf {
	char	*path;			/* file it came from, or NULL for embedded defaults */

	/* daemon */
	char	*socket;
	long	 socket_mode;
	char	*socket_group;
	char	*user;
	char	*pidfile;
	char	*hostname;		/* for our headers; empty = gethostname() */
	long	 milter_timeout;

	/* logging */
	int	 log_facility;		/* index into mw_log_facility_names */
	char	*log_file;		/* empty = syslog */
	int	 log_format;

	/* message handling and limits */
	long	 max_message_size;
	int	 oversize_action;
	long	 memory_body_limit;	/* above it the body is spooled to a private file */
	char	*tmpdir;
	long	 max_header_count;
	long	 max_header_size;	/* one header field, unfolded */
	char	*authserv_id;		/* empty = the MTA's j macro */

	/* --- MIME model (issue 3) --- */
	long	 mime_max_depth;	/* nesting of multiparts and message/rfc822 */
	long	 mime_max_parts;
	long	 mime_max_part_size;	/* decoded bytes kept per text part */
	long	 mime_max_text;		/* text given to the rules, per view */
	long	 mime_max_uris;

	/* --- spam rules (issue 4) --- */
	char	*rules;			/* comma list of rule files / directories */
	long	 score_set;		/* SpamAssassin score set 0..3 */
	double	 spam_threshold;	/* for the built-in policy (key "-") */
	long	 rules_time_budget;	/* ms per message, 0 = none */
	/* --- virus scanning (issue 6) --- */
	char	*clamav_database;	/* directory (freshclam's) or one signature file */
	char	*clamav_backend;	/* "local" (libclamav in process) or "clamd:ADDRESS" */
	long	 clamav_check_interval;	/* seconds between database change checks */
	long	 clamav_max_scansize;
	long	 clamav_max_filesize;
	long	 clamav_max_recursion;
	long	 clamav_max_files;
	long	 clamav_max_scantime;	/* seconds */
	int	 clamav_on_limit;	/* enum mw_av_on_limit */
	int	 clamav_on_error;	/* enum mw_av_on_error */
	long	 clamav_timeout;	/* clamd backend: seconds per I/O step */
	char	*virus_reject_text;	/* reply text; %v = virus name */
	char	*clamav_tmpdir;		/* ClamAV's scratch files; empty = tmpdir */
	/* --- SPF (issue 7) --- */
	bool	 spf_check;
	bool	 spf_check_helo;	/* also check the HELO name (SPF_HELO_* rules) */
	char	*spf_trusted_networks;	/* CIDR list: clients not checked */
	long	 spf_dns_timeout;	/* seconds per DNS query attempt */
	long	 spf_dns_attempts;
	long	 spf_timeout;		/* seconds for one whole check */
	char	*spf_nameserver;	/* empty = /etc/resolv.conf */
	int	 spf_temperror_action;	/* enum mw_spf_temperror_action */
	char	*spf_test_zone;		/* test-only: libspf2 zone DNS from this file */
	/* --- customers and policy (issue 8) --- */
	char	*customers;		/* customers file; empty = filter every recipient */
	int	 local_part_case;	/* enum mw_local_part_case */
	char	*recipient_delimiter;	/* extension characters stripped for lookup */
	int	 mixed_policy;		/* enum mw_mixed_policy */
	char	*trusted_networks;	/* CIDR list: clients that get the submission policy */
	bool	 submission_spam;	/* spam filtering for authenticated/trusted clients */
	bool	 submission_virus;	/* virus scanning for authenticated/trusted clients */
	/* built-in policy values that customers entries inherit unless they set them;
	 * the threshold is spam_threshold from the spam rules section */
	double	 default_spam_reject_threshold;
	int	 default_spam_action;
	char	*default_subject_tag;
	int	 default_virus_action;
	int	 default_spf_fail_action;
	int	 default_tls_warn;
	/* --- TLS audit (issue 9) --- */
	char	*tls_subject_tag;	/* Subject prefix for tls_warn = subject */
	char	*tls_own_hosts;		/* our MTAs: Received fields they wrote are trusted */
	char	*tls_internal_networks;	/* CIDR list: hops from here to our hosts are internal */
	/* --- postmaster's view (issue 10) --- */
	int	 log_addresses;		/* enum mw_log_addresses */
	char	*log_hash_key;		/* HMAC key for log_addresses = hash */
};

extern const struct mw_option mw_options[];
extern const size_t mw_noptions;
extern const char *const mw_log_facility_names[];

/* Build a configuration: defaults, then the file (if path != NULL).  When the file
 * does not exist and `missing_ok`, the embedded defaults are used.  Errors go to
 * diag; returns NULL if there was any error. */
struct mw_conf	*mw_conf_load(const char *path, bool missing_ok, struct mw_diag *diag);
void		 mw_conf_free(struct mw_conf *c);
const struct mw_option *mw_conf_find(const char *name);
/* Print every option with type, default and help: for --list-options, the sample
 * configuration, and the OPTIONS section of mailwarden.conf(5), so none can drift. */
enum mw_conf_list_format { MW_CONF_LIST_TEXT, MW_CONF_LIST_SAMPLE, MW_CONF_LIST_MAN };
void		 mw_conf_list(void *stdio_file, enum mw_conf_list_format fmt);

/* Small parsers shared with the customers file. */
int	mw_parse_bool(const char *s, bool *out);
int	mw_parse_size(const char *s, long *out);
int	mw_parse_enum(const char *s, const char *const *names, int *out);

#endif
