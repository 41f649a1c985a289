/* The ingest API of the backup estate. A reporter upserts an object with
 *   PUT /api/v1/estate/{kind}/{id}   {"name": …, "parentId": …, "reporter": …, <properties>}
 * where kind and the properties it takes are model/estate.def's; a field that is not
 * the kind's, or of the wrong type, is a 400 naming it, and nothing is stored. */
#include "api/estate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/vbr.h"
#include "core/core.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "model/schedule.h"
#include "util/timefmt.h"

#define ESTATE_LIST_MAX 1000

json_t *estate_props(const struct estate_rec *e)
{
	json_t *o = e->props ? json_loads(e->props, 0, NULL) : NULL;
	if(!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
}

const char *estate_pstr(json_t *props, const char *key)
{
	return json_string_value(json_object_get(props, key));
}

int64_t estate_pint(json_t *props, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(props, key);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int estate_phas(json_t *props, const char *key)
{
	json_t *v = json_object_get(props, key);
	return v && !json_is_null(v);
}

/* ---------- reading a reported object ---------- */

/* The kind in path parameter 0; answers 404 naming the kinds when there is none. */
static int path_kind(struct req *r)
{
	int k = estate_kind_parse(r->params[0]);
	if(estate_kind_own(k) && r->method != M_GET)
		k = 0;   /* sessiond's own records: read-only here */
	if(!k) {
		char list[512];
		estate_kind_list(list, sizeof(list));
		vbr_error(r, RC_NOTFOUND, 404, arena_printf(r->arena, "no estate kind '%.64s'; kinds: %s", r->params[0], list));
	}
	return k;
}

static const char *check_value(struct req *r, const struct estate_field *f, json_t *v)
{
	switch(f->type) {
	case EF_STRING:
		if(!json_is_string(v) || json_string_length(v) > 4096)
			return "%s must be a string of at most 4096 bytes";
		break;
	case EF_INT:
		if(!json_is_integer(v) || json_integer_value(v) < 0)
			return "%s must be a non-negative integer";
		break;
	case EF_BOOL:
		if(!json_is_boolean(v))
			return "%s must be true or false";
		break;
	case EF_UUID: {
		struct uuid u;
		if(!json_is_string(v) || uuid_parse(json_string_value(v), json_string_length(v), &u))
			return "%s must be a UUID";
		break;
	}
	case EF_TIME: {
		int64_t us;
		if(!json_is_string(v) || time_parse(json_string_value(v), json_string_length(v), &us))
			return "%s must be an RFC 3339 date-time with an offset";
		break;
	}
	case EF_STRINGS: {
		size_t i;
		json_t *x;
		if(!json_is_array(v) || json_array_size(v) > 10000)
			return "%s must be an array of at most 10000 strings";
		json_array_foreach(v, i, x)
			if(!json_is_string(x) || json_string_length(x) > 4096)
				return "%s must be an array of strings";
		break;
	}
	}
	(void)r;
	return NULL;
}

/* Extra rules of single properties that the type alone does not say. */
static const char *check_rule(struct req *r, int kind, const char *name, json_t *v)
{
	if(kind == EK_job && !strcmp(name, "schedule")) {
		struct schedule sc;
		char why[200];
		if(schedule_parse(json_string_value(v), &sc, why, sizeof(why)))
			return arena_printf(r->arena, "%%s: %s", why);
	}
	if(kind == EK_job && !strcmp(name, "type") && catalog_type_parse(json_string_value(v)) < 0)
		return "%s must be a session type (docs/TYPES.md)";
	if(kind == EK_restorePoint && !strcmp(name, "pointType") && strcmp(json_string_value(v), "Full") &&
	   strcmp(json_string_value(v), "Increment"))
		return "%s must be Full or Increment";
	return NULL;
}

/* Reads the body into e; on bad input answers 400 naming the field and returns -1. */
static int read_object(struct req *r, int kind, struct estate_rec *e)
{
	json_error_t je;
	json_t *root = r->body && r->body_len ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je) : NULL;
	const char *err = NULL, *field = NULL;
	json_t *props = json_object();
	if(!root)
		err = r->body_len ? "the body is not valid JSON" : "a JSON object body is required";
	else if(!json_is_object(root))
		err = "the body must be a JSON object";
	const char *key;
	json_t *v;
	if(!err)
		json_object_foreach(root, key, v) {
			field = key;
			if(!strcmp(key, "name")) {
				if(!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 1024)
					err = "%s must be a non-empty string of at most 1024 bytes";
				else
					e->name = arena_strdup(r->arena, json_string_value(v));
			} else if(!strcmp(key, "reporter")) {
				if(!json_is_string(v) || json_string_length(v) > 256)
					err = "%s must be a string of at most 256 bytes";
				else
					e->reporter = arena_strdup(r->arena, json_string_value(v));
			} else if(!strcmp(key, "parentId")) {
				if(json_is_null(v))
					continue;
				if(!estate_kind_parent(kind))
					err = arena_printf(r->arena, "%%s: a %s has no parent", estate_kind_name(kind));
				else if(!json_is_string(v) || uuid_parse(json_string_value(v), json_string_length(v), &e->parent_id))
					err = "%s must be a UUID";
			} else if(!strcmp(key, "kind") || !strcmp(key, "id") || !strcmp(key, "deleted")) {
				continue;   /* the path's; an echo of a GET may carry them */
			} else if(!strcmp(key, "createdTime") || !strcmp(key, "updatedTime") || !strcmp(key, "usn")) {
				continue;   /* sessiond's own; ignored on input */
			} else {
				const struct estate_field *f = estate_field(kind, key);
				if(!f)
					err = arena_printf(r->arena, "unknown field '%%s' for a %s", estate_kind_name(kind));
				else if(json_is_null(v))
					continue;   /* absent */
				else if(!(err = check_value(r, f, v)) && !(err = check_rule(r, kind, key, v)))
					json_object_set(props, key, v);
			}
			if(err)
				break;
		}
	if(!err && !e->name) {
		field = "name";
		err = "%s is required";
	}
	for(const struct estate_field *f = estate_field_first(kind); !err && f; f = estate_field_next(f))
		if((f->flags & EFF_REQUIRED) && !json_object_get(props, f->name)) {
			field = f->name;
			err = "%s is required";
		}
	if(err) {
		char msg[512];
		snprintf(msg, sizeof(msg), err, field ? field : "");
		vbr_error(r, RC_INVALID, 400, arena_strdup(r->arena, msg));
	} else {
		char *text = json_dumps(props, JSON_COMPACT | JSON_PRESERVE_ORDER);
		e->props = arena_strdup(r->arena, text ? text : "{}");
		free(text);
	}
	json_decref(props);
	json_decref(root);
	return err ? -1 : 0;
}

/* ---------- answers ---------- */

static void kuuid_or_null(struct jw *w, const char *key, const struct uuid *u)
{
	if(uuid_is_nil(u)) {
		jw_knull(w, key);
		return;
	}
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	jw_kstr(w, key, s);
}

/* e's properties without its secret ones (EFF_SECRET) as a malloc'd JSON text, or NULL
 * when its kind has none. */
static char *shown_props(const struct estate_rec *e)
{
	json_t *props = NULL;
	for(const struct estate_field *f = estate_field_first(e->kind); f; f = estate_field_next(f))
		if(f->flags & EFF_SECRET) {
			if(!props)
				props = estate_props(e);
			json_object_del(props, f->name);
		}
	char *text = props ? json_dumps(props, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(props);
	return text;
}

/* One object: the common fields, then its properties as reported (secrets never). */
static void render(struct jw *w, const struct estate_rec *e, int feed)
{
	jw_obj(w);
	jw_kstr(w, "kind", estate_kind_name(e->kind));
	kuuid_or_null(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	kuuid_or_null(w, "parentId", &e->parent_id);
	jw_kstr(w, "reporter", e->reporter);
	vbr_time(w, "createdTime", e->created_us);
	vbr_time(w, "updatedTime", e->updated_us);
	jw_kint(w, "usn", e->usn);
	if(feed)
		jw_kbool(w, "deleted", e->deleted);
	/* the stored properties are one JSON object: splice its members in */
	char *shown = shown_props(e);
	const char *p = shown ? shown : e->props ? e->props : "{}";
	size_t n = strlen(p);
	if(n > 2 && p[0] == '{' && p[n - 1] == '}')
		jw_raw(w, p + 1, n - 2);   /* after a member: jw puts the comma */
	free(shown);
	jw_obj_end(w);
}

static void reply_object(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbr_error(r, w->rc, 0, w->err);
		return;
	}
	struct jw j;
	vbr_json(r, 200, &j);
	render(&j, &w->estate, 0);
	req_add_header(r, "ETag", arena_printf(r->arena, "\"%lld\"", (long long)w->usn));
}

static void reply_deleted(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbr_error(r, w->rc, 0, w->err);
		return;
	}
	r->status = 204;
}

/* ---------- handlers ---------- */

/* Who is writing: the user or key name the token check filled in (auth's user cache). */
static const char *caller_name(struct req *r)
{
	return r->who.user[0] ? arena_strdup(r->arena, r->who.user) : NULL;
}

void estate_h_put(struct req *r)
{
	int kind = path_kind(r);
	struct estate_rec *e = arena_zalloc(r->arena, sizeof(*e));
	if(!kind || vbr_path_uuid(r, 1, &e->id) || read_object(r, kind, e))
		return;
	e->kind = kind;
	if(!e->reporter)
		e->reporter = caller_name(r);
	core_estate_put(api_write(r, reply_object), e);
}

void estate_h_del(struct req *r)
{
	int kind = path_kind(r);
	struct uuid *id = arena_zalloc(r->arena, sizeof(*id));
	if(!kind || vbr_path_uuid(r, 1, id))
		return;
	core_estate_del(api_write(r, reply_deleted), kind, id);
}

void estate_h_get(struct req *r)
{
	int kind = path_kind(r);
	struct uuid id;
	if(!kind || vbr_path_uuid(r, 1, &id))
		return;
	struct estate_rec e;
	enum rc rc = core_estate_get(kind, &id, r->arena, &e);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? arena_printf(r->arena, "no such %s", estate_kind_name(kind))
		                                      : "cannot read the estate");
		return;
	}
	struct jw w;
	vbr_json(r, 200, &w);
	render(&w, &e, 0);
}

