/*
 * test_av - virus scanning with the real libclamav and a signature database made at
 * test time from Debian's clamav-testfiles: every test file as a base64 attachment
 * with each virus action, limits, scanner failure, reply templates, engine sharing
 * between generations, and database reload under load (new signature seen, corrupt
 * database keeps the old engine).
 */
#include "config.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "av.h"
#include "buf.h"
#include "envelope.h"
#include "generation.h"
#include "output.h"
#include "scan.h"
#include "verdict.h"

#define TESTFILES	"/usr/share/clamav-testfiles"
#define TEST_SIG	"ClamAV-Test-File.UNOFFICIAL"

static char tmpdir[64];
static char dbdir[128];

/* --- helpers ------------------------------------------------------------------- */

static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
write_file(const char *path, const char *text)
{
	char tmp[512];
	FILE *fp;

	/* rename() so a watcher never sees a half-written file, as freshclam does. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* "md5:size:name" for a file, the .hdb line format. */
static void
hdb_line(const char *path, const char *name, char *out, size_t outlen)
{
	unsigned char md5[16];
	unsigned int mlen = sizeof(md5);
	size_t len, i, o;
	char *data = read_file(path, &len);

	assert_non_null(cl_hash_data("md5", data, len, md5, &mlen));
	free(data);
	for (i = 0, o = 0; i < 16; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", md5[i]);
	snprintf(out + o, outlen - o, ":%zu:%s\n", len, name);
}

/* The EICAR test string, assembled at run time so no source file carries it. */
static void
eicar(char *out, size_t outlen)
{
	static const char *const parts[] = {
		"X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
	};
	snprintf(out, outlen, "%s%s", parts[0], parts[1]);
}

static void
b64(const unsigned char *in, size_t n, struct mw_buf *b)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		mw_buf_putc(b, tbl[(v >> 18) & 63]);
		mw_buf_putc(b, tbl[(v >> 12) & 63]);
		mw_buf_putc(b, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
		mw_buf_putc(b, i + 2 < n ? tbl[v & 63] : '=');
		if ((col += 4) >= 76) {
			mw_buf_putc(b, '\n');
			col = 0;
		}
	}
	mw_buf_putc(b, '\n');
}

/* A message with the file as a base64 attachment; first_header lets a test start
 * the message with an unusual field (mail detection must not depend on it). */
static char *
mail_with_attachment(const char *path, const char *first_header, size_t *len)
{
	struct mw_buf b;
	size_t n;
	char *data = read_file(path, &n);
	const char *base = strrchr(path, '/');

	mw_buf_init(&b, 0);
	mw_buf_printf(&b, "%sFrom: a@example.org\nTo: b@example.net\nSubject: file\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XyZ\"\n\n"
	    "--XyZ\nContent-Type: text/plain\n\nsee attachment\n--XyZ\n"
	    "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment; filename=\"%s\"\n\n",
	    first_header ? first_header : "", base ? base + 1 : path);
	b64((const unsigned char *)data, n, &b);
	mw_buf_puts(&b, "--XyZ--\n");
	free(data);
	assert_false(b.truncated);
	*len = b.len;
	return mw_buf_steal(&b);
}

static const char clean_msg[] =
    "Received: from x by y\nFrom: a@example.org\nTo: b@example.net\nSubject: hello\n\n"
    "Nothing to see here.\n";

/* Write a configuration and build a generation from it. */
static struct mw_generation *
build_gen(const char *extra, struct mw_diag *d)
{
	char path[256], text[4096];

	snprintf(path, sizeof(path), "%s/mailwarden.conf", tmpdir);
	snprintf(text, sizeof(text), "hostname = mx.test\ntmpdir = %s\n%s\n", tmpdir,
	    extra ? extra : "");
	write_file(path, text);
	mw_diag_init(d);
	return mw_generation_build(path, false, 1, d);
}

static struct mw_generation *
build_ok(const char *extra)
{
	struct mw_diag d;
	struct mw_generation *g = build_gen(extra, &d);
	size_t i;

	for (i = 0; g == NULL && i < d.n; i++)
		print_error("diag: %s\n", d.v[i].text);
	mw_diag_free(&d);
	assert_non_null(g);
	return g;
}

/* Build must fail; the diagnostics must mention want. */
static void
build_fails(const char *extra, const char *want)
{
	struct mw_diag d;
	struct mw_generation *g = build_gen(extra, &d);
	bool found = false;
	size_t i;

	assert_null(g);
	for (i = 0; i < d.n; i++)
		if (d.v[i].level == MW_DIAG_ERROR && strstr(d.v[i].text, want) != NULL)
			found = true;
	if (!found)
		for (i = 0; i < d.n; i++)
			print_error("diag: %s (wanted '%s')\n", d.v[i].text, want);
	assert_true(found);
	mw_diag_free(&d);
}

static char *
db_conf(const char *more)
{
	static char s[1024];

	snprintf(s, sizeof(s), "clamav_database = %s\n%s", dbdir, more ? more : "");
	return s;
}

static void
scan(struct mw_generation *g, const char *msg, size_t len, struct mw_verdict *v)
{
	struct mw_envelope env;
	int rc;

	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set_path(&env.mail_from, "<a@example.org>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<b@example.net>"), 0);
	mw_verdict_init(v);
	rc = mw_scan(g, &env, msg, len, len, v);
	if (rc != 0)
		print_error("mw_scan failed: decided_by %s, virus status %d error '%s', "
		    "spam status %d\n", v->decided_by, v->virus.status, v->virus.error,
		    v->spam.status);
	assert_int_equal(rc, 0);
	mw_envelope_clear(&env);
}

