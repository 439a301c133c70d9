/*
 * test_spf - the SPF stage with the real libspf2.
 *
 * Hermetic DNS two ways, no mocks:
 *  - libspf2's own zone layer behind the test-only option spf_test_zone: every
 *    result (pass fail softfail neutral none permerror temperror), IPv4 and IPv6,
 *    include/redirect/macro/exp records, too many lookups;
 *  - the resolver layer against real DNS servers on loopback: dnsmasq started by
 *    the test on 127.0.0.1:21453, a UDP socket that never answers (21454: timeout
 *    -> temperror) and a closed port (21455: refused -> temperror).
 * Then the stage through mw_scan(): both headers byte for byte, forged
 * Authentication-Results removal, skips, reply codes, and the eval functions.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "envelope.h"
#include "eval.h"
#include "generation.h"
#include "scan.h"
#include "spf.h"
#include "spf_dns.h"
#include "verdict.h"

#define DNSMASQ_PORT	21453
#define SILENT_PORT	21454
#define CLOSED_PORT	21455

static char tmpdir[64];

/* Twelve DNS mechanisms: one more than RFC 7208's ten plus the one libspf2 lets by. */
#define MANY_A	"a:l1.test a:l2.test a:l3.test a:l4.test a:l5.test a:l6.test " \
		"a:l7.test a:l8.test a:l9.test a:l10.test a:l11.test a:l12.test"

static const char zone_text[] =
	"# test zone for test_spf\n"
	"pass.test        TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 -all\"\n"
	"fail.test        TXT v=spf1 ip4:192.0.2.0/24 -all\n"
	"softfail.test    TXT \"v=spf1 ip4:192.0.2.0/24 ~all\"\n"
	"neutral.test     TXT \"v=spf1 ip4:192.0.2.0/24 ?all\"\n"
	"none.test        A   192.0.2.1\n"
	"nospf.test       TXT \"some other text\"\n"
	"bad.test         TXT \"v=spf1 ip4:192.0.2.0/24 frobnicate:x -all\"\n"
	"badip.test       TXT \"v=spf1 ip4:300.1.1.1 -all\"\n"
	"multi.test       TXT \"v=spf1 -all\"\n"
	"multi.test       TXT \"v=spf1 +all\"\n"
	"toomany.test     TXT \"v=spf1 " MANY_A " -all\"\n"
	"temp.test        TXT !TRY_AGAIN\n"
	"servfail.test    TXT !NO_RECOVERY\n"
	"include.test     TXT \"v=spf1 include:pass.test -all\"\n"
	"include-temp.test TXT \"v=spf1 include:temp.test -all\"\n"
	"include-none.test TXT \"v=spf1 include:none.test -all\"\n"
	"redirect.test    TXT \"v=spf1 redirect=pass.test\"\n"
	"redirect-none.test TXT \"v=spf1 redirect=none.test\"\n"
	"macro.test       TXT \"v=spf1 exists:%{i}._spf.macro.test -all\"\n"
	"192.0.2.1._spf.macro.test A 127.0.0.2\n"
	"users.test       TXT \"v=spf1 exists:%{l}.u.users.test -all\"\n"
	"alice.u.users.test A 127.0.0.2\n"
	"amx.test         TXT \"v=spf1 a mx -all\"\n"
	"amx.test         A   192.0.2.10\n"
	"amx.test         AAAA 2001:db8:2::10\n"
	"amx.test         MX  10 mx.amx.test\n"
	"mx.amx.test      A   198.51.100.5\n"
	"ipv6.test        TXT \"v=spf1 \" \"ip6:2001:db8:1::/48 -all\"\n"
	"helo.test        TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
	"exp.test         TXT \"v=spf1 -all exp=why.exp.test\"\n"
	"why.exp.test     TXT \"Host %{i} may not send for %{d}\"\n";

/* --- helpers ------------------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static struct mw_generation *
build(const char *conf_text)
{
	char path[256];
	struct mw_diag d;
	struct mw_generation *g;
	size_t i;

	snprintf(path, sizeof(path), "%s/mailwarden.conf", tmpdir);
	write_file(path, conf_text);
	mw_diag_init(&d);
	g = mw_generation_build(path, false, 1, &d);
	for (i = 0; i < d.n; i++)
		if (d.v[i].level == MW_DIAG_ERROR)
			print_message("diag: %s\n", d.v[i].text);
	assert_int_equal(d.nerrors, 0);
	mw_diag_free(&d);
	assert_non_null(g);
	return g;
}

/* Configuration that keeps the other stages quiet and fast (no virus database). */
static const char *
conf_with(const char *more)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
	    "hostname = filter.example.net\n"
	    "clamav_backend = clamd:%s/no-such.sock\n"
	    "clamav_on_error = accept\n"
	    "spf_test_zone = %s/zone\n"
	    "%s\n", tmpdir, tmpdir, more ? more : "");
	return buf;
}

static const char *
res_of(const struct mw_spf_answer *a)
{
	return mw_spf_res_name(a->result);
}

/* --- the zone file parser ------------------------------------------------------ */

