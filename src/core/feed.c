#include "feed.h"

#include <pthread.h>

#include "core/core.h"
#include "util/ticker.h"
#include "util/timefmt.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t fired;      /* a waiter's fire() returned */
	struct feed_waiter *head;
	struct ticker deadlines;
	int closed;
	int64_t usn;
	int nqueued;               /* waiters in the list (feed_subscribers) */
} feed = {.lock = PTHREAD_MUTEX_INITIALIZER, .fired = PTHREAD_COND_INITIALIZER};

static void unlink_waiter(struct feed_waiter *w)
{
	if(w->prev)
		w->prev->next = w->next;
	else
		feed.head = w->next;
	if(w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->queued = 0;
	feed.nqueued--;
}

/* Takes out every waiter that is due (or all of them) and fires them unlocked. */
static void fire_due(int64_t usn, int64_t now_us, int all)
{
	struct feed_waiter *due = NULL;
	pthread_mutex_lock(&feed.lock);
	if(usn > feed.usn)
		feed.usn = usn;
	struct feed_waiter *w = feed.head;
	while(w) {
		struct feed_waiter *next = w->next;
		if(all || feed.usn > w->after_usn || (w->deadline_us && w->deadline_us <= now_us)) {
			unlink_waiter(w);
			w->fired = 1;
			w->firing = 1;
			w->next = due;
			due = w;
		}
		w = next;
	}
	pthread_mutex_unlock(&feed.lock);
	while(due) {
		struct feed_waiter *next = due->next;
		due->next = NULL;
		due->fire(due);
		/* Its owner may have asked to wait again before this fire() reached it
		 * (feed_wait saw it firing): queue it now. It is due at the latest on the
		 * next deadline tick. After the unlock w may be gone. */
		pthread_mutex_lock(&feed.lock);
		due->firing = 0;
		if(due->requeue) {
			due->requeue = 0;
			due->fired = 0;
			due->prev = NULL;
			due->next = feed.head;
			if(feed.head)
				feed.head->prev = due;
			feed.head = due;
			due->queued = 1;
			feed.nqueued++;
		}
		pthread_cond_broadcast(&feed.fired);
		pthread_mutex_unlock(&feed.lock);
		due = next;
	}
}

static void check_deadlines(void *ctx)
{
	(void)ctx;
	fire_due(0, time_now_us(), 0);
}

void feed_start(void)
{
	pthread_mutex_lock(&feed.lock);
	feed.closed = 0;
	feed.usn = core_usn();
	pthread_mutex_unlock(&feed.lock);
	ticker_start(&feed.deadlines, 50, 0, check_deadlines, NULL);   /* deadlines: every 50 ms */
}

void feed_shutdown(void)
{
	pthread_mutex_lock(&feed.lock);
	feed.closed = 1;
	pthread_mutex_unlock(&feed.lock);
	ticker_stop(&feed.deadlines);
	fire_due(0, 0, 1);
}

void feed_wait(struct feed_waiter *w)
{
	pthread_mutex_lock(&feed.lock);
	if(w->queued) {
		pthread_mutex_unlock(&feed.lock);
		return;
	}
	if(w->firing) {
		/* Taken out for firing and not fired yet: its links belong to fire_due,
		 * which queues it again once its fire() ran. */
		w->requeue = 1;
		pthread_mutex_unlock(&feed.lock);
		return;
	}
	w->fired = 0;
	w->prev = NULL;
	int now = feed.closed || feed.usn > w->after_usn;
	if(!now) {
		w->next = feed.head;
		if(feed.head)
			feed.head->prev = w;
		feed.head = w;
		w->queued = 1;
		feed.nqueued++;
	}
	pthread_mutex_unlock(&feed.lock);
	if(now) {
		w->fired = 1;
		w->next = NULL;
		w->fire(w);
	}
}

void feed_cancel(struct feed_waiter *w)
{
	pthread_mutex_lock(&feed.lock);
	if(w->queued) {
		unlink_waiter(w);
		w->fired = 1;
	} else {
		/* It may have been taken out for firing a moment ago: wait until its
		 * fire() ran, so that it never runs after we return. */
		w->requeue = 0;
		while(w->firing)
			pthread_cond_wait(&feed.fired, &feed.lock);
		w->requeue = 0;
	}
	pthread_mutex_unlock(&feed.lock);
}

int feed_queued(struct feed_waiter *w)
{
	pthread_mutex_lock(&feed.lock);
	int q = w->queued;
	pthread_mutex_unlock(&feed.lock);
	return q;
}

int feed_closed(void)
{
	pthread_mutex_lock(&feed.lock);
	int closed = feed.closed;
	pthread_mutex_unlock(&feed.lock);
	return closed;
}

void feed_committed(int64_t usn)
{
	pthread_mutex_lock(&feed.lock);
	int any = feed.head != NULL;
	if(usn > feed.usn)
		feed.usn = usn;
	pthread_mutex_unlock(&feed.lock);
	if(any)
		fire_due(usn, time_now_us(), 0);
}

int feed_subscribers(void)
{
	pthread_mutex_lock(&feed.lock);
	int n = feed.nqueued;
	pthread_mutex_unlock(&feed.lock);
	return n;
}
