/* uuid: 128-bit identifiers in canonical text form. */
#ifndef SESSIOND_UTIL_UUID_H
#define SESSIOND_UTIL_UUID_H
#include <stddef.h>

#define UUID_STR_LEN 36

struct uuid {
	unsigned char b[16];
};

/** Parses the canonical 8-4-4-4-12 hex form (any letter case), exactly n == 36
 *  bytes, no braces. 0 or -1. */
int uuid_parse(const char *s, size_t n, struct uuid *u);
/** Writes the lowercase canonical form plus NUL into out (37 bytes). */
void uuid_format(const struct uuid *u, char *out);
/** The 16 bytes as 32 lower-case hex digits (no dashes, no NUL) at out; returns out + 32. */
char *uuid_hex(const struct uuid *u, char *out);
/** A new time-ordered (version 7) UUID: 48-bit millisecond time, then random bits. */
void uuid_v7(struct uuid *u);
/** A random (version 4) UUID. */
void uuid_v4(struct uuid *u);
int uuid_is_nil(const struct uuid *u);
int uuid_eq(const struct uuid *a, const struct uuid *b);

#endif
