/* sessionctl commands other than run: login, the shell-script verbs (start,
 * progress, log, finish), and the readers (ls, show, logs, stop, watch, export). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "model/catalog.h"
#include "ctl.h"
#include "util/jw.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define ROLE_READ "viewer, operator or admin"
#define ROLE_INGEST "reporter or admin"
#define ROLE_STOP "operator or admin"
#define LONG_POLL_S 25

double ctl_seconds(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if(end == s || *end || errno || v < 0 || v > 1e7)
		return -1;
	return v;
}

void ctl_list_values(struct buf *b, const char *(*name)(int), int n)
{
	for(int i = 0; i < n; i++) {
		if(i)
			buf_addstr(b, i == n - 1 ? " or " : ", ");
		buf_addstr(b, name(i));
	}
}

/* A usage error "OPT: unknown WHAT 'V'; valid: a, b or c". */
static int unknown_value(const char *cmd, const char *opt, const char *what, const char *v,
                         const char *(*name)(int), int n, const char *more)
{
	struct buf b;
	buf_init(&b, 0);
	ctl_list_values(&b, name, n);
	int code = ctl_usage(cmd, "%s: unknown %s '%s'; valid: %s%s", opt, what, v, buf_cstr(&b), more ? more : "");
	buf_free(&b);
	return code;
}

static const char *const formats[] = {"csv", "json"};
static const char *format_name(int i)
{
	return formats[i];
}

/* A state name, or "Running" for Working. */
static int state_parse(const char *s)
{
	if(!strcasecmp(s, "Running"))
		return ST_WORKING;
	return catalog_state_parse(s, -1);
}
static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if(s)
		puts(s);
	free(s);
}

static void print_json_line(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if(s)
		puts(s);
	free(s);
	fflush(stdout);
}

/* ---------- login / logout ---------- */

static char *read_line(FILE *f)
{
	char line[1024];
	if(!fgets(line, sizeof(line), f))
		return NULL;
	line[strcspn(line, "\r\n")] = 0;
	return xstrdup(line);
}

static char *prompt(const char *what, int echo)
{
	FILE *tty = fopen("/dev/tty", "r+");
	if(!tty)
		return NULL;
	fprintf(tty, "%s", what);
	fflush(tty);
	struct termios old, t;
	int fd = fileno(tty), restore = 0;
	if(!echo && !tcgetattr(fd, &old)) {
		t = old;
		t.c_lflag &= ~(tcflag_t)ECHO;
		restore = !tcsetattr(fd, TCSAFLUSH, &t);
	}
	char *s = read_line(tty);
	if(restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', tty);
	}
	fclose(tty);
	return s;
}

int ctl_cmd_login(struct ctl *c, struct ctl_args *a)
{
	(void)a;
	char *user = c->user ? xstrdup(c->user) : NULL;
	if(!user && isatty(0))
		user = prompt("User: ", 1);
	if(!user || !*user) {
		free(user);
		return ctl_usage("login", "no user name: use --user NAME or set SESSIOND_USER");
	}
	char *password = NULL;
	if(c->password_file) {
		FILE *f = fopen(c->password_file, "r");
		if(!f) {
			ctl_msg("cannot read the password file %s: %s", c->password_file, strerror(errno));
			free(user);
			return CTL_EXIT_USAGE;
		}
		password = read_line(f);
		fclose(f);
	} else if(getenv("SESSIOND_PASSWORD")) {
		password = xstrdup(getenv("SESSIOND_PASSWORD"));
	} else if(isatty(0)) {
		password = prompt("Password: ", 0);
	} else {
		password = read_line(stdin);
	}
	if(!password) {
		free(user);
		return ctl_usage("login", "no password: use --password-file FILE, SESSIOND_PASSWORD or stdin");
	}
	char path[4096];
	enum rc rc = ctl_login(c, user, password, path, sizeof(path));
	memset(password, 0, strlen(password));
	free(password);
	if(rc) {
		free(user);
		return ctl_fail(c);
	}
	if(c->json) {
		json_t *j = json_pack("{s:s,s:s,s:s}", "server", c->server, "user", user, "tokenCache", path);
		print_json(j);
		json_decref(j);
	} else {
		fprintf(stderr, "Logged in to %s as %s; token saved in %s\n", c->server, user, path);
	}
	free(user);
	return CTL_EXIT_OK;
}

int ctl_cmd_logout(struct ctl *c, struct ctl_args *a)
{
	(void)a;
	c->user = NULL;
	enum rc rc = ctl_call(c, "POST", "/api/oauth2/logout", NULL, NULL);
	char path[4096];
	if(ctl_cache_path(path, sizeof(path)))
		return ctl_fail(c);
	json_t *all = json_load_file(path, 0, NULL);
	json_t *servers = json_object_get(all, "servers");
	if(json_is_object(servers) && json_object_get(servers, c->server)) {
		json_object_del(servers, c->server);
		char tmp[4200];
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
		if(json_dump_file(all, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) || rename(tmp, path)) {
			ctl_msg("cannot update %s: %s", path, strerror(errno));
			json_decref(all);
			return CTL_EXIT_API;
		}
	}
	json_decref(all);
	if(rc && rc != RC_UNAUTHORIZED)
		return ctl_fail(c);
	fprintf(stderr, "Logged out of %s\n", c->server);
	return CTL_EXIT_OK;
}

/* ---------- shell-script verbs ---------- */

int ctl_cmd_start(struct ctl *c, struct ctl_args *a)
{
	const char *name = a->argc ? a->argv[0] : a->v[OPT_JOB];
	if(!name || !*name)
		return ctl_usage("start", "a session name is needed: sessionctl start NAME or --job NAME");
	int type = catalog_type_parse(a->v[OPT_TYPE] ? a->v[OPT_TYPE] : "BackupJob");
	if(type < 0)
		return unknown_value("start", "--type", "session type", a->v[OPT_TYPE], catalog_type_name,
		                     catalog_type_count(), NULL);
	struct buf b;
	buf_init(&b, 0);
	struct jw w;
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "name", name);
	jw_kstr(&w, "jobName", a->v[OPT_JOB] ? a->v[OPT_JOB] : name);
	jw_kstr(&w, "sessionType", catalog_type_name(type));
	jw_obj_end(&w);
	c->need_role = ROLE_INGEST;
	json_t *j;
	enum rc rc = ctl_call(c, "POST", "/api/v1/sessions", buf_cstr(&b), &j);
	buf_free(&b);
	if(rc)
		return ctl_fail(c);
	if(c->json)
		print_json(j);
	else
		printf("%s\n", ctl_jstr(j, "id") ? ctl_jstr(j, "id") : "");
	json_decref(j);
	return CTL_EXIT_OK;
}