static const char *
added_header(const struct mw_verdict *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nedits; i++)
		if (v->edits[i].op == MW_HDR_ADD && strcmp(v->edits[i].name, name) == 0)
			return v->edits[i].value;
	return NULL;
}

static void
log_line(const struct mw_generation *g, const struct mw_verdict *v, char *out, size_t len)
{
	struct mw_envelope env;
	struct mw_buf b;

	mw_envelope_init(&env);
	mw_buf_init(&b, 8192);
	assert_int_equal(mw_output_log_record(g, &env, v, &b), 0);
	snprintf(out, len, "%s", b.data);
	mw_buf_free(&b);
	mw_envelope_clear(&env);
}

/* --- fixtures ------------------------------------------------------------------- */

static int
group_setup(void **state)
{
	char line[256], path[512], sigs[1024];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mw-test-av.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dbdir, sizeof(dbdir), "%s/db", tmpdir);
	if (mkdir(dbdir, 0700) < 0)
		return -1;
	cl_init(CL_INIT_DEFAULT);	/* for cl_hash_data before the first engine */
	snprintf(path, sizeof(path), "%s/clam.exe", TESTFILES);
	hdb_line(path, "ClamAV-Test-File", line, sizeof(line));
	snprintf(sigs, sizeof(sigs), "%s", line);
	snprintf(path, sizeof(path), "%s/test.hdb", dbdir);
	write_file(path, sigs);
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- tests ----------------------------------------------------------------------- */

