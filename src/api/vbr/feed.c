/* VBR dialect: the change feed (long polls on lists and logs, server-sent events). */
#include "api/vbr/vbr_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/feed.h"
#include "util/timefmt.h"

/* ---------- the change feed: long polls ---------- */

struct longpoll {
	struct feed_waiter fw;
	struct req *r;
	int64_t deadline_us;
	void (*handler)(struct req *r);
};

static void lp_fire(struct feed_waiter *fw)
{
	struct longpoll *lp = fw->ctx;
	lp->r->io->resume(lp->r);
}

static void lp_cont(struct req *r)
{
	struct longpoll *lp = r->work;
	lp->handler(r);
}

/* The request ends (answered, or its client left while it waited). */
static void lp_done(struct req *r)
{
	struct longpoll *lp = r->work;
	feed_cancel(&lp->fw);
}

#define LONG_POLL_MAX_S 300

/* With ?usnGreaterThan=N&wait=S a request whose answer holds nothing (found == 0) waits up
 * to S seconds, without holding a worker, for a commit after mark (the newest usn the
 * answer examined, read before it was computed), then handler runs again and looks anew.
 * Returns 1 when r now waits or was answered with an error, 0 to answer now. */
int vbr__long_poll(struct req *r, int found, int64_t mark, void (*handler)(struct req *r))
{
	const char *wv = req_query(r, "wait");
	if(!wv)
		return 0;
	const char *uv = req_query(r, "usnGreaterThan");
	char *end;
	long wait = strtol(wv, &end, 10);
	if(!*wv || *end || wait < 0 || wait > LONG_POLL_MAX_S) {
		vbr__bad(r, "query parameter %s must be a number of seconds from 0 to 300", "wait");
		return 1;
	}
	long long after = uv ? strtoll(uv, &end, 10) : -1;
	if(!uv || !*uv || *end || after < 0) {
		vbr__bad(r, "query parameter %s needs usnGreaterThan=<usn>", "wait");
		return 1;
	}
	if(found || wait == 0 || feed_closed())
		return 0;
	struct longpoll *lp = r->work;
	if(!lp) {
		lp = arena_zalloc(r->arena, sizeof(*lp));
		lp->r = r;
		lp->handler = handler;
		lp->deadline_us = r->now_us + (int64_t)wait * 1000000;
		r->work = lp;
		r->stream_done = lp_done;   /* lets the http layer end the wait early */
	}
	if(time_now_us() >= lp->deadline_us)
		return 0;
	buf_reset(&r->out);
	lp->fw.after_usn = mark > after ? mark : after;
	lp->fw.deadline_us = lp->deadline_us;
	lp->fw.fire = lp_fire;
	lp->fw.ctx = lp;
	r->io->suspend(r, lp_cont);
	feed_wait(&lp->fw);
	return 1;
}

/* ---------- the change feed: server-sent events ---------- */

#define SSE_BATCH 200
#define SSE_KEEPALIVE_S 15

struct sse {
	struct feed_waiter fw;
	struct req *r;
	int64_t last;          /* sessions with a usn above this are still to send */
	int64_t last_task;     /* task sessions with a usn above this are still to send */
	int armed;             /* fw was queued and may have fired */
	struct arena a;        /* rows of one batch */
	struct sess_rec *sess;
	int nsess;
	struct task_rec *task;
	int ntask;
};

static void sse_fire(struct feed_waiter *fw)
{
	struct sse *e = fw->ctx;
	e->r->io->resume(e->r);
}

static int sse_keep_sess(void *ctx, const struct sess_rec *s)
{
	struct sse *e = ctx;
	e->sess[e->nsess] = *s;
	return ++e->nsess >= SSE_BATCH;
}

static int sse_keep_task(void *ctx, const struct task_rec *t)
{
	struct sse *e = ctx;
	e->task[e->ntask] = *t;
	return ++e->ntask >= SSE_BATCH;
}

/* Each event carries the model GET /sessions/{id} (or /taskSessions/{id}) answers in the
 * request's version: one rendering path for both. A change gives a session and its task the
 * same usn, so the ids differ: "<usn>" for the session, "<usn>.1" for the task (sent after it). */
static void sse_session(struct buf *out, const struct sess_rec *s, int ver)
{
	buf_printf(out, "id: %lld\nevent: session\ndata: ", (long long)s->usn);
	struct jw w;
	jw_init(&w, out);
	vbr_render_session(&w, s, ver, 0);
	buf_addstr(out, "\n\n");
}