static void
test_zone_parse_errors(void **state)
{
	static const struct {
		const char *line;
		const char *want;	/* substring of the diagnostic */
	} cases[] = {
		{ "a.test CNAME b.test\n", "unknown type 'CNAME'" },
		{ "a.test A 1.2.3\n", "not an IPv4 address" },
		{ "a.test AAAA 192.0.2.1\n", "not an IPv6 address" },
		{ "a.test MX b.test\n", "MX data must be" },
		{ "a.test TXT \"v=spf1\n", "unterminated" },
		{ "a.test TXT !SOMETIMES\n", "unknown error '!SOMETIMES'" },
		{ "a.test TXT\n", "expected '<name> <type> <data>'" },
		{ "a..test! TXT x\n", "is not a domain name" },
		{ "a.test TXT x\na.test TXT !TRY_AGAIN\n", "must be the only entry" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_spf_zone z = { 0 };
		struct mw_diag d;

		mw_diag_init(&d);
		assert_int_equal(mw_spf_zone_parse(&z, "zone", cases[i].line, &d), -1);
		assert_true(d.nerrors >= 1);
		if (strstr(d.v[d.n - 1].text, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, d.v[d.n - 1].text, cases[i].want);
		assert_true(strncmp(d.v[d.n - 1].text, "zone:", 5) == 0);
		mw_diag_free(&d);
		mw_spf_zone_free(&z);
	}
}

static void
test_config_errors(void **state)
{
	static const struct {
		const char *conf;
		const char *want;
	} cases[] = {
		{ "spf_trusted_networks = 10.0.0.0/33", "bad prefix length" },
		{ "spf_trusted_networks = 10.0.0.x", "is not an IP address" },
		{ "spf_nameserver = 127.0.0.1:99999", "spf_nameserver" },
		{ "spf_nameserver = ::1", "spf_nameserver" },
		{ "spf_temperror_action = reject", "spf_temperror_action" },
		{ "spf_dns_timeout = 0", "spf_dns_timeout" },
	};
	char path[256];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_diag d;
		bool seen = false;

		snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
		write_file(path, conf_with(cases[i].conf));
		mw_diag_init(&d);
		assert_null(mw_generation_build(path, false, 1, &d));
		for (j = 0; j < d.n; j++)
			seen = seen || strstr(d.v[j].text, cases[i].want) != NULL;
		if (!seen)
			fail_msg("case %zu: no diagnostic with '%s'", i, cases[i].want);
		mw_diag_free(&d);
	}
}

/* --- every result through libspf2's zone layer --------------------------------- */

static void
test_results_zone(void **state)
{
	static const struct {
		const char *ip, *helo, *sender, *want, *domain;
	} cases[] = {
		{ "192.0.2.1", "mx.x.test", "a@pass.test", "pass", "pass.test" },
		{ "2001:db8:1::25", "mx.x.test", "a@pass.test", "pass", "pass.test" },
		{ "::ffff:192.0.2.9", "mx.x.test", "a@pass.test", "pass", "pass.test" },
		{ "198.51.100.1", "mx.x.test", "a@pass.test", "fail", "pass.test" },
		{ "2001:db8:99::1", "mx.x.test", "a@pass.test", "fail", "pass.test" },
		{ "198.51.100.1", "mx.x.test", "a@fail.test", "fail", "fail.test" },
		{ "198.51.100.1", "mx.x.test", "a@softfail.test", "softfail", "softfail.test" },
		{ "198.51.100.1", "mx.x.test", "a@neutral.test", "neutral", "neutral.test" },
		{ "198.51.100.1", "mx.x.test", "a@none.test", "none", "none.test" },
		{ "198.51.100.1", "mx.x.test", "a@nosuchdomain.test", "none", "nosuchdomain.test" },
		{ "198.51.100.1", "mx.x.test", "a@nospf.test", "none", "nospf.test" },
		{ "198.51.100.1", "mx.x.test", "a@bad.test", "permerror", "bad.test" },
		{ "198.51.100.1", "mx.x.test", "a@badip.test", "permerror", "badip.test" },
		{ "198.51.100.1", "mx.x.test", "a@multi.test", "permerror", "multi.test" },
		{ "198.51.100.1", "mx.x.test", "a@toomany.test", "permerror", "toomany.test" },
		{ "198.51.100.1", "mx.x.test", "a@deep1.test", "permerror", "deep1.test" },
		{ "198.51.100.1", "mx.x.test", "a@short1.test", "fail", "short1.test" },
		{ "192.0.2.99", "mx.x.test", "a@short1.test", "pass", "short1.test" },
		{ "198.51.100.1", "mx.x.test", "a@temp.test", "temperror", "temp.test" },
		{ "198.51.100.1", "mx.x.test", "a@servfail.test", "temperror", "servfail.test" },
		{ "192.0.2.1", "mx.x.test", "a@include.test", "pass", "include.test" },
		{ "198.51.100.1", "mx.x.test", "a@include.test", "fail", "include.test" },
		{ "198.51.100.1", "mx.x.test", "a@include-temp.test", "temperror", "include-temp.test" },
		{ "198.51.100.1", "mx.x.test", "a@include-none.test", "permerror", "include-none.test" },
		{ "192.0.2.1", "mx.x.test", "a@redirect.test", "pass", "redirect.test" },
		{ "198.51.100.1", "mx.x.test", "a@redirect.test", "fail", "redirect.test" },
		{ "198.51.100.1", "mx.x.test", "a@redirect-none.test", "permerror", "redirect-none.test" },
		{ "192.0.2.1", "mx.x.test", "a@macro.test", "pass", "macro.test" },
		{ "192.0.2.2", "mx.x.test", "a@macro.test", "fail", "macro.test" },
		{ "198.51.100.1", "mx.x.test", "alice@users.test", "pass", "users.test" },
		{ "198.51.100.1", "mx.x.test", "bob@users.test", "fail", "users.test" },
		{ "192.0.2.10", "mx.x.test", "a@amx.test", "pass", "amx.test" },
		{ "2001:db8:2::10", "mx.x.test", "a@amx.test", "pass", "amx.test" },
		{ "198.51.100.5", "mx.x.test", "a@amx.test", "pass", "amx.test" },
		{ "198.51.100.6", "mx.x.test", "a@amx.test", "fail", "amx.test" },
		{ "2001:db8:1::1", "mx.x.test", "a@ipv6.test", "pass", "ipv6.test" },
		{ "192.0.2.1", "mx.x.test", "a@ipv6.test", "fail", "ipv6.test" },
		/* null sender: the HELO identity */
		{ "192.0.2.1", "helo.test", "", "pass", "helo.test" },
		{ "192.0.2.2", "helo.test", "", "fail", "helo.test" },
		{ "192.0.2.2", "helo.test", NULL, "fail", "helo.test" },
		/* nothing checkable: none without a lookup */
		{ "192.0.2.1", "[192.0.2.1]", "", "none", "[192.0.2.1]" },
		{ "192.0.2.1", "localhost", "", "none", "localhost" },
		{ "192.0.2.1", "mx.x.test", "nobody", "none", "" },
		{ "192.0.2.1", "mx.x.test", "a@-bad-.test..", "none", "-bad-.test.." },
		/* an odd local part is checked as postmaster: same domain record */
		{ "198.51.100.1", "mx.x.test", "\"a b\"@fail.test", "fail", "fail.test" },
	};
	struct mw_generation *g = build(conf_with(NULL));
	struct mw_spf_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mw_spf_check(g->spf, cases[i].ip, cases[i].helo, cases[i].sender,
		    &a), 0);
		if (strcmp(res_of(&a), cases[i].want) != 0 || strcmp(a.domain, cases[i].domain) != 0)
			fail_msg("case %zu (%s from %s): got %s/%s (%s), want %s/%s", i,
			    cases[i].sender ? cases[i].sender : "(null)", cases[i].ip, res_of(&a),
			    a.domain, a.problem, cases[i].want, cases[i].domain);
	}
	mw_generation_unref(g);
	mw_spf_thread_cleanup();
}

