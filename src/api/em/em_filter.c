/* Enterprise Manager filter grammar → struct qexpr (see em_filter.h). */
#include "api/em/em_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/catalog.h"
#include "model/query.h"
#include "util/timefmt.h"

struct parser {
	const struct em_filter_ctx *c;
	const char *s;
	size_t i;
	int depth;
	int ncmp;
	struct em_filter_err *err;
	int failed;
};

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }
static int is_name(char ch, int first)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
	       (!first && ch >= '0' && ch <= '9');
}

static void skip(struct parser *p)
{
	while(is_space(p->s[p->i]))
		p->i++;
}

/* Length of the token at i, for error messages. */
static size_t token_len(const char *s, size_t i)
{
	if(!s[i])
		return 0;
	if(is_name(s[i], 1)) {
		size_t n = 1;
		while(is_name(s[i + n], 0))
			n++;
		return n;
	}
	if((s[i] == '=' || s[i] == '!' || s[i] == '<' || s[i] == '>') && s[i + 1] == '=')
		return 2;
	return 1;
}

static const struct qexpr *fail_at(struct parser *p, size_t at, size_t len, const char *what)
{
	if(p->failed)
		return NULL;
	p->failed = 1;
	struct em_filter_err *e = p->err;
	e->pos = at + 1;
	if(!len)
		len = token_len(p->s, at);
	if(len > sizeof(e->token) - 1)
		len = sizeof(e->token) - 1;
	memcpy(e->token, p->s + at, len);
	e->token[len] = 0;
	if(p->s[at])
		snprintf(e->msg, sizeof(e->msg), "filter: %s at position %zu ('%s')", what, e->pos, e->token);
	else
		snprintf(e->msg, sizeof(e->msg), "filter: %s at position %zu (end of filter)", what, e->pos);
	return NULL;
}

static const struct qexpr *parse_expr(struct parser *p);

static int read_op(struct parser *p, enum qop *op)
{
	const char *s = p->s + p->i;
	static const struct { const char *t; enum qop op; } ops[] = {
		{"==", Q_EQ}, {"!=", Q_NE}, {"<=", Q_LE}, {">=", Q_GE}, {"<", Q_LT}, {">", Q_GT},
	};
	for(size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t n = strlen(ops[k].t);
		if(!strncmp(s, ops[k].t, n)) {
			*op = ops[k].op;
			p->i += n;
			return 0;
		}
	}
	return -1;
}

/* Reads a value; vstart and vlen locate it in the filter for errors. */
static char *read_value(struct parser *p, size_t *vstart, size_t *vlen)
{
	skip(p);
	const char *s = p->s;
	size_t start = p->i;
	*vstart = start;
	if(s[start] == '"') {
		size_t i = start + 1, n = 0;
		char *out = arena_alloc(p->c->a, strlen(s + start) + 1);
		for(;;) {
			if(!s[i]) {
				fail_at(p, start, 1, "unterminated quoted string");
				return NULL;
			}
			if(s[i] == '"') {
				if(s[i + 1] == '"') {
					out[n++] = '"';
					i += 2;
					continue;
				}
				i++;
				break;
			}
			out[n++] = s[i++];
		}
		out[n] = 0;
		p->i = i;
		*vlen = i - start;
		return out;
	}
	size_t i = start;
	while(s[i] && s[i] != ';' && s[i] != ',' && s[i] != ')' && s[i] != '(' && s[i] != '"')
		i++;
	size_t end = i;
	while(end > start && is_space(s[end - 1]))
		end--;
	if(end == start) {
		fail_at(p, start, 0, "expected a value");
		return NULL;
	}
	p->i = i;
	*vlen = end - start;
	return arena_strndup(p->c->a, s + start, end - start);
}

static int cmp_ok(int64_t a, enum qop op, int64_t b)
{
	switch(op) {
	case Q_EQ: return a == b;
	case Q_NE: return a != b;
	case Q_LT: return a < b;
	case Q_GT: return a > b;
	case Q_LE: return a <= b;
	case Q_GE: return a >= b;
	default: return 0;
	}
}

/* Every stored code whose rank compares with the value's rank as asked. */
static const struct qexpr *rank_in(struct parser *p, enum qfield f, int count, int (*rank)(int), enum qop op,
                                   int vr)
{
	int codes[64];
	int n = 0;
	for(int code = 0; code < count && n < 64; code++) {
		int r = rank(code);
		if(r >= 0 && cmp_ok(r, op, vr))
			codes[n++] = code;
	}
	return q_in_ints(p->c->a, f, codes, n);
}

static int result_rank(int r) { return r >= 0 && r < RES__COUNT ? r : -1; }

static int parse_uid(const char *v, struct uuid *u)
{
	const char *tail = v;
	if(!strncasecmp(v, "urn:veeam:", 10)) {
		tail = strrchr(v, ':') + 1;
		if(tail - v <= 11)
			return -1;
	}
	return uuid_parse(tail, strlen(tail), u);
}

/* The job name of a session compared with s: coalesce(job name, name) op s, written so
 * that it is never NULL (a NOT over it must stay exact). */
