/*
 * imageinfo - the pixel size of a GIF, PNG or JPEG image from the first bytes of
 * its base64 transfer encoding, read the way SpamAssassin's ImageInfo plugin reads
 * them (issue 5: image_count, pixel_coverage).  Only the header is decoded, as
 * it streams past: no copy of the image is made.  Pure: no I/O, no allocation.
 */
#ifndef MW_IMAGEINFO_H
#define MW_IMAGEINFO_H

#include <stddef.h>

enum mw_image_type {
	MW_IMAGE_GIF,
	MW_IMAGE_PNG,
	MW_IMAGE_JPEG,
	MW_IMAGE_NTYPES
};

/* Decoded bytes looked at, at most, before giving up on finding the size. */
#define MW_IMAGEINFO_MAX_SCAN	(1u << 20)

/*
 * The width and height of the base64-encoded image b64[0..n) of type t.
 * Returns 1 with *w and *h set (either may be 0 when the header says so), 0 when
 * the data is not such an image or holds no size (SpamAssassin then counts the
 * image but adds no area), -1 when MW_IMAGEINFO_MAX_SCAN bytes were decoded
 * without coming to an answer.
 */
int	mw_imageinfo_base64(const char *b64, size_t n, enum mw_image_type t,
	    unsigned long *w, unsigned long *h);

#endif