/* Exit code of an ingest call that carries stopRequested. */
static int stop_exit(json_t *j, const char *id)
{
	if(!ctl_jbool(j, "stopRequested"))
		return CTL_EXIT_OK;
	fprintf(stderr, "sessionctl: session %s was asked to stop\n", id);
	return CTL_EXIT_STOP;
}

int ctl_cmd_progress(struct ctl *c, struct ctl_args *a)
{
	char *end;
	const char *pct = a->argv[a->argc - 1];
	long p = strtol(pct, &end, 10);
	if(*end == '%')
		end++;
	if(end == pct || *end || p < 0 || p > 100)
		return ctl_usage("progress", "PERCENT must be an integer from 0 to 100");
	char id[UUID_STR_LEN + 1];
	int code = ctl_take_id(c, a, "progress", id);
	if(code)
		return code;
	char path[128], body[64];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s", id);
	snprintf(body, sizeof(body), "{\"progressPercent\":%ld}", p);
	c->need_role = ROLE_INGEST;
	json_t *j;
	if(ctl_call(c, "PATCH", path, body, &j))
		return ctl_fail(c);
	if(c->json)
		print_json(j);
	int rc = stop_exit(j, id);
	json_decref(j);
	return rc;
}

static enum rc post_records(struct ctl *c, const char *id, char **titles, size_t n, const char *status,
                            const char *desc, int *stop)
{
	struct buf b;
	buf_init(&b, 0);
	struct jw w;
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "records");
	jw_arr(&w);
	for(size_t i = 0; i < n; i++) {
		jw_obj(&w);
		jw_kstr(&w, "status", status);
		jw_kstr(&w, "title", titles[i]);
		if(desc)
			jw_kstr(&w, "description", desc);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/logs", id);
	json_t *j;
	enum rc rc = ctl_call(c, "POST", path, buf_cstr(&b), &j);
	buf_free(&b);
	if(!rc && ctl_jbool(j, "stopRequested"))
		*stop = 1;
	json_decref(j);
	return rc;
}

int ctl_cmd_log(struct ctl *c, struct ctl_args *a)
{
	int st = LOG_NONE;
	if(a->v[OPT_STATUS] && (st = catalog_log_status_parse(a->v[OPT_STATUS])) < 0)
		return unknown_value("log", "--status", "status", a->v[OPT_STATUS], catalog_log_status_name, LOG__COUNT,
		                     NULL);
	char id[UUID_STR_LEN + 1];
	int code = ctl_take_id(c, a, "log", id);
	if(code)
		return code;
	if(a->argc < 1)
		return ctl_usage("log", "the text of the record is missing");
	const char *status = catalog_log_status_name(st);
	c->need_role = ROLE_INGEST;
	int stop = 0;
	enum rc rc = RC_OK;
	if(a->argc == 1 && !strcmp(a->argv[0], "-")) {
		char *batch[1000];
		size_t n = 0;
		char line[8192];
		for(;;) {
			int eof = !fgets(line, sizeof(line), stdin);
			if(!eof) {
				line[strcspn(line, "\r\n")] = 0;
				if(*line)
					batch[n++] = xstrdup(line);
			}
			if(n && (eof || n == sizeof(batch) / sizeof(batch[0]))) {
				rc = post_records(c, id, batch, n, status, a->v[OPT_DESCRIPTION], &stop);
				for(size_t i = 0; i < n; i++)
					free(batch[i]);
				n = 0;
				if(rc)
					break;
			}
			if(eof)
				break;
		}
	} else {
		struct buf t;
		buf_init(&t, 0);
		for(int i = 0; i < a->argc; i++) {
			if(i > 0)
				buf_addc(&t, ' ');
			buf_addstr(&t, a->argv[i]);
		}
		char *one = (char *)buf_cstr(&t);
		rc = post_records(c, id, &one, 1, status, a->v[OPT_DESCRIPTION], &stop);
		buf_free(&t);
	}
	if(rc)
		return ctl_fail(c);
	if(stop) {
		fprintf(stderr, "sessionctl: session %s was asked to stop\n", id);
		return CTL_EXIT_STOP;
	}
	return CTL_EXIT_OK;
}

int ctl_cmd_finish(struct ctl *c, struct ctl_args *a)
{
	if(!a->v[OPT_RESULT])
		return ctl_usage("finish", "--result is required (Success, Warning, Failed or None)");
	int res = catalog_result_parse(a->v[OPT_RESULT]);
	if(res < 0)
		return unknown_value("finish", "--result", "result", a->v[OPT_RESULT], catalog_result_name, RES__COUNT, NULL);
	char id[UUID_STR_LEN + 1];
	int code = ctl_take_id(c, a, "finish", id);
	if(code)
		return code;
	struct buf b;
	buf_init(&b, 0);
	struct jw w;
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "result", catalog_result_name(res));
	if(a->v[OPT_MESSAGE])
		jw_kstr(&w, "message", a->v[OPT_MESSAGE]);
	if(a->v[OPT_CANCELED])
		jw_kbool(&w, "isCanceled", 1);
	jw_obj_end(&w);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/complete", id);
	c->need_role = ROLE_INGEST;
	json_t *j;
	enum rc rc = ctl_call(c, "POST", path, buf_cstr(&b), &j);
	buf_free(&b);
	if(rc)
		return ctl_fail(c);
	if(c->json)
		print_json(j);
	json_decref(j);
	return CTL_EXIT_OK;
}

