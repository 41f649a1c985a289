/* sessionctl: the command-line client of sessiond. It speaks the VBR + ingest
 * HTTP API (x-api-version 1.3-rev2) through libcurl and parses replies with
 * jansson. One struct ctl per process holds the server, the credentials and
 * the HTTP handle; it is used by one thread at a time. */
#ifndef SESSIONCTL_CTL_H
#define SESSIONCTL_CTL_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

#include "model/catalog.h" /* CATALOG_VBR_DEFAULT: the default row of model/version.def */
#define CTL_API_VERSION CATALOG_VBR_DEFAULT
#define CTL_DEFAULT_URL "http://127.0.0.1:9419"
#define CTL_PAGE 200            /* the server's largest page */

/* Exit codes (docs/sessionctl.md). `run` exits with the child's code instead. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_API = 1,       /* server unreachable, API error, bad credentials */
	CTL_EXIT_USAGE = 2,     /* bad command line */
	CTL_EXIT_STOP = 3,      /* progress/log: done, and the session was asked to stop */
};

struct ctl {
	const char *server;       /* base URL, no trailing slash */
	const char *user;         /* --user or SESSIOND_USER; NULL: use the token cache */
	const char *password_file;
	int json;                 /* --json: machine-readable output */
	long timeout_s;           /* whole-request timeout */
	const char *need_role;    /* named in the 403 message, e.g. "operator or admin" */

	char *password;           /* resolved lazily from the file or SESSIOND_PASSWORD */
	char *access;             /* current access token, or NULL */
	char *refresh;            /* its refresh token (single-use), or NULL */
	int64_t access_exp_us;    /* when the access token expires */
	int from_cache;           /* tokens came from (and go back to) the cache file */
	void *curl;               /* CURL * */
	long status;              /* HTTP status of the last reply, 0 if none */
	char err[1024];           /* message of the last failure, ready to print */
};

void ctl_init(struct ctl *c);
void ctl_free(struct ctl *c);

/** One authenticated API call. path starts with "/api/"; body is JSON text or NULL.
 *  On RC_OK *out (if out) holds the parsed reply (NULL for an empty body) and the
 *  caller json_decref()s it. Failures: RC_BUSY when the server is unreachable or
 *  answered 5xx/429 (worth retrying), RC_UNAUTHORIZED, RC_FORBIDDEN, RC_NOTFOUND,
 *  RC_CONFLICT, RC_INVALID, RC_PRECONDITION, RC_BACKEND (anything else); c->err
 *  then says what happened in words a user can act on. */
enum rc ctl_call(struct ctl *c, const char *method, const char *path, const char *body, json_t **out);

/** Logs in with the password grant and stores the tokens in the cache file. */
enum rc ctl_login(struct ctl *c, const char *user, const char *password, char *path, size_t pathlen);

/** Path of the token cache: $XDG_CONFIG_HOME/sessiond/token.json or
 *  ~/.config/sessiond/token.json. 0, or -1 when neither variable is set. */
int ctl_cache_path(char *out, size_t n);

/** Appends s to b URL-encoded (for query values). */
void ctl_urlenc(struct buf *b, const char *s);

/** Prints "sessionctl: <c->err>" to stderr and returns CTL_EXIT_API. */
int ctl_fail(struct ctl *c);
/** Prints "sessionctl: <message>" to stderr. */
void ctl_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- helpers shared by the commands (cmds.c) ---- */

/** JSON accessors that tolerate a missing or mistyped member. */
const char *ctl_jstr(json_t *o, const char *key);
int64_t ctl_jint(json_t *o, const char *key, int64_t dflt);
int ctl_jbool(json_t *o, const char *key);
/** The reply member "result.result" / "result.message" / "result.isCanceled". */
const char *ctl_result(json_t *s);
const char *ctl_result_message(json_t *s);
int ctl_canceled(json_t *s);
/** A server date-time in local time "YYYY-MM-DD HH:MM:SS" ("-" when absent). */
void ctl_local_time(const char *rfc3339, char *out, size_t n);

/* ---- commands ---- */

/* Every option of every command (main.c has the table with names and help). */
enum ctl_opt {
	OPT_FOLLOW = 'f',
	OPT_HELP = 'h',
	OPT_SERVER = 256, OPT_USER, OPT_PASSWORD_FILE, OPT_JSON, OPT_VERSION,
	OPT_JOB, OPT_NAME, OPT_TYPE, OPT_REGEX, OPT_GRACE, OPT_RETRY_FOR, OPT_STDERR_STATUS,
	OPT_STATUS, OPT_DESCRIPTION, OPT_RESULT, OPT_MESSAGE, OPT_CANCELED,
	OPT_STATE, OPT_SINCE, OPT_LIMIT, OPT_FORMAT, OPT_ONCE,
	OPT__COUNT
};

struct ctl_args {
	const char *v[OPT__COUNT];   /* each option's value as given, "1" for a flag, NULL if absent */
	int argc;                    /* positional arguments (for run: the command) */
	char **argv;
};

/** Prints "sessionctl: CMD: <message>" plus a --help hint; returns CTL_EXIT_USAGE. */
int ctl_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int ctl_cmd_login(struct ctl *c, struct ctl_args *a);
int ctl_cmd_logout(struct ctl *c, struct ctl_args *a);
int ctl_cmd_run(struct ctl *c, struct ctl_args *a);
int ctl_cmd_start(struct ctl *c, struct ctl_args *a);
int ctl_cmd_progress(struct ctl *c, struct ctl_args *a);
int ctl_cmd_log(struct ctl *c, struct ctl_args *a);
int ctl_cmd_finish(struct ctl *c, struct ctl_args *a);
int ctl_cmd_ls(struct ctl *c, struct ctl_args *a);
int ctl_cmd_show(struct ctl *c, struct ctl_args *a);
int ctl_cmd_logs(struct ctl *c, struct ctl_args *a);
int ctl_cmd_stop(struct ctl *c, struct ctl_args *a);
int ctl_cmd_watch(struct ctl *c, struct ctl_args *a);
int ctl_cmd_export(struct ctl *c, struct ctl_args *a);

/** Parses a number of seconds ("10", "2.5"); -1 when s is not one. */
double ctl_seconds(const char *s);

#endif
