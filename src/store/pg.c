/* PostgreSQL driver: any number of sessiond instances on one database. A read
 * connection per thread with its statements prepared once, one write connection
 * that the writer (store/writer.c) drives through the tx_* operations (pg_tx.c),
 * and a listener connection that hears every instance's commits (LISTEN/NOTIFY)
 * and hands their usn to core's feed (watch). List queries are compiled by
 * store/sqlgen.c; rules are core's. A lost connection fails the call in hand
 * (RC_BACKEND: core answers 503) and is opened again on the next one. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/pg.h"
#include "store/store_sql.h"
#include "util/buf.h"
#include "util/timefmt.h"

#define USER_COLS "uid,name,hash,role,gen,created"
#define LOGON_COLS "sid,uid,gen,role,\"user\",created,last"
#define EMTASK_COLS "id,session_id,uid,success,message,created"
#define KEY_COLS "id,name,role,hash,created,last_used"

const struct sqlgen_dialect pg_dialect = {.dollar = 1, .like = "ILIKE", .text_eq = "", .fold = 1, .nulls = 1};

/* ---------- connections ---------- */

static void conn_close(struct pg_conn *c)
{
	if(c->primary)
		conn_close(c->primary);
	if(c->db)
		PQfinish(c->db);
	for(int i = 0; i < PG_LIST_CACHE; i++)
		free(c->lc[i].sql);
	free(c);
}

static int res_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* A kept read statement of this thread's connection, run with p. */
static PGresult *rexec(struct store *s, enum pg_rstmt which, const struct pg_params *p)
{
	return pg_read_whole(s, pg_rstmt_sql[which], p);
}

typedef void (*pg_row_reader)(const PGresult *r, int row, struct arena *a, void *rec);

static void rd_sess(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_sess(r, i, a, rec); }
static void rd_task(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_task(r, i, a, rec); }
static void rd_user(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_user(r, i, a, rec); }
static void rd_logon(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_logon(r, i, a, rec); }
static void rd_emtask(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_emtask(r, i, a, rec); }
static void rd_key(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_key(r, i, a, rec); }

/* One row by a uuid, a text or an integer key (whichever is given). */
static enum rc get_one(struct store *s, enum pg_rstmt which, const struct uuid *id, const char *text, int64_t i,
                       struct arena *a, pg_row_reader rd, void *out)
{
	struct pg_params p = {0};
	if(id)
		pgp_uuid(&p, id);
	else if(text)
		pgp_text(&p, text);
	else
		pgp_int(&p, i);
	PGresult *r = rexec(s, which, &p);
	enum rc rc = !r || !res_ok(r) ? RC_BACKEND : PQntuples(r) ? RC_OK : RC_NOTFOUND;
	if(!rc)
		rd(r, 0, a, out);
	PQclear(r);
	return rc;
}

static enum rc pg_session_get(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	return get_one(s, PR_SESS_GET, id, NULL, 0, a, rd_sess, out);
}

static enum rc pg_task_get(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out)
{
	return get_one(s, PR_TASK_GET, id, NULL, 0, a, rd_task, out);
}

static enum rc pg_user_get(struct store *s, const char *name, struct arena *a, struct user_rec *out)
{
	return get_one(s, PR_USER_GET, NULL, name, 0, a, rd_user, out);
}

static enum rc pg_user_get_uid(struct store *s, int64_t uid, struct arena *a, struct user_rec *out)
{
	return get_one(s, PR_USER_GET_UID, NULL, NULL, uid, a, rd_user, out);
}

static enum rc pg_logon_get(struct store *s, const char *sid, struct arena *a, struct logon_rec *out)
{
	return get_one(s, PR_LOGON_GET, NULL, sid, 0, a, rd_logon, out);
}

static enum rc pg_emtask_get(struct store *s, int64_t id, struct arena *a, struct emtask_rec *out)
{
	return get_one(s, PR_EMTASK_GET, NULL, NULL, id, a, rd_emtask, out);
}

static enum rc pg_key_get(struct store *s, const char *id, struct arena *a, struct key_rec *out)
{
	return get_one(s, PR_KEY_GET, NULL, id, 0, a, rd_key, out);
}

