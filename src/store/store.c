#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum rc store_open(const char *uri, const struct store_ops **ops, struct store **s, char *err, size_t errlen)
{
	if(!strncmp(uri, "postgres://", 11) || !strncmp(uri, "postgresql://", 13)) {
		snprintf(err, errlen, "PostgreSQL is not available in this build; use a SQLite file path");
		return RC_INVALID;
	}
	*ops = &store_sqlite;
	return store_sqlite.open(uri, s, err, errlen);
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void wake(struct store_write *w)
{
	struct waiter *wt = w->udata;
	pthread_mutex_lock(&wt->lock);
	wt->done = 1;
	pthread_cond_signal(&wt->cond);
	pthread_mutex_unlock(&wt->lock);
}

enum rc store_write_sync(const struct store_ops *ops, struct store *s, struct store_write *w)
{
	struct waiter wt = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	w->done = wake;
	w->udata = &wt;
	ops->submit(s, w);
	pthread_mutex_lock(&wt.lock);
	while(!wt.done)
		pthread_cond_wait(&wt.cond, &wt.lock);
	pthread_mutex_unlock(&wt.lock);
	pthread_mutex_destroy(&wt.lock);
	pthread_cond_destroy(&wt.cond);
	return w->rc;
}
