/* lease: the sweep that ends running sessions whose reporter stopped writing. The
 * lease itself is kept by core/write.c (every reporter write renews it); here a
 * ticker finds the lapsed ones (running sessions whose lease is over) and completes each
 * through the normal write path, so the feed, caches and every dialect see it. */
#include <stdio.h>

#include "core/core.h"
#include "model/catalog.h"
#include "util/ticker.h"
#include "util/timefmt.h"
#include "util/log.h"

#define SWEEP_BATCH 100

static struct ticker sweeper;

struct lapsed {
	struct uuid id[SWEEP_BATCH];
	int64_t usn[SWEEP_BATCH];
	int n;
};

static int collect(void *ctx, const struct sess_rec *s)
{
	struct lapsed *l = ctx;
	if(s->state != ST_STOPPED && l->n < SWEEP_BATCH) {
		l->id[l->n] = s->id;
		l->usn[l->n] = s->usn;
		l->n++;
	}
	return l->n >= SWEEP_BATCH;
}

int core_lease_sweep(int64_t now_us)
{
	struct arena a;
	arena_init(&a);
	struct lapsed l = {.n = 0};
	/* Only running sessions hold a lease. Saying so lets a store find them through its
	 * state index where it keeps no index on the lease, which changes with every write
	 * (store/pg_sql.c, migration 7). */
	const struct qexpr *where = q_and(&a, q_int(&a, QF_LEASE, Q_LT, now_us), q_running(&a, QF_STATE));
	struct query q = {.where = where, .order = QO_USN, .asc = 1, .limit = SWEEP_BATCH};
	enum rc rc = core_session_list(&q, &a, collect, &l, NULL);
	int done = 0;
	for(int i = 0; !rc && i < l.n; i++) {
		/* If-Match: a reporter that wrote meanwhile renewed the lease and wins. */
		struct sess_complete c = {.if_match = l.usn[i], .result = RES_FAILED,
		                          .message = "the reporter stopped reporting", .is_canceled = -1};
		struct core_write w = {0};
		if(!core_session_complete(&w, &l.id[i], &c))
			done++;
	}
	arena_free(&a);
	return done;
}

static void sweep(void *ctx)
{
	(void)ctx;
	int n = core_lease_sweep(time_now_us());
	if(n)
		log_warn("leases: ended %d session%s whose reporter stopped reporting", n, n == 1 ? "" : "s");
}

void core_lease_start(unsigned interval_ms)
{
	ticker_start(&sweeper, interval_ms ? interval_ms : 5000, 0, sweep, NULL);
}

void core_lease_stop(void)
{
	ticker_stop(&sweeper);
}
