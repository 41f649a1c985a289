/* wake: resuming parked requests from other threads (see wake.h). */
#include "wake.h"

#include <pthread.h>

#define WAKE_SLOTS 256

struct wake_q {
	pthread_mutex_t mu;
	pthread_t thread;
	int kicked;                /* a resume is on its way to this worker, which drains the queue then */
	struct wake_item *head;
};

static struct {
	pthread_mutex_t lock;      /* guards n (the slots' threads are set once) */
	int n;
	struct wake_q q[WAKE_SLOTS];
} wake = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local struct wake_q *my_wake_q;

/* The calling worker thread's queue (NULL past WAKE_SLOTS threads: its connections are
 * resumed directly). */
static struct wake_q *wake_q_mine(void)
{
	if(my_wake_q)
		return my_wake_q;
	pthread_mutex_lock(&wake.lock);
	if(wake.n < WAKE_SLOTS) {
		struct wake_q *q = &wake.q[wake.n++];
		pthread_mutex_init(&q->mu, NULL);
		q->thread = pthread_self();
		my_wake_q = q;
	}
	pthread_mutex_unlock(&wake.lock);
	return my_wake_q;
}

void wake_item_init(struct wake_item *h, struct MHD_Connection *conn)
{
	h->conn = conn;
	h->q = wake_q_mine();
	h->prev = h->next = NULL;
	h->queued = 0;
}

void wake_resume(struct wake_item *h)
{
	struct wake_q *q = h->q;
	if(!q || q == my_wake_q) {   /* on its own worker: no one to wake */
		MHD_resume_connection(h->conn);
		return;
	}
	pthread_mutex_lock(&q->mu);
	if(!q->kicked) {
		__atomic_store_n(&q->kicked, 1, __ATOMIC_RELAXED);
		MHD_resume_connection(h->conn);
	} else {
		h->prev = NULL;
		h->next = q->head;
		if(q->head)
			q->head->prev = h;
		q->head = h;
		h->queued = 1;
	}
	pthread_mutex_unlock(&q->mu);
}

/* The list is taken under the lock and resumed after it, so the waking thread never waits
 * behind the resumes; its requests cannot end meanwhile (that happens on this thread). */
void wake_drain(void)
{
	struct wake_q *q = my_wake_q;
	if(!q || !__atomic_load_n(&q->kicked, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&q->mu);
	__atomic_store_n(&q->kicked, 0, __ATOMIC_RELAXED);
	struct wake_item *list = q->head;
	q->head = NULL;
	for(struct wake_item *h = list; h; h = h->next)
		h->queued = 0;
	pthread_mutex_unlock(&q->mu);
	while(list) {
		struct wake_item *h = list;
		list = h->next;
		h->next = h->prev = NULL;
		MHD_resume_connection(h->conn);
	}
}

void wake_forget(struct wake_item *h)
{
	struct wake_q *q = h->q;
	if(!q)
		return;
	pthread_mutex_lock(&q->mu);
	if(h->queued) {
		if(h->prev)
			h->prev->next = h->next;
		else
			q->head = h->next;
		if(h->next)
			h->next->prev = h->prev;
		h->queued = 0;
	}
	pthread_mutex_unlock(&q->mu);
}
