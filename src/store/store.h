/* store: persistence behind a table of operations (struct store_ops) that each
 * backend (a driver) fills. Records and codes are those of model/; the store
 * never interprets a code and decides no rule: core says what a write changes.
 *
 * Reads run on the calling thread (each thread gets its own connection).
 * Writes are units of work (struct store_op) that core submits to the writer
 * (store/writer.c, one per open store). The writer commits them in batches (group
 * commit), running each op's apply() inside the batch's transaction under a
 * savepoint of its own, and calls each op's done() only after the transaction
 * committed. apply() reads and writes rows through the tx_* operations of the
 * table, which a driver implements once per backend.
 *
 * A driver may also run a batch with its statements sent ahead (tx_begin_batch,
 * PostgreSQL's pipeline mode): writes are not awaited one by one, and the rows the
 * batch's ops name (store_op.key) are loaded at once. Should anything in such a
 * batch go otherwise than the driver assumed (a write that failed or changed no row,
 * an op that failed after it wrote), the driver rolls it all back and the writer runs
 * the batch again the ordinary way, each op under its savepoint, so the outcome of
 * every op is the same either way. apply() may therefore run twice: it must derive
 * everything from its inputs and the rows it loads, as it does. */
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
typedef int (*store_user_cb)(void *ctx, const struct user_rec *u);
typedef int (*store_revoked_cb)(void *ctx, const char *key, int64_t expires_us);
typedef int (*store_estate_cb)(void *ctx, const struct estate_rec *e);

struct store;
struct store_ops;

/* The write transaction as apply() sees it. */
struct store_tx {
	const struct store_ops *ops;
	struct store *s;
	struct arena *a;            /* for rows loaded in the transaction; reset after each batch */
};

/* A unit of work for the writer. Core embeds it in its own write records. */
struct store_op {
	/** Runs inside the write transaction; a non-zero rc (with a message in op->err)
	 *  undoes every row change and usn this op made, and nothing else. */
	enum rc (*apply)(struct store_op *op, struct store_tx *tx);
	/** Called once, on the writer thread, after commit (or failure: op->rc). */
	void (*done)(struct store_op *op);
	/** The session apply() loads first, when the verb knows it (nil: none); a driver
	 *  that sends statements ahead loads those of a whole batch in one statement. */
	struct uuid key;
	/** apply() writes with one statement at most and fails, if it does, no later than
	 *  that statement: a driver whose statements undo themselves when they fail needs no
	 *  savepoint for it (tx_savepoint_one). */
	int one_write;
	enum rc rc;
	char err[256];
	struct store_op *next;      /* the writer's queue link */
};

/* Savepoint steps around one op (tx_savepoint). */
enum store_sp { SP_BEGIN, SP_ROLLBACK, SP_RELEASE };

struct store_ops {
	const char *name;
	/** Opens (creating and migrating as needed) the database at uri. */
	enum rc (*open)(const char *uri, struct store **out, char *err, size_t errlen);
	/** Closes every connection; the writer must be stopped first. */
	void (*close)(struct store *s);
	/** Calls on_usn, on a thread of the store, with the newest usn whenever a commit of
	 *  another process on the same database is heard of, so waiters and caches see every
	 *  instance's writes (SQLite: a file has one process, nothing to hear). */
	void (*watch)(struct store *s, void (*on_usn)(int64_t usn));

