/* feed: wakes requests that wait for a change (long polls, event streams).
 * The store reports each commit's usn here; a waiter fires once, when the usn
 * passes its mark, when its deadline comes, or when the feed shuts down. */
#ifndef SESSIOND_CORE_FEED_H
#define SESSIOND_CORE_FEED_H
#include <stdint.h>

struct feed_waiter {
	int64_t after_usn;          /* fire once the usn is greater than this */
	int64_t deadline_us;        /* fire at this time even without a change; 0 = never */
	void (*fire)(struct feed_waiter *w);  /* runs on the feed's thread (or in feed_wait) */
	void *ctx;
	int fired;
	int queued;                 /* in the feed's list (guarded by the feed) */
	int firing;                 /* taken out of the list, fire() not returned yet (guarded) */
	int requeue;                /* feed_wait() while firing: queue again after fire() (guarded) */
	struct feed_waiter *prev, *next;
};

/** Starts the feed's thread (it fires the waiters after commits and at their deadlines). */
void feed_start(void);
/** Fires every waiter and refuses new ones (they fire at once). */
void feed_shutdown(void);
/** Adds a waiter; fires it at once when the usn already passed its mark. A
 *  waiter that is still queued stays as it is. */
void feed_wait(struct feed_waiter *w);
/** Removes a waiter that has not fired (safe if it already fired). Once it
 *  returns, w's fire() is not running and will not run (it waits for a firing
 *  in progress, so it must not be called from a fire() callback or while holding
 *  a lock that fire() takes). */
void feed_cancel(struct feed_waiter *w);
/** Whether w is queued (has not fired yet). */
int feed_queued(struct feed_waiter *w);
/** Whether feed_shutdown() ran: event streams end then. */
int feed_closed(void);
/** How many waiters (long polls, event streams between events) are queued now. */
int feed_subscribers(void);
/** Called after each commit with the newest usn; returns at once (the waiters are fired
 *  on the feed's thread). */
void feed_committed(int64_t usn);

#endif
