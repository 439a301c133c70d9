/*
 * imageinfo - image sizes from the base64 text of an image part (issue 5).
 *
 * The three readers follow what SpamAssassin's ImageInfo plugin looks at: a GIF's
 * logical screen size in its first 13 bytes; a PNG's IHDR chunk, searched in steps
 * of 8 bytes from the end of the signature (the plugin does not skip over the data
 * of other chunks); a JPEG's first start-of-frame marker, walking the marker
 * segments by their lengths.  Short data gives no size rather than a guess.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "imageinfo.h"

/* A base64 decoder that hands out bytes as they are needed. */
struct b64 {
	const char *s, *e;
	uint32_t acc;
	int	 bits;
	size_t	 out;		/* bytes handed out */
	bool	 end;		/* '=' or the end of the text */
	bool	 limit;		/* MW_IMAGEINFO_MAX_SCAN reached */
};

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The next byte, or -1 at the end (characters outside the alphabet are skipped). */
static int
b64_next(struct b64 *d)
{
	if (d->out >= MW_IMAGEINFO_MAX_SCAN) {
		d->limit = true;
		return -1;
	}
	while (d->bits < 8) {
		int v;

		if (d->end || d->s >= d->e) {
			d->end = true;
			return -1;
		}
		if (*d->s == '=') {
			d->end = true;
			return -1;
		}
		v = b64_value((unsigned char)*d->s++);
		if (v < 0)
			continue;
		d->acc = (d->acc << 6 | (uint32_t)v) & 0xffffff;
		d->bits += 6;
	}
	d->bits -= 8;
	d->out++;
	return (int)(d->acc >> d->bits & 0xff);
}

/* Up to n bytes into buf; the count read. */
static size_t
b64_read(struct b64 *d, unsigned char *buf, size_t n)
{
	size_t i;
	int c;

	for (i = 0; i < n && (c = b64_next(d)) >= 0; i++)
		buf[i] = (unsigned char)c;
	return i;
}

/* Skip n bytes; false when the data ended first. */
static bool
b64_skip(struct b64 *d, size_t n)
{
	while (n-- > 0)
		if (b64_next(d) < 0)
			return false;
	return true;
}

static unsigned long
be16(const unsigned char *p)
{
	return (unsigned long)p[0] << 8 | p[1];
}

static unsigned long
be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

static int
gif_size(struct b64 *d, unsigned long *w, unsigned long *h)
{
	unsigned char b[13];
	size_t n = b64_read(d, b, sizeof(b));

	if (n < 6 || memcmp(b, "GIF8", 4) != 0 || (b[4] != '7' && b[4] != '9') || b[5] != 'a')
		return 0;
	if (n < 10)
		return 0;	/* the plugin's unpack finds no width and height */
	*w = (unsigned long)b[6] | (unsigned long)b[7] << 8;
	*h = (unsigned long)b[8] | (unsigned long)b[9] << 8;
	return 1;
}

static int
png_size(struct b64 *d, unsigned long *w, unsigned long *h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };
	unsigned char b[8];

	if (b64_read(d, b, 8) != 8 || memcmp(b, sig, 8) != 0)
		return 0;
	for (;;) {
		size_t n = b64_read(d, b, 8);

		if (n == 0)
			return d->limit ? -1 : 0;
		if (n == 8 && memcmp(b + 4, "IEND", 4) == 0)
			return 0;
		if (n == 8 && memcmp(b + 4, "IHDR", 4) == 0 && be32(b) == 13) {
			n = b64_read(d, b, 8);
			*w = n >= 4 ? be32(b) : 0;
			*h = n >= 8 ? be32(b + 4) : 0;
			return 1;
		}
		if (n < 8)
			return d->limit ? -1 : 0;
	}
}

static bool
jpeg_sof(unsigned mark)
{
	return (mark >= 0xc0 && mark <= 0xc3) || (mark >= 0xc5 && mark <= 0xc7) ||
	    (mark >= 0xc9 && mark <= 0xcb) || (mark >= 0xcd && mark <= 0xcf);
}

static int
jpeg_size(struct b64 *d, unsigned long *w, unsigned long *h)
{
	unsigned char b[6];

	if (b64_read(d, b, 2) != 2 || b[0] != 0xff || b[1] != 0xd8)
		return 0;
	for (;;) {
		unsigned long len;
		size_t n = b64_read(d, b, 4);

		if (n < 4)
			return d->limit ? -1 : 0;
		if (b[0] != 0xff || b[1] == 0xda || b[1] == 0xd9)
			return 0;
		if ((len = be16(b + 2)) < 2)
			return 0;
		if (jpeg_sof(b[1])) {
			n = b64_read(d, b, len - 2 < 6 ? len - 2 : 6);
			*h = n >= 3 ? be16(b + 1) : 0;
			*w = n >= 5 ? be16(b + 3) : 0;
			return 1;
		}
		if (!b64_skip(d, len - 2))
			return d->limit ? -1 : 0;
	}
}

int
mw_imageinfo_base64(const char *b64, size_t n, enum mw_image_type t,
    unsigned long *w, unsigned long *h)
{
	struct b64 d = { .s = b64, .e = b64 + n };

	*w = *h = 0;
	switch (t) {
	case MW_IMAGE_GIF:
		return gif_size(&d, w, h);
	case MW_IMAGE_PNG:
		return png_size(&d, w, h);
	case MW_IMAGE_JPEG:
		return jpeg_size(&d, w, h);
	default:
		return 0;
	}
}
