/* Schedules (model/schedule.c): cron fields, names, steps, the day-of-month/day-of-week
 * rule, intervals, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "model/schedule.h"

/* µs of a UTC date-time */
static int64_t at(int y, int mo, int d, int h, int mi)
{
	struct tm t = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (int64_t)timegm(&t) * 1000000;
}

static int64_t next(const char *spec, int64_t from)
{
	struct schedule sc;
	char err[200];
	assert_int_equal(schedule_parse(spec, &sc, err, sizeof(err)), 0);
	return schedule_next(&sc, from);
}

static void test_cron(void **state)
{
	int64_t t = at(2026, 12, 1, 10, 30);   /* a Tuesday */
	assert_int_equal(next("0 22 * * *", t), at(2026, 12, 1, 22, 0));
	assert_int_equal(next("0 22 * * *", at(2026, 12, 1, 22, 0)), at(2026, 12, 2, 22, 0));   /* strictly after */
	assert_int_equal(next("*/15 * * * *", t), at(2026, 12, 1, 10, 45));
	assert_int_equal(next("5/20 * * * *", t), at(2026, 12, 1, 10, 45));
	assert_int_equal(next("0 0 1 * *", t), at(2027, 1, 1, 0, 0));
	assert_int_equal(next("0 6 * * sat,sun", t), at(2026, 12, 5, 6, 0));
	assert_int_equal(next("0 6 * * 7", t), at(2026, 12, 6, 6, 0));   /* 7 is Sunday */
	assert_int_equal(next("0 6 * * 1-5", at(2026, 12, 4, 7, 0)), at(2026, 12, 7, 6, 0));   /* Fri → Mon */
	assert_int_equal(next("30 2 * feb *", t), at(2027, 2, 1, 2, 30));
	/* both day fields restricted: either matches */
	assert_int_equal(next("0 0 15 * wed", t), at(2026, 12, 2, 0, 0));
	assert_int_equal(next("0 0 29 2 *", t), at(2028, 2, 29, 0, 0));
}

static void test_interval(void **state)
{
	int64_t t = at(2026, 12, 1, 10, 30);
	assert_int_equal(next("15m", t), t + 15 * 60000000LL);
	assert_int_equal(next("2h", t), t + 2 * 3600000000LL);
	assert_int_equal(next("1d", t), t + 86400000000LL);
	assert_int_equal(next("5s", t), t + 5000000LL);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
		"5-1 * * * *", "*/0 * * * *", "a * * * *", "0m", "15x", "-5m", "367d", "1,,2 * * * *", NULL,
	};
	for(int i = 0; bad[i]; i++) {
		struct schedule sc;
		char err[200] = "";
		assert_int_equal(schedule_parse(bad[i], &sc, err, sizeof(err)), -1);
		assert_true(strlen(err) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cron),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