/* Every file of clamav-testfiles, attached in base64, with each virus action. */
static void
test_every_testfile_each_action(void **state)
{
	static const struct {
		const char *conf;
		enum mw_action action;
		int code;
	} actions[] = {
		{ "default_virus_action = reject", MW_ACTION_REJECT, 550 },
		{ "default_virus_action = hold", MW_ACTION_HOLD, 0 },
		{ "default_virus_action = discard", MW_ACTION_DISCARD, 0 },
	};
	size_t a, nfiles = 0;

	(void)state;
	for (a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
		struct mw_generation *g = build_ok(db_conf(actions[a].conf));
		DIR *dir = opendir(TESTFILES);
		struct dirent *de;

		assert_non_null(dir);
		nfiles = 0;
		while ((de = readdir(dir)) != NULL) {
			char path[512], logl[8192];
			struct mw_verdict v;
			size_t len;
			char *msg;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", TESTFILES, de->d_name);
			msg = mail_with_attachment(path, NULL, &len);
			scan(g, msg, len, &v);
			if (strcmp(de->d_name, "clam_cache_emax.tgz") == 0) {
				/* Built to exceed ClamAV's limits: inside a mail its nesting
				 * passes MaxRecursion 17 before the test file is reached. */
				assert_int_equal(v.virus.state, MW_VIRUS_LIMIT);
				assert_string_equal(v.virus.limit, "MaxRecursion");
				assert_int_equal(v.action, MW_ACTION_ACCEPT);
				mw_verdict_free(&v);
				free(msg);
				nfiles++;
				continue;
			}
			if (v.virus.state != MW_VIRUS_INFECTED)
				print_error("not detected: %s (state %d, %s, %s)\n", de->d_name,
				    v.virus.state, v.virus.error, v.virus.limit);
			assert_int_equal(v.virus.status, MW_STAGE_DONE);
			assert_int_equal(v.virus.state, MW_VIRUS_INFECTED);
			assert_string_equal(v.virus.name, TEST_SIG);
			assert_int_equal(v.action, actions[a].action);
			assert_string_equal(v.decided_by, "virus");
			assert_int_equal(v.reply.code, actions[a].code);
			assert_string_equal(added_header(&v, "X-Virus-Status"),
			    "Infected (" TEST_SIG ")");
			assert_string_equal(added_header(&v, "X-Virus-Scanned"),
			    "mailwarden " PACKAGE_VERSION " on mx.test");
			if (actions[a].action == MW_ACTION_REJECT) {
				assert_string_equal(v.reply.xcode, "5.7.1");
				assert_string_equal(v.reply.text,
				    "Message rejected: virus found (" TEST_SIG ")");
			}
			if (actions[a].action == MW_ACTION_HOLD)
				assert_string_equal(v.hold_reason, "virus " TEST_SIG);
			log_line(g, &v, logl, sizeof(logl));
			assert_non_null(strstr(logl, " virus=infected:" TEST_SIG " virus_ms="));
			mw_verdict_free(&v);
			free(msg);
			nfiles++;
		}
		closedir(dir);
		mw_generation_unref(g);
	}
	assert_true(nfiles >= 40);	/* the package has 44; a broken glob must not pass */
}

static void
test_clean_and_odd_first_header(void **state)
{
	struct mw_generation *g = build_ok(db_conf(NULL));
	struct mw_verdict v;
	char path[512], logl[8192];
	size_t len;
	char *msg;

	(void)state;
	scan(g, clean_msg, strlen(clean_msg), &v);
	assert_int_equal(v.virus.status, MW_STAGE_DONE);
	assert_int_equal(v.virus.state, MW_VIRUS_CLEAN);
	assert_int_equal(v.action, MW_ACTION_ACCEPT);
	assert_string_equal(added_header(&v, "X-Virus-Status"), "Clean");
	assert_non_null(added_header(&v, "X-Virus-Scanned"));
	log_line(g, &v, logl, sizeof(logl));
	assert_non_null(strstr(logl, " virus=clean virus_ms="));
	mw_verdict_free(&v);

	/* ClamAV must see mail even when the first field is not a usual one. */
	snprintf(path, sizeof(path), "%s/clam.zip", TESTFILES);
	msg = mail_with_attachment(path, "x-weird:y\n", &len);
	scan(g, msg, len, &v);
	assert_int_equal(v.virus.state, MW_VIRUS_INFECTED);
	mw_verdict_free(&v);
	free(msg);
	mw_generation_unref(g);
}

