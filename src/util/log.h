/* log: the server's one log. Every line carries a UTC timestamp (RFC 3339, milliseconds),
 * a level and a message; as text ("2026-01-31T12:00:00.123Z info message") or as one JSON
 * object per line ({"time":…,"level":…,"msg":…} plus a request's fields). Lines go to
 * stderr, or to a file reopened by log_reopen (SIGHUP, after rotation). Each line is one
 * write(2), so lines of different threads never mix. Safe from any thread. */
#ifndef SESSIOND_UTIL_LOG_H
#define SESSIOND_UTIL_LOG_H
#include <stddef.h>
#include <stdint.h>

/* Levels, most severe first: a level shows its own lines and every more severe one. */
enum log_level { LL_ERROR, LL_WARN, LL_INFO, LL_DEBUG };

/** Sets level ("error|warn|info|debug"; "warning" is taken for warn), format ("text" or
 *  "json") and file (NULL: stderr; else opened for appending, mode 0600 when created).
 *  -1 with a reason in err when a value is wrong or the file cannot be opened. */
int log_configure(const char *level, const char *format, const char *file, char *err, size_t errlen);
/** Opens the log file again (a rotated file is replaced by a new one); stderr: nothing
 *  to do. -1 with a reason in err; the old file stays in use then. */
int log_reopen(char *err, size_t errlen);
/** Whether lines of this level are written. */
int log_enabled(enum log_level lv);
/** Whether the log goes to a file rather than stderr. */
int log_to_file(void);

/** Writes one line (printf format); a trailing newline in fmt is dropped. */
void log_msg(enum log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)

/* One answered request. */
struct log_request {
	const char *client;        /* peer address */
	const char *method;
	const char *target;        /* path and query as sent (secrets masked by the caller) */
	int status;
	size_t bytes;              /* body bytes sent */
	int64_t duration_us;
	const char *user;          /* authenticated user, or the name a refused logon tried; "" none */
	const char *cause;         /* why it failed (a 5xx), or NULL */
	int aborted;               /* the client left before the answer was complete */
};

/** Logs a request line: at error level for a 5xx, else info. */
void log_request(const struct log_request *q);

#endif
