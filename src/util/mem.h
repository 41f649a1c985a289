/* mem: allocation that never returns NULL (out of memory aborts, decided
 * here once) and per-request arenas freed in one call. */
#ifndef SESSIOND_UTIL_MEM_H
#define SESSIOND_UTIL_MEM_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

struct arena_block;
/** An arena hands out memory that lives until arena_free()/arena_reset().
 *  Whoever initialised the arena frees it. */
struct arena {
	struct arena_block *head;
	size_t used_total;
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);
/** Frees everything allocated so far but keeps the first block for reuse. */
void arena_reset(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);   /* 16-byte aligned, uninitialised */
void *arena_zalloc(struct arena *a, size_t n);  /* zeroed */
char *arena_strdup(struct arena *a, const char *s);   /* NULL stays NULL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
