/*
 * relays - SpamAssassin's view of the Received chain (see relays.h).
 *
 * Received fields have no grammar that MTAs keep to, so SpamAssassin recognises them
 * by shape, MTA by MTA, in a fixed order; the first shape that fits decides which word
 * is the HELO, which the reverse DNS name, and whether the MTA looks names up at all.
 * The shapes below are written as PCRE2 patterns, compiled once (JIT) and tried in
 * that order on the field with white space collapsed.  The order matters as much as
 * the shapes: a Sendmail field also fits several later, looser shapes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rxtab.h"

#include "relays.h"

/* --- addresses ------------------------------------------------------------------- */

#define IP	MW_RELAY_IP_RE
#define OCT	MW_RELAY_OCT_RE
#define LOCALHOST "(?:localhost(?:\\.localdomain)?|\\b(?<!:)127\\.0\\.0\\.1\\b|(?:IPv6:)?::1)"
/* characters SpamAssassin accepts in a HELO argument */
#define HC	"-A-Za-z0-9.^+_&:=?!@%*$\\\\/"

/* --- the shapes, in the order they are tried -------------------------------------- */

enum rx {
	/* before the from-part is read */
	RX_FROM_BY_SEMI, RX_DATE, RX_ID, RX_HELO_EQ, RX_HELO_WORD, RX_BY,
	RX_AUTH_RFC3848, RX_AUTH_GMAIL, RX_AUTH_GMAIL_TLS, RX_AUTH_COURIER,
	RX_AUTH_SENDMAIL, RX_AUTH_GMX, RX_AUTH_CRITPATH, RX_AUTH_POSTFIX,
	RX_AUTH_COMMUNIGATE, RX_AUTH_DAV, RX_AUTH_VIA_HTTP, RX_WITH_LOCAL_FOR,
	/* after "from " */
	RX_ENVFROM, RX_SQUIRREL, RX_AOL_WEB, RX_SMTPSVC, RX_SMTPSVC_PICKUP,
	RX_MSSMTP_GATE, RX_MSSMTP, RX_XMAIL, RX_XMAIL_ID, RX_XMAIL_FROM,
	RX_ECEL_HELO, RX_ECEL,
	RX_EXIM_LOCAL, RX_EXIM_IPFIRST, RX_EXIM_NAMEFIRST, RX_EXIM_BRACKET,
	RX_EXIM_WORD, RX_EXIM_PAREN, RX_EXIM_IP, RX_EXIM_BY,
	RX_POSTFIX, RX_POSTFIX_NOSPACE, RX_SCALIX, RX_DOMINO, RX_HTTP_NUMERIC,
	RX_QMAIL_LDAP, RX_SENDMAIL,
	RX_MSIMS, RX_HELO_EQ_FMT, RX_ATTBI_UNKNOWN, RX_ATTBI, RX_IDENT_AT,
	RX_HOTMAIL_BY, RX_LEADING_IP, RX_QPSMTPD, RX_LHLO, RX_GMX_FMT, RX_AOL_SMTPD,
	RX_QMAIL_ANY, RX_QMAIL_HELO_IDENT, RX_QMAIL_HELO, RX_QMAIL_IDENT, RX_QMAIL_PLAIN,
	RX_VIA_HTTP, RX_SPACE_BRACKET, RX_PAREN_HELO_IP, RX_BRACKET_BY, RX_PAREN_IP_BY,
	RX_BRACKET_BY_BRACKET, RX_BRACKET_PAREN, RX_SENDMAIL_NORDNS, RX_SENDMAIL_ANY,
	RX_SENDMAIL_PORT, RX_SENDMAIL_AUTH, RX_FETCH,
	RX_QMAILISH_HELO, RX_QMAILISH, RX_WITH_HTTP_FOR, RX_SMAP, RX_SMAP_HELO, RX_POST,
	RX_ARGOSOFT, RX_INTERSCAN, RX_BSMTP, RX_RDNS_WITH, RX_YAHOO_PLAIN, RX_CGP_HELO,
	RX_CGP_VERIFIED, RX_BRACKET_WITH, RX_NAME_PAREN_IP, RX_CONTENT_TECH,
	RX_TWO_BRACKETS, RX_IP_BY_WITH, RX_RDNS_NOSPACE, RX_BRACKET_SUFFIX_HELO,
	RX_IP_HELO, RX_NAME_BRACKET_BY, RX_NODNS, RX_MAILGATE, RX_UNVERIFIED,
	RX_IP_COMMENT_WITH, RX_BRACKET_SUB, RX_IDENT_IP_WITH, RX_OBTUSE, RX_YAHOO_LOGIN,
	RX_SYNTH_ORIG,
	/* fields known to carry nothing usable */
	RX_SKIP_LOCALUSER, RX_SKIP_LOCAL_ESMTP, RX_SKIP_AVG, RX_SKIP_QS_UID,
	RX_SKIP_ADDR_BY, RX_SKIP_UNKNOWN_LOCAL, RX_SKIP_LOCALHOST2, RX_SKIP_LOCALHOST1,
	RX_SKIP_LOCALHOST_BRACKET, RX_SKIP_AUTH, RX_SKIP_UNIX, RX_SKIP_AMAZON,
	RX_SKIP_GROUPWISE, RX_SKIP_RAPTOR, RX_QMAIL_SCANNER, RX_SKIP_WITH_LOCAL,
	RX_SKIP_CYRUS, RX_SKIP_NOIP, RX_SKIP_NOIP2, RX_SKIP_SENDGRID, RX_SKIP_OPENSMTPD,
	RX_SKIP_LSMTP, RX_SKIP_MAILENABLE, RX_SKIP_FACEBOOK, RX_SKIP_GMAILAPI,
	RX_SKIP_ID_ONLY, RX_SKIP_JETSEND, RX_GUESS_HELO,
	/* "FROM " (simta) and "(from " */
	RX_SIMTA, RX_NAVGW, RX_SKIP_SUBMIT, RX_SKIP_JQUEUE,
	/* last resort */
	RX_ANY_BRACKET_IP, RX_V4_MAPPED,
	RX_COUNT
};

