#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/timefmt.h"

#define LOG_LINE_MAX 8192          /* longer messages are cut */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static struct {
	int level;                 /* enum log_level */
	int json;
	const char *file;          /* NULL: stderr */
	int fd;                    /* where lines go; a file's fd keeps its number across reopens */
} lg = {.level = LL_INFO, .fd = 2};

int log_configure(const char *level, const char *format, const char *file, char *err, size_t errlen)
{
	int lv = -1;
	for(int i = 0; i <= LL_DEBUG && level; i++)
		if(!strcasecmp(level, level_names[i]))
			lv = i;
	if(level && !strcasecmp(level, "warning"))
		lv = LL_WARN;
	if(level && lv < 0) {
		snprintf(err, errlen, "--log-level: want error, warn, info or debug");
		return -1;
	}
	if(format && strcasecmp(format, "text") && strcasecmp(format, "json")) {
		snprintf(err, errlen, "--log-format: want text or json");
		return -1;
	}
	if(file && *file) {
		int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if(fd < 0) {
			snprintf(err, errlen, "--log-file %s: %s", file, strerror(errno));
			return -1;
		}
		if(lg.file)
			close(lg.fd);
		lg.fd = fd;
		lg.file = file;
	}
	if(lv >= 0)
		lg.level = lv;
	if(format)
		lg.json = !strcasecmp(format, "json");
	return 0;
}

int log_reopen(char *err, size_t errlen)
{
	if(!lg.file)
		return 0;
	int fd = open(lg.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if(fd < 0) {
		snprintf(err, errlen, "cannot reopen the log file %s: %s", lg.file, strerror(errno));
		return -1;
	}
	/* dup2 swaps the file under the same number at once: no line is lost or torn. */
	int rc = dup3(fd, lg.fd, O_CLOEXEC) < 0 ? -1 : 0;
	if(rc)
		snprintf(err, errlen, "cannot reopen the log file %s: %s", lg.file, strerror(errno));
	close(fd);
	return rc;
}

int log_enabled(enum log_level lv) { return (int)lv <= lg.level; }

int log_to_file(void) { return lg.file != NULL; }

static void emit(struct buf *b)
{
	buf_addc(b, '\n');
	const char *p = b->p;
	size_t n = b->len;
	while(n) {
		ssize_t w = write(lg.fd, p, n);
		if(w < 0 && errno == EINTR)
			continue;
		if(w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
}

/* Text lines escape control characters (\xNN), '"' and '\\', so a decoded path cannot forge
 * a line or end a quoted field. */
static void add_escaped(struct buf *b, const char *s)
{
	for(const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if(*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\x%02x", *p);
		else if(*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else
			buf_addc(b, (char)*p);
	}
}

static void stamp(char out[TIME_STR_MAX]) { time_format(time_now_us(), 3, out); }

/* A JSON line from an object the caller filled; consumes o. */
static void emit_json(json_t *o, enum log_level lv)
{
	char t[TIME_STR_MAX];
	stamp(t);
	json_t *line = json_pack("{s:s, s:s}", "time", t, "level", level_names[lv]);
	json_object_update(line, o);
	json_decref(o);
	char *s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	json_decref(line);
	if(!s)
		return;
	struct buf b;
	buf_init(&b, 0);
	buf_addstr(&b, s);
	free(s);
	emit(&b);
	buf_free(&b);
}

void log_msg(enum log_level lv, const char *fmt, ...)
{
	if(!log_enabled(lv))
		return;
	char msg[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	while(n && msg[n - 1] == '\n')
		msg[--n] = 0;
	if(lg.json) {
		/* json_string refuses invalid UTF-8: such a message is written with it replaced. */
		json_t *m = json_string(msg);
		emit_json(json_pack("{s:o}", "msg", m ? m : json_string("(message is not UTF-8)")), lv);
		return;
	}
	char t[TIME_STR_MAX];
	stamp(t);
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%s %s ", t, level_names[lv]);
	add_escaped(&b, msg);
	emit(&b);
	buf_free(&b);
}

static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("?");
}

void log_request(const struct log_request *q)
{
	enum log_level lv = q->status >= 500 ? LL_ERROR : LL_INFO;
	if(!log_enabled(lv))
		return;
	if(lg.json) {
		json_t *o = json_pack("{s:s, s:o, s:o, s:i, s:I, s:f, s:o, s:o}", "msg", "request", "method",
		                      jstr(q->method), "path", jstr(q->target), "status", q->status, "bytes",
		                      (json_int_t)q->bytes, "duration_ms", (double)q->duration_us / 1000.0, "client",
		                      jstr(q->client), "user", jstr(q->user));
		if(q->cause)
			json_object_set_new(o, "cause", jstr(q->cause));
		if(q->aborted)
			json_object_set_new(o, "aborted", json_true());
		emit_json(o, lv);
		return;
	}
	char t[TIME_STR_MAX];
	stamp(t);
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%s %s %s \"%s ", t, level_names[lv], q->client ? q->client : "-", q->method);
	add_escaped(&b, q->target ? q->target : "");
	buf_printf(&b, "\" %d %zu %lld.%03lldms", q->status, q->bytes, (long long)(q->duration_us / 1000),
	           (long long)(q->duration_us % 1000));
	if(q->user && *q->user) {
		buf_addstr(&b, " user=");
		add_escaped(&b, q->user);
	}
	if(q->aborted)
		buf_addstr(&b, " (aborted)");
	if(q->cause) {
		buf_addstr(&b, " cause=\"");
		add_escaped(&b, q->cause);
		buf_addc(&b, '"');
	}
	emit(&b);
	buf_free(&b);
}
