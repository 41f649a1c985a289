/* ticker: a thread that runs a function at a fixed interval until stopped.
 * The owner of a struct ticker starts and stops it; stop waits for a run in
 * progress to finish. */
#ifndef SESSIOND_UTIL_TICKER_H
#define SESSIOND_UTIL_TICKER_H
#include <pthread.h>

struct ticker {
	void (*fn)(void *ctx);
	void *ctx;
	unsigned interval_ms;
	int at_once;               /* first run right at start, not after one interval */
	void (*on_start)(void);    /* ticker_on_thread_start's fn when started */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* signalled by stop */
	int running;
	int stopping;
};

/** fn (NULL: none) runs first on every ticker thread started after this call. */
void ticker_on_thread_start(void (*fn)(void));
/** Starts running fn(ctx) every interval_ms (and at once when at_once). 0 or -1. */
int ticker_start(struct ticker *t, unsigned interval_ms, int at_once, void (*fn)(void *ctx), void *ctx);
/** Stops the thread (no-op if it is not running). */
void ticker_stop(struct ticker *t);

#endif