static const struct qexpr *job_cmp(struct arena *a, enum qop op, const char *s)
{
	return q_or(a, q_and(a, q_null(a, QF_JOB_NAME, 0), q_text(a, QF_JOB_NAME, op, s)),
	            q_and(a, q_null(a, QF_JOB_NAME, 1), q_text(a, QF_NAME, op, s)));
}

/* Splits v = job@yyyy-MM-dd HH:mm:ss (at its last '@') into the job name and the second,
 * in microseconds; -1 when v has another form. */
static int split_shown(struct arena *a, const char *v, const char **job, int64_t *sec_us)
{
	const char *at = strrchr(v, '@');
	if(!at || strlen(at + 1) != 19 || at[11] != ' ')
		return -1;
	for(int i = 1; i <= 19; i++) {
		char c = at[i];
		int sep = i == 5 || i == 8 ? '-' : i == 11 ? ' ' : i == 14 || i == 17 ? ':' : 0;
		if(sep ? c != sep : (c < '0' || c > '9'))
			return -1;
	}
	char iso[24];
	memcpy(iso, at + 1, 19);
	iso[10] = 'T';
	iso[19] = 'Z';
	iso[20] = 0;
	if(time_parse(iso, 20, sec_us))
		return -1;
	*job = arena_strndup(a, v, (size_t)(at - v));
	return 0;
}

/* Name op v on the Name shown (see EMK_SHOWN_NAME): the pair (job name, second) compared
 * with the pair v stands for, as store predicates on the job name and creation time. */
static const struct qexpr *shown_name(struct arena *a, enum qop op, const char *v)
{
	const char *job;
	int64_t t;
	const int64_t second = 1000000;
	if(split_shown(a, v, &job, &t)) {
		/* (v, before any time): no Name equals it; the rest compares on the job name */
		const struct qexpr *none = q_in_ints(a, QF_JOB_NAME, NULL, 0);
		switch(op) {
		case Q_EQ: return none;
		case Q_NE: return q_not(a, none);
		case Q_LT:
		case Q_LE: return job_cmp(a, Q_LT, v);
		default: return job_cmp(a, Q_GE, v);
		}
	}
	const struct qexpr *same = job_cmp(a, Q_EQ, job);
	switch(op) {
	case Q_EQ:
	case Q_NE: {
		const struct qexpr *eq = q_and(a, same, q_and(a, q_int(a, QF_CREATION, Q_GE, t),
		                                              q_int(a, QF_CREATION, Q_LT, t + second)));
		return op == Q_EQ ? eq : q_not(a, eq);
	}
	case Q_LT: return q_or(a, job_cmp(a, Q_LT, job), q_and(a, same, q_int(a, QF_CREATION, Q_LT, t)));
	case Q_LE: return q_or(a, job_cmp(a, Q_LT, job), q_and(a, same, q_int(a, QF_CREATION, Q_LT, t + second)));
	case Q_GT: return q_or(a, job_cmp(a, Q_GT, job), q_and(a, same, q_int(a, QF_CREATION, Q_GE, t + second)));
	default: return q_or(a, job_cmp(a, Q_GT, job), q_and(a, same, q_int(a, QF_CREATION, Q_GE, t)));
	}
}