static const struct mw_rxtab_src rx_src[] = {
	{ RX_FROM_BY_SEMI, "^from (\\S+) by [^\\s;]+ ?;", PCRE2_CASELESS },
	{ RX_DATE, "[\\s;]+(?:(?:Mon|T(?:ue|hu)|Wed|Fri|S(?:at|un)), )?\\d+ "
	    "(?:J(?:an|u[nl])|Feb|Ma[ry]|A(?:pr|ug)|Sep|Oct|Nov|Dec) \\d+ \\d+:\\d+(?::\\d+)? \\S+$", 0 },
	{ RX_ID, " id <?([^\\s<>;]{3,})", 0 },
	{ RX_HELO_EQ, "\\bhelo=([" HC "]+)(?:[^" HC "]|$)", 0 },
	{ RX_HELO_WORD, "\\b(?:HELO|EHLO) ([" HC "]+)(?:[^" HC "]|$)", 0 },
	{ RX_BY, " by (\\S+)(?:[^-A-Za-z0-9;.]|$)", 0 },
	{ RX_AUTH_RFC3848, " with ((?:ES|L|UTF8S|UTF8L)MTPS?A|ASMTP|HTTP[SU]?)(?: |;|$)",
	    PCRE2_CASELESS },
	{ RX_AUTH_GMAIL, " by mx\\.google\\.com with ESMTPS id [a-z0-9]{1,4}sm[0-9]{2,9}"
	    "[a-z]{3}\\.[0-9]{1,3}\\.[0-9]{4}\\.(?:[0-6][0-9]\\.){4}[0-6][0-9]", 0 },
	{ RX_AUTH_GMAIL_TLS, "\\(version=([^ ]+) cipher=([^)]+)\\)", 0 },
	{ RX_AUTH_COURIER, "^from .*?(?:\\]\\)|\\)\\]) \\(AUTH: (LOGIN|PLAIN|DIGEST-MD5|CRAM-MD5) "
	    "\\S+(?:, .*?)?\\) by ", 0 },
	{ RX_AUTH_SENDMAIL, "^from .*?(?:\\](?: \\([^)]*\\))?\\)|\\)\\]) .*?\\(.*?authenticated.*?\\).*? by", 0 },
	{ RX_AUTH_GMX, "from \\S* \\((?:HELO|EHLO) (\\S*)\\) \\[(" IP ")\\] by "
	    "(mail\\.gmx\\.(?:net|com)) \\([^)]+\\) with ((?:ESMTP|SMTP))", 0 },
	{ RX_AUTH_CRITPATH, "\\) by .+ \\(\\d{1,2}\\.\\d\\.\\d{3}(?:\\.\\d{1,3})?\\) "
	    "\\(authenticated as .+\\) id ", 0 },
	{ RX_AUTH_POSTFIX, "\\) \\(Authenticated sender: \\S+\\) by \\S+ \\(([^)]+)\\) with ", 0 },
	{ RX_AUTH_COMMUNIGATE, "CommuniGate Pro (HTTP|SMTP|XIMSS|IMAP)", 0 },
	{ RX_AUTH_DAV, " with Microsoft Exchange Server HTTP-DAV\\b", 0 },
	{ RX_AUTH_VIA_HTTP, " \\(via (HTTP.?)\\)(?: |;|$)", PCRE2_CASELESS },
	{ RX_WITH_LOCAL_FOR, "\\bwith local for\\b", 0 },

	{ RX_ENVFROM, "(?:return-path:? |envelope-(?:sender|from)[ =])(\\S+)\\b", PCRE2_CASELESS },
	{ RX_SQUIRREL, "(" IP ")\\b(?![.-]).{10,80}by (\\S+) with HTTP", 0 },
	{ RX_AOL_WEB, "(" IP ") by (\\S+) \\(" IP "\\) with HTTP \\(WebMailUI\\)", 0 },
	{ RX_SMTPSVC, "^(\\S*) \\(\\[(" IP ")\\][^)]{0,40}\\) by (\\S+) with Microsoft SMTPSVC", 0 },
	{ RX_SMTPSVC_PICKUP, "^mail pickup service by (\\S+) with Microsoft SMTPSVC$", 0 },
	{ RX_MSSMTP_GATE, " with (?:Microsoft SMTP Server|mapi id) (?:\\([^)]+\\) )?"
	    "\\d+\\.\\d+\\.\\d+\\.\\d+(?:$| )", 0 },
	{ RX_MSSMTP, "^(\\S+) \\(\\[?(" IP ")(?:%[A-Z0-9._~-]*)?\\]?\\) by (\\S+) ", 0 },
	{ RX_XMAIL, "^(\\S+) \\((\\[?" IP "\\]?)(?::\\d+)\\) by (\\S+)(?: \\(\\S+\\))? with \\[XMail", 0 },
	{ RX_XMAIL_ID, " id <(\\S+)>", 0 },
	{ RX_XMAIL_FROM, " from <(\\S+)>", 0 },
	{ RX_ECEL_HELO, "^\\(\\[(" IP "):\\d+\\] helo=(\\S+)\\) by (\\S+) ", 0 },
	{ RX_ECEL, "^\\S+ \\(\\[(" IP "):\\d+\\]\\) by (\\S+) ", 0 },
	{ RX_EXIM_LOCAL, "\\bwith local(?:-\\S+)? ", 0 },
	{ RX_EXIM_IPFIRST, "^\\[(" IP ")\\] \\((.*?)\\) by (\\S+) ", 0 },
	{ RX_EXIM_NAMEFIRST, "^(\\S+) \\(\\[(" IP ")\\](.*?)\\) by (\\S+) ", 0 },
	{ RX_EXIM_BRACKET, "^(\\S+) \\[(" IP ")\\](:\\d+)? by (\\S+) ", 0 },
	{ RX_EXIM_WORD, "^(\\S+) ", 0 },
	{ RX_EXIM_PAREN, " \\((\\S+)\\) ", 0 },
	{ RX_EXIM_IP, " \\[(" IP ")(?:\\.\\d+)?\\] ", 0 },
	{ RX_EXIM_BY, "by (\\S+) ", 0 },
	{ RX_POSTFIX, "^(\\S+) \\((\\S+) \\[(" IP ")\\]\\) by (\\S+) ", 0 },
	{ RX_POSTFIX_NOSPACE, "^(\\S+) \\((\\S+)\\[(" IP ")\\]\\) by (\\S+) ", 0 },
	{ RX_SCALIX, "^(\\S+) \\( ?(" IP ")\\) by (\\S+)", 0 },
	{ RX_DOMINO, "^(\\S+) \\(\\[(" IP ")\\]\\) by (\\S+) \\(Lotus", 0 },
	{ RX_HTTP_NUMERIC, "^(" IP ") \\(\\[" IP "\\]\\) by (\\S+)", 0 },
	{ RX_QMAIL_LDAP, " by \\S+ \\(qmail-\\S+\\) with ", 0 },
	{ RX_SENDMAIL, "^(\\S+) \\((\\S+) \\[(" IP ")\\].*\\) by (\\S+) \\(", 0 },
	{ RX_MSIMS, "^(\\S+) \\((\\S+) \\[(" IP ")\\]\\) by (\\S+) with \\S+ \\(", 0 },
	{ RX_HELO_EQ_FMT, "^(\\S+) \\(\\[(" IP ")\\] helo=(\\S+)\\) by (\\S+) with ", 0 },
	{ RX_ATTBI_UNKNOWN, "^(\\S+) \\(<unknown\\S*>\\[(" IP ")\\]\\) by (\\S+) ", 0 },
	{ RX_ATTBI, "^(\\S+) \\((\\S+\\.\\S+)\\[(" IP ")\\]\\) by (\\S+) ", 0 },
	{ RX_IDENT_AT, "^(\\S+) \\((\\S*)@\\[(" IP ")\\].*\\) by (\\S+) \\(", 0 },
	{ RX_HOTMAIL_BY, "by (\\S+\\.hotmail\\.msn\\.com) ", 0 },
	{ RX_LEADING_IP, "^(" IP ") ", 0 },
	{ RX_QPSMTPD, "^(\\S+) \\((?:HELO|EHLO) (\\S*)\\) \\((" IP ")\\) by (\\S+) "
	    "\\(qpsmtpd/\\S+\\) with (?:ESMTP|SMTP)", 0 },
	{ RX_LHLO, "^(\\S+) \\(LHLO (\\S*)\\) \\((" IP ")\\) by (\\S+) with LMTP", 0 },
	{ RX_GMX_FMT, "^(\\S+) \\((?:HELO|EHLO) (\\S*)\\) \\[(" IP ")\\] by (\\S+) \\([^)]+\\) "
	    "with (?:ESMTP|SMTP)", 0 },
	{ RX_AOL_SMTPD, "^(\\S+) \\(\\[(" IP ")\\]\\) by (\\S+) via smtpd \\(for \\S+\\) with SMTP\\(", 0 },
	{ RX_QMAIL_ANY, "^\\S+( \\((?:HELO|EHLO) \\S*\\))? \\((\\S+@)?\\[?" IP "\\]?\\)"
	    "( \\(envelope-sender <\\S+>\\))? by \\S+( \\(.+\\))* with (.* )?(SMTP|QMQP)(?! id )", 0 },
	{ RX_QMAIL_HELO_IDENT, "^(\\S+) \\((?:HELO|EHLO) ([^ ()]*)\\) \\((\\S*)@\\[?(" IP ")\\]?\\)"
	    "( \\(envelope-sender <\\S+>\\))? by (\\S+)", 0 },
	{ RX_QMAIL_HELO, "^(\\S+) \\((?:HELO|EHLO) ([^ ()]*)\\) \\(\\[?(" IP ")\\]?\\)"
	    "( \\(envelope-sender <\\S+>\\))? by (\\S+)", 0 },
	{ RX_QMAIL_IDENT, "^(\\S+) \\((\\S*)@\\[?(" IP ")\\]?\\)( \\(envelope-sender <\\S+>\\))? by (\\S+)", 0 },
	{ RX_QMAIL_PLAIN, "^(\\S+) \\(\\[?(" IP ")\\]?\\)( \\(envelope-sender <\\S+>\\))? by (\\S+)", 0 },
	{ RX_VIA_HTTP, "^\\[(" IP ")\\] by (\\S+) via HTTP$", 0 },
	{ RX_SPACE_BRACKET, "^(\\S+) \\( \\[(" IP ")\\]\\).*? by (\\S+) ", 0 },
	{ RX_PAREN_HELO_IP, "^\\((\\S+) \\[(" IP ")\\]\\) by (\\S+) ", 0 },
	{ RX_BRACKET_BY, "^\\[(" IP ")\\] by (\\S+) ", 0 },
	{ RX_PAREN_IP_BY, "^\\(\\[?(" IP ")\\]?\\) by (\\S+) ", 0 },
	{ RX_BRACKET_BY_BRACKET, "^(\\S+) \\[(" IP ")\\] by (\\S+) \\[" IP "\\] with ", 0 },
	{ RX_BRACKET_PAREN, "^(\\S+) \\[\\((" IP ")\\)\\] by (\\S+) \\(" IP "\\) ", 0 },
	{ RX_SENDMAIL_NORDNS, "^(\\S+) \\(\\[(" IP ")\\]\\) by (\\S+) \\(", 0 },
	{ RX_SENDMAIL_ANY, "^(\\S+) \\((\\S+) \\[(" IP ")\\]\\).*? by (\\S+)\\b", 0 },
	{ RX_SENDMAIL_PORT, "^(\\S+) \\(\\[(" IP ")(?:[.:]\\d+)?\\]\\).*? by (\\S+) ", 0 },
	{ RX_SENDMAIL_AUTH, "^(\\S+) \\((\\S+) \\[(" IP ")\\]\\)(?: \\(authenticated bits=\\d+\\))? "
	    "by (\\S+) \\(", 0 },
	{ RX_FETCH, "with (?:POP3|IMAP)", 0 },
	{ RX_QMAILISH_HELO, "^(\\S+) \\((?:HELO|EHLO) ([^)]*)\\) \\((\\S*@)?\\[?(" IP ")\\]?\\).* by (\\S+) ", 0 },
	{ RX_QMAILISH, "^(\\S+) \\((\\S*@)?\\[?(" IP ")\\]?\\).* by (\\S+) ", 0 },
	{ RX_WITH_HTTP_FOR, "^\\[(" IP ")\\] by (\\S+) with http for ", 0 },
	{ RX_SMAP, "^(\\S+)\\((" IP ")\\) by (\\S+) via smap ", 0 },
	{ RX_SMAP_HELO, "^(\\S+)\\((" IP "), (?:HELO|EHLO) (\\S*)\\) by (\\S+) via smap ", 0 },
	{ RX_POST, "^\\[(" IP ")\\] by (\\S+) \\(Post", 0 },
	{ RX_ARGOSOFT, "^\\[(" IP ")\\] by (\\S+) \\(ArGoSoft", 0 },
	{ RX_INTERSCAN, "^(" IP ") by (\\S+) \\((?:SMTPL|InterScan)\\b", 0 },
	{ RX_BSMTP, "^\\S+ by \\S+ with BSMTP", 0 },
	{ RX_RDNS_WITH, "^(\\S+) \\((\\S+) \\[(" IP ")\\]\\) by (\\S+) with ", 0 },
	{ RX_YAHOO_PLAIN, "^(\\S+) \\((?:HELO|EHLO) (\\S*)\\) \\((?:(\\S+)@)?(" IP ").*?\\) by (\\S+) with ", 0 },
	{ RX_CGP_HELO, "^\\[(" IP ")\\] \\((?:account \\S+ )?(?:HELO|EHLO) (\\S*)\\) by (\\S+) \\(", 0 },
	{ RX_CGP_VERIFIED, "^(\\S+) \\(\\[(" IP ")\\] verified\\) by (\\S+) \\(", 0 },
	{ RX_BRACKET_WITH, "^\\(\\[(" IP ")\\]\\) by (\\S+) with ", 0 },
	{ RX_NAME_PAREN_IP, "^([^\\d]\\S+) \\((" IP ")\\) by (\\S+) ", 0 },
	{ RX_CONTENT_TECH, "^\\S+ \\(\\S+\\) by \\S+ \\(Content Technologies ", 0 },
	{ RX_TWO_BRACKETS, "^(\\S+) \\(\\[(" IP ")\\] \\[(\\S+)\\]\\) by (\\S+) with ", 0 },
	{ RX_IP_BY_WITH, "^(" IP ") by (\\S+) with ", 0 },
	{ RX_RDNS_NOSPACE, "^(\\S+) \\((\\S+)\\[(" IP ")\\]\\) by (\\S+) ", 0 },
	{ RX_BRACKET_SUFFIX_HELO, "^\\[(" IP ")\\]\\S+ \\((?:HELO|EHLO) (\\S*)\\) by (\\S+) ", 0 },
	{ RX_IP_HELO, "^(" IP ") \\((?:HELO|EHLO) (\\S*)\\) by (\\S+) ", 0 },
	{ RX_NAME_BRACKET_BY, "^(\\S+) \\[(" IP ")\\] by (\\S+) ", 0 },
	{ RX_NODNS, "^(\\S+)\\((" IP ")\\) by (\\S+) ", 0 },
	{ RX_MAILGATE, "^\\[(" IP ")\\] by (\\S+) \\(MailGate ", 0 },
	{ RX_UNVERIFIED, "^(\\S+) \\(unverified \\[(" IP ")\\]\\) by (\\S+) ", 0 },
	{ RX_IP_COMMENT_WITH, "^(" IP ") \\([A-Za-z][^)]+\\) by (\\S+) with ", 0 },
	{ RX_BRACKET_SUB, "^\\[(" IP ")\\] \\(([^)]+)\\) by (\\S+) ", 0 },
	{ RX_IDENT_IP_WITH, "^(\\S+) \\((?:\\S+@)?(" IP ")\\) by (\\S+) with ", 0 },
	{ RX_OBTUSE, "^(\\S+)\\((" IP ")\\)(?:, claiming to be \"(\\S+)\")? via \\S+ by (\\S+),", 0 },
	{ RX_YAHOO_LOGIN, "^(\\S+) \\((\\S+)@(" IP ") with login\\) by (\\S+\\.yahoo\\.com) with SMTP", 0 },
	{ RX_SYNTH_ORIG, "^X-Originating-IP: (" IP ")$", 0 },

	{ RX_SKIP_LOCALUSER, "^\\S+ \\([^\\s@]+@" LOCALHOST "\\) by \\S+ \\(", 0 },
	{ RX_SKIP_LOCAL_ESMTP, "^\\S+ \\S+ by \\S+ with local-e?smtp ", 0 },
	{ RX_SKIP_AVG, "^127\\.0\\.0\\.1 \\(AVG SMTP \\S+ \\[\\S+\\]\\)", 0 },
	{ RX_SKIP_QS_UID, "^\\S+@\\S+ by \\S+ by uid \\S+ ", 0 },
	{ RX_SKIP_ADDR_BY, "^\\S+@\\S+ by \\S+ ", 0 },
	{ RX_SKIP_UNKNOWN_LOCAL, "^Unknown/Local \\(", 0 },
	{ RX_SKIP_LOCALHOST2, "^" LOCALHOST " \\((?:\\S+@)?" LOCALHOST "[)\\[]", 0 },
	{ RX_SKIP_LOCALHOST1, "^\\S+ \\((?:\\S+@)?" LOCALHOST "\\) ", 0 },
	{ RX_SKIP_LOCALHOST_BRACKET, "^\\S+ \\(\\S+@\\S+ \\[" LOCALHOST "\\]\\) ", 0 },
	{ RX_SKIP_AUTH, "^\\(AUTH: \\S+\\) by \\S+ with ", 0 },
	{ RX_SKIP_UNIX, "^localhost \\(localhost \\[\\[UNIX: localhost\\]\\]\\) by ", 0 },
	{ RX_SKIP_AMAZON, "^\\S+\\.amazon\\.com by \\S+\\.amazon\\.com with ESMTP \\(peer crosscheck: ", 0 },
	{ RX_SKIP_GROUPWISE, "^[^.]+ by \\S+ with Novell_GroupWise", 0 },
	{ RX_SKIP_RAPTOR, "^no\\.name\\.available by \\S+ via smtpd \\(for ", 0 },
	{ RX_QMAIL_SCANNER, "^\\S+ by \\S+ \\(.{0,100}\\) with qmail-scanner", 0 },
	{ RX_SKIP_WITH_LOCAL, "^\\S+ by \\S+ with local", 0 },
	{ RX_SKIP_CYRUS, "^\\S+ \\(\\[unix socket\\]\\) by \\S+ \\(Cyrus v[0-9]*?\\.[0-9]*?\\.[0-9]*?\\) with LMTPA", 0 },
	{ RX_SKIP_NOIP, "^\\S+ by \\S+ (?:with|via|for|\\()", 0 },
	{ RX_SKIP_NOIP2, "^\\S+ (?:(?:with|via|for) \\S+|\\(unverified\\)) by\\b", 0 },
	{ RX_SKIP_SENDGRID, "^\\S+ \\(unknown\\) by \\S+ \\(SG\\) with \\b", 0 },
	{ RX_SKIP_OPENSMTPD, "^\\S+ \\(\\S+ \\[local\\]\\) by \\S+ \\(OpenSMTPD\\) with \\b", 0 },
	{ RX_SKIP_LSMTP, "\\(LSMTP for", 0 },
	{ RX_SKIP_MAILENABLE, "^\\(\\[" LOCALHOST "\\]\\) with MailEnable ", 0 },
	{ RX_SKIP_FACEBOOK, "^facebook\\.com \\([^)]+\\) by facebook\\.com with Thrift id \\S+$", 0 },
	{ RX_SKIP_GMAILAPI, "^\\S+ named \\S+ by gmailapi\\.google\\.com with HTTPREST$", 0 },
	{ RX_SKIP_ID_ONLY, "^\\S+ id \\S+$", 0 },
	{ RX_SKIP_JETSEND, "^\\[<.*? \\(Jetsend", 0 },
	{ RX_GUESS_HELO, "^(\\S+)[^-A-Za-z0-9.]", 0 },

	{ RX_SIMTA, "^(\\S+) \\((\\S+) \\[(" IP ")\\]\\) BY (\\S+) (?:\\([^)]+\\) WITH SMTP )?"
	    "ID <?(\\S+?)>?(?: FOR <[^>]+>)?$", 0 },
	{ RX_NAVGW, "^(\\S*) \\[(" IP ")\\]\\) by (\\S+) \\(NAVGW .*?\\) with ", 0 },
	{ RX_SKIP_SUBMIT, "^\\S+@localhost\\) by \\S+ ", 0 },
	{ RX_SKIP_JQUEUE, "^[^\\s@]+@[^)]+\\) by \\S+\\(jqueuemail\\) id [^\\s;]+", 0 },

	{ RX_ANY_BRACKET_IP, "\\[(" IP ")\\]", 0 },
	{ RX_V4_MAPPED, "^0*:0*:(?:0*:)*ffff:(\\d+\\.\\d+\\.\\d+\\.\\d+)$", PCRE2_CASELESS },
};

