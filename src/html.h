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
};

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
