#include "core/health.h"

#include <pthread.h>
#include <stdio.h>

#include "core/core.h"
#include "util/ticker.h"
#include "util/timefmt.h"
#include "util/log.h"

static struct {
	pthread_mutex_t lock;
	int failing;
	int64_t since_us;
	char cause[256];
	struct ticker probe;
} health = {.lock = PTHREAD_MUTEX_INITIALIZER};

void health_failed(const char *cause)
{
	pthread_mutex_lock(&health.lock);
	int start = !health.failing;
	if(start) {
		health.failing = 1;
		health.since_us = time_now_us();
		snprintf(health.cause, sizeof(health.cause), "%s", cause && *cause ? cause : "storage failed");
	}
	pthread_mutex_unlock(&health.lock);
	if(start)
		log_error("store failing: %s (answering 503 until it works again)",
		          cause && *cause ? cause : "storage failed");
}

int health_ok(void)
{
	return !__atomic_load_n(&health.failing, __ATOMIC_ACQUIRE);
}

void health_cause(char *buf, size_t len)
{
	pthread_mutex_lock(&health.lock);
	snprintf(buf, len, "%s", health.failing ? health.cause : "");
	pthread_mutex_unlock(&health.lock);
}

/* During an episode: a read and a durable write; both working ends it. */
static void probe(void *ctx)
{
	(void)ctx;
	if(health_ok())
		return;
	struct arena a;
	arena_init(&a);
	const char *v;
	enum rc rc = core_kv_get("installation_id", &a, &v);
	arena_free(&a);
	if(!rc) {
		char now[32];
		snprintf(now, sizeof(now), "%lld", (long long)time_now_us());
		struct core_write w = {0};
		rc = core_kv_put(&w, "health_probe", now);
	}
	if(rc)
		return;
	pthread_mutex_lock(&health.lock);
	int64_t took = time_now_us() - health.since_us;
	health.failing = 0;
	health.cause[0] = 0;
	pthread_mutex_unlock(&health.lock);
	log_warn("store works again after %.1f s", (double)took / 1e6);
}

void health_start(void)
{
	ticker_start(&health.probe, 1000, 0, probe, NULL);
}

void health_stop(void)
{
	ticker_stop(&health.probe);
	pthread_mutex_lock(&health.lock);
	health.failing = 0;
	pthread_mutex_unlock(&health.lock);
}