static pcre2_code *rx_code[RX_COUNT];
static struct mw_rxtab rx_table = MW_RXTAB_INIT(rx_src, rx_code);

/* --- matching on one field --------------------------------------------------------- */

#define NCAP 10

struct line {
	char	*s;		/* the field, white space collapsed; edited as we go */
	size_t	 len;
	pcre2_match_data *md;
	PCRE2_SIZE cap[NCAP][2];	/* the last match's groups; unset = PCRE2_UNSET */
};

/* Match rx against the whole line (from offset `from`); remembers the groups. */
static bool
rxm(struct line *l, enum rx id)
{
	int rc;
	uint32_t i, n;
	PCRE2_SIZE *ov;

	rc = pcre2_match(rx_code[id], (PCRE2_SPTR)l->s, l->len, 0, 0, l->md, NULL);
	if (rc < 0)
		return false;
	ov = pcre2_get_ovector_pointer(l->md);
	n = pcre2_get_ovector_count(l->md);
	for (i = 0; i < NCAP; i++) {
		l->cap[i][0] = i < n && i < (uint32_t)rc ? ov[2 * i] : PCRE2_UNSET;
		l->cap[i][1] = i < n && i < (uint32_t)rc ? ov[2 * i + 1] : PCRE2_UNSET;
	}
	return true;
}

static bool
cap_set(const struct line *l, int g)
{
	return l->cap[g][0] != PCRE2_UNSET;
}

/* Copy group g of the last match into dst (empty when the group did not take part). */
static void
cap(const struct line *l, int g, char *dst, size_t dstlen)
{
	size_t n = 0;

	if (cap_set(l, g)) {
		n = l->cap[g][1] - l->cap[g][0];
		if (n >= dstlen)
			n = dstlen - 1;
		memcpy(dst, l->s + l->cap[g][0], n);
	}
	dst[n] = '\0';
}

/* Copy, truncating to the buffer (fields are bounded; a longer value is cut). */
static void
setf(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		n = dstlen - 1;
	memmove(dst, src, n);
	dst[n] = '\0';
}

/* Remove "helo=X" / "ident=X" from a comment, SpamAssassin's Exim way: the value is
 * everything up to the next white space. */
static void
sub_take(char *sub, const char *key, char *dst, size_t dstlen, bool allow_empty)
{
	char *p = strstr(sub, key);
	size_t k = strlen(key), n;

	if (p == NULL)
		return;
	n = strcspn(p + k, " \t");
	if (n == 0 && !allow_empty)
		return;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, p + k, n);
	dst[n] = '\0';
	memmove(p, p + k + n, strlen(p + k + n) + 1);
}

/* Collapse white space runs into one space, trim, drop trailing semicolons. */
static size_t
normalise(char *s, size_t len)
{
	size_t i, o = 0;
	bool sp = false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			sp = true;
			continue;
		}
		if (sp && o > 0)
			s[o++] = ' ';
		sp = false;
		s[o++] = (char)c;
	}
	s[o] = '\0';
	for (;;) {
		if (o > 0 && s[o - 1] == ';') {
			o--;
			if (o > 0 && s[o - 1] == ' ')
				o--;
			s[o] = '\0';
			continue;
		}
		break;
	}
	return o;
}