static void
test_problem_and_explanation(void **state)
{
	struct mw_generation *g = build(conf_with(NULL));
	struct mw_spf_answer a;

	(void)state;
	assert_int_equal(mw_spf_check(g->spf, "192.0.2.7", "mx.x.test", "a@exp.test", &a), 0);
	assert_string_equal(res_of(&a), "fail");
	assert_string_equal(a.explanation, "Host 192.0.2.7 may not send for exp.test");
	/* our default explanation when the domain has no exp= */
	assert_int_equal(mw_spf_check(g->spf, "198.51.100.1", "mx.x.test", "a@fail.test", &a), 0);
	assert_string_equal(a.explanation,
	    "fail.test does not designate 198.51.100.1 as permitted sender");
	/* IPv6 as people write it, not the dotted nibbles of %{i} */
	assert_int_equal(mw_spf_check(g->spf, "2001:db8:99::1", "x", "a@pass.test", &a), 0);
	assert_string_equal(a.explanation,
	    "pass.test does not designate 2001:db8:99::1 as permitted sender");
	assert_int_equal(mw_spf_check(g->spf, "198.51.100.1", "x", "a@toomany.test", &a), 0);
	assert_string_equal(a.problem, "Mechanisms used too many DNS lookups");
	assert_int_equal(mw_spf_check(g->spf, "198.51.100.1", "x", "a@deep1.test", &a), 0);
	assert_string_equal(a.problem, "too many DNS lookups");
	assert_int_equal(mw_spf_check(g->spf, "198.51.100.1", "x", "a@bad.test", &a), 0);
	assert_string_equal(a.problem, "Unknown mechanism found");
	assert_int_equal(mw_spf_check(g->spf, "198.51.100.1", "x", "a@temp.test", &a), 0);
	assert_string_equal(a.problem, "DNS lookup failed");
	mw_generation_unref(g);
	mw_spf_thread_cleanup();
}

/* --- the resolver layer against real servers on loopback ------------------------ */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_dns_not_answering(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(SILENT_PORT) };
	struct mw_generation *g;
	struct mw_spf_answer a;
	char conf[512];
	double t0, took;
	int fd;

	(void)state;
	/* A bound UDP socket nobody reads: queries vanish, as with a dead server. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(conf, sizeof(conf), "hostname = filter.example.net\n"
	    "clamav_backend = clamd:%s/no-such.sock\nclamav_on_error = accept\n"
	    "spf_nameserver = 127.0.0.1:%d\nspf_dns_timeout = 1\nspf_dns_attempts = 1\n",
	    tmpdir, SILENT_PORT);
	g = build(conf);
	t0 = now_s();
	assert_int_equal(mw_spf_check(g->spf, "192.0.2.1", "mx.x.test", "a@pass.test", &a), 0);
	took = now_s() - t0;
	assert_string_equal(res_of(&a), "temperror");
	assert_string_equal(a.problem, "DNS lookup failed");
	/* one attempt of one second, not libspf2's resolv.conf default (5 s x 2) */
	assert_true(took >= 0.9 && took < 3.0);
	mw_generation_unref(g);

	/* The whole-check budget: a second lookup is not even tried. */
	snprintf(conf, sizeof(conf), "hostname = filter.example.net\n"
	    "clamav_backend = clamd:%s/no-such.sock\nclamav_on_error = accept\n"
	    "spf_nameserver = 127.0.0.1:%d\nspf_dns_timeout = 2\nspf_dns_attempts = 1\n"
	    "spf_timeout = 1\n", tmpdir, SILENT_PORT);
	g = build(conf);
	assert_int_equal(mw_spf_check(g->spf, "192.0.2.1", "mx.x.test", "a@pass.test", &a), 0);
	assert_string_equal(res_of(&a), "temperror");
	mw_generation_unref(g);
	close(fd);

	/* Nothing listening at all: refused, still temperror and never none. */
	snprintf(conf, sizeof(conf), "hostname = filter.example.net\n"
	    "clamav_backend = clamd:%s/no-such.sock\nclamav_on_error = accept\n"
	    "spf_nameserver = 127.0.0.1:%d\nspf_dns_timeout = 1\nspf_dns_attempts = 1\n",
	    tmpdir, CLOSED_PORT);
	g = build(conf);
	assert_int_equal(mw_spf_check(g->spf, "192.0.2.1", "mx.x.test", "a@pass.test", &a), 0);
	assert_string_equal(res_of(&a), "temperror");
	mw_generation_unref(g);
	mw_spf_thread_cleanup();
}

