/* store: persistence behind a table of operations (struct store_ops) that each
 * backend fills. Records are plain data; enumerations are stored as the integer
 * codes of model/catalog.h, which the store never interprets.
 *
 * Reads run on the calling thread (each thread gets its own connection).
 * Writes are queued to one writer thread that commits them in batches (group
 * commit) and calls each write's done() only after its transaction committed. */
#ifndef SESSIOND_STORE_STORE_H
#define SESSIOND_STORE_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "model/query.h"
#include "model/record.h"
#include "util/mem.h"
#include "util/rc.h"
#include "util/uuid.h"

/* Row callbacks return 0 to go on, anything else to stop (then returned as is). */
typedef int (*store_sess_cb)(void *ctx, const struct sess_rec *r);
typedef int (*store_task_cb)(void *ctx, const struct task_rec *r);
typedef int (*store_log_cb)(void *ctx, const struct log_rec *r);

/* ---- writes ---- */

enum write_kind {
	W_SESSION_CREATE,  /* sess: the new record (id set by caller, usn assigned) */
	W_SESSION_UPDATE,  /* target: session id; mutate() edits the current record */
	W_TASK_CREATE,     /* task: the new record; its session must exist */
	W_TASK_UPDATE,     /* target: task id; mutate() edits the current record */
	W_LOG_APPEND,      /* target: owner (session or task id); logs[0..nlogs) appended */
	W_LOG_UPDATE,      /* target: owner; logs[0] carries id, status, update_us (and title/description if set) */
	W_USER_PUT,        /* user: insert or replace by name */
	W_USER_DEL,        /* user.name */
	W_KV_PUT,          /* key, value */
	W_REVOKE,          /* key: token id (hex), i: expiry µs; fails with RC_CONFLICT if present */
	W_PURGE,           /* i: remove stopped sessions that ended before i, at most n of them;
	                      takes a usn of its own when it removed any, so the usn moves on
	                      every change of what a read can see */
};

struct store_write {
	enum write_kind kind;
	struct uuid target;
	struct sess_rec sess;
	struct task_rec task;
	struct log_rec *logs;
	int nlogs;
	struct user_rec user;
	const char *key;
	const char *value;
	int64_t i;
	int64_t n;
	/** For *_UPDATE: called inside the write transaction with the current record
	 *  (struct sess_rec or struct task_rec), which it edits in place; strings it sets
	 *  must outlive the write. Returns RC_OK to store the edit, or an rc (with a
	 *  message in err) to leave the record untouched. */
	enum rc (*mutate)(void *ctx, void *rec, char *err, size_t errlen);
	void *mutate_ctx;

	/* results, valid in done() */
	enum rc rc;
	char err[256];
	int64_t usn;            /* usn given to the changed session */
	int64_t first_log_id;   /* W_LOG_APPEND: id of logs[0] */
	int64_t affected;       /* W_PURGE: sessions removed */
	struct sess_rec out_sess;   /* the session after the write (strings in out_arena) */
	struct task_rec out_task;   /* the task after a task write */
	struct arena *out_arena;    /* where out_* strings go; set by the caller */

	/** Called once, on the writer thread, after commit (or failure). */
	void (*done)(struct store_write *w);
	void *udata;
	struct store_write *next;   /* the store's queue link */
};

struct store;

struct store_ops {
	const char *name;
	/** Opens (creating and migrating as needed) the database at uri. */
	enum rc (*open)(const char *uri, struct store **out, char *err, size_t errlen);
	/** Drains queued writes, stops the writer and closes every connection. */
	void (*close)(struct store *s);

	enum rc (*session_get)(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out);
	enum rc (*session_list)(struct store *s, const struct query *q, struct arena *a,
	                        store_sess_cb cb, void *ctx, int64_t *total);
	enum rc (*task_get)(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out);
	enum rc (*task_list)(struct store *s, const struct query *q, struct arena *a,
	                     store_task_cb cb, void *ctx, int64_t *total);
	/** The newest session of every job (sessions sharing a job id), by job name. */
	enum rc (*job_latest)(struct store *s, struct arena *a, store_sess_cb cb, void *ctx);
	/** Logs of one owner, newest first; status < 0 means any. */
	enum rc (*log_list)(struct store *s, const struct uuid *owner, int status, struct arena *a,
	                    store_log_cb cb, void *ctx, int64_t *total);
	/** The highest usn given so far. */
	int64_t (*usn_current)(struct store *s);

	enum rc (*user_get)(struct store *s, const char *name, struct arena *a, struct user_rec *out);
	enum rc (*user_get_uid)(struct store *s, int64_t uid, struct arena *a, struct user_rec *out);
	enum rc (*user_list)(struct store *s, struct arena *a, int (*cb)(void *ctx, const struct user_rec *u), void *ctx);
	int64_t (*user_count)(struct store *s);
	/** Reads a value by key into a (NULL-terminated); RC_NOTFOUND if absent. */
	enum rc (*kv_get)(struct store *s, const char *key, struct arena *a, const char **value);
	/** Token ids revoked and not yet expired at now_us. */
	enum rc (*revoked_list)(struct store *s, int64_t now_us, int (*cb)(void *ctx, const char *key, int64_t exp), void *ctx);

	/** Registers fn to run on the writer thread after every commit, with the newest usn. */
	void (*set_commit_hook)(struct store *s, void (*fn)(int64_t usn));
	/** Queues a write; w->done(w) runs later on the writer thread. */
	void (*submit)(struct store *s, struct store_write *w);
};

extern const struct store_ops store_sqlite;

/** Picks the backend for a --db value and opens it. */
enum rc store_open(const char *uri, const struct store_ops **ops, struct store **s, char *err, size_t errlen);

/** Submits w and waits for its commit (for tools and start-up, never on a server worker). */
enum rc store_write_sync(const struct store_ops *ops, struct store *s, struct store_write *w);

#endif
