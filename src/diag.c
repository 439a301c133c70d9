/*
 * diag - collected configuration diagnostics.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"

void
mw_diag_init(struct mw_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
mw_diag_free(struct mw_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void
mw_diag_add(struct mw_diag *d, enum mw_diag_level lvl, const char *file, unsigned line,
    const char *fmt, ...)
{
	struct mw_buf b;
	va_list ap;
	char *text;

	if (lvl == MW_DIAG_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;

	mw_buf_init(&b, 4096);
	if (file && line)
		mw_buf_printf(&b, "%s:%u: ", file, line);
	else if (file)
		mw_buf_printf(&b, "%s: ", file);
	va_start(ap, fmt);
	mw_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	text = mw_buf_steal(&b);
	if (text == NULL)
		return;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		struct mw_diag_entry *nv = realloc(d->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			free(text);
			return;
		}
		d->v = nv;
		d->cap = ncap;
	}
	d->v[d->n].level = lvl;
	d->v[d->n].text = text;
	d->n++;
}