/* Cut the line at offset off (the date part, found by RX_DATE). */
static void
cut(struct line *l, size_t off)
{
	l->len = off;
	l->s[off] = '\0';
}

/* Drop the first n bytes. */
static void
drop(struct line *l, size_t n)
{
	memmove(l->s, l->s + n, l->len - n + 1);
	l->len -= n;
}

/* SpamAssassin marks characters that cannot be in a name with '!'. */
static void
strip_chars(char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(" \t\n\r\f\v#[]()<>|", *s) != NULL)
			*s = '!';
}

struct parsed {
	char	 ip[64], rdns[MW_RELAY_HOST_MAX], helo[MW_RELAY_HOST_MAX], by[MW_RELAY_HOST_MAX];
	char	 ident[128], envfrom[MW_RELAY_HOST_MAX], id[128], auth[128];
	bool	 has_envfrom;
	bool	 looked_up;		/* the MTA does rDNS lookups */
};

#define F(x)	p->x, sizeof(p->x)

/* Which group of a shape holds which field (0 = none); looked: 1 = the MTA looks
 * names up (an empty rDNS means there is none), -1 = it never does, 0 = unchanged. */
struct shape {
	signed char ip, rdns, helo, by, ident, looked;
};

#define S(...)	(struct shape){ __VA_ARGS__ }

/* Try one shape: on a match, take its fields. */
static bool
take(struct line *l, struct parsed *p, enum rx id, struct shape s)
{
	if (!rxm(l, id))
		return false;
	if (s.ip)
		cap(l, s.ip, F(ip));
	if (s.rdns)
		cap(l, s.rdns, F(rdns));
	if (s.helo)
		cap(l, s.helo, F(helo));
	if (s.by)
		cap(l, s.by, F(by));
	if (s.ident)
		cap(l, s.ident, F(ident));
	if (s.looked != 0)
		p->looked_up = s.looked > 0;
	return true;
}

/* The from-part shapes.  Returns 1 = parsed ("enough"), 0 = skip, -1 = go on to the
 * generic fall-through. */
