/*
 * mime - the message model, built with GMime 3 over the caller's bytes.
 *
 * GMime parses straight from the message buffer through a read-only stream
 * (MwRoStream below) with the parser's persist-stream mode, so parts reference
 * ranges of the buffer instead of copies: an attachment we never decode costs no
 * memory.  Only text parts are transfer-decoded, each up to max_part_decoded,
 * then converted to UTF-8 (charset.c), HTML rendered (html.c) and URIs collected
 * (uri.c).  The views follow SpamAssassin's Mail::SpamAssassin::Message:
 *   body    - Subject, then the text/plain and text/html parts rendered, joined,
 *             white space runs folded to one space, blank lines -> paragraph breaks,
 *             paragraphs over 2048 bytes split at a space;
 *   rawbody - every text leaf (not text/calendar) and message leaf, transfer-decoded
 *             and converted to UTF-8, one entry per line (lines over 2048 bytes
 *             split);
 *   uri     - HTML URI attributes and URIs in the rendered text, normalised, unique.
 * All the model's strings are valid UTF-8.  Nothing here logs or does I/O.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <libxml/parser.h>

#include "buf.h"
#include "charset.h"
#include "html.h"
#include "mime.h"
#include "uri.h"
#include "utf8.h"

#define MAX_LINE	2048	/* SpamAssassin's MAX_BODY_LINE_LENGTH */
#define MAX_ADDRESSES	1000	/* per message, over all address headers */

/* ---------------------------------------------------------------------------------
 * A read-only GMimeStream over memory we do not own (GMimeStreamMem would copy).
 */
typedef struct {
	GMimeStream parent;
	const char *data;
	gint64	 len;
} MwRoStream;

typedef struct {
	GMimeStreamClass parent_class;
} MwRoStreamClass;

static GType mw_ro_stream_get_type(void);
G_DEFINE_TYPE(MwRoStream, mw_ro_stream, GMIME_TYPE_STREAM)

static gint64
ro_end(GMimeStream *s)
{
	MwRoStream *ro = (MwRoStream *)s;

	return s->bound_end == -1 || s->bound_end > ro->len ? ro->len : s->bound_end;
}

static ssize_t
ro_read(GMimeStream *s, char *buf, size_t len)
{
	MwRoStream *ro = (MwRoStream *)s;
	gint64 end = ro_end(s), n;

	if (s->position >= end)
		return 0;
	n = end - s->position;
	if ((gint64)len < n)
		n = (gint64)len;
	memcpy(buf, ro->data + s->position, (size_t)n);
	s->position += n;
	return (ssize_t)n;
}

static ssize_t
ro_write(GMimeStream *s, const char *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	errno = EBADF;
	return -1;
}

static int
ro_flush(GMimeStream *s)
{
	(void)s;
	return 0;
}

static int
ro_close(GMimeStream *s)
{
	(void)s;
	return 0;
}

static gboolean
ro_eos(GMimeStream *s)
{
	return s->position >= ro_end(s);
}

static int
ro_reset(GMimeStream *s)
{
	s->position = s->bound_start;
	return 0;
}

static gint64
ro_seek(GMimeStream *s, gint64 offset, GMimeSeekWhence whence)
{
	gint64 pos, end = ro_end(s);

	switch (whence) {
	case GMIME_STREAM_SEEK_SET:
		pos = s->bound_start + offset;
		break;
	case GMIME_STREAM_SEEK_CUR:
		pos = s->position + offset;
		break;
	case GMIME_STREAM_SEEK_END:
		pos = end + offset;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (pos < s->bound_start || pos > end) {
		errno = EINVAL;
		return -1;
	}
	s->position = pos;
	return pos;
}

static gint64
ro_tell(GMimeStream *s)
{
	return s->position;
}

static gint64
ro_length(GMimeStream *s)
{
	return ro_end(s) - s->bound_start;
}

static GMimeStream *ro_new(const char *data, gint64 len, gint64 start, gint64 end);

static GMimeStream *
ro_substream(GMimeStream *s, gint64 start, gint64 end)
{
	MwRoStream *ro = (MwRoStream *)s;

	return ro_new(ro->data, ro->len, start, end);
}

static void
mw_ro_stream_class_init(MwRoStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

	sc->read = ro_read;
	sc->write = ro_write;
	sc->flush = ro_flush;
	sc->close = ro_close;
	sc->eos = ro_eos;
	sc->reset = ro_reset;
	sc->seek = ro_seek;
	sc->tell = ro_tell;
	sc->length = ro_length;
	sc->substream = ro_substream;
}

static void
mw_ro_stream_init(MwRoStream *ro)
{
	ro->data = NULL;
	ro->len = 0;
}

static GMimeStream *
ro_new(const char *data, gint64 len, gint64 start, gint64 end)
{
	MwRoStream *ro = g_object_new(mw_ro_stream_get_type(), NULL);

	ro->data = data;
	ro->len = len;
	g_mime_stream_construct(GMIME_STREAM(ro), start, end);
	return GMIME_STREAM(ro);
}

/* ---------------------------------------------------------------------------------
 * The model.
 */
struct addr_list {
	const char *field;		/* canonical spelling from address_fields[] */
	struct mw_mime_address *v;
	size_t	 n, cap;
};

/* Lines kept in one arena; pointers are fixed up once the arena stops growing. */
struct lines {
	struct mw_buf arena;
	size_t	*off, *len;
	size_t	 n, cap;
};

struct uri_set {
	struct mw_uri *v;
	size_t	 n, cap;
	size_t	*slot;			/* open addressing: index + 1, 0 = empty */
	size_t	 nslot;
};

struct mw_mime {
	struct mw_mime_limits lim;
	struct mw_mime_part *parts;
	size_t	 nparts, parts_cap;
	char	**hdr_decoded;		/* parallel to msg->headers */
	size_t	 nhdr;
	struct addr_list addrs[16];
	size_t	 naddr_lists, naddrs;
	struct mw_html_facts html;
	unsigned warnings;		/* 1u << GMimeParserWarning */
	struct uri_set uris;
	struct lines body, rawbody;
	struct mw_buf text;		/* rendered text of all parts, before folding */
	struct mw_views views;
	unsigned flags;			/* MW_MSG_MIME_* to OR into the message */
	GMimeParserOptions *opts;
};

static const char *const address_fields[] = {
	"From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Resent-From", "Resent-To",
	"Resent-Cc", "Resent-Bcc", "Resent-Sender", "Return-Path", "Errors-To",
	"Disposition-Notification-To", "Delivered-To", NULL
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/* Both libraries keep process-wide tables that must be set up once, before any
 * thread uses them (libxml2: xmlInitParser "in the main thread"). */
static void
gmime_init_once(void)
{
	g_mime_init();
	xmlInitParser();
}

void
mw_mime_limits_default(struct mw_mime_limits *lim)
{
	lim->max_depth = 20;
	lim->max_parts = 500;
	lim->max_part_decoded = 2u << 20;
	lim->max_text = 2u << 20;
	lim->max_uris = 1000;
}

const char *
mw_mime_part_flag_name(unsigned bit)
{
	switch (bit) {
	case MW_PART_TRUNCATED:		return "truncated";
	case MW_PART_BAD_BASE64:	return "bad_base64";
	case MW_PART_CHARSET_SNIFFED:	return "charset_sniffed";
	case MW_PART_CHARSET_UNKNOWN:	return "charset_unknown";
	case MW_PART_CHARSET_MISMATCH:	return "charset_mismatch";
	case MW_PART_CHARSET_REPLACED:	return "charset_replaced";
	case MW_PART_NOT_DECODED:	return "not_decoded";
	case MW_PART_EMPTY:		return "empty";
	case MW_PART_EPILOGUE:		return "epilogue";
	}
	return "unknown";
}

static const char *
warning_name(unsigned code)
{
	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER:		return "duplicated_header";
	case GMIME_WARN_DUPLICATED_PARAMETER:		return "duplicated_parameter";
	case GMIME_WARN_UNENCODED_8BIT_HEADER:		return "unencoded_8bit_header";
	case GMIME_WARN_INVALID_CONTENT_TYPE:		return "invalid_content_type";
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:	return "invalid_rfc2047_header_value";
	case GMIME_WARN_MALFORMED_MULTIPART:		return "malformed_multipart";
	case GMIME_WARN_TRUNCATED_MESSAGE:		return "truncated_message";
	case GMIME_WARN_MALFORMED_MESSAGE:		return "malformed_message";
	case GMIME_CRIT_INVALID_HEADER_NAME:		return "invalid_header_name";
	case GMIME_CRIT_CONFLICTING_HEADER:		return "conflicting_header";
	case GMIME_CRIT_CONFLICTING_PARAMETER:		return "conflicting_parameter";
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:	return "multipart_without_boundary";
	case GMIME_WARN_INVALID_PARAMETER:		return "invalid_parameter";
	case GMIME_WARN_INVALID_ADDRESS_LIST:		return "invalid_address_list";
	case GMIME_CRIT_NESTING_OVERFLOW:		return "nesting_overflow";
	case GMIME_WARN_PART_WITHOUT_CONTENT:		return "part_without_content";
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "part_without_headers_or_content";
	}
	return "unknown";
}

/* Structural damage (not mere sloppiness like duplicated headers) = malformed. */
static void
on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer arg)
{
	struct mw_mime *mm = arg;

	(void)offset;
	(void)item;
	if ((unsigned)code < 32)
		mm->warnings |= 1u << code;
	switch (code) {
	case GMIME_WARN_INVALID_CONTENT_TYPE:
	case GMIME_WARN_MALFORMED_MULTIPART:
	case GMIME_WARN_TRUNCATED_MESSAGE:
	case GMIME_WARN_MALFORMED_MESSAGE:
	case GMIME_CRIT_INVALID_HEADER_NAME:
	case GMIME_CRIT_CONFLICTING_HEADER:
	case GMIME_CRIT_CONFLICTING_PARAMETER:
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
	case GMIME_CRIT_NESTING_OVERFLOW:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		mm->flags |= MW_MSG_MIME_MALFORMED;
		break;
	default:
		break;
	}
}

