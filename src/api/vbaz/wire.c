/* VB for Azure: what every handler of the dialect answers with — problem+json errors in
 * the ProblemDetails shape the v8.1 document gives for each status, JSON answers, times
 * and spans in .NET's formats, query parameters, and the JobStatus filter. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/vbaz/vbaz.h"
#include "model/catalog.h"
#include "core/core.h"
#include "model/query.h"
#include "util/timefmt.h"

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

void vbaz__json_answer(struct req *r, int status, struct jw *w)
{
	r->status = status;
	r->ctype = VBAZ_JSON_TYPE;
	buf_reset(&r->out);
	jw_init(w, &r->out);
}

void vbaz__kuuid(struct jw *w, const char *key, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	jw_kstr(w, key, s);
}

enum rc vbaz__int_param(struct req *r, const char *name, int64_t min, int64_t def, int64_t *out)
{
	const char *v = req_query(r, name);
	*out = def;
	if(!v)
		return RC_OK;
	char *end;
	long long n = strtoll(v, &end, 10);
	if(!*v || *end || n < min || n > 2147483647LL)
		return vbaz__bad(r, name, min < 0 ? "%s must be an integer of at least -1, not '%.100s'"
		                            : "%s must be a non-negative integer, not '%.100s'", v);
	*out = n;
	return RC_OK;
}



/* A body where the operation takes none: nothing, null or {} (what clients send for
 * "no options") pass; a property, another JSON value or malformed JSON is a 400. */
enum rc vbaz__no_body(struct req *r, const char *model)
{
	size_t i = 0;
	while(i < r->body_len && strchr(" \t\r\n", r->body[i]))
		i++;
	if(!r->body || i == r->body_len)
		return RC_OK;
	json_error_t je;
	json_t *o = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &je);
	if(!o || !(json_is_null(o) || json_is_object(o))) {
		json_decref(o);
		return vbaz__bad(r, "body", "the %s of %.100s must be empty or a JSON object", model);
	}
	const char *key = json_is_object(o) ? json_object_iter_key(json_object_iter(o)) : NULL;
	enum rc rc = RC_OK;
	if(key) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s is not a property of %s: it takes no options", key, model);
		vbaz__problem(r, 400, key, msg);
		rc = RC_INVALID;
	}
	json_decref(o);
	return rc;
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
		vbaz__error(r, rc, 0, "cannot count the sessions");
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

/* Whether state st with (result, is_canceled, stop_requested) folds into one of names. */
static int status_wanted(int st, int res, int c, int x, const char *const *names, int n)
{
	const char *got = catalog_az_status(st, res, c, x);
	for(int i = 0; i < n; i++)
		if(!strcmp(got, names[i]))
			return 1;
	return 0;
}

/* One term of a status predicate: result IN results AND state IN states, and the
 * is_canceled / stop_requested tests it needs (c, x: -1 for none). */
struct status_term {
	int c, x;
	unsigned states, results;
};

/* Adds states under result res to the term of the same tests and states, or a new one. */
static void status_add(struct status_term *t, int *nt, int c, int x, unsigned states, int res)
{
	if(!states)
		return;
	for(int i = 0; i < *nt; i++)
		if(t[i].c == c && t[i].x == x && t[i].states == states) {
			t[i].results |= 1u << res;
			return;
		}
	t[(*nt)++] = (struct status_term){c, x, states, 1u << res};
}

static const struct qexpr *in_mask(struct arena *a, enum qfield f, unsigned mask, int count)
{
	int v[32], n = 0;
	for(int i = 0; i < count; i++)
		if(mask & (1u << i))
			v[n++] = i;
	return q_in_ints(a, f, v, n);
}

/* The predicate for sessions whose folded status is one of names[0..n): every (result,
 * is_canceled, stop_requested) combination contributes the states that fold into a wanted
 * status, so the mapping stays catalog_az_status's alone. A test the status does not depend
 * on is left out (a running session's status ignores is_canceled, a stopped one's
 * stop_requested), and results with the same states share a term, so that the indexes and
 * kept counts of state and result can serve. */