int ctl_cmd_stop(struct ctl *c, struct ctl_args *a)
{
	char id[UUID_STR_LEN + 1];
	int code = ctl_take_id(c, a, "stop", id);
	if(code)
		return code;
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/stop", id);
	c->need_role = ROLE_STOP;
	if(ctl_call(c, "POST", path, NULL, NULL)) {
		if(c->status == 409)
			ctl_msg("session %s is not running, so it cannot be stopped", id);
		else
			ctl_fail(c);
		return CTL_EXIT_API;
	}
	if(c->json)
		printf("{\"id\":\"%s\",\"stopRequested\":true}\n", id);
	else
		fprintf(stderr, "Stop requested for session %s; its reporter will finish it.\n", id);
	return CTL_EXIT_OK;
}

/* ---------- filters shared by ls and export ---------- */

/* "30m", "12h", "7d", "45s", "2024-05-01" (local midnight) or RFC 3339 → an RFC 3339 UTC text. */
static int since_to_rfc3339(const char *s, char *out)
{
	int64_t us;
	char *end;
	double v = strtod(s, &end);
	if(end != s && end[0] && !end[1] && v >= 0 && strchr("smhdw", end[0])) {
		double mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 604800;
		us = time_now_us() - (int64_t)(v * mult * 1e6);
	} else if(!time_parse(s, strlen(s), &us)) {
		/* an explicit date-time */
	} else {
		struct tm tm = {0};
		const char *rest = strptime(s, "%Y-%m-%d", &tm);
		if(!rest || *rest)
			return -1;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		if(t == (time_t)-1)
			return -1;
		us = (int64_t)t * 1000000;
	}
	time_format(us, 3, out);
	return 0;
}

static void add_param(struct buf *q, const char *k, const char *v)
{
	buf_addc(q, q->len ? '&' : '?');
	buf_addstr(q, k);
	buf_addc(q, '=');
	ctl_urlenc(q, v);
}

/* The job id of a job name, matched without regard to case (an exact match wins over
 * others), through /api/v1/jobs/states. 0, or -1 with *rc set: RC_NOTFOUND when no job
 * has that name, RC_CONFLICT (c->err names them) when several differ only in case. */
static int job_id(struct ctl *c, const char *name, char *out, enum rc *rc)
{
	struct uuid u;
	if(!uuid_parse(name, strlen(name), &u)) {
		uuid_format(&u, out);
		return 0;
	}
	int found = 0, exact = 0;
	struct buf names;
	buf_init(&names, 0);
	for(int64_t skip = 0;; skip += CTL_PAGE) {
		struct buf q;
		buf_init(&q, 0);
		buf_addstr(&q, "/api/v1/jobs/states?nameFilter=");
		ctl_urlenc(&q, name);
		buf_printf(&q, "&limit=%d&skip=%lld", CTL_PAGE, (long long)skip);
		json_t *j;
		*rc = ctl_call(c, "GET", buf_cstr(&q), NULL, &j);
		buf_free(&q);
		if(*rc) {
			buf_free(&names);
			return -1;
		}
		json_t *data = json_object_get(j, "data"), *e;
		size_t i;
		json_array_foreach(data, i, e) {
			const char *n = ctl_jstr(e, "name"), *id = ctl_jstr(e, "id");
			if(!n || !id || strlen(id) != UUID_STR_LEN || strcasecmp(n, name) || exact)
				continue;
			if(!strcmp(n, name)) {
				exact = 1;
				found = 1;
				memcpy(out, id, UUID_STR_LEN + 1);
				continue;
			}
			if(!found++)
				memcpy(out, id, UUID_STR_LEN + 1);
			buf_printf(&names, "%s'%s'", names.len ? ", " : "", n);
		}
		size_t count = json_array_size(data);
		json_decref(j);
		if(count < CTL_PAGE)
			break;
	}
	if(found > 1 && !exact) {
		snprintf(c->err, sizeof(c->err), "the job name '%s' matches several jobs that differ only in case: %s; give "
		         "the exact name", name, buf_cstr(&names));
		buf_free(&names);
		*rc = RC_CONFLICT;
		return -1;
	}
	buf_free(&names);
	if(found)
		return 0;
	*rc = RC_NOTFOUND;
	return -1;
}

static int is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* The hex digits of s, lower case, without dashes, into out (33 bytes); -1 if s has other characters. */
static int hex_of(const char *s, char *out)
{
	size_t n = 0;
	for(; *s; s++) {
		if(*s == '-')
			continue;
		if(!is_hex(*s) || n == 32)
			return -1;
		out[n++] = (char)(*s >= 'A' && *s <= 'F' ? *s + 32 : *s);
	}
	out[n] = 0;
	return 0;
}

