/* writer: group commit over any backend. One thread takes every op queued since
 * its last round, runs them in one transaction (each under a savepoint of its own,
 * so a refused op undoes only itself), commits once, and only then calls each op's
 * done(). Throughput comes from sharing one durable commit among many writers.
 * A driver that can send a batch's statements ahead (tx_begin_batch) gets the batch
 * that way first; should it answer RC_BUSY (at its begin or commit), the batch runs
 * again the ordinary way (store.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store/store.h"
#include "util/timefmt.h"

struct store_writer {
	const struct store_ops *ops;
	struct store *s;
	void (*on_commit)(int64_t usn);
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct store_op *head, *tail;
	int n;                      /* ops queued */
	int want;                   /* queued ops that wake the writer (1, more while it gathers) */
	int stopping;
	int last_n;                 /* the previous batch's size (writer thread only) */
	int64_t last_us;            /* and how long it took from start to acknowledgement */
};

/* Under load a batch may gather: when the previous batch held GATHER_MIN ops or more,
 * the writer waits for as many again, at most half the previous batch's time and
 * GATHER_MAX_US. The ops waiting meanwhile are not delayed for nothing: every op of a
 * batch shares one commit (one fdatasync, one write of each page it changed), so with
 * the CPU busy, fewer and fuller commits leave more of it to the requests. */
#define GATHER_MIN 8
#define GATHER_MAX_US 1000

static void (*commit_timer)(int64_t us);

void store_writer_on_commit_time(void (*fn)(int64_t us))
{
	__atomic_store_n(&commit_timer, fn, __ATOMIC_RELEASE);
}

static enum rc fail(struct store_op *op, enum rc rc, const char *what, const char *why)
{
	op->rc = rc;
	snprintf(op->err, sizeof(op->err), "%s: %s", what, why ? why : "failed");
	return rc;
}

/* The sessions the ops of a batch load first, for a driver that loads them at once. */
static int batch_keys(struct store_op *batch, struct arena *a, struct uuid **keys)
{
	int n = 0;
	for(struct store_op *op = batch; op; op = op->next)
		n += !uuid_is_nil(&op->key);
	*keys = arena_alloc(a, (size_t)(n ? n : 1) * sizeof(**keys));
	n = 0;
	for(struct store_op *op = batch; op; op = op->next)
		if(!uuid_is_nil(&op->key))
			(*keys)[n++] = op->key;
	return n;
}

/* Runs one batch: BEGIN, each op under a savepoint, COMMIT. With ahead, the driver
 * sends the statements ahead (tx_begin_batch); RC_BUSY then means it rolled back
 * because something went otherwise than it assumed, and nothing was decided yet. */
static enum rc run_once(struct store_writer *w, struct store_op *batch, struct arena *a, int ahead)
{
	const struct store_ops *ops = w->ops;
	struct store_tx tx = {.ops = ops, .s = w->s, .a = a};
	int64_t before = ops->usn_current(w->s);
	enum rc brc;
	if(ahead) {
		struct uuid *keys;
		int n = batch_keys(batch, a, &keys);
		brc = ops->tx_begin_batch(w->s, keys, n);
	} else {
		brc = ops->tx_begin(w->s);
	}
	if(brc) {
		const char *why = ops->tx_error(w->s);
		for(struct store_op *op = batch; op; op = op->next)
			fail(op, RC_BACKEND, "begin", why);
		return brc;
	}
	for(struct store_op *op = batch; op; op = op->next) {
		op->rc = RC_OK;
		op->err[0] = 0;
		if(op->one_write && ops->tx_savepoint_one)
			ops->tx_savepoint_one(w->s);
		else
			ops->tx_savepoint(w->s, SP_BEGIN);
		enum rc rc = op->apply(op, &tx);
		if(rc) {
			op->rc = rc;
			if(!op->err[0])
				fail(op, rc, "write refused", rc == RC_BACKEND ? ops->tx_error(w->s) : NULL);
			ops->tx_savepoint(w->s, SP_ROLLBACK);
		}
		ops->tx_savepoint(w->s, SP_RELEASE);
	}
	int64_t t0 = time_now_us();
	enum rc crc = ops->tx_commit(w->s);
	void (*timer)(int64_t) = __atomic_load_n(&commit_timer, __ATOMIC_ACQUIRE);
	if(timer)
		timer(time_now_us() - t0);
	if(crc == RC_BUSY && ahead)
		return crc;   /* rolled back already: the batch runs again */
	if(crc) {
		char why[200];   /* copied: the rollback overwrites the backend's message */
		snprintf(why, sizeof(why), "%s", ops->tx_error(w->s));
		ops->tx_rollback(w->s);
		for(struct store_op *op = batch; op; op = op->next)
			if(!op->rc)
				fail(op, RC_BACKEND, "commit", why);
		return crc;
	}
	int64_t after = ops->usn_current(w->s);
	if(w->on_commit && after != before)
		w->on_commit(after);
	return RC_OK;
}

