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

/* --- SpamAssassin's view (HTML.pm over HTML::Parser) ---------------------------------- */

/*
 * A second, much simpler pass over the source, for the facts SpamAssassin's HTML
 * eval tests read.  Those facts depend on the tags as written (HTML::Parser reports
 * each start and end tag as it comes, with no repair), and on HTML.pm's own model
 * of text colour: a stack of styles pushed by a few tags only, popped by a matching
 * end tag, where only some attributes count.  libxml2 repairs the tree (closes <p>
 * before <div>, drops stray end tags), so this pass tokenises on its own: tags,
 * comments, declarations and text, with script/style content taken literally.
 * Memory is fixed: a bounded style stack and tag table.
 */

#define SA_STYLE_MAX	256

struct sa_style {
	char	 tag[12];
	char	 fg[12], bg[12];	/* "#rrggbb", "#", "invalid" or "transparent" */
	int	 size;
	bool	 display_none, visibility_hidden;
};

struct sa_pass {
	struct mw_html_sa_tests *t;
	struct mw_html_sa_part *p;	/* NULL beyond MW_HTML_SA_PARTS */
	struct mw_html_sa_part scratch;
	struct sa_style st[SA_STYLE_MAX];
	size_t	 nst;
	int	 basefont;
	long	 in_script, in_style;	/* inside counts, as HTML.pm tests them */
	long	 in_a, in_title;
	struct mw_html_facts *f;
};

/* Start a new string in a list (the buffer keeps at least its terminator). */
static void
sa_texts_new(struct mw_html_sa_texts *t)
{
	if (t->used >= sizeof(t->buf)) {
		t->lost = t->last_lost = true;
		return;
	}
	t->buf[t->used++] = '\0';
	t->n++;
	t->last_lost = false;
}

/* Append to the last string of a list (none yet: nothing to append to). */
static void
sa_texts_add(struct mw_html_sa_texts *t, const char *s, size_t n)
{
	size_t room;

	if (t->n == 0 || n == 0 || t->last_lost)
		return;
	room = sizeof(t->buf) - t->used;
	if (n > room) {
		n = room;
		t->lost = true;
	}
	memcpy(t->buf + t->used - 1, s, n);
	t->used += n;
	t->buf[t->used - 1] = '\0';
}

/* Text as HTML::Parser's dtext gives it: the usual entities decoded (others are
 * kept as written), appended to a list's last string. */
