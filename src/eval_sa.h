/*
 * eval_sa - SpamAssassin's message eval tests (issue 5), natively in C.
 *
 * Each function has the name, arguments and result of the SpamAssassin Perl
 * function it replaces (HeaderEval, MIMEEval, HTMLEval, ImageInfo plugins); they read only
 * the message model (ctx->msg, its MIME model and HTML facts) and the envelope.
 * Pure: no I/O, no logging, nothing kept between calls.
 */
#ifndef MW_EVAL_SA_H
#define MW_EVAL_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "eval.h"

/* HeaderEval */
int	mw_eval_check_equal_from_domains(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_outlook_message_id(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_shifted_date(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_missing_to_header(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_illegal_chars(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_subject_is_all_caps(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_similar_recipients(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_matching_env_and_hdr_from(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_ratware_name_id(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_unresolved_template(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_header_count_range(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_sorted_recipients(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_to_in_subject(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
/* MIMEEval */
int	mw_eval_check_for_mime_html(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_mime_html_only(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_ascii_text_illegal(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_mime(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args);
int	mw_eval_check_base64_length(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_msg_parse_flags(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_uppercase(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_ma_non_text(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_mime_multipart_ratio(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_abundant_unicode_ratio(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_faraway_charset(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_for_faraway_charset_in_headers(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_html_charset_faraway(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
/* ImageInfo */
int	mw_eval_image_count(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args);
int	mw_eval_pixel_coverage(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
/* BodyEval */
int	mw_eval_multipart_alternative_difference(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_multipart_alternative_difference_count(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_tvd_vertical_words(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_body_length(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
/* HTMLEval */
int	mw_eval_html_test(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args);
int	mw_eval_html_image_only(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_html_range(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args);
int	mw_eval_html_eval(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args);
int	mw_eval_html_tag_balance(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_html_tag_exists(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_html_image_ratio(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_html_text_match(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_html_title_subject_ratio(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);

/* WLBLEval: lists from the rule files (enlist_addrlist) */
int	mw_eval_check_from_in_list(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_replyto_in_list(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);

/* VBounce */
int	mw_eval_have_any_bounce_relays(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_welcomelist_bounce_relays(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);

/* FreeMail */
int	mw_eval_check_freemail_from(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_freemail_header(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);
int	mw_eval_check_freemail_replyto(const struct mw_scan_ctx *ctx,
	    const struct mw_eval_args *args);

/*
 * Settings of the eval plugins kept from the rule files (freemail_domains,
 * freemail_welcomelist / freemail_whitelist).  The rule loader offers every
 * directive it does not know: 1 = taken, 0 = not ours, -1 = ENOMEM.  The lists live
 * in the ruleset (read-only once loaded) and are freed with it.
 */
struct mw_eval_sa_conf;
int	mw_eval_sa_conf_line(struct mw_eval_sa_conf **conf, const char *key, const char *val);
void	mw_eval_sa_conf_free(struct mw_eval_sa_conf *conf);
/* Is this (lower-case) address a freemail one, as FreeMail's _is_freemail? */
bool	mw_eval_sa_is_freemail(const struct mw_eval_sa_conf *conf, const char *email);

/*
 * SpamAssassin's Util::parse_rfc822_date: a date anywhere in text (it looks for
 * "D Mon YYYY", "Mon D hh:mm:ss YYYY" or "D Mon YY", then hh:mm[:ss] and a zone;
 * unknown zones count as UTC; years clamped to 1970..2037).  Exposed for the tests.
 * Returns false when no date was found.
 */
bool	mw_eval_parse_rfc822_date(const char *text, time_t *out);

/* SpamAssassin's EnvelopeFrom (get_envelope_from): the MTA's MAIL FROM, else what the
 * relays and the envelope headers tell; "" when nothing does.  buf (cap bytes) may
 * hold the result. */
struct mw_scan_ctx;
const char *mw_eval_sa_envelope_from(const struct mw_scan_ctx *ctx, char *buf, size_t cap);

/* The date difference (Date: minus the closest Received: time, seconds) used by
 * check_for_shifted_date; exposed for the tests. */
struct mw_message;
long long mw_eval_date_diff(const struct mw_message *m);

#endif