/* A limit that stops the scan is reported by name, handled per clamav_on_limit. */
static void
test_limits(void **state)
{
	static const struct {
		const char *conf;
		enum mw_action action;
		const char *status;	/* X-Virus-Status, NULL when tempfailed */
		bool tag_header;
	} cases[] = {
		{ "clamav_on_limit = accept", MW_ACTION_ACCEPT,
		  "Incomplete (MaxFileSize limit exceeded)", false },
		{ "clamav_on_limit = tag", MW_ACTION_TAG,
		  "Incomplete (MaxFileSize limit exceeded)", true },
		{ "clamav_on_limit = tempfail", MW_ACTION_TEMPFAIL, NULL, false },
	};
	char path[512], conf[256], logl[8192];
	size_t i, len;
	char *msg;

	(void)state;
	/* An attachment larger than max_filesize, harmless content. */
	snprintf(path, sizeof(path), "%s/big.bin", tmpdir);
	{
		char *big = malloc(200000);
		FILE *fp = fopen(path, "wb");
		size_t k;
		assert_non_null(big);
		assert_non_null(fp);
		for (k = 0; k < 200000; k++)
			big[k] = (char)(k * 7 + k / 13);
		assert_int_equal(fwrite(big, 1, 200000, fp), 200000);
		assert_int_equal(fclose(fp), 0);
		free(big);
	}
	msg = mail_with_attachment(path, NULL, &len);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_generation *g;
		struct mw_verdict v;

		snprintf(conf, sizeof(conf), "clamav_max_filesize = 100k\n%s", cases[i].conf);
		g = build_ok(db_conf(conf));
		scan(g, msg, len, &v);
		if (v.virus.state != MW_VIRUS_LIMIT)
			print_error("limit case %zu: state %d name '%s'\n", i, v.virus.state,
			    v.virus.name);
		assert_int_equal(v.virus.state, MW_VIRUS_LIMIT);
		assert_string_equal(v.virus.limit, "MaxFileSize");
		assert_int_equal(v.action, cases[i].action);
		if (cases[i].status)
			assert_string_equal(added_header(&v, "X-Virus-Status"), cases[i].status);
		else {
			assert_int_equal(v.reply.code, 451);
			assert_string_equal(v.reply.xcode, "4.3.0");
		}
		assert_int_equal(added_header(&v, "X-Mailwarden-Virus-Limit") != NULL,
		    cases[i].tag_header);
		log_line(g, &v, logl, sizeof(logl));
		assert_non_null(strstr(logl, " virus=limit:MaxFileSize "));
		mw_verdict_free(&v);
		mw_generation_unref(g);
	}
	free(msg);
}

/* Scanner failure (here: the clamd backend is not there) -> clamav_on_error. */
static void
test_scan_error_actions(void **state)
{
	char conf[512], logl[8192];
	struct mw_generation *g;
	struct mw_verdict v;

	(void)state;
	snprintf(conf, sizeof(conf), "clamav_backend = clamd:%s/no-such.sock\n"
	    "clamav_on_error = tempfail", tmpdir);
	g = build_ok(conf);
	scan(g, clean_msg, strlen(clean_msg), &v);
	assert_int_equal(v.virus.status, MW_STAGE_ERROR);
	assert_int_equal(v.action, MW_ACTION_TEMPFAIL);
	assert_int_equal(v.reply.code, 451);
	assert_string_equal(v.reply.xcode, "4.3.0");
	assert_null(added_header(&v, "X-Virus-Scanned"));
	assert_non_null(strstr(v.virus.error, "No such file or directory"));
	log_line(g, &v, logl, sizeof(logl));
	assert_non_null(strstr(logl, " virus=error:clamd"));
	assert_null(strstr(logl, "virus_unscanned"));
	mw_verdict_free(&v);
	mw_generation_unref(g);

	snprintf(conf, sizeof(conf), "clamav_backend = clamd:%s/no-such.sock\n"
	    "clamav_on_error = accept", tmpdir);
	g = build_ok(conf);
	scan(g, clean_msg, strlen(clean_msg), &v);
	assert_int_equal(v.virus.status, MW_STAGE_ERROR);
	assert_int_equal(v.action, MW_ACTION_ACCEPT);
	assert_true(v.virus.accepted_unscanned);
	assert_string_equal(added_header(&v, "X-Virus-Status"), "Unscanned (scanner error)");
	assert_null(added_header(&v, "X-Virus-Scanned"));
	log_line(g, &v, logl, sizeof(logl));
	assert_non_null(strstr(logl, " virus_unscanned=accepted"));
	mw_verdict_free(&v);
	mw_generation_unref(g);
}

/* The in-process engine failing mid-operation (its scratch directory vanished) is a
 * scanner error too, handled by clamav_on_error like a dead clamd. */
