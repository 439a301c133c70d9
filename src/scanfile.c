/*
 * scanfile - the offline driver.  Same envelope, same mw_scan(), same output
 * functions as the milter: only the source of the bytes differs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "envelope.h"
#include "output.h"
#include "policy.h"
#include "scan.h"
#include "scanfile.h"
#include "verdict.h"

int
mw_scanfile_map(const char *path, const char **data, size_t *len, void **base,
    size_t *base_len)
{
	struct stat st;
	const char *p;
	void *m = NULL;
	size_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	n = (size_t)st.st_size;
	if (n > 0 && (m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	close(fd);
	*base = m;
	*base_len = n;
	p = m ? m : "";
	/* An mbox "From " separator line is not part of the message. */
	if (n >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', n);
		size_t skip = nl ? (size_t)(nl - p) + 1 : n;
		p += skip;
		n -= skip;
	}
	*data = p;
	*len = n;
	return 0;
}

void
mw_scanfile_unmap(void *base, size_t base_len)
{
	if (base != NULL)
		munmap(base, base_len);
}

int
mw_scanfile_envelope(const struct mw_scanfile_opts *o, struct mw_envelope *e)
{
	size_t i;

	mw_envelope_init(e);
	if (mw_envelope_set(&e->queue_id, o->queue_id) < 0 ||
	    mw_envelope_set_path(&e->mail_from, o->from ? o->from : "") < 0 ||
	    mw_envelope_set(&e->client_addr, o->client_ip) < 0 ||
	    mw_envelope_set(&e->client_name, o->client_name) < 0 ||
	    mw_envelope_set(&e->helo, o->helo) < 0 ||
	    mw_envelope_set(&e->auth_authen, o->auth) < 0 ||
	    mw_envelope_set(&e->tls.version, o->tls_version) < 0 ||
	    mw_envelope_set(&e->tls.cipher, o->tls_cipher) < 0)
		return -1;
	e->tls.bits = o->tls_bits;
	for (i = 0; i < o->nrcpts; i++)
		if (mw_envelope_add_rcpt(e, o->rcpts[i]) < 0)
			return -1;
	return 0;
}

int
mw_scanfile_run(const struct mw_generation *g, const struct mw_scanfile_opts *o,
    char *const *files, int nfiles)
{
	struct mw_envelope env;
	struct mw_buf out;
	int i, ex = EX_OK;

	if (mw_scanfile_envelope(o, &env) < 0) {
		fprintf(stderr, "mailwarden: out of memory\n");
		mw_envelope_clear(&env);
		return EX_OSERR;
	}
	mw_buf_init(&out, 0);
	for (i = 0; i < nfiles; i++) {
		struct mw_verdict v;
		const char *data;
		size_t len, base_len;
		void *base;

		if (mw_scanfile_map(files[i], &data, &len, &base, &base_len) < 0) {
			fprintf(stderr, "mailwarden: %s: %s\n", files[i], strerror(errno));
			ex = EX_NOINPUT;
			continue;
		}
		mw_verdict_init(&v);
		/* As in the milter, nothing beyond max_message_size is looked at. */
		mw_scan(g, &env, data,
		    len > (size_t)g->conf->max_message_size ? (size_t)g->conf->max_message_size : len,
		    len, &v);
		mw_buf_reset(&out);
		if (o->json)
			mw_output_json(&env, &v, files[i], &out);
		else
			mw_output_log_record(g, &env, &v, &out);
		printf("%s\n", out.data ? out.data : "");
		mw_verdict_free(&v);
		mw_scanfile_unmap(base, base_len);
	}
	if (fflush(stdout) != 0)
		ex = EX_IOERR;
	mw_buf_free(&out);
	mw_envelope_clear(&env);
	return ex;
}