/* --- small owned-string helpers ---------------------------------------------- */

/* A copy that is valid UTF-8 (invalid bytes -> U+FFFD); NULL in -> NULL out. */
static int
dup_utf8(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	/* mw_utf8_sanitize() of "" returns an unterminated buffer (mw_buf_reserve
	 * does not store the NUL), so the empty string is copied here. */
	*out = *s ? mw_utf8_sanitize(s, strlen(s), NULL) : strdup("");
	return *out ? 0 : -1;
}

static int
dup_lower(const char *s, char **out)
{
	size_t i;

	if (dup_utf8(s, out) < 0)
		return -1;
	for (i = 0; *out && (*out)[i]; i++)
		if ((unsigned char)(*out)[i] < 0x80 && (*out)[i] >= 'A' && (*out)[i] <= 'Z')
			(*out)[i] = (char)((*out)[i] - 'A' + 'a');
	return 0;
}

static int
grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	if ((p = realloc(*v, ncap * elem)) == NULL)
		return -1;
	*v = p;
	*cap = ncap;
	return 0;
}

/* --- views: lines in an arena --------------------------------------------------- */

static int
lines_add(struct lines *l, const char *s, size_t n)
{
	size_t oldcap = l->cap;

	if (grow((void **)&l->off, &l->cap, l->n + 1, sizeof(*l->off)) < 0)
		return -1;
	if (l->cap != oldcap) {
		size_t *p = realloc(l->len, l->cap * sizeof(*l->len));

		if (p == NULL) {
			l->cap = oldcap;
			return -1;
		}
		l->len = p;
	}
	l->off[l->n] = l->arena.len;
	l->len[l->n] = n;
	if (mw_buf_append(&l->arena, s, n) < 0 || mw_buf_putc(&l->arena, '\0') < 0)
		return -1;
	l->n++;
	return 0;
}

/* Add a line, split at a space (or a character boundary) past MAX_LINE bytes. */
static int
lines_add_split(struct lines *l, const char *s, size_t n)
{
	while (n > MAX_LINE) {
		size_t k = MAX_LINE;

		while (k > 0 && s[k - 1] != ' ')
			k--;
		if (k == 0) {
			k = MAX_LINE;
			while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
				k--;
			if (k == 0)
				k = MAX_LINE;
		}
		if (lines_add(l, s, k) < 0)
			return -1;
		s += k;
		n -= k;
	}
	return lines_add(l, s, n);
}