static void
test_local_scan_error(void **state)
{
	char conf[512], scratch[256], path[512];
	struct mw_generation *g;
	struct mw_verdict v;
	size_t len;
	char *msg;

	(void)state;
	snprintf(scratch, sizeof(scratch), "%s/scratch", tmpdir);
	assert_int_equal(mkdir(scratch, 0700), 0);
	snprintf(conf, sizeof(conf), "clamav_tmpdir = %s\nclamav_on_error = tempfail", scratch);
	g = build_ok(db_conf(conf));
	assert_int_equal(rmdir(scratch), 0);
	snprintf(path, sizeof(path), "%s/clam.zip", TESTFILES);
	msg = mail_with_attachment(path, NULL, &len);
	scan(g, msg, len, &v);
	assert_int_equal(v.virus.status, MW_STAGE_ERROR);
	assert_int_equal(v.virus.state, MW_VIRUS_FAILED);
	assert_non_null(strstr(v.virus.error, "libclamav: "));
	assert_int_equal(v.action, MW_ACTION_TEMPFAIL);
	assert_int_equal(v.reply.code, 451);
	assert_string_equal(v.reply.xcode, "4.3.0");
	mw_verdict_free(&v);
	free(msg);
	mw_generation_unref(g);

	/* And at start-up the same directory is refused outright. */
	build_fails(db_conf(conf), "clamav_tmpdir/tmpdir");
}

/* Configuration errors are refused at build time with a clear reason. */
static void
test_config_errors(void **state)
{
	char conf[512], path[512];

	(void)state;
	snprintf(conf, sizeof(conf), "clamav_database = %s/missing", tmpdir);
	build_fails(conf, "missing: No such file or directory");

	/* A corrupt database at start is an error naming it, not an empty engine. */
	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/bad/broken.hdb", tmpdir);
	write_file(path, "this is not a signature\n");
	snprintf(conf, sizeof(conf), "clamav_database = %s/bad", tmpdir);
	build_fails(conf, "cannot load database");

	build_fails(db_conf("virus_reject_text = found %s"), "unknown escape '%s'");
	build_fails("clamav_backend = clamd:", "clamav_backend");
	build_fails("clamav_backend = clamd:localhost", "clamav_backend");
	build_fails("clamav_backend = icap:x", "expected local or clamd:ADDRESS");
	build_fails("clamav_on_limit = ignore", "clamav_on_limit");
}

/* The default location may hold no database: say so loudly, never pretend. */
static void
test_default_database(void **state)
{
	struct mw_diag d;
	struct mw_generation *g;
	struct mw_verdict v;
	char line[1024];
	bool warned = false;
	size_t i;
	bool absent;
	struct stat st;

	(void)state;
	absent = stat(MW_AV_DEFAULT_DATABASE, &st) < 0;
	if (!absent) {
		DIR *dir = opendir(MW_AV_DEFAULT_DATABASE);
		struct dirent *de;
		absent = true;
		while (dir && (de = readdir(dir)) != NULL) {
			const char *dot = strrchr(de->d_name, '.');
			if (dot && (strcmp(dot, ".cvd") == 0 || strcmp(dot, ".cld") == 0 ||
			    strcmp(dot, ".hdb") == 0 || strcmp(dot, ".ndb") == 0))
				absent = false;
		}
		if (dir)
			closedir(dir);
	}
	g = build_gen("", &d);
	assert_non_null(g);
	for (i = 0; i < d.n; i++)
		if (d.v[i].level == MW_DIAG_WARNING && strstr(d.v[i].text, "SKIPPED"))
			warned = true;
	mw_diag_free(&d);
	assert_int_equal(warned, absent);
	assert_int_equal(mw_av_describe(g->av, line, sizeof(line)), !absent);
	scan(g, clean_msg, strlen(clean_msg), &v);
	if (absent) {
		assert_non_null(strstr(line, "NO DATABASE"));
		assert_int_equal(v.virus.status, MW_STAGE_SKIPPED);
		assert_string_equal(v.virus.reason, "no_database");
		assert_null(added_header(&v, "X-Virus-Scanned"));
		assert_string_equal(added_header(&v, "X-Virus-Status"),
		    "Unscanned (no virus database)");
		log_line(g, &v, line, sizeof(line));
		assert_non_null(strstr(line, " virus=skipped:no_database"));
	} else
		assert_int_equal(v.virus.status, MW_STAGE_DONE);
	mw_verdict_free(&v);
	mw_generation_unref(g);
}

