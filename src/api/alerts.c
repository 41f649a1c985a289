/* The admin API of alert rules and their deliveries (sessiond's own JSON, routed by the
 * VBR dialect; docs/ALERTS.md):
 *   POST /api/v1/alerts, GET /api/v1/alerts, GET/PUT/DELETE /api/v1/alerts/{id},
 *   POST /api/v1/alerts/{id}/test, GET /api/v1/alerts/deliveries?ruleId=&status=&skip=&limit=,
 *   GET /api/v1/alerts/deliveries/{id}
 * What a rule may say is core's (core_alert_rule_read); a rule's secret is never shown. */
#include "api/alerts.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/estate.h"
#include "api/vbr.h"
#include "core/alerts.h"
#include "model/estate.h"

#define LIST_MAX 1000

/* ---------- answers ---------- */

static void kuuid(struct jw *w, const char *key, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	if(uuid_is_nil(u))
		jw_knull(w, key);
	else
		jw_kstr(w, key, s);
}

/* A JSON value of props as it is (a property of a kind of model/estate.def). */
static void kvalue(struct jw *w, const char *key, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	jw_key(w, key);
	jw_raw(w, text ? text : "null", text ? strlen(text) : 4);
	free(text);
}

static void render_rule(struct jw *w, const struct estate_rec *e)
{
	json_t *p = e->props ? json_loads(e->props, 0, NULL) : NULL, *v;
	const char *key;
	jw_obj(w);
	kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	json_object_foreach(p, key, v) {
		const struct estate_field *f = estate_field(EK_alertRule, key);
		if(f && !(f->flags & EFF_SECRET))
			kvalue(w, key, v);
	}
	if(!json_object_get(p, "disabled"))
		jw_kbool(w, "disabled", 0);
	jw_kbool(w, "hasSecret", json_object_get(p, "secret") != NULL);
	vbr_time(w, "createdTime", e->created_us);
	vbr_time(w, "updatedTime", e->updated_us);
	jw_kint(w, "usn", e->usn);
	jw_obj_end(w);
	json_decref(p);
}

static void render_delivery(struct jw *w, const struct estate_rec *e)
{
	json_t *p = e->props ? json_loads(e->props, 0, NULL) : NULL;
	jw_obj(w);
	kuuid(w, "id", &e->id);
	kuuid(w, "ruleId", &e->parent_id);
	jw_kstr(w, "event", json_string_value(json_object_get(p, "event")));
	jw_key(w, "subject");
	jw_obj(w);
	jw_kstr(w, "kind", json_string_value(json_object_get(p, "subjectKind")));
	jw_kstr(w, "id", json_string_value(json_object_get(p, "subjectId")));
	jw_kstr(w, "name", json_string_value(json_object_get(p, "subjectName")));
	jw_obj_end(w);
	jw_kstr(w, "status", json_string_value(json_object_get(p, "status")));
	jw_kint(w, "attempts", json_integer_value(json_object_get(p, "attempts")));
	static const char *const optional[] = {"lastStatus", "lastError", "lastAttemptTime", "nextAttemptTime",
	                                       "deliveredTime"};
	for(size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		json_t *v = json_object_get(p, optional[i]);
		if(v)
			kvalue(w, optional[i], v);
		else
			jw_knull(w, optional[i]);
	}
	vbr_time(w, "createdTime", e->created_us);
	vbr_time(w, "updatedTime", e->updated_us);
	jw_kstr(w, "body", json_string_value(json_object_get(p, "body")));
	jw_obj_end(w);
	json_decref(p);
}

static void reply(struct req *r, int status, void (*render)(struct jw *, const struct estate_rec *))
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbr_error(r, w->rc, 0, w->err);
		return;
	}
	struct jw j;
	vbr_json(r, status, &j);
	render(&j, &w->estate);
}

static void reply_created(struct req *r) { reply(r, 201, render_rule); }
static void reply_rule(struct req *r) { reply(r, 200, render_rule); }
static void reply_test(struct req *r) { reply(r, 202, render_delivery); }

static void reply_deleted(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc)
		vbr_error(r, w->rc, 0, w->err);
	else
		r->status = 204;
}

/* ---------- handlers ---------- */

/* The rule of path parameter 0 into out; answers 400/404 and returns -1 when there is none. */
static int path_rule(struct req *r, struct estate_rec *out)
{
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return -1;
	enum rc rc = core_estate_get(EK_alertRule, &id, r->arena, out);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "no such alert rule" : "cannot read the alert rules");
		return -1;
	}
	return 0;
}

/* The rule in the body into e; answers 400 naming the field and returns -1 on bad input. */
static int body_rule(struct req *r, const struct estate_rec *old, struct estate_rec *e)
{
	const char *field;
	char err[300];
	if(core_alert_rule_read(r->body, r->body_len, old, r->arena, e, &field, err, sizeof(err))) {
		vbr_error(r, RC_INVALID, 400, arena_strdup(r->arena, err));
		return -1;
	}
	return 0;
}

