/* core/alerts: alert rules, their evaluation and the webhook deliveries they make
 * (docs/ALERTS.md). Rules and deliveries are sessiond's own estate kinds (alertRule,
 * alertDelivery: model/estate.def), written through core_estate_put like any object.
 *
 * Evaluation (alerts.c) runs on its own thread, off the write path: it follows every
 * change by usn from a cursor kept in the kv store (a restart resumes there) and records
 * one delivery per (rule, subject, occurrence), its id derived from them, so an alert is
 * recorded once even when several instances evaluate. Sending (alerts_send.c) runs on
 * another thread: it POSTs each pending delivery, stores every attempt and retries with
 * exponential backoff; pending deliveries are found again after a restart. */
#ifndef SESSIOND_CORE_ALERTS_H
#define SESSIOND_CORE_ALERTS_H
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "util/mem.h"

/* Events a rule may watch (stored spellings). */
#define ALERT_EVENTS "failed, warning, missed, stuck, repository-free-below"

/* Delivery statuses (stored spellings). */
#define ALERT_PENDING "pending"
#define ALERT_DELIVERED "delivered"
#define ALERT_FAILED "failed"

struct alerts_config {
	unsigned check_ms;          /* between evaluations */
	unsigned retry_ms;          /* the first retry's delay; each next one doubles */
	unsigned retry_max_ms;      /* the longest delay between attempts */
	int attempts;               /* attempts before a delivery is failed */
	int timeout_s;              /* per attempt */
};

/** Reads a rule from a JSON object body (body, len) into out (name, props; the kind and
 *  parent set, the id left to the caller). old, when not NULL, is the rule it replaces:
 *  its secret is kept unless the body gives one. RC_INVALID with *field and err naming
 *  what is wrong; strings are allocated in a. */
enum rc core_alert_rule_read(const char *body, size_t len, const struct estate_rec *old, struct arena *a,
                             struct estate_rec *out, const char **field, char *err, size_t errlen);
/** Records a test delivery of rule now (a new id); the write as core_estate_put. The
 *  record is built in a, which must live until the write is done. */
enum rc core_alert_test(struct core_write *w, const struct estate_rec *rule, struct arena *a);
/** Deliveries of rule_id (nil: every rule) with status (NULL: any), oldest first; skip and
 *  limit (<= 0: no limit) count the matching ones; *total counts every match. cb may be
 *  NULL (the total only). Filtered by status, the records cb gets live only during the
 *  call (read in chunks, each in a scratch arena); else they are in a. */
enum rc core_alert_deliveries(const struct uuid *rule_id, const char *status, int64_t skip, int64_t limit,
                              struct arena *a, store_estate_cb cb, void *ctx, int64_t *total);

/** Starts evaluation and sending (curl_global_init is called here: start before other
 *  threads use libcurl); core_alerts_stop stops both, waiting for an attempt in progress. */
void core_alerts_start(const struct alerts_config *c);
void core_alerts_stop(void);
/** One evaluation now (tests and tools); returns the deliveries it recorded. */
int core_alerts_evaluate(void);

#endif