static enum rc pg_kv_get(struct store *s, const char *key, struct arena *a, const char **value)
{
	struct pg_params p = {0};
	pgp_text(&p, key);
	PGresult *r = rexec(s, PR_KV_GET, &p);
	enum rc rc = !r || !res_ok(r) ? RC_BACKEND : PQntuples(r) ? RC_OK : RC_NOTFOUND;
	if(!rc)
		*value = pg_text(r, 0, 0, a) ? pg_text(r, 0, 0, a) : "";
	PQclear(r);
	return rc;
}

/* ---------- list queries (compiled by sqlgen) ---------- */


struct list_rows {
	pg_row_reader rd;
	struct arena *a;
	void *rec;
	int (*cb)(void *, const void *);
	void *ctx;
};

static int list_row(void *ctx, const PGresult *r)
{
	struct list_rows *l = ctx;
	l->rd(r, 0, l->a, l->rec);
	return l->cb(l->ctx, l->rec);
}

static void bind_gen(struct pg_params *p, const struct sqlgen *g)
{
	p->n = 0;
	for(int i = 0; i < g->np && i < PG_MAX_PARAMS - 2; i++) {
		const struct sqlgen_param *q = &g->p[i];
		if(q->kind == QV_INT)
			pgp_int(p, q->i);
		else if(q->kind == QV_TEXT)
			pgp_text(p, q->s);
		else
			pgp_uuid(p, &q->u);
	}
}

/* The page of a list (pg_page_fn): built by sqlgen once the total is known when the
 * query skips rows (a page in the far half is read from the other end, whole). */
struct list_page {
	struct sqlgen *g;
	const struct query *q;
	struct buf text;
	int reverse;
};

static const char *list_page_sql(void *ctx, int64_t total, struct pg_params *p, int *late, int *all)
{
	struct list_page *lp = ctx;
	buf_reset(&lp->text);
	sqlgen_page(lp->g, lp->q, total, &lp->text);
	bind_gen(p, lp->g);
	if(lp->g->paged) {
		if(lp->g->limit >= 0)
			pgp_int(p, lp->g->limit);
		else
			pgp_null(p);   /* LIMIT NULL: no limit */
		pgp_int(p, lp->g->offset);
	}
	*late = lp->q->skip > 0;
	*all = lp->reverse = lp->g->reverse;
	return buf_cstr(&lp->text);
}

static enum rc run_list(struct store *s, const struct sqlgen_table *t, const struct query *q, struct arena *a,
                        pg_row_reader rd, size_t recsize, int (*cb)(void *, const void *), void *ctx, int64_t *total)
{
	struct sqlgen g;
	sqlgen_init(&g, &pg_dialect, t, q, a);
	if(g.bad || g.np > PG_MAX_PARAMS - 2) {
		sqlgen_free(&g);
		return RC_INVALID;
	}
	struct pg_conn *c = pg_reader(s);
	if(!c) {
		sqlgen_free(&g);
		return RC_BACKEND;
	}
	struct buf count;
	buf_init(&count, 0);
	struct pg_params cp;
	if(total) {
		sqlgen_count(&g, &count, a);
		bind_gen(&cp, &g);
	}
	struct list_page lp = {.g = &g, .q = q};
	buf_init(&lp.text, 0);
	void *rec = arena_alloc(a, recsize);
	struct list_rows l = {rd, a, rec, cb, ctx};
	PGresult *r = NULL;
	enum rc rc = pg_list_page(c, total ? buf_cstr(&count) : NULL, &cp, total, list_page_sql, &lp, list_row, &l, &r);
	if(!rc && lp.reverse && r) {
		/* a page read from the far end (at most 10000 rows): handed out backwards */
		int n = PQntuples(r);
		for(int i = 0; i < n; i++) {
			rd(r, n - 1 - i, a, rec);
			if(cb(ctx, rec))
				break;
		}
	}
	PQclear(r);
	sqlgen_free(&g);
	buf_free(&count);
	buf_free(&lp.text);
	return rc;
}

static enum rc pg_session_list(struct store *s, const struct query *q, struct arena *a, store_sess_cb cb,
                               void *ctx, int64_t *total)
{
	return run_list(s, pg_sessions_table(q), q, a, rd_sess, sizeof(struct sess_rec), (int (*)(void *, const void *))cb, ctx,
	                total);
}