static void
lines_free(struct lines *l)
{
	mw_buf_free(&l->arena);
	free(l->off);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

static int
lines_finish(struct lines *l, struct mw_textv **out, size_t *nout)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	if (l->n == 0)
		return 0;
	if ((*out = calloc(l->n, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < l->n; i++) {
		(*out)[i].s = l->arena.data + l->off[i];
		(*out)[i].len = l->len[i];
	}
	*nout = l->n;
	return 0;
}

/* --- URIs: a de-duplicating set ------------------------------------------------ */

static uint64_t
hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static int
uri_set_rehash(struct uri_set *u, size_t nslot)
{
	size_t *slot = calloc(nslot, sizeof(*slot)), i;

	if (slot == NULL)
		return -1;
	for (i = 0; i < u->n; i++) {
		size_t j = (size_t)hash_str(u->v[i].uri, u->v[i].len) & (nslot - 1);

		while (slot[j])
			j = (j + 1) & (nslot - 1);
		slot[j] = i + 1;
	}
	free(u->slot);
	u->slot = slot;
	u->nslot = nslot;
	return 0;
}

struct uri_ctx {
	struct mw_mime *mm;
	unsigned flags;			/* MW_URI_FROM_HTML for attributes */
};

/* Add uri to the set unless it is there already; the set takes ownership. */
static int
uri_insert(struct mw_mime *mm, struct mw_uri uri)
{
	struct uri_set *u = &mm->uris;
	size_t j;

	if (u->nslot == 0 || (u->n + 1) * 2 > u->nslot) {
		if (uri_set_rehash(u, u->nslot ? u->nslot * 2 : 64) < 0)
			goto fail;
	}
	j = (size_t)hash_str(uri.uri, uri.len) & (u->nslot - 1);
	for (; u->slot[j]; j = (j + 1) & (u->nslot - 1)) {
		struct mw_uri *have = &u->v[u->slot[j] - 1];

		if (have->len == uri.len && memcmp(have->uri, uri.uri, uri.len) == 0) {
			mw_uri_clear(&uri);
			return 0;
		}
	}
	if (u->n >= mm->lim.max_uris) {
		mm->flags |= MW_MSG_MIME_TRUNCATED;
		mw_uri_clear(&uri);
		return 0;
	}
	if (grow((void **)&u->v, &u->cap, u->n + 1, sizeof(*u->v)) < 0)
		goto fail;
	u->v[u->n] = uri;
	u->slot[j] = ++u->n;
	return 0;
fail:
	mw_uri_clear(&uri);
	return -1;
}

/*
 * The normal form, and beside it the URI as the sender wrote it (white space and
 * line breaks removed) when that differs: SpamAssassin's uri rules see both, and
 * rules about escapes or odd hosts need the original.
 */
static int
uri_add(void *arg, const char *s, size_t n)
{
	struct uri_ctx *c = arg;
	struct mw_uri uri, raw;
	struct mw_buf b;
	size_t i;
	int rc;

	if ((rc = mw_uri_normalize(s, n, c->flags, &uri)) != 0)
		return rc < 0 ? -1 : 0;
	memset(&raw, 0, sizeof(raw));
	raw.flags = uri.flags | MW_URI_AS_WRITTEN;
	if (!(uri.flags & MW_URI_NO_SCHEME) && strncmp(uri.uri, "mailto:", 7) != 0) {
		while (n > 0 && (s[0] == ' ' || s[0] == '"' || s[0] == '\''))
			s++, n--;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\''))
			n--;
		mw_buf_init(&b, 8192);
		for (i = 0; i < n && !b.truncated; i++)
			if (s[i] != '\r' && s[i] != '\n' && s[i] != '\t' && s[i] != '\0' &&
			    mw_buf_putc(&b, s[i]) < 0 && !b.truncated) {
				mw_buf_free(&b);
				mw_uri_clear(&uri);
				return -1;
			}
		if (b.len > 0 && (b.len != uri.len || memcmp(b.data, uri.uri, b.len) != 0) &&
		    mw_utf8_valid(b.data, b.len)) {
			raw.len = b.len;
			raw.uri = mw_buf_steal(&b);
			if (raw.uri == NULL || (raw.host = strdup(uri.host ? uri.host : "")) == NULL) {
				mw_uri_clear(&raw);
				mw_uri_clear(&uri);
				return -1;
			}
		}
		mw_buf_free(&b);
	}
	if (uri_insert(c->mm, uri) < 0) {
		mw_uri_clear(&raw);
		return -1;
	}
	return raw.uri ? uri_insert(c->mm, raw) : 0;
}

/* --- parts ------------------------------------------------------------------------ */

static bool
is_base64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

/* Transfer-decode a leaf into out (bounded by out's cap).  Never reads more of the
 * part than it needs: stops at the cap. */
static int
decode_part(GMimePart *part, struct mw_buf *out, struct mw_mime_part *p)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeContentEncoding enc;
	GMimeStream *s;
	GMimeFilter *f = NULL;
	char in[16384];
	char *o;
	size_t olen, opre;
	ssize_t k;
	int rc = 0;

	if (w == NULL || (s = g_mime_data_wrapper_get_stream(w)) == NULL)
		return 0;
	enc = g_mime_data_wrapper_get_encoding(w);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE)
		f = g_mime_filter_basic_new(enc, FALSE);
	if (g_mime_stream_reset(s) < 0)
		goto done;
	while (!out->truncated && (k = g_mime_stream_read(s, in, sizeof(in))) > 0) {
		if (enc == GMIME_CONTENT_ENCODING_BASE64 && !(p->flags & MW_PART_BAD_BASE64)) {
			ssize_t i;

			for (i = 0; i < k; i++)
				if (!is_base64_char((unsigned char)in[i])) {
					p->flags |= MW_PART_BAD_BASE64;
					break;
				}
		}
		if (f) {
			g_mime_filter_filter(f, in, (size_t)k, 0, &o, &olen, &opre);
		} else {
			o = in;
			olen = (size_t)k;
		}
		if (mw_buf_append(out, o, olen) < 0 && !out->truncated) {
			rc = -1;
			goto done;
		}
	}
	if (f && !out->truncated) {
		g_mime_filter_complete(f, in, 0, 0, &o, &olen, &opre);
		if (mw_buf_append(out, o, olen) < 0 && !out->truncated)
			rc = -1;
	}
	if (out->truncated) {
		/* Keep what fits: fill up to the cap so the cut is at a predictable place. */
		p->flags |= MW_PART_TRUNCATED;
	}
done:
	if (f)
		g_object_unref(f);
	return rc;
}

/* CRLF -> LF in place: the same text whatever line ends the MTA used. */
static void
normalise_newlines(struct mw_buf *b)
{
	size_t i, j = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && i + 1 < b->len && b->data[i + 1] == '\n')
			continue;
		b->data[j++] = b->data[i];
	}
	b->len = j;
	if (b->data)
		b->data[j] = '\0';
}

static int
add_rawbody(struct mw_mime *mm, const char *s, size_t n)
{
	size_t i = 0, room;

	room = mm->lim.max_text > mm->rawbody.arena.len ? mm->lim.max_text -
	    mm->rawbody.arena.len : 0;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		mm->flags |= MW_MSG_MIME_TRUNCATED;
	}
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;

		if (lines_add_split(&mm->rawbody, s + i, e - i) < 0)
			return -1;
		i = e + 1;
	}
	return 0;
}

