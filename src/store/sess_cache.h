/* sess_cache: the session rows the write connection last read or wrote, so that an
 * update of a session written a moment ago does not read it again. The writer thread
 * alone uses it; a driver keeps it exact: every row it writes is put, every row it
 * deletes dropped, and a rollback (of a transaction or of one op's savepoint) clears
 * it, since the rows put since may never have been. */
#ifndef SESSIOND_STORE_SESS_CACHE_H
#define SESSIOND_STORE_SESS_CACHE_H
#include "model/record.h"
#include "util/mem.h"

struct sess_cache;

struct sess_cache *sess_cache_new(void);
void sess_cache_free(struct sess_cache *c);
/** 1 with the row of id in *out (its strings copied into a), 0 when not held. */
int sess_cache_get(struct sess_cache *c, const struct uuid *id, struct arena *a, struct sess_rec *out);
/** Holds r as stored (r's strings must not point into the cache). */
void sess_cache_put(struct sess_cache *c, const struct sess_rec *r);
void sess_cache_drop(struct sess_cache *c, const struct uuid *id);
void sess_cache_clear(struct sess_cache *c);

#endif
