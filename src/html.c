/*
 * html - HTML part -> rendered text + structure facts, over libxml2's SAX parser.
 *
 * Rendering follows SpamAssassin's Mail::SpamAssassin::HTML closely enough that
 * body rules mean the same: script and style text is dropped, title text is kept,
 * br/div give a line break, p/hr/blockquote/pre/title a paragraph break, cells and
 * list items a space (on start and end tags alike).  Hidden text (display:none,
 * visibility:hidden, zero font size, foreground close to background) is rendered,
 * as SpamAssassin's "rendered" text includes it, and counted separately.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "html.h"
#include "utf8.h"

#define MAX_STACK	512		/* libxml2 itself stops at 256 levels */
#define NO_COLOR	(-1L)

enum ws { WS_NONE, WS_SPACE, WS_LINE, WS_PARA };

struct frame {
	long	 fg, bg;		/* 0xRRGGBB or NO_COLOR */
	bool	 hidden;		/* display:none and the like */
	bool	 skip;			/* script/style: no text at all */
	bool	 title;
	bool	 implied;		/* an element libxml2 made up (html, body, p) */
};

struct render {
	struct mw_buf *out;
	struct mw_html_facts *f;
	mw_html_uri_fn uri_fn;
	void	*arg;
	htmlParserCtxtPtr ctxt;
	int	 err;			/* latched: ENOMEM or callback failure */
	struct frame stack[MAX_STACK];
	size_t	 depth;			/* frames in use (stack[0] is the document) */
	size_t	 overflow;		/* elements open beyond MAX_STACK */
	size_t	 title_len;
	bool	 title_seen;
};

static const struct { const char *name; long rgb; } color_names[] = {
	{ "black", 0x000000 }, { "white", 0xffffff }, { "red", 0xff0000 },
	{ "green", 0x008000 }, { "blue", 0x0000ff }, { "yellow", 0xffff00 },
	{ "gray", 0x808080 }, { "grey", 0x808080 }, { "silver", 0xc0c0c0 },
	{ "maroon", 0x800000 }, { "navy", 0x000080 }, { "purple", 0x800080 },
	{ "teal", 0x008080 }, { "olive", 0x808000 }, { "lime", 0x00ff00 },
	{ "aqua", 0x00ffff }, { "fuchsia", 0xff00ff }, { "orange", 0xffa500 },
	{ "whitesmoke", 0xf5f5f5 }, { "snow", 0xfffafa }, { "ivory", 0xfffff0 },
};

static long
parse_color(const char *s)
{
	char tok[32];
	size_t i, n = 0;
	char *end;
	long v;

	while (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'')
		s++;
	while (s[n] && n + 1 < sizeof(tok) && (isalnum((unsigned char)s[n]) || s[n] == '#')) {
		tok[n] = (char)tolower((unsigned char)s[n]);
		n++;
	}
	tok[n] = '\0';
	for (i = 0; i < sizeof(color_names) / sizeof(color_names[0]); i++)
		if (strcmp(tok, color_names[i].name) == 0)
			return color_names[i].rgb;
	s = tok[0] == '#' ? tok + 1 : tok;
	n = strlen(s);
	if (n != 3 && n != 6)
		return NO_COLOR;
	v = strtol(s, &end, 16);
	if (*end != '\0')
		return NO_COLOR;
	if (n == 3)
		v = ((v & 0xf00) << 12 | (v & 0xf00) << 8 | (v & 0x0f0) << 8 |
		    (v & 0x0f0) << 4 | (v & 0x00f) << 4 | (v & 0x00f));
	return v;
}

/* Near-invisible as SpamAssassin measures it: brightness-weighted distance < 12. */
static bool
low_contrast(long fg, long bg)
{
	double r, g, b;

	if (fg == NO_COLOR || bg == NO_COLOR)
		return false;
	r = 0.2126 * (double)(((fg >> 16) & 0xff) - ((bg >> 16) & 0xff));
	g = 0.7152 * (double)(((fg >> 8) & 0xff) - ((bg >> 8) & 0xff));
	b = 0.0722 * (double)((fg & 0xff) - (bg & 0xff));
	return r * r + g * g + b * b < 144.0;
}

static void
set_hex(char *dst, size_t sz, long rgb)
{
	if (dst[0] == '\0' && rgb != NO_COLOR)
		snprintf(dst, sz, "#%06lx", rgb);
}