/* Append a part's rendered text to the body text; parts separated by "\n". */
static int
add_body_text(struct mw_mime *mm, const char *s, size_t n)
{
	struct mw_buf *t = &mm->text;

	if (t->len > 0 && mw_buf_putc(t, '\n') < 0) {
		if (!t->truncated)
			return -1;
		mm->flags |= MW_MSG_MIME_TRUNCATED;
		return 0;
	}
	if (mw_buf_append(t, s, n) < 0) {
		size_t room;

		if (!t->truncated)
			return -1;
		room = t->max - t->len;
		while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
			room--;
		if (room && mw_buf_append(t, s, room) < 0)
			return -1;
		t->truncated = true;
		mm->flags |= MW_MSG_MIME_TRUNCATED;
	}
	return 0;
}

static int
html_uri(void *arg, const char *s, size_t n)
{
	return uri_add(arg, s, n);
}

/* A text leaf: decode, convert, render, feed the views. */
static int
text_leaf(struct mw_mime *mm, GMimePart *part, struct mw_mime_part *p, bool for_body)
{
	struct mw_buf dec, utf8, rendered;
	struct mw_charset_result cr;
	struct uri_ctx uc = { .mm = mm, .flags = 0 };
	char meta[48];
	const char *cs = p->charset;
	bool html = strcmp(p->type, "text/html") == 0;
	size_t before;
	int rc = -1;

	mw_buf_init(&dec, mm->lim.max_part_decoded);
	mw_buf_init(&utf8, mm->lim.max_part_decoded);
	mw_buf_init(&rendered, mm->lim.max_text);
	if (decode_part(part, &dec, p) < 0)
		goto out;
	if (p->flags & MW_PART_BAD_BASE64)
		mm->flags |= MW_MSG_MIME_MALFORMED;
	if (p->flags & MW_PART_TRUNCATED)
		mm->flags |= MW_MSG_MIME_TRUNCATED;
	p->decoded_size = dec.len;
	if (dec.len == 0) {
		rc = 0;
		goto out;
	}
	if ((cs == NULL || *cs == '\0') && html &&
	    mw_charset_from_html_meta(dec.data, dec.len, meta, sizeof(meta)) == 0)
		cs = meta;
	if (mw_charset_to_utf8(cs, dec.data, dec.len, &utf8, &cr) < 0)
		goto out;
	mw_buf_free(&dec);
	if (cr.used[0] && dup_lower(cr.used, &p->charset_used) < 0)
		goto out;
	if (cr.flags & MW_CHARSET_SNIFFED)
		p->flags |= MW_PART_CHARSET_SNIFFED;
	if (cr.flags & MW_CHARSET_UNKNOWN)
		p->flags |= MW_PART_CHARSET_UNKNOWN;
	if (cr.flags & MW_CHARSET_MISMATCH)
		p->flags |= MW_PART_CHARSET_MISMATCH;
	if (cr.flags & MW_CHARSET_REPLACED)
		p->flags |= MW_PART_CHARSET_REPLACED;
	if (cr.flags & MW_CHARSET_TRUNCATED) {
		p->flags |= MW_PART_TRUNCATED;
		mm->flags |= MW_MSG_MIME_TRUNCATED;
	}
	normalise_newlines(&utf8);
	p->text_size = utf8.len;
	if (add_rawbody(mm, utf8.data, utf8.len) < 0)
		goto out;
	if (!for_body) {
		rc = 0;
		goto out;
	}
	before = mm->text.len;
	if (html) {
		uc.flags = MW_URI_FROM_HTML;
		p->html_index = (int)mm->html.sa_nparts;
		if (mw_html_render(utf8.data, utf8.len, &rendered, &mm->html, html_uri, &uc) < 0)
			goto out;
		if (rendered.truncated)
			mm->flags |= MW_MSG_MIME_TRUNCATED;
		uc.flags = 0;
		if (mw_uri_scan_text(rendered.data, rendered.len, uri_add, &uc) < 0 ||
		    add_body_text(mm, rendered.data ? rendered.data : "", rendered.len) < 0)
			goto out;
	} else {
		if (mw_uri_scan_text(utf8.data, utf8.len, uri_add, &uc) < 0 ||
		    add_body_text(mm, utf8.data, utf8.len) < 0)
			goto out;
	}
	/* add_body_text puts "\n" between parts */
	p->text_off = before + (before > 0);
	p->text_len = mm->text.len > p->text_off ? mm->text.len - p->text_off : 0;
	p->rendered = true;
	rc = 0;
out:
	mw_buf_free(&dec);
	mw_buf_free(&utf8);
	mw_buf_free(&rendered);
	return rc;
}

static struct mw_mime_part *
new_part(struct mw_mime *mm, const char *id, unsigned depth)
{
	struct mw_mime_part *p;

	if (grow((void **)&mm->parts, &mm->parts_cap, mm->nparts + 1, sizeof(*mm->parts)) < 0)
		return NULL;
	p = &mm->parts[mm->nparts];
	memset(p, 0, sizeof(*p));
	if ((p->id = strdup(id)) == NULL)
		return NULL;
	p->depth = depth;
	p->html_index = -1;
	mm->nparts++;
	return p;
}

static int walk(struct mw_mime *mm, GMimeObject *obj, unsigned depth, const char *id,
    GMimeObject *hdr_src);

static int
walk_children(struct mw_mime *mm, GMimeObject *obj, unsigned depth, const char *id)
{
	char cid[256];
	int i, n;

	if (GMIME_IS_MULTIPART(obj)) {
		const char *epi = g_mime_multipart_get_epilogue(GMIME_MULTIPART(obj));

		if (epi != NULL && epi[strspn(epi, " \t\r\n\f\v.")] != '\0')
			mm->parts[mm->nparts - 1].flags |= MW_PART_EPILOGUE;
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		if (n > 0 && depth + 1 > mm->lim.max_depth) {
			mm->flags |= MW_MSG_MIME_TRUNCATED;
			return 0;
		}
		for (i = 0; i < n; i++) {
			GMimeObject *child = g_mime_multipart_get_part(GMIME_MULTIPART(obj), i);

			if (snprintf(cid, sizeof(cid), "%s.%d", id, i + 1) >= (int)sizeof(cid)) {
				mm->flags |= MW_MSG_MIME_TRUNCATED;
				return 0;
			}
			if (child && walk(mm, child, depth + 1, cid, NULL) < 0)
				return -1;
			if (mm->nparts >= mm->lim.max_parts && i + 1 < n) {
				mm->flags |= MW_MSG_MIME_TRUNCATED;
				break;
			}
		}
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeObject *body = inner ? g_mime_message_get_mime_part(inner) : NULL;

		if (body == NULL)
			return 0;
		if (depth + 1 > mm->lim.max_depth) {
			mm->flags |= MW_MSG_MIME_TRUNCATED;
			return 0;
		}
		if (snprintf(cid, sizeof(cid), "%s.1", id) >= (int)sizeof(cid)) {
			mm->flags |= MW_MSG_MIME_TRUNCATED;
			return 0;
		}
		/* the embedded message's header block is its top part's header */
		return walk(mm, body, depth + 1, cid, GMIME_OBJECT(inner));
	}
	return 0;
}

