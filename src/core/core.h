/* core: the process-wide domain service. It owns the store and its writer, and
 * offers the verbs the dialects use: reads, and writes whose rules (defaults,
 * time truncation, the state machine, usn assignment, what each write changes)
 * are decided here, once, whatever the backend. Dialects never see the store. */
#ifndef SESSIOND_CORE_CORE_H
#define SESSIOND_CORE_CORE_H
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"
#include "model/query.h"
#include "model/record.h"
#include "store/store.h"
#include "util/rc.h"

struct core_info {
	const char *server_name;    /* shown as the backup server / serverInfo name */
	const char *installation_id;/* stable uuid text, created with the database */
	int64_t started_us;
};

/** Opens the database (creating it) and starts its writer. Authentication is
 *  initialised on top of it by auth_init(). */
enum rc core_open(const char *db_uri, char *err, size_t errlen);
/** core_open with reads sent to read_uri (NULL: none), a PostgreSQL streaming replica of
 *  db_uri (docs/SCALING.md). */
enum rc core_open_read(const char *db_uri, const char *read_uri, char *err, size_t errlen);
/** The same on a store already opened through ops (tests hand in a fault-injecting
 *  backend this way); core owns st from here and closes it. */
enum rc core_open_store(const struct store_ops *ops, struct store *st, char *err, size_t errlen);
/** Commits queued writes, stops the writer and closes the database. */
void core_close(void);
const struct core_info *core_info(void);

/* ---- reads ---- */

enum rc core_session_get(const struct uuid *id, struct arena *a, struct sess_rec *out);
enum rc core_session_list(const struct query *q, struct arena *a, store_sess_cb cb, void *ctx, int64_t *total);
enum rc core_task_get(const struct uuid *id, struct arena *a, struct task_rec *out);
enum rc core_task_list(const struct query *q, struct arena *a, store_task_cb cb, void *ctx, int64_t *total);
enum rc core_log_list(const struct uuid *owner, int status, struct arena *a, store_log_cb cb, void *ctx, int64_t *total);
enum rc core_job_latest(struct arena *a, store_sess_cb cb, void *ctx);
int64_t core_usn(void);
/** core_usn, but exact with several processes on one database: asked of the database
 *  (one round trip on PostgreSQL) so that it holds every write acknowledged before the
 *  call, whichever instance took it; for what is kept keyed on the usn (rendered pages,
 *  the job view). core_usn when the database cannot be asked. */
int64_t core_usn_fresh(void);
/** The calling thread reads rarely (tickers, start-up passes): its store connection keeps
 *  a small cache, so an idle server stays small. Every ticker thread calls it at start. */
void core_reads_rarely(void);
/** core_reads_rarely, and malloc gives its free pages back to the system: after a large
 *  read on such a thread (a start-up pass, a maintenance run). */
void core_release_memory(void);
/** fn (NULL: none) gets the time every store commit took, in µs, on the writer thread. */
void core_on_commit_time(void (*fn)(int64_t us));
enum rc core_user_get(const char *name, struct arena *a, struct user_rec *out);
enum rc core_user_get_uid(int64_t uid, struct arena *a, struct user_rec *out);
enum rc core_user_list(struct arena *a, store_user_cb cb, void *ctx);
/** How many users there are, into *n. */
enum rc core_user_count(int64_t *n);
enum rc core_kv_get(const char *key, struct arena *a, const char **value);
enum rc core_revoked_list(int kind, int64_t now_us, int64_t after, int64_t *last, store_revoked_cb cb, void *ctx);
enum rc core_logon_get(const char *sid, struct arena *a, struct logon_rec *out);
enum rc core_logon_list(int64_t uid, struct arena *a, int (*cb)(void *ctx, const struct logon_rec *l), void *ctx);
enum rc core_emtask_get(int64_t id, struct arena *a, struct emtask_rec *out);
enum rc core_emtask_list(int64_t uid, struct arena *a, int (*cb)(void *ctx, const struct emtask_rec *e), void *ctx);
enum rc core_key_get(const char *id, struct arena *a, struct key_rec *out);
enum rc core_key_list(struct arena *a, int (*cb)(void *ctx, const struct key_rec *k), void *ctx);
/** A live estate object of kind. */
enum rc core_estate_get(int kind, const struct uuid *id, struct arena *a, struct estate_rec *out);
/** Estate objects as q selects them; *total (when not NULL) counts every match. */
enum rc core_estate_list(const struct estate_query *q, struct arena *a, store_estate_cb cb, void *ctx,
                         int64_t *total);
