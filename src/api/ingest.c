/* Ingest API: how sessions get in. VBR-style JSON on the VBR resources; every
 * reply carries stopRequested so a reporter learns of a stop on its next call. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/vbr.h"
#include "model/catalog.h"
#include "core/core.h"
#include "core/session.h"
#include "util/timefmt.h"

#define MAX_LOG_RECORDS 1000

/* Info blocks kept as given and shown by the dialects that know them. */
static const char *const info_blocks[] = {
	"backupJobInfo", "healthCheckJobInfo", "restoreJobInfo", "fileLevelRestoreJobInfo",
	"fileShareFileLevelRestoreJobInfo", "repositoryJobInfo", "restorePointDataRetrievalJobInfo",
	"retentionJobInfo", NULL,
};

struct body {
	struct req *r;
	json_t *root;
	char err[256];
};

/* ---------- field readers: each answers 400 naming the field on bad input ---------- */

static int fail(struct body *b, const char *fmt, const char *field)
{
	snprintf(b->err, sizeof(b->err), fmt, field);
	return -1;
}

static int parse_body(struct body *b, struct req *r)
{
	b->r = r;
	if(!r->body || !r->body_len)
		return fail(b, "%s", "a JSON object body is required");
	json_error_t e;
	b->root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if(!b->root) {
		snprintf(b->err, sizeof(b->err), "the body is not valid JSON: %s (line %d, column %d)", e.text, e.line,
		         e.column);
		return -1;
	}
	if(!json_is_object(b->root))
		return fail(b, "%s", "the body must be a JSON object");
	return 0;
}

static int check_fields(struct body *b, json_t *obj, const char *const *known, int allow_info)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		int ok = 0;
		for(const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(key, *k);
		for(const char *const *k = info_blocks; allow_info && *k && !ok; k++)
			ok = !strcmp(key, *k);
		if(!ok)
			return fail(b, "unknown field '%.100s'", key);
	}
	return 0;
}

static int get_str(struct body *b, json_t *obj, const char *field, int required, const char **out)
{
	json_t *v = json_object_get(obj, field);
	if(!v || json_is_null(v)) {
		if(required)
			return fail(b, "%s is required", field);
		return 0;
	}
	if(!json_is_string(v))
		return fail(b, "%s must be a string", field);
	if(json_string_length(v) > 65536)
		return fail(b, "%s is longer than 65536 bytes", field);
	*out = arena_strndup(b->r->arena, json_string_value(v), json_string_length(v));
	return 0;
}

static int get_int(struct body *b, json_t *obj, const char *field, int64_t min, int64_t max, int *has, int64_t *out)
{
	json_t *v = json_object_get(obj, field);
	if(!v || json_is_null(v))
		return 0;
	if(!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%%s must be an integer from %lld to %lld", (long long)min, (long long)max);
		return fail(b, msg, field);
	}
	*out = json_integer_value(v);
	if(has)
		*has = 1;
	return 0;
}

static int get_bool(struct body *b, json_t *obj, const char *field, int *out)
{
	json_t *v = json_object_get(obj, field);
	if(!v || json_is_null(v))
		return 0;
	if(!json_is_boolean(v))
		return fail(b, "%s must be true or false", field);
	*out = json_is_true(v);
	return 0;
}

static int get_uuid(struct body *b, json_t *obj, const char *field, struct uuid *out)
{
	const char *s = NULL;
	if(get_str(b, obj, field, 0, &s))
		return -1;
	if(s && uuid_parse(s, strlen(s), out))
		return fail(b, "%s must be a UUID", field);
	return 0;
}

static int get_time(struct body *b, json_t *obj, const char *field, int64_t *out)
{
	const char *s = NULL;
	if(get_str(b, obj, field, 0, &s))
		return -1;
	if(s && time_parse(s, strlen(s), out))
		return fail(b, "%s must be an RFC 3339 date-time with an offset", field);
	return 0;
}

static int get_enum(struct body *b, json_t *obj, const char *field, int (*parse)(const char *), int *has, int *out)
{
	const char *s = NULL;
	if(get_str(b, obj, field, 0, &s))
		return -1;
	if(!s)
		return 0;
	int v = parse(s);
	if(v < 0)
		return fail(b, "%s has an unknown value", field);
	*out = v;
	if(has)
		*has = 1;
	return 0;
}

static int parse_state(const char *s)
{
	return catalog_state_parse(s, -1);
}

