/* PostgreSQL driver internals, shared by pg.c (connections, reads, open, the
 * listener) and pg_tx.c (the write transaction). Nothing outside store/pg*.c
 * includes this file or libpq-fe.h. */
#ifndef SESSIOND_STORE_PG_H
#define SESSIOND_STORE_PG_H
#include <libpq-fe.h>
#include <pthread.h>

#include "store/sqlgen.h"
#include "store/store.h"

/* The transaction-level advisory lock every write transaction takes first (pg_tx.c):
 * it orders writers of every instance, so usns become visible in the order given. */
#define PG_WRITE_LOCK 0x5e551011
/* The channel of the usn notifications (payload: the newest usn, decimal). */
#define PG_CHANNEL "sessiond_usn"
/* Of every page of a sessions partition, the percent filled by inserts: the rest is room
 * for the new versions of its rows (HOT updates, pg_sql.c migration 7). */
#define PG_SESS_FILLFACTOR "70"

/* Statements a read connection prepares once (pg_sql.c). */
enum pg_rstmt {
	PR_SESS_GET, PR_TASK_GET, PR_USER_GET, PR_USER_GET_UID, PR_KV_GET, PR_LOGON_GET, PR_EMTASK_GET,
	PR_KEY_GET, PR_ESTATE_GET, PR_USN_GET, PR_STMT_COUNT
};

/* Statements of the write connection, prepared once per connection (pg_sql.c). */
enum pg_wstmt {
	PW_SESS_GET, PW_SESS_INS, PW_SESS_UPD, PW_SESS_DEL, PW_SESS_ENDED, PW_TASK_GET, PW_TASK_INS, PW_TASK_UPD,
	PW_TASKS_DEL, PW_TASK_LOGS_DEL, PW_LOGS_DEL, PW_LOG_LAST, PW_LOG_INS, PW_LOG_UPD, PW_USER_INS, PW_USER_UPD,
	PW_USER_GET, PW_USER_DEL, PW_KV_PUT, PW_REVOKE, PW_REVOKED_PURGE, PW_LOGON_PUT, PW_LOGON_GET, PW_LOGON_DEL,
	PW_LOGON_DEL_OLD, PW_LOGON_OF_USER, PW_EMTASK_INS, PW_KEY_INS, PW_KEY_REPLACE, PW_KEY_GET, PW_KEY_DEL,
	PW_EMTASK_DEL, PW_USER_NAME_TAKEN, PW_ESTATE_GET, PW_ESTATE_PUT, PW_SESS_GET_MANY, PW_CHANGES_PUT,
	PW_SESS_UPD_KEEP, PW_STMT_COUNT
};

extern const char *const pg_rstmt_sql[PR_STMT_COUNT];
extern const char *const pg_wstmt_sql[PW_STMT_COUNT];
/** Forward migrations; migration i takes the schema from version i to i+1 (the same
 *  numbering as the SQLite migrations of store_sql.c). */
extern const char *const pg_migrations[];
extern const int pg_migration_count;
/** The sessions table that sqlgen compiles q over: for a predicate that names the usn
 *  (the change feed), joined with session_changes, whose index on the usn serves "after
 *  n" in usn order (sessions has no index on its usn: pg_sql.c, migration 7). */
const struct sqlgen_table *pg_sessions_table(const struct query *q);
/** Brings the schema of db to the last migration (pg_sql.c). */
enum rc pg_migrate(PGconn *db, char *err, size_t errlen);

#define PG_LIST_CACHE 32

struct pg_conn {
	PGconn *db;
	unsigned char prepared[(int)PW_STMT_COUNT > (int)PR_STMT_COUNT ? (int)PW_STMT_COUNT : (int)PR_STMT_COUNT];
	struct { char *sql; } lc[PG_LIST_CACHE];   /* list statements prepared as "l<slot>" */
	int lc_next;
	struct pg_conn *next;       /* every read connection of the store, for close */
	/* with a read replica: */
	struct pg_conn *primary;    /* this thread's connection to the primary: asked how far it
	                               is before each read, and serves reads the replica is behind on */
	int fence_due;              /* the next read on it (a replica's) checks it caught up first */
	struct store *store;        /* the store it reads for */
	int streaming;              /* a list is being read from it row by row */
	struct pg_conn *nested;     /* for reads made meanwhile (from the list's callback) */
};

/* Pipeline mode of the write transaction (pg_pipe.c): what a statement sent ahead is
 * assumed to answer, checked when its answer is read. */
enum pg_expect {
	PE_OK,      /* success */
	PE_SOME,    /* success, with at least one row changed */
	PE_PREP,    /* a statement prepared: its flag is set from the answer */
	PE_KEEP,    /* the answer is handed to the caller (*out), who checks it */
};

