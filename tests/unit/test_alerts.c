/* Alert rules (core/alerts.c): what a rule may say, the field a refusal names, the secret
 * kept by a replacement that gives none; and the '*' patterns that scope rules (util/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/alerts.h"
#include "model/estate.h"
#include "util/text.h"

static enum rc read_rule(const char *body, const struct estate_rec *old, struct arena *a, struct estate_rec *out,
                         const char **field, char *err)
{
	return core_alert_rule_read(body, strlen(body), old, a, out, field, err, 300);
}

static void test_valid_rule(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct estate_rec e;
	const char *field;
	char err[300];
	assert_int_equal(read_rule("{\"name\":\"n\",\"event\":\"stuck\",\"seconds\":30,\"url\":\"https://h/x\","
	                           "\"secret\":\"12345678\",\"jobPattern\":\"a*\",\"id\":\"ignored\",\"hasSecret\":true}",
	                           NULL, &a, &e, &field, err),
	                 RC_OK);
	assert_int_equal(e.kind, EK_alertRule);
	assert_string_equal(e.name, "n");
	assert_non_null(strstr(e.props, "\"secret\":\"12345678\""));
	assert_null(strstr(e.props, "hasSecret"));
	assert_null(strstr(e.props, "\"id\""));
	/* a replacement without a secret keeps the old one */
	struct estate_rec n;
	assert_int_equal(read_rule("{\"name\":\"m\",\"event\":\"failed\",\"url\":\"http://h/\"}", &e, &a, &n, &field, err),
	                 RC_OK);
	assert_non_null(strstr(n.props, "\"secret\":\"12345678\""));
	arena_free(&a);
}

static void test_refusals_name_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *body, *field;
	} bad[] = {
		{"{\"event\":\"failed\",\"url\":\"http://h/\",\"secret\":\"12345678\"}", "name"},
		{"{\"name\":\"\",\"event\":\"failed\",\"url\":\"http://h/\",\"secret\":\"12345678\"}", "name"},
		{"{\"name\":\"n\",\"event\":\"boom\",\"url\":\"http://h/\",\"secret\":\"12345678\"}", "event"},
		{"{\"name\":\"n\",\"event\":\"failed\",\"url\":\"file:///etc/passwd\",\"secret\":\"12345678\"}", "url"},
		{"{\"name\":\"n\",\"event\":\"failed\",\"url\":\"http://h/\"}", "secret"},
		{"{\"name\":\"n\",\"event\":\"stuck\",\"url\":\"http://h/\",\"secret\":\"12345678\"}", "minutes"},
		{"{\"name\":\"n\",\"event\":\"stuck\",\"minutes\":1,\"seconds\":1,\"url\":\"http://h/\",\"secret\":\"12345678\"}",
		 "seconds"},
		{"{\"name\":\"n\",\"event\":\"repository-free-below\",\"percent\":0,\"url\":\"http://h/\",\"secret\":\"12345678\"}",
		 "percent"},
		{"{\"name\":\"n\",\"event\":\"failed\",\"url\":\"http://h/\",\"secret\":\"12345678\",\"sessionType\":\"X\"}",
		 "sessionType"},
		{"{\"name\":\"n\",\"event\":\"failed\",\"url\":\"http://h/\",\"secret\":\"12345678\",\"body\":\"x\"}", "body"},
		{"{\"name\":\"n\",\"name\":\"m\"}", "body"},
		{"[]", "body"},
		{"{", "body"},
	};
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct arena a;
		arena_init(&a);
		struct estate_rec e;
		const char *field;
		char err[300] = "";
		assert_int_equal(read_rule(bad[i].body, NULL, &a, &e, &field, err), RC_INVALID);
		if(strncmp(err, bad[i].field, strlen(bad[i].field)))
			fail_msg("%s: want the message to start with %s, got \"%s\"", bad[i].body, bad[i].field, err);
		arena_free(&a);
	}
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(text_glob("nightly*", "Nightly rsync"));
	assert_true(text_glob("*", ""));
	assert_true(text_glob("*sync", "rsync"));
	assert_true(text_glob("a*b*c", "aXXbYYc"));
	assert_true(text_glob("a**c", "ac"));
	assert_true(text_glob("exact", "EXACT"));
	assert_false(text_glob("exact", "exactly"));
	assert_false(text_glob("a*b", "acd"));
	assert_false(text_glob("", "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_rule),
		cmocka_unit_test(test_refusals_name_the_field),
		cmocka_unit_test(test_glob),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