static const char dnsmasq_conf[] =
	"port=21453\n"
	"listen-address=127.0.0.1\n"
	"bind-interfaces\n"
	"no-resolv\n"
	"no-hosts\n"
	"no-negcache\n"
	"local-ttl=300\n"
	"local=/test/\n"
	"txt-record=pass.test,\"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 -all\"\n"
	"txt-record=soft.test,\"v=spf1 ~all\"\n"
	"txt-record=neutral.test,\"v=spf1 ?all\"\n"
	"txt-record=bad.test,\"v=spf1 frobnicate -all\"\n"
	"txt-record=long.test,\"v=spf1 ip4:203.0.113.1 ip4:203.0.113.2 \",\"ip4:192.0.2.0/24 -all\"\n"
	"txt-record=include.test,\"v=spf1 include:pass.test -all\"\n"
	"txt-record=redirect.test,\"v=spf1 redirect=pass.test\"\n"
	"txt-record=macro.test,\"v=spf1 exists:%{i}._spf.macro.test -all\"\n"
	"host-record=192.0.2.1._spf.macro.test,127.0.0.2\n"
	"txt-record=amx.test,\"v=spf1 a mx -all\"\n"
	"host-record=amx.test,192.0.2.10,2001:db8:2::10\n"
	"mx-host=amx.test,mx.amx.test,10\n"
	"host-record=mx.amx.test,198.51.100.5\n"
	"host-record=nospf.test,192.0.2.1\n";

static pid_t
start_dnsmasq(void)
{
	char conf[256], log[256];
	pid_t pid;
	int i;

	snprintf(conf, sizeof(conf), "%s/dnsmasq.conf", tmpdir);
	snprintf(log, sizeof(log), "%s/dnsmasq.log", tmpdir);
	write_file(conf, dnsmasq_conf);
	if (access("/usr/sbin/dnsmasq", X_OK) != 0)
		fail_msg("dnsmasq is required (apt-get install dnsmasq-base)");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/sbin/dnsmasq", "dnsmasq", "--keep-in-foreground", "--pid-file=",
		    "--user=root", "-C", conf, (char *)NULL);
		_exit(127);
	}
	/* Ready when it answers over UDP; give up after five seconds. */
	for (i = 0; i < 50; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(DNSMASQ_PORT) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		bool up;

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		up = fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		if (fd >= 0)
			close(fd);
		if (up)
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("dnsmasq exited; see %s", log);
		usleep(100000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	fail_msg("dnsmasq did not start listening on port %d", DNSMASQ_PORT);
	return -1;
}

static void
test_real_dns(void **state)
{
	static const struct {
		const char *ip, *sender, *want;
	} cases[] = {
		{ "192.0.2.1", "a@pass.test", "pass" },
		{ "2001:db8:1::1", "a@pass.test", "pass" },
		{ "198.51.100.1", "a@pass.test", "fail" },
		{ "198.51.100.1", "a@soft.test", "softfail" },
		{ "198.51.100.1", "a@neutral.test", "neutral" },
		{ "198.51.100.1", "a@nospf.test", "none" },
		{ "198.51.100.1", "a@nxdomain.test", "none" },
		{ "198.51.100.1", "a@bad.test", "permerror" },
		{ "192.0.2.77", "a@long.test", "pass" },
		{ "192.0.2.1", "a@include.test", "pass" },
		{ "198.51.100.1", "a@include.test", "fail" },
		{ "192.0.2.1", "a@redirect.test", "pass" },
		{ "192.0.2.1", "a@macro.test", "pass" },
		{ "192.0.2.3", "a@macro.test", "fail" },
		{ "198.51.100.5", "a@amx.test", "pass" },
		{ "2001:db8:2::10", "a@amx.test", "pass" },
		{ "198.51.100.6", "a@amx.test", "fail" },
	};
	struct mw_generation *g;
	struct mw_spf_answer a;
	char conf[512];
	pid_t pid;
	size_t i, round;

	(void)state;
	pid = start_dnsmasq();
	snprintf(conf, sizeof(conf), "hostname = filter.example.net\n"
	    "clamav_backend = clamd:%s/no-such.sock\nclamav_on_error = accept\n"
	    "spf_nameserver = 127.0.0.1:%d\nspf_dns_timeout = 2\nspf_dns_attempts = 2\n",
	    tmpdir, DNSMASQ_PORT);
	g = build(conf);
	/* Twice: the second round comes from the thread's cache and must agree. */
	for (round = 0; round < 2; round++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			assert_int_equal(mw_spf_check(g->spf, cases[i].ip, "mx.x.test",
			    cases[i].sender, &a), 0);
			if (strcmp(res_of(&a), cases[i].want) != 0)
				fail_msg("round %zu case %zu (%s from %s): got %s (%s), want %s",
				    round, i, cases[i].sender, cases[i].ip, res_of(&a), a.problem,
				    cases[i].want);
		}
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, NULL, 0), pid);

	/* Server gone: cached answers still serve (their TTL), new names are temperror. */
	assert_int_equal(mw_spf_check(g->spf, "192.0.2.1", "x", "a@pass.test", &a), 0);
	assert_string_equal(res_of(&a), "pass");
	assert_int_equal(mw_spf_check(g->spf, "192.0.2.1", "x", "a@other.test", &a), 0);
	assert_string_equal(res_of(&a), "temperror");
	mw_generation_unref(g);
	mw_spf_thread_cleanup();
}

/* --- the stage through mw_scan ------------------------------------------------- */

static const char message[] =
	"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=forged.test\n"
	"Authentication-Results: other.example; spf=fail smtp.mailfrom=x.test\n"
	"Authentication-Results: \"MX.Example.NET\" ; dkim=pass\n"
	"From: a@example.org\n"
	"Subject: hello\n"
	"\n"
	"body\n";