static void sse_task(struct buf *out, const struct task_rec *t, int ver)
{
	buf_printf(out, "id: %lld.1\nevent: taskSession\ndata: ", (long long)t->usn);
	struct jw w;
	jw_init(&w, out);
	vbr_render_task(&w, t, ver, NULL);
	buf_addstr(out, "\n\n");
}

/* The last batch one subscriber rendered, for the others: after a write every subscriber that
 * was caught up stands at the same place, so one reads and renders what changed and the rest
 * copy its bytes (two thousand subscribers: one pair of queries instead of two thousand). A
 * batch is the same for everyone who asks with the same version and place while the usn has
 * not moved; rows committed after that are sent next time, in usn order as always. */
#define SSE_SHARED_MAX (256 * 1024)

static struct {
	pthread_mutex_t mu;
	int valid, version;
	int64_t last, last_task, seen;       /* where it was asked from, and the usn then */
	int64_t next, next_task;             /* where it leaves its readers */
	struct buf bytes;
} shared = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int shared_take(struct sse *e, int version, int64_t seen, struct buf *out)
{
	int hit = 0;
	pthread_mutex_lock(&shared.mu);
	if(shared.valid && shared.version == version && shared.seen == seen && shared.last == e->last &&
	   shared.last_task == e->last_task && !buf_add(out, shared.bytes.p, shared.bytes.len)) {
		e->last = shared.next;
		e->last_task = shared.next_task;
		hit = 1;
	}
	pthread_mutex_unlock(&shared.mu);
	return hit;
}

static void shared_keep(int version, int64_t last, int64_t last_task, int64_t seen, const struct sse *e,
                        const char *p, size_t len)
{
	if(len > SSE_SHARED_MAX)
		return;
	pthread_mutex_lock(&shared.mu);
	if(!shared.bytes.max)
		buf_init(&shared.bytes, SSE_SHARED_MAX);
	buf_reset(&shared.bytes);
	shared.valid = !buf_add(&shared.bytes, p, len);
	shared.version = version;
	shared.last = last;
	shared.last_task = last_task;
	shared.seen = seen;
	shared.next = e->last;
	shared.next_task = e->last_task;
	pthread_mutex_unlock(&shared.mu);
}

/* Reads and renders what changed after e->last (and e->last_task), one batch; how many
 * events it wrote, -1 when the store could not be read. When neither list filled its batch,
 * everything committed up to seen (the usn read before the queries) was among the rows, and
 * both marks move up to it: the next call has nothing to read. */
static int sse_batch(struct req *r, struct sse *e, struct buf *out, int64_t seen)
{
	e->sess = arena_alloc(&e->a, sizeof(*e->sess) * SSE_BATCH);
	e->task = arena_alloc(&e->a, sizeof(*e->task) * SSE_BATCH);
	e->nsess = e->ntask = 0;
	struct query q = {.where = q_int(&e->a, QF_USN, Q_GT, e->last), .order = QO_USN, .asc = 1, .limit = SSE_BATCH};
	struct query qt = q;
	qt.where = q_int(&e->a, QF_USN, Q_GT, e->last_task);
	/* 1.0 and 1.1 have no task sessions (no model to send): their feed is sessions only */
	int with_tasks = vbr__fam(r) >= VBR_12;
	if(core_session_list(&q, &e->a, sse_keep_sess, e, NULL) ||
	   (with_tasks && core_task_list(&qt, &e->a, sse_keep_task, e, NULL)))
		return -1;
	/* A full batch may hide rows of the other kind below its end: send up to the lower end. */
	int64_t cut = INT64_MAX;
	if(e->nsess == SSE_BATCH)
		cut = e->sess[SSE_BATCH - 1].usn;
	if(e->ntask == SSE_BATCH && e->task[SSE_BATCH - 1].usn < cut)
		cut = e->task[SSE_BATCH - 1].usn;
	int i = 0, k = 0, sent = 0;
	while((i < e->nsess && e->sess[i].usn <= cut) || (k < e->ntask && e->task[k].usn <= cut)) {
		int take_sess = k >= e->ntask || e->task[k].usn > cut ||
		                (i < e->nsess && e->sess[i].usn <= cut && e->sess[i].usn <= e->task[k].usn);
		if(take_sess) {
			sse_session(out, &e->sess[i], r->version);
			e->last = e->sess[i++].usn;
			if(e->last - 1 > e->last_task)
				e->last_task = e->last - 1;   /* tasks below it came before it */
		} else {
			sse_task(out, &e->task[k], r->version);
			e->last_task = e->task[k].usn;
			if(e->last_task > e->last)
				e->last = e->last_task;       /* its session's change at that usn came first */
			k++;
		}
		sent++;
	}
	if(!with_tasks && e->last_task < e->last)
		e->last_task = e->last;
	if(e->nsess < SSE_BATCH && e->ntask < SSE_BATCH) {
		if(seen > e->last)
			e->last = seen;
		if(seen > e->last_task)
			e->last_task = seen;
	}
	/* the rows are in out now: a subscriber holds no batch memory while it waits */
	arena_free(&e->a);
	arena_init(&e->a);
	return sent;
}