/* The info blocks present in obj as one JSON object text, or NULL. */
static int get_extra(struct body *b, json_t *obj, const char **out)
{
	json_t *extra = NULL;
	for(const char *const *k = info_blocks; *k; k++) {
		json_t *v = json_object_get(obj, *k);
		if(!v || json_is_null(v))
			continue;
		if(!json_is_object(v)) {
			json_decref(extra);
			return fail(b, "%s must be an object", *k);
		}
		if(!extra)
			extra = json_object();
		json_object_set(extra, *k, v);
	}
	if(extra) {
		char *s = json_dumps(extra, JSON_COMPACT);
		*out = arena_strdup(b->r->arena, s);
		free(s);
		json_decref(extra);
	}
	return 0;
}

static int if_match(struct req *r, struct body *b, int64_t *out)
{
	const char *h = req_header(r, "If-Match");
	*out = -1;
	if(!h)
		return 0;
	while(*h == ' ' || *h == 'W' || *h == '/')
		h++;
	if(*h == '"')
		h++;
	char *end;
	long long v = strtoll(h, &end, 10);
	if(end == h || (*end && *end != '"'))
		return fail(b, "%s must be a quoted usn, e.g. \"42\"", "If-Match");
	*out = v;
	return 0;
}

static void body_error(struct req *r, struct body *b)
{
	vbr_error(r, RC_INVALID, 400, b->err);
	json_decref(b->root);
}

/* ---------- replies ---------- */

/* A session write's answer: 201 with Location for a new one, else 200; the ETag is the usn. */
static void reply_session_status(struct req *r, int created)
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbr_error(r, w->rc, 0, w->err);
		return;
	}
	struct jw jw;
	vbr_json(r, created ? 201 : 200, &jw);
	vbr_render_session(&jw, &w->sess, r->version, 1);
	char etag[32];
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)w->sess.usn);
	req_add_header(r, "ETag", arena_strdup(r->arena, etag));
	if(created) {
		char id[UUID_STR_LEN + 1];
		uuid_format(&w->sess.id, id);
		req_add_header(r, "Location", arena_printf(r->arena, "/api/v1/sessions/%s", id));
	}
}

static void reply_session(struct req *r)
{
	reply_session_status(r, 0);
}

static void reply_session_created(struct req *r)
{
	reply_session_status(r, 1);
}

/* A task write's answer: the task in the 1.2+ shape whatever the version, plus the
 * parent session's stop flag, which the write read in the same transaction. */
static void reply_task_status(struct req *r, int created)
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbr_error(r, w->rc, 0, w->err);
		return;
	}
	struct jw jw;
	vbr_json(r, created ? 201 : 200, &jw);
	vbr_render_task(&jw, &w->task, r->version, &w->sess.stop_requested);
	if(created) {
		char id[UUID_STR_LEN + 1];
		uuid_format(&w->task.id, id);
		req_add_header(r, "Location", arena_printf(r->arena, "/api/v1/taskSessions/%s", id));
	}
}

static void reply_task(struct req *r)
{
	reply_task_status(r, 0);
}

static void reply_task_created(struct req *r)
{
	reply_task_status(r, 1);
}

/* ---------- sessions ---------- */

static const char *const create_fields[] = {
	"id", "name", "sessionType", "jobId", "jobName", "parentSessionId", "resourceId", "resourceReference",
	"platformName", "initiatedBy", "state", "progressPercent", "creationTime", "backupServer", "isRetry",
	"heartbeatSeconds", "result", "message", "endTime", "isCanceled", NULL,
};