int ctl_take_id(struct ctl *c, struct ctl_args *a, const char *cmd, char out[UUID_STR_LEN + 1])
{
	const char *arg = a->argv[0];
	const char *need = c->need_role;
	if(!strcmp(arg, "last") && a->argc >= 2) {
		const char *jobname = a->argv[1];
		a->argv += 2;
		a->argc -= 2;
		c->need_role = ROLE_READ;
		char jid[UUID_STR_LEN + 1];
		enum rc rc;
		if(job_id(c, jobname, jid, &rc)) {
			c->need_role = need;
			if(rc == RC_NOTFOUND) {
				ctl_msg("%s: no job is named '%s' (see `sessionctl ls`)", cmd, jobname);
				return CTL_EXIT_API;
			}
			return ctl_fail(c);
		}
		char path[200];
		snprintf(path, sizeof(path), "/api/v1/sessions?jobIdFilter=%s&orderColumn=CreationTime&orderAsc=false&limit=1",
		         jid);
		json_t *j;
		rc = ctl_call(c, "GET", path, NULL, &j);
		c->need_role = need;
		if(rc)
			return ctl_fail(c);
		const char *id = ctl_jstr(json_array_get(json_object_get(j, "data"), 0), "id");
		if(!id || strlen(id) != UUID_STR_LEN) {
			json_decref(j);
			ctl_msg("%s: job '%s' has no sessions", cmd, jobname);
			return CTL_EXIT_API;
		}
		memcpy(out, id, UUID_STR_LEN + 1);
		json_decref(j);
		return 0;
	}
	a->argv++;
	a->argc--;
	struct uuid u;
	if(!uuid_parse(arg, strlen(arg), &u)) {
		uuid_format(&u, out);
		return 0;
	}
	char want[40];
	if(hex_of(arg, want) || strlen(want) < 8)
		return ctl_usage(cmd, "'%s' is not a session id: give the id as `sessionctl ls` shows it, a unique prefix of "
		                      "at least 8 characters, or `last JOB`", arg);
	/* A prefix: look through every session's id. */
	size_t wl = strlen(want);
	int matches = 0;
	struct buf seen;
	buf_init(&seen, 0);
	c->need_role = ROLE_READ;
	enum rc rc = RC_OK;
	for(int64_t skip = 0; !rc;) {
		char path[200];
		snprintf(path, sizeof(path), "/api/v1/sessions?orderColumn=CreationTime&orderAsc=false&skip=%lld&limit=%d",
		         (long long)skip, CTL_PAGE);
		json_t *j;
		if((rc = ctl_call(c, "GET", path, NULL, &j)))
			break;
		json_t *data = json_object_get(j, "data"), *e;
		size_t i;
		json_array_foreach(data, i, e) {
			const char *id = ctl_jstr(e, "id");
			char h[40];
			if(!id || hex_of(id, h) || strncmp(h, want, wl))
				continue;
			if(!matches++)
				memcpy(out, id, UUID_STR_LEN + 1);
			if(matches <= 5)
				buf_printf(&seen, "%s%s", seen.len ? ", " : "", id);
		}
		size_t n = json_array_size(data);
		json_decref(j);
		if(n < CTL_PAGE)
			break;
		skip += (int64_t)n;
	}
	c->need_role = need;
	if(rc) {
		buf_free(&seen);
		if(rc == RC_FORBIDDEN)
			ctl_msg("%s: finding the session of an id prefix needs the viewer role: give the full id", cmd);
		else
			ctl_fail(c);
		return CTL_EXIT_API;
	}
	int code = 0;
	if(!matches) {
		ctl_msg("%s: no session id starts with '%s'", cmd, arg);
		code = CTL_EXIT_API;
	} else if(matches > 1) {
		code = ctl_usage(cmd, "the id prefix '%s' is ambiguous: %d sessions match (%s%s); give more characters", arg,
		                 matches, buf_cstr(&seen), matches > 5 ? ", ..." : "");
	}
	buf_free(&seen);
	return code;
}

/* Builds the query string of the filter options into q. Returns CTL_EXIT_OK, a
 * usage error, or -1 when --job names no job (so nothing can match). */
static int filters(struct ctl *c, struct ctl_args *a, const char *cmd, struct buf *q, int *exit_code)
{
	*exit_code = CTL_EXIT_OK;
	if(a->v[OPT_NAME])
		add_param(q, "nameFilter", a->v[OPT_NAME]);
	if(a->v[OPT_TYPE]) {
		int t = catalog_type_parse(a->v[OPT_TYPE]);
		if(t < 0) {
			*exit_code = unknown_value(cmd, "--type", "session type", a->v[OPT_TYPE], catalog_type_name,
			                           catalog_type_count(), NULL);
			return -1;
		}
		add_param(q, "typeFilter", catalog_type_vbr(t, VBR_13));
	}
	if(a->v[OPT_STATE]) {
		int s = state_parse(a->v[OPT_STATE]);
		if(s < 0) {
			*exit_code = unknown_value(cmd, "--state", "state", a->v[OPT_STATE], catalog_state_name, ST__COUNT,
			                           " (Running means Working)");
			return -1;
		}
		add_param(q, "stateFilter", catalog_state_name(s));
	}
	if(a->v[OPT_RESULT]) {
		int r = catalog_result_parse(a->v[OPT_RESULT]);
		if(r < 0) {
			*exit_code = unknown_value(cmd, "--result", "result", a->v[OPT_RESULT], catalog_result_name, RES__COUNT,
			                           NULL);
			return -1;
		}
		add_param(q, "resultFilter", catalog_result_name(r));
	}
	if(a->v[OPT_SINCE]) {
		char t[TIME_STR_MAX];
		if(since_to_rfc3339(a->v[OPT_SINCE], t)) {
			*exit_code = ctl_usage(cmd, "--since: use 30m, 12h, 7d, YYYY-MM-DD or an RFC 3339 date-time");
			return -1;
		}
		add_param(q, "createdAfterFilter", t);
	}
	if(a->v[OPT_JOB]) {
		char id[UUID_STR_LEN + 1];
		enum rc rc;
		if(job_id(c, a->v[OPT_JOB], id, &rc)) {
			if(rc == RC_CONFLICT)
				*exit_code = ctl_usage(cmd, "--job: %s", c->err);
			else if(rc != RC_NOTFOUND)
				*exit_code = ctl_fail(c);
			return -1;
		}
		add_param(q, "jobIdFilter", id);
	}
	return 0;
}

/* ---------- ls / show ---------- */