struct scan_case {
	const char *label;
	const char *conf;
	const char *ip, *helo, *from, *auth;
	const char *status;		/* "done" or the skip reason */
	const char *received_spf;	/* NULL = no header */
	const char *auth_results;
	int	 code;
	const char *xcode, *text;
	const char *helo_result;
};

static const struct mw_header_edit *
find_edit(const struct mw_verdict *v, enum mw_hdr_op op, const char *name, size_t nth)
{
	size_t i;

	for (i = 0; i < v->nedits; i++)
		if (v->edits[i].op == op && strcmp(v->edits[i].name, name) == 0 && nth-- == 0)
			return &v->edits[i];
	return NULL;
}

static void
run_scan_case(const struct scan_case *c)
{
	struct mw_generation *g = build(conf_with(c->conf));
	struct mw_envelope env;
	struct mw_verdict v;
	const struct mw_header_edit *e;

	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.mta_host, "mx.example.net"), 0);
	assert_int_equal(mw_envelope_set(&env.client_addr, c->ip), 0);
	assert_int_equal(mw_envelope_set(&env.helo, c->helo), 0);
	assert_int_equal(mw_envelope_set_path(&env.mail_from, c->from), 0);
	assert_int_equal(mw_envelope_set(&env.auth_authen, c->auth), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<rcpt@example.net>"), 0);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);

	if (strcmp(c->status, "done") == 0) {
		if (v.spf.status != MW_STAGE_DONE)
			fail_msg("%s: spf not done (%s)", c->label, v.spf.reason ? v.spf.reason : "-");
	} else {
		assert_int_equal(v.spf.status, MW_STAGE_SKIPPED);
		assert_string_equal(v.spf.reason, c->status);
	}
	e = find_edit(&v, MW_HDR_ADD, "Received-SPF", 0);
	if (c->received_spf == NULL)
		assert_null(e);
	else {
		assert_non_null(e);
		if (strcmp(e->value, c->received_spf) != 0)
			fail_msg("%s: Received-SPF\n got: %s\nwant: %s", c->label, e->value,
			    c->received_spf);
	}
	e = find_edit(&v, MW_HDR_ADD, "Authentication-Results", 0);
	if (c->auth_results == NULL)
		assert_null(e);
	else {
		assert_non_null(e);
		if (strcmp(e->value, c->auth_results) != 0)
			fail_msg("%s: Authentication-Results\n got: %s\nwant: %s", c->label,
			    e->value, c->auth_results);
	}
	/* Ours (#1, and #3 quoted in other case) go; the other host's (#2) stays.
	 * With another authserv-id configured, none of them claims to be ours. */
	e = find_edit(&v, MW_HDR_DELETE, "Authentication-Results", 0);
	if (c->conf != NULL && strstr(c->conf, "authserv_id") != NULL)
		assert_null(e);
	else {
		assert_non_null(e);
		assert_int_equal(e->index, 1);
		e = find_edit(&v, MW_HDR_DELETE, "Authentication-Results", 1);
		assert_non_null(e);
		assert_int_equal(e->index, 3);
		assert_null(find_edit(&v, MW_HDR_DELETE, "Authentication-Results", 2));
	}

	if (c->code == 0) {
		if (v.reply.code != 0 && strcmp(v.decided_by, "spf") == 0)
			fail_msg("%s: unexpected SPF reply %d", c->label, v.reply.code);
	} else {
		if (v.reply.code != c->code)
			fail_msg("%s: reply %d, want %d", c->label, v.reply.code, c->code);
		assert_string_equal(v.reply.xcode, c->xcode);
		assert_string_equal(v.reply.text, c->text);
		assert_string_equal(v.decided_by, "spf");
	}
	if (c->helo_result != NULL)
		assert_string_equal(v.spf.helo_result, c->helo_result);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
	mw_generation_unref(g);
}

