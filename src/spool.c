/*
 * spool - memory-then-file message buffer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

void
mw_spool_init(struct mw_spool *s, const char *dir, size_t mem_limit, size_t max_keep)
{
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->mem_limit = mem_limit;
	s->max_keep = max_keep;
	s->fd = -1;
}

bool
mw_spool_on_disk(const struct mw_spool *s)
{
	return s->fd >= 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Move what is in memory to a fresh private file. */
static int
spill(struct mw_spool *s)
{
	char path[4096];
	int fd;

	if (s->dir == NULL) {
		errno = ENOSPC;
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/msg.XXXXXX", s->dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	/* Unlinked at once: the data never outlives this process or this message. */
	if (unlink(path) < 0 || fchmod(fd, 0600) < 0 || write_all(fd, s->mem, s->len) < 0) {
		int e = errno;
		unlink(path);
		close(fd);
		errno = e;
		return -1;
	}
	free(s->mem);
	s->mem = NULL;
	s->cap = 0;
	s->fd = fd;
	return 0;
}

int
mw_spool_write(struct mw_spool *s, const void *p, size_t n)
{
	size_t keep;

	s->total += n;
	if (s->len >= s->max_keep)
		return 0;
	keep = s->max_keep - s->len < n ? s->max_keep - s->len : n;

	if (s->fd < 0 && s->len + keep > s->mem_limit && spill(s) < 0)
		return -1;
	if (s->fd >= 0) {
		if (write_all(s->fd, p, keep) < 0)
			return -1;
	} else {
		if (s->len + keep > s->cap) {
			size_t ncap = s->cap ? s->cap : 16384;
			char *nm;
			while (ncap < s->len + keep)
				ncap *= 2;
			if (ncap > s->mem_limit && s->mem_limit >= s->len + keep)
				ncap = s->mem_limit;
			if ((nm = realloc(s->mem, ncap)) == NULL)
				return -1;
			s->mem = nm;
			s->cap = ncap;
		}
		memcpy(s->mem + s->len, p, keep);
	}
	s->len += keep;
	return 0;
}

int
mw_spool_view(struct mw_spool *s, const char **data, size_t *len)
{
	if (s->fd < 0) {
		*data = s->mem ? s->mem : "";
		*len = s->len;
		return 0;
	}
	if (s->map == NULL && s->len > 0) {
		void *m = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, s->fd, 0);
		if (m == MAP_FAILED)
			return -1;
		s->map = m;
		s->map_len = s->len;
	}
	*data = s->map ? s->map : "";
	*len = s->len;
	return 0;
}

void
mw_spool_free(struct mw_spool *s)
{
	if (s->map != NULL)
		munmap(s->map, s->map_len);
	if (s->fd >= 0)
		close(s->fd);
	free(s->mem);
	mw_spool_init(s, s->dir, s->mem_limit, s->max_keep);
}

char *
mw_spool_mkdir(const char *parent)
{
	char *path;

	if (asprintf(&path, "%s/mailwarden.XXXXXX", parent) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	if (chmod(path, 0700) < 0) {
		rmdir(path);
		free(path);
		return NULL;
	}
	return path;
}

void
mw_spool_rmdir(const char *path)
{
	if (path != NULL)
		rmdir(path);
}