/* Sends what changed after e->last, in usn order; waits for the feed when nothing did. */
static int sse_stream(struct req *r, struct buf *out)
{
	struct sse *e = r->work;
	if(feed_closed())
		return 0;
	int64_t seen = core_usn();
	if(shared_take(e, r->version, seen, out)) {
		e->armed = 0;
		return 1;
	}
	int64_t from = e->last, from_task = e->last_task;
	size_t start = out->len;
	int sent = 0;
	if(e->last < seen || e->last_task < seen) {   /* else all up to seen was sent: just wait */
		sent = sse_batch(r, e, out, seen);
		if(sent < 0)
			return -1;
	}
	if(sent) {
		e->armed = 0;
		shared_keep(r->version, from, from_task, seen, e, out->p + start, out->len - start);
		return 1;
	}
	if(seen > e->last)
		e->last = seen;
	if(seen > e->last_task)
		e->last_task = seen;    /* what committed up to `seen` was visible, and none of it is ours */
	int queued = e->armed && feed_queued(&e->fw);
	if(e->armed && !queued) {
		/* The wait ended with nothing to send: its deadline, so keep the line alive. */
		e->armed = 0;
		buf_addstr(out, ": keepalive\n\n");
		return 1;
	}
	if(!queued) {
		e->armed = 1;
		e->fw.after_usn = e->last;
		e->fw.deadline_us = time_now_us() + (int64_t)SSE_KEEPALIVE_S * 1000000;
		e->fw.fire = sse_fire;
		e->fw.ctx = e;
		feed_wait(&e->fw);
	}
	return 2;
}

static void sse_done(struct req *r)
{
	struct sse *e = r->work;
	/* Always: the waiter can still be queued when a batch was sent after a stale
	 * wake-up (armed is 0 then); cancelling one that is not queued is harmless. */
	feed_cancel(&e->fw);
	arena_free(&e->a);
}

/* GET /api/v1/sessions/events: session and task session changes as server-sent events,
 * in the request's version (task sessions from 1.2, the first version that has them). A session event's id is its usn N, its task event's "N.1".
 * Resumes after Last-Event-ID (or ?lastEventId=): after "N" the task event of usn N still
 * comes; ?usnGreaterThan=N resumes after everything up to N. */
void vbr__h_events(struct req *r)
{
	const char *from = req_header(r, "Last-Event-ID");
	int id_form = 1;
	if(!from)
		from = req_query(r, "lastEventId");
	if(!from) {
		from = req_query(r, "usnGreaterThan");
		id_form = 0;
	}
	int64_t last = core_usn(), last_task = last;
	if(from) {
		char *end;
		errno = 0;
		long long v = strtoll(from, &end, 10);
		int task = !strcmp(end, ".1");
		if(!*from || (*end && !(task && id_form)) || errno || v < 0) {
			vbr__bad(r, "%s must be an event id (<usn> or <usn>.1)", id_form ? "Last-Event-ID" : "usnGreaterThan");
			return;
		}
		last = last_task = v;
		if(id_form && !task && v > 0)
			last_task = v - 1;
	}
	struct sse *e = arena_zalloc(r->arena, sizeof(*e));
	e->r = r;
	e->last = last;
	e->last_task = last_task;
	arena_init(&e->a);
	r->work = e;
	r->status = 200;
	r->ctype = "text/event-stream";
	req_add_header(r, "Cache-Control", "no-cache");
	req_add_header(r, "X-Accel-Buffering", "no");
	r->stream = sse_stream;
	r->stream_done = sse_done;
}
