/* form: application/x-www-form-urlencoded bodies ('+' is a space, %XX a byte). */
#ifndef SESSIOND_UTIL_FORM_H
#define SESSIOND_UTIL_FORM_H
#include <stddef.h>

#include "util/mem.h"

/** The decoded value of the first field named name (case-sensitive), or NULL.
 *  A value with a malformed %-escape or an embedded NUL counts as absent. */
const char *form_get(const char *body, size_t len, const char *name, struct arena *a);

#endif
