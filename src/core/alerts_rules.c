/* alerts_rules: what an alert rule may say, and the deliveries alerts make: their id,
 * their body (docs/ALERTS.md) and their list (core/alerts.h). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alerts_int.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "util/timefmt.h"

const char *const core__alert_events[EV__COUNT] = {"failed", "warning", "missed", "stuck", "repository-free-below"};

int core__alert_event_parse(const char *s)
{
	for(int i = 0; s && i < EV__COUNT; i++)
		if(!strcmp(core__alert_events[i], s))
			return i;
	return -1;
}

/* ---------- rules ---------- */

static const char *take_string(json_t *v, size_t max)
{
	return json_is_string(v) && json_string_length(v) <= max ? json_string_value(v) : NULL;
}

enum rc core_alert_rule_read(const char *body, size_t len, const struct estate_rec *old, struct arena *a,
                             struct estate_rec *out, const char **field, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	json_t *props = json_object(), *v;
	const char *msg = NULL, *key;
	*field = NULL;
	memset(out, 0, sizeof(*out));
	out->kind = EK_alertRule;
	if(!json_is_object(root))
		msg = root || !len ? "must be a JSON object" : "is not valid JSON";
	if(!msg)
		json_object_foreach(root, key, v) {
			*field = key;
			if(!strcmp(key, "id") || !strcmp(key, "createdTime") || !strcmp(key, "updatedTime") ||
			   !strcmp(key, "usn") || !strcmp(key, "hasSecret"))
				continue;   /* sessiond's own: an echo of a GET may carry them */
			if(json_is_null(v))
				continue;
			if(!strcmp(key, "name")) {
				const char *s = take_string(v, 256);
				if(!s || !*s)
					msg = "must be a non-empty string of at most 256 bytes";
				else
					out->name = arena_strdup(a, s);
				if(msg)
					break;
				continue;
			}
			if(!estate_field(EK_alertRule, key)) {
				msg = "is not a field of an alert rule";
			} else if(!strcmp(key, "event")) {
				if(core__alert_event_parse(json_string_value(v)) < 0)
					msg = "must be one of " ALERT_EVENTS;
			} else if(!strcmp(key, "jobPattern")) {
				if(!take_string(v, 256))
					msg = "must be a string of at most 256 bytes ('*' matches any run of characters)";
			} else if(!strcmp(key, "sessionType")) {
				if(!json_is_string(v) || catalog_type_parse(json_string_value(v)) < 0)
					msg = "must be a session type (docs/TYPES.md)";
			} else if(!strcmp(key, "minutes")) {
				if(!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 525600)
					msg = "must be an integer from 1 to 525600";
			} else if(!strcmp(key, "seconds")) {
				if(!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 31536000)
					msg = "must be an integer from 1 to 31536000";
			} else if(!strcmp(key, "percent")) {
				if(!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100)
					msg = "must be an integer from 1 to 100";
			} else if(!strcmp(key, "url")) {
				const char *s = take_string(v, 2048);
				if(!s || (strncasecmp(s, "http://", 7) && strncasecmp(s, "https://", 8)) || strlen(s) < 9)
					msg = "must be an http:// or https:// URL of at most 2048 bytes";
			} else if(!strcmp(key, "secret")) {
				const char *s = take_string(v, 256);
				if(!s || strlen(s) < 8)
					msg = "must be a string of 8 to 256 bytes";
			} else if(!strcmp(key, "disabled")) {
				if(!json_is_boolean(v))
					msg = "must be true or false";
			}
			if(msg)
				break;
			json_object_set(props, key, v);
		}
	if(!msg) {
		*field = NULL;
		json_t *ev = json_object_get(props, "event");
		int e = core__alert_event_parse(json_string_value(ev));
		if(!out->name)
			*field = "name";
		else if(!ev)
			*field = "event";
		else if(!json_object_get(props, "url"))
			*field = "url";
		else if(e == EV_STUCK && !json_object_get(props, "minutes") && !json_object_get(props, "seconds"))
			*field = "minutes";
		else if(e == EV_REPO_FREE && !json_object_get(props, "percent"))
			*field = "percent";
		if(*field)
			msg = !strcmp(*field, "minutes")   ? "(or seconds) is required for this event"
			      : !strcmp(*field, "percent") ? "is required for this event"
			                                   : "is required";
		else if(json_object_get(props, "minutes") && json_object_get(props, "seconds")) {
			*field = "seconds";
			msg = "and minutes exclude each other";
		}
	}
	if(!msg && !json_object_get(props, "secret")) {
		json_t *op = old && old->props ? json_loads(old->props, 0, NULL) : NULL;
		json_t *s = json_object_get(op, "secret");
		if(s)
			json_object_set(props, "secret", s);
		else {
			*field = "secret";
			msg = "is required (8 to 256 bytes)";
		}
		json_decref(op);
	}
	if(msg) {
		snprintf(err, errlen, "%s %s", *field ? *field : "body", msg);
	} else {
		char *text = json_dumps(props, JSON_COMPACT | JSON_PRESERVE_ORDER);
		out->props = arena_strdup(a, text);
		out->reporter = "sessiond";
		free(text);
	}
	json_decref(props);
	json_decref(root);
	return msg ? RC_INVALID : RC_OK;
}

/* ---------- deliveries ---------- */

