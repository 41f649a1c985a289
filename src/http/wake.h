/* wake: resuming parked requests (event streams, long polls) from other threads.
 *
 * One commit can wake thousands of parked requests at once. Resuming each from the waking
 * thread costs a round on libmicrohttpd's daemon lock, which the worker busy sending the first
 * events takes too, and an eventfd write that wakes that worker again; and each time a worker
 * wakes, 0.9.75 walks its whole list of suspended connections. So each worker thread has a
 * queue for its waiting requests (a write's answer is resumed at once, not through it): the
 * waking thread resumes one connection of a worker (the kick) and queues the rest; the worker,
 * in the first callback it runs after that (the kicked connection's, at the latest), resumes
 * everything queued for it itself, and walks its suspended list once for all of them. */
#ifndef SESSIOND_HTTP_WAKE_H
#define SESSIOND_HTTP_WAKE_H

#include <microhttpd.h>

struct wake_q;

/* A connection's place in the queue of the worker thread that serves it (part of a request). */
struct wake_item {
	struct MHD_Connection *conn;
	struct wake_q *q;             /* NULL: resumed directly */
	struct wake_item *prev, *next; /* while queued (under the queue's lock) */
	int queued;
};

/** On the worker thread that serves conn: w belongs to its queue from now on. */
void wake_item_init(struct wake_item *w, struct MHD_Connection *conn);
/** From any thread: resumes w's connection, which is suspended and which no one else
 *  resumes; at once, or by its worker in its next callback. */
void wake_resume(struct wake_item *w);
/** On a worker thread, first thing in each of its callbacks: resumes what was queued for it. */
void wake_drain(void);
/** On its worker, when the request ends: out of the queue, if it is in one (only when the
 *  daemon stops with requests still parked). */
void wake_forget(struct wake_item *w);

#endif
