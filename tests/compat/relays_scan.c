/*
 * relays-scan - SpamAssassin-style relay analysis (src/relays.c) over message files,
 * for the comparison with SpamAssassin's own (relays_compat.py, sa_relays.pl).
 *
 *   relays-scan [-r RULES] FILE... | -
 *
 * Prints "FILE<TAB>Trusted<TAB>Untrusted<TAB>Internal<TAB>External" per message: the
 * X-Spam-Relays-* values.  The rule files (default: Debian's SpamAssassin rules) give
 * trusted_networks, originating_ip_headers and the like, as they do in the spam stage.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "message.h"
#include "relays.h"
#include "rules_load.h"

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL)
		return NULL;
	do {
		if (cap - *len < 65536) {
			if ((nb = realloc(buf, cap + 262144)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 262144;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	fclose(f);
	return buf;
}

static int
scan_one(const struct mw_relay_conf *conf, const char *path)
{
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 1000, .max_header_size = 65536 };
	struct mw_relays r;
	size_t len;
	char *data = read_file(path, &len);
	const char *p = data;
	int l;

	if (data == NULL) {
		fprintf(stderr, "relays-scan: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (len > 5 && memcmp(p, "From ", 5) == 0) {	/* mbox separator */
		const char *nl = memchr(p, '\n', len);

		if (nl != NULL) {
			len -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
	}
	mw_message_init(&m);
	if (mw_message_parse(&m, p, len, &lim) < 0 || mw_relays_build(&r, &m, conf, NULL) < 0) {
		fprintf(stderr, "relays-scan: %s: out of memory\n", path);
		mw_message_free(&m);
		free(data);
		return -1;
	}
	printf("%s", path);
	for (l = 0; l < MW_RELAYS_NLISTS; l++)
		printf("\t%s", r.str[l]);
	printf("\n");
	mw_relays_free(&r);
	mw_message_free(&m);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *rules = "/usr/share/spamassassin";
	struct mw_diag diag;
	struct mw_ruleset *rs;
	struct mw_relay_conf defaults;
	const struct mw_relay_conf *conf;
	int i = 1, rc = 0;
	char line[4096];

	if (argc > 2 && strcmp(argv[1], "-r") == 0) {
		rules = argv[2];
		i = 3;
	}
	mw_diag_init(&diag);
	if ((rs = mw_rules_load_list(rules, 0, &diag)) == NULL) {
		fprintf(stderr, "relays-scan: cannot load %s\n", rules);
		return 2;
	}
	mw_relay_conf_init(&defaults);
	conf = rs->relay_conf != NULL ? rs->relay_conf : &defaults;
	if (i == argc || (i == argc - 1 && strcmp(argv[i], "-") == 0)) {
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] != '\0' && scan_one(conf, line) < 0)
				rc = 1;
		}
	} else {
		for (; i < argc; i++)
			if (scan_one(conf, argv[i]) < 0)
				rc = 1;
	}
	mw_rules_free(rs);
	mw_diag_free(&diag);
	return rc;
}