void core__alert_delivery_id(const struct uuid *rule, const struct uuid *subject, const char *event,
                             int64_t occurrence, struct uuid *out)
{
	crypto_generichash_state st;
	unsigned char h[16], n[8];
	for(int i = 0; i < 8; i++)
		n[i] = (unsigned char)(occurrence >> (8 * i));
	crypto_generichash_init(&st, (const unsigned char *)"alertDelivery", 13, sizeof(h));
	crypto_generichash_update(&st, rule->b, 16);
	crypto_generichash_update(&st, subject->b, 16);
	crypto_generichash_update(&st, (const unsigned char *)event, strlen(event));
	crypto_generichash_update(&st, n, sizeof(n));
	crypto_generichash_final(&st, h, sizeof(h));
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x80);   /* version 8: custom */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	memcpy(out->b, h, 16);
}

void core__json_uuid(json_t *o, const char *key, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	json_object_set_new(o, key, uuid_is_nil(u) ? json_null() : json_string(s));
}

void core__json_time(json_t *o, const char *key, int64_t us)
{
	char s[40];
	time_format(us, 3, s);
	json_object_set_new(o, key, us ? json_string(s) : json_null());
}

void core__alert_delivery(const struct estate_rec *rule, const char *event, const struct alert_subject *sub,
                          const char *message, json_t *details, const struct uuid *id, struct arena *a,
                          struct estate_rec *out)
{
	int64_t now = time_now_us() / 1000 * 1000;
	char when[40], ids[UUID_STR_LEN + 1];
	time_format(now, 3, when);
	memset(out, 0, sizeof(*out));
	out->kind = EK_alertDelivery;
	out->id = *id;
	out->parent_id = rule->id;
	out->name = arena_printf(a, "%s %s", when, event);
	out->reporter = "sessiond";
	json_t *body = json_object(), *r = json_object(), *s = json_object();
	uuid_format(id, ids);
	json_object_set_new(body, "deliveryId", json_string(ids));
	json_object_set_new(body, "event", json_string(event));
	json_object_set_new(body, "time", json_string(when));
	core__json_uuid(r, "id", &rule->id);
	json_object_set_new(r, "name", json_string(rule->name ? rule->name : ""));
	json_object_set_new(body, "rule", r);
	json_object_set_new(s, "kind", json_string(sub->kind));
	core__json_uuid(s, "id", &sub->id);
	json_object_set_new(s, "name", sub->name ? json_string(sub->name) : json_null());
	json_object_set_new(body, "subject", s);
	json_object_set_new(body, "message", json_string(message));
	json_object_set_new(body, "details", details ? details : json_object());
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_t *p = json_object();
	json_object_set_new(p, "event", json_string(event));
	json_object_set_new(p, "subjectKind", json_string(sub->kind));
	core__json_uuid(p, "subjectId", &sub->id);
	if(sub->name)
		json_object_set_new(p, "subjectName", json_string(sub->name));
	json_object_set_new(p, "body", json_string(text));
	json_object_set_new(p, "status", json_string(ALERT_PENDING));
	json_object_set_new(p, "attempts", json_integer(0));
	core__json_time(p, "nextAttemptTime", now);
	char *ptext = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
	out->props = arena_strdup(a, ptext);
	free(text);
	free(ptext);
	json_decref(p);
	json_decref(body);
}

enum rc core_alert_test(struct core_write *w, const struct estate_rec *rule, struct arena *a)
{
	struct estate_rec *d = arena_zalloc(a, sizeof(*d));
	struct uuid id;
	uuid_v7(&id);
	struct alert_subject sub = {.kind = "rule", .id = rule->id, .name = rule->name};
	core__alert_delivery(rule, "test", &sub, "a test delivery asked for through the API", NULL, &id, a, d);
	return core_estate_put(w, d);
}

struct dlist {
	const char *status;
	int64_t skip, limit, seen, given;
	store_estate_cb cb;
	void *ctx;
};

static int dlist_row(void *ctx, const struct estate_rec *e)
{
	struct dlist *l = ctx;
	if(l->status) {
		json_t *p = e->props ? json_loads(e->props, 0, NULL) : NULL;
		const char *s = json_string_value(json_object_get(p, "status"));
		int match = s && !strcmp(s, l->status);
		json_decref(p);
		if(!match)
			return 0;
	}
	if(l->seen++ < l->skip || (l->limit > 0 && l->given >= l->limit))
		return 0;
	l->given++;
	return l->cb ? l->cb(l->ctx, e) : 0;
}

static int none(void *ctx, const struct estate_rec *e)
{
	(void)ctx, (void)e;
	return 1;
}

#define DLIST_CHUNK 500

enum rc core_alert_deliveries(const struct uuid *rule_id, const char *status, int64_t skip, int64_t limit,
                              struct arena *a, store_estate_cb cb, void *ctx, int64_t *total)
{
	struct estate_query q = {.kind = EK_alertDelivery, .after_usn = -1};
	if(rule_id)
		q.parent_id = *rule_id;
	if(!status) {   /* the store pages */
		q.offset = skip;
		q.limit = cb && limit > 0 ? limit : cb ? 0 : 1;
		return core_estate_list(&q, a, cb ? cb : none, ctx, total);
	}
	/* the status is a property: every delivery is read, in chunks, each in a scratch arena */
	struct dlist l = {.status = status, .skip = skip, .limit = limit, .cb = cb, .ctx = ctx};
	struct arena chunk;
	arena_init(&chunk);
	int64_t all = 0;
	enum rc rc = RC_OK;
	for(int64_t off = 0; !rc && (!off || off < all); off += DLIST_CHUNK) {
		struct estate_query cq = q;
		cq.offset = off;
		cq.limit = DLIST_CHUNK;
		rc = core_estate_list(&cq, &chunk, dlist_row, &l, off ? NULL : &all);
		arena_reset(&chunk);
	}
	arena_free(&chunk);
	if(total)
		*total = l.seen;
	return rc;
}