static int
parse_from(struct line *l, struct parsed *p, bool *fetch)
{
	char sub[512];

	if (rxm(l, RX_ENVFROM)) {
		cap(l, 1, F(envfrom));
		p->has_envfrom = true;
	}
	if (strstr(l->s, " (SquirrelMail authenticated user ") != NULL ||
	    strstr(l->s, " (NaSMail authenticated user ") != NULL) {
		if (take(l, p, RX_SQUIRREL, S(.ip = 1, .by = 2)))
			return 1;
	}
	if (strstr(l->s, "aol.com") != NULL && strstr(l->s, "with HTTP (WebMailUI)") != NULL &&
	    take(l, p, RX_AOL_WEB, S(.ip = 1, .by = 2)))
		return 1;

	/* Then one family chosen by its signature. */
	if (strstr(l->s, " SMTPSVC") != NULL) {
		if (rxm(l, RX_SMTPSVC)) {	/* Microsoft SMTPSVC: no rDNS lookups */
			cap(l, 1, F(helo));
			cap(l, 2, F(ip));
			cap(l, 3, F(by));
			return 1;
		}
		if (rxm(l, RX_SMTPSVC_PICKUP))
			return 0;
	} else if (rxm(l, RX_MSSMTP_GATE)) {
		if (rxm(l, RX_MSSMTP)) {
			cap(l, 1, F(helo));
			cap(l, 2, F(ip));
			cap(l, 3, F(by));
			p->id[0] = '\0';
			return 1;
		}
	} else if (strstr(l->s, "[XMail ") != NULL) {
		if (rxm(l, RX_XMAIL)) {
			cap(l, 1, F(helo));
			cap(l, 2, F(ip));
			cap(l, 3, F(by));
			if (rxm(l, RX_XMAIL_ID))
				cap(l, 1, F(id));
			if (rxm(l, RX_XMAIL_FROM)) {
				cap(l, 1, F(envfrom));
				p->has_envfrom = true;
			}
			return 1;
		}
	} else if (strstr(l->s, "(ecelerity") != NULL) {
		if (take(l, p, RX_ECEL_HELO, S(.ip = 1, .helo = 2, .by = 3)))
			return 1;
		if (take(l, p, RX_ECEL, S(.ip = 1, .by = 2)))
			return 1;
	} else if (strstr(l->s, "Exim") != NULL) {
		if (rxm(l, RX_EXIM_LOCAL))
			return 0;
		if (rxm(l, RX_EXIM_IPFIRST)) {
			cap(l, 1, F(ip));
			cap(l, 2, sub, sizeof(sub));
			cap(l, 3, F(by));
			sub_take(sub, "helo=", F(helo), false);
			sub_take(sub, "ident=", F(ident), true);
			return 1;
		}
		if (rxm(l, RX_EXIM_NAMEFIRST)) {
			cap(l, 1, F(rdns));
			cap(l, 2, F(ip));
			cap(l, 3, sub, sizeof(sub));
			cap(l, 4, F(by));
			setf(F(helo), p->rdns);		/* Exim omits helo= when it equals */
			sub_take(sub, "helo=", F(helo), false);
			sub_take(sub, "ident=", F(ident), true);
			return 1;
		}
		if (take(l, p, RX_EXIM_BRACKET, S(.rdns = 1, .ip = 2, .helo = 1, .by = 4)))
			return 1;
		/* odd Exim shapes: take the pieces that can be found */
		if (rxm(l, RX_EXIM_WORD))
			cap(l, 1, F(rdns));
		if (rxm(l, RX_EXIM_PAREN))
			cap(l, 1, F(helo));
		if (rxm(l, RX_EXIM_IP))
			cap(l, 1, F(ip));
		if (rxm(l, RX_EXIM_BY)) {
			cap(l, 1, F(by));
			if (p->ip[0] != '\0')
				return 1;
		}
	} else if (strstr(l->s, " (Postfix) with") != NULL) {
		if (rxm(l, RX_POSTFIX) || rxm(l, RX_POSTFIX_NOSPACE)) {
			p->looked_up = true;
			cap(l, 1, F(helo));
			cap(l, 2, F(rdns));
			cap(l, 3, F(ip));
			cap(l, 4, F(by));
			if (strcmp(p->rdns, "unknown") == 0)
				p->rdns[0] = '\0';
			return 1;
		}
	} else if (strstr(l->s, "(Scalix SMTP Relay") != NULL) {
		if (take(l, p, RX_SCALIX, S(.helo = 1, .ip = 2, .by = 3)))
			return 1;
	} else if (strstr(l->s, " (Lotus Domino ") != NULL) {
		if (rxm(l, RX_DOMINO)) {	/* Domino never records the rDNS */
			p->looked_up = false;
			cap(l, 1, F(helo));
			cap(l, 2, F(ip));
			cap(l, 3, F(by));
			return 1;
		}
	}

	if (strstr(l->s, "with HTTP") != NULL &&
	    take(l, p, RX_HTTP_NUMERIC, S(.ip = 1, .by = 2)))
		return 1;
	/* qmail-ldap fields look like Sendmail's: keep them for the qmail shapes */
	if (!rxm(l, RX_QMAIL_LDAP) && rxm(l, RX_SENDMAIL)) {
		char *at;

		p->looked_up = true;
		cap(l, 1, F(helo));
		cap(l, 2, F(rdns));
		cap(l, 3, F(ip));
		cap(l, 4, F(by));
		if (strncmp(p->rdns, "IDENT:", 6) == 0 && (at = strchr(p->rdns, '@')) != NULL) {
			*at = '\0';
			setf(F(ident), p->rdns + 6);
			memmove(p->rdns, at + 1, strlen(at + 1) + 1);
		}
		if ((at = strchr(p->rdns, '@')) != NULL) {
			*at = '\0';
			setf(F(ident), p->rdns);
			memmove(p->rdns, at + 1, strlen(at + 1) + 1);
		}
		return 1;
	}

	/* Less common shapes, most specific first. */
	if (take(l, p, RX_MSIMS, S(.helo = 1, .rdns = 2, .ip = 3, .by = 4, .looked = 1)))
		return 1;
	if (take(l, p, RX_HELO_EQ_FMT, S(.rdns = 1, .ip = 2, .helo = 3, .by = 4)))
		return 1;
	if (take(l, p, RX_ATTBI_UNKNOWN, S(.helo = 1, .ip = 2, .by = 3)))
		return 1;
	if (take(l, p, RX_ATTBI, S(.helo = 1, .rdns = 2, .ip = 3, .by = 4, .looked = 1)))
		return 1;
	if (rxm(l, RX_IDENT_AT)) {
		p->looked_up = true;	/* it looks up; there was no name */
		cap(l, 1, F(helo));
		cap(l, 2, F(ident));
		cap(l, 3, F(ip));
		cap(l, 4, F(by));
		return 1;
	}
	if (rxm(l, RX_HOTMAIL_BY)) {
		cap(l, 1, F(by));
		if (rxm(l, RX_LEADING_IP))
			cap(l, 1, F(ip));
		return 1;
	}
	if (take(l, p, RX_QPSMTPD, S(.rdns = 1, .helo = 2, .ip = 3, .by = 4)) ||
take(l, p, RX_LHLO, S(.rdns = 1, .helo = 2, .ip = 3, .by = 4)) ||
take(l, p, RX_GMX_FMT, S(.rdns = 1, .helo = 2, .ip = 3, .by = 4)))
		return 1;
	if (take(l, p, RX_AOL_SMTPD, S(.helo = 1, .ip = 2, .by = 3)))
		return 1;
	if (rxm(l, RX_QMAIL_ANY)) {
		/* qmail: "from RDNS (HELO h) (ident@ip) by": HELO only when it differs */
		if (rxm(l, RX_QMAIL_HELO_IDENT)) {
			cap(l, 1, F(rdns));
			cap(l, 2, F(helo));
			cap(l, 3, F(ident));
			cap(l, 4, F(ip));
			cap(l, 6, F(by));
		} else if (rxm(l, RX_QMAIL_HELO)) {
			cap(l, 1, F(rdns));
			cap(l, 2, F(helo));
			cap(l, 3, F(ip));
			cap(l, 5, F(by));
		} else if (rxm(l, RX_QMAIL_IDENT)) {
			cap(l, 1, F(rdns));
			cap(l, 1, F(helo));
			cap(l, 2, F(ident));
			cap(l, 3, F(ip));
			cap(l, 5, F(by));
		} else if (rxm(l, RX_QMAIL_PLAIN)) {
			cap(l, 1, F(rdns));
			cap(l, 1, F(helo));
			cap(l, 2, F(ip));
			cap(l, 4, F(by));
		}
		/* "unknown": no rDNS, or tcpserver did not pass it on */
		if (strcmp(p->rdns, "unknown") != 0)
			p->looked_up = true;
		else
			p->rdns[0] = '\0';
		return 1;
	}
	if (strstr(l->s, " via HTTP") != NULL &&
	    take(l, p, RX_VIA_HTTP, S(.ip = 1, .by = 2)))
		return 1;
	if (take(l, p, RX_SPACE_BRACKET, S(.ip = 2, .by = 3)))
		return 1;
	if (take(l, p, RX_PAREN_HELO_IP, S(.helo = 1, .ip = 2, .by = 3)))
		return 1;
	if (take(l, p, RX_BRACKET_BY, S(.ip = 1, .by = 2)) ||
take(l, p, RX_PAREN_IP_BY, S(.ip = 1, .by = 2)))
		return 1;
	if (take(l, p, RX_BRACKET_BY_BRACKET, S(.helo = 1, .ip = 2, .by = 3, .looked = 1)))
		return 1;
	if (take(l, p, RX_BRACKET_PAREN, S(.helo = 1, .ip = 2, .by = 3)))
		return 1;
	if (rxm(l, RX_SENDMAIL_NORDNS)) {	/* Sendmail, host without rDNS */
		p->looked_up = true;
		cap(l, 1, F(helo));
		cap(l, 2, F(ip));
		cap(l, 3, F(by));
		return 1;
	}
	if (rxm(l, RX_SENDMAIL_ANY)) {
		char r[MW_RELAY_HOST_MAX];

		cap(l, 2, r, sizeof(r));
		if (strcmp(r, "softdnserr") == 0) {	/* couriertcpd */
			p->looked_up = false;
		} else {
			p->looked_up = true;
			setf(F(rdns), r);
		}
		cap(l, 1, F(helo));
		cap(l, 3, F(ip));
		cap(l, 4, F(by));
		return 1;
	}
	if (take(l, p, RX_SENDMAIL_PORT, S(.helo = 1, .ip = 2, .by = 3, .looked = 1)))
		return 1;
	if (take(l, p, RX_SENDMAIL_AUTH, S(.helo = 1, .rdns = 2, .ip = 3, .by = 4, .looked = 1)))
		return 1;
	if (rxm(l, RX_FETCH)) {		/* fetchmail/getmail: not a handover */
		*fetch = true;
		return 0;
	}
	if (rxm(l, RX_QMAILISH_HELO)) {
		p->looked_up = true;
		cap(l, 1, F(rdns));
		cap(l, 2, F(helo));
		cap(l, 3, F(ident));
		cap(l, 4, F(ip));
		cap(l, 5, F(by));
		p->ident[strcspn(p->ident, "@")] = '\0';
		return 1;
	}
	if (rxm(l, RX_QMAILISH)) {
		p->looked_up = true;
		cap(l, 1, F(rdns));
		cap(l, 1, F(helo));
		cap(l, 2, F(ident));
		cap(l, 3, F(ip));
		cap(l, 4, F(by));
		p->ident[strcspn(p->ident, "@")] = '\0';
		return 1;
	}
	if (strstr(l->s, " with http for ") != NULL &&
	    take(l, p, RX_WITH_HTTP_FOR, S(.ip = 1, .by = 2)))
		return 1;
	if (strstr(l->s, " via smap ") != NULL &&
	    take(l, p, RX_SMAP, S(.rdns = 1, .ip = 2, .by = 3, .looked = 1)))
		return 1;
	if (take(l, p, RX_SMAP_HELO, S(.rdns = 1, .ip = 2, .helo = 3, .by = 4, .looked = 1)))
		return 1;
	if ((strstr(l->s, " (Post") != NULL && rxm(l, RX_POST)) ||
	    (strstr(l->s, " (ArGoSoft") != NULL && rxm(l, RX_ARGOSOFT)) ||
	    rxm(l, RX_INTERSCAN)) {
		cap(l, 1, F(ip));
		cap(l, 2, F(by));
		return 1;
	}
	if (strstr(l->s, " with BSMTP") != NULL && rxm(l, RX_BSMTP))
		return 0;		/* batch SMTP: no TCP handover */
	if (rxm(l, RX_RDNS_WITH)) {
		p->looked_up = true;
		cap(l, 1, F(helo));
		cap(l, 2, F(rdns));
		cap(l, 3, F(ip));
		cap(l, 4, F(by));
		return 1;
	}
	if (take(l, p, RX_YAHOO_PLAIN, S(.rdns = 1, .helo = 2, .ident = 3, .ip = 4, .by = 5, .looked = 1)))
		return 1;
	if (take(l, p, RX_CGP_HELO, S(.ip = 1, .helo = 2, .by = 3)))
		return 1;
	if (strstr(l->s, " (CommuniGate Pro") != NULL &&
	    take(l, p, RX_CGP_VERIFIED, S(.rdns = 1, .helo = 1, .ip = 2, .by = 3, .looked = 1)))
		return 1;
	if (take(l, p, RX_BRACKET_WITH, S(.ip = 1, .by = 2)))
		return 1;
	if (take(l, p, RX_NAME_PAREN_IP, S(.helo = 1, .ip = 2, .by = 3)))
		return 1;
	if (rxm(l, RX_CONTENT_TECH))
		return 0;
	if (rxm(l, RX_TWO_BRACKETS)) {
		cap(l, 1, F(helo));
		cap(l, 2, F(ip));
		cap(l, 4, F(by));
		return 1;
	}
	if (take(l, p, RX_IP_BY_WITH, S(.ip = 1, .by = 2)))
		return 1;
	if (take(l, p, RX_RDNS_NOSPACE, S(.helo = 1, .rdns = 2, .ip = 3, .by = 4, .looked = 1)))
		return 1;
	if (take(l, p, RX_BRACKET_SUFFIX_HELO, S(.ip = 1, .helo = 2, .by = 3)) ||
take(l, p, RX_IP_HELO, S(.ip = 1, .helo = 2, .by = 3)))
		return 1;
	if (take(l, p, RX_NAME_BRACKET_BY, S(.helo = 1, .ip = 2, .by = 3)))
		return 1;
	if (take(l, p, RX_NODNS, S(.rdns = 1, .ip = 2, .by = 3)))
		return 1;
	if (take(l, p, RX_MAILGATE, S(.ip = 1, .by = 2)))
		return 1;
	if (take(l, p, RX_UNVERIFIED, S(.helo = 1, .ip = 2, .by = 3)))
		return 1;
	if (take(l, p, RX_IP_COMMENT_WITH, S(.ip = 1, .by = 2)))
		return 1;
	if (rxm(l, RX_BRACKET_SUB)) {
		cap(l, 1, F(ip));
		cap(l, 2, sub, sizeof(sub));
		cap(l, 3, F(by));
		sub_take(sub, "helo=", F(helo), false);
		sub_take(sub, "ident=", F(ident), true);
		return 1;
	}
	if (take(l, p, RX_IDENT_IP_WITH, S(.rdns = 1, .ip = 2, .by = 3)))
		return 1;
	if (rxm(l, RX_OBTUSE)) {
		cap(l, 1, F(rdns));
		cap(l, 2, F(ip));
		cap(l, 3, F(helo));
		cap(l, 4, F(by));
		if (strcmp(p->rdns, "UNKNOWN") != 0)
			p->looked_up = true;
		return 1;
	}
	if (take(l, p, RX_YAHOO_LOGIN, S(.helo = 1, .ip = 3, .by = 4)))
		return 1;
	if (rxm(l, RX_SYNTH_ORIG)) {
		cap(l, 1, F(ip));
		p->by[0] = '\0';
		return 1;
	}

	/* Fields known to carry nothing usable. */
	if (rxm(l, RX_SKIP_LOCALUSER) || rxm(l, RX_SKIP_LOCAL_ESMTP) || rxm(l, RX_SKIP_AVG) ||
	    rxm(l, RX_SKIP_QS_UID) || rxm(l, RX_SKIP_ADDR_BY) || rxm(l, RX_SKIP_UNKNOWN_LOCAL) ||
	    rxm(l, RX_SKIP_LOCALHOST2) || rxm(l, RX_SKIP_LOCALHOST1) ||
	    rxm(l, RX_SKIP_LOCALHOST_BRACKET) || rxm(l, RX_SKIP_AUTH) || rxm(l, RX_SKIP_UNIX) ||
	    rxm(l, RX_SKIP_AMAZON) || rxm(l, RX_SKIP_GROUPWISE) || rxm(l, RX_SKIP_RAPTOR))
		return 0;
	if (rxm(l, RX_QMAIL_SCANNER))
		return 2;	/* its envelope sender belongs to the next field */
	if (rxm(l, RX_SKIP_WITH_LOCAL) || rxm(l, RX_SKIP_CYRUS) || rxm(l, RX_SKIP_NOIP) ||
	    rxm(l, RX_SKIP_NOIP2) || rxm(l, RX_SKIP_SENDGRID) || rxm(l, RX_SKIP_OPENSMTPD) ||
	    rxm(l, RX_SKIP_LSMTP) || rxm(l, RX_SKIP_MAILENABLE) || rxm(l, RX_SKIP_FACEBOOK) ||
	    rxm(l, RX_SKIP_GMAILAPI) || rxm(l, RX_SKIP_ID_ONLY) || rxm(l, RX_SKIP_JETSEND))
		return 0;
	if (p->helo[0] == '\0' && rxm(l, RX_GUESS_HELO))
		cap(l, 1, F(helo));
	return -1;
}

