/* The PostgreSQL driver's listener: a connection of its own that LISTENs on
 * PG_CHANNEL, where every instance's commit sends its newest usn (pg_tx.c). What
 * it hears raises usn_current and goes to the watch callback (core's feed), so a
 * long poll or an event stream on one instance wakes on a write made through
 * another, and caches keyed on the usn see it. After a lost connection it
 * connects again and catches up from the stored usn. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/pg.h"

static int res_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Raises usn_seen to usn (never lowers it); whether it rose. */
static int usn_raise(struct store *s, int64_t usn)
{
	int64_t cur = __atomic_load_n(&s->usn_seen, __ATOMIC_ACQUIRE);
	while(usn > cur)
		if(__atomic_compare_exchange_n(&s->usn_seen, &cur, usn, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return 1;
	return 0;
}

/* The stored usn: the highest any instance committed. -1 when it cannot be read. */
int64_t pg_stored_usn(PGconn *db)
{
	PGresult *r = PQexec(db, "SELECT value::bigint FROM meta WHERE key='usn'");
	int64_t v = res_ok(r) && PQntuples(r) == 1 ? pg_int(r, 0, 0) : -1;
	PQclear(r);
	return v;
}

/* Waits up to ms for the stop pipe; 1 when stopping. */
static int stop_wait(struct store *s, int fd, int ms)
{
	struct pollfd pf[2] = {{.fd = s->stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
	int n = poll(pf, fd >= 0 ? 2 : 1, ms);
	return n > 0 && (pf[0].revents & POLLIN);
}

void pg_heard(struct store *s, int64_t usn)
{
	if(usn_raise(s, usn) && s->on_usn)
		s->on_usn(__atomic_load_n(&s->usn_seen, __ATOMIC_ACQUIRE));
}

static void *listener_main(void *arg)
{
	struct store *s = arg;
	struct pg_conn c = {0};
	char err[256];
	int64_t told = 0;   /* the newest usn a notification brought */
	while(!stop_wait(s, -1, 0)) {
		if(!c.db || PQstatus(c.db) != CONNECTION_OK) {
			/* (Re)connect; a write missed meanwhile is caught up from the stored usn. */
			if(pg_connect(&c, s->uri, err, sizeof(err))) {
				if(stop_wait(s, -1, 500))
					break;
				continue;
			}
			PGresult *r = PQexec(c.db, "LISTEN " PG_CHANNEL);
			int ok = res_ok(r);
			PQclear(r);
			int64_t u = ok ? pg_stored_usn(c.db) : -1;
			if(u < 0) {
				PQfinish(c.db);
				c.db = NULL;
				continue;
			}
			pg_heard(s, u);
		}
		if(stop_wait(s, PQsocket(c.db), 1000))
			break;
		if(!PQconsumeInput(c.db)) {
			PQfinish(c.db);
			c.db = NULL;
			continue;
		}
		PGnotify *n;
		int64_t newest = 0;
		while((n = PQnotifies(c.db))) {
			int64_t u = strtoll(n->extra, NULL, 10);
			if(u > newest)
				newest = u;
			PQfreemem(n);
		}
		if(newest > told) {
			/* news to the watcher even when this instance's own commit (or a read of the
			 * stored usn) raised usn_current past it first */
			told = newest;
			usn_raise(s, newest);
			if(s->on_usn)
				s->on_usn(__atomic_load_n(&s->usn_seen, __ATOMIC_ACQUIRE));
		}
	}
	if(c.db)
		PQfinish(c.db);
	return NULL;
}

void pg_watch(struct store *s, void (*on_usn)(int64_t usn))
{
	if(s->listening)
		return;
	s->on_usn = on_usn;
	if(pipe(s->stop_pipe))
		return;
	if(pthread_create(&s->listener, NULL, listener_main, s)) {
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
		return;
	}
	s->listening = 1;
}

