#include "ticker.h"

#include <time.h>

static void (*thread_start)(void);

void ticker_on_thread_start(void (*fn)(void))
{
	thread_start = fn;
}

static void *ticker_main(void *arg)
{
	struct ticker *t = arg;
	if(t->on_start)
		t->on_start();
	pthread_mutex_lock(&t->lock);
	int first = 1;
	while(!t->stopping) {
		if(!(first && t->at_once)) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += t->interval_ms / 1000;
			ts.tv_nsec += (long)(t->interval_ms % 1000) * 1000000;
			if(ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			while(!t->stopping && pthread_cond_timedwait(&t->cond, &t->lock, &ts) == 0)
				;
			if(t->stopping)
				break;
		}
		first = 0;
		pthread_mutex_unlock(&t->lock);
		t->fn(t->ctx);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int ticker_start(struct ticker *t, unsigned interval_ms, int at_once, void (*fn)(void *ctx), void *ctx)
{
	t->fn = fn;
	t->ctx = ctx;
	t->interval_ms = interval_ms ? interval_ms : 1000;
	t->at_once = at_once;
	t->on_start = thread_start;
	t->stopping = 0;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&t->lock, NULL);
	if(pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		return -1;
	}
	t->running = 1;
	return 0;
}

void ticker_stop(struct ticker *t)
{
	if(!t->running)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	t->running = 0;
}