struct pg_pending {
	const char *what;           /* for the log of a failure */
	enum pg_expect expect;
	unsigned char *prepared;    /* PE_PREP: the connection's flag of the statement */
	PGresult **out;             /* PE_KEEP: where the answer goes */
};

#define PG_PIPE_MAX 512         /* statements in flight at most: then their answers are read */
#define PG_PREFETCH_MAX 1024    /* sessions a batch loads at its start at most */

/* Rows of session_changes a batch adds or replaces (pg_changes.c). */
struct pg_changes {
	int64_t *seq;
	struct uuid *id;
	int n, cap;
};

/* A session a batch loaded at its start (tx_begin_batch), for tx_session_load. */
struct pg_pre {
	struct uuid id;
	int row;                    /* its row in the answer, -1: there is no such session */
	int valid;                  /* 0 once the batch wrote it: load it again */
};

struct store {
	char *uri;
	char *read_uri;             /* a streaming replica for reads, or NULL */
	int64_t replica_waits;      /* times a read found the replica behind (atomic; for tests) */
	int64_t replica_misses;     /* reads the primary served, the replica still behind (atomic) */
	int64_t replica_missed;     /* the newest WAL position a read gave up waiting for (atomic) */
	int not_replica_said;       /* --db-read is not in recovery: logged once */
	pthread_key_t key;          /* this thread's struct pg_conn */
	pthread_mutex_t conns_lock;
	struct pg_conn *conns;

	/* the write connection, used by the writer thread only */
	struct pg_conn *wconn;
	int64_t usn;                /* last usn given (writer thread only) */
	int64_t usn_batch;          /* the stored usn at tx_begin, restored by a rollback */
	int64_t usn_sp;             /* usn at the op's savepoint */
	int release_due;            /* the last op's savepoint is to be released (with the next one) */
	int64_t usn_seen;           /* highest usn known committed by any instance (atomic) */
	char errmsg[256];           /* the last failure's text (tx_error) */

	/* the transaction in pipeline mode (pg_pipe.c) */
	int piped;                  /* statements are sent ahead */
	int redo;                   /* something went otherwise than assumed: the batch runs again */
	int broken;                 /* the connection failed in the pipeline: the batch fails */
	int op_wrote;               /* the current op sent a write (its failure needs the redo) */
	int npending;               /* statements sent whose answers are not read yet */
	struct pg_pending pending[PG_PIPE_MAX];
	PGresult *pre;              /* the sessions the batch's ops named, loaded at its start */
	struct pg_pre pre_ids[PG_PREFETCH_MAX];   /* sorted by id */
	int npre;
	int64_t redos;              /* batches run again the ordinary way (for tests and figures) */

	/* session_changes: what the transaction adds and replaces, sent with its commit */
	struct pg_changes chg_add, chg_del;
	int chg_add_sp, chg_del_sp; /* their lengths at the op's savepoint */

	int parts[64];              /* months (year * 12 + month - 1) known to have a partition */
	int nparts;

	/* the listener (LISTEN/NOTIFY): wakes this instance on every instance's commits */
	void (*on_usn)(int64_t usn);
	pthread_t listener;
	int listening;
	int stop_pipe[2];
};

/* A statement's parameters: texts, or 16-byte binary ids. */
#define PG_MAX_PARAMS 32
struct pg_params {
	int n;
	const char *v[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24];
};

void pgp_int(struct pg_params *p, int64_t v);
/** NULL when v is 0 (times that are not set). */
void pgp_time(struct pg_params *p, int64_t v);
void pgp_text(struct pg_params *p, const char *s);
/** NULL for the nil uuid. */
void pgp_uuid(struct pg_params *p, const struct uuid *u);
void pgp_null(struct pg_params *p);

int64_t pg_int(const PGresult *r, int row, int col);
const char *pg_text(const PGresult *r, int row, int col, struct arena *a);
void pg_uuid(const PGresult *r, int row, int col, struct uuid *u);

void pg_read_sess(const PGresult *r, int row, struct arena *a, struct sess_rec *s);
void pg_read_task(const PGresult *r, int row, struct arena *a, struct task_rec *t);
void pg_read_user(const PGresult *r, int row, struct arena *a, struct user_rec *u);
void pg_read_logon(const PGresult *r, int row, struct arena *a, struct logon_rec *l);
void pg_read_emtask(const PGresult *r, int row, struct arena *a, struct emtask_rec *e);
void pg_read_key(const PGresult *r, int row, struct arena *a, struct key_rec *k);
#define PG_ESTATE_COLS "kind,id,parent,name,reporter,props,deleted,created,updated,usn"
void pg_read_estate(const PGresult *r, int row, struct arena *a, struct estate_rec *e);
void pg_bind_sess(struct pg_params *p, const struct sess_rec *s);
void pg_bind_task(struct pg_params *p, const struct task_rec *t);