static void run_batch(struct store_writer *w, struct store_op *batch, struct arena *a)
{
	if(w->ops->tx_begin_batch && run_once(w, batch, a, 1) != RC_BUSY)
		return;
	run_once(w, batch, a, 0);
}

/* Waits (w->lock held) until w->want ops are queued, the writer stops, or wait_us passed. */
static void gather(struct store_writer *w, int want, int64_t wait_us)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_us / 1000000;
	until.tv_nsec += (long)(wait_us % 1000000) * 1000;
	if(until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	w->want = want;
	while(w->n < want && !w->stopping)
		if(pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
			break;
	w->want = 1;
}

static void *writer_main(void *arg)
{
	struct store_writer *w = arg;
	struct arena a;
	arena_init(&a);
	for(;;) {
		pthread_mutex_lock(&w->lock);
		while(!w->head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if(w->head && w->last_n >= GATHER_MIN && w->n < w->last_n) {
			int64_t wait = w->last_us / 2;
			gather(w, w->last_n, wait < GATHER_MAX_US ? wait : GATHER_MAX_US);
		}
		struct store_op *batch = w->head;
		int n = w->n;
		w->head = w->tail = NULL;
		w->n = 0;
		int stopping = w->stopping;
		pthread_mutex_unlock(&w->lock);
		if(!batch) {
			if(stopping)
				break;
			continue;
		}
		int64_t t0 = time_now_us();
		run_batch(w, batch, &a);
		arena_reset(&a);
		while(batch) {
			struct store_op *next = batch->next;
			batch->next = NULL;
			batch->done(batch);
			batch = next;
		}
		w->last_n = n;
		w->last_us = time_now_us() - t0;
	}
	arena_free(&a);
	return NULL;
}

enum rc store_writer_start(const struct store_ops *ops, struct store *s, void (*on_commit)(int64_t usn),
                           struct store_writer **out)
{
	struct store_writer *w = xcalloc(1, sizeof(*w));
	w->ops = ops;
	w->s = s;
	w->on_commit = on_commit;
	w->want = 1;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	if(pthread_create(&w->thread, NULL, writer_main, w)) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return RC_BACKEND;
	}
	*out = w;
	return RC_OK;
}

void store_writer_submit(struct store_writer *w, struct store_op *op)
{
	op->next = NULL;
	op->rc = RC_OK;
	op->err[0] = 0;
	pthread_mutex_lock(&w->lock);
	if(w->stopping) {
		pthread_mutex_unlock(&w->lock);
		op->rc = RC_BUSY;
		snprintf(op->err, sizeof(op->err), "the server is shutting down");
		op->done(op);
		return;
	}
	if(w->tail)
		w->tail->next = op;
	else
		w->head = op;
	w->tail = op;
	/* one wake-up per batch: the first op of an empty queue, or the one a gathering
	 * writer waits for */
	if(++w->n == w->want)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void store_writer_stop(struct store_writer *w)
{
	if(!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
