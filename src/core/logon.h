/* logon: Enterprise Manager logon sessions, stored (so they survive a restart and
 * every instance on the database sees them) behind a small cache that keeps the
 * per-request check off the store. A logon ends when it is idle for
 * LOGON_IDLE_US, at LOGON_MAX_AGE_US after it started, or when it is deleted. */
#ifndef SESSIOND_CORE_LOGON_H
#define SESSIOND_CORE_LOGON_H
#include <stdint.h>

#include "model/record.h"
#include "util/rc.h"

#define LOGON_IDLE_US ((int64_t)15 * 60 * 1000000)        /* 15 minutes idle */
#define LOGON_MAX_AGE_US ((int64_t)12 * 3600 * 1000000)   /* 12 hours in all */
#define LOGON_PER_USER 64         /* a user's live logons; the oldest make room */
#define LOGON_TOUCH_US ((int64_t)60 * 1000000)            /* last use stored at most this often */

/** Checks logon sid at now_us and counts it as used: RC_OK fills *out (out->user is
 *  static to the cache entry: copy it), RC_EXPIRED when it ended by age or idleness,
 *  RC_UNAUTHORIZED when there is no such logon, RC_BACKEND when the store failed. */
enum rc logon_check(const char *sid, int64_t now_us, struct logon_rec *out, char *user, size_t userlen);
/** Drops sid from the cache (after it was deleted). */
void logon_forget(const char *sid);
/** Empties the cache (tests, and after the store changed under it). */
void logon_cache_reset(void);

#endif