/** Runs a statement prepared on c under name (preparing sql first if c has not);
 *  NULL only when out of memory. Reconnects a connection that was lost first. */
PGresult *pg_exec_prepared(struct pg_conn *c, const char *name, unsigned char *prepared, const char *sql,
                           const struct pg_params *p);
/** Whether r carries the SQLSTATE state ("23505": a unique key). */
int pg_state_is(const PGresult *r, const char *state);
/** Connects c->db to uri; 0 on success, else err says why. */
int pg_connect(struct pg_conn *c, const char *uri, char *err, size_t errlen);

extern const struct sqlgen_dialect pg_dialect;

/* Reads (pg_read.c). */
/** This thread's connection for a read, opened again if it was lost; NULL when none can
 *  be had. With a replica, the replica's, marked fence_due: the read's pipeline checks
 *  that it replayed what the primary had flushed when the read began, and runs on the
 *  primary when it has not in time (pg_read.c). */
struct pg_conn *pg_reader(struct store *s);
/** The name under which sql is prepared on c ("l<slot>", a cache of PG_LIST_CACHE); -1
 *  when it cannot be prepared. */
int pg_list_prepare(struct pg_conn *c, const char *sql, char name[16]);
/** Runs sql with p on this thread's read connection; its whole answer (the caller
 *  clears it), NULL when the read failed. */
PGresult *pg_read_whole(struct store *s, const char *sql, const struct pg_params *p);
/** The stored usn, read on the primary by this thread (pg_heard with it); -1 when it
 *  cannot be read. */
int64_t pg_usn_fresh(struct store *s);
/** Runs sql with p, handing its rows one at a time (single-row mode) to row(ctx, r)
 *  until it returns non-zero (the rest are read and dropped). */
enum rc pg_list_stream(struct pg_conn *c, const char *sql, const struct pg_params *p,
                       int (*row)(void *ctx, const PGresult *r), void *ctx);
/** Builds a page's statement into *p, given the total (-1 before it is known); sets
 *  *late when the statement would change once the total is known, *all when the page
 *  is to be read whole (else row by row). NULL: it cannot be built. */
typedef const char *(*pg_page_fn)(void *ctx, int64_t total, struct pg_params *p, int *late, int *all);
/** A page, and with count_sql its total (into *total) from the same read-only snapshot:
 *  BEGIN, the count, the page and COMMIT in one round trip (two when the page depends
 *  on the total). Rows go to row(ctx, r) one at a time, or a page read whole to *whole
 *  (the caller clears it). */
enum rc pg_list_page(struct pg_conn *c, const char *count_sql, const struct pg_params *cp, int64_t *total,
                     pg_page_fn page, void *pctx, int (*row)(void *, const PGresult *), void *ctx, PGresult **whole);

/* The listener (pg_listen.c). */
void pg_watch(struct store *s, void (*on_usn)(int64_t usn));
/** usn is known committed (by any instance): raises usn_current, wakes the watcher. */
void pg_heard(struct store *s, int64_t usn);
/** The stored usn: the highest any instance committed; -1 when it cannot be read. */
int64_t pg_stored_usn(PGconn *db);

/* Pipeline mode (pg_pipe.c). */
/** Sends a statement ahead: the one prepared as stmt (preparing sql first when
 *  *prepared is 0), or with stmt NULL the text sql. Its answer is checked against
 *  expect when read (PE_KEEP: stored in *out, NULL until then). -1 when nothing was
 *  sent: the batch is to run again or the connection failed (errmsg says which). */
int pg_pipe_send(struct store *s, const char *stmt, const char *sql, unsigned char *prepared,
                 const struct pg_params *p, enum pg_expect expect, const char *what, PGresult **out);
/** Reads the answer of every statement sent so far (one round trip). */
enum rc pg_pipe_wait(struct store *s);
/** Sends like pg_pipe_send and waits for the answer, which the caller clears (NULL
 *  when there is none). */
PGresult *pg_pipe_exec(struct store *s, const char *stmt, const char *sql, unsigned char *prepared,
                       const struct pg_params *p, const char *what);
/** Commits a transaction of pg_tx_begin_batch: RC_BUSY (rolled back) when something
 *  went otherwise than assumed, RC_BACKEND when the connection failed. */