static void
test_reply_template(void **state)
{
	static const struct {
		const char *tmpl, *virus, *want;
	} ok[] = {
		{ "Virus %v found", "Win.Test-1", "Virus Win.Test-1 found" },
		{ "100%% sure: %v", "X", "100% sure: X" },
		{ "no name", "X", "no name" },
		{ "%v", "bad name%s (x)\r\n", "bad_name_s__x___" },
		{ "%v%v", "A", "AA" },
	};
	static const char *const bad[] = { "%s", "trail %", "%d%v", "tab\there" };
	char out[512], why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(mw_av_check_reply_template(ok[i].tmpl, why, sizeof(why)), 0);
		mw_av_format_reply(ok[i].tmpl, ok[i].virus, out, sizeof(out));
		assert_string_equal(out, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mw_av_check_reply_template(bad[i], why, sizeof(why)), -1);
	mw_av_format_reply("%v and more", "LONGNAME", out, 6);
	assert_string_equal(out, "LONGN");
}

/* Generations with equal database settings share one engine; others get their own. */
static void
test_engine_shared(void **state)
{
	/* Settings no other test uses, so a slot leaked by a failed test cannot match. */
	unsigned before = mw_av_slot_count();
	struct mw_generation *g1 = build_ok(db_conf("clamav_max_recursion = 33"));
	struct mw_generation *g2 = build_ok(db_conf("clamav_max_recursion = 33\n"
	    "default_virus_action = hold"));
	struct mw_generation *g3;

	(void)state;
	assert_int_equal(mw_av_slot_count(), before + 1);
	g3 = build_ok(db_conf("clamav_max_recursion = 33\nclamav_max_files = 500"));
	assert_int_equal(mw_av_slot_count(), before + 2);
	mw_generation_unref(g1);
	assert_int_equal(mw_av_slot_count(), before + 2);
	mw_generation_unref(g2);
	assert_int_equal(mw_av_slot_count(), before + 1);
	mw_generation_unref(g3);
	assert_int_equal(mw_av_slot_count(), before);
}

/* --- reload under load ------------------------------------------------------------- */

struct load {
	struct mw_generation *g;
	const char *msg;
	size_t len;
	atomic_bool stop;
	atomic_ulong scans, failures;
};

static void *
scanner_thread(void *arg)
{
	struct load *l = arg;
	struct mw_verdict v;

	while (!atomic_load(&l->stop)) {
		scan(l->g, l->msg, l->len, &v);
		/* Each scan must finish on a whole engine: old or new, never none. */
		if (v.virus.status != MW_STAGE_DONE || v.virus.state != MW_VIRUS_INFECTED)
			atomic_fetch_add(&l->failures, 1);
		atomic_fetch_add(&l->scans, 1);
		mw_verdict_free(&v);
	}
	return NULL;
}

