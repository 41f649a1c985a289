#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/catalog.h"
#include "core/session.h"

/* DESIGN §3: Starting → Working ⇄ (Pausing, Resuming, Idle, Postprocessing, Waiting*,
 * ActionRequired) → Stopping → Stopped. Stopped is final and reached only through
 * complete (never by a patch); nothing goes back to Starting; a patch may repeat the
 * current state except Stopped; Stopping is followed only by complete. */
static int expected(int from, int to)
{
	if(from == ST_STOPPED || to == ST_STOPPED)
		return 0;
	if(from == to)
		return 1;
	if(to == ST_STARTING)
		return 0;
	if(from == ST_STOPPING)
		return 0;
	return 1;
}

static void test_transition_matrix(void **state)
{
	for(int from = 0; from < ST__COUNT; from++)
		for(int to = 0; to < ST__COUNT; to++)
			if(session_transition_ok(from, to) != expected(from, to))
				fail_msg("%s -> %s: got %d", catalog_state_name(from), catalog_state_name(to),
				         session_transition_ok(from, to));
	/* Named spot checks, so a wrong expected() cannot hide a wrong implementation. */
	assert_true(session_transition_ok(ST_STARTING, ST_WORKING));
	assert_true(session_transition_ok(ST_WORKING, ST_PAUSING));
	assert_true(session_transition_ok(ST_PAUSING, ST_WORKING));
	assert_true(session_transition_ok(ST_WAITING_TAPE, ST_WORKING));
	assert_true(session_transition_ok(ST_WORKING, ST_ACTION_REQUIRED));
	assert_true(session_transition_ok(ST_WORKING, ST_STOPPING));
	assert_false(session_transition_ok(ST_WORKING, ST_STOPPED));
	assert_false(session_transition_ok(ST_STOPPED, ST_WORKING));
	assert_false(session_transition_ok(ST_STOPPED, ST_STOPPED));
	assert_false(session_transition_ok(ST_STOPPING, ST_WORKING));
	assert_false(session_transition_ok(ST_WORKING, ST_STARTING));
	/* Out of range never passes. */
	assert_false(session_transition_ok(ST_WORKING, ST__COUNT));
	assert_false(session_transition_ok(ST_WORKING, -1));
}

static struct sess_rec running(int state)
{
	struct sess_rec r = {0};
	r.name = "job";
	r.state = state;
	r.usn = 10;
	r.progress = 30;
	r.creation_us = 1000;
	return r;
}