struct list_ctx {
	struct jw *w;
	int feed;
	int64_t count, last_usn;
};

static int list_row(void *ctx, const struct estate_rec *e)
{
	struct list_ctx *l = ctx;
	render(l->w, e, l->feed);
	l->count++;
	l->last_usn = e->usn;
	return 0;
}

int estate_q_num(struct req *r, const char *name, int64_t dflt, int64_t *out)
{
	const char *s = req_query(r, name);
	*out = dflt;
	if(!s)
		return 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if(!*s || *end || v < 0) {
		vbr_error(r, RC_INVALID, 400, arena_printf(r->arena, "%s must be a non-negative integer", name));
		return -1;
	}
	*out = v;
	return 0;
}

const char *estate_like(struct req *r, const char *s)
{
	char *p = arena_alloc(r->arena, strlen(s) * 2 + 1), *o = p;
	for(; *s; s++) {
		if(*s == '*')
			*o++ = '%';
		else {
			if(*s == '%' || *s == '_' || *s == '\\')
				*o++ = '\\';
			*o++ = *s;
		}
	}
	*o = 0;
	return p;
}

static void list(struct req *r, struct estate_query *q, int feed)
{
	int64_t limit;
	if(estate_q_num(r, "skip", 0, &q->offset) || estate_q_num(r, "limit", 200, &limit))
		return;
	q->limit = limit > ESTATE_LIST_MAX ? ESTATE_LIST_MAX : limit;
	struct jw w;
	struct buf body;
	buf_init(&body, 0);
	jw_init(&w, &body);
	struct list_ctx l = {.w = &w, .feed = feed, .last_usn = q->after_usn};
	int64_t total = 0;
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	enum rc rc = core_estate_list(q, r->arena, list_row, &l, feed ? NULL : &total);
	jw_arr_end(&w);
	if(rc) {
		buf_free(&body);
		vbr_error(r, rc, 0, "cannot list the estate");
		return;
	}
	if(feed) {
		jw_kint(&w, "lastUsn", l.last_usn);
	} else {
		jw_key(&w, "pagination");
		jw_obj(&w);
		jw_kint(&w, "total", total);
		jw_kint(&w, "count", l.count);
		jw_kint(&w, "skip", q->offset);
		jw_kint(&w, "limit", q->limit);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	struct jw out;
	vbr_json(r, 200, &out);
	jw_raw(&out, buf_cstr(&body), body.len);
	buf_free(&body);
}

/* GET /api/v1/estate/{kind}?nameFilter=&parentId=&skip=&limit= */
void estate_h_list(struct req *r)
{
	int kind = path_kind(r);
	if(!kind)
		return;
	struct estate_query q = {.kind = kind, .after_usn = -1};
	const char *name = req_query(r, "nameFilter"), *parent = req_query(r, "parentId");
	if(name && *name)
		q.name = (q.name_like = strchr(name, '*') != NULL) ? estate_like(r, name) : name;
	if(parent && uuid_parse(parent, strlen(parent), &q.parent_id)) {
		vbr_error(r, RC_INVALID, 400, "parentId must be a UUID");
		return;
	}
	list(r, &q, 0);
}

/* GET /api/v1/estate?sinceUsn=N[&kind=K]: what changed after usn N, tombstones too, by usn. */
void estate_h_changes(struct req *r)
{
	struct estate_query q = {0};
	const char *kind = req_query(r, "kind");
	if(estate_q_num(r, "sinceUsn", 0, &q.after_usn))
		return;
	if(kind && !(q.kind = estate_kind_parse(kind))) {
		vbr_error(r, RC_INVALID, 400, "kind names no estate kind");
		return;
	}
	list(r, &q, 1);
}
