#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

void buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : BUF_DEFAULT_MAX;
	b->failed = 0;
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if(b->p)
		b->p[0] = 0;
}

static int grow(struct buf *b, size_t n)
{
	if(b->failed)
		return -1;
	if(n > b->max || b->len > b->max - n) {
		buf_free(b);
		b->failed = 1;
		return -1;
	}
	size_t need = b->len + n + 1;
	if(need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while(cap < need)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	if(grow(b, n))
		return -1;
	if(n)   /* p may be NULL when n is 0 (an empty SQLite blob) */
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	if(b->len + 1 < b->cap && !b->failed) {
		b->p[b->len++] = c;
		b->p[b->len] = 0;
		return 0;
	}
	return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap2);
	va_end(ap2);
	if(n < 0)
		return -1;
	if((size_t)n < sizeof(tmp))
		return buf_add(b, tmp, (size_t)n);
	if(grow(b, (size_t)n))
		return -1;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *buf_cstr(const struct buf *b)
{
	return b->p ? b->p : "";
}

char *buf_take(struct buf *b, size_t *len)
{
	char *p = b->p ? b->p : xstrdup("");
	if(len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