const struct qexpr *vbaz__status_where(struct arena *a, const char *const *names, int n)
{
	struct status_term t[RES__COUNT * 9];
	int nt = 0;
	for(int res = 0; res < RES__COUNT; res++) {
		unsigned m[2][2] = {{0}};   /* [is_canceled][stop_requested]: states wanted */
		for(int c = 0; c < 2; c++)
			for(int x = 0; x < 2; x++)
				for(int st = 0; st < ST__COUNT; st++)
					if(status_wanted(st, res, c, x, names, n))
						m[c][x] |= 1u << st;
		unsigned all = m[0][0] & m[0][1] & m[1][0] & m[1][1];   /* whatever c and x */
		status_add(t, &nt, -1, -1, all, res);
		for(int c = 0; c < 2; c++)
			for(int x = 0; x < 2; x++)
				m[c][x] &= ~all;
		for(int x = 0; x < 2; x++) {                             /* whatever c */
			unsigned both = m[0][x] & m[1][x];
			status_add(t, &nt, -1, x, both, res);
			m[0][x] &= ~both;
			m[1][x] &= ~both;
		}
		for(int c = 0; c < 2; c++) {                             /* whatever x */
			unsigned both = m[c][0] & m[c][1];
			status_add(t, &nt, c, -1, both, res);
			m[c][0] &= ~both;
			m[c][1] &= ~both;
		}
		for(int c = 0; c < 2; c++)
			for(int x = 0; x < 2; x++)
				status_add(t, &nt, c, x, m[c][x], res);
	}
	const struct qexpr *any = NULL;
	for(int i = 0; i < nt; i++) {
		const struct qexpr *e = q_and(a, in_mask(a, QF_RESULT, t[i].results, RES__COUNT),
		                              in_mask(a, QF_STATE, t[i].states, ST__COUNT));
		if(t[i].x >= 0)
			e = q_and(a, q_int(a, QF_STOP_REQUESTED, Q_EQ, t[i].x), e);
		if(t[i].c >= 0)
			e = q_and(a, q_int(a, QF_IS_CANCELED, Q_EQ, t[i].c), e);
		any = any ? q_or(a, any, e) : e;
	}
	return any ? any : q_in_ints(a, QF_STATE, NULL, 0);
}

/* ---------- query parameters and pages of the estate resources ---------- */

int vbaz__enum_index(const char *const *values, const char *s)
{
	for(int i = 0; values[i]; i++)
		if(!strcasecmp(values[i], s))
			return i;
	return -1;
}

enum rc vbaz__enum_param(struct req *r, const char *name, const char *const *values, unsigned *mask)
{
	const char *vals[64];
	int nv = req_query_all(r, name, vals, 64);
	*mask = 0;
	for(int i = 0; i < nv; i++)
		for(const char *p = vals[i]; *p;) {
			size_t len = strcspn(p, ",");
			char *one = arena_strndup(r->arena, p, len);
			int k = vbaz__enum_index(values, one);
			if(k < 0 || k >= 32)
				return vbaz__bad(r, name, "%s: unknown value '%.100s'", one);
			*mask |= 1u << k;
			p += len + (p[len] == ',');
		}
	return RC_OK;
}

enum rc vbaz__bool_param(struct req *r, const char *name, int *out)
{
	const char *v = req_query(r, name);
	*out = -1;
	if(!v || !*v)
		return RC_OK;
	if(!strcasecmp(v, "true"))
		*out = 1;
	else if(!strcasecmp(v, "false"))
		*out = 0;
	else
		return vbaz__bad(r, name, "%s must be true or false, not '%.100s'", v);
	return RC_OK;
}

enum rc vbaz__uuid_param(struct req *r, const char *name, struct uuid *u, int *present)
{
	const char *v = req_query(r, name);
	*present = 0;
	if(!v || !*v)
		return RC_OK;
	if(uuid_parse(v, strlen(v), u))
		return vbaz__bad(r, name, "%s must be a UUID, not '%.100s'", v);
	*present = 1;
	return RC_OK;
}

enum rc vbaz__paging(struct req *r, int64_t *offset, int64_t *limit)
{
	enum rc rc = vbaz__int_param(r, "Offset", 0, 0, offset);
	return rc ? rc : vbaz__int_param(r, "Limit", -1, VBAZ_DEFAULT_LIMIT, limit);
}