/* "<a@b>" -> "a@b", then the '!' marking */
static void
clean_envfrom(char *s)
{
	size_t n, b = 0;

	while (s[b] == ' ' || s[b] == '\t' || s[b] == '<')
		b++;
	memmove(s, s + b, strlen(s + b) + 1);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '>' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	strip_chars(s);
}

/* 1 = relay, 0 = skipped, -1 = not understood; *qs_envfrom receives a qmail-scanner
 * field's envelope sender (for the next field), *fetch a fetchmail marker. */
static int
parse_line(struct line *l, struct mw_relay *rl, bool *fetch, char *qs_envfrom, size_t qslen)
{
	struct parsed pv, *p = &pv;
	int rc = -1;
	char *pos;

	memset(p, 0, sizeof(*p));
	l->len = normalise(l->s, l->len);

	if (!(strncasecmp(l->s, "from ", 5) == 0 || strncasecmp(l->s, "(from ", 6) == 0))
		return 0;
	if (rxm(l, RX_WITH_LOCAL_FOR))
		return 0;
	if (rxm(l, RX_FROM_BY_SEMI)) {
		char w[MW_RELAY_HOST_MAX];
		size_t i;
		bool numeric = true;

		cap(l, 1, w, sizeof(w));
		/* "from [1.2.3.4] by x;" is still a handover */
		if (w[0] != '[' || w[strlen(w) - 1] != ']' || strlen(w) < 3)
			numeric = false;
		for (i = 1; numeric && w[i + 1] != '\0'; i++)
			if (!isdigit((unsigned char)w[i]) && w[i] != '.')
				numeric = false;
		if (!numeric)
			return 0;
	}
	if (rxm(l, RX_DATE))
		cut(l, l->cap[0][0]);
	if ((pos = strstr(l->s, ")by ")) != NULL) {	/* "...])by host" */
		memmove(pos + 2, pos + 1, strlen(pos + 1) + 1);
		pos[1] = ' ';
		l->len++;
	}

	if (rxm(l, RX_ID))
		cap(l, 1, F(id));
	if (rxm(l, RX_HELO_EQ))
		cap(l, 1, F(helo));
	else if (rxm(l, RX_HELO_WORD))
		cap(l, 1, F(helo));
	if (rxm(l, RX_BY))
		cap(l, 1, F(by));

	/* Authentication, as the various MTAs record it. */
	if (strstr(l->s, " by ") != NULL && rxm(l, RX_AUTH_RFC3848)) {
		cap(l, 1, F(auth));
	} else if (rxm(l, RX_AUTH_GMAIL) && rxm(l, RX_AUTH_GMAIL_TLS)) {
		char v[64], c[96];

		cap(l, 1, v, sizeof(v));
		cap(l, 2, c, sizeof(c));
		snprintf(p->auth, sizeof(p->auth), "GMail - transport=%.20s cipher=%.70s", v, c);
	} else if (rxm(l, RX_AUTH_COURIER)) {
		cap(l, 1, F(auth));
	} else if (strstr(l->s, "authenticated") != NULL && rxm(l, RX_AUTH_SENDMAIL)) {
		setf(F(auth), "Sendmail");
	} else if (rxm(l, RX_AUTH_GMX)) {
		char a[16], b[MW_RELAY_HOST_MAX];

		cap(l, 4, a, sizeof(a));
		cap(l, 3, b, sizeof(b));
		snprintf(p->auth, sizeof(p->auth), "GMX (%.10s / %.100s)", a, b);
	} else if (strstr(l->s, " (authenticated as ") != NULL && rxm(l, RX_AUTH_CRITPATH)) {
		setf(F(auth), "CriticalPath");
	} else if (rxm(l, RX_AUTH_POSTFIX)) {
		char n[96];

		cap(l, 1, n, sizeof(n));
		if (strcmp(n, "Postfix") == 0)
			setf(F(auth), "Postfix");
		else
			snprintf(p->auth, sizeof(p->auth), "Postfix (%.100s)", n);
	} else if (rxm(l, RX_AUTH_COMMUNIGATE) && strstr(l->s, " (account ") != NULL) {
		setf(F(auth), "Communigate");
	} else if (rxm(l, RX_AUTH_DAV)) {
		setf(F(auth), "HTTP-DAV");
	} else if (strstr(l->s, " by ") != NULL && rxm(l, RX_AUTH_VIA_HTTP)) {
		cap(l, 1, F(auth));
	}

	if (strncmp(l->s, "from ", 5) == 0) {
		drop(l, 5);
		rc = parse_from(l, p, fetch);
		if (rc == 0)
			return 0;
		if (rc == 2) {		/* qmail-scanner */
			if (p->has_envfrom) {
				clean_envfrom(p->envfrom);
				setf(qs_envfrom, qslen, p->envfrom);
			}
			return 0;
		}
	} else if (strncmp(l->s, "FROM ", 5) == 0) {
		drop(l, 5);
		if (rxm(l, RX_SIMTA)) {
			p->looked_up = true;
			cap(l, 1, F(helo));
			cap(l, 2, F(rdns));
			cap(l, 3, F(ip));
			cap(l, 4, F(by));
			cap(l, 5, F(id));
			if (strcmp(p->rdns, "unverified") == 0)
				p->rdns[0] = '\0';
			rc = 1;
		}
	} else if (strncmp(l->s, "(from ", 6) == 0) {
		drop(l, 6);
		if (rxm(l, RX_NAVGW)) {
			cap(l, 1, F(helo));
			cap(l, 2, F(ip));
			cap(l, 3, F(by));
			rc = 1;
		} else if (rxm(l, RX_SKIP_SUBMIT) || rxm(l, RX_SKIP_JQUEUE)) {
			return 0;
		}
	}
	if (rc != 1) {
		if (p->ip[0] == '\0' && rxm(l, RX_ANY_BRACKET_IP))
			cap(l, 1, F(ip));
		if (p->ip[0] == '\0' || p->by[0] == '\0')
			return -1;
	}

	/* A usable field: tidy the values as SpamAssassin does. */
	{
		size_t n = strlen(p->rdns);
		char *s;

		while (n > 0 && p->rdns[n - 1] == '.')
			p->rdns[--n] = '\0';
		if (strcasecmp(p->rdns, "unknown") == 0 || p->rdns[0] == '[')
			p->rdns[0] = '\0';
		if (strncasecmp(p->ip, "ipv6:", 5) == 0)
			memmove(p->ip, p->ip + 5, strlen(p->ip + 5) + 1);
		if (p->ip[0] == '[')
			memmove(p->ip, p->ip + 1, strlen(p->ip + 1) + 1);
		n = strlen(p->ip);
		if (n > 0 && p->ip[n - 1] == ']')
			p->ip[--n] = '\0';
		if ((s = strchr(p->ip, '%')) != NULL)	/* IPv6 zone */
			*s = '\0';
		{
			struct line t = { .s = p->ip, .len = strlen(p->ip), .md = l->md };

			if (rxm(&t, RX_V4_MAPPED)) {
				char v4[64];

				cap(&t, 1, v4, sizeof(v4));
				setf(F(ip), v4);
			}
		}
		n = strlen(p->by);
		if (n > 0 && p->by[n - 1] == ';')
			p->by[--n] = '\0';
		strip_chars(p->ip);
		strip_chars(p->rdns);
		strip_chars(p->helo);
		strip_chars(p->by);
		strip_chars(p->ident);
		if (p->has_envfrom)
			clean_envfrom(p->envfrom);
	}

	memset(rl, 0, sizeof(*rl));
	setf(rl->ip, sizeof(rl->ip), p->ip);
	setf(rl->rdns, sizeof(rl->rdns), p->rdns);
	setf(rl->helo, sizeof(rl->helo), p->helo);
	setf(rl->by, sizeof(rl->by), p->by);
	setf(rl->ident, sizeof(rl->ident), p->ident);
	setf(rl->envfrom, sizeof(rl->envfrom), p->has_envfrom ? p->envfrom : "");
	setf(rl->id, sizeof(rl->id), p->id);
	setf(rl->auth, sizeof(rl->auth), p->auth);
	if (rl->rdns[0] == '\0') {
		if (p->looked_up)
			rl->no_reverse_dns = true;
		else
			rl->rdns_not_in_headers = true;
	}
	rl->ip_private = mw_relay_ip_private(rl->ip);
	return 1;
}

int
mw_relay_parse(const char *value, size_t len, struct mw_relay *rl, bool *fetch)
{
	struct line l;
	char qs[MW_RELAY_HOST_MAX] = "";
	int rc;

	*fetch = false;
	if (!mw_rxtab_ready(&rx_table))
		return -1;
	if (len > 4096)
		len = 4096;	/* no real field is longer; bounds the regex work */
	if ((l.s = malloc(len + 2)) == NULL)
		return -1;
	memcpy(l.s, value, len);
	l.s[len] = '\0';
	l.len = len;
	if ((l.md = pcre2_match_data_create(NCAP, NULL)) == NULL) {
		free(l.s);
		return -1;
	}
	rc = parse_line(&l, rl, fetch, qs, sizeof(qs));
	pcre2_match_data_free(l.md);
	free(l.s);
	return rc;
}

/* --- formatting -------------------------------------------------------------------- */

int
mw_relay_format(const struct mw_relay *rl, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "[ ip=%s rdns=%s helo=%s by=%s ident=%s envfrom=%s "
	    "intl=%d id=%s auth=%s msa=%d ]", rl->ip, rl->rdns, rl->helo, rl->by, rl->ident,
	    rl->envfrom, rl->internal ? 1 : 0, rl->id, rl->auth, rl->msa ? 1 : 0);

	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

/* --- networks ---------------------------------------------------------------------- */

static bool
parse_addr(const char *s, struct mw_relay_net *n)
{
	char buf[64];
	size_t len = strlen(s);

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len + 1);
	if (buf[0] == '[' && len > 2 && buf[len - 1] == ']') {
		buf[len - 1] = '\0';
		memmove(buf, buf + 1, len - 1);
	}
	if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->af = AF_INET6;
		return true;
	}
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->af = AF_INET;
		return true;
	}
	return false;
}

