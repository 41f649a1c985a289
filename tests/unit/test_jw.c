#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/jw.h"

/* Reference: what the writer must make of arbitrary bytes, decoded the
 * textbook way (code point, then range checks), invalid bytes -> U+FFFD. */
static void ref_sanitize(struct buf *out, const unsigned char *s, size_t n)
{
	size_t i = 0;
	while(i < n) {
		unsigned c = s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xC0 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 :
			     c >= 0xF0 && c < 0xF8 ? 4 : 0;
		unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
		int ok = len != 0 && i + len <= n;
		for(size_t j = 1; ok && j < len; j++) {
			if((s[i + j] & 0xC0) != 0x80)
				ok = 0;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
		if(ok && (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
			ok = 0;
		if(ok) {
			buf_add(out, s + i, len);
			i += len;
		} else {
			buf_add(out, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random strings built from pieces that stress escaping and UTF-8 handling. */
static size_t random_string(unsigned char *s, size_t cap)
{
	static const char *pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b",
				       "\f", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
				       "\xf0\x9f\x98\x80", "\xef\xbf\xbf", "\xe2\x80\xa8",
				       "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"};
	size_t n = 0, want = rnd() % 40;
	while(n < want && n + 4 < cap) {
		if(rnd() % 4 == 0) {
			s[n++] = (unsigned char)rnd();
			continue;
		}
		const char *p = pieces[rnd() % (sizeof pieces / sizeof *pieces)];
		size_t l = strlen(p);
		memcpy(s + n, p, l);
		n += l;
	}
	if(rnd() % 8 == 0 && n + 1 < cap)
		s[n++] = 0;
	return n;
}

static void check_output(struct buf *b, const char *expected)
{
	assert_int_equal(b->failed, 0);
	assert_string_equal(buf_cstr(b), expected);
}

static void test_scalars_and_nesting(void **state)
{
	struct buf b;
	struct jw w;
	buf_init(&b, 0);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "name", "x");
	jw_kint(&w, "min", INT64_MIN);
	jw_kint(&w, "max", INT64_MAX);
	jw_kint(&w, "zero", 0);
	jw_kbool(&w, "t", 1);
	jw_kbool(&w, "f", 0);
	jw_knull(&w, "n");
	jw_kstr(&w, "s", NULL);
	jw_key(&w, "arr");
	jw_arr(&w);
	jw_int(&w, -7);
	jw_arr(&w);
	jw_arr_end(&w);
	jw_obj(&w);
	jw_obj_end(&w);
	jw_raw(&w, "{\"r\":1}", 7);
	jw_str(&w, "");
	jw_strn(&w, "ab", 1);
	jw_arr_end(&w);
	jw_key(&w, "o");
	jw_obj(&w);
	jw_kint(&w, "a", 1);
	jw_obj_end(&w);
	jw_obj_end(&w);
	check_output(&b, "{\"name\":\"x\",\"min\":-9223372036854775808,\"max\":9223372036854775807,"
			 "\"zero\":0,\"t\":true,\"f\":false,\"n\":null,\"s\":null,"
			 "\"arr\":[-7,[],{},{\"r\":1},\"\",\"a\"],\"o\":{\"a\":1}}");
	assert_int_equal(w.depth, 0);
	buf_free(&b);
}

static void test_top_level_array(void **state)
{
	struct buf b;
	struct jw w;
	buf_init(&b, 0);
	jw_init(&w, &b);
	jw_arr(&w);
	for(int i = 0; i < 3; i++) {
		jw_obj(&w);
		jw_kint(&w, "i", i);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	check_output(&b, "[{\"i\":0},{\"i\":1},{\"i\":2}]");
	buf_free(&b);
}

static void escaped(const char *in, size_t n, const char *want)
{
	struct buf b;
	buf_init(&b, 0);
	jw_escape(&b, in, n);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.p ? b.p : "", want, b.len);
	buf_free(&b);
}

static void test_escape_exact(void **state)
{
	escaped("plain text", 10, "plain text");
	escaped("", 0, "");
	escaped("a\"b\\c/d", 7, "a\\\"b\\\\c/d");
	escaped("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f");
	escaped("\x01\x1f\x7f", 3, "\\u0001\\u001f\x7f");
	escaped("a\0b", 3, "a\\u0000b");
	escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	escaped("\xff", 1, "\xef\xbf\xbd");
	escaped("a\xc3", 2, "a\xef\xbf\xbd");                      /* truncated */
	escaped("\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd");        /* overlong */
	escaped("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	escaped("\xf4\x90\x80\x80", 4,
		"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
	escaped("\xe2\x82x", 3, "\xef\xbf\xbd\xef\xbf\xbdx");
}

static void test_key_escaped(void **state)
{
	struct buf b;
	struct jw w;
	buf_init(&b, 0);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "k\"\n", "v");
	jw_obj_end(&w);
	check_output(&b, "{\"k\\\"\\n\":\"v\"}");
	buf_free(&b);
}

static void test_roundtrip_jansson(void **state)
{
	unsigned char s[256];
	for(int iter = 0; iter < 5000; iter++) {
		size_t n = random_string(s, sizeof s);
		struct buf b, want;
		struct jw w;
		buf_init(&b, 0);
		buf_init(&want, 0);
		ref_sanitize(&want, s, n);
		jw_init(&w, &b);
		jw_obj(&w);
		jw_key(&w, "k");
		jw_strn(&w, (const char *)s, n);
		jw_key(&w, "a");
		jw_arr(&w);
		jw_strn(&w, (const char *)s, n);
		jw_int(&w, (int64_t)rnd());
		jw_arr_end(&w);
		jw_obj_end(&w);

		json_error_t err;
		json_t *root = json_loadb(b.p, b.len, JSON_ALLOW_NUL, &err);
		if(!root)
			fail_msg("jansson rejected %s: %s", b.p, err.text);
		json_t *k = json_object_get(root, "k");
		json_t *a0 = json_array_get(json_object_get(root, "a"), 0);
		assert_non_null(k);
		assert_non_null(a0);
		assert_int_equal(json_string_length(k), want.len);
		assert_memory_equal(json_string_value(k), want.len ? want.p : "", want.len);
		assert_int_equal(json_string_length(a0), want.len);
		assert_memory_equal(json_string_value(a0), want.len ? want.p : "", want.len);
		json_decref(root);
		buf_free(&b);
		buf_free(&want);
	}
}

static void test_deep_nesting(void **state)
{
	struct buf b;
	struct jw w;
	buf_init(&b, 0);
	jw_init(&w, &b);
	for(int i = 0; i < JW_MAX_DEPTH + 8; i++) {
		jw_arr(&w);
		jw_int(&w, i);
	}
	for(int i = 0; i < JW_MAX_DEPTH + 8; i++) {
		jw_arr_end(&w);
		if(i + 1 < JW_MAX_DEPTH + 8)
			jw_int(&w, -i);
	}
	assert_int_equal(w.depth, 0);
	json_error_t err;
	json_t *root = json_loadb(b.p, b.len, 0, &err);
	if(!root)
		fail_msg("deep array rejected: %s", err.text);
	json_t *a = root;
	for(int i = 0; i < JW_MAX_DEPTH + 7; i++)
		a = json_array_get(a, 1);
	assert_int_equal(json_integer_value(json_array_get(a, 0)), JW_MAX_DEPTH + 7);
	assert_int_equal(json_array_size(a), 1);
	assert_int_equal(json_integer_value(json_array_get(root, 2)), -(JW_MAX_DEPTH + 6));
	json_decref(root);

	buf_reset(&b);
	jw_init(&w, &b);
	for(int i = 0; i < JW_MAX_DEPTH + 8; i++) {
		jw_obj(&w);
		jw_kint(&w, "i", i);
		jw_key(&w, "c");
	}
	jw_null(&w);
	for(int i = 0; i < JW_MAX_DEPTH + 8; i++) {
		jw_obj_end(&w);
		if(i + 1 < JW_MAX_DEPTH + 8)
			jw_kint(&w, "after", i);
	}
	root = json_loadb(b.p, b.len, 0, &err);
	if(!root)
		fail_msg("deep object rejected: %s", err.text);
	json_t *o = root;
	for(int i = 0; i < JW_MAX_DEPTH + 7; i++)
		o = json_object_get(o, "c");
	assert_int_equal(json_integer_value(json_object_get(o, "i")), JW_MAX_DEPTH + 7);
	assert_int_equal(json_integer_value(json_object_get(root, "after")), JW_MAX_DEPTH + 6);
	json_decref(root);
	buf_free(&b);
}

static void test_bounded_buffer(void **state)
{
	struct buf b;
	struct jw w;
	buf_init(&b, 16);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "key", "a long value that does not fit");
	jw_obj_end(&w);
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_and_nesting),
		cmocka_unit_test(test_top_level_array),
		cmocka_unit_test(test_escape_exact),
		cmocka_unit_test(test_key_escaped),
		cmocka_unit_test(test_roundtrip_jansson),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_bounded_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