void ingest_session_create(struct req *r)
{
	struct body b = {0};
	struct sess_rec *s = arena_zalloc(r->arena, sizeof(*s));
	int64_t progress = 0, heartbeat = 0;
	int has_result = 0;
	s->state = ST_WORKING;
	s->type = -1;
	if(parse_body(&b, r) || check_fields(&b, b.root, create_fields, 1) ||
	   get_uuid(&b, b.root, "id", &s->id) || get_str(&b, b.root, "name", 1, &s->name) ||
	   get_enum(&b, b.root, "sessionType", catalog_type_parse, NULL, &s->type) ||
	   get_uuid(&b, b.root, "jobId", &s->job_id) || get_str(&b, b.root, "jobName", 0, &s->job_name) ||
	   get_uuid(&b, b.root, "parentSessionId", &s->parent_id) ||
	   get_uuid(&b, b.root, "resourceId", &s->resource_id) ||
	   get_str(&b, b.root, "resourceReference", 0, &s->resource_ref) ||
	   get_str(&b, b.root, "platformName", 0, &s->platform_name) ||
	   get_str(&b, b.root, "initiatedBy", 0, &s->initiated_by) ||
	   get_enum(&b, b.root, "state", parse_state, NULL, &s->state) ||
	   get_int(&b, b.root, "progressPercent", 0, 100, NULL, &progress) ||
	   get_time(&b, b.root, "creationTime", &s->creation_us) ||
	   get_str(&b, b.root, "backupServer", 0, &s->backup_server) ||
	   get_bool(&b, b.root, "isRetry", &s->is_retry) || get_extra(&b, b.root, &s->extra) ||
	   get_int(&b, b.root, "heartbeatSeconds", 1, 31536000, NULL, &heartbeat) ||
	   get_enum(&b, b.root, "result", catalog_result_parse, &has_result, &s->result) ||
	   get_str(&b, b.root, "message", 0, &s->message) || get_time(&b, b.root, "endTime", &s->end_us) ||
	   get_bool(&b, b.root, "isCanceled", &s->is_canceled)) {
		body_error(r, &b);
		return;
	}
	/* A whole run in one request: state Stopped with its result (a finished session). */
	if(s->state == ST_STOPPED && (!has_result || s->result == RES_NONE)) {
		json_decref(b.root);
		vbr_error(r, RC_INVALID, 400, "state: a session created as Stopped needs its result (Success, Warning or "
		                              "Failed); a running one is completed through POST …/complete");
		return;
	}
	if(s->state != ST_STOPPED && (has_result || s->end_us || s->is_canceled)) {
		json_decref(b.root);
		vbr_error(r, RC_INVALID, 400, "result, endTime and isCanceled are for a session created as Stopped");
		return;
	}
	s->heartbeat_s = (int)heartbeat;
	json_decref(b.root);
	if(s->type < 0) {
		vbr_error(r, RC_INVALID, 400, "sessionType is required");
		return;
	}
	s->progress = (int)progress;
	if(!s->backup_server)
		s->backup_server = core_info()->server_name;
	core_session_create(api_write(r, reply_session_created), s);
}

static const char *const patch_fields[] = {"state", "progressPercent", "name", "message", "heartbeatSeconds", NULL};
static const char *const task_patch_fields[] = {"state", "progressPercent", "totalSize", "reason", "message", "name", NULL};