static void
sa_texts_add_decoded(struct mw_html_sa_texts *t, const char *s, size_t n)
{
	static const struct { const char *name; const char *utf8; } ent[] = {
		{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
		{ "nbsp", "\xc2\xa0" }, { "copy", "\xc2\xa9" }, { "reg", "\xc2\xae" },
	};
	size_t i = 0, run = 0;

	while (i < n) {
		size_t j = i + 1, k;
		char out[8];
		size_t on = 0;

		if (s[i] != '&') {
			i++;
			continue;
		}
		if (j < n && s[j] == '#') {
			unsigned long cp = 0;
			bool hex = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
			size_t d = j + 1 + hex, e = d;

			while (e < n && e - d < 7 && (hex ? isxdigit((unsigned char)s[e]) :
			    isdigit((unsigned char)s[e]))) {
				cp = cp * (hex ? 16 : 10) + (unsigned long)(isdigit((unsigned char)s[e]) ?
				    s[e] - '0' : (tolower((unsigned char)s[e]) - 'a' + 10));
				e++;
			}
			if (e > d && cp > 0 && cp < 0x110000 && !(cp >= 0xd800 && cp < 0xe000)) {
				if (cp < 0x80)
					out[on++] = (char)cp;
				else if (cp < 0x800) {
					out[on++] = (char)(0xc0 | cp >> 6);
					out[on++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					out[on++] = (char)(0xe0 | cp >> 12);
					out[on++] = (char)(0x80 | (cp >> 6 & 0x3f));
					out[on++] = (char)(0x80 | (cp & 0x3f));
				} else {
					out[on++] = (char)(0xf0 | cp >> 18);
					out[on++] = (char)(0x80 | (cp >> 12 & 0x3f));
					out[on++] = (char)(0x80 | (cp >> 6 & 0x3f));
					out[on++] = (char)(0x80 | (cp & 0x3f));
				}
				if (e < n && s[e] == ';')
					e++;
				j = e;
			}
		} else {
			for (k = 0; k < sizeof(ent) / sizeof(ent[0]); k++) {
				size_t l = strlen(ent[k].name);

				if (j + l <= n && strncmp(s + j, ent[k].name, l) == 0) {
					on = strlen(ent[k].utf8);
					memcpy(out, ent[k].utf8, on);
					j += l;
					if (j < n && s[j] == ';')
						j++;
					break;
				}
			}
		}
		if (on == 0) {
			i++;
			continue;
		}
		sa_texts_add(t, s + run, i - run);
		sa_texts_add(t, out, on);
		i = run = j;
	}
	sa_texts_add(t, s + run, n - run);
}

struct sa_color {
	const char *name;
	long	 rgb;
};

static const struct sa_color sa_colors[] = {
	/* HTML 4 and CSS3 colour names, sorted (bsearch) */
	{ "aliceblue", 0xf0f8ff }, { "antiquewhite", 0xfaebd7 }, { "aqua", 0x00ffff },
	{ "aquamarine", 0x7fffd4 }, { "azure", 0xf0ffff }, { "beige", 0xf5f5dc },
	{ "bisque", 0xffe4c4 }, { "black", 0x000000 }, { "blanchedalmond", 0xffebcd },
	{ "blue", 0x0000ff }, { "blueviolet", 0x8a2be2 }, { "brown", 0xa52a2a },
	{ "burlywood", 0xdeb887 }, { "cadetblue", 0x5f9ea0 }, { "chartreuse", 0x7fff00 },
	{ "chocolate", 0xd2691e }, { "coral", 0xff7f50 }, { "cornflowerblue", 0x6495ed },
	{ "cornsilk", 0xfff8dc }, { "crimson", 0xdc143c }, { "cyan", 0x00ffff },
	{ "darkblue", 0x00008b }, { "darkcyan", 0x008b8b }, { "darkgoldenrod", 0xb8860b },
	{ "darkgray", 0xa9a9a9 }, { "darkgreen", 0x006400 }, { "darkgrey", 0xa9a9a9 },
	{ "darkkhaki", 0xbdb76b }, { "darkmagenta", 0x8b008b }, { "darkolivegreen", 0x556b2f },
	{ "darkorange", 0xff8c00 }, { "darkorchid", 0x9932cc }, { "darkred", 0x8b0000 },
	{ "darksalmon", 0xe9967a }, { "darkseagreen", 0x8fbc8f }, { "darkslateblue", 0x483d8b },
	{ "darkslategray", 0x2f4f4f }, { "darkslategrey", 0x2f4f4f }, { "darkturquoise", 0x00ced1 },
	{ "darkviolet", 0x9400d3 }, { "deeppink", 0xff1493 }, { "deepskyblue", 0x00bfff },
	{ "dimgray", 0x696969 }, { "dimgrey", 0x696969 }, { "dodgerblue", 0x1e90ff },
	{ "firebrick", 0xb22222 }, { "floralwhite", 0xfffaf0 }, { "forestgreen", 0x228b22 },
	{ "fuchsia", 0xff00ff }, { "gainsboro", 0xdcdcdc }, { "ghostwhite", 0xf8f8ff },
	{ "gold", 0xffd700 }, { "goldenrod", 0xdaa520 }, { "gray", 0x808080 },
	{ "green", 0x008000 }, { "greenyellow", 0xadff2f }, { "grey", 0x808080 },
	{ "honeydew", 0xf0fff0 }, { "hotpink", 0xff69b4 }, { "indianred", 0xcd5c5c },
	{ "indigo", 0x4b0082 }, { "ivory", 0xfffff0 }, { "khaki", 0xf0e68c },
	{ "lavender", 0xe6e6fa }, { "lavenderblush", 0xfff0f5 }, { "lawngreen", 0x7cfc00 },
	{ "lemonchiffon", 0xfffacd }, { "lightblue", 0xadd8e6 }, { "lightcoral", 0xf08080 },
	{ "lightcyan", 0xe0ffff }, { "lightgoldenrodyellow", 0xfafad2 }, { "lightgray", 0xd3d3d3 },
	{ "lightgreen", 0x90ee90 }, { "lightgrey", 0xd3d3d3 }, { "lightpink", 0xffb6c1 },
	{ "lightsalmon", 0xffa07a }, { "lightseagreen", 0x20b2aa }, { "lightskyblue", 0x87cefa },
	{ "lightslategray", 0x778899 }, { "lightslategrey", 0x778899 }, { "lightsteelblue", 0xb0c4de },
	{ "lightyellow", 0xffffe0 }, { "lime", 0x00ff00 }, { "limegreen", 0x32cd32 },
	{ "linen", 0xfaf0e6 }, { "magenta", 0xff00ff }, { "maroon", 0x800000 },
	{ "mediumaquamarine", 0x66cdaa }, { "mediumblue", 0x0000cd }, { "mediumorchid", 0xba55d3 },
	{ "mediumpurple", 0x9370db }, { "mediumseagreen", 0x3cb371 }, { "mediumslateblue", 0x7b68ee },
	{ "mediumspringgreen", 0x00fa9a }, { "mediumturquoise", 0x48d1cc }, { "mediumvioletred", 0xc71585 },
	{ "midnightblue", 0x191970 }, { "mintcream", 0xf5fffa }, { "mistyrose", 0xffe4e1 },
	{ "moccasin", 0xffe4b5 }, { "navajowhite", 0xffdead }, { "navy", 0x000080 },
	{ "oldlace", 0xfdf5e6 }, { "olive", 0x808000 }, { "olivedrab", 0x6b8e23 },
	{ "orange", 0xffa500 }, { "orangered", 0xff4500 }, { "orchid", 0xda70d6 },
	{ "palegoldenrod", 0xeee8aa }, { "palegreen", 0x98fb98 }, { "paleturquoise", 0xafeeee },
	{ "palevioletred", 0xdb7093 }, { "papayawhip", 0xffefd5 }, { "peachpuff", 0xffdab9 },
	{ "peru", 0xcd853f }, { "pink", 0xffc0cb }, { "plum", 0xdda0dd },
	{ "powderblue", 0xb0e0e6 }, { "purple", 0x800080 }, { "red", 0xff0000 },
	{ "rosybrown", 0xbc8f8f }, { "royalblue", 0x4169e1 }, { "saddlebrown", 0x8b4513 },
	{ "salmon", 0xfa8072 }, { "sandybrown", 0xf4a460 }, { "seagreen", 0x2e8b57 },
	{ "seashell", 0xfff5ee }, { "sienna", 0xa0522d }, { "silver", 0xc0c0c0 },
	{ "skyblue", 0x87ceeb }, { "slateblue", 0x6a5acd }, { "slategray", 0x708090 },
	{ "slategrey", 0x708090 }, { "snow", 0xfffafa }, { "springgreen", 0x00ff7f },
	{ "steelblue", 0x4682b4 }, { "tan", 0xd2b48c }, { "teal", 0x008080 },
	{ "thistle", 0xd8bfd8 }, { "tomato", 0xff6347 }, { "turquoise", 0x40e0d0 },
	{ "violet", 0xee82ee }, { "wheat", 0xf5deb3 }, { "white", 0xffffff },
	{ "whitesmoke", 0xf5f5f5 }, { "yellow", 0xffff00 }, { "yellowgreen", 0x9acd32 },
};

static int
sa_color_cmp(const void *k, const void *e)
{
	return strcmp(k, *(const char *const *)e);
}

/* HTML.pm's name_to_rgb: a colour name, #hex (any length, cut or padded to six
 * digits), rgb(r,g,b) or rgb(r%,g%,b%); anything else is "invalid". */
static void
sa_name_to_rgb(const char *in, size_t n, char out[12])
{
	char c[64], hex[64];
	size_t i, k = 0, h = 0;
	const void *hit;
	unsigned long v[3];

	while (n > 0 && isspace((unsigned char)*in))
		in++, n--;
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	if (n >= sizeof(c)) {
		strcpy(out, "invalid");
		return;
	}
	for (i = 0; i < n; i++)
		c[k++] = (char)tolower((unsigned char)in[i]);
	c[k] = '\0';
	hit = bsearch(c, sa_colors, sizeof(sa_colors) / sizeof(sa_colors[0]),
	    sizeof(sa_colors[0]), sa_color_cmp);
	if (hit != NULL) {
		snprintf(out, 12, "#%06lx", ((const struct sa_color *)hit)->rgb);
		return;
	}
	if (c[strspn(c, "#0123456789abcdef")] != '\0') {
		const char *r = strstr(c, "rgb(");
		int used = 0;

		if (r == NULL || r[4 + strspn(r + 4, "0123456789%, ")] != ')') {
			strcpy(out, "invalid");
			return;
		}
		if (sscanf(r, "rgb(%lu%%,%lu%%,%lu%%%n", &v[0], &v[1], &v[2], &used) == 3 &&
		    used > 0 && r[used + strspn(r + used, " ")] == ')') {
			for (i = 0; i < 3; i++)
				v[i] = (unsigned long)((double)v[i] / 100 * 255);
		} else if (!(sscanf(r, "rgb(%lu,%lu,%lu%n", &v[0], &v[1], &v[2], &used) == 3 &&
		    used > 0 && r[used + strspn(r + used, " ")] == ')')) {
			strcpy(out, "invalid");
			return;
		}
		snprintf(c, sizeof(c), "#%02lx%02lx%02lx", v[0], v[1], v[2]);
	} else if (c[0] != '#') {
		strcpy(out, "invalid");
		return;
	}
	for (i = 0; c[i]; i++)
		if (isxdigit((unsigned char)c[i]))
			hex[h++] = c[i];
	if (h > 6)
		h = 6;
	else if (h > 3 && h < 6)
		h = 3;
	while (h % 3)
		hex[h++] = '0';
	if (h == 3) {
		hex[5] = hex[4] = hex[2];
		hex[3] = hex[2] = hex[1];
		hex[1] = hex[0];
		h = 6;
	}
	out[0] = '#';
	memcpy(out + 1, hex, h);
	out[1 + h] = '\0';
}

static bool
sa_is_element(const char *tag)
{
	static const char *const el[] = { "a", "abbr", "acronym", "address", "applet", "area",
	    "b", "base", "basefont", "bdo", "big", "blockquote", "body", "br", "button",
	    "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "dir",
	    "div", "dl", "dt", "em", "fieldset", "font", "form", "frame", "frameset", "h1",
	    "h2", "h3", "h4", "h5", "h6", "head", "hr", "html", "i", "iframe", "img", "input",
	    "ins", "isindex", "kbd", "label", "legend", "li", "link", "map", "menu", "meta",
	    "nobr", "noframes", "noscript", "object", "ol", "optgroup", "option", "p", "param",
	    "pre", "q", "s", "samp", "script", "select", "small", "span", "strike", "strong",
	    "style", "sub", "sup", "table", "tbody", "td", "textarea", "tfoot", "th", "thead",
	    "title", "tr", "tt", "u", "ul", "var", "x-sigsep", "x-tab", NULL };
	size_t i;

	for (i = 0; el[i]; i++)
		if (strcmp(tag, el[i]) == 0)
			return true;
	return false;
}

static bool
sa_is_trick(const char *tag)
{
	return strcmp(tag, "bgsound") == 0 || strcmp(tag, "embed") == 0 ||
	    strcmp(tag, "listing") == 0 || strcmp(tag, "plaintext") == 0 ||
	    strcmp(tag, "xmp") == 0;
}

/* Office namespaces ("o:p", "st1:place") count as elements and are otherwise ignored. */
static bool
sa_namespace(const char *tag)
{
	const char *p;

	if (tag[0] == 'o' && tag[1] == ':')
		p = tag + 2;
	else if (tag[0] == 's' && tag[1] == 't' && isdigit((unsigned char)tag[2]) && tag[3] == ':')
		p = tag + 4;
	else
		return false;
	if (*p == '\0')
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && !(*p == '/' && !p[1]))
			return false;
	return true;
}

static struct mw_html_sa_tag *
sa_tag_slot(struct mw_html_sa_part *p, const char *tag, bool *existed)
{
	size_t i;

	for (i = 0; i < p->ntags; i++)
		if (strcmp(p->tag[i].name, tag) == 0) {
			*existed = true;
			return &p->tag[i];
		}
	*existed = false;
	if (p->ntags == MW_HTML_SA_TAGS) {
		p->tags_overflow = true;
		return NULL;
	}
	snprintf(p->tag[p->ntags].name, sizeof(p->tag[0].name), "%s", tag);
	p->tag[p->ntags].inside = 0;
	return &p->tag[p->ntags++];
}

long
mw_html_sa_inside(const struct mw_html_sa_part *p, const char *tag)
{
	size_t i;

	for (i = 0; i < p->ntags; i++)
		if (strcasecmp(p->tag[i].name, tag) == 0)
			return p->tag[i].inside;
	return -1;
}

/* Attributes of one tag, as (name, value) spans into the source. */
#define SA_ATTRS	32
struct sa_attrs {
	size_t	 n;
	struct { const char *k; size_t kl; const char *v; size_t vl; } a[SA_ATTRS];
};

static bool
sa_attr(const struct sa_attrs *at, const char *name, const char **v, size_t *vl)
{
	size_t i, n = strlen(name);

	for (i = 0; i < at->n; i++)
		if (at->a[i].kl == n && strncasecmp(at->a[i].k, name, n) == 0) {
			*v = at->a[i].v;
			*vl = at->a[i].vl;
			return true;
		}
	return false;
}

static bool
sa_ok_attribute(const char *tag, const char *name, size_t n)
{
	static const struct { const char *tag; const char *attrs; } ok[] = {
		{ "basefont", " color face size " }, { "body", " text bgcolor link alink vlink background " },
		{ "font", " color face size " }, { "table", " bgcolor style " },
		{ "td", " bgcolor style " }, { "tr", " bgcolor style " },
		{ "span", " style " }, { "p", " style " }, { "div", " style " }, { "a", " style " },
	};
	char key[24];
	size_t i;

	if (n == 0 || n + 3 > sizeof(key))
		return false;
	key[0] = ' ';
	for (i = 0; i < n; i++)
		key[i + 1] = (char)tolower((unsigned char)name[i]);
	key[n + 1] = ' ';
	key[n + 2] = '\0';
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(tag, ok[i].tag) == 0)
			return strstr(ok[i].attrs, key) != NULL;
	return false;
}

