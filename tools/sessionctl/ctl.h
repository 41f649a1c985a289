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
#define CTL_TIMEOUT_S 10        /* default --timeout */
#ifndef SESSIOND_VERSION
#define SESSIOND_VERSION "unknown"   /* the Makefile passes the version of sessiond */
#endif

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
	char *api_key;            /* --api-key-file or SESSIOND_API_KEY: sent as the bearer, no login */
	const char *password_file;
	int json;                 /* --json: machine-readable output */
	long timeout_s;           /* whole-request timeout, seconds (--timeout; default 10) */
	const char *cacert;       /* --cacert: PEM file of the CA that signed the server's certificate */
	int insecure;             /* --insecure: do not verify the server's certificate */
	const char *spool_dir;    /* --spool; NULL: the default folder (ctl_spool_dir) */
	const int *abort_flag;    /* when set and nonzero, a request in flight is abandoned (RC_BUSY) */
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
	OPT_CACERT, OPT_INSECURE, OPT_TIMEOUT, OPT_SPOOL, OPT_SPOOL_MAX, OPT_STDERR_WARNINGS, OPT_QUIET,
	OPT_HEARTBEAT, OPT_API_KEY_FILE,
	OPT_EVENT, OPT_URL, OPT_MINUTES, OPT_SECONDS_N, OPT_PERCENT, OPT_SECRET_FILE, OPT_DISABLED,
	OPT_DELIVERY_STATUS,   /* sessionctl alert (alert.c) */
	OPT_FIELD, OPT_JSON_IN, OPT_PARENT, OPT_MERGE, OPT_ENAME, OPT_REPOSITORY, OPT_OBJECT, OPT_SIZE_FROM,
	OPT__COUNT
};

