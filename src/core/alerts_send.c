/* alerts_send: the thread that POSTs pending alert deliveries (core/alerts.h). It
 * follows the alertDelivery objects by usn (from 0 at start, so pending deliveries
 * stored before a restart are found again), keeps the pending ones in memory with their
 * next attempt time, and stores every attempt: attempts, last HTTP status or error, next
 * attempt time (exponential backoff), and finally delivered or failed. While a receiver
 * fails, the other deliveries of its rule wait with it (one attempt per backoff, not one
 * per delivery). Ingest never
 * waits for it: it only reads the store and writes through the ordinary writer. When
 * several instances share a database each may post a pending delivery, so a receiver
 * should treat X-Sessiond-Delivery as an idempotency key. */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alerts_int.h"
#include "model/estate.h"
#include "util/log.h"
#include "util/timefmt.h"

#define SCAN_BATCH 500
#define POLL_MS 1000                  /* looks for deliveries of other instances this often */

struct pending {
	struct uuid id;
	struct uuid rule;
	int64_t next_us;
};

/* A receiver (rule) that failed: its other deliveries wait until until_us, so a receiver
 * that is down costs one attempt per backoff, not one per delivery. */
struct held {
	struct uuid rule;
	int64_t until_us;
};

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int running, stopping, kicked;
	struct alerts_config conf;
	int64_t cursor;               /* deliveries seen up to this usn */
	struct pending *q;
	size_t n, cap;
	struct held *held;
	size_t nheld, capheld;
} snd = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* ---------- the pending set (only the sending thread touches it) ---------- */

static struct pending *find(const struct uuid *id)
{
	for(size_t i = 0; i < snd.n; i++)
		if(uuid_eq(&snd.q[i].id, id))
			return &snd.q[i];
	return NULL;
}

static void drop(const struct uuid *id)
{
	struct pending *p = find(id);
	if(p)
		*p = snd.q[--snd.n];
}

static void upsert(const struct uuid *id, const struct uuid *rule, int64_t next_us)
{
	struct pending *p = find(id);
	if(!p) {
		if(snd.n == snd.cap) {
			snd.cap = snd.cap ? snd.cap * 2 : 64;
			snd.q = xrealloc(snd.q, snd.cap * sizeof(*snd.q));
		}
		p = &snd.q[snd.n++];
		p->id = *id;
	}
	p->rule = *rule;
	p->next_us = next_us;
}

static struct held *held_of(const struct uuid *rule)
{
	for(size_t i = 0; i < snd.nheld; i++)
		if(uuid_eq(&snd.held[i].rule, rule))
			return &snd.held[i];
	return NULL;
}

/* Holds the deliveries of rule until until_us (0: releases them). */
static void hold(const struct uuid *rule, int64_t until_us)
{
	struct held *h = held_of(rule);
	if(!until_us) {
		if(h)
			*h = snd.held[--snd.nheld];
		return;
	}
	if(!h) {
		if(snd.nheld == snd.capheld) {
			snd.capheld = snd.capheld ? snd.capheld * 2 : 16;
			snd.held = xrealloc(snd.held, snd.capheld * sizeof(*snd.held));
		}
		h = &snd.held[snd.nheld++];
		h->rule = *rule;
	}
	h->until_us = until_us;
}

/* When the delivery p may be attempted: its own time, or later while its rule is held. */
static int64_t due_at(const struct pending *p)
{
	const struct held *h = held_of(&p->rule);
	return h && h->until_us > p->next_us ? h->until_us : p->next_us;
}

static int seen(void *ctx, const struct estate_rec *e)
{
	int *n = ctx;
	(*n)++;
	snd.cursor = e->usn;
	if(e->kind != EK_alertDelivery)
		return 0;
	json_t *p = e->props ? json_loads(e->props, 0, NULL) : NULL;
	const char *status = json_string_value(json_object_get(p, "status"));
	const char *next = json_string_value(json_object_get(p, "nextAttemptTime"));
	int64_t us = 0;
	if(!e->deleted && status && !strcmp(status, ALERT_PENDING)) {
		if(next)
			time_parse(next, strlen(next), &us);
		upsert(&e->id, &e->parent_id, us);
	} else {
		drop(&e->id);
	}
	json_decref(p);
	return 0;
}