/* The colour of the bottom layer of a CSS background shorthand: its first token
 * that is a colour. */
static void
sa_css_background(const char *v, size_t n, char bg[12])
{
	size_t i, last = 0, start = 0;
	int depth = 0;
	char quote = 0;

	/* The bottom layer is the one after the last top-level comma. */
	for (i = 0; i < n; i++) {
		if (quote) {
			if (v[i] == quote)
				quote = 0;
		} else if (v[i] == '"' || v[i] == '\'')
			quote = v[i];
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (v[i] == ',' && depth == 0)
			last = i + 1;
	}
	for (i = start = last; i <= n; i++) {
		if (i < n && quote) {
			if (v[i] == quote)
				quote = 0;
			continue;
		}
		if (i < n && (v[i] == '"' || v[i] == '\'')) {
			quote = v[i];
			continue;
		}
		if (i < n && v[i] == '(')
			depth++;
		else if (i < n && v[i] == ')' && depth > 0)
			depth--;
		if (i == n || (v[i] == ' ' && depth == 0)) {
			if (i > start) {
				char c[12];

				sa_name_to_rgb(v + start, i - start, c);
				if (strcmp(c, "invalid") != 0) {
					memcpy(bg, c, 12);
					return;
				}
			}
			start = i + 1;
		}
	}
}

