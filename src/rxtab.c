/*
 * rxtab - fixed pattern tables compiled once (see rxtab.h).
 */
#include "config.h"

#include "rxtab.h"

/* pthread_once takes no argument: the table being compiled is handed over here,
 * under a lock, so tables compile one at a time. */
static pthread_mutex_t compiling_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mw_rxtab *compiling;

static void
compile_table(void)
{
	struct mw_rxtab *t = compiling;
	size_t i;
	int ec;
	PCRE2_SIZE eo;

	t->ok = true;
	for (i = 0; i < t->nsrc; i++) {
		const struct mw_rxtab_src *s = &t->src[i];
		pcre2_code *c;

		if (s->id < 0 || (size_t)s->id >= t->ncodes) {
			t->ok = false;
			continue;
		}
		c = pcre2_compile((PCRE2_SPTR)s->re, PCRE2_ZERO_TERMINATED, s->opt, &ec, &eo,
		    NULL);
		if (c == NULL) {
			t->ok = false;
			continue;
		}
		(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);	/* interpreted if JIT fails */
		t->codes[s->id] = c;
	}
	for (i = 0; i < t->ncodes; i++)
		if (t->codes[i] == NULL)
			t->ok = false;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
}

bool
mw_rxtab_ready(struct mw_rxtab *t)
{
	int rc;

	if (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE))	/* the usual case: no lock */
		return t->ok;
	if (pthread_mutex_lock(&compiling_lock) != 0)
		return false;
	compiling = t;
	rc = pthread_once(&t->once, compile_table);
	compiling = NULL;
	pthread_mutex_unlock(&compiling_lock);
	return rc == 0 && t->ok;
}