/* "10/8", "192.168." (a prefix of octets), "1.2.3.4", "2001:db8::/32", "!..." */
static bool
parse_net(const char *tok, struct mw_relay_net *n)
{
	char a[64], *slash;
	size_t len;
	long pfx = -1;

	memset(n, 0, sizeof(*n));
	if (*tok == '!') {
		n->exclude = true;
		tok++;
	}
	if (strlen(tok) >= sizeof(a))
		return false;
	snprintf(a, sizeof(a), "%s", tok);
	if ((slash = strchr(a, '/')) != NULL) {
		char *end;

		*slash = '\0';
		pfx = strtol(slash + 1, &end, 10);
		if (*end != '\0' || slash[1] == '\0' || pfx < 0 || pfx > 128)
			return false;
	}
	len = strlen(a);
	if (strchr(a, ':') == NULL) {
		/* IPv4 shorthand: "10", "10.", "192.168." - missing octets are zero */
		char full[32];
		int dots = 0;
		size_t i;

		while (len > 0 && a[len - 1] == '.')
			a[--len] = '\0';
		for (i = 0; i < len; i++) {
			if (a[i] == '.')
				dots++;
			else if (!isdigit((unsigned char)a[i]))
				return false;
		}
		if (len == 0 || dots > 3)
			return false;
		snprintf(full, sizeof(full), "%s%s", a,
		    dots == 0 ? ".0.0.0" : dots == 1 ? ".0.0" : dots == 2 ? ".0" : "");
		if (inet_pton(AF_INET, full, n->addr) != 1)
			return false;
		n->af = AF_INET;
		if (pfx < 0)
			pfx = 8 * (dots + 1);
		if (pfx > 32)
			return false;
	} else {
		if (!parse_addr(a, n) || n->af != AF_INET6)
			return false;
		if (pfx < 0)
			pfx = 128;
	}
	n->prefix = (unsigned)pfx;
	return true;
}

int
mw_relay_nets_add(struct mw_relay_nets *nets, const char *list, char *why, size_t whylen)
{
	const char *p = list;

	nets->configured = true;
	while (*p != '\0') {
		char tok[80];
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		if (n >= sizeof(tok)) {
			snprintf(why, whylen, "network '%.*s...' is too long", 20, p);
			return -1;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		if (nets->n >= MW_RELAY_MAX_NETS) {
			snprintf(why, whylen, "more than %d networks", MW_RELAY_MAX_NETS);
			return -1;
		}
		if (!parse_net(tok, &nets->v[nets->n])) {
			snprintf(why, whylen, "'%s' is not a network", tok);
			return -1;
		}
		nets->n++;
	}
	return 0;
}

static bool
in_net(const struct mw_relay_net *n, int af, const unsigned char *a)
{
	unsigned bits = n->prefix, i;

	if (n->af != af)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != n->addr[i])
			return false;
	if (bits > 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits));

		if ((a[i] & mask) != (n->addr[i] & mask))
			return false;
	}
	return true;
}

bool
mw_relay_nets_contain(const struct mw_relay_nets *nets, const char *ip)
{
	struct mw_relay_net a;
	size_t i;
	unsigned char mapped[16];

	if (!parse_addr(ip, &a))
		return false;
	/* ::ffff:a.b.c.d is matched as a.b.c.d */
	memset(mapped, 0, 10);
	mapped[10] = mapped[11] = 0xff;
	if (a.af == AF_INET6 && memcmp(a.addr, mapped, 12) == 0) {
		memmove(a.addr, a.addr + 12, 4);
		a.af = AF_INET;
	}
	for (i = 0; i < nets->n; i++)
		if (in_net(&nets->v[i], a.af, a.addr))
			return !nets->v[i].exclude;
	return false;
}

bool
mw_relay_ip_private(const char *ip)
{
	static const char *const v4[] = { "10.", "127.", "169.254.", "192.168." };
	size_t i;
	unsigned char a[16];

	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		if (strncmp(ip, v4[i], strlen(v4[i])) == 0)
			return true;
	if (strncmp(ip, "172.", 4) == 0 || strncmp(ip, "100.", 4) == 0) {
		long o = strtol(ip + 4, NULL, 10);

		if (ip[0] == '1' && ip[1] == '7')
			return o >= 16 && o <= 31 && ip[4] != '\0';
		return o >= 64 && o <= 127 && ip[4] != '\0';
	}
	if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, a) != 1)
		return false;
	{
		static const unsigned char loop[16] = { [15] = 1 };
		unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

		if (memcmp(a, loop, 16) == 0)
			return true;
		if ((a[0] & 0xfe) == 0xfc)		/* fc00::/7 */
			return true;
		if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)	/* fe80::/10 */
			return true;
		if (memcmp(a, mapped, 12) == 0) {
			char v[INET_ADDRSTRLEN];

			if (inet_ntop(AF_INET, a + 12, v, sizeof(v)) != NULL)
				return mw_relay_ip_private(v);
		}
	}
	return false;
}

/* SpamAssassin always counts 127/8 and ::1 in configured trusted/internal networks. */
static bool
ip_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

void
mw_relay_conf_init(struct mw_relay_conf *c)
{
	memset(c, 0, sizeof(*c));
}

void
mw_relay_conf_free(struct mw_relay_conf *c)
{
	mw_domain_set_clear(&c->two_level);
	mw_domain_set_clear(&c->three_level);
	mw_domain_set_clear(&c->tlds);
}

bool
mw_relay_domain_valid(const struct mw_relay_conf *c, const char *domain)
{
	const char *dot = strrchr(domain, '.');

	if (c == NULL || dot == NULL || dot[1] == '\0' || strpbrk(domain, " \t\r\n\f\v") != NULL)
		return false;
	return mw_domain_set_has(&c->tlds, dot + 1, strlen(dot + 1));
}

/* --- registry boundaries ----------------------------------------------------------- */

struct mw_domain_entry {
	struct mw_domain_entry *next;
	char	 name[];
};

static unsigned
domain_hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)tolower((unsigned char)s[i])) * 16777619u;
	return h % MW_DOMAIN_SET_BUCKETS;
}

bool
mw_domain_set_has(const struct mw_domain_set *set, const char *name, size_t len)
{
	const struct mw_domain_entry *e;

	for (e = set->b[domain_hash(name, len)]; e != NULL; e = e->next)
		if (strlen(e->name) == len && strncasecmp(e->name, name, len) == 0)
			return true;
	return false;
}

int
mw_domain_set_add(struct mw_domain_set *set, const char *list)
{
	const char *p = list;

	for (;;) {
		size_t n, i;
		struct mw_domain_entry *e;
		unsigned h;

		p += strspn(p, " \t");
		if ((n = strcspn(p, " \t")) == 0)
			return 0;
		if (!mw_domain_set_has(set, p, n)) {
			if ((e = malloc(sizeof(*e) + n + 1)) == NULL)
				return -1;
			for (i = 0; i < n; i++)
				e->name[i] = (char)tolower((unsigned char)p[i]);
			e->name[n] = '\0';
			h = domain_hash(p, n);
			e->next = set->b[h];
			set->b[h] = e;
			set->n++;
		}
		p += n;
	}
}

void
mw_domain_set_clear(struct mw_domain_set *set)
{
	size_t i;

	for (i = 0; i < MW_DOMAIN_SET_BUCKETS; i++)
		while (set->b[i] != NULL) {
			struct mw_domain_entry *e = set->b[i];

			set->b[i] = e->next;
			free(e);
		}
	set->n = 0;
}

static bool
us_state(const char *s, size_t n)
{
	static const char states[] = " ak al ar az ca co ct dc de fl ga gu hi ia id il in ks ky "
	    "la ma md me mi mn mo ms mt nc nd ne nh nj nm nv ny oh ok or pa pr ri sc sd tn tx ut "
	    "va vi vt wa wi wv wy ";
	char key[5];

	if (n != 2)
		return false;
	key[0] = ' ';
	key[1] = s[0];
	key[2] = s[1];
	key[3] = ' ';
	key[4] = '\0';
	return strstr(states, key) != NULL;
}

void
mw_relay_split_domain(const struct mw_relay_conf *c, const char *host, char *out,
    size_t outlen)
{
	char d[MW_RELAY_HOST_MAX];
	size_t n = 0, nparts = 0, i, start;
	const char *lab[64];
	size_t lablen[64];
	const char *p;

	/* lower-case, runs of dots squeezed, no leading or trailing dots */
	for (p = host; *p != '\0' && n < sizeof(d) - 1; p++) {
		if (*p == '.' && (n == 0 || d[n - 1] == '.'))
			continue;
		d[n++] = (char)tolower((unsigned char)*p);
	}
	while (n > 0 && d[n - 1] == '.')
		n--;
	d[n] = '\0';
	for (p = d; *p != '\0' && nparts < 64;) {
		size_t k = strcspn(p, ".");

		lab[nparts] = p;
		lablen[nparts++] = k;
		p += k;
		if (*p == '.')
			p++;
	}
	/* walk from the left until what remains is a registry suffix */
	for (start = 0; nparts - start > 1; start++) {
		size_t left = nparts - start;
		const char *rest = lab[start];
		size_t rlen = (size_t)(d + n - rest);

		if (left == 2 && c != NULL && mw_domain_set_has(&c->two_level, rest, rlen))
			break;
		if (left == 3) {
			if (lablen[start + 2] == 2 && strncmp(lab[start + 2], "us", 2) == 0) {
				if (us_state(lab[start + 1], lablen[start + 1]))
					break;
			} else if (c != NULL && mw_domain_set_has(&c->three_level, rest, rlen)) {
				break;
			}
		}
		if (left == 4 && lablen[start + 3] == 2 &&
		    strncmp(lab[start + 3], "us", 2) == 0 &&
		    ((lablen[start] == 3 && strncmp(lab[start], "pvt", 3) == 0 &&
		    lablen[start + 1] == 3 && strncmp(lab[start + 1], "k12", 3) == 0) ||
		    (lablen[start] == 2 && (strncmp(lab[start], "ci", 2) == 0 ||
		    strncmp(lab[start], "co", 2) == 0))) &&
		    us_state(lab[start + 2], lablen[start + 2]))
			break;
	}
	/* the label before the suffix belongs to the domain */
	if (start > 0)
		start--;
	i = nparts > 0 ? (size_t)(lab[start] - d) : n;
	setf(out, outlen, d + i);
}

