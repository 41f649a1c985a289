/* core/write: what the write modules of core share (write.c holds the writer glue;
 * estate.c and the others add verbs on it). Not for the layers above core. */
#ifndef SESSIOND_CORE_WRITE_H
#define SESSIOND_CORE_WRITE_H
#include "core/core.h"

/** Queues w to run apply in the write transaction (waits when w->done is NULL). */
enum rc core__submit(struct core_write *w, enum rc (*apply)(struct core_write *, struct store_tx *));
/** Refuses w before it is queued: done() runs at once. */
enum rc core__reject(struct core_write *w, enum rc rc);
/** Sets w->err from fmt and returns rc (inside apply: undoes the op). */
enum rc core__refuse(struct core_write *w, enum rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** A driver failure, named by what with the backend's text. */
enum rc core__backend(struct core_write *w, struct store_tx *tx, enum rc rc, const char *what);
/** s copied into the caller's arena (NULL without one). */
const char *core__dup(struct core_write *w, const char *s);

/* ---- core/fill.c: the fill history of repositories ---- */

#define FILL_HOURS (14 * 24)   /* fill samples kept per repository: one an hour, 14 days */

/** Records, in the write of repository repo (as it is about to be stored), the sample of its
 *  fill for the hour it was measured in; nothing when it has no capacityBytes and freeBytes,
 *  when the measurement is older than FILL_HOURS, or when the hour's sample is of a later
 *  measurement. */
enum rc core__fill_sample(struct core_write *w, struct store_tx *tx, const struct estate_rec *repo);

#endif