static enum rc pg_task_list(struct store *s, const struct query *q, struct arena *a, store_task_cb cb,
                            void *ctx, int64_t *total)
{
	return run_list(s, &store_sql_tasks, q, a, rd_task, sizeof(struct task_rec), (int (*)(void *, const void *))cb, ctx,
	                total);
}

/* Counts every row; hands rows to list_row until it says stop. */
struct counted {
	struct list_rows *l;
	int64_t n;
	int stopped;
};

static int counted_row(void *ctx, const PGresult *r)
{
	struct counted *k = ctx;
	k->n++;
	if(!k->stopped)
		k->stopped = list_row(k->l, r);
	return 0;
}

/* Runs a one-off statement with p and hands each row, read by rd, to cb; *count (if
 * given) receives the number of rows. */
static enum rc each_row(struct store *s, const char *sql, const struct pg_params *p, struct arena *a,
                        pg_row_reader rd, size_t recsize, int (*cb)(void *, const void *), void *ctx, int64_t *count)
{
	struct pg_conn *c = pg_reader(s);
	if(!c)
		return RC_BACKEND;
	struct list_rows l = {rd, a, arena_alloc(a, recsize), cb, ctx};
	struct counted k = {.l = &l};
	struct pg_params none = {0};
	enum rc rc = pg_list_stream(c, sql, p ? p : &none, counted_row, &k);
	if(count)
		*count = k.n;
	return rc;
}

struct log_args {
	const struct uuid *owner;
	store_log_cb cb;
	void *ctx;
};

static int log_row(void *ctx, const void *rec)
{
	const struct log_args *la = ctx;
	struct log_rec *r = (struct log_rec *)rec;
	r->owner = *la->owner;
	return la->cb(la->ctx, r);
}

static void rd_log(const PGresult *r, int i, struct arena *a, void *rec)
{
	struct log_rec *l = rec;
	memset(l, 0, sizeof(*l));
	l->id = pg_int(r, i, 0);
	l->status = (int)pg_int(r, i, 1);
	l->title = pg_text(r, i, 2, a);
	l->description = pg_text(r, i, 3, a);
	l->start_us = pg_int(r, i, 4);
	l->update_us = pg_int(r, i, 5);
}

static enum rc pg_log_list(struct store *s, const struct uuid *owner, int status, struct arena *a,
                           store_log_cb cb, void *ctx, int64_t *total)
{
	const char *sql = status < 0
		? "SELECT id,status,title,description,start_time,update_time FROM logs WHERE owner=$1 ORDER BY id DESC"
		: "SELECT id,status,title,description,start_time,update_time FROM logs WHERE owner=$1 AND status=$2 "
		  "ORDER BY id DESC";
	struct pg_params p = {0};
	pgp_uuid(&p, owner);
	if(status >= 0)
		pgp_int(&p, status);
	struct log_args la = {owner, cb, ctx};
	int64_t n = 0;
	enum rc rc = each_row(s, sql, &p, a, rd_log, sizeof(struct log_rec), log_row, &la, &n);
	if(total)
		*total = n;
	return rc;
}

