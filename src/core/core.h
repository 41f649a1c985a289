/* core: the process-wide domain service. It owns the store handle and offers
 * the verbs the dialects use; dialects never see the backend. */
#ifndef SESSIOND_CORE_CORE_H
#define SESSIOND_CORE_CORE_H
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/rc.h"

struct core_info {
	const char *server_name;    /* shown as the backup server / serverInfo name */
	const char *installation_id;/* stable uuid text, created with the database */
	int64_t started_us;
};

/** Opens the database (creating it). Authentication is initialised on top of
 *  it by auth_init(). */
enum rc core_open(const char *db_uri, char *err, size_t errlen);
/** The same on a store already opened through ops (tests hand in a fault-injecting
 *  backend this way); core owns st from here and closes it. */
enum rc core_open_store(const struct store_ops *ops, struct store *st, char *err, size_t errlen);
/** Waits for queued writes and closes the database. */
void core_close(void);
const struct core_info *core_info(void);

enum rc core_session_get(const struct uuid *id, struct arena *a, struct sess_rec *out);
enum rc core_session_list(const struct query *q, struct arena *a, store_sess_cb cb, void *ctx, int64_t *total);
enum rc core_task_get(const struct uuid *id, struct arena *a, struct task_rec *out);
enum rc core_task_list(const struct query *q, struct arena *a, store_task_cb cb, void *ctx, int64_t *total);
enum rc core_log_list(const struct uuid *owner, int status, struct arena *a, store_log_cb cb, void *ctx, int64_t *total);
enum rc core_job_latest(struct arena *a, store_sess_cb cb, void *ctx);
int64_t core_usn(void);

enum rc core_user_get(const char *name, struct arena *a, struct user_rec *out);
enum rc core_user_get_uid(int64_t uid, struct arena *a, struct user_rec *out);
enum rc core_user_list(struct arena *a, int (*cb)(void *ctx, const struct user_rec *u), void *ctx);
int64_t core_user_count(void);
enum rc core_kv_get(const char *key, struct arena *a, const char **value);
enum rc core_revoked_list(int64_t now_us, int (*cb)(void *ctx, const char *key, int64_t exp), void *ctx);

/** Queues a write (group-committed); w->done runs on the writer thread. */
void core_submit(struct store_write *w);
/** Submits and waits (start-up and command-line tools only). */
enum rc core_write_sync(struct store_write *w);

#endif