static size_t text_width(const char *s)
{
	size_t n = 0;
	for(; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Prints s left-aligned in a column of width w (by characters, not bytes). */
static void column(const char *s, size_t w, int last)
{
	fputs(s, stdout);
	if(last)
		return;
	for(size_t n = text_width(s); n < w + 2; n++)
		fputc(' ', stdout);
}

int ctl_cmd_ls(struct ctl *c, struct ctl_args *a)
{
	long limit = 50;
	if(a->v[OPT_LIMIT]) {
		char *end;
		limit = strtol(a->v[OPT_LIMIT], &end, 10);
		if(*end || end == a->v[OPT_LIMIT] || limit < 1 || limit > 1000000)
			return ctl_usage("ls", "--limit must be a positive integer");
	}
	c->need_role = ROLE_READ;
	struct buf f;
	buf_init(&f, 0);
	int code;
	json_t *all = json_array();
	if(!filters(c, a, "ls", &f, &code)) {
		for(long skip = 0; (long)json_array_size(all) < limit;) {
			long want = limit - (long)json_array_size(all);
			struct buf p;
			buf_init(&p, 0);
			buf_printf(&p, "/api/v1/sessions?orderColumn=CreationTime&orderAsc=false&skip=%ld&limit=%ld%s%s", skip,
			           want < CTL_PAGE ? want : CTL_PAGE, f.len ? "&" : "", f.len ? buf_cstr(&f) + 1 : "");
			json_t *j;
			enum rc rc = ctl_call(c, "GET", buf_cstr(&p), NULL, &j);
			buf_free(&p);
			if(rc) {
				code = ctl_fail(c);
				break;
			}
			json_t *data = json_object_get(j, "data");
			size_t n = json_array_size(data);
			json_array_extend(all, data);
			json_decref(j);
			skip += (long)n;
			if(n == 0 || n < (size_t)(want < CTL_PAGE ? want : CTL_PAGE))
				break;
		}
	}
	buf_free(&f);
	if(code) {
		json_decref(all);
		return code;
	}
	if(c->json) {
		print_json(all);
		json_decref(all);
		return CTL_EXIT_OK;
	}
	static const char *const head[] = {"ID", "NAME", "TYPE", "STATE", "RESULT", "PROGRESS", "CREATED"};
	enum { NCOL = 7 };
	size_t n = json_array_size(all);
	char *cell = xcalloc((n + 1) * NCOL, 64);
	size_t width[NCOL];
	for(int k = 0; k < NCOL; k++) {
		snprintf(cell + k * 64, 64, "%s", head[k]);
		width[k] = strlen(head[k]);
	}
	for(size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(all, i);
		char *row = cell + (i + 1) * NCOL * 64;
		const char *name = ctl_jstr(s, "name");
		snprintf(row, 64, "%s", ctl_jstr(s, "id") ? ctl_jstr(s, "id") : "");
		snprintf(row + 64, 64, "%.40s", name ? name : "");
		snprintf(row + 128, 64, "%s", ctl_jstr(s, "sessionType") ? ctl_jstr(s, "sessionType") : "");
		snprintf(row + 192, 64, "%s", ctl_jstr(s, "state") ? ctl_jstr(s, "state") : "");
		snprintf(row + 256, 64, "%s%s", ctl_result(s), ctl_canceled(s) ? " (canceled)" : "");
		snprintf(row + 320, 64, "%lld%%", (long long)ctl_jint(s, "progressPercent", 0));
		ctl_local_time(ctl_jstr(s, "creationTime"), row + 384, 64);
		for(int k = 0; k < NCOL; k++)
			if(text_width(row + k * 64) > width[k])
				width[k] = text_width(row + k * 64);
	}
	for(size_t i = 0; n && i <= n; i++) {
		for(int k = 0; k < NCOL; k++)
			column(cell + (i * NCOL + (size_t)k) * 64, width[k], k == NCOL - 1);
		fputc('\n', stdout);
	}
	if(!n)
		fprintf(stderr, "no sessions\n");
	free(cell);
	json_decref(all);
	return CTL_EXIT_OK;
}

static void duration(json_t *s, char *out, size_t n)
{
	int64_t a, b;
	const char *cs = ctl_jstr(s, "creationTime"), *es = ctl_jstr(s, "endTime");
	if(!cs || time_parse(cs, strlen(cs), &a)) {
		snprintf(out, n, "-");
		return;
	}
	if(!es || time_parse(es, strlen(es), &b))
		b = time_now_us();
	int64_t sec = b > a ? (b - a) / 1000000 : 0;
	snprintf(out, n, "%02lld:%02lld:%02lld", (long long)(sec / 3600), (long long)(sec / 60 % 60), (long long)(sec % 60));
}

static enum rc get_session(struct ctl *c, const char *id, json_t **j)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s", id);
	return ctl_call(c, "GET", path, NULL, j);
}

int ctl_cmd_show(struct ctl *c, struct ctl_args *a)
{
	char id[UUID_STR_LEN + 1];
	int code = ctl_take_id(c, a, "show", id);
	if(code)
		return code;
	c->need_role = ROLE_READ;
	json_t *s;
	if(get_session(c, id, &s))
		return ctl_fail(c);
	if(c->json) {
		print_json(s);
		json_decref(s);
		return CTL_EXIT_OK;
	}
	char created[64], ended[64], dur[32];
	ctl_local_time(ctl_jstr(s, "creationTime"), created, sizeof(created));
	ctl_local_time(ctl_jstr(s, "endTime"), ended, sizeof(ended));
	duration(s, dur, sizeof(dur));
	const char *v;
	printf("id:        %s\n", (v = ctl_jstr(s, "id")) ? v : "");
	printf("name:      %s\n", (v = ctl_jstr(s, "name")) ? v : "");
	printf("job id:    %s\n", (v = ctl_jstr(s, "jobId")) ? v : "-");
	printf("type:      %s\n", (v = ctl_jstr(s, "sessionType")) ? v : "");
	printf("state:     %s\n", (v = ctl_jstr(s, "state")) ? v : "");
	printf("result:    %s%s\n", ctl_result(s), ctl_canceled(s) ? " (canceled)" : "");
	printf("message:   %s\n", ctl_result_message(s));
	printf("progress:  %lld%%\n", (long long)ctl_jint(s, "progressPercent", 0));
	printf("created:   %s\n", created);
	printf("ended:     %s\n", ended);
	printf("duration:  %s\n", dur);
	if((v = ctl_jstr(s, "initiatedBy")))
		printf("initiated: %s\n", v);
	if((v = ctl_jstr(s, "parentSessionId")))
		printf("parent:    %s\n", v);
	printf("usn:       %lld\n", (long long)ctl_jint(s, "usn", 0));
	json_decref(s);
	return CTL_EXIT_OK;
}

/* ---------- logs ---------- */

/* A request failed. When the server is away (a restart), says so once, waits a
 * little longer each time and returns 1: try again. 0 for any other failure. */
static int lost(struct ctl *c, enum rc rc, int *down)
{
	if(rc != RC_BUSY)
		return 0;
	if(!*down)
		ctl_msg("lost the connection to %s (%s); reconnecting", c->server, c->err);
	int ms = 250 << (*down < 5 ? *down : 5);
	usleep((useconds_t)(ms > 5000 ? 5000 : ms) * 1000);
	(*down)++;
	return 1;
}

/* Says that the server is back after lost(). */
static void back(struct ctl *c, int *down)
{
	if(*down)
		ctl_msg("reconnected to %s", c->server);
	*down = 0;
}

static int by_id(const void *x, const void *y)
{
	int64_t a = ctl_jint(*(json_t *const *)x, "id", 0), b = ctl_jint(*(json_t *const *)y, "id", 0);
	return a < b ? -1 : a > b;
}

/* Prints the records with an id above *last, oldest first, and advances *last. */
static enum rc print_logs(struct ctl *c, const char *id, int64_t *last, int follow)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/logs", id);
	json_t *j;
	enum rc rc = ctl_call(c, "GET", path, NULL, &j);
	if(rc)
		return rc;
	json_t *recs = json_object_get(j, "records");
	size_t n = json_array_size(recs), k = 0;
	json_t **v = xcalloc(n ? n : 1, sizeof(*v));
	for(size_t i = 0; i < n; i++)
		if(ctl_jint(json_array_get(recs, i), "id", 0) > *last)
			v[k++] = json_array_get(recs, i);
	qsort(v, k, sizeof(*v), by_id);
	json_t *arr = c->json && !follow ? json_array() : NULL;
	for(size_t i = 0; i < k; i++) {
		json_t *r = v[i];
		*last = ctl_jint(r, "id", *last);
		if(arr) {
			json_array_append(arr, r);
		} else if(c->json) {
			print_json_line(r);
		} else {
			char t[64];
			ctl_local_time(ctl_jstr(r, "startTime"), t, sizeof(t));
			const char *st = ctl_jstr(r, "status"), *title = ctl_jstr(r, "title"), *d = ctl_jstr(r, "description");
			printf("%s  %-9s  %s%s%s\n", t, st ? st : "", title ? title : "", d && *d ? "  -- " : "", d && *d ? d : "");
		}
	}
	if(arr) {
		print_json(arr);
		json_decref(arr);
	}
	fflush(stdout);
	free(v);
	json_decref(j);
	return RC_OK;
}