/* Copy a part's header fields (bounded) for the mimeheader rules. */
static int
part_headers(struct mw_mime_part *p, GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int i, n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	if (n <= 0)
		return 0;
	if (n > MW_MIME_PART_HDRS)
		n = MW_MIME_PART_HDRS;
	if ((p->hdrs = calloc((size_t)n, sizeof(*p->hdrs))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		struct mw_mime_hdr *d = &p->hdrs[p->nhdrs];
		const char *raw;

		if (h == NULL)
			continue;
		raw = g_mime_header_get_raw_value(h);
		if (raw != NULL)
			raw += strspn(raw, " \t");
		if (dup_utf8(g_mime_header_get_name(h), &d->name) < 0 ||
		    dup_utf8(g_mime_header_get_value(h), &d->value) < 0 ||
		    dup_utf8(raw, &d->raw) < 0)
			return -1;
		if (d->name == NULL) {
			free(d->value);
			free(d->raw);
			continue;
		}
		p->nhdrs++;
	}
	return 0;
}

static int
walk(struct mw_mime *mm, GMimeObject *obj, unsigned depth, const char *id,
    GMimeObject *hdr_src)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	struct mw_mime_part *p;
	char *type = NULL;
	size_t pi;
	int rc;

	if (mm->nparts >= mm->lim.max_parts) {
		mm->flags |= MW_MSG_MIME_TRUNCATED;
		return 0;
	}
	if ((p = new_part(mm, id, depth)) == NULL)
		return -1;
	pi = (size_t)(p - mm->parts);
	if (ct)
		type = g_mime_content_type_get_mime_type(ct);
	rc = dup_lower(type ? type : "text/plain", &p->type);
	g_free(type);
	if (rc < 0 || dup_utf8(ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL,
	    &p->charset) < 0 || dup_lower(g_mime_object_get_disposition(obj), &p->disposition) < 0)
		return -1;
	p->is_multipart = GMIME_IS_MULTIPART(obj);
	p->is_message = GMIME_IS_MESSAGE_PART(obj);
	/* the top level's header is the message's own (mw_mime_part_header) */
	if (depth > 0 && part_headers(p, hdr_src != NULL ? hdr_src : obj) < 0)
		return -1;

	if (GMIME_IS_PART(obj)) {
		GMimePart *part = GMIME_PART(obj);
		GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
		GMimeDataWrapper *w = g_mime_part_get_content(part);
		GMimeStream *s = w ? g_mime_data_wrapper_get_stream(w) : NULL;
		gint64 len = s ? g_mime_stream_length(s) : 0;
		bool text = strncmp(p->type, "text/", 5) == 0 && strcmp(p->type, "text/calendar") != 0;
		bool body = strcmp(p->type, "text/plain") == 0 || strcmp(p->type, "text/html") == 0;

		if (enc != GMIME_CONTENT_ENCODING_DEFAULT &&
		    dup_lower(g_mime_content_encoding_to_string(enc), &p->encoding) < 0)
			return -1;
		if (dup_utf8(g_mime_part_get_filename(part), &p->filename) < 0)
			return -1;
		p->raw_size = len > 0 ? (size_t)len : 0;
		/* Our own stream over the message bytes: where the content lies. */
		if (s != NULL && len > 0 && G_TYPE_CHECK_INSTANCE_TYPE(s, mw_ro_stream_get_type()) &&
		    s->bound_start >= 0 && s->bound_start + len <= ((MwRoStream *)s)->len)
			p->raw = ((MwRoStream *)s)->data + s->bound_start;
		if (len <= 0)
			p->flags |= MW_PART_EMPTY;
		if ((text || strncmp(p->type, "message/", 8) == 0) && len > 0) {
			if (mm->text.len >= mm->lim.max_text &&
			    mm->rawbody.arena.len >= mm->lim.max_text) {
				p->flags |= MW_PART_NOT_DECODED;
				mm->flags |= MW_MSG_MIME_TRUNCATED;
				return 0;
			}
			/* p may move when the parts array grows: none is added in here. */
			return text_leaf(mm, part, &mm->parts[pi], body);
		}
		return 0;
	}
	return walk_children(mm, obj, depth, id);
}

/* --- headers -------------------------------------------------------------------- */

static int
decode_headers(struct mw_mime *mm, const struct mw_message *m)
{
	size_t i;

	if (m->nheaders == 0)
		return 0;
	if ((mm->hdr_decoded = calloc(m->nheaders, sizeof(char *))) == NULL)
		return -1;
	mm->nhdr = m->nheaders;
	for (i = 0; i < m->nheaders; i++) {
		char *v, *d;
		int rc;

		/* value_len, not strlen: an empty value's buffer is not always
		 * NUL-terminated by message.c (mw_buf_reserve leaves it unset). */
		if ((v = strndup(m->headers[i].value ? m->headers[i].value : "",
		    m->headers[i].value ? m->headers[i].value_len : 0)) == NULL)
			return -1;
		d = g_mime_utils_header_decode_text(mm->opts, v);
		rc = dup_utf8(d ? d : v, &mm->hdr_decoded[i]);
		g_free(d);
		free(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
add_address(struct mw_mime *mm, struct addr_list *al, InternetAddress *ia)
{
	struct mw_mime_address *a;
	const char *name = internet_address_get_name(ia);

	if (mm->naddrs >= MAX_ADDRESSES) {
		mm->flags |= MW_MSG_MIME_TRUNCATED;
		return 0;
	}
	if (grow((void **)&al->v, &al->cap, al->n + 1, sizeof(*al->v)) < 0)
		return -1;
	a = &al->v[al->n];
	memset(a, 0, sizeof(*a));
	if (dup_utf8(name && *name ? name : NULL, &a->name) < 0 ||
	    dup_utf8(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)), &a->addr) < 0) {
		free(a->name);
		return -1;
	}
	al->n++;
	mm->naddrs++;
	return 0;
}

static int
add_address_list(struct mw_mime *mm, struct addr_list *al, InternetAddressList *list, int level)
{
	int i, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			if (add_address(mm, al, ia) < 0)
				return -1;
		} else if (INTERNET_ADDRESS_IS_GROUP(ia) && level == 0) {
			if (add_address_list(mm, al, internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), 1) < 0)
				return -1;
		}
	}
	return 0;
}

