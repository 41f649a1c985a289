#include "core/logon.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"
#include "core/core.h"

#define CACHE_SLOTS 1024
#define CACHE_TTL_US ((int64_t)5 * 1000000)   /* re-read from the store after this */

struct entry {
	char sid[40];
	char user[64];
	struct logon_rec rec;       /* as stored, last_us as used here */
	int64_t stored_last_us;     /* last_us the store holds */
	int64_t fetched_us;
};

static struct {
	pthread_mutex_t lock;
	struct entry slot[CACHE_SLOTS];
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static unsigned slot_of(const char *sid)
{
	unsigned h = 2166136261u;
	for(; *sid; sid++)
		h = (h ^ (unsigned char)*sid) * 16777619u;
	return h % CACHE_SLOTS;
}

static void touch_done(struct core_write *w)
{
	free(w);
}

/* Stores a logon's last use, without waiting for it. */
static void store_touch(const struct logon_rec *l)
{
	struct core_write *w = xcalloc(1, sizeof(*w));
	w->done = touch_done;
	core_logon_touch(w, l);
}

static void delete_done(struct core_write *w)
{
	free(w);
}

static void store_delete(const char *sid)
{
	struct core_write *w = xcalloc(1, sizeof(*w) + 40);
	char *copy = (char *)(w + 1);
	snprintf(copy, 40, "%s", sid);
	w->done = delete_done;
	core_logon_delete(w, copy);
}

static int ended(const struct logon_rec *l, int64_t now_us)
{
	return now_us - l->last_us > LOGON_IDLE_US || now_us - l->created_us > LOGON_MAX_AGE_US;
}

enum rc logon_check(const char *sid, int64_t now_us, struct logon_rec *out, char *user, size_t userlen)
{
	unsigned k = slot_of(sid);
	pthread_mutex_lock(&cache.lock);
	struct entry *e = &cache.slot[k];
	int hit = !strcmp(e->sid, sid) && now_us - e->fetched_us < CACHE_TTL_US && now_us >= e->fetched_us;
	struct entry copy;
	if(hit)
		copy = *e;
	pthread_mutex_unlock(&cache.lock);
	if(!hit) {
		struct arena a;
		arena_init(&a);
		struct logon_rec l;
		enum rc rc = core_logon_get(sid, &a, &l);
		if(rc) {
			arena_free(&a);
			return rc == RC_NOTFOUND ? RC_UNAUTHORIZED : rc;
		}
		memset(&copy, 0, sizeof(copy));
		snprintf(copy.sid, sizeof(copy.sid), "%s", sid);
		snprintf(copy.user, sizeof(copy.user), "%s", l.user ? l.user : "");
		copy.rec = l;
		copy.stored_last_us = l.last_us;
		copy.fetched_us = now_us;
		pthread_mutex_lock(&cache.lock);
		if(!strcmp(e->sid, sid) && e->rec.last_us > copy.rec.last_us)
			copy.rec.last_us = e->rec.last_us;   /* used here since it was stored */
		arena_free(&a);
		*e = copy;
		pthread_mutex_unlock(&cache.lock);
	}
	if(ended(&copy.rec, now_us)) {
		logon_forget(sid);
		store_delete(sid);
		return RC_EXPIRED;
	}
	/* Its user must still exist with the credentials it logged on with. */
	int64_t gen;
	int role;
	enum rc urc = auth_user_current(copy.rec.uid, now_us, &gen, &role);
	if(urc && urc != RC_NOTFOUND)
		return urc;
	if(urc || gen != copy.rec.gen || role != copy.rec.role) {
		logon_forget(sid);
		store_delete(sid);
		return RC_UNAUTHORIZED;
	}
	int store = now_us - copy.stored_last_us >= LOGON_TOUCH_US;
	pthread_mutex_lock(&cache.lock);
	if(!strcmp(e->sid, sid)) {
		if(now_us > e->rec.last_us)
			e->rec.last_us = now_us;
		if(store)
			e->stored_last_us = now_us;
	}
	pthread_mutex_unlock(&cache.lock);
	*out = copy.rec;
	out->user = NULL;
	if(now_us > out->last_us)
		out->last_us = now_us;
	snprintf(user, userlen, "%s", copy.user);
	if(store)
		store_touch(out);
	return RC_OK;
}

void logon_forget(const char *sid)
{
	pthread_mutex_lock(&cache.lock);
	struct entry *e = &cache.slot[slot_of(sid)];
	if(!strcmp(e->sid, sid))
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&cache.lock);
}

void logon_cache_reset(void)
{
	pthread_mutex_lock(&cache.lock);
	memset(cache.slot, 0, sizeof(cache.slot));
	pthread_mutex_unlock(&cache.lock);
}
