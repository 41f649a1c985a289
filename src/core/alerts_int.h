/* core/alerts_int: what the alert modules of core share (alerts.c evaluates,
 * alerts_rules.c checks rules and builds deliveries, alerts_send.c sends them). Not for the
 * layers above core. */
#ifndef SESSIOND_CORE_ALERTS_INT_H
#define SESSIOND_CORE_ALERTS_INT_H
#include <jansson.h>
#include <stdint.h>

#include "core/alerts.h"

/* The events a rule may watch: indexes of core__alert_events, their stored spellings. */
enum alert_event { EV_FAILED, EV_WARNING, EV_MISSED, EV_STUCK, EV_REPO_FREE, EV__COUNT };
extern const char *const core__alert_events[EV__COUNT];
/** The event spelled s, -1 when none. */
int core__alert_event_parse(const char *s);

/* What an alert is about. */
struct alert_subject {
	const char *kind;           /* session, job, repository, rule (a test) */
	struct uuid id;
	const char *name;
};

/** The id of the delivery of (rule, subject, event, occurrence): the same on every
 *  instance and after a restart. */
void core__alert_delivery_id(const struct uuid *rule, const struct uuid *subject, const char *event,
                             int64_t occurrence, struct uuid *out);
/** A pending delivery of rule for sub into out, its body built from event, message and
 *  details (consumed; NULL: none); strings in a. */
void core__alert_delivery(const struct estate_rec *rule, const char *event, const struct alert_subject *sub,
                          const char *message, json_t *details, const struct uuid *id, struct arena *a,
                          struct estate_rec *out);
/** Sets o[key] to u as text (null when nil), or to us as an RFC 3339 time (null when 0). */
void core__json_uuid(json_t *o, const char *key, const struct uuid *u);
void core__json_time(json_t *o, const char *key, int64_t us);

/** Starts/stops the sending thread. */
void core__alerts_send_start(const struct alerts_config *c);
void core__alerts_send_stop(void);
/** Wakes the sending thread to look for new deliveries. */
void core__alerts_send_kick(void);

#endif
