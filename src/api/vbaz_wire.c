/* VB for Azure: the wire mapping under the routes of vbaz.c — versions and type
 * spellings, problem+json errors, a JobSession in JSON, CSV and XML, and the row feed
 * behind both the JobSession pages and POST jobSessions/export.
 *
 * The feed (struct vbaz__feed) reads the store in keyset chunks of at most FEED_CHUNK rows
 * into a chunk arena reset between chunks, and ends a chunk early once the piece it
 * renders passes FEED_PART_BYTES, so a list or an export of any size and any row size is
 * streamed in memory bounded by that budget plus one row. Info blocks kept in a session's extra JSON are reduced to the schema's
 * properties: a value of the wrong type is never shown. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/vbaz.h"
#include "model/catalog.h"
#include "core/core.h"
#include "model/query.h"
#include "util/timefmt.h"
#include "util/xw.h"

#define FEED_CHUNK 1000       /* rows in one store read at most */
#define FEED_PART_BYTES (256 * 1024) /* a piece ends at the row that takes it past this */

static int64_t duration_of(const struct sess_rec *s, int64_t now)
{
	int64_t stop = s->end_us ? s->end_us : now;
	return stop > s->creation_us ? stop - s->creation_us : 0;
}


#define PROBLEM_TYPE "application/problem+json"

static const struct {
	int status;
	const char *title;
	const char *type;
} problems[] = {
	{400, "Bad Request", "https://tools.ietf.org/html/rfc7231#section-6.5.1"},
	{401, "Unauthorized", "https://tools.ietf.org/html/rfc7235#section-3.1"},
	{403, "Forbidden", "https://tools.ietf.org/html/rfc7231#section-6.5.3"},
	{404, "Not Found", "https://tools.ietf.org/html/rfc7231#section-6.5.4"},
	{405, "Method Not Allowed", "https://tools.ietf.org/html/rfc7231#section-6.5.5"},
	{409, "Conflict", "https://tools.ietf.org/html/rfc7231#section-6.5.8"},
	{412, "Precondition Failed", "https://tools.ietf.org/html/rfc7232#section-4.2"},
	{413, "Payload Too Large", "https://tools.ietf.org/html/rfc7231#section-6.5.11"},
	{500, "Internal Server Error", "https://tools.ietf.org/html/rfc7231#section-6.6.1"},
	{503, "Service Unavailable", "https://tools.ietf.org/html/rfc7231#section-6.6.4"},
};

static int no_row(void *ctx, const struct sess_rec *s)
{
	(void)ctx;
	(void)s;
	return 0;
}


/* ---------- info blocks ---------- */

enum pkind { P_STR, P_UUID, P_INT, P_BOOL, P_TIME, P_ENUM, P_FLR };

struct prop {
	const char *name;
	enum pkind kind;
	const char *const *values;    /* P_ENUM: allowed values, NULL-terminated */
	int since;                    /* first API version with the property (v1 has no policyType) */
};

static const char *const policy_types[] = {
	"VirtualMachines", "AzureSql", "FileShares", "Unknown", "CosmosDb", "ProtectionVmPolicy", "Vnet", NULL,
};
static const char *const priorities[] = {"Normal", "High", "Unknown", NULL};

