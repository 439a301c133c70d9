/*
 * fuzz_received - libFuzzer target for the Received parser (issue 9).
 *
 *   ./configure --enable-fuzzing CC=clang && make tests/fuzz/fuzz_received
 *   tests/fuzz/run-fuzz.sh 60 tests/fuzz/fuzz_received     (seeds: seeds-received)
 *
 * The input is parsed twice: as one field value, and as a header block whose
 * Received fields are built into a chain.  Both must end, stay in bounds and leave
 * every text field NUL-terminated printable ASCII.  The same two readings go through
 * SpamAssassin's relay analysis (relays.c, issue 5): bounded, NUL-terminated.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "received.h"
#include "relays.h"

static void
check_field(const char *f, size_t size)
{
	size_t n = strnlen(f, size), i;

	if (n == size)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)f[i] < 0x20 || (unsigned char)f[i] >= 0x7f)
			abort();
}

static void
check_hop(const struct mw_received_hop *h)
{
	check_field(h->from_word, sizeof(h->from_word));
	check_field(h->helo, sizeof(h->helo));
	check_field(h->rdns, sizeof(h->rdns));
	check_field(h->ip, sizeof(h->ip));
	check_field(h->ident, sizeof(h->ident));
	check_field(h->envfrom, sizeof(h->envfrom));
	check_field(h->by, sizeof(h->by));
	check_field(h->by_ip, sizeof(h->by_ip));
	check_field(h->with, sizeof(h->with));
	check_field(h->id, sizeof(h->id));
	check_field(h->for_addr, sizeof(h->for_addr));
	check_field(h->auth, sizeof(h->auth));
	check_field(h->tls_version, sizeof(h->tls_version));
	check_field(h->tls_cipher, sizeof(h->tls_cipher));
	if (h->why == NULL || h->cls > MW_RCV_INTERNAL)
		abort();
}

static void
check_relay(const struct mw_relay *r)
{
	if (strnlen(r->ip, sizeof(r->ip)) == sizeof(r->ip) ||
	    strnlen(r->rdns, sizeof(r->rdns)) == sizeof(r->rdns) ||
	    strnlen(r->helo, sizeof(r->helo)) == sizeof(r->helo) ||
	    strnlen(r->by, sizeof(r->by)) == sizeof(r->by) ||
	    strnlen(r->ident, sizeof(r->ident)) == sizeof(r->ident) ||
	    strnlen(r->envfrom, sizeof(r->envfrom)) == sizeof(r->envfrom) ||
	    strnlen(r->id, sizeof(r->id)) == sizeof(r->id) ||
	    strnlen(r->auth, sizeof(r->auth)) == sizeof(r->auth))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_limits lim = { .max_header_count = 200, .max_header_size = 65536 };
	struct mw_received_hop h;
	struct mw_received_chain c;
	struct mw_message m;
	size_t i;

	mw_received_parse(&h, (const char *)data, size);
	check_hop(&h);
	{
		struct mw_relay r;
		bool fetch;

		if (mw_relay_parse((const char *)data, size, &r, &fetch) == 1)
			check_relay(&r);
	}

	mw_message_init(&m);
	if (mw_message_parse(&m, (const char *)data, size, &lim) == 0 &&
	    mw_received_chain_build(&c, &m, MW_RCV_DEFAULT_MAX_HOPS) == 0) {
		for (i = 0; i < c.nhops; i++)
			check_hop(&c.hops[i]);
		mw_received_chain_free(&c);
	}
	if (m.nheaders > 0) {
		struct mw_relay_conf conf;
		struct mw_relays rs;
		struct mw_relay_client cl = { .ip = "192.0.2.1", .rdns = "unknown",
			.helo = "fuzz.example", .by = "mx.example" };

		mw_relay_conf_init(&conf);
		conf.n_originating = 1;
		memcpy(conf.originating_ip_headers[0], "X-Originating-IP", 17);
		if (mw_relays_build(&rs, &m, &conf, &cl) == 0) {
			for (i = 0; i < rs.n; i++)
				check_relay(&rs.v[i]);
			mw_relays_free(&rs);
		}
	}
	mw_message_free(&m);
	return 0;
}
