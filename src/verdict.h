/*
 * verdict - what the core decided for one message: the action, the SMTP reply, the
 * header edits, and each stage's result (for headers, the log line and --json).
 *
 * Stages never talk to the MTA: they *propose* an action with mw_verdict_propose();
 * the strongest proposal wins (reject > discard > hold > tempfail > tag > accept),
 * so the order of stages cannot weaken a decision.  The milter shell (milter_apply.c)
 * and --scan (scanfile.c) both apply the same verdict.
 */
#ifndef MW_VERDICT_H
#define MW_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

enum mw_action {
	MW_ACTION_ACCEPT,
	MW_ACTION_TAG,		/* accepted, with headers / subject changed */
	MW_ACTION_TEMPFAIL,
	MW_ACTION_HOLD,		/* accepted into the MTA's quarantine (hold queue) */
	MW_ACTION_DISCARD,
	MW_ACTION_REJECT,
};
const char *mw_action_name(enum mw_action a);

/* A stage's status, for the log and --json ("skipped" comes with a reason). */
enum mw_stage_status { MW_STAGE_NOT_RUN, MW_STAGE_SKIPPED, MW_STAGE_DONE, MW_STAGE_ERROR };

struct mw_reply {
	int	 code;		/* 0 = no reply text */
	char	 xcode[16];	/* enhanced status code, "5.7.1" */
	char	 text[512];
};

enum mw_hdr_op {
	MW_HDR_ADD,		/* add a new field (at the top: MTA-style trace position) */
	MW_HDR_DELETE,		/* delete occurrence `index` of `name` (an inbound forgery) */
	MW_HDR_CHANGE,		/* replace occurrence `index` of `name` by `value` */
};

struct mw_header_edit {
	enum mw_hdr_op op;
	char	*name;
	char	*value;		/* NULL for delete */
	unsigned index;		/* 1-based, for delete/change */
};

/* --- stage results ------------------------------------------------------------- */

struct mw_spam_result {			/* issue 4 */
	enum mw_stage_status status;
	const char *reason;		/* why skipped / error, static string */
	double	 score;
	double	 required;
	bool	 is_spam;
	char   **rules;			/* names of the rules that hit, owned */
	size_t	 nrules;
	bool	 budget_exceeded;	/* time budget cut evaluation short */
};

enum mw_virus_state { MW_VIRUS_CLEAN, MW_VIRUS_INFECTED, MW_VIRUS_FAILED, MW_VIRUS_LIMIT };
struct mw_virus_result {		/* issue 6 */
	enum mw_stage_status status;	/* SKIPPED: reason; ERROR: state FAILED + error */
	const char *reason;
	enum mw_virus_state state;
	char	 name[256];		/* signature name when infected */
	char	 error[256];		/* error text when failed */
	char	 limit[64];		/* ClamAV limit that stopped the scan (MaxFileSize...) */
	bool	 accepted_unscanned;	/* error, and clamav_on_error = accept */
	double	 elapsed_ms;
};

struct mw_spf_result {			/* issue 7 */
	enum mw_stage_status status;
	const char *reason;
	char	 result[16];		/* pass fail softfail neutral none temperror permerror */
	char	 domain[256];		/* the checked identity's domain */
	char	 identity[16];		/* "mailfrom" or "helo" */
	char	 helo_result[16];	/* the HELO identity's own result; "" = not checked */
	char	 problem[128];		/* why temperror/permerror/none, for the log */
};

struct mw_tls_result {			/* issue 9 */
	enum mw_stage_status status;
	const char *reason;		/* why skipped, static string */
	bool	 encrypted;		/* this hop */
	char	 version[32];
	char	 cipher[128];
	int	 bits;
	bool	 cert_verified;
	bool	 cert_presented;	/* the client sent a certificate ({cert_subject}) */
	/* Earlier hops, from the Received chain below our own field. */
	int	 earlier_encrypted;
	int	 earlier_clear;
	int	 earlier_unknown;
	int	 earlier_internal;
	int	 earlier_claimed;	/* of these, written by hosts outside our control */
	int	 received_fields;	/* Received fields in the message */
	bool	 hops_truncated;	/* more fields than were examined */
	char	 first_clear_host[256];	/* nearest clear hop: sending host ... */
	char	 first_clear_by[256];	/* ... and receiving host */
	bool	 first_clear_claimed;	/* that hop is a claim, not our own record */
	bool	 earlier_not_examined;	/* opted out: the message was not read, only the
					 * MTA's macros (this hop) are known */
};

struct mw_policy_result {		/* issue 8 */
	enum mw_stage_status status;
	struct mw_policy effective;	/* the policy the message was handled under */
};

struct mw_verdict {
	enum mw_action action;
	struct mw_reply reply;
	const char *decided_by;		/* stage that proposed the winning action */
	char	 hold_reason[256];

	struct mw_header_edit *edits;
	size_t	 nedits, edits_cap;

	unsigned msg_flags;		/* enum mw_msg_flag, copied for output */
	size_t	 size;
	const char *skip_reason;	/* whole-message skip (oversize, opted out) */

	struct mw_policy_result policy;
	struct mw_spam_result spam;
	struct mw_virus_result virus;
	struct mw_spf_result spf;
	struct mw_tls_result tls;

	/* Wall time per stage (the virus stage keeps its own in virus.elapsed_ms);
	 * negative = the stage did not run. */
	double	 parse_ms, tls_ms, mime_ms, spf_ms, spam_ms;
	double	 elapsed_ms;
};

void	mw_verdict_init(struct mw_verdict *v);
void	mw_verdict_free(struct mw_verdict *v);

/* Propose an action; kept if stronger than the current one.  code 0 = no reply. */
void	mw_verdict_propose(struct mw_verdict *v, enum mw_action a, const char *stage,
	    int code, const char *xcode, const char *text);
int	mw_verdict_add_header(struct mw_verdict *v, const char *name, const char *value);
int	mw_verdict_delete_header(struct mw_verdict *v, const char *name, unsigned index);
int	mw_verdict_change_header(struct mw_verdict *v, const char *name, unsigned index,
	    const char *value);

/* Prefix the Subject with tag (issue 9; shared with the spam stage's subject action).
 * Prefixes from several stages merge into one change: a later call prefixes the value
 * an earlier one set.  A tag that is not plain printable ASCII is written as RFC 2047
 * encoded-words; a Subject that already starts with the tag is left alone; a message
 * without Subject gets one.  -1 on ENOMEM. */
struct mw_message;
int	mw_verdict_prefix_subject(struct mw_verdict *v, const struct mw_message *m,
	    const char *tag);

#endif
