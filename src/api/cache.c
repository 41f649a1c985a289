#include "api/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define SLOTS 256   /* direct-mapped */

struct slot {
	char key[CACHE_KEY_MAX];
	size_t klen;
	int64_t usn;
	size_t len;
	char body[CACHE_BODY_MAX];
};

static pthread_key_t tls;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
	pthread_key_create(&tls, free);
}

static struct slot *table(void)
{
	pthread_once(&once, make_key);
	struct slot *t = pthread_getspecific(tls);
	if(!t) {
		t = xcalloc(SLOTS, sizeof(*t));
		pthread_setspecific(tls, t);
	}
	return t;
}

static size_t slot_of(const char *key, size_t klen)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for(size_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return (size_t)(h % SLOTS);
}

int api_cache_get(const char *key, int64_t usn, struct buf *out)
{
	size_t klen = strlen(key);
	if(klen > CACHE_KEY_MAX)
		return 0;
	struct slot *s = &table()[slot_of(key, klen)];
	if(!s->len || s->usn != usn || s->klen != klen || memcmp(s->key, key, klen))
		return 0;
	return buf_add(out, s->body, s->len) == 0;
}

void api_cache_put(const char *key, int64_t usn, const char *body, size_t len)
{
	size_t klen = strlen(key);
	if(klen > CACHE_KEY_MAX || len > CACHE_BODY_MAX || !len)
		return;
	struct slot *s = &table()[slot_of(key, klen)];
	memcpy(s->key, key, klen);
	s->klen = klen;
	s->usn = usn;
	memcpy(s->body, body, len);
	s->len = len;
}