/* Waits until anything changes after *feed_usn (long poll where the server has
 * it, plain polling otherwise) and raises *feed_usn to the newest usn seen.
 * *changes receives the changed sessions (caller decrefs) when not NULL. */
static enum rc wait_change(struct ctl *c, int64_t *feed_usn, json_t **changes)
{
	char path[160];
	snprintf(path, sizeof(path), "/api/v1/sessions?usnGreaterThan=%lld&wait=%d&limit=%d", (long long)*feed_usn,
	         LONG_POLL_S, CTL_PAGE);
	long saved = c->timeout_s;
	c->timeout_s = LONG_POLL_S + saved;
	int64_t t0 = time_now_us();
	json_t *j;
	enum rc rc = ctl_call(c, "GET", path, NULL, &j);
	c->timeout_s = saved;
	if(rc)
		return rc;
	json_t *data = json_object_get(j, "data"), *s;
	size_t i;
	json_array_foreach(data, i, s) {
		int64_t u = ctl_jint(s, "usn", 0);
		if(u > *feed_usn)
			*feed_usn = u;
	}
	int64_t took = time_now_us() - t0;
	size_t n = json_array_size(data);
	/* A server without the long poll answers at once: pace the polling. */
	if(!n && took < 1000000)
		usleep((useconds_t)(1000000 - took));
	else if(took < 200000)
		usleep((useconds_t)(200000 - took));
	if(changes)
		*changes = json_incref(data);
	json_decref(j);
	return RC_OK;
}

int ctl_cmd_logs(struct ctl *c, struct ctl_args *a)
{
	char id[UUID_STR_LEN + 1];
	int code = ctl_take_id(c, a, "logs", id);
	if(code)
		return code;
	c->need_role = ROLE_READ;
	int follow = a->v[OPT_FOLLOW] != NULL;
	int64_t last = 0;
	if(!follow)
		return print_logs(c, id, &last, 0) ? ctl_fail(c) : CTL_EXIT_OK;
	json_t *s;
	if(get_session(c, id, &s))
		return ctl_fail(c);
	int64_t feed = ctl_jint(s, "usn", 0), seen = -1;
	int down = 0;
	for(;;) {
		int64_t usn = ctl_jint(s, "usn", 0);
		const char *state = ctl_jstr(s, "state");
		int stopped = state && !strcmp(state, "Stopped");
		enum rc rc = RC_OK;
		if(usn != seen && (rc = print_logs(c, id, &last, 1)) && !lost(c, rc, &down)) {
			json_decref(s);
			return ctl_fail(c);
		}
		if(!rc) {
			seen = usn;
			if(stopped) {
				if(!c->json)
					fprintf(stderr, "-- session ended: %s%s%s%s\n", ctl_result(s), *ctl_result_message(s) ? " (" : "",
					        ctl_result_message(s), *ctl_result_message(s) ? ")" : "");
				json_decref(s);
				return CTL_EXIT_OK;
			}
		}
		json_decref(s);
		s = NULL;
		/* resume from the usn and the record id seen last, through any number of restarts */
		while((rc = wait_change(c, &feed, NULL)) || (rc = get_session(c, id, &s)))
			if(!lost(c, rc, &down))
				return ctl_fail(c);
		back(c, &down);
	}
}

/* ---------- watch ---------- */

struct tracked {
	json_t *s;           /* latest session object */
	int64_t ended_us;    /* when we saw it stop, 0 while running */
	char printed[160];   /* plain mode: what was printed last */
};

struct board {
	struct tracked *v;
	size_t n, cap;
	int lines;           /* lines drawn last time (TTY mode) */
};

static struct tracked *board_find(struct board *b, const char *id)
{
	for(size_t i = 0; i < b->n; i++)
		if(!strcmp(ctl_jstr(b->v[i].s, "id"), id))
			return &b->v[i];
	return NULL;
}

static struct tracked *board_update(struct board *b, json_t *s)
{
	const char *id = ctl_jstr(s, "id");
	const char *state = ctl_jstr(s, "state");
	if(!id || !state)
		return NULL;
	int stopped = !strcmp(state, "Stopped");
	struct tracked *t = board_find(b, id);
	if(!t) {
		if(stopped)
			return NULL;
		if(b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 16;
			b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
		}
		t = &b->v[b->n++];
		memset(t, 0, sizeof(*t));
	} else {
		if(ctl_jint(s, "usn", 0) < ctl_jint(t->s, "usn", 0))
			return NULL;
		json_decref(t->s);
	}
	t->s = json_incref(s);
	if(stopped && !t->ended_us)
		t->ended_us = time_now_us();
	return t;
}