static const char *json_ws(const char *p, const char *end)
{
	while(p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A progress report's usual body, {"progressPercent":k} with k from 0 to 100 (JSON
 * whitespace allowed between tokens), read without building a JSON tree: 1 and *out
 * when the body is exactly that, else 0 and the body goes through parse_body. It
 * accepts only bodies jansson accepts with the same meaning (no escapes in the key,
 * no fraction, exponent, sign or leading zero in the number), so that what it
 * refuses and why stays with the full parser. */
static int lone_progress(const char *p, size_t n, int *out)
{
	static const char key[] = "\"progressPercent\"";
	if(!p)
		return 0;
	const char *end = p + n;
	if((p = json_ws(p, end)) == end || *p++ != '{')
		return 0;
	p = json_ws(p, end);
	if((size_t)(end - p) < sizeof(key) - 1 || memcmp(p, key, sizeof(key) - 1))
		return 0;
	p = json_ws(p + sizeof(key) - 1, end);
	if(p == end || *p++ != ':')
		return 0;
	p = json_ws(p, end);
	int v = 0, digits = 0;
	while(p < end && *p >= '0' && *p <= '9' && digits < 4) {
		if(digits == 1 && v == 0)
			return 0;   /* a leading zero */
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if(!digits || v > 100)
		return 0;
	p = json_ws(p, end);
	if(p == end || *p++ != '}' || json_ws(p, end) != end)
		return 0;
	*out = v;
	return 1;
}

/* PATCH of a session or a task session: the same fields, a task adds totalSize and
 * reason, a session its info blocks. */
static void patch(struct req *r, int task)
{
	struct body b = {0};
	struct uuid id;
	struct sess_patch *p = arena_zalloc(r->arena, sizeof(*p));
	sess_patch_init(p, r->now_us);
	int64_t progress = 0, heartbeat = 0;
	if(vbr_path_uuid(r, 0, &id))
		return;
	if(lone_progress(r->body, r->body_len, &p->progress)) {
		p->has_progress = 1;
		if(if_match(r, &b, &p->if_match)) {
			body_error(r, &b);
			return;
		}
	} else {
		if(parse_body(&b, r) || check_fields(&b, b.root, task ? task_patch_fields : patch_fields, !task) ||
		   if_match(r, &b, &p->if_match) || get_enum(&b, b.root, "state", parse_state, &p->has_state, &p->state) ||
		   get_int(&b, b.root, "progressPercent", 0, 100, &p->has_progress, &progress) ||
		   get_str(&b, b.root, "name", 0, &p->name) || get_str(&b, b.root, "message", 0, &p->message) ||
		   (task ? get_int(&b, b.root, "totalSize", 0, INT64_MAX, NULL, &p->total_size) ||
		               get_str(&b, b.root, "reason", 0, &p->reason)
		         : get_extra(&b, b.root, &p->extra) ||
		               get_int(&b, b.root, "heartbeatSeconds", 1, 31536000, &p->has_heartbeat, &heartbeat))) {
			body_error(r, &b);
			return;
		}
		json_decref(b.root);
		p->progress = (int)progress;
		p->heartbeat_s = (int)heartbeat;
	}
	if(task)
		core_task_patch(api_write(r, reply_task), &id, p);
	else
		core_session_patch(api_write(r, reply_session), &id, p);
}

void ingest_session_patch(struct req *r)
{
	patch(r, 0);
}

static const char *const complete_fields[] = {"result", "message", "isCanceled", "endTime", NULL};

static int parse_complete(struct req *r, struct body *b, struct sess_complete *c)
{
	c->is_canceled = -1;
	c->end_us = 0;              /* now */
	c->result = -1;
	if(parse_body(b, r) || check_fields(b, b->root, complete_fields, 0) || if_match(r, b, &c->if_match) ||
	   get_enum(b, b->root, "result", catalog_result_parse, NULL, &c->result) ||
	   get_str(b, b->root, "message", 0, &c->message) || get_bool(b, b->root, "isCanceled", &c->is_canceled) ||
	   get_time(b, b->root, "endTime", &c->end_us))
		return -1;
	if(c->result < 0)
		return fail(b, "%s is required (Success, Warning, Failed or None)", "result");
	return 0;
}

/* POST …/complete of a session or a task session: the same body, another record. */
static void complete(struct req *r, int task)
{
	struct body b = {0};
	struct uuid id;
	struct sess_complete *c = arena_zalloc(r->arena, sizeof(*c));
	if(vbr_path_uuid(r, 0, &id))
		return;
	if(parse_complete(r, &b, c)) {
		body_error(r, &b);
		return;
	}
	json_decref(b.root);
	if(task)
		core_task_complete(api_write(r, reply_task), &id, c);
	else
		core_session_complete(api_write(r, reply_session), &id, c);
}

void ingest_session_complete(struct req *r)
{
	complete(r, 0);
}

/* ---------- logs (of sessions and task sessions) ---------- */

/* A log write's answer: the ids of the records written, the usn, the stop flag. */
static void reply_logs_status(struct req *r, int created)
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbr_error(r, w->rc, 0, w->err);
		return;
	}
	struct jw jw;
	vbr_json(r, created ? 201 : 200, &jw);
	jw_obj(&jw);
	jw_key(&jw, "ids");
	jw_arr(&jw);
	for(int i = 0; i < w->in.nlogs; i++)
		jw_int(&jw, w->in.logs[i].id);
	jw_arr_end(&jw);
	jw_kint(&jw, "usn", w->usn);
	jw_kbool(&jw, "stopRequested", w->sess.stop_requested);
	jw_obj_end(&jw);
}

static void reply_logs(struct req *r)
{
	reply_logs_status(r, 0);
}

static void reply_logs_created(struct req *r)
{
	reply_logs_status(r, 1);
}

static const char *const record_fields[] = {"status", "title", "description", "startTime", "updateTime", NULL};

static int parse_record(struct body *b, json_t *obj, struct log_rec *l, int64_t now_us, int is_patch)
{
	if(!json_is_object(obj))
		return fail(b, "%s must hold objects", "records");
	l->status = is_patch ? -1 : LOG_NONE;
	l->start_us = l->update_us = 0;   /* now */
	if(check_fields(b, obj, record_fields, 0) ||
	   get_enum(b, obj, "status", catalog_log_status_parse, NULL, &l->status) ||
	   get_str(b, obj, "title", !is_patch, &l->title) || get_str(b, obj, "description", 0, &l->description) ||
	   get_time(b, obj, "startTime", &l->start_us) || get_time(b, obj, "updateTime", &l->update_us))
		return -1;
	if(!is_patch && !json_object_get(obj, "updateTime"))
		l->update_us = l->start_us;
	return 0;
}

