/* text: small byte-level helpers shared by the writers and parsers. */
#ifndef SESSIOND_UTIL_TEXT_H
#define SESSIOND_UTIL_TEXT_H
#include <stddef.h>

/** Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 *  surrogates, nothing above U+10FFFF), or 0 when it is not one. n > 0. */
size_t text_utf8_len(const unsigned char *p, size_t n);

/** The value of a hex digit, or -1. */
int text_hexval(char c);

/** Decodes %XX escapes of the NUL-terminated s in place, except %00, which stays
 *  as it is (a decoded NUL would cut the string short). Returns the new length. */
size_t text_unescape(char *s);

/** Whether s matches pattern, where '*' stands for any run of characters (also none);
 *  ASCII letters match without regard to case. */
int text_glob(const char *pattern, const char *s);

#endif
