#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/buf.h"
#include "util/xw.h"

#define DECL "<?xml version=\"1.0\" encoding=\"utf-8\"?>"

/* Reference: what must come back from a parser for arbitrary input bytes,
 * decoded the textbook way; anything that is not an XML 1.0 Char -> U+FFFD. */
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
		if(ok && ((cp < 0x20 && cp != 9 && cp != 10 && cp != 13) || cp == 0xFFFE || cp == 0xFFFF))
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

static uint64_t rng_state = 0x2545F4914F6CDD1Du;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* NUL-free random strings (the xw API takes C strings). */
static size_t random_string(unsigned char *s, size_t cap)
{
	static const char *pieces[] = {"a", "Z", " ", "  ", "&", "<", ">", "\"", "'", "]]>", "&amp;",
				       "\n", "\r", "\r\n", "\t", "\x01", "\x1f", "\x7f",
				       "\xc2\x85", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
				       "\xef\xbf\xbe", "\xef\xbf\xbf", "\xef\xbf\xbd", "\xc0\x80",
				       "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"};
	size_t n = 0, want = rnd() % 40;
	while(n < want && n + 4 < cap) {
		if(rnd() % 4 == 0) {
			unsigned char c = (unsigned char)rnd();
			s[n++] = c ? c : 'x';
			continue;
		}
		const char *p = pieces[rnd() % (sizeof pieces / sizeof *pieces)];
		size_t l = strlen(p);
		memcpy(s + n, p, l);
		n += l;
	}
	s[n] = 0;
	return n;
}

static void test_document_exact(void **state)
{
	struct buf b;
	struct xw w;
	buf_init(&b, 0);
	xw_init(&w, &b);
	xw_start(&w, "Root");
	xw_attr(&w, "Href", "http://h/a?x=1&y=2");
	xw_attr(&w, "Skip", NULL);
	xw_start(&w, "Empty");
	xw_end(&w);
	xw_elem(&w, "Name", "a<b>&\"c'");
	xw_elem(&w, "Missing", NULL);
	xw_elem(&w, "Blank", "");
	xw_elem_int(&w, "Min", INT64_MIN);
	xw_elem_int(&w, "Zero", 0);
	xw_elem_bool(&w, "T", 1);
	xw_elem_bool(&w, "F", 0);
	xw_start(&w, "Mixed");
	xw_text(&w, "x");
	xw_text(&w, NULL);
	xw_elem(&w, "In", "y");
	xw_finish(&w);
	assert_int_equal(w.depth, 0);
	assert_int_equal(b.failed, 0);
	assert_string_equal(buf_cstr(&b),
			    DECL "<Root Href=\"http://h/a?x=1&amp;y=2\"><Empty />"
				 "<Name>a&lt;b&gt;&amp;&quot;c&apos;</Name><Blank />"
				 "<Min>-9223372036854775808</Min><Zero>0</Zero><T>true</T><F>false</F>"
				 "<Mixed>x<In>y</In></Mixed></Root>");
	buf_free(&b);
}

static void escaped(const char *in, const char *want)
{
	struct buf b;
	buf_init(&b, 0);
	xw_escape(&b, in, strlen(in));
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void test_escape_exact(void **state)
{
	escaped("plain", "plain");
	escaped("&<>\"'", "&amp;&lt;&gt;&quot;&apos;");
	escaped("a\tb\nc\rd", "a&#9;b&#10;c&#13;d");
	escaped("\x01\x1f", "\xef\xbf\xbd\xef\xbf\xbd");
	escaped("\x7f\xc2\x85", "\x7f\xc2\x85");
	escaped("\xc3\xa9\xf0\x9f\x98\x80", "\xc3\xa9\xf0\x9f\x98\x80");
	escaped("\xef\xbf\xbf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	escaped("\xff" "a", "\xef\xbf\xbd" "a");
	escaped("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_text_keeps_newlines(void **state)
{
	struct buf b;
	struct xw w;
	buf_init(&b, 0);
	xw_init(&w, &b);
	xw_elem(&w, "D", "l1\n\tl2\r\n");
	assert_string_equal(buf_cstr(&b), DECL "<D>l1\n\tl2&#13;\n</D>");
	buf_free(&b);
}

static xmlDocPtr parse(const struct buf *b)
{
	xmlDocPtr doc = xmlReadMemory(b->p, (int)b->len, "mem.xml", NULL, XML_PARSE_NONET);
	if(!doc)
		fail_msg("libxml2 rejected: %s", b->p);
	return doc;
}

static void test_roundtrip_libxml2(void **state)
{
	unsigned char s[256];
	for(int iter = 0; iter < 5000; iter++) {
		size_t n = random_string(s, sizeof s - 1);
		struct buf b, want;
		struct xw w;
		buf_init(&b, 0);
		buf_init(&want, 0);
		ref_sanitize(&want, s, n);
		xw_init(&w, &b);
		xw_start(&w, "R");
		xw_attr(&w, "a", (const char *)s);
		xw_elem(&w, "T", (const char *)s);
		xw_finish(&w);

		xmlDocPtr doc = parse(&b);
		xmlNodePtr root = xmlDocGetRootElement(doc);
		xmlChar *attr = xmlGetProp(root, (const xmlChar *)"a");
		assert_non_null(attr);
		assert_int_equal(strlen((const char *)attr), want.len);
		assert_memory_equal(attr, want.len ? want.p : "", want.len);
		xmlFree(attr);
		if(n) {
			xmlNodePtr t = xmlFirstElementChild(root);
			assert_non_null(t);
			assert_string_equal((const char *)t->name, "T");
			xmlChar *text = xmlNodeGetContent(t);
			assert_int_equal(strlen((const char *)text), want.len);
			assert_memory_equal(text, want.p, want.len);
			xmlFree(text);
		}
		xmlFreeDoc(doc);
		buf_free(&b);
		buf_free(&want);
	}
}

static void test_deep_nesting(void **state)
{
	struct buf b;
	struct xw w;
	buf_init(&b, 0);
	xw_init(&w, &b);
	for(int i = 0; i < XW_MAX_DEPTH + 5; i++) {
		xw_start(&w, "e");
		xw_attr(&w, "x", "1");
		xw_text(&w, "t");
	}
	xw_end(&w);
	xw_elem(&w, "sib", "v");
	xw_finish(&w);
	assert_int_equal(w.depth, 0);
	xmlDocPtr doc = parse(&b);
	int levels = 0;
	for(xmlNodePtr n = xmlDocGetRootElement(doc); n; n = xmlFirstElementChild(n))
		levels++;
	assert_int_equal(levels, XW_MAX_DEPTH);
	xmlFreeDoc(doc);
	buf_free(&b);
}

static void test_end_without_start(void **state)
{
	struct buf b;
	struct xw w;
	buf_init(&b, 0);
	xw_init(&w, &b);
	xw_end(&w);
	xw_finish(&w);
	assert_string_equal(buf_cstr(&b), DECL);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_exact),
		cmocka_unit_test(test_escape_exact),
		cmocka_unit_test(test_text_keeps_newlines),
		cmocka_unit_test(test_roundtrip_libxml2),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_end_without_start),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