static void
test_reload_under_load(void **state)
{
	char path[512], line[256], sigs[1024], eicar_s[80], desc[1024];
	struct load l = { 0 };
	struct mw_verdict v;
	pthread_t th[3];
	unsigned long reloads = mw_av_reload_count(), scans_before;
	size_t i, len;
	char *zipmsg;
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	(void)state;
	/* Its own database directory, so other tests are not disturbed. */
	snprintf(path, sizeof(path), "%s/rdb", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/clam.exe", TESTFILES);
	hdb_line(path, "ClamAV-Test-File", line, sizeof(line));
	snprintf(path, sizeof(path), "%s/rdb/main.hdb", tmpdir);
	write_file(path, line);
	snprintf(sigs, sizeof(sigs), "clamav_database = %s/rdb\n", tmpdir);
	l.g = build_ok(sigs);

	snprintf(path, sizeof(path), "%s/clam.zip", TESTFILES);
	zipmsg = mail_with_attachment(path, NULL, &len);
	l.msg = zipmsg;
	l.len = len;

	/* Before: EICAR is not known. */
	eicar(eicar_s, sizeof(eicar_s));
	{
		char m[256];
		snprintf(m, sizeof(m), "From: a@b\nSubject: t\n\n%s\n", eicar_s);
		scan(l.g, m, strlen(m), &v);
		assert_int_equal(v.virus.state, MW_VIRUS_CLEAN);
		mw_verdict_free(&v);
	}

	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, scanner_thread, &l), 0);
	nanosleep(&pause, NULL);

	/* Add a signature for EICAR while scans run; the check loads it alongside. */
	{
		char hex[200] = "";
		size_t k;
		for (k = 0; eicar_s[k]; k++)
			snprintf(hex + 2 * k, sizeof(hex) - 2 * k, "%02x", (unsigned char)eicar_s[k]);
		snprintf(sigs, sizeof(sigs), "Mailwarden-Test-Eicar:0:*:%s\n", hex);
		snprintf(path, sizeof(path), "%s/rdb/eicar.ndb", tmpdir);
		write_file(path, sigs);
	}
	assert_int_equal(mw_av_check_now(false), 0);
	assert_int_equal(mw_av_reload_count(), reloads + 1);
	/* Nothing changed since: no second reload. */
	assert_int_equal(mw_av_check_now(false), 0);
	assert_int_equal(mw_av_reload_count(), reloads + 1);

	/* A corrupt database: the reload fails, the old engine keeps working. */
	snprintf(path, sizeof(path), "%s/rdb/broken.ndb", tmpdir);
	write_file(path, "garbage without colons\n");
	assert_int_equal(mw_av_check_now(false), 1);
	assert_int_equal(mw_av_reload_count(), reloads + 1);
	assert_true(mw_av_describe(l.g->av, desc, sizeof(desc)));
	assert_non_null(strstr(desc, "last reload failed"));

	scans_before = atomic_load(&l.scans);
	while (atomic_load(&l.scans) < scans_before + 6)
		nanosleep(&pause, NULL);
	atomic_store(&l.stop, true);
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&l.failures), 0);
	assert_true(atomic_load(&l.scans) > 6);

	/* After: the new signature is used (the engine loaded before the corruption). */
	{
		char m[256];
		snprintf(m, sizeof(m), "From: a@b\nSubject: t\n\n%s\n", eicar_s);
		scan(l.g, m, strlen(m), &v);
		assert_int_equal(v.virus.state, MW_VIRUS_INFECTED);
		assert_string_equal(v.virus.name, "Mailwarden-Test-Eicar.UNOFFICIAL");
		mw_verdict_free(&v);
	}

	/* Fixing the database is picked up by the next check. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mw_av_check_now(false), 0);
	assert_int_equal(mw_av_reload_count(), reloads + 2);
	free(zipmsg);
	mw_generation_unref(l.g);
}

/* The watcher thread checks on request (SIGHUP): a changed database is reloaded at
 * once, long before the (hour-long) interval, and reported. */
static atomic_int reported_info;

static void
reporter(enum mw_av_event_level lvl, const char *text)
{
	if (lvl == MW_AV_EVENT_INFO && strstr(text, "reloaded") != NULL)
		atomic_fetch_add(&reported_info, 1);
}

static void
test_watcher_request(void **state)
{
	struct mw_generation *g = build_ok(db_conf("clamav_check_interval = 3600"));
	unsigned long before = mw_av_reload_count();
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	char path[512], line[256];
	int waited;

	(void)state;
	mw_av_set_reporter(reporter);
	assert_int_equal(mw_av_watcher_start(), 0);
	/* Unchanged: a request checks, and loads nothing. */
	mw_av_request_reload();
	for (waited = 0; waited < 50; waited++)
		nanosleep(&pause, NULL);
	assert_int_equal(mw_av_reload_count(), before);
	/* Changed: a request loads it. */
	snprintf(path, sizeof(path), "%s/clam.zip", TESTFILES);
	hdb_line(path, "Mailwarden-Test-Zip", line, sizeof(line));
	snprintf(path, sizeof(path), "%s/zip.hdb", dbdir);
	write_file(path, line);
	mw_av_request_reload();
	for (waited = 0; mw_av_reload_count() == before && waited < 1000; waited++)
		nanosleep(&pause, NULL);	/* at most 10 s */
	mw_av_watcher_stop();
	mw_av_watcher_stop();		/* twice is harmless */
	mw_av_set_reporter(NULL);
	assert_true(mw_av_reload_count() > before);
	assert_true(atomic_load(&reported_info) >= 1);
	assert_int_equal(unlink(path), 0);
	mw_generation_unref(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_template),
		cmocka_unit_test(test_clean_and_odd_first_header),
		cmocka_unit_test(test_every_testfile_each_action),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scan_error_actions),
		cmocka_unit_test(test_local_scan_error),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_default_database),
		cmocka_unit_test(test_engine_shared),
		cmocka_unit_test(test_reload_under_load),
		cmocka_unit_test(test_watcher_request),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
