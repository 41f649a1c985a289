#include "jw.h"

#include <string.h>

#include "text.h"

/* Byte classes for escaping: 0 copies as is, 1 needs an escape, 2 starts a
 * multi-byte sequence (or is invalid) and must be validated. */
static const unsigned char jclass[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static const char hex[] = "0123456789abcdef";
static const char replacement[] = "\xEF\xBF\xBD";


void jw_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	while(i < n) {
		unsigned char c = p[i];
		unsigned char k = jclass[c];
		if(!k) {
			i++;
			continue;
		}
		if(k == 2) {
			size_t l = text_utf8_len(p + i, n - i);
			if(l) {
				i += l;
				continue;
			}
		}
		if(i > run)
			buf_add(b, p + run, i - run);
		if(k == 2) {
			buf_add(b, replacement, 3);
		} else {
			char e[6] = {'\\', 0, '0', '0', 0, 0};
			size_t el = 2;
			switch(c) {
			case '"': e[1] = '"'; break;
			case '\\': e[1] = '\\'; break;
			case '\n': e[1] = 'n'; break;
			case '\r': e[1] = 'r'; break;
			case '\t': e[1] = 't'; break;
			case '\b': e[1] = 'b'; break;
			case '\f': e[1] = 'f'; break;
			default:
				e[1] = 'u';
				e[4] = hex[c >> 4];
				e[5] = hex[c & 15];
				el = 6;
			}
			buf_add(b, e, el);
		}
		run = ++i;
	}
	if(i > run)
		buf_add(b, p + run, i - run);
}

static unsigned char *comma_slot(struct jw *w)
{
	return &w->need_comma[w->depth < JW_MAX_DEPTH ? w->depth : JW_MAX_DEPTH];
}

/* Writes the separator a new value or key needs at this point. A closed
 * container always leaves its parent needing a comma, so levels deeper than
 * JW_MAX_DEPTH can share the last slot. */
static void sep(struct jw *w)
{
	if(w->after_key) {
		w->after_key = 0;
		return;
	}
	unsigned char *nc = comma_slot(w);
	if(*nc)
		buf_addc(w->b, ',');
	*nc = 1;
}

void jw_init(struct jw *w, struct buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

static void open_container(struct jw *w, char c)
{
	sep(w);
	buf_addc(w->b, c);
	w->depth++;
	*comma_slot(w) = 0;
}

static void close_container(struct jw *w, char c)
{
	buf_addc(w->b, c);
	if(w->depth > 0)
		w->depth--;
	w->after_key = 0;
}

void jw_obj(struct jw *w) { open_container(w, '{'); }
void jw_obj_end(struct jw *w) { close_container(w, '}'); }
void jw_arr(struct jw *w) { open_container(w, '['); }
void jw_arr_end(struct jw *w) { close_container(w, ']'); }

static void quoted(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	jw_escape(b, s, n);
	buf_addc(b, '"');
}

void jw_key(struct jw *w, const char *k)
{
	sep(w);
	quoted(w->b, k, strlen(k));
	buf_addc(w->b, ':');
	w->after_key = 1;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	quoted(w->b, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	if(!s)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
	char tmp[24];
	char *e = tmp + sizeof tmp, *p = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while(u);
	if(v < 0)
		*--p = '-';
	sep(w);
	buf_add(w->b, p, (size_t)(e - p));
}

void jw_bool(struct jw *w, int v)
{
	sep(w);
	if(v)
		buf_add(w->b, "true", 4);
	else
		buf_add(w->b, "false", 5);
}

void jw_null(struct jw *w)
{
	sep(w);
	buf_add(w->b, "null", 4);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	sep(w);
	buf_add(w->b, json, n);
}

void jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void jw_kint(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_int(w, v);
}

void jw_kbool(struct jw *w, const char *k, int v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

void jw_knull(struct jw *w, const char *k)
{
	jw_key(w, k);
	jw_null(w);
}
