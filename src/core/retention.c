#include "retention.h"

#include <stdio.h>

#include "model/catalog.h"
#include "core/core.h"
#include "core/session.h"
#include "util/ticker.h"
#include "util/timefmt.h"
#include "util/log.h"

#define PURGE_BATCH 1000

static void log_line(const struct uuid *id, int status, const char *title)
{
	struct log_rec rec = {.status = status, .title = title};
	struct core_write w = {0};
	core_log_append(&w, OWNER_SESSION, id, &rec, 1);
}

enum rc retention_run(int days, int64_t now_us, int64_t *purged)
{
	*purged = 0;
	if(days <= 0)
		return RC_INVALID;
	struct arena a;
	arena_init(&a);
	struct core_write w = {.arena = &a};
	struct sess_rec s = {
		.name = "Database maintenance", .job_name = "Database maintenance",
		.type = catalog_type_parse("DatabaseMaintenance"), .backup_server = core_info()->server_name,
		.initiated_by = "sessiond", .state = ST_WORKING, .creation_us = now_us,
	};
	enum rc rc = core_session_create(&w, &s);
	if(rc) {
		arena_free(&a);
		return rc;
	}
	struct uuid id = w.sess.id;
	int64_t cutoff = now_us - (int64_t)days * 86400 * 1000000;
	char t[TIME_STR_MAX], title[256];
	time_format(cutoff, 0, t);
	snprintf(title, sizeof(title), "Purging sessions that ended before %s (%d days)", t, days);
	log_line(&id, LOG_NONE, title);
	int batches = 0;
	for(;;) {
		struct core_write p = {0};
		rc = core_purge(&p, cutoff, PURGE_BATCH);
		if(rc)
			break;
		*purged += p.affected;
		batches++;
		if(p.affected < PURGE_BATCH)
			break;
		if(batches % 10 == 0) {
			snprintf(title, sizeof(title), "Purged %lld sessions so far", (long long)*purged);
			log_line(&id, LOG_NONE, title);
		}
	}
	if(rc)
		snprintf(title, sizeof(title), "Purge failed after %lld sessions: %s", (long long)*purged, rc_name(rc));
	else
		snprintf(title, sizeof(title), "Purged %lld sessions with their task sessions and logs", (long long)*purged);
	log_line(&id, rc ? LOG_FAILED : LOG_SUCCEEDED, title);
	struct sess_complete c = {.if_match = -1, .result = rc ? RES_FAILED : RES_SUCCESS, .message = rc ? title : "",
	                          .is_canceled = 0};
	struct core_write cw = {0};
	core_session_complete(&cw, &id, &c);
	arena_free(&a);
	return rc;
}

static struct {
	struct ticker ticker;
	int days;
} ret;

static void retention_tick(void *ctx)
{
	(void)ctx;
	int64_t n = 0;
	enum rc rc = retention_run(ret.days, time_now_us(), &n);
	if(rc)
		log_error("retention: %s", rc_name(rc));
	else if(n)
		log_info("retention: purged %lld sessions older than %d days", (long long)n, ret.days);
	core_release_memory();   /* hourly at most: what the pass read is not kept */
}

void retention_start(int days, unsigned interval_s)
{
	ret.days = days;
	ticker_start(&ret.ticker, (interval_s ? interval_s : 3600) * 1000u, 1, retention_tick, NULL);
}

void retention_stop(void)
{
	ticker_stop(&ret.ticker);
}
