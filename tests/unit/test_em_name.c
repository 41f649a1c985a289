/* Unit tests for the Name shown by Enterprise Manager (job@yyyy-MM-dd HH:mm:ss) in the
 * query filter (api/em_filter, EMK_SHOWN_NAME): the store predicates it compiles to must
 * select exactly the sessions whose (job name, creation second) pair compares with the
 * value as the filter says, under SQL's three-valued logic (a missing job name is NULL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "api/em/em_filter.h"
#include "util/timefmt.h"

static const struct em_field fields[] = {{"Name", QF_NAME, EMK_SHOWN_NAME}, {NULL, 0, 0}};

enum tv { F = 0, T = 1, U = 2 };   /* false, true, unknown (NULL) */

static const char *text_of(const struct sess_rec *s, enum qfield f)
{
	return f == QF_JOB_NAME ? s->job_name : s->name;
}

static enum tv cmp(int c, enum qop op)
{
	switch(op) {
	case Q_EQ: return c == 0;
	case Q_NE: return c != 0;
	case Q_LT: return c < 0;
	case Q_GT: return c > 0;
	case Q_LE: return c <= 0;
	case Q_GE: return c >= 0;
	default: fail_msg("unexpected op %d", op); return F;
	}
}

/* Evaluates e on s as SQL does. */
static enum tv eval(const struct qexpr *e, const struct sess_rec *s)
{
	enum tv a, b;
	switch(e->op) {
	case Q_AND:
		a = eval(e->a, s), b = eval(e->b, s);
		return a == F || b == F ? F : a == U || b == U ? U : T;
	case Q_OR:
		a = eval(e->a, s), b = eval(e->b, s);
		return a == T || b == T ? T : a == U || b == U ? U : F;
	case Q_NOT:
		a = eval(e->a, s);
		return a == U ? U : !a;
	case Q_IN: return F; /* only the empty list is used here */
	case Q_NULL: return text_of(s, e->field) == NULL;
	case Q_NOTNULL: return text_of(s, e->field) != NULL;
	default:
		if(e->kind == QV_TEXT) {
			const char *v = text_of(s, e->field);
			return v ? cmp(strcasecmp(v, e->s), e->op) : U;
		}
		assert_int_equal(e->field, QF_CREATION);
		return cmp(s->creation_us < e->i ? -1 : s->creation_us > e->i, e->op);
	}
}

static const char *const jobs[] = {"Nightly", "nightly", "Night", "Nightly-2", "a@b", "Zeta", ""};
static const int64_t base_us = 1754978400000000; /* 2025-08-12T06:00:00Z */

/* The reference: compare (job name, creation second) with the pair the value stands for. */
static int expected(const struct sess_rec *s, enum qop op, const char *vjob, int64_t vsec, int has_time)
{
	const char *job = s->job_name ? s->job_name : s->name;
	int c = strcasecmp(job, vjob);
	if(!c) {
		if(!has_time)
			c = 1; /* a bare job name sorts before every session of the job */
		else {
			int64_t sec = s->creation_us / 1000000 * 1000000;
			c = sec < vsec ? -1 : sec > vsec;
		}
	}
	return cmp(c < 0 ? -1 : c > 0, op) == T;
}

static void test_shown_name_matches_reference(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	static const enum qop ops[] = {Q_EQ, Q_NE, Q_LT, Q_GT, Q_LE, Q_GE};
	static const char *const opt[] = {"==", "!=", "<", ">", "<=", ">="};
	int checked = 0;
	for(size_t vj = 0; vj < sizeof(jobs) / sizeof(jobs[0]); vj++)
		for(int vt = -1; vt < 3; vt++)
			for(size_t o = 0; o < 6; o++) {
				char value[128], stamp[TIME_STR_MAX], filter[200];
				int64_t vsec = base_us + vt * 1000000;
				if(vt >= 0) {
					time_format_plain(vsec, stamp);
					snprintf(value, sizeof(value), "%s@%s", jobs[vj], stamp);
				} else
					snprintf(value, sizeof(value), "%s", jobs[vj]);
				snprintf(filter, sizeof(filter), "Name%s\"%s\"", opt[o], value);
				struct em_filter_ctx c = {.fields = fields, .a = &a};
				const struct qexpr *e;
				struct em_filter_err err;
				assert_int_equal(em_filter_parse(&c, filter, &e, &err), RC_OK);
				for(size_t sj = 0; sj < sizeof(jobs) / sizeof(jobs[0]); sj++)
					for(int null_job = 0; null_job < 2; null_job++)
						for(int64_t dt = -1500000; dt <= 3500000; dt += 250000) {
							struct sess_rec s = {.creation_us = base_us + dt};
							s.job_name = null_job ? NULL : jobs[sj];
							s.name = null_job ? jobs[sj] : "stored session name";
							int want = expected(&s, ops[o], jobs[vj], vsec, vt >= 0);
							enum tv got = eval(e, &s);
							if((got == T) != want)
								fail_msg("%s on job %s%s at %+lld us: got %d, want %d", filter, jobs[sj],
								         null_job ? " (no job name)" : "", (long long)dt, got, want);
							checked++;
						}
			}
	assert_true(checked > 10000);
	arena_free(&a);
}

static void test_shown_name_forms(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct em_filter_ctx c = {.fields = fields, .a = &a};
	const struct qexpr *e;
	struct em_filter_err err;
	/* values that are not job@time stay job names: no Name equals them */
	static const char *const plain[] = {"Nightly@2025-08-12", "Nightly@2025-08-12 06:00:00.5",
	                                    "Nightly@2025-13-12 06:00:00", "Nightly@2025-08-12T06:00:00"};
	for(size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char filter[100];
		snprintf(filter, sizeof(filter), "Name==\"%s\"", plain[i]);
		assert_int_equal(em_filter_parse(&c, filter, &e, &err), RC_OK);
		struct sess_rec s = {.job_name = plain[i], .name = "x", .creation_us = base_us};
		assert_int_equal(eval(e, &s), F);
	}
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shown_name_matches_reference),
		cmocka_unit_test(test_shown_name_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
