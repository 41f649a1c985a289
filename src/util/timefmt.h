/* timefmt: RFC 3339 date-times and .NET TimeSpan durations.
 * Times are int64 microseconds since the Unix epoch, UTC. */
#ifndef SESSIOND_UTIL_TIMEFMT_H
#define SESSIOND_UTIL_TIMEFMT_H
#include <stddef.h>
#include <stdint.h>

#define TIME_STR_MAX 40

int64_t time_now_us(void);

/** Parses an RFC 3339 date-time as real clients send it: 'T' or 't' (or one space)
 *  between date and time, 0 to 9 fractional digits (truncated to microseconds),
 *  and 'Z'/'z', or a ±hh:mm / ±hhmm offset, where the '+' may also arrive as a
 *  space (form-decoded) or still as "%2B". A date-time without an offset is
 *  refused. Returns 0 and sets *us, or -1 when s is not such a date-time. */
int time_parse(const char *s, size_t n, int64_t *us);

/** Writes us as UTC "YYYY-MM-DDTHH:MM:SS[.f…]Z" with frac_digits (0..7) fractional
 *  digits into out (TIME_STR_MAX bytes). Returns the length. */
size_t time_format(int64_t us, int frac_digits, char *out);

/** Writes "YYYY-MM-DD HH:MM:SS" (UTC) into out; returns the length. */
size_t time_format_plain(int64_t us, char *out);

/** .NET TimeSpan "hh:mm:ss.fffffff" ("d.hh:mm:ss.fffffff" from one day on; a
 *  negative span is prefixed with '-'). Returns the length; out holds 40 bytes. */
size_t timespan_format(int64_t us, char *out);

/** Parses "[-][d.]hh:mm:ss[.f…]" back to microseconds. 0 or -1. */
int timespan_parse(const char *s, size_t n, int64_t *us);

#endif