enum rc pg_pipe_commit(struct store *s);
/** Leaves pipeline mode, rolling the transaction back; closes a connection that fails. */
void pg_pipe_abort(struct store *s);
/** A session the batch loaded at its start: RC_OK or RC_NOTFOUND, -1 when it did not. */
int pg_pre_find(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out);
/** The batch wrote the session id (NULL: maybe any): its row is loaded again. */
void pg_pre_forget(struct store *s, const struct uuid *id);
/** Records why the batch is to run again (the first reason only). */
void pg_pipe_redo(struct store *s, const char *what, const char *why);

/* session_changes (pg_changes.c). */
/** A session write: the row (old_usn, id) is replaced by (usn, id); -1: none (an insert). */
void pg_changes_note(struct store *s, const struct uuid *id, int64_t old_usn, int64_t usn);
/** The session id is deleted: the rows the transaction added for it go too. */
void pg_changes_forget(struct store *s, const struct uuid *id);
/** An op's savepoint: pg_changes_undo(s, 0) goes back to here. */
void pg_changes_mark(struct store *s);
/** Forgets what the op (all 0) or the whole transaction (all 1) noted. */
void pg_changes_undo(struct store *s, int all);
/** The parameters of PW_CHANGES_PUT into p (texts in bufs, freed by the caller); 0 when
 *  the transaction changed no row of session_changes. */
int pg_changes_params(struct store *s, struct pg_params *p, char *bufs[4]);
void pg_changes_free(struct store *s);

/* The write transaction (pg_tx.c). */
enum rc pg_tx_begin_batch(struct store *s, const struct uuid *keys, int n);
/** The write connection, opened again when it was lost; RC_BACKEND when it cannot be. */
enum rc pg_tx_connect(struct store *s);
enum rc pg_tx_begin(struct store *s);
enum rc pg_tx_commit(struct store *s);
void pg_tx_rollback(struct store *s);
void pg_tx_savepoint(struct store *s, enum store_sp step);
const char *pg_tx_error(struct store *s);
enum rc pg_tx_usn_next(struct store *s, int64_t *usn);
enum rc pg_tx_session_load(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out);
enum rc pg_tx_session_insert(struct store *s, const struct sess_rec *r);
enum rc pg_tx_session_update(struct store *s, const struct sess_rec *old, const struct sess_rec *r);
enum rc pg_tx_session_delete(struct store *s, const struct uuid *id);
enum rc pg_tx_sessions_drop_ended(struct store *s, int64_t cutoff_us, int64_t *n);
enum rc pg_tx_sessions_ended(struct store *s, int64_t cutoff_us, int max, struct uuid *ids, int *n);
enum rc pg_tx_task_load(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out);
enum rc pg_tx_task_insert(struct store *s, const struct task_rec *t);
enum rc pg_tx_task_update(struct store *s, const struct task_rec *t);
enum rc pg_tx_log_last(struct store *s, const struct uuid *owner, int64_t *id);
enum rc pg_tx_log_insert(struct store *s, const struct log_rec *l);
enum rc pg_tx_log_update(struct store *s, const struct log_rec *l);
enum rc pg_tx_user_put(struct store *s, struct user_rec *u);
enum rc pg_tx_user_load(struct store *s, const char *name, struct arena *a, struct user_rec *out);
enum rc pg_tx_user_delete(struct store *s, int64_t uid);
enum rc pg_tx_kv_put(struct store *s, const char *key, const char *value);
enum rc pg_tx_revoke(struct store *s, const char *key, int kind, int64_t expires_us);
enum rc pg_tx_revoked_purge(struct store *s, int64_t now_us);
enum rc pg_tx_logon_put(struct store *s, const struct logon_rec *l);
enum rc pg_tx_logon_load(struct store *s, const char *sid, struct arena *a, struct logon_rec *out);
enum rc pg_tx_logon_delete(struct store *s, const char *sid, int64_t idle_before_us, int64_t started_before_us);
enum rc pg_tx_logon_of_user(struct store *s, int64_t uid, int max, char (*sids)[40], int *n);
enum rc pg_tx_emtask_put(struct store *s, struct emtask_rec *e);
enum rc pg_tx_emtask_delete(struct store *s, int64_t id);
enum rc pg_tx_key_put(struct store *s, const struct key_rec *k, int replace);
enum rc pg_tx_key_load(struct store *s, const char *name, struct arena *a, struct key_rec *out);
enum rc pg_tx_key_delete(struct store *s, const char *name);
enum rc pg_tx_estate_load(struct store *s, int kind, const struct uuid *id, struct arena *a, struct estate_rec *out);
enum rc pg_tx_estate_put(struct store *s, const struct estate_rec *e);

#endif
