/* libFuzzer target: arbitrary bytes through jw and xw must always parse back
 * (jansson, libxml2) to the input with invalid parts replaced by U+FFFD. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/buf.h"
#include "util/jw.h"
#include "util/xw.h"

/* Textbook UTF-8 decoding; anything not allowed becomes U+FFFD. xml also
 * refuses what XML 1.0 does not call a Char. */
static void ref_sanitize(struct buf *out, const unsigned char *s, size_t n, int xml)
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
		if(ok && xml &&
		   ((cp < 0x20 && cp != 9 && cp != 10 && cp != 13) || cp == 0xFFFE || cp == 0xFFFF))
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

static int same(const struct buf *want, const char *got, size_t n)
{
	return want->len == n && (n == 0 || memcmp(want->p, got, n) == 0);
}

static void check_json(const unsigned char *data, size_t size)
{
	struct buf b, want;
	struct jw w;
	buf_init(&b, 0);
	buf_init(&want, 0);
	ref_sanitize(&want, data, size, 0);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "k");
	jw_strn(&w, (const char *)data, size);
	jw_key(&w, "a");
	jw_arr(&w);
	jw_strn(&w, (const char *)data, size);
	jw_null(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);

	json_error_t err;
	json_t *root = json_loadb(b.p, b.len, JSON_ALLOW_NUL, &err);
	if(!root)
		abort();
	json_t *k = json_object_get(root, "k");
	json_t *a = json_object_get(root, "a");
	if(!json_is_string(k) || !same(&want, json_string_value(k), json_string_length(k)))
		abort();
	if(json_array_size(a) != 2 || !json_is_null(json_array_get(a, 1)))
		abort();
	json_decref(root);
	buf_free(&b);
	buf_free(&want);
}

static void check_xml(const unsigned char *data, size_t size)
{
	const unsigned char *nul = memchr(data, 0, size);
	size_t n = nul ? (size_t)(nul - data) : size;
	char *s = malloc(n + 1);
	if(!s)
		abort();
	memcpy(s, data, n);
	s[n] = 0;

	struct buf b, want;
	struct xw w;
	buf_init(&b, 0);
	buf_init(&want, 0);
	ref_sanitize(&want, (const unsigned char *)s, n, 1);
	xw_init(&w, &b);
	xw_start(&w, "R");
	xw_attr(&w, "a", s);
	xw_elem(&w, "T", s);
	xw_start(&w, "U");
	xw_text(&w, s);
	xw_finish(&w);

	xmlDocPtr doc = xmlReadMemory(b.p, (int)b.len, "f.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	if(!doc)
		abort();
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlChar *attr = xmlGetProp(root, (const xmlChar *)"a");
	if(!attr || !same(&want, (const char *)attr, strlen((const char *)attr)))
		abort();
	xmlFree(attr);
	xmlNodePtr u = xmlLastElementChild(root);
	if(!u || strcmp((const char *)u->name, "U") != 0)
		abort();
	xmlChar *text = xmlNodeGetContent(u);
	if(!text || !same(&want, (const char *)text, strlen((const char *)text)))
		abort();
	xmlFree(text);
	xmlFreeDoc(doc);
	buf_free(&b);
	buf_free(&want);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_json(data, size);
	check_xml(data, size);
	return 0;
}
