/* The job view (core/jobs.c) through the real SQLite backend: declared jobs and jobs seen
 * in sessions are joined by id, else by name (case-insensitively); what nobody reported stays
 * absent; the newest success and the objects of the last run are derived. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/jobs.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "store_fixture.h"

#define T0 1700000000000000LL

static struct fx f;

static int setup(void **state)
{
	fx_open(&f, &store_sqlite);
	return 0;
}

static int teardown(void **state)
{
	fx_close(&f);
	return 0;
}

static struct uuid mkid(unsigned n)
{
	return fx_id(0x40, n);
}

static void declare(unsigned n, const char *name, const char *props)
{
	struct estate_rec e = {.kind = EK_job, .id = mkid(n), .name = name, .props = props};
	struct core_write w = {0};
	assert_int_equal(core_estate_put(&w, &e), RC_OK);
}

/* A finished session of job (id job, name) with result res, and ntasks task sessions. */
static void ran(unsigned n, unsigned job, const char *name, const char *type, int res, int ntasks, int64_t t)
{
	struct sess_rec r = {0};
	r.id = mkid(n);
	r.job_id = mkid(job);
	r.name = name;
	r.job_name = name;
	r.type = catalog_type_parse(type);
	r.state = ST_WORKING;
	r.creation_us = t;
	struct core_write w = {0};
	assert_int_equal(core_session_create(&w, &r), RC_OK);
	for(int i = 0; i < ntasks; i++) {
		struct task_rec k = {.id = mkid(n * 10 + 1000 + (unsigned)i), .session_id = r.id, .name = "vm",
		                     .state = ST_WORKING, .creation_us = t};
		struct core_write tw = {0};
		assert_int_equal(core_task_create(&tw, &k), RC_OK);
	}
	struct sess_complete c = {.if_match = -1, .result = res, .end_us = t + 60000000};
	struct core_write cw = {0};
	enum rc crc = core_session_complete(&cw, &r.id, &c);
	if(crc)
		fprintf(stderr, "complete: %s\n", cw.err);
	assert_int_equal(crc, RC_OK);
}

struct seen {
	int n;
	struct job_view v[8];
	char names[8][32];
};

static int collect(void *ctx, const struct job_view *j)
{
	struct seen *s = ctx;
	assert_true(s->n < 8);
	s->v[s->n] = *j;
	snprintf(s->names[s->n++], 32, "%s", j->name);
	return 0;
}

static void test_declared_and_seen_are_joined(void **state)
{
	declare(1, "Nightly", "{\"type\":\"BackupJob\",\"repository\":\"Repo-1\",\"objects\":[\"a\",\"b\",\"c\"],"
	                      "\"schedule\":\"0 22 * * *\",\"description\":\"the nightly\"}");
	declare(2, "Never-ran", "{\"disabled\":true}");
	struct estate_rec repo = {.kind = EK_repository, .id = mkid(50), .name = "repo-1", .props = "{}"};
	struct core_write w = {0};
	assert_int_equal(core_estate_put(&w, &repo), RC_OK);
	/* Nightly ran under another job id: joined by name, case-insensitively */
	ran(10, 90, "NIGHTLY", "BackupJob", RES_SUCCESS, 2, T0);
	ran(11, 90, "NIGHTLY", "BackupJob", RES_FAILED, 1, T0 + 3600000000LL);
	/* Copy ran and was never declared; its objects come from its last run */
	ran(12, 91, "Copy", "BackupCopyJob", RES_WARNING, 2, T0);
	struct seen s = {0};
	assert_int_equal(core_jobs(&f.a, collect, &s), RC_OK);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "Copy");
	assert_string_equal(s.names[1], "Never-ran");
	assert_string_equal(s.names[2], "Nightly");
	const struct job_view *copy = &s.v[0], *never = &s.v[1], *nightly = &s.v[2];
	assert_false(copy->declared);
	assert_true(copy->has_last);
	assert_int_equal(copy->type, catalog_type_parse("BackupCopyJob"));
	assert_int_equal(copy->objects, 2);
	assert_null(copy->schedule);
	assert_int_equal(copy->last_success_us, 0);   /* a warning is not a success */
	assert_true(never->declared && never->disabled && !never->has_last);
	assert_int_equal(never->objects, 0);
	assert_int_equal(never->grace_s, -1);
	assert_true(nightly->declared && nightly->has_last);
	struct uuid one = mkid(1), repo_id = mkid(50), last = mkid(11);
	assert_true(uuid_eq(&nightly->id, &one));
	assert_true(uuid_eq(&nightly->last.id, &last));
	assert_int_equal(nightly->objects, 3);         /* declared wins over the last run's 1 */
	assert_string_equal(nightly->schedule, "0 22 * * *");
	assert_string_equal(nightly->description, "the nightly");
	assert_true(uuid_eq(&nightly->repository_id, &repo_id));
	assert_int_equal(nightly->last_success_us, T0 + 60000000);   /* the earlier run's end */
	/* by id: the declared id and the sessions' job id both find it */
	struct job_view v;
	struct uuid j90 = mkid(90), none = mkid(77);
	assert_int_equal(core_job_get(&one, &f.a, &v), RC_OK);
	assert_string_equal(v.name, "Nightly");
	assert_int_equal(core_job_get(&j90, &f.a, &v), RC_OK);
	assert_string_equal(v.name, "Nightly");
	assert_int_equal(core_job_get(&none, &f.a, &v), RC_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_declared_and_seen_are_joined, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