static const struct qexpr *parse_cmp(struct parser *p)
{
	skip(p);
	size_t nstart = p->i;
	if(!is_name(p->s[p->i], 1))
		return fail_at(p, p->i, 0, p->s[p->i] ? "expected a field name" : "expected a comparison");
	while(is_name(p->s[p->i], 0))
		p->i++;
	size_t nlen = p->i - nstart;
	const struct em_field *f = NULL;
	for(const struct em_field *k = p->c->fields; k->name; k++)
		if(strlen(k->name) == nlen && !strncasecmp(k->name, p->s + nstart, nlen)) {
			f = k;
			break;
		}
	if(!f)
		return fail_at(p, nstart, nlen, "unknown field");
	if(++p->ncmp > EM_FILTER_MAX_CMP)
		return fail_at(p, nstart, nlen, "too many comparisons");
	skip(p);
	size_t ostart = p->i;
	enum qop op;
	if(read_op(p, &op))
		return fail_at(p, ostart, 0, "expected an operator (==, !=, <, >, <=, >=)");
	size_t vstart, vlen;
	char *v = read_value(p, &vstart, &vlen);
	if(!v)
		return NULL;
	struct arena *a = p->c->a;
	int eq_only = f->kind == EMK_UID || f->kind == EMK_BOOL || f->kind == EMK_JOB_TYPE ||
	              f->kind == EMK_SERVER_UID;
	if(eq_only && op != Q_EQ && op != Q_NE)
		return fail_at(p, ostart, 0, "this field takes only == or !=");
	switch(f->kind) {
	case EMK_TEXT:
		return q_text(a, f->field, op, v);
	case EMK_SHOWN_NAME:
		return shown_name(a, op, v);
	case EMK_TIME: {
		int64_t us;
		if(time_parse(v, strlen(v), &us))
			return fail_at(p, vstart, vlen, "expected a date-time such as \"2025-08-15T06:00:00Z\"");
		return q_int(a, f->field, op, us);
	}
	case EMK_INT: {
		char *end;
		long long n = strtoll(v, &end, 10);
		if(*end || !*v)
			return fail_at(p, vstart, vlen, "expected an integer");
		return q_int(a, f->field, op, n);
	}
	case EMK_BOOL: {
		int b;
		if(!strcasecmp(v, "true"))
			b = 1;
		else if(!strcasecmp(v, "false"))
			b = 0;
		else
			return fail_at(p, vstart, vlen, "expected true or false");
		return q_int(a, f->field, op, b);
	}
	case EMK_UID: {
		struct uuid u;
		if(parse_uid(v, &u))
			return fail_at(p, vstart, vlen, "expected a uid such as urn:veeam:Type:<uuid>");
		return q_uuid(a, f->field, op, &u);
	}
	case EMK_SERVER_UID: {
		struct uuid u;
		if(parse_uid(v, &u))
			return fail_at(p, vstart, vlen, "expected a uid such as urn:veeam:BackupServer:<uuid>");
		const char *name = p->c->server_name ? p->c->server_name(p->c->server_ctx, &u) : NULL;
		if(!name) { /* no such server: == matches nothing, != everything */
			const struct qexpr *none = q_in_ints(a, f->field, NULL, 0);
			return op == Q_EQ ? none : q_not(a, none);
		}
		return q_text(a, f->field, op, name);
	}
	case EMK_STATE: {
		int vr = catalog_em_state_parse(v);
		if(vr < 0)
			return fail_at(p, vstart, vlen, "unknown State (Starting, Stopping, Working, Pausing, Resuming, Stopped)");
		return rank_in(p, f->field, ST__COUNT, catalog_em_state_rank, op, vr);
	}
	case EMK_TASK_STATE: {
		int vr = catalog_em_task_state_parse(v);
		if(vr < 0)
			return fail_at(p, vstart, vlen, "unknown State (InProgress, Pending, Completed)");
		return rank_in(p, f->field, ST__COUNT, catalog_em_task_state_rank, op, vr);
	}
	case EMK_RESULT: {
		int vr = catalog_result_parse(v);
		if(vr < 0)
			return fail_at(p, vstart, vlen, "unknown Result (None, Success, Warning, Failed)");
		return rank_in(p, f->field, RES__COUNT, result_rank, op, vr);
	}
	case EMK_JOB_TYPE: {
		int types[512];
		int n = catalog_type_match_em(v, types, 512);
		if(n < 0)
			return fail_at(p, vstart, vlen, "unknown type");
		const struct qexpr *in = q_in_ints(a, f->field, types, n);
		return op == Q_EQ ? in : q_not(a, in);
	}
	}
	return fail_at(p, nstart, nlen, "unsupported field");
}

static const struct qexpr *parse_factor(struct parser *p)
{
	skip(p);
	if(p->s[p->i] == '(') {
		size_t open = p->i;
		if(++p->depth > EM_FILTER_MAX_DEPTH)
			return fail_at(p, open, 1, "parentheses nested too deeply");
		p->i++;
		const struct qexpr *e = parse_expr(p);
		if(p->failed)
			return NULL;
		skip(p);
		if(p->s[p->i] != ')')
			return fail_at(p, p->i, 0, p->s[p->i] ? "expected ')'" : "missing ')'");
		p->i++;
		p->depth--;
		return e;
	}
	return parse_cmp(p);
}

static const struct qexpr *parse_term(struct parser *p)
{
	const struct qexpr *e = parse_factor(p);
	for(;;) {
		if(p->failed)
			return NULL;
		skip(p);
		if(p->s[p->i] != ';')
			return e;
		p->i++;
		const struct qexpr *r = parse_factor(p);
		if(p->failed)
			return NULL;
		e = q_and(p->c->a, e, r);
	}
}

static const struct qexpr *parse_expr(struct parser *p)
{
	const struct qexpr *e = parse_term(p);
	for(;;) {
		if(p->failed)
			return NULL;
		skip(p);
		if(p->s[p->i] != ',')
			return e;
		p->i++;
		const struct qexpr *r = parse_term(p);
		if(p->failed)
			return NULL;
		e = q_or(p->c->a, e, r);
	}
}

enum rc em_filter_parse(const struct em_filter_ctx *c, const char *s, const struct qexpr **out,
                        struct em_filter_err *err)
{
	struct parser p = {.c = c, .s = s ? s : "", .err = err};
	memset(err, 0, sizeof(*err));
	*out = NULL;
	skip(&p);
	if(!p.s[p.i])
		return RC_OK;
	const struct qexpr *e = parse_expr(&p);
	if(!p.failed) {
		skip(&p);
		if(p.s[p.i])
			fail_at(&p, p.i, 0, p.s[p.i] == ')' ? "unbalanced ')'" : "expected ';', ',' or the end");
	}
	if(p.failed)
		return RC_INVALID;
	*out = e;
	return RC_OK;
}