static enum rc pg_job_latest(struct store *s, struct arena *a, store_sess_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT " SESS_COLS_LEAN " FROM (SELECT DISTINCT ON (job_id) * FROM sessions WHERE job_id IS NOT NULL "
		"ORDER BY job_id, creation DESC, id DESC) j ORDER BY lower(coalesce(job_name, name)), job_id";
	return each_row(s, sql, NULL, a, rd_sess, sizeof(struct sess_rec), (int (*)(void *, const void *))cb, ctx, NULL);
}

static int64_t pg_usn_current(struct store *s)
{
	return __atomic_load_n(&s->usn_seen, __ATOMIC_ACQUIRE);
}

static enum rc pg_user_list(struct store *s, struct arena *a, store_user_cb cb, void *ctx)
{
	return each_row(s, "SELECT " USER_COLS " FROM users ORDER BY name COLLATE \"C\"", NULL, a, rd_user,
	                sizeof(struct user_rec), (int (*)(void *, const void *))cb, ctx, NULL);
}

static void rd_count(const PGresult *r, int i, struct arena *a, void *rec)
{
	(void)a;
	*(int64_t *)rec = pg_int(r, i, 0);
}

static int take_count(void *ctx, const void *rec)
{
	*(int64_t *)ctx = *(const int64_t *)rec;
	return 1;
}

static enum rc pg_user_count(struct store *s, int64_t *n)
{
	struct arena a;
	arena_init(&a);
	*n = 0;
	enum rc rc = each_row(s, "SELECT count(*) FROM users", NULL, &a, rd_count, sizeof(int64_t), take_count, n, NULL);
	arena_free(&a);
	return rc;
}

static enum rc pg_revoked_list(struct store *s, int kind, int64_t now_us, int64_t after, int64_t *last,
                               store_revoked_cb cb, void *ctx)
{
	struct pg_params p = {0};
	pgp_int(&p, kind);
	pgp_int(&p, now_us);
	pgp_int(&p, after);
	PGresult *r = pg_read_whole(s, "SELECT seq, key, expires FROM revoked WHERE kind=$1 AND expires > $2 "
	                               "AND seq > $3 ORDER BY seq", &p);
	if(!r || !res_ok(r)) {
		PQclear(r);
		return RC_BACKEND;
	}
	for(int i = 0; i < PQntuples(r); i++) {
		*last = pg_int(r, i, 0);
		if(cb(ctx, PQgetvalue(r, i, 1), pg_int(r, i, 2)))
			break;
	}
	PQclear(r);
	return RC_OK;
}

static enum rc pg_logon_list(struct store *s, int64_t uid, struct arena *a,
                             int (*cb)(void *, const struct logon_rec *), void *ctx)
{
	struct pg_params p = {0};
	pgp_int(&p, uid);
	return each_row(s, uid ? "SELECT " LOGON_COLS " FROM logons WHERE uid=$1 ORDER BY created DESC, sid COLLATE \"C\""
	                       : "SELECT " LOGON_COLS " FROM logons ORDER BY created DESC, sid COLLATE \"C\"",
	                uid ? &p : NULL, a, rd_logon, sizeof(struct logon_rec), (int (*)(void *, const void *))cb, ctx,
	                NULL);
}

static enum rc pg_emtask_list(struct store *s, int64_t uid, struct arena *a,
                              int (*cb)(void *, const struct emtask_rec *), void *ctx)
{
	struct pg_params p = {0};
	pgp_int(&p, uid);
	return each_row(s, uid ? "SELECT " EMTASK_COLS " FROM em_tasks WHERE uid=$1 ORDER BY id DESC"
	                       : "SELECT " EMTASK_COLS " FROM em_tasks ORDER BY id DESC",
	                uid ? &p : NULL, a, rd_emtask, sizeof(struct emtask_rec), (int (*)(void *, const void *))cb,
	                ctx, NULL);
}

static enum rc pg_key_list(struct store *s, struct arena *a, int (*cb)(void *, const struct key_rec *), void *ctx)
{
	return each_row(s, "SELECT " KEY_COLS " FROM api_keys ORDER BY name COLLATE \"C\"", NULL, a, rd_key,
	                sizeof(struct key_rec), (int (*)(void *, const void *))cb, ctx, NULL);
}


static enum rc pg_estate_get(struct store *s, int kind, const struct uuid *id, struct arena *a,
                             struct estate_rec *out)
{
	struct pg_params p = {0};
	pgp_uuid(&p, id);
	pgp_int(&p, kind);
	PGresult *r = rexec(s, PR_ESTATE_GET, &p);
	enum rc rc = !r || !res_ok(r) ? RC_BACKEND : PQntuples(r) ? RC_OK : RC_NOTFOUND;
	if(!rc)
		pg_read_estate(r, 0, a, out);
	PQclear(r);
	return rc;
}

static void rd_estate(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_estate(r, i, a, rec); }

/* The WHERE clause of an estate query, its parameters into p. */
static void estate_where(const struct estate_query *q, struct buf *b, struct pg_params *p)
{
	p->n = 0;
	if(q->after_usn >= 0) {
		pgp_int(p, q->after_usn);
		buf_printf(b, " WHERE usn > $%d", p->n);
	} else {
		buf_addstr(b, " WHERE deleted = 0");
	}
	if(q->kind) {
		pgp_int(p, q->kind);
		buf_printf(b, " AND kind = $%d", p->n);
	}
	if(!uuid_is_nil(&q->parent_id)) {
		pgp_uuid(p, &q->parent_id);
		buf_printf(b, " AND parent = $%d", p->n);
	}
	if(q->name) {
		pgp_text(p, q->name);
		buf_printf(b, q->name_like ? " AND name ILIKE $%d ESCAPE '\\'" : " AND lower(name) = lower($%d::text)", p->n);
	}
}

/* The page of an estate list (pg_page_fn): it never depends on the total. */
struct estate_page {
	const struct estate_query *q;
	struct buf text;
};

static const char *estate_page_sql(void *ctx, int64_t total, struct pg_params *p, int *late, int *all)
{
	struct estate_page *ep = ctx;
	const struct estate_query *q = ep->q;
	(void)total;
	*late = *all = 0;
	buf_reset(&ep->text);
	int deep = q->offset > 0 && q->kind && q->after_usn < 0;
	if(deep) {
		/* A deep page: the skipped objects are stepped over in the index that covers the
		 * filter and the order, and whole rows are read for the page only (as in sqlite.c). */
		buf_addstr(&ep->text, "SELECT " PG_ESTATE_COLS " FROM estate WHERE kind = $1 AND id IN (SELECT id FROM estate");
		estate_where(q, &ep->text, p);   /* kind is its $1 */
		buf_addstr(&ep->text, " ORDER BY lower(name), name, id");
	} else {
		buf_addstr(&ep->text, "SELECT " PG_ESTATE_COLS " FROM estate");
		estate_where(q, &ep->text, p);
		buf_addstr(&ep->text, q->after_usn >= 0 ? " ORDER BY usn" : " ORDER BY lower(name), name, id");
	}
	if(q->limit > 0)
		pgp_int(p, q->limit);
	else
		pgp_null(p);
	pgp_int(p, q->offset > 0 ? q->offset : 0);
	buf_printf(&ep->text, " LIMIT $%d OFFSET $%d", p->n - 1, p->n);
	if(deep)
		buf_addstr(&ep->text, ") ORDER BY lower(name), name, id");
	return buf_cstr(&ep->text);
}

static enum rc pg_estate_list(struct store *s, const struct estate_query *q, struct arena *a, store_estate_cb cb,
                              void *ctx, int64_t *total)
{
	struct pg_conn *c = pg_reader(s);
	if(!c)
		return RC_BACKEND;
	struct buf count;
	buf_init(&count, 0);
	struct pg_params cp = {0};
	if(total) {
		if(estate_counted(q)) {
			buf_addstr(&count, "SELECT coalesce(sum(n), 0) FROM estate_counts");
			if(q->kind) {
				pgp_int(&cp, q->kind);
				buf_addstr(&count, " WHERE kind = $1");
			}
		} else {
			buf_addstr(&count, "SELECT count(*) FROM estate");
			estate_where(q, &count, &cp);
		}
	}
	struct estate_page ep = {.q = q};
	buf_init(&ep.text, 0);
	struct estate_rec e;
	struct list_rows l = {rd_estate, a, &e, (int (*)(void *, const void *))cb, ctx};
	enum rc rc = pg_list_page(c, total ? buf_cstr(&count) : NULL, &cp, total, estate_page_sql, &ep, list_row, &l, NULL);
	buf_free(&count);
	buf_free(&ep.text);
	return rc;
}

static const char *pg_read_error(struct store *s)
{
	struct pg_conn *c = pthread_getspecific(s->key);
	if(c && c->primary && (!c->primary->db || PQstatus(c->primary->db) != CONNECTION_OK))
		c = c->primary;   /* a read on a replica asks the primary first */
	return c && c->db ? PQerrorMessage(c->db) : "cannot open a read connection";
}

/* ---------- open / close ---------- */

static void conn_destroy_key(void *p)
{
	(void)p; /* connections are closed with the store */
}

static void pg_close(struct store *s);

static enum rc pg_open(const char *uri, struct store **out, char *err, size_t errlen)
{
	return store_pg_open(uri, NULL, out, err, errlen);
}

enum rc store_pg_open(const char *uri, const char *read_uri, struct store **out, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));
	s->uri = xstrdup(uri);
	s->read_uri = read_uri ? xstrdup(read_uri) : NULL;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	arena_init(&s->upd_arena);
	pthread_key_create(&s->key, conn_destroy_key);
	pthread_mutex_init(&s->conns_lock, NULL);
	s->wconn = xcalloc(1, sizeof(*s->wconn));
	if(pg_connect(s->wconn, uri, err, errlen)) {
		pg_close(s);
		return RC_BACKEND;
	}
	enum rc rc = pg_migrate(s->wconn->db, err, errlen);
	if(rc) {
		pg_close(s);
		return rc;
	}
	int64_t u = pg_stored_usn(s->wconn->db);
	if(u < 0) {
		snprintf(err, errlen, "cannot read the update sequence number: %s", PQerrorMessage(s->wconn->db));
		pg_close(s);
		return RC_BACKEND;
	}
	s->usn = s->usn_seen = u;
	*out = s;
	return RC_OK;
}

