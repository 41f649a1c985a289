#include "api/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/mem.h"
#include "util/timefmt.h"

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

/* ---------- pages of lists (api_route_call) ---------- */

#define PAGE_SLOTS 16
#define PAGE_BODY_MAX (1024 * 1024)      /* a bigger body is not kept */
#define PAGE_BUDGET (2 * 1024 * 1024)    /* bytes of bodies kept per thread */
#define PAGE_MAX_AGE_US 1000000

struct page {
	struct buf key;
	int64_t usn, at_us;
	uint64_t used;             /* for least-recently-used replacement */
	int status;
	const char *ctype;
	struct buf body;
	struct buf hdrs;           /* headers the route added: name NUL value NUL, nhdrs pairs */
	int nhdrs;
};

#define PAGE_HEADERS 4             /* a page whose route added more is not kept */

struct pages {
	struct page p[PAGE_SLOTS];
	uint64_t tick;
	size_t bytes;              /* of the bodies kept */
};

static pthread_key_t pages_tls;
static pthread_once_t pages_once = PTHREAD_ONCE_INIT;

static void pages_free(void *v)
{
	struct pages *t = v;
	for(int i = 0; i < PAGE_SLOTS; i++) {
		buf_free(&t->p[i].key);
		buf_free(&t->p[i].body);
		buf_free(&t->p[i].hdrs);
	}
	free(t);
}

static void pages_key(void)
{
	pthread_key_create(&pages_tls, pages_free);
}

static struct pages *pages(void)
{
	pthread_once(&pages_once, pages_key);
	struct pages *t = pthread_getspecific(pages_tls);
	if(!t) {
		t = xcalloc(1, sizeof(*t));
		for(int i = 0; i < PAGE_SLOTS; i++) {
			buf_init(&t->p[i].key, 0);
			buf_init(&t->p[i].body, PAGE_BODY_MAX);
			buf_init(&t->p[i].hdrs, 1024);
		}
		pthread_setspecific(pages_tls, t);
	}
	return t;
}

/* Forgets a page and gives its memory back. */
static void page_drop(struct pages *t, struct page *p)
{
	t->bytes -= p->body.len;
	buf_free(&p->key);
	buf_free(&p->body);
	buf_free(&p->hdrs);
	buf_init(&p->key, 0);
	buf_init(&p->body, PAGE_BODY_MAX);
	buf_init(&p->hdrs, 1024);
	p->nhdrs = 0;
	p->used = 0;
}

/* The least recently used page that holds a body. */
static struct page *lru(struct pages *t)
{
	struct page *v = NULL;
	for(int i = 0; i < PAGE_SLOTS; i++)
		if(t->p[i].body.len && (!v || t->p[i].used < v->used))
			v = &t->p[i];
	return v;
}

static int add_param(void *ctx, const char *k, const char *v)
{
	struct buf *b = ctx;   /* lengths first: no name or value can pass for two */
	v = v ? v : "";
	buf_printf(b, "&%zu:%s=%zu:%s", strlen(k), k, strlen(v), v);
	return 0;
}

/* Everything a cached route's body may depend on, as one text. */
static void page_key(struct req *r, struct buf *key)
{
	const char *accept = req_header(r, "Accept");
	const char *base = r->base_url ? r->base_url : "";
	accept = accept ? accept : "";
	buf_printf(key, "%d %d %d %zu:%s %zu:%s %s?", r->method == M_HEAD ? M_GET : r->method, r->version, r->who.role,
	           strlen(base), base, strlen(accept), accept, r->path);
	r->io->query_each(r, add_param, key);
}

void api_route_call(struct req *r, const struct route *rt)
{
	if(!(rt->flags & ROUTE_CACHED)) {
		rt->fn(r);
		return;
	}
	struct pages *t = pages();
	struct buf key;
	buf_init(&key, 16384);   /* a bound, not a size: a longer key is not cached */
	buf_printf(&key, "%p ", (const void *)rt);
	page_key(r, &key);
	if(key.failed) {
		buf_free(&key);
		rt->fn(r);
		return;
	}
	int64_t usn = core_usn_fresh(), now = time_now_us();   /* exact: a write through another instance misses */
	struct page *victim = &t->p[0];
	for(int i = 0; i < PAGE_SLOTS; i++) {
		struct page *p = &t->p[i];
		if(p->body.len && p->usn == usn && now - p->at_us < PAGE_MAX_AGE_US && p->key.len == key.len &&
		   !memcmp(p->key.p, key.p, key.len)) {
			p->used = ++t->tick;
			r->status = p->status;
			r->ctype = p->ctype;
			buf_add(&r->out, p->body.p, p->body.len);
			const char *h = p->hdrs.p;
			for(int k = 0; k < p->nhdrs; k++) {   /* the answer's own headers (X-Usn), as they were */
				const char *v = h + strlen(h) + 1;
				req_add_header(r, arena_strdup(r->arena, h), arena_strdup(r->arena, v));
				h = v + strlen(v) + 1;
			}
			buf_free(&key);
			return;
		}
		if(p->used < victim->used)
			victim = p;
	}
	int nheaders = r->nheaders;
	rt->fn(r);
	/* only whole 200 bodies that said all in out (no stream, no suspension), with at most a
	 * few headers of their own; they are kept with the page, valid as long as it is */
	if(r->status == 200 && !r->no_cache && r->nheaders - nheaders <= PAGE_HEADERS && !r->stream && !r->cont &&
	   !r->out.failed && r->out.len && r->out.len <= PAGE_BODY_MAX) {
		page_drop(t, victim);
		struct page *old;
		while(t->bytes + r->out.len > PAGE_BUDGET && (old = lru(t)))   /* least recently used first */
			page_drop(t, old);
		buf_add(&victim->key, key.p, key.len);
		buf_add(&victim->body, r->out.p, r->out.len);
		for(int k = nheaders; k < r->nheaders; k++) {
			buf_add(&victim->hdrs, r->headers[k].name, strlen(r->headers[k].name) + 1);
			buf_add(&victim->hdrs, r->headers[k].value, strlen(r->headers[k].value) + 1);
		}
		victim->nhdrs = r->nheaders - nheaders;
		if(victim->key.failed || victim->body.failed || victim->hdrs.failed) {
			page_drop(t, victim);
		} else {
			t->bytes += victim->body.len;
			victim->usn = usn;
			victim->at_us = now;
			victim->status = r->status;
			victim->ctype = r->ctype;
			victim->used = ++t->tick;
		}
	}
	buf_free(&key);
}
