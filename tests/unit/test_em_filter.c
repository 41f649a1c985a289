/* Unit tests for api/em_filter (the EM query filter grammar).
 * Property tests: random expressions are printed in the filter
 * grammar, parsed, and the resulting qexpr must select exactly the records a
 * direct evaluation of the generated expression selects; malformed filters must
 * be rejected at the position of the token that was broken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "api/em/em.h"
#include "api/em/em_filter.h"
#include "model/catalog.h"
#include "util/buf.h"
#include "util/timefmt.h"

static const struct em_field fields[] = {
	{"Name", QF_NAME, EMK_TEXT}, {"State", QF_STATE, EMK_STATE}, {"Result", QF_RESULT, EMK_RESULT},
	{"CreationTime", QF_CREATION, EMK_TIME}, {"Progress", QF_PROGRESS, EMK_INT},
	{"IsRetry", QF_IS_RETRY, EMK_BOOL}, {"UID", QF_ID, EMK_UID}, {NULL, 0, 0},
};

/* ---- evaluating a qexpr the way the store does (text compares NOCASE) ---- */

static int64_t field_int(const struct sess_rec *s, enum qfield f)
{
	switch(f) {
	case QF_STATE: return s->state;
	case QF_RESULT: return s->result;
	case QF_CREATION: return s->creation_us;
	case QF_PROGRESS: return s->progress;
	case QF_IS_RETRY: return s->is_retry;
	default: fail_msg("unexpected field %d", f); return 0;
	}
}

static int cmp_op(int c, enum qop op)
{
	switch(op) {
	case Q_EQ: return c == 0;
	case Q_NE: return c != 0;
	case Q_LT: return c < 0;
	case Q_GT: return c > 0;
	case Q_LE: return c <= 0;
	case Q_GE: return c >= 0;
	default: fail_msg("unexpected op %d", op); return 0;
	}
}

static int eval_q(const struct qexpr *e, const struct sess_rec *s)
{
	switch(e->op) {
	case Q_AND: return eval_q(e->a, s) && eval_q(e->b, s);
	case Q_OR: return eval_q(e->a, s) || eval_q(e->b, s);
	case Q_NOT: return !eval_q(e->a, s);
	case Q_IN:
		for(int i = 0; i < e->nlist; i++)
			if(e->list[i] == field_int(s, e->field))
				return 1;
		return 0;
	default:
		if(e->kind == QV_TEXT)
			return cmp_op(strcasecmp(s->name, e->s), e->op);
		if(e->kind == QV_UUID)
			return cmp_op(memcmp(s->id.b, e->u.b, 16), e->op);
		{
			int64_t v = field_int(s, e->field);
			return cmp_op(v < e->i ? -1 : v > e->i, e->op);
		}
	}
}

/* ---- generated expressions ---- */

struct gen {
	int kind;          /* 0 cmp, 1 and, 2 or */
	int field;         /* index into fields[] (0..4) */
	enum qop op;
	int64_t v;         /* int value: rank, time, progress */
	char text[32];
	struct gen *a, *b;
};

static unsigned rnd_state = 12345;
static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static const char *const names[] = {"alpha", "Beta", "gam\"ma", "de;l,ta", "x (y)", "ALPHA"};
static const char *const state_spell[] = {"Starting", "Stopping", "Working", "Pausing", "Resuming", "Stopped"};
static const char *const result_spell[] = {"None", "Success", "Warning", "Failed"};
static const int64_t times[] = {1700000000000000, 1700000060000000, 1700003600000000};

static struct gen *generate(int depth)
{
	struct gen *g = calloc(1, sizeof(*g));
	if(depth > 0 && rnd(3)) {
		g->kind = 1 + (int)rnd(2);
		g->a = generate(depth - 1);
		g->b = generate(depth - 1);
		return g;
	}
	g->field = (int)rnd(5);
	g->op = (enum qop)(Q_EQ + rnd(6));
	switch(g->field) {
	case 0: snprintf(g->text, sizeof(g->text), "%s", names[rnd(6)]); break;
	case 1: g->v = rnd(6); break;
	case 2: g->v = rnd(4); break;
	case 3: g->v = times[rnd(3)]; break;
	case 4: g->v = rnd(101); break;
	}
	return g;
}