/* One declaration of a style attribute ("color: red"), as HTML.pm reads it. */
static void
sa_style_decl(struct sa_style *s, const char *d, size_t n)
{
	size_t k, vs, ve;
	char val[64];
	bool bgc = false;

	while (n > 0 && isspace((unsigned char)*d))
		d++, n--;
	while (n > 0 && isspace((unsigned char)d[n - 1]))
		n--;
	for (k = 0; k < n && d[k] != ':'; k++)
		;
	if (k == n)
		return;
	vs = k + 1;
	while (vs < n && isspace((unsigned char)d[vs]))
		vs++;
	ve = n;
	if (vs >= ve || memchr(d + vs, '\n', ve - vs) != NULL)
		return;
	if ((k == 5 && strncasecmp(d, "color", 5) == 0) ||
	    (k == 16 && strncasecmp(d, "background-color", 16) == 0 && (bgc = true))) {
		char *col = bgc ? s->bg : s->fg;
		size_t vl = ve - vs, i;

		if (vl >= sizeof(val))
			vl = sizeof(val) - 1;
		for (i = 0; i < vl; i++)
			val[i] = (char)tolower((unsigned char)d[vs + i]);
		val[vl] = '\0';
		/* a trailing "!important" is not part of the colour */
		if (vl >= 9 && strcmp(val + vl - 9, "important") == 0) {
			char *bang = val + vl - 9;

			while (bang > val && isspace((unsigned char)bang[-1]))
				bang--;
			if (bang > val && bang[-1] == '!') {
				bang--;
				while (bang > val && isspace((unsigned char)bang[-1]))
					bang--;
				*bang = '\0';
				vl = (size_t)(bang - val);
			}
		}
		if (strstr(val, "rgb") != NULL) {
			unsigned long rgb[3] = { 0, 0, 0 };
			size_t f = 0;

			for (i = 0; i < vl && f < 3; i++) {
				if (val[i] == ',')
					f++;
				else if (isdigit((unsigned char)val[i]) && rgb[f] <= 255)
					rgb[f] = rgb[f] * 10 + (unsigned long)(val[i] - '0');
			}
			for (f = 0; f < 3; f++)
				if (rgb[f] > 255)
					rgb[f] = 255;
			snprintf(col, 12, "#%02lx%02lx%02lx", rgb[0], rgb[1], rgb[2]);
		} else if (strcmp(val, "inherit") == 0)
			;
		else if (strcmp(val, "transparent") == 0)
			strcpy(col, "transparent");
		else
			sa_name_to_rgb(val, vl, col);
		return;
	}
	/* the shorthand is matched case-sensitively by HTML.pm */
	if (k == 10 && strncmp(d, "background", 10) == 0) {
		char low[256];
		size_t vl = ve - vs < sizeof(low) ? ve - vs : sizeof(low) - 1, i;

		for (i = 0; i < vl; i++)
			low[i] = (char)tolower((unsigned char)d[vs + i]);
		sa_css_background(low, vl, s->bg);
		return;
	}
	/* other properties: only the exact lower-case names count */
	while (k > 0 && isspace((unsigned char)d[k - 1]))
		k--;
	if (k == 7 && strncmp(d, "display", 7) == 0)
		s->display_none = ve - vs == 4 && strncasecmp(d + vs, "none", 4) == 0;
	else if (k == 10 && strncmp(d, "visibility", 10) == 0)
		s->visibility_hidden = ve - vs == 6 && strncasecmp(d + vs, "hidden", 6) == 0;
}

