/*
 * html - render an HTML part to plain text the way a reader sees it, and collect
 * the structure facts SpamAssassin's HTML eval tests look at.
 *
 * libxml2's HTML parser does the tokenising (entities, broken markup, implied
 * end tags) through its SAX interface, so no DOM is built: memory stays
 * proportional to the rendered text, whatever the markup.  Input must be UTF-8
 * (the caller converts first); the output is UTF-8.  No I/O, no logging.
 */
#ifndef MW_HTML_H
#define MW_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * SpamAssassin's own view of one HTML part (Mail::SpamAssassin::HTML over
 * HTML::Parser): tag counts and nesting as the source spells them, not as a
 * browser (or libxml2) repairs them.  Kept for the first MW_HTML_SA_PARTS parts;
 * at most MW_HTML_SA_TAGS distinct tag names per part.
 */
#define MW_HTML_SA_PARTS	4
#define MW_HTML_SA_TAGS		48

struct mw_html_sa_tag {
	char	 name[16];		/* lower-case, truncated */
	long	 inside;		/* start tags minus end tags, floored at 0 */
};

struct mw_html_sa_part {
	size_t	 length;		/* bytes of HTML source */
	unsigned long tags, elements;	/* tags seen; those that are HTML 4 elements */
	unsigned long tags_seen, elements_seen;	/* the same, distinct names */
	unsigned long closed_extra;	/* end tags with nothing open */
	int	 max_size, min_size;	/* font sizes (1..7 scale, 3 = default) */
	unsigned long long image_area;	/* <img> with width and height (HTML.pm's
					 * guesses: % of 800x600, 200 when unusable) */
	size_t	 non_space_len;		/* rendered characters that are not white space */
	size_t	 ntags;
	bool	 tags_overflow;		/* more distinct names than MW_HTML_SA_TAGS */
	/* charsets named by <meta http-equiv="Content-Type" content="...charset=x">,
	 * space-separated; charsets_cut: some did not fit */
	char	 charsets[128];
	bool	 charsets_cut;
	struct mw_html_sa_tag tag[MW_HTML_SA_TAGS];
};

/* Results of SpamAssassin's html_test() names, over all HTML parts. */
struct mw_html_sa_tests {
	bool	 font_low_contrast;	/* text colour (nearly) that of its background */
	bool	 font_invalid_color;	/* a colour SpamAssassin cannot parse */
	bool	 font_face_bad;		/* <font face> not a plain list of names */
	bool	 embeds;		/* <object> or <embed> */
	bool	 form_action_mailto;	/* <form action="mailto:..."> */
};

/*
 * Strings of HTML.pm's result arrays that html_text_match() searches, over all
 * HTML parts: one list per kind, NUL-terminated strings one after the other in a
 * fixed buffer.  A string that does not fit is cut (or dropped) and `lost` is set:
 * a pattern not found is then not a sure "no".
 */
#define MW_HTML_SA_TEXT		4096

struct mw_html_sa_texts {
	char	 buf[MW_HTML_SA_TEXT];
	size_t	 used;			/* bytes of buf in use, terminators included */
	size_t	 n;			/* strings */
	bool	 lost;
	bool	 last_lost;		/* the string being built was dropped */
};

/* Facts summed over all HTML parts of a message. */
struct mw_html_facts {
	unsigned parts;			/* HTML parts rendered */
	size_t	 raw_len;		/* bytes of HTML source */
	size_t	 text_len;		/* bytes of rendered text (visible + hidden) */
	size_t	 hidden_text_len;	/* text in display:none, visibility:hidden,
					 * hidden attribute, zero font size or a
					 * colour equal to the background */
	size_t	 markup_len;		/* raw_len - text_len, floored at 0 */
	size_t	 elements;		/* start tags seen */
	size_t	 anchors, images, forms, inputs, scripts, styles, iframes, objects,
		 embeds, tables, fonts, metas, comments;
	size_t	 comment_len;
	size_t	 images_with_size;	/* <img> with width and height */
	unsigned long long image_area;	/* sum of width * height of those */
	size_t	 uris;			/* URI attributes found (href, src, ...) */
	char	 bgcolor[32];		/* body bgcolor / background-color, lower-case */
	char	 text_color[32];	/* body text= / first font color, lower-case */
	char	 title[256];		/* first <title>, truncated */
	bool	 title_truncated;
	struct mw_html_sa_tests sa;	/* html_test() results */
	unsigned sa_nparts;		/* HTML parts seen (sa_part holds the first few) */
	/* HTML.pm's "comment" (each <!--...--> as written), "anchor" (the text of
	 * each <a>, an <img> inside it adding "<img>\n") and "title" (the text of
	 * each <title>); entities decoded in the last two */
	struct mw_html_sa_texts sa_comment, sa_anchor, sa_title;
	struct mw_html_sa_part sa_part[MW_HTML_SA_PARTS];
};

/* The inside count of tag in p, or -1 when the part never had that tag. */
long	mw_html_sa_inside(const struct mw_html_sa_part *p, const char *tag);

/* Called for every URI-bearing attribute (a href, img src, form action, ...). */
typedef int (*mw_html_uri_fn)(void *arg, const char *uri, size_t len);

/*
 * Render html[0..n) (UTF-8) into text (appended; text's cap bounds it and sets
 * text->truncated).  Facts are added to *facts.  uri_fn may be NULL.
 * Returns 0, or -1 on ENOMEM (or when uri_fn returned -1).
 */
int	mw_html_render(const char *html, size_t n, struct mw_buf *text,
	    struct mw_html_facts *facts, mw_html_uri_fn uri_fn, void *arg);

#endif
