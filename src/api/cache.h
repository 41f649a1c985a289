/* cache: rendered response bodies, per worker thread, keyed by what the body
 * shows (e.g. a session id and an API version) and valid only while the
 * store's usn has not moved since rendering, so a write can never leave a
 * stale body behind. No locks: each thread has its own table. */
#ifndef SESSIOND_API_CACHE_H
#define SESSIOND_API_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define CACHE_KEY_MAX 200
#define CACHE_BODY_MAX 4096

/** Appends the cached body for key (text naming everything the body depends on:
 *  dialect, version, format, base URL, resource) to out when one was stored at
 *  usn; 1 on a hit. */
int api_cache_get(const char *key, int64_t usn, struct buf *out);
/** Remembers body as the answer for key at usn (longer keys and bodies than the
 *  limits above are not kept). */
void api_cache_put(const char *key, int64_t usn, const char *body, size_t len);

struct req;
struct route;

/** Runs rt's handler for r. When rt is marked ROUTE_CACHED, a 200 body it rendered
 *  is kept (per worker thread, a few pages of up to 128 KiB) under everything the
 *  body can depend on (dialect, version, role, base URL, Accept, path and query)
 *  and served again while the store's usn has not moved and it is under a second
 *  old (bodies that show the clock, e.g. a job's next run, stay that fresh). */
void api_route_call(struct req *r, const struct route *rt);

#endif