static void
sa_push(struct sa_pass *sp, const struct sa_style *s)
{
	if (sp->nst < SA_STYLE_MAX)
		sp->st[sp->nst++] = *s;
}

/* Close everything up to and including the innermost `tag`, if one is open. */
static void
sa_close(struct sa_pass *sp, const char *tag)
{
	size_t i;

	for (i = sp->nst; i > 1; i--)
		if (strcmp(sp->st[i - 1].tag, tag) == 0) {
			sp->nst = i - 1;
			return;
		}
}

/* A new cell or row ends the cells (and fonts) and rows left open. */
static void
sa_close_table(struct sa_pass *sp, const char *tag)
{
	size_t i;
	bool open = false;

	for (i = 1; i < sp->nst; i++)
		if (strcmp(sp->st[i].tag, tag) == 0)
			open = true;
	if (!open)
		return;
	while (sp->nst > 1) {
		const char *top = sp->st[sp->nst - 1].tag;

		if (strcmp(top, "font") == 0 || strcmp(top, "td") == 0 ||
		    (strcmp(tag, "tr") == 0 && strcmp(top, "tr") == 0))
			sp->nst--;
		else
			break;
	}
}

/* A leading integer: signed (+n / -n) when want_sign, else unsigned digits. */
static int
sa_leading_int(const char *v, size_t n, bool want_sign, bool *ok)
{
	size_t i = 0;
	long x = 0;
	bool neg = false;

	*ok = false;
	while (i < n && isspace((unsigned char)v[i]))
		i++;
	if (want_sign) {
		if (i >= n || (v[i] != '+' && v[i] != '-'))
			return 0;
		neg = v[i++] == '-';
	}
	if (i >= n || !isdigit((unsigned char)v[i]))
		return 0;
	while (i < n && isdigit((unsigned char)v[i])) {
		if (x < 100000)
			x = x * 10 + (v[i] - '0');
		i++;
	}
	*ok = true;
	return (int)(neg ? -x : x);
}

static void
sa_text_style(struct sa_pass *sp, const char *tag, const struct sa_attrs *at, bool start)
{
	struct sa_style s;
	size_t i;

	if (strcmp(tag, "th") == 0)
		tag = "td";
	if (!start) {
		if (strcmp(tag, "body") != 0)
			sa_close(sp, tag);
		return;
	}
	if (strcmp(tag, "basefont") == 0) {
		const char *v;
		size_t vl;
		bool ok;
		int sz;

		if (sa_attr(at, "size", &v, &vl) && (sz = sa_leading_int(v, vl, false, &ok), ok)) {
			sp->basefont = sz;
			return;
		}
	}
	if (strcmp(tag, "td") == 0 || strcmp(tag, "tr") == 0)
		sa_close_table(sp, tag);
	s = sp->st[sp->nst - 1];
	snprintf(s.tag, sizeof(s.tag), "%s", tag);
	if (strcmp(tag, "big") == 0 || strcmp(tag, "small") == 0) {
		s.size += tag[0] == 'b' ? 1 : -1;
		sa_push(sp, &s);
		return;
	}
	for (i = 0; i < at->n; i++) {
		const char *k = at->a[i].k, *v = at->a[i].v;
		size_t kl = at->a[i].kl, vl = at->a[i].vl;

		if (!sa_ok_attribute(tag, k, kl))
			continue;
		if ((kl == 4 && strncasecmp(k, "text", 4) == 0) ||
		    (kl == 5 && strncasecmp(k, "color", 5) == 0))
			sa_name_to_rgb(v, vl, s.fg);
		else if (kl == 4 && strncasecmp(k, "size", 4) == 0) {
			bool ok;
			int sz = sa_leading_int(v, vl, true, &ok);

			if (ok)
				s.size = sp->basefont + sz;
			else if (sz = sa_leading_int(v, vl, false, &ok), ok)
				s.size = sz;
		} else if (kl == 5 && strncasecmp(k, "style", 5) == 0) {
			size_t a = 0, b;

			for (b = 0; b <= vl; b++)
				if (b == vl || v[b] == ';') {
					sa_style_decl(&s, v + a, b - a);
					a = b + 1;
				}
			if (strcmp(s.bg, "transparent") == 0)
				memcpy(s.bg, sp->st[sp->nst - 1].bg, sizeof(s.bg));
			if (strcmp(s.fg, "transparent") == 0)
				memcpy(s.fg, s.bg, sizeof(s.fg));
		}
		/* bgcolor is parsed but, in SpamAssassin 4.0.1, never applied */
		if (sp->p != NULL) {
			if (s.size > sp->p->max_size)
				sp->p->max_size = s.size;
			else if (s.size < sp->p->min_size)
				sp->p->min_size = s.size;
		}
	}
	sa_push(sp, &s);
}

