/*
 * eval_relays - SpamAssassin's eval tests that read the relay analysis (relays.h):
 * RelayEval (ALL_TRUSTED, RCVD_HELO_IP_MISMATCH, NO_RDNS_DOTCOM_HELO...), the
 * forged-Received checks of HeaderEval, and WLBLEval's check_mailfrom_matches_rcvd.
 * Same names, arguments and results as SpamAssassin 4.0.1.  They read ctx->relays,
 * which the spam stage fills; without it (no analysis ran) they answer -1.
 */
#ifndef MW_EVAL_RELAYS_H
#define MW_EVAL_RELAYS_H

#include "eval.h"

#define MW_EVAL_RELAYS_FN(name) \
	int mw_eval_##name(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)

MW_EVAL_RELAYS_FN(check_all_trusted);
MW_EVAL_RELAYS_FN(check_no_relays);
MW_EVAL_RELAYS_FN(check_relays_unparseable);
MW_EVAL_RELAYS_FN(helo_ip_mismatch);
MW_EVAL_RELAYS_FN(check_for_numeric_helo);
MW_EVAL_RELAYS_FN(check_for_no_rdns_dotcom_helo);
MW_EVAL_RELAYS_FN(check_for_forged_received_trail);
MW_EVAL_RELAYS_FN(check_for_forged_received_ip_helo);
MW_EVAL_RELAYS_FN(check_for_from_domain_in_received_headers);
MW_EVAL_RELAYS_FN(gated_through_received_hdr_remover);
MW_EVAL_RELAYS_FN(check_for_forged_yahoo_received_headers);
MW_EVAL_RELAYS_FN(check_for_forged_hotmail_received_headers);
MW_EVAL_RELAYS_FN(check_for_no_hotmail_received_headers);
MW_EVAL_RELAYS_FN(check_for_forged_gmail_received_headers);
MW_EVAL_RELAYS_FN(check_for_forged_juno_received_headers);
MW_EVAL_RELAYS_FN(check_for_forged_eudoramail_received_headers);
MW_EVAL_RELAYS_FN(check_for_fake_aol_relay_in_rcvd);
MW_EVAL_RELAYS_FN(check_mailfrom_matches_rcvd);
MW_EVAL_RELAYS_FN(check_ratware_envelope_from);

#endif
