/* xw: a small streaming XML writer into a struct buf.
 * Element and attribute text is escaped (&, <, >, ", '); characters that XML 1.0
 * forbids (control characters other than tab, LF, CR) and invalid UTF-8 bytes
 * are replaced by U+FFFD, so the output is always well-formed. */
#ifndef SESSIOND_UTIL_XW_H
#define SESSIOND_UTIL_XW_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define XW_MAX_DEPTH 32

struct xw {
	struct buf *b;                       /* output; not owned */
	int depth;
	const char *stack[XW_MAX_DEPTH];     /* open element names (caller keeps them alive) */
	int tag_open;                        /* the start tag's '>' is not yet written */
};

/** Starts a document with the XML declaration <?xml version="1.0" encoding="utf-8"?>. */
void xw_init(struct xw *w, struct buf *b);
void xw_start(struct xw *w, const char *name);               /* <name */
void xw_attr(struct xw *w, const char *name, const char *v); /* name="v"; NULL v writes nothing */
void xw_text(struct xw *w, const char *s);
void xw_end(struct xw *w);                                   /* /> or </name> */
/** <name>text</name>; NULL text writes nothing at all, "" writes <name /> */
void xw_elem(struct xw *w, const char *name, const char *text);
void xw_elem_int(struct xw *w, const char *name, int64_t v);
void xw_elem_bool(struct xw *w, const char *name, int v);    /* true / false */
/** Closes every open element. */
void xw_finish(struct xw *w);

/** Appends s to b escaped for element text or attribute values. */
void xw_escape(struct buf *b, const char *s, size_t n);

#endif