	/* ---- reads, on any thread ---- */
	enum rc (*session_get)(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out);
	enum rc (*session_list)(struct store *s, const struct query *q, struct arena *a,
	                        store_sess_cb cb, void *ctx, int64_t *total);
	enum rc (*task_get)(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out);
	enum rc (*task_list)(struct store *s, const struct query *q, struct arena *a,
	                     store_task_cb cb, void *ctx, int64_t *total);
	/** The newest session of every job (sessions sharing a job id), by job name; their
	 *  message and extra are not read (NULL). */
	enum rc (*job_latest)(struct store *s, struct arena *a, store_sess_cb cb, void *ctx);
	/** Logs of one owner, newest first; status < 0 means any. */
	enum rc (*log_list)(struct store *s, const struct uuid *owner, int status, struct arena *a,
	                    store_log_cb cb, void *ctx, int64_t *total);
	/** The highest usn committed so far (that this process knows of). */
	int64_t (*usn_current)(struct store *s);
	/** The highest usn committed so far by any process on the database, asked of the
	 *  database (a round trip); it raises usn_current. NULL where usn_current is exact
	 *  already (one process per database). -1 when it cannot be read. */
	int64_t (*usn_fresh)(struct store *s);
	enum rc (*user_get)(struct store *s, const char *name, struct arena *a, struct user_rec *out);
	enum rc (*user_get_uid)(struct store *s, int64_t uid, struct arena *a, struct user_rec *out);
	enum rc (*user_list)(struct store *s, struct arena *a, store_user_cb cb, void *ctx);
	/** How many users there are, into *n. */
	enum rc (*user_count)(struct store *s, int64_t *n);
	/** Reads a value by key into a (NULL-terminated); RC_NOTFOUND if absent. */
	enum rc (*kv_get)(struct store *s, const char *key, struct arena *a, const char **value);
	/** Revocations of kind, not expired at now_us, with a sequence number above after
	 *  (0: all); *last receives the highest sequence number seen (unchanged if none). */
	enum rc (*revoked_list)(struct store *s, int kind, int64_t now_us, int64_t after, int64_t *last,
	                        store_revoked_cb cb, void *ctx);
	enum rc (*logon_get)(struct store *s, const char *sid, struct arena *a, struct logon_rec *out);
	/** Logon sessions of uid (0: everyone's), newest first. */
	enum rc (*logon_list)(struct store *s, int64_t uid, struct arena *a,
	                      int (*cb)(void *ctx, const struct logon_rec *l), void *ctx);
	enum rc (*emtask_get)(struct store *s, int64_t id, struct arena *a, struct emtask_rec *out);
	/** EM tasks asked for by uid (0: everyone's), newest first. */
	enum rc (*emtask_list)(struct store *s, int64_t uid, struct arena *a,
	                       int (*cb)(void *ctx, const struct emtask_rec *e), void *ctx);
	enum rc (*key_get)(struct store *s, const char *id, struct arena *a, struct key_rec *out);
	/** Every API key, by name. */
	enum rc (*key_list)(struct store *s, struct arena *a, int (*cb)(void *ctx, const struct key_rec *k), void *ctx);
	/** An estate object of kind (tombstones are not found). */
	enum rc (*estate_get)(struct store *s, int kind, const struct uuid *id, struct arena *a, struct estate_rec *out);
	/** Estate objects as q selects them (estate_query in model/query.h); *total (when not
	 *  NULL) counts every match, not only the page. */
	enum rc (*estate_list)(struct store *s, const struct estate_query *q, struct arena *a, store_estate_cb cb,
	                       void *ctx, int64_t *total);
	/** The backend's text for the last failed read of this thread. */
	const char *(*read_error)(struct store *s);
	/** Optional (NULL: nothing held): this thread reads rarely (a ticker, a start-up pass):
	 *  its read connection keeps a small page cache, and gives back what it holds now. */
	void (*reads_rarely)(struct store *s);

	/* ---- the write transaction: the writer thread only, between tx_begin and
	 *      tx_commit/tx_rollback; every call may fail with RC_BACKEND (tx_error says why) ---- */
	enum rc (*tx_begin)(struct store *s);
	/** Optional (NULL: none): begins a transaction whose statements are sent ahead
	 *  without awaiting each answer, and loads the sessions keys names (n of them;
	 *  repeats and unknown ids allowed) for tx_session_load. Ops run under tx_savepoint
	 *  as usual. When something went otherwise than assumed, tx_begin_batch or tx_commit
	 *  rolls back and answers RC_BUSY: the caller runs the batch again from tx_begin. */
	enum rc (*tx_begin_batch)(struct store *s, const struct uuid *keys, int n);
	/** Commits; the usns given since tx_begin become visible (usn_current). */
	enum rc (*tx_commit)(struct store *s);
	void (*tx_rollback)(struct store *s);
	/** Savepoint around one op: SP_ROLLBACK also takes back the usns it was given. */
	void (*tx_savepoint)(struct store *s, enum store_sp step);
	/** Optional (NULL: SP_BEGIN): SP_BEGIN of an op with one_write set, for a driver
	 *  whose failed statement leaves nothing behind; it opens no savepoint. SP_ROLLBACK
	 *  (the usns taken back) and SP_RELEASE follow as for any op. */
	void (*tx_savepoint_one)(struct store *s);
	/** The backend's text for the last failure. */
	const char *(*tx_error)(struct store *s);
	/** The next usn: strictly greater than every usn given before, never reused once committed. */
	enum rc (*tx_usn_next)(struct store *s, int64_t *usn);

