/* sess_cache: a direct-mapped table of session rows by id (sess_cache.h). Each slot
 * owns one buffer for its row's strings, reused from row to row; a row whose strings
 * exceed STR_MAX is not held. Clearing bumps a generation instead of touching slots. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/sess_cache.h"

#define SLOTS_LOG2 12           /* 4096 rows: more than the sessions running at once */
#define STR_MAX 4096

struct slot {
	struct sess_rec r;
	uint64_t gen;               /* valid while equal to the cache's */
	char *mem;
	size_t cap;
};

struct sess_cache {
	uint64_t gen;
	struct slot *slots;         /* allocated on the first put */
};

struct sess_cache *sess_cache_new(void)
{
	struct sess_cache *c = xcalloc(1, sizeof(*c));
	c->gen = 1;
	return c;
}

void sess_cache_free(struct sess_cache *c)
{
	if(!c)
		return;
	if(c->slots)
		for(size_t i = 0; i < (size_t)1 << SLOTS_LOG2; i++)
			free(c->slots[i].mem);
	free(c->slots);
	free(c);
}

static struct slot *slot_of(struct sess_cache *c, const struct uuid *id)
{
	uint64_t lo, hi;
	memcpy(&lo, id->b, 8);
	memcpy(&hi, id->b + 8, 8);
	return &c->slots[((lo ^ hi) * 0x9E3779B97F4A7C15ull) >> (64 - SLOTS_LOG2)];
}

int sess_cache_get(struct sess_cache *c, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	if(!c->slots)
		return 0;
	struct slot *s = slot_of(c, id);
	if(s->gen != c->gen || !uuid_eq(&s->r.id, id))
		return 0;
	*out = s->r;
	sess_rec_own(out, a);
	return 1;
}

void sess_cache_put(struct sess_cache *c, const struct sess_rec *r)
{
	if(!c->slots)
		c->slots = xcalloc((size_t)1 << SLOTS_LOG2, sizeof(*c->slots));
	struct slot *s = slot_of(c, &r->id);
	s->gen = 0;
	struct sess_rec n = *r;
	const char **str[] = SESS_REC_STRS(&n);
	size_t need = 0;
	for(size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		need += *str[i] ? strlen(*str[i]) + 1 : 0;
	if(need > STR_MAX)
		return;
	if(need > s->cap) {
		free(s->mem);
		s->cap = need < 256 ? 256 : need;
		s->mem = xmalloc(s->cap);
	}
	char *p = s->mem;
	for(size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		if(*str[i]) {
			size_t len = strlen(*str[i]) + 1;
			memcpy(p, *str[i], len);
			*str[i] = p;
			p += len;
		}
	s->r = n;
	s->gen = c->gen;
}

void sess_cache_drop(struct sess_cache *c, const struct uuid *id)
{
	if(!c->slots)
		return;
	struct slot *s = slot_of(c, id);
	if(uuid_eq(&s->r.id, id))
		s->gen = 0;
}

void sess_cache_clear(struct sess_cache *c)
{
	c->gen++;
}