void alerts_h_create(struct req *r)
{
	struct estate_rec *e = arena_zalloc(r->arena, sizeof(*e));
	if(body_rule(r, NULL, e))
		return;
	uuid_v7(&e->id);
	core_estate_add(api_write(r, reply_created), e);
}

void alerts_h_put(struct req *r)
{
	struct estate_rec old, *e = arena_zalloc(r->arena, sizeof(*e));
	if(path_rule(r, &old) || body_rule(r, &old, e))
		return;
	e->id = old.id;
	core_estate_put(api_write(r, reply_rule), e);
}

void alerts_h_get(struct req *r)
{
	struct estate_rec e;
	if(path_rule(r, &e))
		return;
	struct jw w;
	vbr_json(r, 200, &w);
	render_rule(&w, &e);
}

void alerts_h_del(struct req *r)
{
	struct uuid *id = arena_zalloc(r->arena, sizeof(*id));
	if(vbr_path_uuid(r, 0, id))
		return;
	core_estate_del(api_write(r, reply_deleted), EK_alertRule, id);
}

void alerts_h_test(struct req *r)
{
	struct estate_rec *rule = arena_zalloc(r->arena, sizeof(*rule));
	if(path_rule(r, rule))
		return;
	core_alert_test(api_write(r, reply_test), rule, r->arena);
}

void alerts_h_delivery(struct req *r)
{
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	struct estate_rec e;
	enum rc rc = core_estate_get(EK_alertDelivery, &id, r->arena, &e);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "no such delivery" : "cannot read the deliveries");
		return;
	}
	struct jw w;
	vbr_json(r, 200, &w);
	render_delivery(&w, &e);
}


struct list_ctx {
	struct jw *w;
	void (*render)(struct jw *, const struct estate_rec *);
	int64_t count;
};

static int list_row(void *ctx, const struct estate_rec *e)
{
	struct list_ctx *l = ctx;
	if(!l->render)
		return 1;   /* limit=0: the total only */
	l->render(l->w, e);
	l->count++;
	return 0;
}

static void list_end(struct jw *w, int64_t total, int64_t count, int64_t skip, int64_t limit)
{
	jw_arr_end(w);
	jw_key(w, "pagination");
	jw_obj(w);
	jw_kint(w, "total", total);
	jw_kint(w, "count", count);
	jw_kint(w, "skip", skip);
	jw_kint(w, "limit", limit);
	jw_obj_end(w);
	jw_obj_end(w);
}

/* Renders a list into a buffer first, so a failed read still answers with an error. */
static void answer(struct req *r, enum rc rc, struct buf *body)
{
	if(rc) {
		vbr_error(r, rc, 0, "cannot read the alerts");
	} else {
		struct jw out;
		vbr_json(r, 200, &out);
		jw_raw(&out, buf_cstr(body), body->len);
	}
	buf_free(body);
}

void alerts_h_list(struct req *r)
{
	int64_t skip, limit, total = 0;
	if(estate_q_num(r, "skip", 0, &skip) || estate_q_num(r, "limit", 200, &limit))
		return;
	struct estate_query q = {.kind = EK_alertRule, .after_usn = -1, .offset = skip,
	                         .limit = limit > LIST_MAX ? LIST_MAX : limit ? limit : 1};
	struct buf body;
	struct jw w;
	buf_init(&body, 0);
	jw_init(&w, &body);
	struct list_ctx l = {.w = &w, .render = limit ? render_rule : NULL};
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	enum rc rc = core_estate_list(&q, r->arena, list_row, &l, &total);
	list_end(&w, total, l.count, skip, limit ? q.limit : 0);
	answer(r, rc, &body);
}

void alerts_h_deliveries(struct req *r)
{
	int64_t skip, limit, total = 0;
	if(estate_q_num(r, "skip", 0, &skip) || estate_q_num(r, "limit", 200, &limit))
		return;
	if(limit > LIST_MAX)
		limit = LIST_MAX;
	const char *rule = req_query(r, "ruleId"), *status = req_query(r, "status");
	struct uuid rid = {0};
	if(rule && *rule && uuid_parse(rule, strlen(rule), &rid)) {
		vbr_error(r, RC_INVALID, 400, "ruleId must be a UUID");
		return;
	}
	if(status && !*status)
		status = NULL;
	if(status && strcmp(status, ALERT_PENDING) && strcmp(status, ALERT_DELIVERED) && strcmp(status, ALERT_FAILED)) {
		vbr_error(r, RC_INVALID, 400, "status must be pending, delivered or failed");
		return;
	}
	struct buf body;
	struct jw w;
	buf_init(&body, 0);
	jw_init(&w, &body);
	struct list_ctx l = {.w = &w, .render = render_delivery};
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	enum rc rc = limit ? core_alert_deliveries(&rid, status, skip, limit, r->arena, list_row, &l, &total)
	                   : core_alert_deliveries(&rid, status, 0, 0, r->arena, NULL, NULL, &total);
	list_end(&w, total, l.count, skip, limit);
	answer(r, rc, &body);
}