static int
parse_addresses(struct mw_mime *mm, const struct mw_message *m)
{
	size_t f, i;

	for (f = 0; address_fields[f]; f++) {
		struct addr_list *al = NULL;

		for (i = 0; i < m->nheaders; i++) {
			InternetAddressList *list;
			char *value;
			int rc;

			if (strcasecmp(m->headers[i].name, address_fields[f]) != 0)
				continue;
			if (al == NULL) {
				al = &mm->addrs[mm->naddr_lists++];
				al->field = address_fields[f];
			}
			value = strndup(m->headers[i].value ? m->headers[i].value : "",
			    m->headers[i].value ? m->headers[i].value_len : 0);
			if (value == NULL)
				return -1;
			list = internet_address_list_parse(mm->opts, value);
			free(value);
			rc = add_address_list(mm, al, list, 0);
			if (list)
				g_object_unref(list);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

/* --- the body view: SpamAssassin's white space folding ---------------------------- */

/* Length of a white space character at s (ASCII space/controls, NBSP, Unicode
 * spaces), 0 if none. */
static size_t
space_len(const unsigned char *s, size_t n)
{
	if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\v' ||
	    s[0] == '\f')
		return 1;
	if (n >= 2 && s[0] == 0xC2 && (s[1] == 0xA0 || s[1] == 0x85))
		return 2;
	if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] <= 0x8A || s[2] == 0xA8 ||
	    s[2] == 0xA9 || s[2] == 0xAF))
		return 3;
	if (n >= 3 && ((s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) ||
	    (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) ||
	    (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)))
		return 3;
	return 0;
}

/*
 * s/\n+\s*\n+/<break>/; s/\s+/ /; split at the breaks.  A white space run with two
 * or more newlines becomes a break, keeping a space for white space before the
 * first and after the last newline, exactly as the two substitutions do.
 */
static int
build_body(struct mw_mime *mm, const char *subject)
{
	const unsigned char *t = (const unsigned char *)mm->text.data;
	size_t n = mm->text.len, i = 0;
	struct mw_buf para;
	int rc = -1;

	mw_buf_init(&para, 0);
	if (lines_add_split(&mm->body, subject ? subject : "", subject ? strlen(subject) : 0) < 0)
		goto out;
	while (i < n) {
		size_t l = space_len(t + i, n - i);

		if (l == 0) {
			size_t j = i + 1;

			while (j < n && space_len(t + j, n - j) == 0)
				j++;
			if (mw_buf_append(&para, t + i, j - i) < 0)
				goto out;
			i = j;
			continue;
		}
		/* A run of white space: count newlines, note the first and last. */
		size_t j = i, nls = 0, first_nl = 0, last_nl = 0;

		while (j < n && (l = space_len(t + j, n - j)) != 0) {
			if (t[j] == '\n') {
				if (nls++ == 0)
					first_nl = j;
				last_nl = j;
			}
			j += l;
		}
		if (nls >= 2) {
			if (first_nl > i && mw_buf_putc(&para, ' ') < 0)
				goto out;
			if (lines_add_split(&mm->body, para.data ? para.data : "", para.len) < 0)
				goto out;
			mw_buf_reset(&para);
			if (last_nl + 1 < j && mw_buf_putc(&para, ' ') < 0)
				goto out;
		} else if (mw_buf_putc(&para, ' ') < 0)
			goto out;
		i = j;
	}
	if (para.len > 0 && lines_add_split(&mm->body, para.data, para.len) < 0)
		goto out;
	rc = 0;
out:
	mw_buf_free(&para);
	return rc;
}

/* --- build / free --------------------------------------------------------------- */

static void
mime_free(struct mw_mime *mm)
{
	size_t i, j;

	if (mm == NULL)
		return;
	for (i = 0; i < mm->nparts; i++) {
		struct mw_mime_part *p = &mm->parts[i];

		free(p->id);
		free(p->type);
		free(p->charset);
		free(p->charset_used);
		free(p->encoding);
		free(p->disposition);
		free(p->filename);
		for (j = 0; j < p->nhdrs; j++) {
			free(p->hdrs[j].name);
			free(p->hdrs[j].value);
			free(p->hdrs[j].raw);
		}
		free(p->hdrs);
	}
	free(mm->parts);
	for (i = 0; i < mm->nhdr; i++)
		free(mm->hdr_decoded[i]);
	free(mm->hdr_decoded);
	for (i = 0; i < mm->naddr_lists; i++) {
		for (j = 0; j < mm->addrs[i].n; j++) {
			free(mm->addrs[i].v[j].name);
			free(mm->addrs[i].v[j].addr);
		}
		free(mm->addrs[i].v);
	}
	for (i = 0; i < mm->uris.n; i++)
		mw_uri_clear(&mm->uris.v[i]);
	free(mm->uris.v);
	free(mm->uris.slot);
	free(mm->views.body);
	free(mm->views.rawbody);
	free(mm->views.uri);
	lines_free(&mm->body);
	lines_free(&mm->rawbody);
	mw_buf_free(&mm->text);
	if (mm->opts)
		g_mime_parser_options_free(mm->opts);
	free(mm);
}

void
mw_mime_free(struct mw_message *m)
{
	if (m == NULL)
		return;
	mime_free(m->mime);
	m->mime = NULL;
}

/*
 * GMime builds an object for every part it finds, and we cannot ask it to stop at
 * max_parts.  Parts begin at lines starting with "--", so show GMime only the
 * prefix of the message holding a few times max_parts of those: its memory is then
 * bounded by our limit, not by how many parts a sender packs into the message.
 */
static gint64
parse_limit(struct mw_mime *mm, const struct mw_message *m)
{
	size_t allowed = mm->lim.max_parts * 4 + 16, seen = 0;
	const char *p = m->data, *end = m->data + m->len;

	if (p == NULL)
		return -1;
	while (p < end && (p = memmem(p, (size_t)(end - p), "\n--", 3)) != NULL) {
		if (++seen > allowed) {
			mm->flags |= MW_MSG_MIME_TRUNCATED;
			return (gint64)(p - m->data + 1);
		}
		p += 3;
	}
	return -1;
}