static void gen_free(struct gen *g)
{
	if(!g)
		return;
	gen_free(g->a);
	gen_free(g->b);
	free(g);
}

static const char *opname(enum qop op)
{
	static const char *const n[] = {[Q_EQ] = "==", [Q_NE] = "!=", [Q_LT] = "<", [Q_GT] = ">",
	                                [Q_LE] = "<=", [Q_GE] = ">="};
	return n[op];
}

static void case_mix(struct buf *b, const char *s)
{
	for(; *s; s++)
		buf_addc(b, rnd(2) ? (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s) : *s);
}

static void sp(struct buf *b)
{
	if(!rnd(3))
		buf_addc(b, ' ');
}

static void print_gen(struct buf *b, const struct gen *g)
{
	if(g->kind) {
		buf_addc(b, '(');
		print_gen(b, g->a);
		sp(b);
		buf_addc(b, g->kind == 1 ? ';' : ',');
		sp(b);
		print_gen(b, g->b);
		buf_addc(b, ')');
		return;
	}
	case_mix(b, fields[g->field].name);
	sp(b);
	buf_addstr(b, opname(g->op));
	sp(b);
	char t[TIME_STR_MAX];
	switch(g->field) {
	case 0:
		buf_addc(b, '"');
		for(const char *p = g->text; *p; p++) {
			if(*p == '"')
				buf_addc(b, '"');
			buf_addc(b, *p);
		}
		buf_addc(b, '"');
		break;
	case 1: case_mix(b, state_spell[g->v]); break;
	case 2: buf_addstr(b, result_spell[g->v]); break;
	case 3:
		time_format(g->v, 0, t);
		if(rnd(2))
			buf_printf(b, "\"%s\"", t);
		else
			buf_addstr(b, t);
		break;
	case 4: buf_printf(b, "%lld", (long long)g->v); break;
	}
}

static int eval_gen(const struct gen *g, const struct sess_rec *s)
{
	if(g->kind == 1)
		return eval_gen(g->a, s) && eval_gen(g->b, s);
	if(g->kind == 2)
		return eval_gen(g->a, s) || eval_gen(g->b, s);
	int64_t v;
	switch(g->field) {
	case 0: return cmp_op(strcasecmp(s->name, g->text), g->op);
	case 1: v = catalog_em_state_rank(s->state); break; /* enum position, not the stored code */
	case 2: v = s->result; break;
	case 3: v = s->creation_us; break;
	default: v = s->progress; break;
	}
	return cmp_op(v < g->v ? -1 : v > g->v, g->op);
}

static void random_rec(struct sess_rec *s)
{
	memset(s, 0, sizeof(*s));
	s->name = names[rnd(6)];
	s->state = (int)rnd(ST__COUNT);
	s->result = (int)rnd(RES__COUNT);
	s->creation_us = times[rnd(3)] + (rnd(2) ? 0 : 1);
	s->progress = (int)rnd(101);
}

static void test_generated_round_trip(void **state)
{
	(void)state;
	struct sess_rec recs[64];
	for(int iter = 0; iter < 2000; iter++) {
		struct gen *g = generate(3);
		struct buf b;
		buf_init(&b, 0);
		print_gen(&b, g);
		struct arena a;
		arena_init(&a);
		struct em_filter_ctx c = {.fields = fields, .a = &a};
		const struct qexpr *e;
		struct em_filter_err err;
		enum rc rc = em_filter_parse(&c, buf_cstr(&b), &e, &err);
		if(rc)
			fail_msg("valid filter rejected: %s\n  %s", buf_cstr(&b), err.msg);
		for(int i = 0; i < 64; i++) {
			random_rec(&recs[i]);
			if(eval_q(e, &recs[i]) != eval_gen(g, &recs[i]))
				fail_msg("filter %s disagrees on record name=%s state=%d result=%d", buf_cstr(&b),
				         recs[i].name, recs[i].state, recs[i].result);
		}
		arena_free(&a);
		buf_free(&b);
		gen_free(g);
	}
}