struct ctl_args {
	const char *v[OPT__COUNT];   /* each option's value as given, "1" for a flag, NULL if absent */
	const char *fields[64];      /* every --field K=V, in order */
	int nfields;
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
int ctl_cmd_flush(struct ctl *c, struct ctl_args *a);
int ctl_cmd_alert(struct ctl *c, struct ctl_args *a);   /* alert.c */
int ctl_cmd_estate_put(struct ctl *c, struct ctl_args *a);
int ctl_cmd_estate_ls(struct ctl *c, struct ctl_args *a);
int ctl_cmd_estate_get(struct ctl *c, struct ctl_args *a);
int ctl_cmd_estate_rm(struct ctl *c, struct ctl_args *a);
int ctl_cmd_repo_report(struct ctl *c, struct ctl_args *a);

/** Parses a number of seconds ("10", "2.5"); -1 when s is not one. */
double ctl_seconds(const char *s);

/** Resolves a session reference at a->argv[0] into a full id and removes it from
 *  a->argv: a full id, a unique prefix of at least 8 characters, or the two words
 *  `last JOB` (the newest session of that job). 0, or an exit code after a message. */
int ctl_take_id(struct ctl *c, struct ctl_args *a, const char *cmd, char out[37]);

/** Writes "a, b or c" of the n names from name(i) into b (for "unknown value" errors). */
void ctl_list_values(struct buf *b, const char *(*name)(int), int n);

/* ---- the backup estate (estate.c, register.c) ---- */

/** Resolves ID|NAME of an estate kind into out: a UUID as given; else the id of the object
 *  of kind named ref (case-insensitively) when one exists and the caller may read the
 *  estate; else the id derived from kind and name (estate_name_id). *named is set when
 *  ref was a name. RC_OK, or the failure of the look-up (c->err says it). */
enum rc ctl_estate_resolve(struct ctl *c, int kind, const char *ref, char out[37], int *named);
/** Reads the estate object kind/id: RC_OK with *out (caller decrefs), or ctl_call's failure. */
enum rc ctl_estate_get(struct ctl *c, int kind, const char *id, json_t **out);

/** An estate write that must not be lost (register.c): {"op":"put", "kind", "ref", "props",
 *  "merge"} upserts one object; {"op":"run", ...} registers a successful run's job, backup
 *  and restore point. Applies op now; RC_OK, or the failure (c->err). */
enum rc reg_apply(struct ctl *c, json_t *op);
/** Applies op, and when the server is away (or refuses the login) keeps it in a spool file
 *  dir/ID.estate that ctl_flush delivers later, after the sessions spooled before it.
 *  with_now 0: only spool it. Returns RC_OK when applied, RC_BUSY when spooled (a warning
 *  was printed), another rc when the server refused it (c->err). */
enum rc reg_submit(struct ctl *c, const char *dir, json_t *op, int with_now);
/** The op that registers a successful run (size < 0: none measured). */
json_t *reg_run_op(const char *job, const char *type, const char *repository, const char *object,
                   const char *session_id, int64_t end_us, int64_t size);
/** Bytes of the regular file path, or of the regular files under the folder path (symbolic
 *  links are not followed); -1 with errno when path cannot be read. */
int64_t reg_measure(const char *path);

/* ---- the spool (spool.c) ---- */

enum spool_outcome { SP_DELIVERED, SP_LEFT, SP_BUSY, SP_OTHER, SP_DROPPED };
/** Delivers the estate spool file path (register.c); why says what kept it. */
enum spool_outcome reg_deliver(struct ctl *c, const char *path, int verbose, char *why, size_t whylen);


#define SPOOL_BATCH_RECORDS 1000                 /* the server takes at most 1000 records per call */
#define SPOOL_BATCH_BYTES ((size_t)768 << 10)    /* and a body of at most 1 MiB */

/* One session's spool file, open and locked (flock) by its writer. */
struct spool {
	int fd;                 /* -1 when closed */
	int persistent;         /* a file in the spool folder; 0: an unnamed temporary file */
	char path[4096];
	int64_t data_start;     /* offset of the first record line */
	int64_t read_off;       /* first byte the server does not have yet */
	int64_t write_off;      /* end of the lines written */
	int created;            /* the server has the session */
	int64_t punched;        /* the delivered bytes below this offset no longer take disk space */
};

/** The spool folder (--spool, $XDG_STATE_HOME/sessionctl, ~/.local/state/sessionctl, or
 *  /var/lib/sessionctl for root), created mode 0700. 0, or -1 with c->err set. */
int ctl_spool_dir(struct ctl *c, char *out, size_t n);
/** The same folder without creating it; -1 when it does not exist. */
int ctl_spool_dir_existing(struct ctl *c, char *out, size_t n);
/** Creates and locks dir/ID.spool (an unnamed temporary file when dir is NULL or
 *  unusable: then s->persistent is 0) holding the server and the create body. */
enum rc spool_open_new(struct spool *s, const char *dir, const char *id, const char *server, const char *create_json,
                       char *err, size_t errlen);
/** Appends whole lines at write_off. -1 on a write error (disk full). */
int spool_append(struct spool *s, const void *p, size_t n);
/** Records created and read_off in the file's head. */
void spool_ack(struct spool *s);
/** Once everything was delivered, cuts the file back to its head; while behind, frees the
 *  disk blocks of what was delivered (a hole; offsets stay). */
void spool_compact(struct spool *s);
/** Closes (and with remove, deletes) the file; the lock goes with it. */
void spool_close(struct spool *s, int remove);
/** Reads the lines in [from, to) of fd: the R records (at most one batch) go into body as
 *  {"records":[...]} (*n of them); *next is the offset after what was used; *end receives
 *  the E line (caller decrefs) when it was reached. */
int spool_batch(int fd, int64_t from, int64_t to, struct buf *body, size_t *n, int64_t *next, json_t **end);
/** POSTs a batch of records (a 400 skips them with a warning). */
enum rc spool_post_logs(struct ctl *c, const char *id, const char *body, size_t n, json_t **reply);
/** Sends an E line: the final progress, then /complete (409 counts as done). */
enum rc spool_post_end(struct ctl *c, const char *id, json_t *end);
/** Delivers every spooled session of c->server in dir (oldest first, skipping skip_id and
 *  files a running sessionctl holds) and removes what the server has. Stops at the first
 *  failure. Returns how many stay; *delivered counts the ones delivered. */
int ctl_flush(struct ctl *c, const char *dir, int verbose, const char *skip_id, int *delivered);

#endif
