/* jw: a small streaming JSON writer into a struct buf.
 * It tracks nesting and commas itself; strings are escaped per RFC 8259
 * (", \, control characters as \u00XX) and invalid UTF-8 bytes are replaced
 * by U+FFFD, so its output always parses. */
#ifndef SESSIOND_UTIL_JW_H
#define SESSIOND_UTIL_JW_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define JW_MAX_DEPTH 32

struct jw {
	struct buf *b;                        /* output; not owned */
	int depth;                            /* current nesting level */
	unsigned char need_comma[JW_MAX_DEPTH + 1]; /* per level: a value was written */
	int after_key;                        /* a key was just written */
};

void jw_init(struct jw *w, struct buf *b);
void jw_obj(struct jw *w);       /* { */
void jw_obj_end(struct jw *w);   /* } */
void jw_arr(struct jw *w);       /* [ */
void jw_arr_end(struct jw *w);   /* ] */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);            /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/** Writes already-serialised JSON text as one value (caller guarantees validity). */
void jw_raw(struct jw *w, const char *json, size_t n);

/* key + value in one call */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_kint(struct jw *w, const char *k, int64_t v);
void jw_kbool(struct jw *w, const char *k, int v);
void jw_knull(struct jw *w, const char *k);

/** Appends s to b escaped as the inside of a JSON string (no quotes). */
void jw_escape(struct buf *b, const char *s, size_t n);

#endif