/* Each malformed filter names the 1-based position and token the parser must point at. */
static void test_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *f;
		size_t pos;
		const char *tok;
	} cases[] = {
		{"Result=Failed", 7, "="},
		{"Result==Failed;", 16, ""},
		{"Result==Failed,", 16, ""},
		{"Nope==1", 1, "Nope"},
		{"(Result==Failed", 16, ""},
		{"Result==Failed)", 15, ")"},
		{"Name==\"abc", 7, "\""},
		{"Result==Bogus", 9, "Bogus"},
		{"State < Sleeping", 9, "Sleeping"},
		{"CreationTime>yesterday", 14, "yesterday"},
		{"IsRetry<true", 8, "<"},
		{"IsRetry==maybe", 10, "maybe"},
		{"Progress>=ten", 11, "ten"},
		{"UID==urn:veeam:X:nope", 6, "urn:veeam:X:nope"},
		{"Name==", 7, ""},
		{"Name==\"a\" Name==\"b\"", 11, "Name"},
		{";Name==a", 1, ";"},
		{"()", 2, ")"},
		{"Name==a;;Name==b", 9, ";"},
		{"Name!a", 5, "!"},
		{"1Name==a", 1, "1"},
	};
	for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct arena a;
		arena_init(&a);
		struct em_filter_ctx c = {.fields = fields, .a = &a};
		const struct qexpr *e = (const struct qexpr *)&a;
		struct em_filter_err err;
		enum rc rc = em_filter_parse(&c, cases[i].f, &e, &err);
		if(rc != RC_INVALID)
			fail_msg("accepted malformed filter %s", cases[i].f);
		if(err.pos != cases[i].pos || strcmp(err.token, cases[i].tok))
			fail_msg("%s: got position %zu token '%s' (%s), want %zu '%s'", cases[i].f, err.pos, err.token,
			         err.msg, cases[i].pos, cases[i].tok);
		assert_null(e);
		arena_free(&a);
	}
}

/* Breaking a generated filter by inserting a stray token must be caught at it. */
static void test_generated_malformed(void **state)
{
	(void)state;
	for(int iter = 0; iter < 500; iter++) {
		struct gen *g = generate(2);
		struct buf b;
		buf_init(&b, 0);
		print_gen(&b, g);
		struct buf bad;
		buf_init(&bad, 0);
		buf_addstr(&bad, buf_cstr(&b));
		buf_addstr(&bad, " ) ");
		struct arena a;
		arena_init(&a);
		struct em_filter_ctx c = {.fields = fields, .a = &a};
		const struct qexpr *e;
		struct em_filter_err err;
		assert_int_equal(em_filter_parse(&c, buf_cstr(&bad), &e, &err), RC_INVALID);
		assert_int_equal(err.pos, b.len + 2);
		assert_string_equal(err.token, ")");
		arena_free(&a);
		buf_free(&b);
		buf_free(&bad);
		gen_free(g);
	}
}

static void test_limits_and_empty(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct em_filter_ctx c = {.fields = fields, .a = &a};
	const struct qexpr *e;
	struct em_filter_err err;
	assert_int_equal(em_filter_parse(&c, "   ", &e, &err), RC_OK);
	assert_null(e);
	assert_int_equal(em_filter_parse(&c, NULL, &e, &err), RC_OK);
	struct buf b;
	buf_init(&b, 0);
	for(int i = 0; i < 40; i++)
		buf_addc(&b, '(');
	buf_addstr(&b, "Name==a");
	for(int i = 0; i < 40; i++)
		buf_addc(&b, ')');
	assert_int_equal(em_filter_parse(&c, buf_cstr(&b), &e, &err), RC_INVALID);
	assert_non_null(strstr(err.msg, "nested"));
	buf_reset(&b);
	for(int i = 0; i <= EM_FILTER_MAX_CMP; i++)
		buf_printf(&b, "%sName==a", i ? ";" : "");
	assert_int_equal(em_filter_parse(&c, buf_cstr(&b), &e, &err), RC_INVALID);
	assert_non_null(strstr(err.msg, "too many"));
	buf_free(&b);
	/* a bare uuid and an urn both work for UID */
	assert_int_equal(em_filter_parse(&c, "UID==urn:veeam:BackupJobSession:0190a1b2-0000-7000-8000-000000000001",
	                                 &e, &err), RC_OK);
	assert_int_equal(e->kind, QV_UUID);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_generated_malformed),
		cmocka_unit_test(test_limits_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
