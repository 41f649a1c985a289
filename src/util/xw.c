#include "xw.h"

#include <string.h>

#include "text.h"

/* Escape classes: 0 copies as is, 1 always gets a replacement below,
 * 2 starts a multi-byte sequence (or is invalid), 3 is tab/LF, which element
 * text keeps but attribute values must escape (parsers fold them to spaces). */
static const unsigned char xclass[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
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

static const char replacement[] = "\xEF\xBF\xBD";

/* Length of the UTF-8 sequence at p when it is well formed and an XML 1.0
 * Char (so not U+FFFE/U+FFFF), else 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = text_utf8_len(p, n);
	if(len == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
		return 0;
	return len;
}

static void escape(struct buf *b, const char *s, size_t n, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	while(i < n) {
		unsigned char c = p[i];
		unsigned char k = xclass[c];
		if(!k || (k == 3 && !attr)) {
			i++;
			continue;
		}
		if(k == 2) {
			size_t l = utf8_len(p + i, n - i);
			if(l) {
				i += l;
				continue;
			}
		}
		if(i > run)
			buf_add(b, p + run, i - run);
		switch(c) {
		case '&': buf_add(b, "&amp;", 5); break;
		case '<': buf_add(b, "&lt;", 4); break;
		case '>': buf_add(b, "&gt;", 4); break;
		case '"': buf_add(b, "&quot;", 6); break;
		case '\'': buf_add(b, "&apos;", 6); break;
		case '\t': buf_add(b, "&#9;", 4); break;
		case '\n': buf_add(b, "&#10;", 5); break;
		case '\r': buf_add(b, "&#13;", 5); break;
		default: buf_add(b, replacement, 3); break;
		}
		run = ++i;
	}
	if(i > run)
		buf_add(b, p + run, i - run);
}

void xw_escape(struct buf *b, const char *s, size_t n)
{
	escape(b, s, n, 1);
}

void xw_init(struct xw *w, struct buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	buf_addstr(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
}

static void close_tag(struct xw *w)
{
	if(w->tag_open) {
		buf_addc(w->b, '>');
		w->tag_open = 0;
	}
}

/* Elements nested deeper than XW_MAX_DEPTH are counted but not written, with
 * everything inside them, so the output stays well-formed. */
static int too_deep(const struct xw *w)
{
	return w->depth > XW_MAX_DEPTH;
}

void xw_start(struct xw *w, const char *name)
{
	if(w->depth >= XW_MAX_DEPTH) {
		w->depth++;
		return;
	}
	close_tag(w);
	buf_addc(w->b, '<');
	buf_addstr(w->b, name);
	w->stack[w->depth++] = name;
	w->tag_open = 1;
}

void xw_attr(struct xw *w, const char *name, const char *v)
{
	if(!v || !w->tag_open || too_deep(w))
		return;
	buf_addc(w->b, ' ');
	buf_addstr(w->b, name);
	buf_add(w->b, "=\"", 2);
	escape(w->b, v, strlen(v), 1);
	buf_addc(w->b, '"');
}

void xw_text(struct xw *w, const char *s)
{
	if(!s || too_deep(w))
		return;
	close_tag(w);
	escape(w->b, s, strlen(s), 0);
}

void xw_end(struct xw *w)
{
	if(w->depth <= 0)
		return;
	if(too_deep(w)) {
		w->depth--;
		return;
	}
	const char *name = w->stack[--w->depth];
	if(w->tag_open) {
		buf_add(w->b, " />", 3);
		w->tag_open = 0;
		return;
	}
	buf_add(w->b, "</", 2);
	buf_addstr(w->b, name);
	buf_addc(w->b, '>');
}

void xw_elem(struct xw *w, const char *name, const char *text)
{
	if(!text)
		return;
	xw_start(w, name);
	if(*text)
		xw_text(w, text);
	xw_end(w);
}

void xw_elem_int(struct xw *w, const char *name, int64_t v)
{
	char tmp[24];
	char *e = tmp + sizeof tmp - 1, *p = e;
	*e = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while(u);
	if(v < 0)
		*--p = '-';
	xw_elem(w, name, p);
}

void xw_elem_bool(struct xw *w, const char *name, int v)
{
	xw_elem(w, name, v ? "true" : "false");
}

void xw_finish(struct xw *w)
{
	while(w->depth > 0)
		xw_end(w);
}
