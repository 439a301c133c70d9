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
	/* --- virus scanning (issue 6) --- */
	/* --- SPF (issue 7) --- */
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
/* Print every option with type, default and help (for --list-options / man page). */
void		 mw_conf_list(void *stdio_file, bool as_sample);

/* Small parsers shared with the customers file. */
int	mw_parse_bool(const char *s, bool *out);
int	mw_parse_size(const char *s, long *out);
int	mw_parse_enum(const char *s, const char *const *names, int *out);

#endif