static void board_expire(struct board *b, int64_t keep_us)
{
	int64_t now = time_now_us();
	size_t k = 0;
	for(size_t i = 0; i < b->n; i++) {
		if(b->v[i].ended_us && now - b->v[i].ended_us > keep_us) {
			json_decref(b->v[i].s);
			continue;
		}
		b->v[k++] = b->v[i];
	}
	b->n = k;
}

static void bar_line(struct tracked *t, int cols, struct buf *out)
{
	json_t *s = t->s;
	int p = (int)ctl_jint(s, "progressPercent", 0);
	if(p < 0)
		p = 0;
	if(p > 100)
		p = 100;
	char dur[32];
	duration(s, dur, sizeof(dur));
	const char *state = ctl_jstr(s, "state");
	char tail[96];
	if(t->ended_us)
		snprintf(tail, sizeof(tail), "%3d%%  %s%s  %s", p, ctl_result(s), ctl_canceled(s) ? " (canceled)" : "", dur);
	else
		snprintf(tail, sizeof(tail), "%3d%%  %s  %s", p, state ? state : "", dur);
	int barw = 24;
	int namew = cols - barw - 4 - (int)strlen(tail) - 2;
	if(namew < 10)
		namew = 10;
	if(namew > 40)
		namew = 40;
	const char *name = ctl_jstr(s, "name");
	char nm[256];
	snprintf(nm, sizeof(nm), "%s", name ? name : "");
	/* cut at a character boundary */
	size_t cut = 0, chars = 0;
	while(nm[cut] && chars < (size_t)namew) {
		cut++;
		while(((unsigned char)nm[cut] & 0xC0) == 0x80)
			cut++;
		chars++;
	}
	nm[cut] = 0;
	buf_addstr(out, nm);
	for(size_t i = chars; i < (size_t)namew; i++)
		buf_addc(out, ' ');
	buf_addstr(out, "  [");
	int fill = p * barw / 100;
	for(int i = 0; i < barw; i++)
		buf_addc(out, i < fill ? '#' : '-');
	buf_addstr(out, "] ");
	buf_addstr(out, tail);
}

static void board_draw(struct board *b, int tty, int json)
{
	if(!tty) {
		for(size_t i = 0; i < b->n; i++) {
			struct tracked *t = &b->v[i];
			json_t *s = t->s;
			char line[160];
			snprintf(line, sizeof(line), "%s|%lld|%s", ctl_jstr(s, "state") ? ctl_jstr(s, "state") : "",
			         (long long)ctl_jint(s, "progressPercent", 0), ctl_result(s));
			if(!strcmp(line, t->printed))
				continue;
			snprintf(t->printed, sizeof(t->printed), "%s", line);
			if(json) {
				print_json_line(s);
				continue;
			}
			char now[32];
			time_t tt = time(NULL);
			struct tm tm;
			localtime_r(&tt, &tm);
			strftime(now, sizeof(now), "%H:%M:%S", &tm);
			const char *name = ctl_jstr(s, "name");
			printf("%s  %s  %s  %s  %lld%%  %s%s\n", now, ctl_jstr(s, "id"), name ? name : "",
			       ctl_jstr(s, "state") ? ctl_jstr(s, "state") : "", (long long)ctl_jint(s, "progressPercent", 0),
			       ctl_result(s), ctl_canceled(s) ? " (canceled)" : "");
		}
		fflush(stdout);
		return;
	}
	struct winsize ws;
	int cols = ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 100;
	struct buf out;
	buf_init(&out, 0);
	if(b->lines)
		buf_printf(&out, "\r\033[%dA", b->lines);
	size_t running = 0;
	for(size_t i = 0; i < b->n; i++)
		running += !b->v[i].ended_us;
	buf_printf(&out, "\033[2K\033[1msessiond: %zu running\033[0m  (Ctrl-C to quit)\n", running);
	for(size_t i = 0; i < b->n; i++) {
		buf_addstr(&out, "\033[2K");
		bar_line(&b->v[i], cols, &out);
		buf_addc(&out, '\n');
	}
	buf_addstr(&out, "\033[J");
	b->lines = (int)b->n + 1;
	fwrite(out.p, 1, out.len, stdout);
	fflush(stdout);
	buf_free(&out);
}

static int by_creation(const void *x, const void *y)
{
	const char *a = ctl_jstr(((const struct tracked *)x)->s, "creationTime");
	const char *b = ctl_jstr(((const struct tracked *)y)->s, "creationTime");
	return strcmp(a ? a : "", b ? b : "");
}

int ctl_cmd_watch(struct ctl *c, struct ctl_args *a)
{
	c->need_role = ROLE_READ;
	struct board b = {0};
	int64_t feed = 0;
	/* Every running session: one query per running state. */
	for(int st = 0; st < ST__COUNT; st++) {
		if(st == ST_STOPPED)
			continue;
		for(int64_t skip = 0;; skip += CTL_PAGE) {
			char path[200];
			snprintf(path, sizeof(path), "/api/v1/sessions?stateFilter=%s&skip=%lld&limit=%d", catalog_state_name(st),
			         (long long)skip, CTL_PAGE);
			json_t *j;
			if(ctl_call(c, "GET", path, NULL, &j))
				return ctl_fail(c);
			json_t *data = json_object_get(j, "data"), *s;
			size_t i;
			json_array_foreach(data, i, s) {
				board_update(&b, s);
				if(ctl_jint(s, "usn", 0) > feed)
					feed = ctl_jint(s, "usn", 0);
			}
			size_t n = json_array_size(data);
			json_decref(j);
			if(n < CTL_PAGE)
				break;
		}
	}
	int tty = isatty(1) && !c->json;
	int code = CTL_EXIT_OK, down = 0;
	for(;;) {
		qsort(b.v, b.n, sizeof(*b.v), by_creation);
		if(a->v[OPT_ONCE] && c->json) {
			json_t *arr = json_array();
			for(size_t i = 0; i < b.n; i++)
				json_array_append(arr, b.v[i].s);
			print_json(arr);
			json_decref(arr);
		} else {
			board_draw(&b, tty, c->json);
		}
		board_expire(&b, tty ? 10000000 : 0);
		if(a->v[OPT_ONCE])
			break;
		json_t *changes;
		enum rc rc = wait_change(c, &feed, &changes);
		if(rc && lost(c, rc, &down))
			continue;
		if(rc) {
			code = ctl_fail(c);
			break;
		}
		back(c, &down);
		json_t *s;
		size_t i;
		json_array_foreach(changes, i, s)
			board_update(&b, s);
		json_decref(changes);
	}
	for(size_t i = 0; i < b.n; i++)
		json_decref(b.v[i].s);
	free(b.v);
	return code;
}

