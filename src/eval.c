/*
 * eval - the table of native eval functions.
 */
#include "config.h"

#include <string.h>

#include "eval.h"

/* Each stage declares its functions in its own header and lists them here. */
static const struct mw_eval_entry eval_table[] = {
	/* --- SPF (issue 7) --- */
	/* --- eval tests (issue 5) --- */
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