/* --- the chain --------------------------------------------------------------------- */

const struct mw_relay *
mw_relays_get(const struct mw_relays *r, enum mw_relay_list l, size_t i)
{
	if (l >= MW_RELAYS_NLISTS || i >= r->nlist[l])
		return NULL;
	return &r->v[r->list[l][i]];
}

static int
build_strings(struct mw_relays *r)
{
	int l;

	for (l = 0; l < MW_RELAYS_NLISTS; l++) {
		size_t i, cap = 1, len = 0;
		char one[2048];

		for (i = 0; i < r->nlist[l]; i++)
			cap += sizeof(one) + 1;
		if ((r->str[l] = malloc(cap)) == NULL)
			return -1;
		r->str[l][0] = '\0';
		for (i = 0; i < r->nlist[l]; i++) {
			int n = mw_relay_format(&r->v[r->list[l][i]], one, sizeof(one));

			if (n < 0)
				continue;
			if (len > 0)
				r->str[l][len++] = ' ';
			memcpy(r->str[l] + len, one, (size_t)n + 1);
			len += (size_t)n;
		}
	}
	return 0;
}

/* The originating-IP headers become synthetic fields at the bottom of the chain. */
static void
originating_field(const struct mw_message *m, const char *name, char *out, size_t outlen)
{
	const struct mw_header *h = mw_message_header(m, name, 0);
	const char *v;
	size_t i = 0, len;

	out[0] = '\0';
	if (h == NULL)
		return;
	v = h->value;
	len = strlen(v);
	/* the first run of address characters that is an address; each run is looked
	 * at once, so a hostile value costs one pass */
	while (i < len) {
		size_t k = strspn(v + i, "0123456789abcdefABCDEF:.");
		char ip[64];
		struct mw_relay_net n;
		size_t t = k;

		if (k == 0) {
			i++;
			continue;
		}
		if (k >= 7 && k < sizeof(ip)) {
			memcpy(ip, v + i, k);
			while (t > 0 && ip[t - 1] == '.')	/* "1.2.3.4." ends a sentence */
				t--;
			ip[t] = '\0';
			if (t > 0 && parse_addr(ip, &n)) {
				snprintf(out, outlen, "from X-Originating-IP: %s", ip);
				return;
			}
		}
		i += k;
	}
}

int
mw_relays_build(struct mw_relays *r, const struct mw_message *m,
    const struct mw_relay_conf *conf, const struct mw_relay_client *client)
{
	const struct mw_relay_nets *trusted = &conf->trusted, *internal = &conf->internal;
	bool configured_t = conf->trusted.configured, configured_i = conf->internal.configured;
	bool in_trusted = true, in_internal = true, found_msa = false, allow_fetch = true;
	size_t nfields, i, k;
	const char **fields = NULL;
	size_t *flen = NULL;
	char (*synth)[128] = NULL;
	char qs_envfrom[MW_RELAY_HOST_MAX] = "";
	char client_field[1024];
	int l, rc = -1;
	struct line line = { 0 };

	memset(r, 0, sizeof(*r));
	r->last_trusted_relay_index = r->last_internal_relay_index = -1;
	if (!mw_rxtab_ready(&rx_table))
		return -1;
	/* SpamAssassin: one list configured stands for the other */
	if (configured_t && !configured_i)
		internal = trusted;
	else if (configured_i && !configured_t)
		trusted = internal;

	nfields = mw_message_header_count(m, "Received") + conf->n_originating + 1;
	if (nfields > MW_RELAY_MAX + conf->n_originating + 1)
		nfields = MW_RELAY_MAX + conf->n_originating + 1;
	fields = calloc(nfields, sizeof(*fields));
	flen = calloc(nfields, sizeof(*flen));
	synth = calloc(conf->n_originating + 1, sizeof(*synth));
	r->v = calloc(nfields, sizeof(*r->v));
	for (l = 0; l < MW_RELAYS_NLISTS; l++)
		r->list[l] = calloc(nfields, sizeof(size_t));
	if (fields == NULL || flen == NULL || synth == NULL || r->v == NULL ||
	    r->list[0] == NULL || r->list[1] == NULL || r->list[2] == NULL || r->list[3] == NULL)
		goto out;
	if ((line.md = pcre2_match_data_create(NCAP, NULL)) == NULL)
		goto out;

	k = 0;
	/* This hop, when the MTA has not written its field yet (a milter sees the message
	 * before that), in the shape of a Postfix field. */
	if (client != NULL && client->ip != NULL && client->ip[0] != '\0') {
		const struct mw_header *top = mw_message_header(m, "Received", 0);
		struct mw_relay t;
		bool f, ours = false;

		if (top != NULL && mw_relay_parse(top->value, top->value_len, &t, &f) == 1 &&
		    strcmp(t.ip, client->ip) == 0 && client->by != NULL &&
		    strcasecmp(t.by, client->by) == 0)
			ours = true;
		if (!ours) {
			snprintf(client_field, sizeof(client_field),
			    "from %s (%s [%s]) by %s (Postfix) with %s id local",
			    client->helo != NULL && *client->helo != '\0' ? client->helo : "unknown",
			    client->rdns != NULL && *client->rdns != '\0' ? client->rdns : "unknown",
			    client->ip, client->by != NULL && *client->by != '\0' ? client->by :
			    "localhost", client->auth != NULL && *client->auth != '\0' ?
			    "ESMTPA" : "ESMTP");
			fields[k] = client_field;
			flen[k++] = strlen(client_field);
			r->synthetic_top = true;
		}
	}
	for (i = 0; i < m->nheaders && k < nfields - conf->n_originating; i++)
		if (strcasecmp(m->headers[i].name, "Received") == 0) {
			fields[k] = m->headers[i].value;
			flen[k++] = m->headers[i].value_len;
		}
	for (i = 0; i < conf->n_originating; i++) {
		originating_field(m, conf->originating_ip_headers[i], synth[i], sizeof(synth[i]));
		if (synth[i][0] != '\0' && k < nfields) {
			fields[k] = synth[i];
			flen[k++] = strlen(synth[i]);
		}
	}

	for (i = 0; i < k; i++) {
		struct mw_relay *rl = &r->v[r->n];
		char saved_qs[MW_RELAY_HOST_MAX];
		bool fetch = false;
		int pr;
		size_t len = flen[i] > 4096 ? 4096 : flen[i];

		snprintf(saved_qs, sizeof(saved_qs), "%s", qs_envfrom);
		qs_envfrom[0] = '\0';
		free(line.s);
		if ((line.s = malloc(len + 2)) == NULL)
			goto out;
		memcpy(line.s, fields[i], len);
		line.s[len] = '\0';
		line.len = len;
		pr = parse_line(&line, rl, &fetch, qs_envfrom, sizeof(qs_envfrom));
		if (fetch && allow_fetch) {
			/* a POP/IMAP fetch: what came before it is the fetching side's own
			 * business; SpamAssassin starts over from here */
			r->nlist[MW_RELAYS_TRUSTED] = 0;
			r->nlist[MW_RELAYS_INTERNAL] = 0;
			r->nlist[MW_RELAYS_EXTERNAL] = 0;
		}
		if (pr < 0)
			r->num_unparseable++;
		if (pr != 1) {
			if (in_trusted)
				r->last_trusted_relay_index++;
			if (in_internal)
				r->last_internal_relay_index++;
			continue;
		}
		if (saved_qs[0] != '\0')
			setf(rl->envfrom, sizeof(rl->envfrom), saved_qs);

		if (in_trusted && !found_msa) {
			if (!configured_t && !configured_i) {
				/* inferred: private addresses and authenticated hops */
				if (!rl->ip_private && rl->auth[0] == '\0') {
					in_trusted = false;
					in_internal = false;
				}
			} else if (rl->auth[0] == '\0' && !mw_relay_nets_contain(trusted, rl->ip) &&
			    !ip_loopback(rl->ip)) {
				in_trusted = false;
				in_internal = false;
			} else {
				if (in_internal && rl->auth[0] == '\0' &&
				    !mw_relay_nets_contain(internal, rl->ip) &&
				    !ip_loopback(rl->ip))
					in_internal = false;
				if (mw_relay_nets_contain(&conf->msa, rl->ip)) {
					found_msa = true;
					rl->msa = true;
				}
			}
		}
		rl->internal = in_internal;
		rl->trusted = in_trusted;
		if (in_trusted) {
			r->list[MW_RELAYS_TRUSTED][r->nlist[MW_RELAYS_TRUSTED]++] = r->n;
			allow_fetch = true;
			r->last_trusted_relay_index++;
		} else {
			r->list[MW_RELAYS_UNTRUSTED][r->nlist[MW_RELAYS_UNTRUSTED]++] = r->n;
			allow_fetch = false;
		}
		if (in_internal) {
			r->list[MW_RELAYS_INTERNAL][r->nlist[MW_RELAYS_INTERNAL]++] = r->n;
			r->last_internal_relay_index++;
		} else {
			r->list[MW_RELAYS_EXTERNAL][r->nlist[MW_RELAYS_EXTERNAL]++] = r->n;
		}
		r->n++;
	}
	rc = build_strings(r);
out:
	if (line.md != NULL)
		pcre2_match_data_free(line.md);
	free(line.s);
	free(fields);
	free(flen);
	free(synth);
	if (rc < 0) {
		mw_relays_free(r);
		r->last_trusted_relay_index = r->last_internal_relay_index = -1;
	}
	return rc;
}

void
mw_relays_free(struct mw_relays *r)
{
	int l;

	free(r->v);
	for (l = 0; l < MW_RELAYS_NLISTS; l++) {
		free(r->list[l]);
		free(r->str[l]);
	}
	memset(r, 0, sizeof(*r));
}