static int
build(struct mw_mime *mm, const struct mw_message *m)
{
	static const char *fallback[] = { "utf-8", "windows-1252", NULL };
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *top;
	const struct mw_header *subj;
	size_t i;
	int rc = 0;

	if ((mm->opts = g_mime_parser_options_new()) == NULL)
		return -1;
	g_mime_parser_options_set_rfc2047_compliance_mode(mm->opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(mm->opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(mm->opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(mm->opts, TRUE);
	g_mime_parser_options_set_fallback_charsets(mm->opts, fallback);
	g_mime_parser_options_set_warning_callback(mm->opts, on_parser_warning, mm);

	if (decode_headers(mm, m) < 0 || parse_addresses(mm, m) < 0)
		return -1;

	stream = ro_new(m->data ? m->data : "", (gint64)m->len, 0, parse_limit(mm, m));
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, mm->opts);
	if (msg == NULL)
		mm->flags |= MW_MSG_MIME_MALFORMED;
	else if ((top = g_mime_message_get_mime_part(msg)) != NULL)
		rc = walk(mm, top, 0, "1", NULL);
	if (msg)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	if (rc < 0)
		return -1;

	subj = mw_message_header(m, "Subject", 0);
	for (i = 0; subj && i < m->nheaders; i++)
		if (&m->headers[i] == subj)
			break;
	if (build_body(mm, subj && i < mm->nhdr ? mm->hdr_decoded[i] : NULL) < 0)
		return -1;
	/* mm->text is kept: each part's rendered text (mw_mime_part_rendered) */
	if (lines_finish(&mm->body, &mm->views.body, &mm->views.nbody) < 0 ||
	    lines_finish(&mm->rawbody, &mm->views.rawbody, &mm->views.nrawbody) < 0)
		return -1;
	if (mm->uris.n) {
		if ((mm->views.uri = calloc(mm->uris.n, sizeof(*mm->views.uri))) == NULL)
			return -1;
		for (i = 0; i < mm->uris.n; i++) {
			mm->views.uri[i].s = mm->uris.v[i].uri;
			mm->views.uri[i].len = mm->uris.v[i].len;
		}
		mm->views.nuri = mm->uris.n;
	}
	return 0;
}

int
mw_mime_build(struct mw_message *m, const struct mw_mime_limits *lim)
{
	struct mw_mime *mm;

	pthread_once(&gmime_once, gmime_init_once);
	mw_mime_free(m);
	if ((mm = calloc(1, sizeof(*mm))) == NULL)
		return -1;
	if (lim)
		mm->lim = *lim;
	else
		mw_mime_limits_default(&mm->lim);
	if (mm->lim.max_depth == 0)
		mm->lim.max_depth = 1;
	if (mm->lim.max_parts == 0)
		mm->lim.max_parts = 1;
	mw_buf_init(&mm->text, mm->lim.max_text);
	mw_buf_init(&mm->body.arena, 0);
	mw_buf_init(&mm->rawbody.arena, 0);
	if (build(mm, m) < 0) {
		mime_free(mm);
		errno = ENOMEM;
		return -1;
	}
	m->flags |= mm->flags;
	m->mime = mm;
	return 0;
}

/* --- lookups ---------------------------------------------------------------------- */

const struct mw_views *
mw_mime_views(const struct mw_message *m)
{
	static const struct mw_views empty;

	return m && m->mime ? &m->mime->views : &empty;
}

const char *
mw_mime_header_decoded(const struct mw_message *m, const char *name, size_t nth)
{
	size_t i;

	if (m == NULL || m->mime == NULL)
		return NULL;
	for (i = 0; i < m->nheaders && i < m->mime->nhdr; i++)
		if (strcasecmp(m->headers[i].name, name) == 0 && nth-- == 0)
			return m->mime->hdr_decoded[i];
	return NULL;
}

const struct mw_mime_part *
mw_mime_parts(const struct mw_message *m, size_t *n)
{
	*n = m && m->mime ? m->mime->nparts : 0;
	return *n ? m->mime->parts : NULL;
}

const char *
mw_mime_part_header(const struct mw_message *m, size_t i, const char *name, bool raw)
{
	const struct mw_mime_part *p;
	size_t k;

	if (m == NULL || m->mime == NULL || i >= m->mime->nparts)
		return NULL;
	if (i == 0) {
		const struct mw_header *h = mw_message_header(m, name, 0);
		const char *v;

		if (h == NULL)
			return NULL;
		/* raw: the unfolded value stands in (the written field is not a string
		 * of its own in the message bytes); no top-level rule depends on folds */
		if (!raw && (v = mw_mime_header_decoded(m, name, 0)) != NULL)
			return v;
		return h->value;
	}
	p = &m->mime->parts[i];
	for (k = 0; k < p->nhdrs; k++)
		if (strcasecmp(p->hdrs[k].name, name) == 0)
			return raw ? p->hdrs[k].raw : p->hdrs[k].value;
	return NULL;
}

const struct mw_mime_address *
mw_mime_addresses(const struct mw_message *m, const char *name, size_t *n)
{
	size_t i;

	*n = 0;
	if (m == NULL || m->mime == NULL)
		return NULL;
	for (i = 0; i < m->mime->naddr_lists; i++)
		if (strcasecmp(m->mime->addrs[i].field, name) == 0) {
			*n = m->mime->addrs[i].n;
			return *n ? m->mime->addrs[i].v : NULL;
		}
	return NULL;
}

const char *
mw_mime_part_rendered(const struct mw_message *m, size_t i, size_t *len)
{
	const struct mw_mime *mm = m->mime;
	const struct mw_mime_part *p;

	*len = 0;
	if (mm == NULL || i >= mm->nparts || !(p = &mm->parts[i])->rendered)
		return NULL;
	if (p->text_len == 0 || mm->text.data == NULL ||
	    p->text_off + p->text_len > mm->text.len)
		return "";
	*len = p->text_len;
	return mm->text.data + p->text_off;
}

const struct mw_html_facts *
mw_mime_html(const struct mw_message *m)
{
	static const struct mw_html_facts none;

	return m && m->mime ? &m->mime->html : &none;
}

const struct mw_uri *
mw_mime_uri_details(const struct mw_message *m, size_t *n)
{
	*n = m && m->mime ? m->mime->uris.n : 0;
	return *n ? m->mime->uris.v : NULL;
}

unsigned
mw_mime_parser_warnings(const struct mw_message *m)
{
	return m && m->mime ? m->mime->warnings : 0;
}

/* --- JSON dump -------------------------------------------------------------------- */

static void
json_str_or_null(struct mw_buf *b, const char *s)
{
	if (s)
		mw_buf_json_str(b, s, strlen(s));
	else
		mw_buf_puts(b, "null");
}

static void
json_textv(struct mw_buf *b, const char *key, const struct mw_textv *v, size_t n)
{
	size_t i;

	mw_buf_printf(b, ",\n  \"%s\": [", key);
	for (i = 0; i < n; i++) {
		mw_buf_puts(b, i ? ",\n    " : "\n    ");
		mw_buf_json_str(b, v[i].s, v[i].len);
	}
	mw_buf_puts(b, n ? "\n  ]" : "]");
}

static void
json_html(struct mw_buf *b, const struct mw_html_facts *h)
{
	mw_buf_printf(b, ",\n  \"html\": {\"parts\": %u, \"raw_len\": %zu, \"text_len\": %zu, "
	    "\"hidden_text_len\": %zu, \"markup_len\": %zu, \"elements\": %zu, "
	    "\"anchors\": %zu, \"images\": %zu, \"images_with_size\": %zu, "
	    "\"image_area\": %llu, \"forms\": %zu, \"inputs\": %zu, \"scripts\": %zu, "
	    "\"styles\": %zu, \"iframes\": %zu, \"objects\": %zu, \"embeds\": %zu, "
	    "\"tables\": %zu, \"fonts\": %zu, \"metas\": %zu, \"comments\": %zu, "
	    "\"comment_len\": %zu, \"uris\": %zu, \"bgcolor\": ",
	    h->parts, h->raw_len, h->text_len, h->hidden_text_len, h->markup_len, h->elements,
	    h->anchors, h->images, h->images_with_size, h->image_area, h->forms, h->inputs,
	    h->scripts, h->styles, h->iframes, h->objects, h->embeds, h->tables, h->fonts,
	    h->metas, h->comments, h->comment_len, h->uris);
	json_str_or_null(b, h->bgcolor[0] ? h->bgcolor : NULL);
	mw_buf_puts(b, ", \"text_color\": ");
	json_str_or_null(b, h->text_color[0] ? h->text_color : NULL);
	mw_buf_puts(b, ", \"title\": ");
	json_str_or_null(b, h->title[0] ? h->title : NULL);
	mw_buf_puts(b, "}");
}

int
mw_mime_dump_json(const struct mw_message *m, struct mw_buf *b)
{
	const struct mw_mime *mm = m ? m->mime : NULL;
	unsigned bit;
	size_t i, j;
	bool first;

	if (mm == NULL) {
		errno = EINVAL;
		return -1;
	}
	mw_buf_puts(b, "{\n  \"flags\": [");
	for (first = true, bit = 1; bit; bit <<= 1)
		if (m->flags & bit) {
			mw_buf_printf(b, "%s\"%s\"", first ? "" : ", ", mw_message_flag_name(bit));
			first = false;
		}
	mw_buf_puts(b, "],\n  \"parser_warnings\": [");
	for (first = true, bit = 1; bit < 32; bit++)
		if (mm->warnings & (1u << bit)) {
			mw_buf_printf(b, "%s\"%s\"", first ? "" : ", ", warning_name(bit));
			first = false;
		}
	mw_buf_puts(b, "],\n  \"headers\": [");
	for (i = 0; i < mm->nhdr; i++) {
		mw_buf_puts(b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		json_str_or_null(b, m->headers[i].name);
		mw_buf_puts(b, ", \"decoded\": ");
		json_str_or_null(b, mm->hdr_decoded[i]);
		mw_buf_putc(b, '}');
	}
	mw_buf_puts(b, mm->nhdr ? "\n  ],\n  \"addresses\": [" : "],\n  \"addresses\": [");
	for (first = true, i = 0; i < mm->naddr_lists; i++)
		for (j = 0; j < mm->addrs[i].n; j++) {
			mw_buf_puts(b, first ? "\n    {\"field\": " : ",\n    {\"field\": ");
			json_str_or_null(b, mm->addrs[i].field);
			mw_buf_puts(b, ", \"name\": ");
			json_str_or_null(b, mm->addrs[i].v[j].name);
			mw_buf_puts(b, ", \"address\": ");
			json_str_or_null(b, mm->addrs[i].v[j].addr);
			mw_buf_putc(b, '}');
			first = false;
		}
	mw_buf_puts(b, first ? "],\n  \"parts\": [" : "\n  ],\n  \"parts\": [");
	for (i = 0; i < mm->nparts; i++) {
		const struct mw_mime_part *p = &mm->parts[i];

		mw_buf_puts(b, i ? ",\n    {\"id\": " : "\n    {\"id\": ");
		json_str_or_null(b, p->id);
		mw_buf_printf(b, ", \"depth\": %u, \"type\": ", p->depth);
		json_str_or_null(b, p->type);
		mw_buf_puts(b, ", \"charset\": ");
		json_str_or_null(b, p->charset);
		mw_buf_puts(b, ", \"charset_used\": ");
		json_str_or_null(b, p->charset_used);
		mw_buf_puts(b, ", \"encoding\": ");
		json_str_or_null(b, p->encoding);
		mw_buf_puts(b, ", \"disposition\": ");
		json_str_or_null(b, p->disposition);
		mw_buf_puts(b, ", \"filename\": ");
		json_str_or_null(b, p->filename);
		mw_buf_printf(b, ", \"raw_size\": %zu, \"decoded_size\": %zu, \"text_size\": %zu, "
		    "\"flags\": [", p->raw_size, p->decoded_size, p->text_size);
		for (first = true, bit = 1; bit <= MW_PART_EMPTY; bit <<= 1)
			if (p->flags & bit) {
				mw_buf_printf(b, "%s\"%s\"", first ? "" : ", ",
				    mw_mime_part_flag_name(bit));
				first = false;
			}
		mw_buf_puts(b, "]}");
	}
	mw_buf_puts(b, mm->nparts ? "\n  ]" : "]");
	json_html(b, &mm->html);
	json_textv(b, "body", mm->views.body, mm->views.nbody);
	json_textv(b, "rawbody", mm->views.rawbody, mm->views.nrawbody);
	mw_buf_puts(b, ",\n  \"uri\": [");
	for (i = 0; i < mm->uris.n; i++) {
		const struct mw_uri *u = &mm->uris.v[i];
		static const char *const names[] = { "ip", "obfuscated_ip", "userinfo",
		    "encoded_host", "from_html", "no_scheme", "as_written" };

		mw_buf_puts(b, i ? ",\n    {\"uri\": " : "\n    {\"uri\": ");
		mw_buf_json_str(b, u->uri, u->len);
		mw_buf_puts(b, ", \"host\": ");
		json_str_or_null(b, u->host);
		mw_buf_puts(b, ", \"flags\": [");
		for (first = true, j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if (u->flags & (1u << j)) {
				mw_buf_printf(b, "%s\"%s\"", first ? "" : ", ", names[j]);
				first = false;
			}
		mw_buf_puts(b, "]}");
	}
	mw_buf_puts(b, mm->uris.n ? "\n  ]\n}" : "]\n}");
	return b->truncated ? -1 : 0;
}