/* Follows the deliveries written since the last look. */
static void scan(void)
{
	struct arena a;
	arena_init(&a);
	int64_t top = core_usn();   /* everything up to here is committed, so this scan sees it */
	for(;;) {
		int n = 0;
		struct estate_query q = {.kind = EK_alertDelivery, .after_usn = snd.cursor, .limit = SCAN_BATCH};
		if(core_estate_list(&q, &a, seen, &n, NULL))
			break;
		if(n < SCAN_BATCH) {
			if(top > snd.cursor)
				snd.cursor = top;   /* past other changes too: the next look starts here */
			break;
		}
		arena_reset(&a);
	}
	arena_free(&a);
}

/* ---------- one attempt ---------- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static int abort_on_stop(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)ctx, (void)a, (void)b, (void)c, (void)d;
	return __atomic_load_n(&snd.stopping, __ATOMIC_ACQUIRE);
}

/* POSTs body; the HTTP status, or 0 with err set when there was no answer; -1 when the
 * attempt was cut short by a stop (it does not count). */
static long post(const char *url, const char *body, const char *event, const char *id, const char *secret,
                 char *err, size_t errlen)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], h_sig[128], h_event[96], h_id[96], cerr[CURL_ERROR_SIZE] = "";
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(h_sig, sizeof(h_sig), "X-Sessiond-Signature: sha256=%s", hex);
	snprintf(h_event, sizeof(h_event), "X-Sessiond-Event: %s", event);
	snprintf(h_id, sizeof(h_id), "X-Sessiond-Delivery: %s", id);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, h_event);
	h = curl_slist_append(h, h_id);
	h = curl_slist_append(h, h_sig);
	h = curl_slist_append(h, "Expect:");
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sessiond-alerts");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)snd.conf.timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	if(cc == CURLE_ABORTED_BY_CALLBACK)
		status = -1;
	else if(cc)
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	sodium_memzero(&st, sizeof(st));
	return status;
}

static int64_t backoff_us(int64_t attempts)
{
	int64_t d = snd.conf.retry_ms;
	for(int64_t i = 1; i < attempts && d < snd.conf.retry_max_ms; i++)
		d *= 2;
	return (d > snd.conf.retry_max_ms ? snd.conf.retry_max_ms : d) * 1000;
}

static void attempt(const struct uuid *id)
{
	struct arena a;
	arena_init(&a);
	struct estate_rec d, rule;
	json_t *p = NULL, *rp = NULL;
	if(core_estate_get(EK_alertDelivery, id, &a, &d) || !(p = json_loads(d.props ? d.props : "", 0, NULL))) {
		drop(id);
		goto out;
	}
	const char *status = json_string_value(json_object_get(p, "status"));
	if(!status || strcmp(status, ALERT_PENDING)) {
		drop(id);
		goto out;
	}
	if(core_estate_get(EK_alertRule, &d.parent_id, &a, &rule) || !(rp = json_loads(rule.props, 0, NULL))) {
		drop(id);   /* the rule was deleted: nothing to sign with, nowhere to send */
		goto out;
	}
	char ids[UUID_STR_LEN + 1], err[CURL_ERROR_SIZE + 32] = "";
	uuid_format(id, ids);
	const char *url = json_string_value(json_object_get(rp, "url"));
	const char *secret = json_string_value(json_object_get(rp, "secret"));
	const char *body = json_string_value(json_object_get(p, "body"));
	const char *event = json_string_value(json_object_get(p, "event"));
	long code = post(url ? url : "", body ? body : "{}", event ? event : "", ids, secret ? secret : "", err,
	                 sizeof(err));
	if(code < 0)
		goto out;   /* stopping: the next start tries again */
	int64_t now = time_now_us() / 1000 * 1000;
	json_int_t attempts = json_integer_value(json_object_get(p, "attempts")) + 1;
	json_object_set_new(p, "attempts", json_integer(attempts));
	core__json_time(p, "lastAttemptTime", now);
	if(code)
		json_object_set_new(p, "lastStatus", json_integer(code));
	else
		json_object_del(p, "lastStatus");
	if(code && (code < 200 || code > 299))
		snprintf(err, sizeof(err), "the receiver answered %ld", code);
	if(err[0])
		json_object_set_new(p, "lastError", json_string(err));
	else
		json_object_del(p, "lastError");
	int64_t next = 0;
	if(!err[0]) {
		json_object_set_new(p, "status", json_string(ALERT_DELIVERED));
		core__json_time(p, "deliveredTime", now);
		json_object_del(p, "nextAttemptTime");
	} else if(attempts >= snd.conf.attempts) {
		json_object_set_new(p, "status", json_string(ALERT_FAILED));
		json_object_del(p, "nextAttemptTime");
		log_warn("alerts: delivery %s failed after %lld attempts: %s", ids, (long long)attempts, err);
	} else {
		next = now + backoff_us(attempts);
		core__json_time(p, "nextAttemptTime", next);
	}
	char *text = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
	d.props = text;
	struct core_write w = {0};
	enum rc rc = core_estate_put(&w, &d);
	free(text);
	hold(&d.parent_id, err[0] ? now + backoff_us(attempts) : 0);
	if(rc) {
		log_error("alerts: cannot store an attempt of %s: %s", ids, w.err);
		upsert(id, &d.parent_id, time_now_us() + backoff_us(1));
	} else if(next) {
		upsert(id, &d.parent_id, next);
	} else {
		drop(id);
	}
out:
	json_decref(p);
	json_decref(rp);
	arena_free(&a);
}

