#include "feed.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "core/core.h"
#include "util/timefmt.h"

/* The feed's own thread fires the waiters: after a commit (the writer only records the usn
 * and signals it, so a write is acknowledged without waiting for thousands of wake-ups), and
 * every DEADLINE_TICK_MS for deadlines. */
#define DEADLINE_TICK_MS 50

static struct {
	pthread_mutex_t lock;
	pthread_cond_t fired;      /* a batch of fire() calls returned */
	pthread_cond_t kick;       /* a commit to announce, or the thread is to stop */
	struct feed_waiter *head;
	pthread_t thread;
	int running;
	int stopping;
	int closed;
	int64_t usn;
	int64_t fired_usn;         /* the usn the waiters were last fired for */
	int64_t next_deadline_us;  /* no queued waiter is due before this (a lower bound) */
	int nqueued;               /* waiters in the list (feed_subscribers) */
} feed = {.lock = PTHREAD_MUTEX_INITIALIZER, .fired = PTHREAD_COND_INITIALIZER};

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;

static void kick_init(void)
{
	pthread_condattr_t ca;   /* the tick is timed on the monotonic clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&feed.kick, &ca);
	pthread_condattr_destroy(&ca);
}

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

/* Under feed.lock. */
static void queue_waiter(struct feed_waiter *w)
{
	w->prev = NULL;
	w->next = feed.head;
	if(feed.head)
		feed.head->prev = w;
	feed.head = w;
	w->queued = 1;
	feed.nqueued++;
	if(w->deadline_us && w->deadline_us < feed.next_deadline_us)
		feed.next_deadline_us = w->deadline_us;
}

/* Takes out every waiter that is due (or all of them) and fires them unlocked, all of them
 * before the lock is taken again: the threads that serve the waiters take the same lock to
 * wait anew, so one lock round per waiter would make the wake-up of thousands queue behind
 * them. */
static void fire_due(int64_t now_us, int all)
{
	struct feed_waiter *due = NULL;
	pthread_mutex_lock(&feed.lock);
	int64_t usn = feed.usn;
	if(!all && usn == feed.fired_usn && now_us < feed.next_deadline_us) {
		pthread_mutex_unlock(&feed.lock);   /* nothing committed, nobody due */
		return;
	}
	feed.fired_usn = usn;
	int64_t next = INT64_MAX;
	struct feed_waiter *w = feed.head;
	while(w) {
		struct feed_waiter *after = w->next;
		if(all || usn > w->after_usn || (w->deadline_us && w->deadline_us <= now_us)) {
			unlink_waiter(w);
			w->fired = 1;
			w->firing = 1;
			w->next = due;
			due = w;
		} else if(w->deadline_us && w->deadline_us < next) {
			next = w->deadline_us;
		}
		w = after;
	}
	feed.next_deadline_us = next;
	pthread_mutex_unlock(&feed.lock);
	if(!due)
		return;
	/* While firing is set the links belong to us (feed_wait only marks requeue, and
	 * feed_cancel waits), so the list can be walked again after the calls. */
	for(w = due; w; w = w->next)
		w->fire(w);
	pthread_mutex_lock(&feed.lock);
	while(due) {
		w = due;
		due = w->next;
		w->next = NULL;
		w->firing = 0;
		/* Its owner asked to wait again before this fire() reached it (feed_wait saw it
		 * firing): queue it now; when the usn passed its mark meanwhile, the feed's
		 * thread looks again at once. */
		if(w->requeue) {
			w->requeue = 0;
			w->fired = 0;
			queue_waiter(w);
			if(feed.usn > w->after_usn || feed.closed) {
				feed.fired_usn = INT64_MIN;
				pthread_cond_signal(&feed.kick);
			}
		}
	}
	pthread_cond_broadcast(&feed.fired);
	pthread_mutex_unlock(&feed.lock);
}

static void *feed_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&feed.lock);
	while(!feed.stopping) {
		if(feed.usn == feed.fired_usn) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += DEADLINE_TICK_MS * 1000000L;
			if(until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while(feed.usn == feed.fired_usn && !feed.stopping)
				if(pthread_cond_timedwait(&feed.kick, &feed.lock, &until) == ETIMEDOUT)
					break;
		}
		if(feed.stopping)
			break;
		pthread_mutex_unlock(&feed.lock);
		fire_due(time_now_us(), 0);
		pthread_mutex_lock(&feed.lock);
	}
	pthread_mutex_unlock(&feed.lock);
	return NULL;
}

void feed_start(void)
{
	pthread_once(&kick_once, kick_init);
	pthread_mutex_lock(&feed.lock);
	feed.closed = 0;
	feed.stopping = 0;
	feed.usn = feed.fired_usn = core_usn();
	feed.next_deadline_us = 0;
	if(!feed.running)
		feed.running = !pthread_create(&feed.thread, NULL, feed_main, NULL);
	pthread_mutex_unlock(&feed.lock);
}

void feed_shutdown(void)
{
	pthread_mutex_lock(&feed.lock);
	feed.closed = 1;
	feed.stopping = 1;
	int running = feed.running;
	feed.running = 0;
	pthread_cond_broadcast(&feed.kick);
	pthread_mutex_unlock(&feed.lock);
	if(running)
		pthread_join(feed.thread, NULL);
	fire_due(0, 1);
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
	int now = feed.closed || feed.usn > w->after_usn;
	if(!now)
		queue_waiter(w);
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
	if(usn > feed.usn) {
		feed.usn = usn;
		if(feed.head)
			pthread_cond_signal(&feed.kick);   /* the feed's thread fires them */
		else
			feed.fired_usn = usn;
	}
	pthread_mutex_unlock(&feed.lock);
}

int feed_subscribers(void)
{
	pthread_mutex_lock(&feed.lock);
	int n = feed.nqueued;
	pthread_mutex_unlock(&feed.lock);
	return n;
}