/* ---------- export ---------- */

static void csv_field(struct buf *o, const char *s)
{
	if(!s)
		s = "";
	if(!strpbrk(s, ",\"\r\n")) {
		buf_addstr(o, s);
		return;
	}
	buf_addc(o, '"');
	for(; *s; s++) {
		if(*s == '"')
			buf_addc(o, '"');
		buf_addc(o, *s);
	}
	buf_addc(o, '"');
}

static const char *const csv_cols[] = {
	"id", "name", "jobId", "sessionType", "state", "result", "message", "isCanceled", "progressPercent",
	"creationTime", "endTime", "usn", "parentSessionId", "initiatedBy", NULL,
};

static void csv_row(struct buf *o, json_t *s)
{
	char num[32];
	for(int k = 0; csv_cols[k]; k++) {
		const char *col = csv_cols[k], *v;
		if(k)
			buf_addc(o, ',');
		if(!strcmp(col, "result"))
			v = ctl_result(s);
		else if(!strcmp(col, "message"))
			v = ctl_result_message(s);
		else if(!strcmp(col, "isCanceled"))
			v = ctl_canceled(s) ? "true" : "false";
		else if(!strcmp(col, "progressPercent") || !strcmp(col, "usn")) {
			snprintf(num, sizeof(num), "%lld", (long long)ctl_jint(s, col, 0));
			v = num;
		} else
			v = ctl_jstr(s, col);
		csv_field(o, v);
	}
	buf_addstr(o, "\r\n");
}

int ctl_cmd_export(struct ctl *c, struct ctl_args *a)
{
	const char *fmt = a->v[OPT_FORMAT] ? a->v[OPT_FORMAT] : c->json ? "json" : "csv";
	int json = !strcmp(fmt, "json");
	if(!json && strcmp(fmt, "csv"))
		return unknown_value("export", "--format", "format", fmt, format_name, 2, NULL);
	long limit = -1;
	if(a->v[OPT_LIMIT]) {
		char *end;
		limit = strtol(a->v[OPT_LIMIT], &end, 10);
		if(*end || end == a->v[OPT_LIMIT] || limit < 1)
			return ctl_usage("export", "--limit must be a positive integer");
	}
	c->need_role = ROLE_READ;
	struct buf f;
	buf_init(&f, 0);
	int code, none = 0;
	if(filters(c, a, "export", &f, &code)) {
		if(code) {
			buf_free(&f);
			return code;
		}
		none = 1;   /* --job names no job */
	}
	struct buf o;
	buf_init(&o, 0);
	if(json)
		buf_addstr(&o, "[");
	else {
		for(int k = 0; csv_cols[k]; k++) {
			if(k)
				buf_addc(&o, ',');
			buf_addstr(&o, csv_cols[k]);
		}
		buf_addstr(&o, "\r\n");
	}
	int64_t count = 0;
	for(int64_t skip = 0; !none && (limit < 0 || count < limit);) {
		int64_t page = limit < 0 || limit - count > CTL_PAGE ? CTL_PAGE : limit - count;
		struct buf p;
		buf_init(&p, 0);
		buf_printf(&p, "/api/v1/sessions?orderColumn=CreationTime&orderAsc=true&skip=%lld&limit=%lld%s%s",
		           (long long)skip, (long long)page, f.len ? "&" : "", f.len ? buf_cstr(&f) + 1 : "");
		json_t *j;
		enum rc rc = ctl_call(c, "GET", buf_cstr(&p), NULL, &j);
		buf_free(&p);
		if(rc) {
			fwrite(o.p ? o.p : "", 1, o.len, stdout);
			fflush(stdout);
			buf_free(&o);
			buf_free(&f);
			return ctl_fail(c);
		}
		json_t *data = json_object_get(j, "data"), *s;
		size_t i;
		json_array_foreach(data, i, s) {
			if(json) {
				char *t = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
				buf_addstr(&o, count ? ",\n" : "\n");
				buf_addstr(&o, t);
				free(t);
			} else {
				csv_row(&o, s);
			}
			count++;
		}
		size_t n = json_array_size(data);
		json_decref(j);
		fwrite(o.p ? o.p : "", 1, o.len, stdout);
		buf_reset(&o);
		if((int64_t)n < page)
			break;
		skip += (int64_t)n;
	}
	if(json)
		buf_addstr(&o, count ? "\n]\n" : "]\n");
	fwrite(o.p ? o.p : "", 1, o.len, stdout);
	fflush(stdout);
	buf_free(&o);
	buf_free(&f);
	return ferror(stdout) ? CTL_EXIT_API : CTL_EXIT_OK;
}

/* ---------- flush ---------- */

int ctl_cmd_flush(struct ctl *c, struct ctl_args *a)
{
	(void)a;
	char dir[4096];
	if(ctl_spool_dir_existing(c, dir, sizeof(dir))) {
		fprintf(stderr, "sessionctl: nothing to deliver (no spool folder %s)\n", dir);
		return CTL_EXIT_OK;
	}
	c->need_role = ROLE_INGEST;
	int delivered;
	int left = ctl_flush(c, dir, 1, NULL, &delivered);
	if(c->json) {
		json_t *j = json_pack("{s:i,s:i,s:s}", "delivered", delivered, "left", left, "spool", dir);
		print_json(j);
		json_decref(j);
	} else
		fprintf(stderr, "sessionctl: %d session%s delivered, %d left in %s\n", delivered, delivered == 1 ? "" : "s",
		        left, dir);
	return left ? CTL_EXIT_API : CTL_EXIT_OK;
}
