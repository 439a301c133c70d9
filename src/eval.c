/*
 * eval - the table of native eval functions.
 */
#include "config.h"

#include <string.h>

#include "eval.h"
#include "spf.h"		/* issue 7 */
#include "eval_sa.h"		/* issue 5 */
#include "eval_relays.h"	/* issue 5: relay evals */

/* Each stage declares its functions in its own header and lists them here. */
static const struct mw_eval_entry eval_table[] = {
	/* --- SPF (issue 7) --- */
	{ "check_for_spf_pass", mw_spf_eval_pass },
	{ "check_for_spf_neutral", mw_spf_eval_neutral },
	{ "check_for_spf_none", mw_spf_eval_none },
	{ "check_for_spf_fail", mw_spf_eval_fail },
	{ "check_for_spf_softfail", mw_spf_eval_softfail },
	{ "check_for_spf_permerror", mw_spf_eval_permerror },
	{ "check_for_spf_temperror", mw_spf_eval_temperror },
	{ "check_for_spf_helo_pass", mw_spf_eval_helo_pass },
	{ "check_for_spf_helo_neutral", mw_spf_eval_helo_neutral },
	{ "check_for_spf_helo_none", mw_spf_eval_helo_none },
	{ "check_for_spf_helo_fail", mw_spf_eval_helo_fail },
	{ "check_for_spf_helo_softfail", mw_spf_eval_helo_softfail },
	{ "check_for_spf_helo_permerror", mw_spf_eval_helo_permerror },
	{ "check_for_spf_helo_temperror", mw_spf_eval_helo_temperror },
	/* --- eval tests (issue 5) --- */
	{ "check_equal_from_domains", mw_eval_check_equal_from_domains },
	{ "check_outlook_message_id", mw_eval_check_outlook_message_id },
	{ "check_for_shifted_date", mw_eval_check_for_shifted_date },
	{ "check_for_missing_to_header", mw_eval_check_for_missing_to_header },
	{ "subject_is_all_caps", mw_eval_subject_is_all_caps },
	{ "similar_recipients", mw_eval_similar_recipients },
	{ "check_for_mime_html", mw_eval_check_for_mime_html },
	{ "check_for_mime_html_only", mw_eval_check_for_mime_html_only },
	{ "html_test", mw_eval_html_test },
	{ "html_image_only", mw_eval_html_image_only },
	{ "check_freemail_from", mw_eval_check_freemail_from },
	{ "check_freemail_header", mw_eval_check_freemail_header },
	{ "check_for_ascii_text_illegal", mw_eval_check_for_ascii_text_illegal },
	{ "check_illegal_chars", mw_eval_check_illegal_chars },
	{ "check_freemail_replyto", mw_eval_check_freemail_replyto },
	{ "html_range", mw_eval_html_range },
	{ "html_eval", mw_eval_html_eval },
	{ "html_tag_balance", mw_eval_html_tag_balance },
	{ "html_tag_exists", mw_eval_html_tag_exists },
	{ "html_image_ratio", mw_eval_html_image_ratio },
	{ "check_for_mime", mw_eval_check_for_mime },
	{ "check_base64_length", mw_eval_check_base64_length },
	{ "check_msg_parse_flags", mw_eval_check_msg_parse_flags },
	{ "check_body_length", mw_eval_check_body_length },
	{ "check_for_to_in_subject", mw_eval_check_for_to_in_subject },
	{ "html_text_match", mw_eval_html_text_match },
	{ "check_for_matching_env_and_hdr_from", mw_eval_check_for_matching_env_and_hdr_from },
	{ "image_count", mw_eval_image_count },
	{ "pixel_coverage", mw_eval_pixel_coverage },
	{ "check_for_uppercase", mw_eval_check_for_uppercase },
	{ "multipart_alternative_difference", mw_eval_multipart_alternative_difference },
	{ "multipart_alternative_difference_count",
	  mw_eval_multipart_alternative_difference_count },
	{ "check_for_faraway_charset", mw_eval_check_for_faraway_charset },
	{ "check_for_faraway_charset_in_headers", mw_eval_check_for_faraway_charset_in_headers },
	{ "html_charset_faraway", mw_eval_html_charset_faraway },
	{ "check_ratware_name_id", mw_eval_check_ratware_name_id },
	{ "check_unresolved_template", mw_eval_check_unresolved_template },
	{ "sorted_recipients", mw_eval_sorted_recipients },
	{ "html_title_subject_ratio", mw_eval_html_title_subject_ratio },
	{ "check_abundant_unicode_ratio", mw_eval_check_abundant_unicode_ratio },
	{ "tvd_vertical_words", mw_eval_tvd_vertical_words },
	{ "check_from_in_list", mw_eval_check_from_in_list },
	{ "check_replyto_in_list", mw_eval_check_replyto_in_list },
	{ "check_header_count_range", mw_eval_check_header_count_range },
	{ "check_ma_non_text", mw_eval_check_ma_non_text },
	{ "check_mime_multipart_ratio", mw_eval_check_mime_multipart_ratio },
	{ "have_any_bounce_relays", mw_eval_have_any_bounce_relays },
	{ "check_welcomelist_bounce_relays", mw_eval_check_welcomelist_bounce_relays },
	{ "check_whitelist_bounce_relays", mw_eval_check_welcomelist_bounce_relays },
	/* --- relay analysis (issue 5): eval_relays.c --- */
	{ "check_all_trusted", mw_eval_check_all_trusted },
	{ "check_no_relays", mw_eval_check_no_relays },
	{ "check_relays_unparseable", mw_eval_check_relays_unparseable },
	{ "helo_ip_mismatch", mw_eval_helo_ip_mismatch },
	{ "check_for_numeric_helo", mw_eval_check_for_numeric_helo },
	{ "check_for_no_rdns_dotcom_helo", mw_eval_check_for_no_rdns_dotcom_helo },
	{ "check_for_forged_received_trail", mw_eval_check_for_forged_received_trail },
	{ "check_for_forged_received_ip_helo", mw_eval_check_for_forged_received_ip_helo },
	{ "check_for_from_domain_in_received_headers",
	  mw_eval_check_for_from_domain_in_received_headers },
	{ "gated_through_received_hdr_remover", mw_eval_gated_through_received_hdr_remover },
	{ "check_for_forged_yahoo_received_headers",
	  mw_eval_check_for_forged_yahoo_received_headers },
	{ "check_for_forged_hotmail_received_headers",
	  mw_eval_check_for_forged_hotmail_received_headers },
	{ "check_for_no_hotmail_received_headers", mw_eval_check_for_no_hotmail_received_headers },
	{ "check_for_forged_gmail_received_headers",
	  mw_eval_check_for_forged_gmail_received_headers },
	{ "check_for_forged_juno_received_headers",
	  mw_eval_check_for_forged_juno_received_headers },
	{ "check_for_forged_eudoramail_received_headers",
	  mw_eval_check_for_forged_eudoramail_received_headers },
	{ "check_for_fake_aol_relay_in_rcvd", mw_eval_check_for_fake_aol_relay_in_rcvd },
	{ "check_mailfrom_matches_rcvd", mw_eval_check_mailfrom_matches_rcvd },
	{ "check_ratware_envelope_from", mw_eval_check_ratware_envelope_from },
	{ NULL, NULL }
};

const struct mw_eval_entry *
mw_eval_lookup(const char *name)
{
	size_t i;

	for (i = 0; eval_table[i].name != NULL; i++)
		if (strcmp(eval_table[i].name, name) == 0)
			return &eval_table[i];
	return NULL;
}
