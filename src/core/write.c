/* write: every write verb of core, and what each changes. A verb checks its input,
 * then queues an apply function that runs inside the store's write transaction
 * through the driver's row operations (store.h tx_*). The rules live here once:
 * usn assignment (every change to a session, its task sessions or their logs gives
 * the session the next usn; a task change gives the task the same usn), the state
 * machine (core/session.c), millisecond times, log numbering, one id space across
 * sessions and task sessions, what a stopped session still allows (nothing). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/health.h"
#include "core/write.h"
#include "model/catalog.h"
#include "util/timefmt.h"

struct store_writer *core__writer(void);

#define refuse core__refuse
#define PURGE_MAX 1000          /* sessions removed by one core_purge at most */

enum rc core__refuse(struct core_write *w, enum rc rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* A driver failure: the message names what was done and what the backend said. */
static enum rc backend(struct core_write *w, struct store_tx *tx, enum rc rc, const char *what)
{
	if(rc == RC_BACKEND)
		return refuse(w, rc, "%s: %s", what, tx->ops->tx_error(tx->s));
	return rc;
}

static const char *dup(struct core_write *w, const char *s)
{
	return w->arena ? arena_strdup(w->arena, s) : NULL;
}

/* Results hand their strings over in the caller's arena: the transaction's rows live
 * in the writer's arena, which is reset after each batch. */
static void out_sess(struct core_write *w, const struct sess_rec *r)
{
	w->sess = *r;
	sess_rec_own(&w->sess, w->arena);
}

static void out_task(struct core_write *w, const struct task_rec *t)
{
	w->task = *t;
	struct task_rec *o = &w->task;
	o->name = dup(w, t->name);
	o->message = dup(w, t->message);
	o->reason = dup(w, t->reason);
	o->extra = dup(w, t->extra);
}

/* ---------- leases ---------- */

static int lease_default_s = CORE_LEASE_DEFAULT_S;

void core_lease_default(int seconds)
{
	__atomic_store_n(&lease_default_s, seconds > 0 ? seconds : CORE_LEASE_DEFAULT_S, __ATOMIC_RELAXED);
}

/* A renewed lease runs past the heartbeat by a slack, so that the writes within that slack
 * find it long enough already and leave it (and its index entry) as it is: a 64th of the
 * heartbeat, at least a quarter second and at most 4 s (the lease sweep runs every 5 s).
 * With the default 10 minutes, a reporter that writes every second moves its lease entry
 * once in 4 writes instead of at every write. */
#define LEASE_SLACK_MIN_US 250000
#define LEASE_SLACK_MAX_US 4000000

int64_t core_lease_slack_us(int heartbeat_s)
{
	int64_t slack = (int64_t)heartbeat_s * 1000000 / 64;
	return slack < LEASE_SLACK_MIN_US ? LEASE_SLACK_MIN_US : slack > LEASE_SLACK_MAX_US ? LEASE_SLACK_MAX_US : slack;
}

/* A reporter wrote to r: a running session's lease starts again: it ends no earlier than
 * its heartbeat from now, and at most its slack later. */
static void renew(struct sess_rec *r)
{
	if(r->state == ST_STOPPED) {
		r->lease_us = 0;
		return;
	}
	int s = r->heartbeat_s > 0 ? r->heartbeat_s : __atomic_load_n(&lease_default_s, __ATOMIC_RELAXED);
	int64_t slack = core_lease_slack_us(s);
	int64_t want = session_time(time_now_us()) + (int64_t)s * 1000000;
	if(r->lease_us < want || r->lease_us > want + slack)
		r->lease_us = want + slack;
}

/* ---------- queueing ---------- */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void wake(struct core_write *w)
{
	struct waiter *wt = w->in.waiter;
	pthread_mutex_lock(&wt->lock);
	wt->done = 1;
	pthread_cond_signal(&wt->cond);
	pthread_mutex_unlock(&wt->lock);
}

static enum rc op_apply(struct store_op *op, struct store_tx *tx)
{
	struct core_write *w = (struct core_write *)((char *)op - offsetof(struct core_write, op));
	w->err[0] = 0;
	enum rc rc = w->in.apply(w, tx);
	if(rc)
		snprintf(op->err, sizeof(op->err), "%s", w->err);
	return rc;
}

static void op_done(struct store_op *op)
{
	struct core_write *w = (struct core_write *)((char *)op - offsetof(struct core_write, op));
	w->rc = op->rc;
	if(op->rc && op->err[0])
		snprintf(w->err, sizeof(w->err), "%s", op->err);
	if(op->rc)
		w->usn = 0;
	if(op->rc == RC_BACKEND)
		health_failed(w->err);
	w->in.user_done(w);
}

/* Queues w with its apply function, which loads the session key first (NULL: none
 * known) and, with one_write, writes with one statement at most and fails no later
 * than that (store_op.one_write); waits when the caller set no done(). */
static enum rc submit_op(struct core_write *w, enum rc (*apply)(struct core_write *, struct store_tx *),
                         const struct uuid *key, int one_write)
{
	memset(&w->op.key, 0, sizeof(w->op.key));
	if(key)
		w->op.key = *key;
	w->op.one_write = one_write;
	w->in.apply = apply;
	w->rc = RC_OK;
	w->err[0] = 0;
	w->usn = 0;
	w->op.apply = op_apply;
	w->op.done = op_done;
	if(w->done) {
		w->in.user_done = w->done;
		store_writer_submit(core__writer(), &w->op);
		return RC_OK;
	}
	struct waiter wt = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	w->in.waiter = &wt;
	w->in.user_done = wake;
	store_writer_submit(core__writer(), &w->op);
	pthread_mutex_lock(&wt.lock);
	while(!wt.done)
		pthread_cond_wait(&wt.cond, &wt.lock);
	pthread_mutex_unlock(&wt.lock);
	pthread_mutex_destroy(&wt.lock);
	pthread_cond_destroy(&wt.cond);
	return w->rc;
}

static enum rc submit_on(struct core_write *w, enum rc (*apply)(struct core_write *, struct store_tx *),
                         const struct uuid *key)
{
	return submit_op(w, apply, key, 0);
}

static enum rc submit(struct core_write *w, enum rc (*apply)(struct core_write *, struct store_tx *))
{
	return submit_on(w, apply, NULL);
}

/* Refuses a write before it is queued: done() runs at once, as it would later. */
static enum rc reject(struct core_write *w, enum rc rc)
{
	w->rc = rc;
	w->usn = 0;
	if(w->done)
		w->done(w);
	return rc;
}

/* ---------- sessions ---------- */

static enum rc apply_session_create(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	struct sess_rec r = w->in.sess;
	struct task_rec t;
	enum rc rc = ops->tx_task_load(tx->s, &r.id, tx->a, &t);
	if(rc == RC_OK)
		return refuse(w, RC_CONFLICT, "a task session with this id exists");
	if(rc != RC_NOTFOUND)
		return backend(w, tx, rc, "load task session");
	renew(&r);
	if((rc = ops->tx_usn_next(tx->s, &r.usn)))
		return backend(w, tx, rc, "usn");
	if((rc = ops->tx_session_insert(tx->s, &r)))
		return rc == RC_CONFLICT ? refuse(w, rc, "a session with this id exists") : backend(w, tx, rc, "insert session");
	w->usn = r.usn;
	out_sess(w, &r);
	return RC_OK;
}

enum rc core_session_create(struct core_write *w, const struct sess_rec *r)
{
	w->in.sess = *r;
	struct sess_rec *s = &w->in.sess;
	s->creation_us = session_time(s->creation_us);
	s->end_us = session_time(s->end_us);
	enum rc rc = session_prepare_new(s, session_time(time_now_us()), w->err, sizeof(w->err));
	if(rc)
		return reject(w, rc);
	return submit(w, apply_session_create);
}

/* Loads the session w->in.id, lets edit change it, and stores it under a new usn: one
 * write, its last step (the verbs that run it alone queue it with one_write). */
static enum rc update_session(struct core_write *w, struct store_tx *tx,
                              enum rc (*edit)(struct core_write *w, struct sess_rec *r))
{
	const struct store_ops *ops = tx->ops;
	struct sess_rec r;
	enum rc rc = ops->tx_session_load(tx->s, &w->in.id, tx->a, &r);
	if(rc)
		return rc == RC_NOTFOUND ? refuse(w, rc, "session not found") : backend(w, tx, rc, "load session");
	struct sess_rec old = r;
	if((rc = edit(w, &r)))
		return rc;
	if((rc = ops->tx_usn_next(tx->s, &r.usn)) || (rc = ops->tx_session_update(tx->s, &old, &r)))
		return backend(w, tx, rc, "update session");
	w->usn = r.usn;
	out_sess(w, &r);
	return RC_OK;
}

static enum rc edit_patch(struct core_write *w, struct sess_rec *r)
{
	enum rc rc = session_apply_patch(&w->in.patch, r, w->err, sizeof(w->err));
	if(!rc && w->in.patch.has_heartbeat)
		r->heartbeat_s = w->in.patch.heartbeat_s;
	if(!rc)
		renew(r);
	return rc;
}

static enum rc edit_complete(struct core_write *w, struct sess_rec *r)
{
	enum rc rc = session_apply_complete(&w->in.complete, r, w->err, sizeof(w->err));
	if(!rc)
		r->lease_us = 0;
	return rc;
}

static enum rc edit_stop(struct core_write *w, struct sess_rec *r)
{
	return session_apply_stop(r, w->err, sizeof(w->err));
}

static enum rc apply_session_patch(struct core_write *w, struct store_tx *tx)
{
	return update_session(w, tx, edit_patch);
}

static enum rc apply_session_complete(struct core_write *w, struct store_tx *tx)
{
	return update_session(w, tx, edit_complete);
}

static enum rc apply_session_stop(struct core_write *w, struct store_tx *tx)
{
	return update_session(w, tx, edit_stop);
}

enum rc core_session_patch(struct core_write *w, const struct uuid *id, const struct sess_patch *p)
{
	w->in.id = *id;
	w->in.patch = *p;
	return submit_op(w, apply_session_patch, id, 1);
}

/* A completion's end time: milliseconds, now unless given. */
static void complete_times(struct sess_complete *c)
{
	c->end_us = session_time(c->end_us ? c->end_us : time_now_us());
}

enum rc core_session_complete(struct core_write *w, const struct uuid *id, const struct sess_complete *c)
{
	w->in.id = *id;
	w->in.complete = *c;
	complete_times(&w->in.complete);
	return submit_op(w, apply_session_complete, id, 1);
}

enum rc core_session_stop(struct core_write *w, const struct uuid *id)
{
	w->in.id = *id;
	return submit_op(w, apply_session_stop, id, 1);
}

/* The stop, and an EM task that says how it went, in one transaction. A refused stop
 * (the session already stopped) is a task that failed, not a failed write. */
static enum rc apply_session_stop_em(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	enum rc rc = update_session(w, tx, edit_stop);
	if(rc && rc != RC_CONFLICT)
		return rc;
	struct emtask_rec *e = &w->emtask;
	memset(e, 0, sizeof(*e));
	e->session_id = w->in.id;
	e->uid = w->in.i;
	e->success = rc == RC_OK;
	e->message = rc ? dup(w, w->err) : NULL;
	e->created_us = session_time(time_now_us());
	struct emtask_rec stored = *e;
	stored.message = rc ? w->err : NULL;
	enum rc trc = ops->tx_emtask_put(tx->s, &stored);
	if(trc)
		return backend(w, tx, trc, "record the task");
	e->id = stored.id;
	w->err[0] = 0;
	return RC_OK;
}

enum rc core_session_stop_em(struct core_write *w, const struct uuid *id, int64_t uid)
{
	w->in.id = *id;
	w->in.i = uid;
	return submit_on(w, apply_session_stop_em, id);
}

/* ---------- task sessions ---------- */

/* Gives the session (and the task, when there is one) of a change the next usn and
 * stores the session; the caller stores the task. */
static enum rc bump(struct core_write *w, struct store_tx *tx, struct sess_rec *sess, struct task_rec *task)
{
	struct sess_rec old = *sess;
	enum rc rc;
	renew(sess);   /* task and log writes come from its reporter too */
	if((rc = tx->ops->tx_usn_next(tx->s, &sess->usn)) || (rc = tx->ops->tx_session_update(tx->s, &old, sess)))
		return backend(w, tx, rc, "update session");
	if(task)
		task->usn = sess->usn;
	w->usn = sess->usn;
	return RC_OK;
}

/* Loads an open session: refused when it is stopped, which is final for everything under it. */
static enum rc load_open_session(struct core_write *w, struct store_tx *tx, const struct uuid *id,
                                 struct sess_rec *out)
{
	enum rc rc = tx->ops->tx_session_load(tx->s, id, tx->a, out);
	if(rc)
		return rc == RC_NOTFOUND ? refuse(w, rc, "session not found") : backend(w, tx, rc, "load session");
	return session_check_open(out, w->err, sizeof(w->err));
}

static enum rc apply_task_create(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	struct task_rec t = w->in.task;
	struct sess_rec parent, other;
	enum rc rc = load_open_session(w, tx, &t.session_id, &parent);
	if(rc)
		return rc;
	rc = ops->tx_session_load(tx->s, &t.id, tx->a, &other);
	if(rc == RC_OK)
		return refuse(w, RC_CONFLICT, "a session with this id exists");
	if(rc != RC_NOTFOUND)
		return backend(w, tx, rc, "load session");
	t.session_type = parent.type;
	if((rc = bump(w, tx, &parent, &t)))
		return rc;
	if((rc = ops->tx_task_insert(tx->s, &t)))
		return rc == RC_CONFLICT ? refuse(w, rc, "a task session with this id exists")
		                         : backend(w, tx, rc, "insert task session");
	out_sess(w, &parent);
	out_task(w, &t);
	return RC_OK;
}

enum rc core_task_create(struct core_write *w, const struct task_rec *t)
{
	w->in.task = *t;
	w->in.task.creation_us = session_time(w->in.task.creation_us);
	w->in.task.end_us = session_time(w->in.task.end_us);
	enum rc rc = task_prepare_new(&w->in.task, session_time(time_now_us()), w->err, sizeof(w->err));
	if(rc)
		return reject(w, rc);
	return submit(w, apply_task_create);
}

/* Loads the task session w->in.id and its (open) session. */
static enum rc load_task(struct core_write *w, struct store_tx *tx, struct task_rec *t, struct sess_rec *s)
{
	enum rc rc = tx->ops->tx_task_load(tx->s, &w->in.id, tx->a, t);
	if(rc)
		return rc == RC_NOTFOUND ? refuse(w, rc, "task session not found") : backend(w, tx, rc, "load task session");
	return load_open_session(w, tx, &t->session_id, s);
}

static enum rc update_task(struct core_write *w, struct store_tx *tx, int complete)
{
	struct task_rec t;
	struct sess_rec s;
	enum rc rc = load_task(w, tx, &t, &s);
	if(rc)
		return rc;
	rc = complete ? task_apply_complete(&w->in.complete, &t, w->err, sizeof(w->err))
	              : task_apply_patch(&w->in.patch, &t, w->err, sizeof(w->err));
	if(rc || (rc = bump(w, tx, &s, &t)))
		return rc;
	if((rc = tx->ops->tx_task_update(tx->s, &t)))
		return backend(w, tx, rc, "update task session");
	out_sess(w, &s);
	out_task(w, &t);
	return RC_OK;
}

static enum rc apply_task_patch(struct core_write *w, struct store_tx *tx)
{
	return update_task(w, tx, 0);
}

static enum rc apply_task_complete(struct core_write *w, struct store_tx *tx)
{
	return update_task(w, tx, 1);
}

enum rc core_task_patch(struct core_write *w, const struct uuid *id, const struct sess_patch *p)
{
	w->in.id = *id;
	w->in.patch = *p;
	return submit(w, apply_task_patch);
}

enum rc core_task_complete(struct core_write *w, const struct uuid *id, const struct sess_complete *c)
{
	w->in.id = *id;
	w->in.complete = *c;
	complete_times(&w->in.complete);
	return submit(w, apply_task_complete);
}

/* ---------- logs ---------- */

/* Loads the owner a log verb names (a session, or a task session and its session);
 * both must be open. */
static enum rc load_owner(struct core_write *w, struct store_tx *tx, struct sess_rec *s, struct task_rec *t)
{
	if(w->in.owner == OWNER_TASK)
		return load_task(w, tx, t, s);
	return load_open_session(w, tx, &w->in.id, s);
}

static enum rc apply_log_append(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	struct sess_rec s;
	struct task_rec t;
	int64_t last;
	enum rc rc = load_owner(w, tx, &s, &t);
	if(rc)
		return rc;
	if((rc = ops->tx_log_last(tx->s, &w->in.id, &last)))
		return backend(w, tx, rc, "log id");
	w->first_log_id = last + 1;
	for(int i = 0; i < w->in.nlogs; i++) {
		struct log_rec *l = &w->in.logs[i];
		l->owner = w->in.id;
		l->id = last + 1 + i;
		if((rc = ops->tx_log_insert(tx->s, l)))
			return backend(w, tx, rc, "insert log");
	}
	int task = w->in.owner == OWNER_TASK;
	if((rc = bump(w, tx, &s, task ? &t : NULL)))
		return rc;
	if(task && (rc = ops->tx_task_update(tx->s, &t)))
		return backend(w, tx, rc, "update task session");
	out_sess(w, &s);
	if(task)
		out_task(w, &t);
	return RC_OK;
}

/* Log times: milliseconds; a record's update time is its start unless given. */
static void log_times(struct log_rec *l, int64_t now_us)
{
	l->start_us = session_time(l->start_us ? l->start_us : now_us);
	l->update_us = session_time(l->update_us ? l->update_us : l->start_us);
}

enum rc core_log_append(struct core_write *w, enum core_owner owner, const struct uuid *id, struct log_rec *logs,
                        int n)
{
	if(n <= 0) {
		refuse(w, RC_INVALID, "records must not be empty");
		return reject(w, RC_INVALID);
	}
	int64_t now = time_now_us();
	for(int i = 0; i < n; i++)
		log_times(&logs[i], now);
	w->in.owner = owner;
	w->in.id = *id;
	w->in.logs = logs;
	w->in.nlogs = n;
	return submit_on(w, apply_log_append, owner == OWNER_SESSION ? id : NULL);
}

static enum rc apply_log_update(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	struct sess_rec s;
	struct task_rec t;
	enum rc rc = load_owner(w, tx, &s, &t);
	if(rc)
		return rc;
	struct log_rec l = w->in.logs[0];
	l.owner = w->in.id;
	if((rc = ops->tx_log_update(tx->s, &l)))
		return rc == RC_NOTFOUND ? refuse(w, rc, "log record not found") : backend(w, tx, rc, "update log");
	int task = w->in.owner == OWNER_TASK;
	if((rc = bump(w, tx, &s, task ? &t : NULL)))
		return rc;
	if(task && (rc = ops->tx_task_update(tx->s, &t)))
		return backend(w, tx, rc, "update task session");
	out_sess(w, &s);
	if(task)
		out_task(w, &t);
	return RC_OK;
}

enum rc core_log_update(struct core_write *w, enum core_owner owner, const struct uuid *id, const struct log_rec *l)
{
	w->in.owner = owner;
	w->in.id = *id;
	w->in.log = *l;
	w->in.logs = &w->in.log;
	w->in.nlogs = 1;
	w->in.log.update_us = session_time(l->update_us ? l->update_us : time_now_us());
	return submit_on(w, apply_log_update, owner == OWNER_SESSION ? id : NULL);
}

/* ---------- tokens, retention, settings ---------- */

static enum rc apply_revoke(struct core_write *w, struct store_tx *tx)
{
	enum rc rc = tx->ops->tx_revoke(tx->s, w->in.kv_key, w->in.kind, w->in.i);
	if(rc == RC_CONFLICT)
		return refuse(w, rc, "already revoked");
	return rc ? backend(w, tx, rc, "revoke") : RC_OK;
}

enum rc core_token_revoke(struct core_write *w, const char *key, enum revoke_kind kind, int64_t expires_us)
{
	w->in.kv_key = key;
	w->in.kind = kind;
	w->in.i = expires_us;
	return submit(w, apply_revoke);
}

static enum rc apply_purge(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	struct uuid ids[PURGE_MAX];
	int max = w->in.n > 0 && w->in.n < PURGE_MAX ? (int)w->in.n : PURGE_MAX, n = 0;
	int64_t dropped = 0;
	/* where the store keeps sessions in groups (PostgreSQL: creation months), a group
	 * that ended before the cutoff goes at once; the rest in batches */
	enum rc rc = ops->tx_sessions_drop_ended(tx->s, w->in.i, &dropped);
	if(rc)
		return backend(w, tx, rc, "drop ended sessions");
	if((rc = ops->tx_sessions_ended(tx->s, w->in.i, max, ids, &n)))
		return backend(w, tx, rc, "find ended sessions");
	for(int i = 0; i < n; i++)
		if((rc = ops->tx_session_delete(tx->s, &ids[i])))
			return backend(w, tx, rc, "purge");
	if((rc = ops->tx_revoked_purge(tx->s, time_now_us())))
		return backend(w, tx, rc, "purge revocations");
	w->affected = n + dropped;
	/* The store changed: whatever keys on the usn must see it. */
	if(w->affected && (rc = ops->tx_usn_next(tx->s, &w->usn)))
		return backend(w, tx, rc, "usn");
	return RC_OK;
}

enum rc core_purge(struct core_write *w, int64_t cutoff_us, int64_t max)
{
	w->in.i = cutoff_us;
	w->in.n = max;
	return submit(w, apply_purge);
}

static enum rc apply_kv_put(struct core_write *w, struct store_tx *tx)
{
	enum rc rc = tx->ops->tx_kv_put(tx->s, w->in.kv_key, w->in.value);
	return rc ? backend(w, tx, rc, "store setting") : RC_OK;
}

enum rc core_kv_put(struct core_write *w, const char *key, const char *value)
{
	w->in.kv_key = key;
	w->in.value = value;
	return submit(w, apply_kv_put);
}

/* ---------- users ---------- */

static void out_user(struct core_write *w, const struct user_rec *u)
{
	w->user = *u;
	w->user.name = dup(w, u->name);
	w->user.hash = NULL;        /* a hash never leaves the write */
}

static enum rc apply_user_add(struct core_write *w, struct store_tx *tx)
{
	struct user_rec u = {.name = w->in.name, .hash = w->in.hash, .role = w->in.role, .gen = 1,
	                     .created_us = session_time(time_now_us())};
	enum rc rc = tx->ops->tx_user_put(tx->s, &u);
	if(rc)
		return rc == RC_CONFLICT ? refuse(w, rc, "a user named %s exists", w->in.name) : backend(w, tx, rc, "store user");
	out_user(w, &u);
	return RC_OK;
}

enum rc core_user_add(struct core_write *w, const char *name, const char *hash, int role)
{
	if(!name || !*name || !hash) {
		refuse(w, RC_INVALID, "a user needs a name and a password");
		return reject(w, RC_INVALID);
	}
	w->in.name = name;
	w->in.hash = hash;
	w->in.role = role;
	return submit(w, apply_user_add);
}

static enum rc load_user(struct core_write *w, struct store_tx *tx, struct user_rec *u)
{
	enum rc rc = tx->ops->tx_user_load(tx->s, w->in.name, tx->a, u);
	if(rc)
		return rc == RC_NOTFOUND ? refuse(w, rc, "no such user") : backend(w, tx, rc, "load user");
	return RC_OK;
}

static enum rc apply_user_change(struct core_write *w, struct store_tx *tx)
{
	struct user_rec u;
	enum rc rc = load_user(w, tx, &u);
	if(rc)
		return rc;
	if(w->in.hash)
		u.hash = w->in.hash;
	if(w->in.has_role)
		u.role = w->in.role;
	u.gen++;
	if((rc = tx->ops->tx_user_put(tx->s, &u)))
		return backend(w, tx, rc, "store user");
	out_user(w, &u);
	return RC_OK;
}

enum rc core_user_change(struct core_write *w, const char *name, const char *hash, int role)
{
	w->in.name = name;
	w->in.hash = hash;
	w->in.role = role;
	w->in.has_role = role >= 0;
	return submit(w, apply_user_change);
}

static enum rc apply_user_del(struct core_write *w, struct store_tx *tx)
{
	struct user_rec u;
	enum rc rc = load_user(w, tx, &u);
	if(rc)
		return rc;
	if((rc = tx->ops->tx_user_delete(tx->s, u.uid)))
		return rc == RC_NOTFOUND ? refuse(w, rc, "no such user") : backend(w, tx, rc, "delete user");
	/* Its logon sessions go with it. */
	char sids[64][40];
	int n;
	do {
		if((rc = tx->ops->tx_logon_of_user(tx->s, u.uid, 64, sids, &n)))
			return backend(w, tx, rc, "list logons");
		for(int i = 0; i < n; i++)
			if((rc = tx->ops->tx_logon_delete(tx->s, sids[i], 0, 0)))
				return backend(w, tx, rc, "delete logon");
	} while(n == 64);
	out_user(w, &u);
	return RC_OK;
}

enum rc core_user_del(struct core_write *w, const char *name)
{
	w->in.name = name;
	return submit(w, apply_user_del);
}

/* ---------- Enterprise Manager tasks ---------- */

static enum rc apply_emtask_del(struct core_write *w, struct store_tx *tx)
{
	enum rc rc = tx->ops->tx_emtask_delete(tx->s, w->in.i);
	if(rc == RC_NOTFOUND)
		return refuse(w, rc, "no such task");
	return rc ? backend(w, tx, rc, "delete task") : RC_OK;
}

enum rc core_emtask_del(struct core_write *w, int64_t id)
{
	w->in.i = id;
	return submit(w, apply_emtask_del);
}

/* ---------- touches: a last use, stored at most once a minute ---------- */

enum { TOUCH_KEY, TOUCH_LOGON };

/* An API key's (w->in.kind TOUCH_KEY) or a logon session's (TOUCH_LOGON) last use moves
 * forward only, and only on a record still stored: a touch never brings back a deleted
 * one, nor touches a key made since under the same name. */
static enum rc apply_touch(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	int key = w->in.kind == TOUCH_KEY;
	struct key_rec k;
	struct logon_rec l;
	enum rc rc = key ? ops->tx_key_load(tx->s, w->in.key.name, tx->a, &k)
	                 : ops->tx_logon_load(tx->s, w->in.logon.sid, tx->a, &l);
	if(rc == RC_NOTFOUND)
		return refuse(w, rc, key ? "no such key" : "no such logon session");
	if(rc)
		return backend(w, tx, rc, key ? "load key" : "load logon");
	int64_t *last = key ? &k.last_used_us : &l.last_us;
	int64_t used = key ? w->in.key.last_used_us : w->in.logon.last_us;
	if((key && strcmp(k.id, w->in.key.id)) || *last >= used)
		return RC_OK;
	*last = used;
	rc = key ? ops->tx_key_put(tx->s, &k, 1) : ops->tx_logon_put(tx->s, &l);
	return rc ? backend(w, tx, rc, key ? "store key" : "store logon") : RC_OK;
}

enum rc core_key_touch(struct core_write *w, const struct key_rec *k)
{
	w->in.key = *k;
	w->in.kind = TOUCH_KEY;
	return submit(w, apply_touch);
}

enum rc core_logon_touch(struct core_write *w, const struct logon_rec *l)
{
	w->in.logon = *l;
	w->in.kind = TOUCH_LOGON;
	return submit(w, apply_touch);
}

/* ---------- API keys ---------- */

static enum rc apply_key_add(struct core_write *w, struct store_tx *tx)
{
	enum rc rc = tx->ops->tx_key_put(tx->s, &w->in.key, 0);
	if(rc == RC_CONFLICT)
		return refuse(w, rc, "a key named %s exists", w->in.key.name);
	return rc ? backend(w, tx, rc, "store key") : RC_OK;
}

enum rc core_key_add(struct core_write *w, const struct key_rec *k)
{
	if(!k->name || !*k->name || !k->hash || !k->id[0]) {
		refuse(w, RC_INVALID, "a key needs an id, a name and a hash");
		return reject(w, RC_INVALID);
	}
	w->in.key = *k;
	return submit(w, apply_key_add);
}

static enum rc apply_key_del(struct core_write *w, struct store_tx *tx)
{
	enum rc rc = tx->ops->tx_key_delete(tx->s, w->in.name);
	if(rc == RC_NOTFOUND)
		return refuse(w, rc, "no such key");
	return rc ? backend(w, tx, rc, "delete key") : RC_OK;
}

enum rc core_key_del(struct core_write *w, const char *name)
{
	w->in.name = name;
	return submit(w, apply_key_del);
}

/* ---------- Enterprise Manager logon sessions ---------- */

static enum rc apply_logon_create(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	const struct logon_rec *l = &w->in.logon;
	int max = (int)w->in.n;
	enum rc rc;
	if(max > 0) {
		/* At the cap, the user's own oldest logons make room: one user cannot lock others
		 * out. More than the cap (after it was lowered) shrink back to it as well. */
		int want = max + 64;
		char (*sids)[40] = arena_alloc(tx->a, sizeof(*sids) * (size_t)want);
		int n = 0;
		if((rc = ops->tx_logon_of_user(tx->s, l->uid, want, sids, &n)))
			return backend(w, tx, rc, "list logons");
		for(int i = 0; i < n && n - i >= max; i++)   /* oldest first, until one place is free */
			if((rc = ops->tx_logon_delete(tx->s, sids[i], 0, 0)))
				return backend(w, tx, rc, "delete logon");
	}
	if((rc = ops->tx_logon_put(tx->s, l)))
		return backend(w, tx, rc, "store logon");
	w->logon = *l;
	w->logon.user = dup(w, l->user);
	return RC_OK;
}

enum rc core_logon_create(struct core_write *w, const struct logon_rec *l, int max)
{
	w->in.logon = *l;
	w->in.n = max;
	return submit(w, apply_logon_create);
}

static enum rc apply_logon_delete(struct core_write *w, struct store_tx *tx)
{
	enum rc rc = tx->ops->tx_logon_delete(tx->s, w->in.kv_key, 0, 0);
	if(rc == RC_NOTFOUND)
		return refuse(w, rc, "no such logon session");
	return rc ? backend(w, tx, rc, "delete logon") : RC_OK;
}

enum rc core_logon_delete(struct core_write *w, const char *sid)
{
	w->in.kv_key = sid;
	return submit(w, apply_logon_delete);
}

static enum rc apply_logon_expire(struct core_write *w, struct store_tx *tx)
{
	enum rc rc = tx->ops->tx_logon_delete(tx->s, NULL, w->in.i, w->in.n);
	return rc ? backend(w, tx, rc, "expire logons") : RC_OK;   /* how many: the driver does not say */
}

enum rc core_logon_expire(struct core_write *w, int64_t idle_before_us, int64_t started_before_us)
{
	w->in.i = idle_before_us;
	w->in.n = started_before_us;
	return submit(w, apply_logon_expire);
}

/* ---------- for the other write modules of core (core/write.h) ---------- */

enum rc core__submit(struct core_write *w, enum rc (*apply)(struct core_write *, struct store_tx *))
{
	return submit(w, apply);
}

enum rc core__reject(struct core_write *w, enum rc rc)
{
	return reject(w, rc);
}

enum rc core__backend(struct core_write *w, struct store_tx *tx, enum rc rc, const char *what)
{
	return backend(w, tx, rc, what);
}

const char *core__dup(struct core_write *w, const char *s)
{
	return dup(w, s);
}