/* Value of a CSS property in a style attribute ("color: red; ..."), copied. */
static bool
css_value(const char *style, const char *prop, char *out, size_t outsz)
{
	size_t plen = strlen(prop);
	const char *p = style;

	while ((p = strcasestr(p, prop)) != NULL) {
		/* must be a whole property name: start of string or after ';' / space */
		if (p != style && p[-1] != ';' && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '"') {
			p += plen;
			continue;
		}
		p += plen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = 0;
		while (p[n] && p[n] != ';' && n + 1 < outsz) {
			out[n] = (char)tolower((unsigned char)p[n]);
			n++;
		}
		while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
			n--;
		out[n] = '\0';
		return true;
	}
	return false;
}

static bool
zero_size(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v)
		return false;
	return d <= 1.0 && (*end == '\0' || strncmp(end, "px", 2) == 0 ||
	    strncmp(end, "pt", 2) == 0);
}

static const char *
attr(const xmlChar **atts, const char *name)
{
	size_t i;

	if (atts == NULL)
		return NULL;
	for (i = 0; atts[i]; i += 2)
		if (strcasecmp((const char *)atts[i], name) == 0)
			return atts[i + 1] ? (const char *)atts[i + 1] : "";
	return NULL;
}

static enum ws
whitespace_of(const char *tag)
{
	static const char *const line[] = { "br", "div", NULL };
	static const char *const space[] = { "li", "th", "td", "dd", "dt", "embed", "h1", "h2",
	    "h3", "h4", "h5", "h6", NULL };
	static const char *const para[] = { "p", "hr", "blockquote", "pre", "listing",
	    "plaintext", "xmp", "title", NULL };
	size_t i;

	for (i = 0; line[i]; i++)
		if (strcasecmp(tag, line[i]) == 0)
			return WS_LINE;
	for (i = 0; space[i]; i++)
		if (strcasecmp(tag, space[i]) == 0)
			return WS_SPACE;
	for (i = 0; para[i]; i++)
		if (strcasecmp(tag, para[i]) == 0)
			return WS_PARA;
	return WS_NONE;
}

static void
emit(struct render *r, const char *s, size_t n)
{
	if (r->err || r->out->truncated)
		return;
	if (mw_buf_append(r->out, s, n) < 0) {
		if (r->out->truncated) {
			/* Keep what fits, cut at a character boundary. */
			size_t room = r->out->max - r->out->len;

			while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
				room--;
			if (room && mw_buf_append(r->out, s, room) == 0)
				r->f->text_len += room;
			r->out->truncated = true;
			return;
		}
		r->err = ENOMEM;
		return;
	}
	r->f->text_len += n;
}

static void
emit_ws(struct render *r, enum ws w)
{
	static const char *const text[] = { "", " ", "\n", "\n\n" };

	if (w != WS_NONE)
		emit(r, text[w], strlen(text[w]));
}

static void
uri_attr(struct render *r, const char *v)
{
	if (v == NULL || r->err)
		return;
	r->f->uris++;
	if (r->uri_fn && r->uri_fn(r->arg, v, strlen(v)) < 0)
		r->err = errno ? errno : ENOMEM;
}

static void
count_tag(struct render *r, const char *tag, const xmlChar **atts)
{
	struct mw_html_facts *f = r->f;

	f->elements++;
	if (strcasecmp(tag, "a") == 0 || strcasecmp(tag, "area") == 0) {
		f->anchors++;
		uri_attr(r, attr(atts, "href"));
	} else if (strcasecmp(tag, "img") == 0) {
		const char *w = attr(atts, "width"), *h = attr(atts, "height");

		f->images++;
		uri_attr(r, attr(atts, "src"));
		if (w && h) {
			long wv = strtol(w, NULL, 10), hv = strtol(h, NULL, 10);

			f->images_with_size++;
			if (wv > 0 && hv > 0 && wv < 100000 && hv < 100000)
				f->image_area += (unsigned long long)wv * (unsigned long long)hv;
		}
	} else if (strcasecmp(tag, "form") == 0) {
		f->forms++;
		uri_attr(r, attr(atts, "action"));
	} else if (strcasecmp(tag, "input") == 0) {
		f->inputs++;
		uri_attr(r, attr(atts, "src"));
	} else if (strcasecmp(tag, "script") == 0) {
		f->scripts++;
		uri_attr(r, attr(atts, "src"));
	} else if (strcasecmp(tag, "style") == 0)
		f->styles++;
	else if (strcasecmp(tag, "iframe") == 0 || strcasecmp(tag, "frame") == 0) {
		f->iframes++;
		uri_attr(r, attr(atts, "src"));
	} else if (strcasecmp(tag, "object") == 0) {
		f->objects++;
		uri_attr(r, attr(atts, "data"));
	} else if (strcasecmp(tag, "embed") == 0) {
		f->embeds++;
		uri_attr(r, attr(atts, "src"));
	} else if (strcasecmp(tag, "table") == 0) {
		f->tables++;
		uri_attr(r, attr(atts, "background"));
	} else if (strcasecmp(tag, "font") == 0)
		f->fonts++;
	else if (strcasecmp(tag, "meta") == 0) {
		const char *eq = attr(atts, "http-equiv"), *c = attr(atts, "content");

		f->metas++;
		/* <meta http-equiv=refresh content="0; url=http://..."> redirects. */
		if (eq && c && strcasecmp(eq, "refresh") == 0) {
			const char *u = strcasestr(c, "url=");

			if (u)
				uri_attr(r, u + 4);
		}
	} else if (strcasecmp(tag, "link") == 0 || strcasecmp(tag, "base") == 0)
		uri_attr(r, attr(atts, "href"));
	else if (strcasecmp(tag, "body") == 0 || strcasecmp(tag, "td") == 0 ||
	    strcasecmp(tag, "th") == 0 || strcasecmp(tag, "tr") == 0)
		uri_attr(r, attr(atts, "background"));
}