static int
sa_hexpair(const char *s)
{
	int v = 0, i;

	for (i = 0; i < 2; i++) {
		int c = tolower((unsigned char)s[i]);

		if (!isxdigit(c))
			return -1;
		v = v * 16 + (isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	return v;
}

/* HTML.pm's check on visible text: invisible or nearly so, or an invalid colour. */
static void
sa_text(struct sa_pass *sp, const char *t, size_t n)
{
	const struct sa_style *s = &sp->st[sp->nst - 1];
	size_t i, fl = strlen(s->fg), bl = strlen(s->bg);
	bool ink = false;

	if (sp->in_script > 0 || sp->in_style > 0)
		return;
	if (sp->in_a > 0)
		sa_texts_add_decoded(&sp->f->sa_anchor, t, n);
	if (sp->in_title > 0)
		sa_texts_add_decoded(&sp->f->sa_title, t, n);
	for (i = 0; i < n && !ink; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
			continue;
		if (c == 0xc2 && i + 1 < n && (unsigned char)t[i + 1] == 0xa0) {
			i++;
			continue;
		}
		if (c == '&' && n - i >= 6 && (strncmp(t + i, "&nbsp;", 6) == 0 ||
		    strncmp(t + i, "&#160;", 6) == 0)) {
			i += 5;
			continue;
		}
		ink = true;
	}
	if (!ink)
		return;
	if (strcmp(s->fg + (fl > 6 ? fl - 6 : 0), s->bg + (bl > 6 ? bl - 6 : 0)) == 0) {
		sp->t->font_low_contrast = true;
		return;
	}
	if (fl == 7 && bl == 7 && s->fg[0] == '#' && s->bg[0] == '#') {
		int c[6];
		double r, g, b;

		for (i = 0; i < 3; i++) {
			c[i] = sa_hexpair(s->fg + 1 + 2 * i);
			c[i + 3] = sa_hexpair(s->bg + 1 + 2 * i);
		}
		if (c[0] >= 0 && c[1] >= 0 && c[2] >= 0 && c[3] >= 0 && c[4] >= 0 && c[5] >= 0) {
			r = 0.2126 * (c[0] - c[3]);
			g = 0.7152 * (c[1] - c[4]);
			b = 0.0722 * (c[2] - c[5]);
			if (r * r + g * g + b * b < 144.0) {
				sp->t->font_low_contrast = true;
				return;
			}
		}
	}
	if (strcmp(s->fg, "invalid") == 0 || strcmp(s->bg, "invalid") == 0)
		sp->t->font_invalid_color = true;
}

/*
 * <font face>: a list of plain names ("Arial", 'Trebuchet MS', sans-serif), as
 * HTMLEval's pattern allows: each name letters, spaces and dashes, starting and
 * ending with a letter (the first may start with a space), one optional digit,
 * optional quotes; a leading '.' is allowed; a final ';'.
 */
static bool
sa_face_ok(const char *v, size_t n)
{
	size_t i = 0;
	bool first = true;

	if (n > 0 && v[n - 1] == '\n')
		n--;
	if (n > 0 && v[n - 1] == ';')
		n--;
	for (;;) {
		size_t r0, ws0 = i;
		bool prefix = false;

		while (i < n && isspace((unsigned char)v[i]))
			i++;
		if (i < n && (v[i] == '"' || v[i] == '\'' || (first && v[i] == '.')))
			i++, prefix = true;
		r0 = i;
		while (i < n && ((unsigned char)v[i] < 0x80 && (isalpha((unsigned char)v[i]) ||
		    v[i] == ' ' || v[i] == '-')))
			i++;
		if (i == r0 || !isalpha((unsigned char)v[i - 1]))
			return false;
		if (first && !prefix && r0 > ws0 && v[r0 - 1] == ' ')
			;	/* a space before the name can begin it: any first character */
		else if (first ? v[r0] == '-' || i - r0 < 2 : !isalpha((unsigned char)v[r0]) ||
		    i - r0 < 2)
			return false;
		if (i < n && isdigit((unsigned char)v[i]))
			i++;
		if (i < n && (v[i] == '"' || v[i] == '\''))
			i++;
		if (i == n)
			return true;
		if (v[i] != ',')
			return false;
		i++;
		first = false;
	}
}

/* An <img> width or height as HTML.pm reads it: digits, or digits% of an 800x600
 * screen (pct = 8 or 6); anything else, or 0, is guessed as 200. */
static unsigned long
sa_dimension(const char *v, size_t n, unsigned long pct)
{
	unsigned long x = 0;
	size_t i = 0;

	while (i < n && isdigit((unsigned char)v[i])) {
		if (x < 1000000)
			x = x * 10 + (unsigned long)(v[i] - '0');
		i++;
	}
	if (i == 0 || !(i == n || (i + 1 == n && v[i] == '%')))
		return 200;
	if (i + 1 == n)
		x *= pct;
	return x > 0 ? x : 200;
}

static bool
sa_styles_text(const char *tag)
{
	static const char *const t[] = { "body", "font", "table", "tr", "th", "td", "big",
	    "small", "basefont", "span", "p", "div", "a", NULL };
	size_t i;

	for (i = 0; t[i]; i++)
		if (strcmp(tag, t[i]) == 0)
			return true;
	return false;
}

/* <meta http-equiv="Content-Type" content="...; charset=x">: x (up to a quote) is
 * added to the part's charsets, as HTML.pm collects them. */
static void
sa_meta_charset(struct mw_html_sa_part *p, const struct sa_attrs *at)
{
	const char *he, *c;
	size_t hel, cl, i, used, n;

	if (!sa_attr(at, "http-equiv", &he, &hel) || !sa_attr(at, "content", &c, &cl))
		return;
	for (i = 0; i + 12 <= hel; i++)
		if (strncasecmp(he + i, "content-type", 12) == 0)
			break;
	if (i + 12 > hel)
		return;
	/* \bcharset\s*=\s*["']?([^"']+) */
	for (i = 0; i + 7 <= cl; i++) {
		size_t j;

		if (strncasecmp(c + i, "charset", 7) != 0 ||
		    (i > 0 && (isalnum((unsigned char)c[i - 1]) || c[i - 1] == '_')))
			continue;
		j = i + 7;
		while (j < cl && isspace((unsigned char)c[j]))
			j++;
		if (j >= cl || c[j] != '=')
			continue;
		j++;
		while (j < cl && isspace((unsigned char)c[j]))
			j++;
		if (j < cl && (c[j] == '"' || c[j] == '\''))
			j++;
		for (n = 0; j + n < cl && c[j + n] != '"' && c[j + n] != '\''; n++)
			;
		if (n == 0)
			continue;
		used = strlen(p->charsets);
		if (used + (used > 0) + n >= sizeof(p->charsets)) {
			p->charsets_cut = true;
			return;
		}
		if (used > 0)
			p->charsets[used++] = ' ';
		memcpy(p->charsets + used, c + j, n);
		p->charsets[used + n] = '\0';
		return;
	}
}

static void
sa_tag(struct sa_pass *sp, const char *tag, const struct sa_attrs *at, bool start)
{
	struct mw_html_sa_part *p = sp->p ? sp->p : &sp->scratch;
	struct mw_html_sa_tag *slot;
	bool existed, ns = sa_namespace(tag), el = sa_is_element(tag);
	long inside;

	slot = sa_tag_slot(p, tag, &existed);
	if (el || ns) {
		p->elements++;
		if (!existed)
			p->elements_seen++;
	}
	p->tags++;
	if (!existed)
		p->tags_seen++;
	if (slot != NULL) {
		slot->inside += start ? 1 : -1;
		if (slot->inside < 0) {
			slot->inside = 0;
			p->closed_extra++;
		}
		inside = slot->inside;
	} else
		inside = 0;
	if (strcmp(tag, "script") == 0)
		sp->in_script = inside;
	else if (strcmp(tag, "style") == 0)
		sp->in_style = inside;
	else if (strcmp(tag, "a") == 0)
		sp->in_a = inside;
	else if (strcmp(tag, "title") == 0)
		sp->in_title = inside;
	if (ns || !(el || sa_is_trick(tag)))
		return;
	if (sa_styles_text(tag))
		sa_text_style(sp, tag, at, start);
	if (!start)
		return;
	{
		const char *v;
		size_t vl;

		if (strcmp(tag, "font") == 0 && sa_attr(at, "face", &v, &vl) && !sa_face_ok(v, vl))
			sp->t->font_face_bad = true;
		if (strcmp(tag, "form") == 0 && sa_attr(at, "action", &v, &vl)) {
			size_t i;

			for (i = 0; i + 7 <= vl; i++)
				if (strncasecmp(v + i, "mailto:", 7) == 0)
					sp->t->form_action_mailto = true;
		}
		if (strcmp(tag, "object") == 0 || strcmp(tag, "embed") == 0)
			sp->t->embeds = true;
		if (strcmp(tag, "meta") == 0 && sp->p != NULL)
			sa_meta_charset(sp->p, at);
		if (strcmp(tag, "img") == 0 && sp->in_a > 0)
			sa_texts_add(&sp->f->sa_anchor, "<img>\n", 6);
		if (strcmp(tag, "a") == 0)
			sa_texts_new(&sp->f->sa_anchor);
		if (strcmp(tag, "title") == 0)
			sa_texts_new(&sp->f->sa_title);
		if (strcmp(tag, "img") == 0 && sp->p != NULL) {
			const char *w, *h;
			size_t wl, hl;

			if (sa_attr(at, "width", &w, &wl) && sa_attr(at, "height", &h, &hl))
				sp->p->image_area += (unsigned long long)sa_dimension(w, wl, 8) *
				    sa_dimension(h, hl, 6);
		}
	}
}

static bool
sa_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == ':';
}

/* Parse "<name attrs>" or "</name ...>" at s[i]; returns the index after '>', or 0
 * when this '<' does not start a tag. */
static size_t
sa_parse_tag(const char *s, size_t n, size_t i, char *tag, size_t tagsz, bool *start,
    struct sa_attrs *at)
{
	size_t j = i + 1, k = 0;

	*start = true;
	at->n = 0;
	if (j < n && s[j] == '/') {
		*start = false;
		j++;
	}
	if (j >= n || !isalpha((unsigned char)s[j]))
		return 0;
	while (j < n && sa_name_char(s[j])) {
		if (k + 1 < tagsz)
			tag[k++] = (char)tolower((unsigned char)s[j]);
		j++;
	}
	tag[k] = '\0';
	for (;;) {
		size_t ks, ke, vs = 0, ve = 0;

		while (j < n && (isspace((unsigned char)s[j]) || s[j] == '/'))
			j++;
		if (j >= n)
			return 0;
		if (s[j] == '>')
			return j + 1;
		ks = j;
		while (j < n && !isspace((unsigned char)s[j]) && s[j] != '=' && s[j] != '>' &&
		    !(s[j] == '/' && j + 1 < n && s[j + 1] == '>'))
			j++;
		ke = j;
		while (j < n && isspace((unsigned char)s[j]))
			j++;
		if (j < n && s[j] == '=') {
			j++;
			while (j < n && isspace((unsigned char)s[j]))
				j++;
			if (j < n && (s[j] == '"' || s[j] == '\'')) {
				char q = s[j++];

				vs = j;
				while (j < n && s[j] != q)
					j++;
				if (j >= n)
					return 0;
				ve = j++;
			} else {
				vs = j;
				while (j < n && !isspace((unsigned char)s[j]) && s[j] != '>')
					j++;
				ve = j;
			}
		} else
			vs = ve = ks, ve = ke;	/* a bare attribute: its value is its name */
		if (*start && at->n < SA_ATTRS && ke > ks) {
			size_t a;

			/* the first of duplicate attributes is kept */
			for (a = 0; a < at->n; a++)
				if (at->a[a].kl == ke - ks &&
				    strncasecmp(at->a[a].k, s + ks, ke - ks) == 0)
					break;
			if (a == at->n) {
				at->a[at->n].k = s + ks;
				at->a[at->n].kl = ke - ks;
				at->a[at->n].v = s + vs;
				at->a[at->n].vl = ve - vs;
				at->n++;
			}
		}
		if (ke == ks && j < n && s[j] != '>')
			j++;	/* a stray '=' or quote: step over it */
	}
}

static void
sa_scan(struct sa_pass *sp, const char *s, size_t n)
{
	size_t i = 0, text = 0;
	char tag[32], literal[16] = "";
	struct sa_attrs at;

	while (i < n) {
		bool start;
		size_t e;

		if (s[i] != '<') {
			i++;
			continue;
		}
		if (literal[0] != '\0') {
			size_t l = strlen(literal);

			if (i + 2 + l <= n && s[i + 1] == '/' &&
			    strncasecmp(s + i + 2, literal, l) == 0 &&
			    (i + 2 + l == n || !sa_name_char(s[i + 2 + l])) &&
			    (e = sa_parse_tag(s, n, i, tag, sizeof(tag), &start, &at)) != 0) {
				sa_text(sp, s + text, i - text);
				literal[0] = '\0';
				sa_tag(sp, tag, &at, false);
				i = text = e;
			} else
				i++;
			continue;
		}
		if (i + 4 <= n && strncmp(s + i, "<!--", 4) == 0) {
			const char *end = memmem(s + i + 4, n - i - 4, "-->", 3);

			sa_text(sp, s + text, i - text);
			if (end != NULL) {
				sa_texts_new(&sp->f->sa_comment);
				sa_texts_add(&sp->f->sa_comment, s + i, (size_t)(end + 3 - (s + i)));
			}
			i = text = end ? (size_t)(end - s) + 3 : n;
			continue;
		}
		if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) {
			const char *end = memchr(s + i, '>', n - i);
			struct mw_html_sa_part *p = sp->p ? sp->p : &sp->scratch;

			sa_text(sp, s + text, i - text);
			if (s[i + 1] == '!' && n - i >= 9 && strncasecmp(s + i + 2, "doctype", 7) == 0) {
				bool existed;
				struct mw_html_sa_tag *slot = sa_tag_slot(p, "!doctype", &existed);

				p->elements++;
				p->tags++;
				if (slot)
					slot->inside = 0;
			}
			i = text = end ? (size_t)(end - s) + 1 : n;
			continue;
		}
		if ((e = sa_parse_tag(s, n, i, tag, sizeof(tag), &start, &at)) == 0) {
			i++;
			continue;
		}
		sa_text(sp, s + text, i - text);
		sa_tag(sp, tag, &at, start);
		if (start && (strcmp(tag, "script") == 0 || strcmp(tag, "style") == 0 ||
		    strcmp(tag, "xmp") == 0 || strcmp(tag, "textarea") == 0 ||
		    strcmp(tag, "plaintext") == 0))
			memcpy(literal, tag, strlen(tag) + 1);	/* at most "plaintext" */
		i = text = e;
	}
	sa_text(sp, s + text, n - text);
}