static void pg_close(struct store *s)
{
	if(!s)
		return;
	if(s->listening) {
		ssize_t w = write(s->stop_pipe[1], "x", 1);
		(void)w;
		pthread_join(s->listener, NULL);
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
	}
	struct pg_conn *c = s->conns;
	while(c) {
		struct pg_conn *next = c->next;
		conn_close(c);
		c = next;
	}
	if(s->wconn)
		conn_close(s->wconn);
	pg_changes_free(s);
	pg_upd_free(s);
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->conns_lock);
	free(s->uri);
	free(s->read_uri);
	free(s);
}

const struct store_ops store_pg = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.watch = pg_watch,
	.session_get = pg_session_get,
	.session_list = pg_session_list,
	.task_get = pg_task_get,
	.task_list = pg_task_list,
	.job_latest = pg_job_latest,
	.log_list = pg_log_list,
	.usn_current = pg_usn_current,
	.usn_fresh = pg_usn_fresh,
	.user_get = pg_user_get,
	.user_get_uid = pg_user_get_uid,
	.user_list = pg_user_list,
	.user_count = pg_user_count,
	.kv_get = pg_kv_get,
	.revoked_list = pg_revoked_list,
	.logon_get = pg_logon_get,
	.logon_list = pg_logon_list,
	.emtask_get = pg_emtask_get,
	.emtask_list = pg_emtask_list,
	.key_get = pg_key_get,
	.key_list = pg_key_list,
	.estate_get = pg_estate_get,
	.estate_list = pg_estate_list,
	.read_error = pg_read_error,
	/* .reads_rarely: a connection holds no pages here (the server's cache is shared) */
	.tx_begin = pg_tx_begin,
	.tx_begin_batch = pg_tx_begin_batch,
	.tx_commit = pg_tx_commit,
	.tx_rollback = pg_tx_rollback,
	.tx_savepoint = pg_tx_savepoint,
	.tx_error = pg_tx_error,
	.tx_usn_next = pg_tx_usn_next,
	.tx_session_load = pg_tx_session_load,
	.tx_session_insert = pg_tx_session_insert,
	.tx_session_update = pg_tx_session_update,
	.tx_session_delete = pg_tx_session_delete,
	.tx_sessions_ended = pg_tx_sessions_ended,
	.tx_sessions_drop_ended = pg_tx_sessions_drop_ended,
	.tx_task_load = pg_tx_task_load,
	.tx_task_insert = pg_tx_task_insert,
	.tx_task_update = pg_tx_task_update,
	.tx_log_last = pg_tx_log_last,
	.tx_log_insert = pg_tx_log_insert,
	.tx_log_update = pg_tx_log_update,
	.tx_user_put = pg_tx_user_put,
	.tx_user_load = pg_tx_user_load,
	.tx_user_delete = pg_tx_user_delete,
	.tx_kv_put = pg_tx_kv_put,
	.tx_revoke = pg_tx_revoke,
	.tx_revoked_purge = pg_tx_revoked_purge,
	.tx_logon_put = pg_tx_logon_put,
	.tx_logon_load = pg_tx_logon_load,
	.tx_logon_delete = pg_tx_logon_delete,
	.tx_logon_of_user = pg_tx_logon_of_user,
	.tx_emtask_put = pg_tx_emtask_put,
	.tx_emtask_delete = pg_tx_emtask_delete,
	.tx_key_put = pg_tx_key_put,
	.tx_key_load = pg_tx_key_load,
	.tx_key_delete = pg_tx_key_delete,
	.tx_estate_load = pg_tx_estate_load,
	.tx_estate_put = pg_tx_estate_put,
};