/** The live estate object of kind named name (case-insensitively; the first by id when
 *  several share it). */
enum rc core_estate_find(int kind, const char *name, struct arena *a, struct estate_rec *out);

/* ---- leases ----
 * A running session holds a lease that every write of its reporter renews (for its
 * heartbeatSeconds, or the default); core_lease_start runs a sweep that completes a
 * session whose lease lapsed as Failed, "the reporter stopped reporting" (canceled when
 * a stop was asked for and never acknowledged), through the normal write path. */
#define CORE_LEASE_DEFAULT_S 600
/** Sets the default lease, seconds. */
void core_lease_default(int seconds);
/** How far past its heartbeat a renewed lease may run (µs): a 64th of the heartbeat,
 *  from 0.25 s to 4 s. A write that finds the lease within it leaves the lease as is. */
int64_t core_lease_slack_us(int heartbeat_s);
/** Starts the sweep every interval_ms; core_lease_stop stops it. */
void core_lease_start(unsigned interval_ms);
void core_lease_stop(void);
/** One sweep now: completes up to a batch of lapsed sessions; returns how many. */
int core_lease_sweep(int64_t now_us);

/* ---- writes ----
 * A write is a struct core_write that the caller owns until done() ran: zero it,
 * set arena (where result strings are copied; NULL copies none), done and udata,
 * then call one verb. With done set, the verb queues the write (group commit) and
 * returns RC_OK, and done(w) runs once on the writer thread after the commit (or
 * the failure: w->rc, w->err). With done NULL the verb waits for the commit and
 * returns w->rc (start-up, tools and background threads only, never a server
 * worker). Pointers handed to a verb (records, strings, log arrays) must stay valid
 * until done() ran. A verb that refuses its input before queueing sets w->rc and
 * w->err and calls done at once. */

enum core_owner { OWNER_SESSION, OWNER_TASK };   /* whose log a log verb writes */

/* Revocation kinds (stored codes). */
enum revoke_kind { REVOKE_SPENT = 0, REVOKE_LOGOUT = 1 };

struct core_write {
	/* set by the caller */
	struct arena *arena;
	void (*done)(struct core_write *w);
	void *udata;
	/* results, valid in done() or when a waiting verb returned */
	enum rc rc;
	char err[256];
	int64_t usn;                /* the usn the write gave, 0 if it gave none */
	struct sess_rec sess;       /* the session after the write (session, task and log verbs) */
	struct task_rec task;       /* the task session after the write (task verbs, task logs) */
	int64_t first_log_id;       /* core_log_append: id of the first record */
	int64_t affected;           /* core_purge: sessions removed */
	struct emtask_rec emtask;   /* core_session_stop_em: the task recorded */
	struct logon_rec logon;     /* core_logon_create: the logon stored */
	struct user_rec user;       /* user verbs: the user after the write */
	struct estate_rec estate;   /* estate verbs: the object after the write */
	/* private to core */
	struct store_op op;
	struct core_write_in {
		enum rc (*apply)(struct core_write *w, struct store_tx *tx);
		struct uuid id;
		struct sess_rec sess;
		struct task_rec task;
		struct sess_patch patch;
		struct sess_complete complete;
		struct log_rec *logs;
		struct log_rec log;
		int nlogs;
		enum core_owner owner;
		const char *kv_key, *value, *name, *hash;
		int kind, role, has_role;
		int create_only;            /* core_estate_add */
		int64_t i, n;
		struct logon_rec logon;
		struct key_rec key;
		struct estate_rec estate;
		void *waiter;
		void (*user_done)(struct core_write *w);
	} in;
};

/** A new session: defaults filled and validated (session_prepare_new), creation time
 *  now unless given, times in milliseconds. RC_CONFLICT when the id is taken by a
 *  session or a task session. */
