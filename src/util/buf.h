/* buf: a growable byte buffer with a hard size bound (like curl's dynbuf).
 * The owner of a struct buf calls buf_free(); on overflow of the bound the
 * buffer frees itself, stays empty and reports -1 from every later add. */
#ifndef SESSIOND_UTIL_BUF_H
#define SESSIOND_UTIL_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;      /* data, always NUL-terminated when non-NULL */
	size_t len;   /* bytes used, excluding the terminating NUL */
	size_t cap;   /* bytes allocated */
	size_t max;   /* bound on len; 0 means BUF_DEFAULT_MAX */
	int failed;   /* set once the bound was exceeded */
};

#define BUF_DEFAULT_MAX ((size_t)256 << 20)

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/** Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/** Appends n bytes; 0 on success, -1 when the bound would be exceeded. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/** The contents as a C string ("" for an empty buffer); owned by b. */
const char *buf_cstr(const struct buf *b);
/** Hands the memory to the caller (who free()s it) and empties b. */
char *buf_take(struct buf *b, size_t *len);

#endif