static void
test_stage(void **state)
{
	static const struct scan_case cases[] = {
		{ "pass", NULL, "192.0.2.1", "helo.test", "<alice@pass.test>", NULL, "done",
		  "pass (mx.example.net: domain of alice@pass.test designates 192.0.2.1 as "
		  "permitted sender) receiver=mx.example.net; client-ip=192.0.2.1; "
		  "envelope-from=\"alice@pass.test\"; helo=helo.test; identity=mailfrom;",
		  "mx.example.net; spf=pass smtp.mailfrom=pass.test", 0, NULL, NULL, "pass" },
		{ "IPv4-mapped client written as IPv4", NULL, "::ffff:192.0.2.1", "helo.test",
		  "<alice@pass.test>", NULL, "done",
		  "pass (mx.example.net: domain of alice@pass.test designates 192.0.2.1 as "
		  "permitted sender) receiver=mx.example.net; client-ip=192.0.2.1; "
		  "envelope-from=\"alice@pass.test\"; helo=helo.test; identity=mailfrom;",
		  "mx.example.net; spf=pass smtp.mailfrom=pass.test", 0, NULL, NULL, "pass" },
		{ "fail ipv6, helo fail", NULL, "2001:db8:99::1", "helo.test", "<bob@pass.test>",
		  NULL, "done",
		  "fail (mx.example.net: domain of bob@pass.test does not designate "
		  "2001:db8:99::1 as permitted sender) receiver=mx.example.net; "
		  "client-ip=2001:db8:99::1; envelope-from=\"bob@pass.test\"; helo=helo.test; "
		  "identity=mailfrom;",
		  "mx.example.net; spf=fail smtp.mailfrom=pass.test", 0, NULL, NULL, "fail" },
		{ "softfail", NULL, "198.51.100.1", "[198.51.100.1]", "<c@softfail.test>", NULL,
		  "done",
		  "softfail (mx.example.net: domain of transitioning c@softfail.test does not "
		  "designate 198.51.100.1 as permitted sender) receiver=mx.example.net; "
		  "client-ip=198.51.100.1; envelope-from=\"c@softfail.test\"; "
		  "helo=\"[198.51.100.1]\"; identity=mailfrom;",
		  "mx.example.net; spf=softfail smtp.mailfrom=softfail.test", 0, NULL, NULL, "" },
		{ "neutral", NULL, "198.51.100.1", "helo.test", "<d@neutral.test>", NULL, "done",
		  "neutral (mx.example.net: 198.51.100.1 is neither permitted nor denied by "
		  "domain of d@neutral.test) receiver=mx.example.net; client-ip=198.51.100.1; "
		  "envelope-from=\"d@neutral.test\"; helo=helo.test; identity=mailfrom;",
		  "mx.example.net; spf=neutral smtp.mailfrom=neutral.test", 0, NULL, NULL, NULL },
		{ "none", NULL, "198.51.100.1", "helo.test", "<e@none.test>", NULL, "done",
		  "none (mx.example.net: domain of e@none.test does not designate permitted "
		  "sender hosts) receiver=mx.example.net; client-ip=198.51.100.1; "
		  "envelope-from=\"e@none.test\"; helo=helo.test; identity=mailfrom;",
		  "mx.example.net; spf=none smtp.mailfrom=none.test", 0, NULL, NULL, NULL },
		{ "permerror", NULL, "198.51.100.1", "helo.test", "<f@bad.test>", NULL, "done",
		  "permerror (mx.example.net: error in processing during lookup of f@bad.test: "
		  "Unknown mechanism found) receiver=mx.example.net; client-ip=198.51.100.1; "
		  "envelope-from=\"f@bad.test\"; helo=helo.test; problem=\"Unknown mechanism "
		  "found\"; identity=mailfrom;",
		  "mx.example.net; spf=permerror smtp.mailfrom=bad.test", 0, NULL, NULL, NULL },
		{ "temperror", NULL, "198.51.100.1", "helo.test", "<g@temp.test>", NULL, "done",
		  "temperror (mx.example.net: error in processing during lookup of g@temp.test: "
		  "DNS lookup failed) receiver=mx.example.net; client-ip=198.51.100.1; "
		  "envelope-from=\"g@temp.test\"; helo=helo.test; problem=\"DNS lookup "
		  "failed\"; identity=mailfrom;",
		  "mx.example.net; spf=temperror smtp.mailfrom=temp.test", 0, NULL, NULL, NULL },
		{ "null sender: helo identity", NULL, "192.0.2.1", "helo.test", "<>", NULL,
		  "done",
		  "pass (mx.example.net: domain of helo.test designates 192.0.2.1 as permitted "
		  "sender) receiver=mx.example.net; client-ip=192.0.2.1; envelope-from=\"\"; "
		  "helo=helo.test; identity=helo;",
		  "mx.example.net; spf=pass smtp.helo=helo.test", 0, NULL, NULL, "pass" },
		{ "reject on fail", "default_spf_fail_action = reject", "198.51.100.1",
		  "helo.test", "<h@fail.test>", NULL, "done",
		  "fail (mx.example.net: domain of h@fail.test does not designate 198.51.100.1 "
		  "as permitted sender) receiver=mx.example.net; client-ip=198.51.100.1; "
		  "envelope-from=\"h@fail.test\"; helo=helo.test; identity=mailfrom;",
		  "mx.example.net; spf=fail smtp.mailfrom=fail.test", 550, "5.7.23",
		  "SPF check failed: fail.test does not designate 198.51.100.1 as permitted sender",
		  NULL },
		{ "reject with the domain's explanation", "default_spf_fail_action = reject",
		  "192.0.2.8", "helo.test", "<i@exp.test>", NULL, "done",
		  "fail (mx.example.net: domain of i@exp.test does not designate 192.0.2.8 as "
		  "permitted sender) receiver=mx.example.net; client-ip=192.0.2.8; "
		  "envelope-from=\"i@exp.test\"; helo=helo.test; identity=mailfrom;",
		  "mx.example.net; spf=fail smtp.mailfrom=exp.test", 550, "5.7.23",
		  "SPF check failed: Host 192.0.2.8 may not send for exp.test", NULL },
		{ "reject option, but softfail", "default_spf_fail_action = reject",
		  "198.51.100.1", "helo.test", "<c@softfail.test>", NULL, "done",
		  "softfail (mx.example.net: domain of transitioning c@softfail.test does not "
		  "designate 198.51.100.1 as permitted sender) receiver=mx.example.net; "
		  "client-ip=198.51.100.1; envelope-from=\"c@softfail.test\"; helo=helo.test; "
		  "identity=mailfrom;",
		  "mx.example.net; spf=softfail smtp.mailfrom=softfail.test", 0, NULL, NULL, NULL },
		{ "tempfail on temperror", "spf_temperror_action = tempfail", "198.51.100.1",
		  "helo.test", "<g@servfail.test>", NULL, "done",
		  "temperror (mx.example.net: error in processing during lookup of "
		  "g@servfail.test: DNS lookup failed) receiver=mx.example.net; "
		  "client-ip=198.51.100.1; envelope-from=\"g@servfail.test\"; helo=helo.test; "
		  "problem=\"DNS lookup failed\"; identity=mailfrom;",
		  "mx.example.net; spf=temperror smtp.mailfrom=servfail.test", 451, "4.7.24",
		  "SPF check of servfail.test failed temporarily, try again later", NULL },
		{ "configured authserv-id", "authserv_id = auth.example.com", "192.0.2.1",
		  "helo.test", "<alice@pass.test>", NULL, "done",
		  "pass (auth.example.com: domain of alice@pass.test designates 192.0.2.1 as "
		  "permitted sender) receiver=auth.example.com; client-ip=192.0.2.1; "
		  "envelope-from=\"alice@pass.test\"; helo=helo.test; identity=mailfrom;",
		  "auth.example.com; spf=pass smtp.mailfrom=pass.test", 0, NULL, NULL, NULL },
		{ "sender text is escaped", NULL, "198.51.100.1", "bad\"helo", "<\"x)y\"@fail.test>",
		  NULL, "done",
		  "fail (mx.example.net: domain of \"x\\)y\"@fail.test does not designate "
		  "198.51.100.1 as permitted sender) receiver=mx.example.net; "
		  "client-ip=198.51.100.1; envelope-from=\"\\\"x)y\\\"@fail.test\"; "
		  "helo=\"bad\\\"helo\"; identity=mailfrom;",
		  "mx.example.net; spf=fail smtp.mailfrom=fail.test", 0, NULL, NULL, "" },
		{ "authenticated", "default_spf_fail_action = reject", "198.51.100.1", "helo.test",
		  "<h@fail.test>", "alice", "authenticated", NULL, NULL, 0, NULL, NULL, NULL },
		{ "loopback", NULL, "127.0.0.1", "localhost", "<h@fail.test>", NULL,
		  "trusted-network", NULL, NULL, 0, NULL, NULL, NULL },
		{ "trusted network", "spf_trusted_networks = 198.51.100.0/25, 2001:db8::/32",
		  "198.51.100.1", "helo.test", "<h@fail.test>", NULL, "trusted-network", NULL,
		  NULL, 0, NULL, NULL, NULL },
		{ "trusted ipv6", "spf_trusted_networks = 2001:db8::/32", "2001:db8:99::1",
		  "helo.test", "<h@fail.test>", NULL, "trusted-network", NULL, NULL, 0, NULL,
		  NULL, NULL },
		{ "outside trusted", "spf_trusted_networks = 198.51.100.128/25", "198.51.100.1",
		  "helo.test", "<e@none.test>", NULL, "done",
		  "none (mx.example.net: domain of e@none.test does not designate permitted "
		  "sender hosts) receiver=mx.example.net; client-ip=198.51.100.1; "
		  "envelope-from=\"e@none.test\"; helo=helo.test; identity=mailfrom;",
		  "mx.example.net; spf=none smtp.mailfrom=none.test", 0, NULL, NULL, NULL },
		{ "disabled", "spf_check = no", "198.51.100.1", "helo.test", "<h@fail.test>",
		  NULL, "disabled", NULL, NULL, 0, NULL, NULL, NULL },
		{ "no helo check", "spf_check_helo = no", "2001:db8:99::1", "helo.test",
		  "<bob@pass.test>", NULL, "done",
		  "fail (mx.example.net: domain of bob@pass.test does not designate "
		  "2001:db8:99::1 as permitted sender) receiver=mx.example.net; "
		  "client-ip=2001:db8:99::1; envelope-from=\"bob@pass.test\"; helo=helo.test; "
		  "identity=mailfrom;",
		  "mx.example.net; spf=fail smtp.mailfrom=pass.test", 0, NULL, NULL, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_scan_case(&cases[i]);
	mw_spf_thread_cleanup();
}

/* The tag action marks the message and decides "tag". */
static void
test_tag(void **state)
{
	struct mw_generation *g = build(conf_with("default_spf_fail_action = tag"));
	struct mw_envelope env;
	struct mw_verdict v;
	const struct mw_header_edit *e;

	(void)state;
	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.client_addr, "198.51.100.1"), 0);
	assert_int_equal(mw_envelope_set(&env.helo, "helo.test"), 0);
	assert_int_equal(mw_envelope_set(&env.mail_from, "h@fail.test"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "rcpt@example.net"), 0);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);
	e = find_edit(&v, MW_HDR_ADD, "X-Mailwarden-SPF", 0);
	assert_non_null(e);
	assert_string_equal(e->value, "fail");
	assert_int_equal(v.action, MW_ACTION_TAG);
	assert_int_equal(v.reply.code, 0);
	/* no MTA host: the authserv-id falls back to the configured host name */
	e = find_edit(&v, MW_HDR_ADD, "Authentication-Results", 0);
	assert_non_null(e);
	assert_string_equal(e->value, "filter.example.net; spf=fail smtp.mailfrom=fail.test");
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
	mw_generation_unref(g);
	mw_spf_thread_cleanup();
}