enum rc core_session_create(struct core_write *w, const struct sess_rec *r);
enum rc core_session_patch(struct core_write *w, const struct uuid *id, const struct sess_patch *p);
enum rc core_session_complete(struct core_write *w, const struct uuid *id, const struct sess_complete *c);
/** A stop request (Stopping, stop_requested). */
enum rc core_session_stop(struct core_write *w, const struct uuid *id);
/** A stop request made through Enterprise Manager: whatever its outcome, an EM task
 *  records it (w->emtask) in the same transaction; w->rc is RC_OK unless the session
 *  does not exist or the store failed. */
enum rc core_session_stop_em(struct core_write *w, const struct uuid *id, int64_t uid);
/** A new task session of t->session_id (open sessions only). */
enum rc core_task_create(struct core_write *w, const struct task_rec *t);
enum rc core_task_patch(struct core_write *w, const struct uuid *id, const struct sess_patch *p);
enum rc core_task_complete(struct core_write *w, const struct uuid *id, const struct sess_complete *c);
/** Appends logs[0..n) to the log of a session or a task session (which the owner kind
 *  says); ids are numbered on from the owner's last, into logs[i].id. */
enum rc core_log_append(struct core_write *w, enum core_owner owner, const struct uuid *id, struct log_rec *logs,
                        int n);
/** Updates record l->id of an owner's log: status and update time, title and description when set. */
enum rc core_log_update(struct core_write *w, enum core_owner owner, const struct uuid *id, const struct log_rec *l);
/** Records a revocation; RC_CONFLICT when the key is recorded already (a spent refresh token). */
enum rc core_token_revoke(struct core_write *w, const char *key, enum revoke_kind kind, int64_t expires_us);
/** Removes up to max stopped sessions that ended before cutoff_us (and expired
 *  revocations); takes a usn when it removed any, so caches keyed on it see the change. */
enum rc core_purge(struct core_write *w, int64_t cutoff_us, int64_t max);
enum rc core_kv_put(struct core_write *w, const char *key, const char *value);
/** Adds a user (RC_CONFLICT when the name is taken). */
enum rc core_user_add(struct core_write *w, const char *name, const char *hash, int role);
/** Changes a user's password hash (hash not NULL) and/or role (role >= 0); bumps the
 *  user's credential generation, which ends every token and logon issued before. */
enum rc core_user_change(struct core_write *w, const char *name, const char *hash, int role);
/** Removes a user; its uid is never given again. */
enum rc core_user_del(struct core_write *w, const char *name);
/** Stores an estate object (e->kind, e->id): created when new (or deleted before), else
 *  replaced with its creation time kept; updated now, a new usn. A parent_id must name a
 *  live object of the kind's parent kind (RC_INVALID otherwise). Properties (e->props, a
 *  JSON object of the kind's fields) are the caller's, checked against model/estate.h. */
enum rc core_estate_put(struct core_write *w, const struct estate_rec *e);
/** The same, only when no live object (e->kind, e->id) exists: RC_CONFLICT otherwise. */
enum rc core_estate_add(struct core_write *w, const struct estate_rec *e);
/** Deletes an estate object (a tombstone with a new usn); RC_NOTFOUND when there is none. */
enum rc core_estate_del(struct core_write *w, int kind, const struct uuid *id);
/** Removes an EM task; RC_NOTFOUND when there is none. */
enum rc core_emtask_del(struct core_write *w, int64_t id);
/** Adds an API key (RC_CONFLICT when the name is taken). */
enum rc core_key_add(struct core_write *w, const struct key_rec *k);
/** Stores a key's last use (only ever forward). */
enum rc core_key_touch(struct core_write *w, const struct key_rec *k);
/** Removes the key named name; RC_NOTFOUND when there is none. */
enum rc core_key_del(struct core_write *w, const char *name);
/** Stores a new EM logon session for l (sid, uid, gen, role, user, times set by the
 *  caller); when the user already has max logons, the oldest of them are removed. */
enum rc core_logon_create(struct core_write *w, const struct logon_rec *l, int max);
/** Stores a logon's last use. */
enum rc core_logon_touch(struct core_write *w, const struct logon_rec *l);
/** Removes a logon session; RC_NOTFOUND when there is none. */
enum rc core_logon_delete(struct core_write *w, const char *sid);
/** Removes logons idle since before idle_before_us or started before started_before_us. */
enum rc core_logon_expire(struct core_write *w, int64_t idle_before_us, int64_t started_before_us);

#endif
