/* util/log: levels filter, text lines escape control characters, JSON lines parse and carry
 * a request's fields, a log file is created 0600 and reopened after a rename. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "util/log.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sessiond-log-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.log", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char rotated[160];
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	unlink(path);
	unlink(rotated);
	rmdir(dir);
	return 0;
}

/* The file's lines, read anew; *n gets their number. */
static char **lines_of(const char *p, int *n)
{
	static char *v[64];
	static char text[16384];
	for(int i = 0; i < 64; i++)
		v[i] = NULL;
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = 0;
	*n = 0;
	for(char *s = text, *nl; *s && *n < 64; s = nl + 1) {
		nl = strchr(s, '\n');
		assert_non_null(nl);   /* every line ends with a newline */
		*nl = 0;
		v[(*n)++] = s;
	}
	return v;
}

static void configure(const char *level, const char *format)
{
	char err[256] = "";
	unlink(path);
	assert_int_equal(log_configure(level, format, path, err, sizeof(err)), 0);
}

static void test_levels_and_text(void **state)
{
	(void)state;
	configure("warn", "text");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(log_to_file());
	assert_true(log_enabled(LL_ERROR) && log_enabled(LL_WARN));
	assert_false(log_enabled(LL_INFO) || log_enabled(LL_DEBUG));
	log_error("disk %s", "full");
	log_warn("two\nlines\x1b[31m\n");
	log_info("not shown");
	log_debug("not shown");
	struct log_request ok = {.client = "10.0.0.1", .method = "GET", .target = "/a", .status = 200, .bytes = 5,
	                         .duration_us = 1234, .user = "viewer"};
	log_request(&ok);   /* info: not shown */
	struct log_request bad = {.client = "10.0.0.1", .method = "POST", .target = "/b\n", .status = 503, .bytes = 9,
	                          .duration_us = 12345, .user = "", .cause = "store \"failed\""};
	log_request(&bad);   /* error: shown */
	int n;
	char **l = lines_of(path, &n);
	assert_int_equal(n, 3);
	/* 2026-01-31T12:00:00.123Z error disk full */
	assert_int_equal(strlen(l[0]), 24 + strlen(" error disk full"));
	assert_true(l[0][4] == '-' && l[0][10] == 'T' && l[0][19] == '.' && l[0][23] == 'Z');
	assert_string_equal(l[0] + 24, " error disk full");
	assert_string_equal(l[1] + 24, " warn two\\x0alines\\x1b[31m");
	assert_string_equal(l[2] + 24, " error 10.0.0.1 \"POST /b\\x0a\" 503 9 12.345ms cause=\"store \\\"failed\\\"\"");
}

static void test_debug_shows_everything(void **state)
{
	(void)state;
	configure("debug", "text");
	log_debug("a");
	struct log_request q = {.client = "::1", .method = "GET", .target = "/x", .status = 401, .bytes = 0,
	                        .duration_us = 5, .user = "mallory", .aborted = 1};
	log_request(&q);
	int n;
	char **l = lines_of(path, &n);
	assert_int_equal(n, 2);
	assert_string_equal(l[0] + 24, " debug a");
	assert_string_equal(l[1] + 24, " info ::1 \"GET /x\" 401 0 0.005ms user=mallory (aborted)");
	char err[256];
	assert_int_equal(log_configure("loud", NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "error, warn, info or debug"));
	assert_int_equal(log_configure(NULL, "xml", NULL, err, sizeof(err)), -1);
	assert_int_equal(log_configure("warning", NULL, NULL, err, sizeof(err)), 0);
	assert_false(log_enabled(LL_INFO));
}

static void test_json_lines(void **state)
{
	(void)state;
	configure("info", "json");
	log_info("quote \" and\nnewline");
	log_warn("bad utf-8 \xff here");
	struct log_request q = {.client = "10.0.0.2", .method = "PATCH", .target = "/api/v1/sessions/x", .status = 500,
	                        .bytes = 77, .duration_us = 1500, .user = "key:host-1", .cause = "boom"};
	log_request(&q);
	int n;
	char **l = lines_of(path, &n);
	assert_int_equal(n, 3);
	json_error_t e;
	json_t *a = json_loads(l[0], 0, &e), *b = json_loads(l[1], 0, &e), *c = json_loads(l[2], 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(a, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(a, "msg")), "quote \" and\nnewline");
	assert_int_equal(strlen(json_string_value(json_object_get(a, "time"))), 24);
	assert_string_equal(json_string_value(json_object_get(b, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(c, "level")), "error");
	assert_string_equal(json_string_value(json_object_get(c, "msg")), "request");
	assert_string_equal(json_string_value(json_object_get(c, "method")), "PATCH");
	assert_string_equal(json_string_value(json_object_get(c, "path")), "/api/v1/sessions/x");
	assert_int_equal(json_integer_value(json_object_get(c, "status")), 500);
	assert_int_equal(json_integer_value(json_object_get(c, "bytes")), 77);
	assert_true(json_real_value(json_object_get(c, "duration_ms")) == 1.5);
	assert_string_equal(json_string_value(json_object_get(c, "user")), "key:host-1");
	assert_string_equal(json_string_value(json_object_get(c, "cause")), "boom");
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_reopen_after_rename(void **state)
{
	(void)state;
	configure("info", "text");
	log_info("before");
	char rotated[160], err[256];
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	assert_int_equal(rename(path, rotated), 0);
	log_info("still the old file");
	assert_int_equal(log_reopen(err, sizeof(err)), 0);
	log_info("after");
	int n;
	char **l = lines_of(rotated, &n);
	assert_int_equal(n, 2);
	assert_string_equal(l[1] + 24, " info still the old file");
	l = lines_of(path, &n);
	assert_int_equal(n, 1);
	assert_string_equal(l[0] + 24, " info after");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a directory that went away: the reopen fails with the reason and the old file stays */
	assert_int_equal(rename(path, rotated), 0);
	char moved[160];
	snprintf(moved, sizeof(moved), "%s-gone", dir);
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(log_reopen(err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot reopen the log file"));
	log_info("kept");
	assert_int_equal(rename(moved, dir), 0);
	l = lines_of(rotated, &n);
	assert_string_equal(l[n - 1] + 24, " info kept");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_text),
		cmocka_unit_test(test_debug_shows_everything),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_reopen_after_rename),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