/* Is the parser right after "<tag" (plus white space), i.e. did the sender write
 * this attribute-less start tag?  Elements libxml2 invents are reported while it
 * stands on some other tag or on text. */
static bool
in_source(const struct render *r, const char *tag)
{
	const xmlChar *base, *cur;
	size_t n = strlen(tag);

	if (r->ctxt == NULL || r->ctxt->input == NULL || r->ctxt->input->cur == NULL ||
	    r->ctxt->input->base == NULL)
		return true;
	base = r->ctxt->input->base;
	cur = r->ctxt->input->cur;
	if (*cur != '>' && *cur != '/')
		return false;
	while (cur > base && (cur[-1] == ' ' || cur[-1] == '\t' || cur[-1] == '\n' ||
	    cur[-1] == '\r'))
		cur--;
	if ((size_t)(cur - base) < n + 1)
		return false;
	return cur[-(long)n - 1] == '<' &&
	    strncasecmp((const char *)cur - n, tag, n) == 0;
}

static void
on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct render *r = ctx;
	const char *tag = (const char *)name;
	struct frame fr;
	const char *v;
	char css[64];
	bool set_fg = false, set_bg = false;

	/*
	 * libxml2 invents <html>, <body> and a <p> around text outside any element;
	 * SpamAssassin sees no tag there.  A real start tag is reported with the parser
	 * at its '>' (or "/>"), an invented one with the parser elsewhere.
	 */
	if (atts == NULL && !in_source(r, tag)) {
		if (r->depth < MAX_STACK) {
			fr = r->stack[r->depth - 1];
			fr.title = false;
			fr.implied = true;
			r->stack[r->depth++] = fr;
		} else
			r->overflow++;
		return;
	}
	count_tag(r, tag, atts);
	emit_ws(r, whitespace_of(tag));
	if (r->depth >= MAX_STACK) {
		r->overflow++;
		return;
	}
	fr = r->stack[r->depth - 1];
	fr.title = false;
	fr.implied = false;
	if (strcasecmp(tag, "script") == 0 || strcasecmp(tag, "style") == 0 ||
	    strcasecmp(tag, "template") == 0)
		fr.skip = true;
	if (strcasecmp(tag, "title") == 0 && !r->title_seen) {
		fr.title = true;
		r->title_seen = true;
	}
	if (attr(atts, "hidden"))
		fr.hidden = true;
	if ((v = attr(atts, "bgcolor")) != NULL)
		fr.bg = parse_color(v), set_bg = true;
	if ((v = attr(atts, "color")) != NULL && strcasecmp(tag, "font") == 0)
		fr.fg = parse_color(v), set_fg = true;
	if ((v = attr(atts, "text")) != NULL && strcasecmp(tag, "body") == 0)
		fr.fg = parse_color(v), set_fg = true;
	if (strcasecmp(tag, "font") == 0 && (v = attr(atts, "size")) != NULL &&
	    strtol(v, NULL, 10) <= 0 && v[0] != '+' && v[0] != '-')
		fr.hidden = true;
	if ((v = attr(atts, "style")) != NULL) {
		if (css_value(v, "display", css, sizeof(css)) && strncmp(css, "none", 4) == 0)
			fr.hidden = true;
		if (css_value(v, "visibility", css, sizeof(css)) && strncmp(css, "hidden", 6) == 0)
			fr.hidden = true;
		if (css_value(v, "font-size", css, sizeof(css)) && zero_size(css))
			fr.hidden = true;
		if (css_value(v, "color", css, sizeof(css)))
			fr.fg = parse_color(css), set_fg = true;
		if (css_value(v, "background-color", css, sizeof(css)) ||
		    css_value(v, "background", css, sizeof(css))) {
			long bg = parse_color(css);

			if (bg != NO_COLOR)
				fr.bg = bg, set_bg = true;
		}
	}
	/* Record colours the sender set, not our defaults. */
	if (strcasecmp(tag, "body") == 0 && set_bg)
		set_hex(r->f->bgcolor, sizeof(r->f->bgcolor), fr.bg);
	if ((strcasecmp(tag, "body") == 0 || strcasecmp(tag, "font") == 0) && set_fg)
		set_hex(r->f->text_color, sizeof(r->f->text_color), fr.fg);
	r->stack[r->depth++] = fr;
}