static int
sa_pass(const char *html, size_t n, struct mw_html_facts *f)
{
	struct sa_pass *sp;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return -1;
	sp->t = &f->sa;
	sp->f = f;
	if (f->sa_nparts < MW_HTML_SA_PARTS)
		sp->p = &f->sa_part[f->sa_nparts];
	f->sa_nparts++;
	if (sp->p != NULL) {
		memset(sp->p, 0, sizeof(*sp->p));
		sp->p->length = n;
		sp->p->max_size = sp->p->min_size = 3;
	}
	sp->basefont = 3;
	sp->st[0] = (struct sa_style){ .tag = "default", .fg = "#000000", .bg = "#ffffff",
	    .size = 3 };
	sp->nst = 1;
	sa_scan(sp, html, n);
	free(sp);
	return 0;
}

/* The first "</body>" or "</html>" (any case, white space before '>') in s[0..n);
 * *len receives its length. */
static const char *
find_doc_end(const char *s, size_t n, size_t *len)
{
	const char *p = s, *e = s + n;

	while ((p = memchr(p, '<', (size_t)(e - p))) != NULL) {
		if (e - p >= 6 && p[1] == '/' && (strncasecmp(p + 2, "body", 4) == 0 ||
		    strncasecmp(p + 2, "html", 4) == 0)) {
			const char *q = p + 6;

			while (q < e && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
				q++;
			if (q < e && *q == '>') {
				*len = (size_t)(q + 1 - p);
				return p;
			}
		}
		p++;
	}
	return NULL;
}

/* Characters of UTF-8 text that are not white space (Perl's Unicode \s). */
static size_t
non_space_chars(const char *s, size_t n)
{
	size_t i = 0, k = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		unsigned long cp = c;

		if (len > n - i)
			len = n - i;
		if (len == 2)
			cp = (c & 0x1fUL) << 6 | ((unsigned char)s[i + 1] & 0x3fUL);
		else if (len == 3)
			cp = (c & 0x0fUL) << 12 | ((unsigned char)s[i + 1] & 0x3fUL) << 6 |
			    ((unsigned char)s[i + 2] & 0x3fUL);
		i += len;
		if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xa0 ||
		    cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
		    cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
			continue;
		k++;
	}
	return k;
}