void vbaz__page_head(struct jw *w, int64_t offset, int64_t limit, int64_t total)
{
	jw_obj(w);
	jw_kint(w, "offset", offset);
	jw_kint(w, "limit", limit);
	jw_kint(w, "totalCount", total);
	jw_key(w, "results");
	jw_arr(w);
}

void vbaz__links(struct jw *w, const char *self, const char *rel, const char *href)
{
	jw_key(w, "_links");
	jw_obj(w);
	jw_key(w, "self");
	jw_obj(w);
	jw_kstr(w, "href", self);
	jw_obj_end(w);
	if(rel) {
		jw_key(w, rel);
		jw_obj(w);
		jw_kstr(w, "href", href);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

void vbaz__page_tail(struct jw *w, const char *self)
{
	jw_arr_end(w);
	vbaz__links(w, self, NULL, NULL);
	jw_obj_end(w);
}

void vbaz__not_found(struct req *r, const char *what)
{
	vbaz__problem(r, 404, NULL, arena_printf(r->arena, "no %s has this id", what));
}

int vbaz__path_in(struct req *r, int since, int until)
{
	if(r->version >= since && (!until || r->version <= until))
		return 1;
	const char *msg = until ? arena_printf(r->arena, "this resource is in API versions %s to %s", vbaz__version_name(since),
	                                       vbaz__version_name(until))
	                        : arena_printf(r->arena, "this resource is in API versions %s and later", vbaz__version_name(since));
	vbaz__problem(r, 404, NULL, msg);
	return 0;
}

/* ---------- pages of rows, streamed when long ---------- */

#define ROWS_BUFFERED 1000            /* longer pages are streamed */
#define ROWS_PART_BYTES (256 * 1024)  /* a piece ends at the row that takes it past this */

struct rows {
	size_t at, n;                 /* the next row, the rows to send */
	vbaz__row_fn row;
	void *ctx;
	int64_t offset, limit, total;
	const char *self;
	int started;
	struct jw jw;                 /* its nesting and commas last across pieces */
	struct arena chunk;           /* what a piece's rows allocate: reset before each piece */
	struct arena *req_arena;
	void *prev_work;              /* r->work and r->stream_done before us: chained */
	void (*prev_done)(struct req *r);
};

static int rows_stream(struct req *r, struct buf *part)
{
	struct rows *s = r->work;
	s->jw.b = part;
	if(!s->started) {
		s->started = 1;
		vbaz__page_head(&s->jw, s->offset, s->limit, s->total);
	}
	arena_reset(&s->chunk);
	r->arena = &s->chunk;
	void *work = r->work;
	r->work = s->prev_work;       /* what the rows read (the estate snapshot) */
	while(s->at < s->n && part->len < ROWS_PART_BYTES)
		s->row(r, &s->jw, s->at++, s->ctx);
	r->work = work;
	r->arena = s->req_arena;
	if(s->at < s->n)
		return 1;
	vbaz__page_tail(&s->jw, s->self);
	return 0;
}

static void rows_done(struct req *r)
{
	struct rows *s = r->work;
	arena_free(&s->chunk);
	r->work = s->prev_work;
	r->stream_done = s->prev_done;
	if(r->stream_done)
		r->stream_done(r);
}

void vbaz__send_rows(struct req *r, int64_t offset, int64_t limit, int64_t total, size_t n, vbaz__row_fn row,
                     void *ctx, const char *self)
{
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	if(n <= ROWS_BUFFERED) {
		vbaz__page_head(&w, offset, limit, total);
		for(size_t i = 0; i < n; i++)
			row(r, &w, i, ctx);
		vbaz__page_tail(&w, self);
		return;
	}
	struct rows *s = arena_zalloc(r->arena, sizeof(*s));
	s->n = n;
	s->row = row;
	s->ctx = ctx;
	s->offset = offset;
	s->limit = limit;
	s->total = total;
	s->self = self;
	s->jw = w;
	arena_init(&s->chunk);
	s->req_arena = r->arena;
	s->prev_work = r->work;
	s->prev_done = r->stream_done;
	r->work = s;
	r->stream_done = rows_done;
	r->stream = rows_stream;
}

size_t vbaz__page_rows(int64_t total, int64_t offset, int64_t limit)
{
	if(offset >= total)
		return 0;
	int64_t left = total - offset;
	return (size_t)(limit < 0 || limit > left ? left : limit);
}