/* ---------- the thread ---------- */

static void *run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&snd.lock);
	while(!snd.stopping) {
		snd.kicked = 0;
		pthread_mutex_unlock(&snd.lock);
		scan();
		int64_t now = time_now_us(), wake = now + POLL_MS * 1000LL;
		for(size_t i = 0; i < snd.n && !__atomic_load_n(&snd.stopping, __ATOMIC_ACQUIRE);) {
			int64_t due = due_at(&snd.q[i]);
			if(due <= now) {
				struct uuid id = snd.q[i].id;
				attempt(&id);
				now = time_now_us();
				i = 0;   /* the set changed */
				continue;
			}
			if(due < wake)
				wake = due;
			i++;
		}
		pthread_mutex_lock(&snd.lock);
		if(!snd.stopping && !snd.kicked) {
			struct timespec ts = {.tv_sec = (time_t)(wake / 1000000), .tv_nsec = (long)(wake % 1000000) * 1000};
			pthread_cond_timedwait(&snd.cond, &snd.lock, &ts);
		}
	}
	pthread_mutex_unlock(&snd.lock);
	return NULL;
}

void core__alerts_send_start(const struct alerts_config *c)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snd.conf = *c;
	if(snd.conf.attempts < 1)
		snd.conf.attempts = 1;
	if(!snd.conf.retry_ms)
		snd.conf.retry_ms = 5000;
	if(snd.conf.retry_max_ms < snd.conf.retry_ms)
		snd.conf.retry_max_ms = snd.conf.retry_ms;
	if(snd.conf.timeout_s < 1)
		snd.conf.timeout_s = 10;
	snd.stopping = 0;
	snd.cursor = 0;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&snd.cond, &ca);
	pthread_condattr_destroy(&ca);
	snd.running = !pthread_create(&snd.thread, NULL, run, NULL);
}

void core__alerts_send_stop(void)
{
	if(!snd.running)
		return;
	pthread_mutex_lock(&snd.lock);
	__atomic_store_n(&snd.stopping, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&snd.cond);
	pthread_mutex_unlock(&snd.lock);
	pthread_join(snd.thread, NULL);
	snd.running = 0;
	free(snd.q);
	snd.q = NULL;
	snd.n = snd.cap = 0;
	free(snd.held);
	snd.held = NULL;
	snd.nheld = snd.capheld = 0;
	curl_global_cleanup();
}

void core__alerts_send_kick(void)
{
	pthread_mutex_lock(&snd.lock);
	snd.kicked = 1;
	pthread_cond_signal(&snd.cond);
	pthread_mutex_unlock(&snd.lock);
}