static void test_patch(void **state)
{
	char err[256] = "";
	struct sess_patch p;
	sess_patch_init(&p, 5000);
	assert_int_equal(p.if_match, -1);
	assert_int_equal(p.total_size, -1);
	p.has_state = 1;
	p.state = ST_PAUSING;
	p.has_progress = 1;
	p.progress = 70;
	p.message = "msg";
	p.name = "renamed";
	p.extra = "{}";
	struct sess_rec r = running(ST_WORKING);
	assert_int_equal(session_apply_patch(&p, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.state, ST_PAUSING);
	assert_int_equal(r.progress, 70);
	assert_string_equal(r.message, "msg");
	assert_string_equal(r.name, "renamed");
	assert_string_equal(r.extra, "{}");

	/* Unset fields are left alone. */
	sess_patch_init(&p, 5000);
	p.has_progress = 1;
	p.progress = 80;
	r = running(ST_IDLE);
	assert_int_equal(session_apply_patch(&p, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.state, ST_IDLE);
	assert_string_equal(r.name, "job");

	/* Illegal transitions: 409 with the states named. */
	sess_patch_init(&p, 5000);
	p.has_state = 1;
	p.state = ST_STARTING;
	r = running(ST_WORKING);
	assert_int_equal(session_apply_patch(&p, &r, err, sizeof(err)), RC_CONFLICT);
	assert_non_null(strstr(err, "Starting"));
	assert_int_equal(r.state, ST_WORKING);
	p.state = ST_STOPPED;
	assert_int_equal(session_apply_patch(&p, &r, err, sizeof(err)), RC_CONFLICT);
	assert_non_null(strstr(err, "complete"));

	/* A stopped session refuses any patch, even one without a state. */
	sess_patch_init(&p, 5000);
	p.has_progress = 1;
	p.progress = 1;
	r = running(ST_STOPPED);
	assert_int_equal(session_apply_patch(&p, &r, err, sizeof(err)), RC_CONFLICT);
	assert_int_equal(r.progress, 30);

	/* If-Match */
	sess_patch_init(&p, 5000);
	p.if_match = 9;
	p.has_progress = 1;
	p.progress = 99;
	r = running(ST_WORKING);
	assert_int_equal(session_apply_patch(&p, &r, err, sizeof(err)), RC_PRECONDITION);
	assert_int_equal(r.progress, 30);
	p.if_match = 10;
	assert_int_equal(session_apply_patch(&p, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.progress, 99);
}

static void test_complete(void **state)
{
	char err[256];
	struct sess_complete c = {.if_match = -1, .result = RES_SUCCESS, .is_canceled = -1, .end_us = 9000};
	struct sess_rec r = running(ST_WORKING);
	assert_int_equal(session_apply_complete(&c, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.state, ST_STOPPED);
	assert_int_equal(r.result, RES_SUCCESS);
	assert_int_equal(r.progress, 100);
	assert_int_equal(r.end_us, 9000);
	assert_int_equal(r.is_canceled, 0);

	/* isCanceled defaults to whether a stop was requested. */
	c = (struct sess_complete){.if_match = -1, .result = RES_FAILED, .is_canceled = -1, .end_us = 9000,
	                           .message = "stopped by user"};
	r = running(ST_STOPPING);
	r.stop_requested = 1;
	assert_int_equal(session_apply_complete(&c, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.is_canceled, 1);
	assert_int_equal(r.progress, 30);   /* not 100 unless Success */
	assert_string_equal(r.message, "stopped by user");
	c.is_canceled = 0;
	r = running(ST_STOPPING);
	r.stop_requested = 1;
	assert_int_equal(session_apply_complete(&c, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.is_canceled, 0);
	c.is_canceled = 1;
	r = running(ST_WORKING);
	assert_int_equal(session_apply_complete(&c, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.is_canceled, 1);

	/* The end never precedes the creation. */
	c = (struct sess_complete){.if_match = -1, .result = RES_WARNING, .is_canceled = -1, .end_us = 10};
	r = running(ST_WORKING);
	assert_int_equal(session_apply_complete(&c, &r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.end_us, r.creation_us);

	/* Twice: conflict; stale If-Match: precondition, record untouched. */
	assert_int_equal(session_apply_complete(&c, &r, err, sizeof(err)), RC_CONFLICT);
	c.if_match = 3;
	r = running(ST_WORKING);
	assert_int_equal(session_apply_complete(&c, &r, err, sizeof(err)), RC_PRECONDITION);
	assert_int_equal(r.state, ST_WORKING);
	assert_int_equal(r.end_us, 0);
}

static void test_stop_open(void **state)
{
	char err[256];
	struct sess_rec r = running(ST_WORKING);
	assert_int_equal(session_apply_stop(&r, err, sizeof(err)), RC_OK);
	assert_int_equal(r.state, ST_STOPPING);
	assert_int_equal(r.stop_requested, 1);
	r = running(ST_STOPPED);
	assert_int_equal(session_apply_stop(&r, err, sizeof(err)), RC_CONFLICT);
	assert_int_equal(r.stop_requested, 0);

	r = running(ST_STOPPING);
	r.stop_requested = 1;
	assert_int_equal(session_check_open(&r, err, sizeof(err)), RC_OK);
	r = running(ST_WORKING);
	assert_int_equal(session_check_open(&r, err, sizeof(err)), RC_OK);
	r = running(ST_STOPPED);
	assert_int_equal(session_check_open(&r, err, sizeof(err)), RC_CONFLICT);
	assert_non_null(strstr(err, "stopped"));
}

static void test_prepare_new(void **state)
{
	char err[256];
	struct sess_rec r = {.name = "Nightly", .state = ST_WORKING};
	assert_int_equal(session_prepare_new(&r, 777, err, sizeof(err)), RC_OK);
	assert_false(uuid_is_nil(&r.id));
	assert_int_equal(r.creation_us, 777);
	assert_int_equal(r.result, RES_NONE);
	assert_int_equal(r.end_us, 0);
	assert_false(uuid_is_nil(&r.job_id));

	/* The job id is derived from the job name: equal names, equal ids; other names differ. */
	struct sess_rec r2 = {.name = "Nightly", .state = ST_STARTING, .creation_us = 5};
	assert_int_equal(session_prepare_new(&r2, 777, err, sizeof(err)), RC_OK);
	assert_memory_equal(r.job_id.b, r2.job_id.b, 16);
	assert_memory_not_equal(r.id.b, r2.id.b, 16);
	assert_int_equal(r2.creation_us, 5);
	struct sess_rec r3 = {.name = "run 1", .job_name = "Nightly", .state = ST_WORKING};
	assert_int_equal(session_prepare_new(&r3, 777, err, sizeof(err)), RC_OK);
	assert_memory_equal(r.job_id.b, r3.job_id.b, 16);
	struct sess_rec r4 = {.name = "Weekly", .state = ST_WORKING};
	assert_int_equal(session_prepare_new(&r4, 777, err, sizeof(err)), RC_OK);
	assert_memory_not_equal(r.job_id.b, r4.job_id.b, 16);
	assert_int_equal(r.job_id.b[6] >> 4, 8);   /* a version-8 (name-derived) uuid */
	assert_int_equal(r.job_id.b[8] & 0xc0, 0x80);

	/* Given ids are kept; reporter-side fields are reset. */
	struct sess_rec r5 = {.name = "x", .state = ST_WORKING, .result = RES_FAILED, .end_us = 5, .stop_requested = 1, .is_canceled = 1};
	r5.id.b[0] = 1;
	r5.job_id.b[0] = 2;
	assert_int_equal(session_prepare_new(&r5, 777, err, sizeof(err)), RC_OK);
	assert_int_equal(r5.id.b[0], 1);
	assert_int_equal(r5.job_id.b[0], 2);
	assert_int_equal(r5.result, RES_NONE);
	assert_int_equal(r5.end_us, 0);
	assert_int_equal(r5.stop_requested, 0);
	assert_int_equal(r5.is_canceled, 0);

	/* Validation names the field. */
	struct sess_rec bad = {0};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	assert_non_null(strstr(err, "name"));
	bad = (struct sess_rec){.name = ""};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	bad = (struct sess_rec){.name = "x", .state = ST_STOPPED};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	assert_non_null(strstr(err, "state"));
	bad = (struct sess_rec){.name = "x", .state = ST_WORKING, .progress = 101};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	assert_non_null(strstr(err, "progressPercent"));
	bad.progress = -1;
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	char longname[1100];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	bad = (struct sess_rec){.name = longname};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	longname[1024] = 0;
	bad = (struct sess_rec){.name = longname, .state = ST_WORKING};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_OK);

	/* A type or state that is no code is refused, never stored as some other type. */
	bad = (struct sess_rec){.name = "x", .state = ST_WORKING, .type = -1};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	assert_non_null(strstr(err, "sessionType"));
	bad = (struct sess_rec){.name = "x", .state = ST_WORKING, .type = CATALOG_CODE_LIMIT};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);
	bad = (struct sess_rec){.name = "x", .state = ST__COUNT};
	assert_int_equal(session_prepare_new(&bad, 1, err, sizeof(err)), RC_INVALID);

	/* A finished run (Stopped with a result) keeps its result and ends now unless it says when. */
	struct sess_rec done = {.name = "x", .state = ST_STOPPED, .result = RES_WARNING, .message = "m", .creation_us = 100};
	assert_int_equal(session_prepare_new(&done, 777, err, sizeof(err)), RC_OK);
	assert_int_equal(done.result, RES_WARNING);
	assert_int_equal(done.end_us, 777);
	assert_string_equal(done.message, "m");
	done = (struct sess_rec){.name = "x", .state = ST_STOPPED, .result = RES_FAILED, .creation_us = 500, .end_us = 200};
	assert_int_equal(session_prepare_new(&done, 777, err, sizeof(err)), RC_OK);
	assert_int_equal(done.end_us, 500);   /* never before it began */
}

static void test_task(void **state)
{
	char err[256];
	struct task_rec t = {.name = "vm", .state = ST_WORKING};
	assert_int_equal(task_prepare_new(&t, 42, err, sizeof(err)), RC_OK);
	assert_false(uuid_is_nil(&t.id));
	assert_int_equal(t.creation_us, 42);
	struct task_rec bad = {0};
	assert_int_equal(task_prepare_new(&bad, 42, err, sizeof(err)), RC_INVALID);
	bad = (struct task_rec){.name = "x", .state = ST_STOPPED};
	assert_int_equal(task_prepare_new(&bad, 42, err, sizeof(err)), RC_INVALID);
	bad = (struct task_rec){.name = "x", .state = ST_WORKING, .progress = 200};
	assert_int_equal(task_prepare_new(&bad, 42, err, sizeof(err)), RC_INVALID);

	struct sess_patch p;
	sess_patch_init(&p, 1);
	p.has_state = 1;
	p.state = ST_IDLE;
	p.total_size = 1234;
	p.reason = "r";
	t = (struct task_rec){.name = "vm", .state = ST_WORKING, .usn = 4, .total_size = 5};
	assert_int_equal(task_apply_patch(&p, &t, err, sizeof(err)), RC_OK);
	assert_int_equal(t.state, ST_IDLE);
	assert_int_equal(t.total_size, 1234);
	assert_string_equal(t.reason, "r");
	sess_patch_init(&p, 1);
	t.total_size = 5;
	assert_int_equal(task_apply_patch(&p, &t, err, sizeof(err)), RC_OK);
	assert_int_equal(t.total_size, 5);   /* -1 leaves it */
	p.has_state = 1;
	p.state = ST_STOPPED;
	assert_int_equal(task_apply_patch(&p, &t, err, sizeof(err)), RC_CONFLICT);
	p.state = ST_STARTING;
	assert_int_equal(task_apply_patch(&p, &t, err, sizeof(err)), RC_CONFLICT);
	sess_patch_init(&p, 1);
	p.if_match = 3;
	assert_int_equal(task_apply_patch(&p, &t, err, sizeof(err)), RC_PRECONDITION);

	struct sess_complete c = {.if_match = -1, .result = RES_SUCCESS, .is_canceled = -1, .end_us = 50};
	t = (struct task_rec){.name = "vm", .state = ST_WORKING, .creation_us = 10, .progress = 3};
	assert_int_equal(task_apply_complete(&c, &t, err, sizeof(err)), RC_OK);
	assert_int_equal(t.state, ST_STOPPED);
	assert_int_equal(t.progress, 100);
	assert_int_equal(t.end_us, 50);
	assert_int_equal(t.is_canceled, 0);
	assert_int_equal(task_apply_complete(&c, &t, err, sizeof(err)), RC_CONFLICT);
	sess_patch_init(&p, 1);
	p.has_progress = 1;
	p.progress = 5;
	assert_int_equal(task_apply_patch(&p, &t, err, sizeof(err)), RC_CONFLICT);
	assert_int_equal(t.progress, 100);
	c = (struct sess_complete){.if_match = 7, .result = RES_FAILED, .is_canceled = 1, .end_us = 1};
	t = (struct task_rec){.name = "vm", .state = ST_WORKING, .usn = 7, .creation_us = 10};
	assert_int_equal(task_apply_complete(&c, &t, err, sizeof(err)), RC_OK);
	assert_int_equal(t.is_canceled, 1);
	assert_int_equal(t.end_us, 10);
	assert_int_equal(t.progress, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_matrix), cmocka_unit_test(test_patch),
		cmocka_unit_test(test_complete),          cmocka_unit_test(test_stop_open),
		cmocka_unit_test(test_prepare_new),       cmocka_unit_test(test_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