/* The loaded SpamAssassin rules score the result through the eval functions.  Score
 * set 1 (network tests) gives SPF_SOFTFAIL and SPF_HELO_FAIL non-zero scores; in set
 * 0 only SPF_NONE/SPF_PASS and their HELO twins score. */
static bool
rule_hit(const struct mw_verdict *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->spam.nrules; i++)
		if (strcmp(v->spam.rules[i], name) == 0)
			return true;
	return false;
}

static void
test_score(void **state)
{
	static const struct {
		const char *conf, *ip, *helo, *from;
		const char *hit[2];
		const char *miss;
	} cases[] = {
		{ "score_set = 1", "198.51.100.1", "helo.test", "c@softfail.test",
		  { "SPF_SOFTFAIL", "SPF_HELO_FAIL" }, "SPF_PASS" },
		{ "score_set = 0", "192.0.2.1", "helo.test", "a@pass.test",
		  { "SPF_PASS", "SPF_HELO_PASS" }, "SPF_FAIL" },
		{ "score_set = 0", "198.51.100.1", "mx.nowhere.test", "e@none.test",
		  { "SPF_NONE", "SPF_HELO_NONE" }, "SPF_PASS" },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_generation *g = build(conf_with(cases[i].conf));
		struct mw_envelope env;
		struct mw_verdict v;

		mw_envelope_init(&env);
		assert_int_equal(mw_envelope_set(&env.client_addr, cases[i].ip), 0);
		assert_int_equal(mw_envelope_set(&env.helo, cases[i].helo), 0);
		assert_int_equal(mw_envelope_set(&env.mail_from, cases[i].from), 0);
		assert_int_equal(mw_envelope_add_rcpt(&env, "rcpt@example.net"), 0);
		mw_verdict_init(&v);
		assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);
		assert_int_equal(v.spam.status, MW_STAGE_DONE);
		for (j = 0; j < 2; j++)
			if (!rule_hit(&v, cases[i].hit[j]))
				fail_msg("case %zu: %s did not hit", i, cases[i].hit[j]);
		if (rule_hit(&v, cases[i].miss))
			fail_msg("case %zu: %s hit", i, cases[i].miss);
		mw_verdict_free(&v);
		mw_envelope_clear(&env);
		mw_generation_unref(g);
	}
	mw_spf_thread_cleanup();
}

