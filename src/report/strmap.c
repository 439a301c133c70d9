/*
 * strmap - open-addressing hash map from strings to small fixed-size values, kept
 * in insertion order so reports list ties in the order they were first seen.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* FNV-1a: short keys, no adversary worth a keyed hash (a log's reader, not a server). */
static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
strmap_init(struct strmap *m, size_t vsize)
{
	memset(m, 0, sizeof(*m));
	m->vsize = vsize;
}

void
strmap_free(struct strmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->klens);
	free(m->vals);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct strmap_slot *
lookup(const struct strmap *m, const char *key, size_t klen, uint64_t h)
{
	size_t mask = m->nslots - 1, i = (size_t)h & mask;

	for (;;) {
		struct strmap_slot *s = &m->slots[i];
		if (s->idx1 == 0)
			return s;
		if (s->hash == h && m->klens[s->idx1 - 1] == klen &&
		    memcmp(m->keys[s->idx1 - 1], key, klen) == 0)
			return s;
		i = (i + 1) & mask;
	}
}

static int
grow_slots(struct strmap *m)
{
	size_t nn = m->nslots ? m->nslots * 2 : 64, i;
	struct strmap_slot *ns = calloc(nn, sizeof(*ns)), *old = m->slots;
	size_t oldn = m->nslots;

	if (ns == NULL)
		return -1;
	m->slots = ns;
	m->nslots = nn;
	for (i = 0; i < oldn; i++)
		if (old[i].idx1) {
			size_t j = (size_t)old[i].hash & (nn - 1);
			while (ns[j].idx1)
				j = (j + 1) & (nn - 1);
			ns[j] = old[i];
		}
	free(old);
	return 0;
}

void *
strmap_find(const struct strmap *m, const char *key, size_t klen)
{
	struct strmap_slot *s;

	if (m->nslots == 0)
		return NULL;
	s = lookup(m, key, klen, hash_bytes(key, klen));
	return s->idx1 ? strmap_val(m, s->idx1 - 1) : NULL;
}

void *
strmap_get(struct strmap *m, const char *key, size_t klen)
{
	uint64_t h = hash_bytes(key, klen);
	struct strmap_slot *s;
	char *k;

	if (m->nslots == 0 || (m->n + 1) * 4 > m->nslots * 3) {
		if (grow_slots(m) < 0)
			return NULL;
	}
	s = lookup(m, key, klen, h);
	if (s->idx1)
		return strmap_val(m, s->idx1 - 1);
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		char **nk = realloc(m->keys, nc * sizeof(*nk));
		if (nk == NULL)
			return NULL;
		m->keys = nk;
		size_t *nl = realloc(m->klens, nc * sizeof(*nl));
		if (nl == NULL)
			return NULL;
		m->klens = nl;
		unsigned char *nv = realloc(m->vals, nc * m->vsize);
		if (nv == NULL)
			return NULL;
		m->vals = nv;
		m->cap = nc;
	}
	if ((k = malloc(klen + 1)) == NULL)
		return NULL;
	memcpy(k, key, klen);
	k[klen] = '\0';
	m->keys[m->n] = k;
	m->klens[m->n] = klen;
	memset(strmap_val(m, m->n), 0, m->vsize);
	s->hash = h;
	s->idx1 = (uint32_t)(m->n + 1);
	m->n++;
	return strmap_val(m, m->n - 1);
}

/* qsort has no context argument in C11: a file-static is enough for one thread. */
static const struct strmap *sort_map;
static int (*sort_cmp)(const void *, const void *, const char *, const char *);

static int
cmp_index(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = sort_cmp(strmap_val(sort_map, i), strmap_val(sort_map, j),
	    sort_map->keys[i], sort_map->keys[j]);

	if (c != 0)
		return c;
	/* Ties by name, so the output does not depend on the order of the input files. */
	return strcmp(sort_map->keys[i], sort_map->keys[j]);
}

size_t *
strmap_sorted(const struct strmap *m,
    int (*cmp)(const void *, const void *, const char *, const char *))
{
	size_t *idx = malloc((m->n ? m->n : 1) * sizeof(*idx)), i;

	if (idx == NULL)
		return NULL;
	for (i = 0; i < m->n; i++)
		idx[i] = i;
	sort_map = m;
	sort_cmp = cmp;
	qsort(idx, m->n, sizeof(*idx), cmp_index);
	return idx;
}

static int
by_first_u64_desc(const void *a, const void *b, const char *ka, const char *kb)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	(void)ka;
	(void)kb;
	return x > y ? -1 : x < y;
}

size_t *
sorted_by_count(const struct strmap *m)
{
	return strmap_sorted(m, by_first_u64_desc);
}

size_t *
sorted_by_total(const struct strmap *m)
{
	return strmap_sorted(m, by_first_u64_desc);
}