/* POST …/logs: owner says whose log the path names. */
static void log_append(struct req *r, enum core_owner owner)
{
	struct body b = {0};
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	if(parse_body(&b, r)) {
		body_error(r, &b);
		return;
	}
	static const char *const fields[] = {"records", NULL};
	json_t *recs = json_object_get(b.root, "records");
	if(check_fields(&b, b.root, fields, 0) || (!json_is_array(recs) && fail(&b, "%s must be an array", "records")) ||
	   (json_array_size(recs) == 0 && fail(&b, "%s must not be empty", "records")) ||
	   (json_array_size(recs) > MAX_LOG_RECORDS && fail(&b, "%s holds more than 1000 records", "records"))) {
		body_error(r, &b);
		return;
	}
	int n = (int)json_array_size(recs);
	struct log_rec *logs = arena_zalloc(r->arena, sizeof(struct log_rec) * (size_t)n);
	for(int i = 0; i < n; i++)
		if(parse_record(&b, json_array_get(recs, (size_t)i), &logs[i], r->now_us, 0)) {
			body_error(r, &b);
			return;
		}
	json_decref(b.root);
	core_log_append(api_write(r, reply_logs_created), owner, &id, logs, n);
}

void ingest_session_log_append(struct req *r)
{
	log_append(r, OWNER_SESSION);
}

void ingest_task_log_append(struct req *r)
{
	log_append(r, OWNER_TASK);
}

/* PATCH …/logs/{rid}: owner says whose log the path names. */
static void log_patch(struct req *r, enum core_owner owner)
{
	struct body b = {0};
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	char *end;
	long long rid = strtoll(r->params[1], &end, 10);
	if(*end || rid < 1) {
		vbr_error(r, RC_INVALID, 400, "the log record id in the path must be a positive integer");
		return;
	}
	struct log_rec *l = arena_zalloc(r->arena, sizeof(*l));
	if(parse_body(&b, r) || parse_record(&b, b.root, l, r->now_us, 1)) {
		body_error(r, &b);
		return;
	}
	json_decref(b.root);
	l->id = rid;
	if(l->status < 0) {
		vbr_error(r, RC_INVALID, 400, "status is required when updating a log record");
		return;
	}
	core_log_update(api_write(r, reply_logs), owner, &id, l);
}

void ingest_session_log_patch(struct req *r)
{
	log_patch(r, OWNER_SESSION);
}

void ingest_task_log_patch(struct req *r)
{
	log_patch(r, OWNER_TASK);
}

/* ---------- task sessions ---------- */

static const char *const task_fields[] = {
	"id", "name", "type", "state", "progressPercent", "totalSize", "reason", "restorePointId", "repositoryId",
	"creationTime", NULL,
};

void ingest_task_create(struct req *r)
{
	struct body b = {0};
	struct task_rec *t = arena_zalloc(r->arena, sizeof(*t));
	int64_t progress = 0, size = 0;
	t->state = ST_WORKING;
	t->type = TT_BACKUP;
	if(vbr_path_uuid(r, 0, &t->session_id))
		return;
	if(parse_body(&b, r) || check_fields(&b, b.root, task_fields, 0) || get_uuid(&b, b.root, "id", &t->id) ||
	   get_str(&b, b.root, "name", 1, &t->name) ||
	   get_enum(&b, b.root, "type", catalog_task_type_parse, NULL, &t->type) ||
	   get_enum(&b, b.root, "state", parse_state, NULL, &t->state) ||
	   get_int(&b, b.root, "progressPercent", 0, 100, NULL, &progress) ||
	   get_int(&b, b.root, "totalSize", 0, INT64_MAX, NULL, &size) || get_str(&b, b.root, "reason", 0, &t->reason) ||
	   get_uuid(&b, b.root, "restorePointId", &t->restore_point_id) ||
	   get_uuid(&b, b.root, "repositoryId", &t->repository_id) ||
	   get_time(&b, b.root, "creationTime", &t->creation_us)) {
		body_error(r, &b);
		return;
	}
	json_decref(b.root);
	t->progress = (int)progress;
	t->total_size = size;
	core_task_create(api_write(r, reply_task_created), t);
}

void ingest_task_patch(struct req *r)
{
	patch(r, 1);
}

void ingest_task_complete(struct req *r)
{
	complete(r, 1);
}