int
mw_html_render(const char *html, size_t n, struct mw_buf *text,
    struct mw_html_facts *facts, mw_html_uri_fn uri_fn, void *arg)
{
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;
	struct render *r;
	size_t text_start;
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
	text_start = text->len;
	if (sa_pass(html, n, facts) < 0) {
		free(r);
		errno = ENOMEM;
		return -1;
	}

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
	/*
	 * </body> and </html> are left out: after the end of the document element
	 * libxml2 drops all further text, while mail readers (and SpamAssassin, which
	 * never closes body) show it.
	 */
	do {
		size_t k = n < (1u << 20) ? n : (1u << 20), skip = 0;
		const char *end = find_doc_end(html, k, &skip);

		if (end != NULL)
			k = (size_t)(end - html);
		htmlParseChunk(ctxt, html, (int)k, k + skip == n || r->err || text->truncated);
		html += k + skip;
		n -= k + skip;
	} while (n > 0 && !r->err && !text->truncated);
	htmlFreeParserCtxt(ctxt);
	if (facts->sa_nparts <= MW_HTML_SA_PARTS && text->len > text_start)
		facts->sa_part[facts->sa_nparts - 1].non_space_len =
		    non_space_chars(text->data + text_start, text->len - text_start);

	facts->markup_len = facts->raw_len > facts->text_len ? facts->raw_len - facts->text_len : 0;
	if (r->err) {
		errno = r->err;
		rc = -1;
	}
	free(r);
	return rc;
}