static const struct prop backup_props[] = {
	{"policyId", P_UUID, NULL, 0}, {"policyName", P_STR, NULL, 0}, {"policyType", P_ENUM, policy_types, AZ_V2},
	{"protectedInstancesCount", P_INT, NULL, 0}, {"policyRemoved", P_BOOL, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop health_props[] = {
	{"policyId", P_UUID, NULL, 0}, {"policyName", P_STR, NULL, 0}, {"checkedInstancesCount", P_INT, NULL, 0},
	{"policyRemoved", P_BOOL, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop restore_props[] = {
	{"reason", P_STR, NULL, 0}, {"backupPolicyDisplayName", P_STR, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop flr_props[] = {
	{"initiator", P_STR, NULL, 0}, {"reason", P_STR, NULL, 0}, {"flrLink", P_FLR, NULL, 0}, {"vmId", P_STR, NULL, 0},
	{"vmName", P_STR, NULL, 0}, {"backupPolicyDisplayName", P_STR, NULL, 0},
	{"restorePointCreatedDateUtc", P_TIME, NULL, 0}, {"isFlrSessionReady", P_BOOL, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop share_flr_props[] = {
	{"initiator", P_STR, NULL, 0}, {"reason", P_STR, NULL, 0}, {"flrLink", P_FLR, NULL, 0},
	{"fileShareId", P_STR, NULL, 0}, {"fileShareName", P_STR, NULL, 0}, {"backupPolicyDisplayName", P_STR, NULL, 0},
	{"restorePointCreatedDateUtc", P_TIME, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop repository_props[] = {
	{"repositoryId", P_STR, NULL, 0}, {"repositoryName", P_STR, NULL, 0}, {"repositoryRemoved", P_BOOL, NULL, 0},
	{NULL, 0, NULL, 0},
};
static const struct prop retrieval_props[] = {
	{"restorePointId", P_UUID, NULL, 0}, {"sqlRestorePointId", P_UUID, NULL, 0},
	{"cosmosDbRestorePointId", P_UUID, NULL, 0}, {"initiator", P_STR, NULL, 0}, {"instanceName", P_STR, NULL, 0},
	{"daysToKeep", P_INT, NULL, 0}, {"dataRetrievalPriority", P_ENUM, priorities, 0}, {NULL, 0, NULL, 0},
};
static const struct prop retention_props[] = {
	{"deletedRestorePointsCount", P_INT, NULL, 0}, {NULL, 0, NULL, 0},
};

/* The JobSession info blocks in v8.1 schema order; v1 documents four of them. */
static const struct block {
	const char *name;
	const struct prop *props;
	int since;
} blocks[] = {
	{"backupJobInfo", backup_props, AZ_V1},
	{"healthCheckJobInfo", health_props, AZ_V2},
	{"restoreJobInfo", restore_props, AZ_V1},
	{"fileLevelRestoreJobInfo", flr_props, AZ_V1},
	{"fileShareFileLevelRestoreJobInfo", share_flr_props, AZ_V2},
	{"repositoryJobInfo", repository_props, AZ_V1},
	{"restorePointDataRetrievalJobInfo", retrieval_props, AZ_V2},
	{"retentionJobInfo", retention_props, AZ_V2},
};
#define NBLOCKS (sizeof(blocks) / sizeof(blocks[0]))

static const char *const flr_link_props[] = {"url", "thumbprint"};

/* The value of one property as text when it is present and fits its schema; NULL
 * otherwise (absent, null, or of the wrong type: never shown). tmp holds 40 bytes. */
static const char *prop_text(const struct prop *p, json_t *v, char *tmp, int *is_str)
{
	*is_str = 1;
	if(!v || json_is_null(v))
		return NULL;
	switch(p->kind) {
	case P_STR:
		return json_is_string(v) ? json_string_value(v) : NULL;
	case P_UUID: {
		struct uuid u;
		if(!json_is_string(v) || uuid_parse(json_string_value(v), json_string_length(v), &u))
			return NULL;
		uuid_format(&u, tmp);
		return tmp;
	}
	case P_TIME: {
		int64_t us;
		if(!json_is_string(v) || time_parse(json_string_value(v), json_string_length(v), &us))
			return NULL;
		time_format(us, VBAZ_TIME_DIGITS, tmp);
		return tmp;
	}
	case P_ENUM:
		if(!json_is_string(v))
			return NULL;
		for(const char *const *e = p->values; *e; e++)
			if(!strcmp(*e, json_string_value(v)))
				return *e;
		return NULL;
	case P_INT:
		*is_str = 0;
		if(!json_is_integer(v) || json_integer_value(v) < -2147483648LL || json_integer_value(v) > 2147483647LL)
			return NULL;
		snprintf(tmp, 40, "%lld", (long long)json_integer_value(v));
		return tmp;
	case P_BOOL:
		*is_str = 0;
		return json_is_boolean(v) ? (json_is_true(v) ? "true" : "false") : NULL;
	case P_FLR:
		return NULL;
	}
	return NULL;
}

/* What a walk over one info block calls: open and close around the block and around
 * an flrLink object (present 0 when it is absent: CSV still has their columns), value
 * for every property in schema order, text NULL when absent or not as the schema says. */
struct block_sink {
	void (*open)(void *ctx, const char *name, int present);
	void (*value)(void *ctx, const char *name, const char *text, int is_str);
	void (*close)(void *ctx, int present);
	void *ctx;
};

static void walk_block(const struct block *b, json_t *obj, int version, const struct block_sink *k)
{
	int present = json_is_object(obj);
	k->open(k->ctx, b->name, present);
	for(const struct prop *p = b->props; p->name; p++) {
		if(version < p->since)
			continue;
		json_t *v = present ? json_object_get(obj, p->name) : NULL;
		if(p->kind == P_FLR) {
			int has = json_is_object(v);
			k->open(k->ctx, p->name, has);
			for(size_t i = 0; i < 2; i++) {
				json_t *sv = has ? json_object_get(v, flr_link_props[i]) : NULL;
				k->value(k->ctx, flr_link_props[i], json_is_string(sv) ? json_string_value(sv) : NULL, 1);
			}
			k->close(k->ctx, has);
			continue;
		}
		char tmp[40];
		int is_str;
		const char *t = prop_text(p, v, tmp, &is_str);
		k->value(k->ctx, p->name, t, is_str);
	}
	k->close(k->ctx, present);
}

static void json_open(void *ctx, const char *name, int present)
{
	if(present) {
		jw_key(ctx, name);
		jw_obj(ctx);
	}
}

static void json_value(void *ctx, const char *name, const char *text, int is_str)
{
	if(!text)
		return;
	jw_key(ctx, name);
	if(is_str)
		jw_str(ctx, text);
	else
		jw_raw(ctx, text, strlen(text));
}

static void json_close(void *ctx, int present)
{
	if(present)
		jw_obj_end(ctx);
}

/* The policy type a policy session's workload gives, by the prefix of its v8.1
 * JobSessionType value; the first row whose prefix matches wins. */
static const struct {
	const char *prefix;
	const char *policy_type;
} policy_types_of[] = {
	{"Sql", "AzureSql"}, {"FileShare", "FileShares"}, {"Vnet", "Vnet"}, {"PostgresDb", "CosmosDb"},
	{"MongoDb", "CosmosDb"}, {"", "VirtualMachines"},
};

const char *vbaz__policy_type(const struct sess_rec *s)
{
	const char *t = vbaz__az_type(s->type, AZ_V81);
	if(!strstr(t, "Policy"))
		return NULL;
	for(size_t i = 0; i < sizeof(policy_types_of) / sizeof(policy_types_of[0]); i++)
		if(!strncmp(t, policy_types_of[i].prefix, strlen(policy_types_of[i].prefix)))
			return policy_types_of[i].policy_type;
	return NULL;
}

/* The info blocks of a session: those of its extra JSON, and for a policy session a
 * backupJobInfo completed from its job (policyId is the job id, which PolicyId filters
 * on; policyName the job name; policyType by workload, also in place of a value that is
 * no PolicyType; policyRemoved false). */
static json_t *parse_extra(const struct sess_rec *s)
{
	json_t *x = s->extra ? json_loads(s->extra, 0, NULL) : NULL;
	if(x && !json_is_object(x)) {
		json_decref(x);
		x = NULL;
	}
	const char *ptype = vbaz__policy_type(s);
	if(!ptype)
		return x;
	if(!x)
		x = json_object();
	json_t *b = json_object_get(x, "backupJobInfo");
	if(!json_is_object(b)) {
		b = json_object();
		json_object_set_new(x, "backupJobInfo", b);
	}
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->job_id, id);
	json_object_set_new(b, "policyId", json_string(id));
	const char *name = s->job_name && *s->job_name ? s->job_name : s->name;
	if(!json_is_string(json_object_get(b, "policyName")) && name)
		json_object_set_new(b, "policyName", json_string(name));
	json_t *pt = json_object_get(b, "policyType");
	int known = 0;
	for(const char *const *e = policy_types; json_is_string(pt) && *e; e++)
		known |= !strcmp(*e, json_string_value(pt));
	if(!known)
		json_object_set_new(b, "policyType", json_string(ptype));
	if(!json_is_boolean(json_object_get(b, "policyRemoved")))
		json_object_set_new(b, "policyRemoved", json_false());
	return x;
}

/* ---------- JobSession ---------- */

static void link(struct jw *w, const char *key, const char *base, const char *id, const char *tail)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%s/jobSessions/%s%s", base, id, tail);
	jw_key(w, key);
	jw_obj(w);
	jw_kstr(w, "href", buf_cstr(&b));
	jw_obj_end(w);
	buf_free(&b);
}

void vbaz__render_session(struct jw *w, const struct sess_rec *s, const struct vbaz__render_ctx *c)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->id, id);
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "type", vbaz__az_type(s->type, c->version));
	jw_kstr(w, "localizedType", catalog_type_az_label(s->type));
	vbaz__ktime(w, "executionStartTime", s->creation_us);
	if(s->end_us)
		vbaz__ktime(w, "executionStopTime", s->end_us);
	else
		jw_knull(w, "executionStopTime");
	vbaz__kspan(w, "executionDuration", duration_of(s, c->now));
	jw_kstr(w, "status", catalog_az_status(s->state, s->result, s->is_canceled, s->stop_requested));
	if(c->version == AZ_V1)
		jw_kint(w, "usn", s->usn);
	json_t *x = parse_extra(s);
	struct block_sink k = {json_open, json_value, json_close, w};
	for(size_t i = 0; x && i < NBLOCKS; i++) {
		json_t *b = json_object_get(x, blocks[i].name);
		if(c->version >= blocks[i].since && json_is_object(b))
			walk_block(&blocks[i], b, c->version, &k);
	}
	json_decref(x);
	jw_key(w, "_links");
	jw_obj(w);
	link(w, "self", c->base, id, "");
	link(w, "log", c->base, id, "/log");
	jw_obj_end(w);
	jw_obj_end(w);
}

/* ---------- CSV and XML rows ---------- */

static void csv_field(struct buf *b, const char *s)
{
	if(!s)
		return;
	if(!strpbrk(s, ",\"\r\n")) {
		buf_addstr(b, s);
		return;
	}
	buf_addc(b, '"');
	for(const char *p = s; *p; p++) {
		if(*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

static const char *const base_columns[] = {
	"id", "type", "localizedType", "executionStartTime", "executionStopTime", "executionDuration", "status",
};
#define NBASE (sizeof(base_columns) / sizeof(base_columns[0]))

/* The CSV header: every block property as block.prop (block.flrLink.url). */
struct csv_names {
	struct buf *b;
	const char *path[2];
	int depth;
};

static void name_open(void *ctx, const char *name, int present)
{
	struct csv_names *n = ctx;
	n->path[n->depth++] = name;
}

static void name_value(void *ctx, const char *name, const char *text, int is_str)
{
	struct csv_names *n = ctx;
	for(int i = 0; i < n->depth; i++)
		buf_printf(n->b, "%c%s", i ? '.' : ',', n->path[i]);
	buf_printf(n->b, ".%s", name);
}

static void name_close(void *ctx, int present)
{
	struct csv_names *n = ctx;
	n->depth--;
}

static void csv_header(struct buf *b)
{
	for(size_t i = 0; i < NBASE; i++) {
		if(i)
			buf_addc(b, ',');
		buf_addstr(b, base_columns[i]);
	}
	struct csv_names n = {.b = b};
	struct block_sink k = {name_open, name_value, name_close, &n};
	for(size_t i = 0; i < NBLOCKS; i++)
		walk_block(&blocks[i], NULL, AZ_V81, &k);
	buf_addstr(b, "\r\n");
}

/* The base column values of a session (static or in the caller's arrays). */
static void base_values(const struct sess_rec *s, const struct vbaz__render_ctx *c, const char *v[NBASE],
                        char id[UUID_STR_LEN + 1], char start[TIME_STR_MAX], char stop[TIME_STR_MAX], char span[40])
{
	uuid_format(&s->id, id);
	time_format(s->creation_us, VBAZ_TIME_DIGITS, start);
	if(s->end_us)
		time_format(s->end_us, VBAZ_TIME_DIGITS, stop);
	timespan_format(duration_of(s, c->now), span);
	v[0] = id;
	v[1] = vbaz__az_type(s->type, c->version);
	v[2] = catalog_type_az_label(s->type);
	v[3] = start;
	v[4] = s->end_us ? stop : NULL;
	v[5] = span;
	v[6] = catalog_az_status(s->state, s->result, s->is_canceled, s->stop_requested);
}

static void csv_open(void *ctx, const char *name, int present) {}
static void csv_close(void *ctx, int present) {}

static void csv_value(void *ctx, const char *name, const char *text, int is_str)
{
	buf_addc(ctx, ',');
	csv_field(ctx, text);
}

static void xml_open(void *ctx, const char *name, int present)
{
	if(present)
		xw_start(ctx, name);
}

static void xml_value(void *ctx, const char *name, const char *text, int is_str)
{
	xw_elem(ctx, name, text);
}

static void xml_close(void *ctx, int present)
{
	if(present)
		xw_end(ctx);
}

static void csv_row(struct buf *b, const struct sess_rec *s, const struct vbaz__render_ctx *c)
{
	const char *v[NBASE];
	char id[UUID_STR_LEN + 1], start[TIME_STR_MAX], stop[TIME_STR_MAX], span[40];
	base_values(s, c, v, id, start, stop, span);
	for(size_t i = 0; i < NBASE; i++) {
		if(i)
			buf_addc(b, ',');
		csv_field(b, v[i]);
	}
	json_t *x = parse_extra(s);
	struct block_sink k = {csv_open, csv_value, csv_close, b};
	for(size_t i = 0; i < NBLOCKS; i++)
		walk_block(&blocks[i], x ? json_object_get(x, blocks[i].name) : NULL, c->version, &k);
	json_decref(x);
	buf_addstr(b, "\r\n");
}

static void xml_row(struct xw *w, const struct sess_rec *s, const struct vbaz__render_ctx *c)
{
	const char *v[NBASE];
	char id[UUID_STR_LEN + 1], start[TIME_STR_MAX], stop[TIME_STR_MAX], span[40];
	base_values(s, c, v, id, start, stop, span);
	xw_start(w, "JobSession");
	for(size_t i = 0; i < NBASE; i++)
		xw_elem(w, base_columns[i], v[i]);
	json_t *x = parse_extra(s);
	struct block_sink k = {xml_open, xml_value, xml_close, w};
	for(size_t i = 0; x && i < NBLOCKS; i++) {
		json_t *blk = json_object_get(x, blocks[i].name);
		if(json_is_object(blk))
			walk_block(&blocks[i], blk, c->version, &k);
	}
	json_decref(x);
	xw_end(w);
}

/* ---------- the row feed: pages, exports ---------- */



struct vbaz__feed {
	const struct qexpr *where;    /* the filter, in the request arena */
	enum vbaz__feed_format fmt;
	struct vbaz__render_ctx rc;
	int64_t offset;               /* echoed in the page; skipped before the first chunk */
	int64_t limit;                /* echoed in the page */
	int64_t remaining;            /* rows still to send; < 0: all */
	int64_t total;                /* totalCount of the page */
	const char *self;             /* the page's self link */
	int started, finished;
	int have_last;
	int64_t last_creation;        /* keyset: the last row sent */
	struct uuid last_id;
	struct arena chunk;           /* reset before every chunk */
	struct buf *out;              /* where the current call writes */
	struct jw jw;
	struct xw xw;
	int64_t rows;                 /* rows in the current chunk */
	int full;                     /* the current chunk stopped at the byte budget */
	struct buf pending;           /* rendered before streaming began, sent first */
};

static int feed_row(void *ctx, const struct sess_rec *s)
{
	struct vbaz__feed *f = ctx;
	f->rows++;
	f->have_last = 1;
	f->last_creation = s->creation_us;
	f->last_id = s->id;
	switch(f->fmt) {
	case VBAZ_PAGE: vbaz__render_session(&f->jw, s, &f->rc); break;
	case VBAZ_CSV: csv_row(f->out, s, &f->rc); break;
	case VBAZ_XML: xml_row(&f->xw, s, &f->rc); break;
	}
	if(f->out->len >= FEED_PART_BYTES) {
		f->full = 1;
		return 1;             /* the rest of the chunk comes with the next piece */
	}
	return 0;
}

static void feed_head(struct vbaz__feed *f)
{
	switch(f->fmt) {
	case VBAZ_PAGE:
		jw_obj(&f->jw);
		jw_kint(&f->jw, "offset", f->offset);
		jw_kint(&f->jw, "limit", f->limit);
		jw_kint(&f->jw, "totalCount", f->total);
		jw_key(&f->jw, "results");
		jw_arr(&f->jw);
		break;
	case VBAZ_CSV: csv_header(f->out); break;
	case VBAZ_XML:
		xw_init(&f->xw, f->out);
		xw_start(&f->xw, "JobSessions");
		break;
	}
}

static void feed_tail(struct vbaz__feed *f)
{
	switch(f->fmt) {
	case VBAZ_PAGE:
		jw_arr_end(&f->jw);
		jw_key(&f->jw, "_links");
		jw_obj(&f->jw);
		jw_key(&f->jw, "self");
		jw_obj(&f->jw);
		jw_kstr(&f->jw, "href", f->self);
		jw_obj_end(&f->jw);
		jw_obj_end(&f->jw);
		jw_obj_end(&f->jw);
		break;
	case VBAZ_CSV: break;
	case VBAZ_XML: xw_finish(&f->xw); break;
	}
}

/* Appends the next piece to out: 1 more follows, 0 this was the last, -1 failed. */
static int feed_next(struct vbaz__feed *f, struct buf *out)
{
	f->out = out;
	f->jw.b = out;
	f->xw.b = out;
	if(!f->started) {
		f->started = 1;
		feed_head(f);
	}
	if(f->finished)
		return 0;
	arena_reset(&f->chunk);
	int64_t want = f->remaining < 0 || f->remaining > FEED_CHUNK ? FEED_CHUNK : f->remaining;
	struct query q = {.where = f->where, .order = QO_CREATION, .asc = 0, .limit = want};
	if(!f->have_last) {
		q.skip = f->offset;
	} else {
		struct arena *a = &f->chunk;
		const struct qexpr *older = q_or(a, q_int(a, QF_CREATION, Q_LT, f->last_creation),
		                                 q_and(a, q_int(a, QF_CREATION, Q_EQ, f->last_creation),
		                                       q_uuid(a, QF_ID, Q_LT, &f->last_id)));
		q.where = q_and(a, f->where, older);
	}
	f->rows = 0;
	f->full = 0;
	if(want > 0 && core_session_list(&q, &f->chunk, feed_row, f, NULL))
		return -1;
	if(f->remaining > 0)
		f->remaining -= f->rows;
	if(want == 0 || (f->rows < want && !f->full) || f->remaining == 0) {
		f->finished = 1;
		feed_tail(f);
		return 0;
	}
	return 1;
}

static int feed_stream(struct req *r, struct buf *part)
{
	struct vbaz__feed *f = r->work;
	if(f->pending.len) {
		buf_add(part, f->pending.p, f->pending.len);
		buf_free(&f->pending);
		return 1;
	}
	return feed_next(f, part);
}

static void feed_done(struct req *r)
{
	struct vbaz__feed *f = r->work;
	arena_free(&f->chunk);
	buf_free(&f->pending);
}

struct vbaz__feed *vbaz__feed_new(struct req *r, enum vbaz__feed_format fmt, const struct qexpr *where)
{
	struct vbaz__feed *f = arena_zalloc(r->arena, sizeof(*f));
	f->fmt = fmt;
	f->where = where;
	f->rc.base = vbaz__api_base(r);
	f->rc.version = r->version;
	f->rc.now = r->now_us;
	f->remaining = -1;
	arena_init(&f->chunk);
	buf_init(&f->pending, 0);
	r->work = f;
	r->stream_done = feed_done;
	return f;
}

/* Sends the feed: a small answer at once (with its length), anything else streamed; a
 * buffered answer that grows past FEED_PART_BYTES is streamed from there on. */
void vbaz__feed_send(struct req *r, struct vbaz__feed *f, int status, const char *ctype, int buffered)
{
	r->status = status;
	r->ctype = ctype;
	buf_reset(&r->out);
	jw_init(&f->jw, &r->out);
	if(buffered) {
		int more;
		while((more = feed_next(f, &r->out)) > 0 && r->out.len < FEED_PART_BYTES)
			;
		if(more < 0 || r->out.failed) {
			vbaz__error(r, RC_BACKEND, 500, "cannot read the sessions");
			return;
		}
		if(!more)
			return;
		buf_add(&f->pending, r->out.p, r->out.len);
		buf_reset(&r->out);
	}
	r->stream = feed_stream;
}

void vbaz__send_page(struct req *r, const struct qexpr *where, int64_t offset, int64_t limit, int64_t total,
                     const char *self, int buffered)
{
	struct vbaz__feed *f = vbaz__feed_new(r, VBAZ_PAGE, where);
	f->offset = offset;
	f->limit = limit;
	f->remaining = limit;
	f->total = total;
	f->self = self;
	vbaz__feed_send(r, f, 200, VBAZ_JSON_TYPE, buffered);
}

/* 400 naming a field or parameter. */
enum rc vbaz__bad(struct req *r, const char *field, const char *fmt, const char *value)
{
	char msg[300];
	snprintf(msg, sizeof(msg), fmt, field, value ? value : "");
	vbaz__problem(r, 400, field, msg);
	return RC_INVALID;
}

enum rc vbaz__count_where(struct req *r, const struct qexpr *where, int64_t *total)
{
	struct query q = {.where = where, .order = QO_CREATION, .limit = 0, .want_total = 1};
	*total = 0;
	enum rc rc = core_session_list(&q, r->arena, no_row, NULL, total);
	if(rc)
		vbaz__error(r, rc, 500, "cannot count the sessions");
	return rc;
}

void vbaz__error(struct req *r, enum rc rc, int status, const char *msg)
{
	if(!status)
		status = api_status(rc);
	vbaz__problem(r, status, NULL, msg);
}

void vbaz__kspan(struct jw *w, const char *key, int64_t us)
{
	char s[40];
	timespan_format(us > 0 ? us : 0, s);
	jw_kstr(w, key, s);
}

void vbaz__ktime(struct jw *w, const char *key, int64_t us)
{
	char t[TIME_STR_MAX];
	time_format(us, VBAZ_TIME_DIGITS, t);
	jw_kstr(w, key, t);
}

/* Writes the ProblemDetails body of status: 400 ProblemDetails400 (errors names the
 * field), 401 the fields ProblemDetails401 and ProblemDetailsTraceId share, 403
 * ProblemDetails403 (no detail there, so the message is the title), 404
 * ProblemDetails404, anything else ProblemDetailsTraceId. */
void vbaz__problem(struct req *r, int status, const char *field, const char *msg)
{
	const char *title = "Error", *type = "about:blank";
	for(size_t i = 0; i < sizeof(problems) / sizeof(problems[0]); i++)
		if(problems[i].status == status) {
			title = problems[i].title;
			type = problems[i].type;
		}
	r->status = status;
	r->ctype = PROBLEM_TYPE;
	r->stream = NULL;
	buf_reset(&r->out);
	if(status == 401)
		req_add_header(r, "WWW-Authenticate", "Bearer");
	struct jw w;
	jw_init(&w, &r->out);
	jw_obj(&w);
	jw_kstr(&w, "type", type);
	jw_kstr(&w, "title", status == 403 ? msg : title);
	jw_kint(&w, "status", status);
	if(status != 403)
		jw_kstr(&w, "detail", msg);
	if(status == 404)
		jw_kstr(&w, "instance", r->path);
	if(status != 401 && status != 403) {
		struct uuid t;
		char ts[UUID_STR_LEN + 1];
		uuid_v4(&t);
		uuid_format(&t, ts);
		jw_kstr(&w, "traceId", ts);
	}
	if(status == 400 && field) {
		jw_key(&w, "errors");
		jw_obj(&w);
		jw_key(&w, field);
		jw_arr(&w);
		jw_str(&w, msg);
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
}

/* Every JobStatus the catalog can fold a session into, plus NeverExecuted, a value
 * that exists in the enum but never describes a recorded session. */
int vbaz__status_known(const char *s)
{
	if(!strcmp(s, "NeverExecuted"))
		return 1;
	for(int st = 0; st < ST__COUNT; st++)
		for(int res = 0; res < RES__COUNT; res++)
			for(int c = 0; c < 4; c++)
				if(!strcmp(s, catalog_az_status(st, res, c & 1, c >> 1)))
					return 1;
	return 0;
}

/* The predicate for sessions whose folded status is one of names[0..n): every
 * (is_canceled, stop_requested, result) combination contributes the states that fold
 * into a wanted status, so the mapping stays catalog_az_status's alone. */
const struct qexpr *vbaz__status_where(struct arena *a, const char *const *names, int n)
{
	const struct qexpr *any = NULL;
	int matched = 0;
	for(int c = 0; c < 2; c++)
		for(int x = 0; x < 2; x++)
			for(int res = 0; res < RES__COUNT; res++) {
				int states[ST__COUNT], ns = 0;
				for(int st = 0; st < ST__COUNT; st++) {
					const char *got = catalog_az_status(st, res, c, x);
					for(int i = 0; i < n; i++)
						if(!strcmp(got, names[i])) {
							states[ns++] = st;
							break;
						}
				}
				if(!ns)
					continue;
				matched = 1;
				const struct qexpr *t = q_and(a, q_int(a, QF_IS_CANCELED, Q_EQ, c),
				                              q_and(a, q_int(a, QF_STOP_REQUESTED, Q_EQ, x),
				                                    q_and(a, q_int(a, QF_RESULT, Q_EQ, res),
				                                          q_in_ints(a, QF_STATE, states, ns))));
				any = any ? q_or(a, any, t) : t;
			}
	return matched ? any : q_in_ints(a, QF_STATE, NULL, 0);
}