static void
on_end(void *ctx, const xmlChar *name)
{
	struct render *r = ctx;

	if (r->overflow == 0 && r->depth > 1 && r->stack[r->depth - 1].implied) {
		r->depth--;
		return;
	}
	/* Void elements have no end tag in the source; libxml2 reports one anyway. */
	if (strcasecmp((const char *)name, "br") != 0 && strcasecmp((const char *)name, "hr") != 0 &&
	    strcasecmp((const char *)name, "embed") != 0)
		emit_ws(r, whitespace_of((const char *)name));
	if (r->overflow > 0)
		r->overflow--;
	else if (r->depth > 1)
		r->depth--;
}

static void
on_text(void *ctx, const xmlChar *ch_in, int len)
{
	struct render *r = ctx;
	const struct frame *fr = &r->stack[r->depth - 1];
	size_t n = len > 0 ? (size_t)len : 0;
	const xmlChar *ch = ch_in;
	char *clean = NULL;

	if (fr->skip || n == 0)
		return;
	/* libxml2 encodes character references beyond U+10FFFF (&#x13C411;) as
	 * bytes that are not UTF-8; the text we hand on must be. */
	if (!mw_utf8_valid((const char *)ch, n)) {
		if ((clean = mw_utf8_sanitize((const char *)ch, n, &n)) == NULL) {
			r->err = ENOMEM;
			return;
		}
		ch = (const xmlChar *)clean;
	}
	if (fr->title) {
		size_t room = sizeof(r->f->title) - 1 - r->title_len;
		size_t k = n < room ? n : room;

		while (k > 0 && k < n && (ch[k] & 0xC0) == 0x80)
			k--;
		memcpy(r->f->title + r->title_len, ch, k);
		r->title_len += k;
		r->f->title[r->title_len] = '\0';
		if (k < n)
			r->f->title_truncated = true;
	}
	if (fr->hidden || low_contrast(fr->fg, fr->bg))
		r->f->hidden_text_len += n;
	emit(r, (const char *)ch, n);
	free(clean);
}

static void
on_comment(void *ctx, const xmlChar *value)
{
	struct render *r = ctx;

	r->f->comments++;
	r->f->comment_len += strlen((const char *)value);
}

static void
on_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
mw_html_render(const char *html, size_t n, struct mw_buf *text,
    struct mw_html_facts *facts, mw_html_uri_fn uri_fn, void *arg)
{
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;
	struct render *r;
	int rc = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->out = text;
	r->f = facts;
	r->uri_fn = uri_fn;
	r->arg = arg;
	r->stack[0] = (struct frame){ .fg = 0x000000, .bg = 0xffffff };
	r->depth = 1;
	facts->parts++;
	facts->raw_len += n;

	memset(&sax, 0, sizeof(sax));
	sax.startElement = on_start;
	sax.endElement = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;	/* script/style bodies arrive here; skipped */
	sax.comment = on_comment;
	sax.warning = on_silent;
	sax.error = on_silent;
	sax.fatalError = on_silent;

	/* libxml2 takes an int length: feed big parts in slices. */
	ctxt = htmlCreatePushParserCtxt(&sax, r, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
	if (ctxt == NULL) {
		free(r);
		errno = ENOMEM;
		return -1;
	}
	r->ctxt = ctxt;
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
	/* The last slice goes with terminate=1: libxml2's push parser otherwise keeps
	 * trailing text waiting for more input and drops it. */
	do {
		size_t k = n < (1u << 20) ? n : (1u << 20);

		htmlParseChunk(ctxt, html, (int)k, k == n || r->err || text->truncated);
		html += k;
		n -= k;
	} while (n > 0 && !r->err && !text->truncated);
	htmlFreeParserCtxt(ctxt);

	facts->markup_len = facts->raw_len > facts->text_len ? facts->raw_len - facts->text_len : 0;
	if (r->err) {
		errno = r->err;
		rc = -1;
	}
	free(r);
	return rc;
}