	enum rc (*tx_session_load)(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out);
	/** RC_CONFLICT when a session with the id exists. */
	enum rc (*tx_session_insert)(struct store *s, const struct sess_rec *r);
	/** Stores r over old (the row as loaded): only what differs needs writing. */
	enum rc (*tx_session_update)(struct store *s, const struct sess_rec *old, const struct sess_rec *r);
	/** Removes a session with its task sessions and every log of either. */
	enum rc (*tx_session_delete)(struct store *s, const struct uuid *id);
	/** Removes at once every stored group of sessions (a PostgreSQL partition: a creation
	 *  month) all of which ended before cutoff_us, with their task sessions and logs; *n
	 *  receives how many sessions went (SQLite keeps no groups: 0). Retention then deletes
	 *  the rest in batches (tx_sessions_ended, tx_session_delete). */
	enum rc (*tx_sessions_drop_ended)(struct store *s, int64_t cutoff_us, int64_t *n);
	/** Up to max ids of sessions that ended before cutoff_us, oldest first. */
	enum rc (*tx_sessions_ended)(struct store *s, int64_t cutoff_us, int max, struct uuid *ids, int *n);
	enum rc (*tx_task_load)(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out);
	/** RC_CONFLICT when a task session with the id exists. */
	enum rc (*tx_task_insert)(struct store *s, const struct task_rec *t);
	enum rc (*tx_task_update)(struct store *s, const struct task_rec *t);
	/** The highest log record id of owner (0 when it has none). */
	enum rc (*tx_log_last)(struct store *s, const struct uuid *owner, int64_t *id);
	enum rc (*tx_log_insert)(struct store *s, const struct log_rec *l);
	/** Sets status and update time (title, description when not NULL); RC_NOTFOUND if absent. */
	enum rc (*tx_log_update)(struct store *s, const struct log_rec *l);
	/** Inserts a user (u->uid = 0: a new uid, never one used before, returned in u->uid)
	 *  or replaces the row of u->uid. RC_CONFLICT when the name is taken. */
	enum rc (*tx_user_put)(struct store *s, struct user_rec *u);
	enum rc (*tx_user_load)(struct store *s, const char *name, struct arena *a, struct user_rec *out);
	enum rc (*tx_user_delete)(struct store *s, int64_t uid);
	enum rc (*tx_kv_put)(struct store *s, const char *key, const char *value);
	/** Records a revocation; RC_CONFLICT when key is recorded already. */
	enum rc (*tx_revoke)(struct store *s, const char *key, int kind, int64_t expires_us);
	enum rc (*tx_revoked_purge)(struct store *s, int64_t now_us);
	/** Inserts or replaces a logon session by sid. */
	enum rc (*tx_logon_put)(struct store *s, const struct logon_rec *l);
	enum rc (*tx_logon_load)(struct store *s, const char *sid, struct arena *a, struct logon_rec *out);
	/** Removes sid (NULL: every logon that is idle before idle_before_us or started
	 *  before started_before_us); RC_NOTFOUND when sid names none. */
	enum rc (*tx_logon_delete)(struct store *s, const char *sid, int64_t idle_before_us, int64_t started_before_us);
	/** Logons of uid, oldest first, up to max sids. */
	enum rc (*tx_logon_of_user)(struct store *s, int64_t uid, int max, char (*sids)[40], int *n);
	/** Removes an EM task; RC_NOTFOUND when there is none. */
	enum rc (*tx_emtask_delete)(struct store *s, int64_t id);
	/** Inserts an API key (RC_CONFLICT when its id or name is taken) or, with replace, stores
	 *  it over the key of the same id. */
	enum rc (*tx_key_put)(struct store *s, const struct key_rec *k, int replace);
	enum rc (*tx_key_load)(struct store *s, const char *name, struct arena *a, struct key_rec *out);
	/** Removes the key named name; RC_NOTFOUND when there is none. */
	enum rc (*tx_key_delete)(struct store *s, const char *name);
	/** An estate object of kind, tombstones included. */
	enum rc (*tx_estate_load)(struct store *s, int kind, const struct uuid *id, struct arena *a,
	                          struct estate_rec *out);
	/** Inserts or replaces the estate object (kind, id) as e has it (a tombstone too). */
	enum rc (*tx_estate_put)(struct store *s, const struct estate_rec *e);
	/** Inserts an EM task; e->id = 0 gets the next id, returned in e->id. */
	enum rc (*tx_emtask_put)(struct store *s, struct emtask_rec *e);
};

extern const struct store_ops store_sqlite;
extern const struct store_ops store_pg;

/** The first operation of ops that is NULL though store.h does not call it optional, as its
 *  slot (0: open), or -1 when every one is set. A driver missing one would crash where a
 *  caller reaches it; core_open_store refuses such a table. */
int store_ops_missing(const struct store_ops *ops);

/** Picks the backend for a --db value and opens it. */
enum rc store_open(const char *uri, const struct store_ops **ops, struct store **s, char *err, size_t errlen);
/** The same, with reads sent to read_uri (NULL: none), a PostgreSQL streaming replica of a
 *  PostgreSQL uri: a read waits until the replica replayed every usn this process knows
 *  committed, or goes to the primary (read your writes). */
enum rc store_open_read(const char *uri, const char *read_uri, const struct store_ops **ops, struct store **s,
                        char *err, size_t errlen);
/** PostgreSQL with a read replica (store_open_read). */
enum rc store_pg_open(const char *uri, const char *read_uri, struct store **s, char *err, size_t errlen);

/* ---- the writer (store/writer.c): group commit over any backend ---- */

struct store_writer;

/** Starts the writer thread of an open store. on_commit (may be NULL) runs on the writer
 *  thread after each commit that gave usns, with the newest usn. */
enum rc store_writer_start(const struct store_ops *ops, struct store *s, void (*on_commit)(int64_t usn),
                           struct store_writer **out);
/** Queues op; op->done(op) runs later on the writer thread (at once, with RC_BUSY,
 *  once the writer is stopping). */
void store_writer_submit(struct store_writer *w, struct store_op *op);
/** Commits what is queued, stops the thread and frees w. */
void store_writer_stop(struct store_writer *w);
/** fn (NULL: none) gets the time every COMMIT took, in µs, on the writer thread. */
void store_writer_on_commit_time(void (*fn)(int64_t us));

#endif