/* --- eval functions ------------------------------------------------------------- */

static void
test_eval(void **state)
{
	static const char *const results[] = {
		"pass", "neutral", "none", "fail", "softfail", "permerror", "temperror",
	};
	struct mw_verdict v;
	struct mw_scan_ctx ctx = { .v = &v };
	struct mw_eval_args args = { 0, NULL };
	char name[64];
	size_t r, f, h;

	(void)state;
	for (h = 0; h < 2; h++)
		for (r = 0; r < 7; r++) {
			mw_verdict_init(&v);
			v.spf.status = MW_STAGE_DONE;
			snprintf(h ? v.spf.helo_result : v.spf.result, 16, "%s", results[r]);
			for (f = 0; f < 7; f++) {
				const struct mw_eval_entry *e;

				snprintf(name, sizeof(name), "check_for_spf_%s%s", h ? "helo_" : "",
				    results[f]);
				e = mw_eval_lookup(name);
				assert_non_null(e);
				assert_int_equal(e->fn(&ctx, &args), f == r);
				/* the other identity's functions never answer for this one */
				snprintf(name, sizeof(name), "check_for_spf_%s%s", h ? "" : "helo_",
				    results[f]);
				assert_int_equal(mw_eval_lookup(name)->fn(&ctx, &args), 0);
			}
			v.spf.status = MW_STAGE_SKIPPED;
			for (f = 0; f < 7; f++) {
				snprintf(name, sizeof(name), "check_for_spf_%s%s", h ? "helo_" : "",
				    results[f]);
				assert_int_equal(mw_eval_lookup(name)->fn(&ctx, &args), 0);
			}
		}
}

/* Every eval:check_for_spf_* that SpamAssassin's SPF rules name has an entry. */
static void
test_eval_names_from_rules(void **state)
{
	FILE *fp = fopen("/usr/share/spamassassin/25_spf.cf", "r");
	char line[1024], *p, *q;
	unsigned n = 0;

	(void)state;
	if (fp == NULL)
		fail_msg("/usr/share/spamassassin/25_spf.cf is required (spamassassin package)");
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((p = strstr(line, "eval:check_for_spf_")) == NULL ||
		    strstr(line, "welcomelist") || strstr(line, "whitelist"))
			continue;
		p += strlen("eval:");
		if ((q = strchr(p, '(')) == NULL)
			continue;
		*q = '\0';
		if (mw_eval_lookup(p) == NULL)
			fail_msg("no eval function for %s", p);
		n++;
	}
	fclose(fp);
	assert_true(n >= 14);
}

/* --- one server per thread, reused ---------------------------------------------- */

struct thread_arg {
	const struct mw_spf *spf;
	int	 failures;
};

static void *
thread_main(void *p)
{
	struct thread_arg *t = p;
	struct mw_spf_answer a;
	int i;

	for (i = 0; i < 200; i++) {
		const char *ip = (i % 2) ? "192.0.2.1" : "198.51.100.1";
		if (mw_spf_check(t->spf, ip, "x", "a@include.test", &a) != 0 ||
		    strcmp(res_of(&a), (i % 2) ? "pass" : "fail") != 0)
			t->failures++;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct mw_generation *g = build(conf_with(NULL));
	struct thread_arg args[4];
	pthread_t th[4];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		args[i].spf = g->spf;
		args[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	mw_generation_unref(g);
}

/* --- setup ------------------------------------------------------------------------ */

static int
setup(void **state)
{
	char path[128];
	FILE *fp;
	int i, j;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mw-test-spf-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/zone", tmpdir);
	fp = fopen(path, "w");
	if (fp == NULL || fputs(zone_text, fp) < 0)
		return -1;
	/* Include chains, each record with 9 a: terms and an include: within the
	 * per-record limit, so only a count over the whole check can stop them.
	 * deep1..deep15 is 150 lookups (too many), short1..short5 is 50. */
	for (i = 1; i <= 15; i++) {
		fprintf(fp, "deep%d.test TXT \"v=spf1", i);
		for (j = 1; j <= 9; j++)
			fprintf(fp, " a:n%d.deep%d.test", j, i);
		fprintf(fp, i < 15 ? " include:deep%d.test -all\"\n" : " -all\"\n", i + 1);
	}
	for (i = 1; i <= 5; i++) {
		fprintf(fp, "short%d.test TXT \"v=spf1", i);
		for (j = 1; j <= 9; j++)
			fprintf(fp, " a:n%d.short%d.test", j, i);
		fprintf(fp, i < 5 ? " include:short%d.test -all\"\n" : " ip4:192.0.2.99 -all\"\n",
		    i + 1);
	}
	if (fclose(fp) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const files[] = {
		"zone", "mailwarden.conf", "bad.conf", "dnsmasq.conf", "dnsmasq.log",
	};
	char path[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	mw_spf_thread_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_parse_errors),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_results_zone),
		cmocka_unit_test(test_problem_and_explanation),
		cmocka_unit_test(test_dns_not_answering),
		cmocka_unit_test(test_real_dns),
		cmocka_unit_test(test_stage),
		cmocka_unit_test(test_tag),
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_eval_names_from_rules),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
