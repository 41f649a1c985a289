/* sessiond: flags, configuration, user management, start and stop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/vbr.h"
#include "api/metrics.h"
#include "core/alerts.h"
#include "core/auth.h"
#include "model/catalog.h"
#include "core/core.h"
#include "core/jobs.h"
#include "core/demo.h"
#include "core/feed.h"
#include "core/retention.h"
#include "http/server.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timefmt.h"

#define VERSION "0.1.0"

/* ---------- configuration: one table drives flags, environment, checks and --help ---------- */

enum ctype { C_STR, C_INT, C_LIST, C_ENUM, C_BOOL };

struct conf {
	const char *name;      /* --name, and SESSIOND_NAME in the environment */
	enum ctype type;
	const char *def;
	long min, max;
	const char *choices;   /* C_ENUM: '|'-separated */
	const char *help;
	const char *value;     /* resolved value (flag > environment > default) */
	const char *list[HTTP_MAX_LISTEN];
	int nlist;
};

static struct conf confs[] = {
	{.name = "listen", .type = C_LIST, .def = "127.0.0.1:9419", .min = 0, .max = 0, .choices = NULL, .help = "HOST:PORT to serve on (repeat, or comma-separate in the environment)"},
	{.name = "db", .type = C_STR, .def = "./sessiond.db", .min = 0, .max = 0, .choices = NULL, .help = "SQLite database file, or postgres://… (docs/SCALING.md)"},
	{.name = "db-read", .type = C_STR, .def = NULL, .min = 0, .max = 0, .choices = NULL, .help = "postgres://… streaming replica of --db for reads (each sees every write acknowledged before it)"},
	{.name = "tls-cert", .type = C_STR, .def = NULL, .min = 0, .max = 0, .choices = NULL, .help = "PEM certificate: serve HTTPS"},
	{.name = "tls-key", .type = C_STR, .def = NULL, .min = 0, .max = 0, .choices = NULL, .help = "PEM private key for --tls-cert"},
	{.name = "demo", .type = C_BOOL, .def = "false", .help = "seed a 30-day demo history into an empty database and keep sessions running"},
	{.name = "demo-seed", .type = C_INT, .def = "42", .min = 0, .max = 2147483647, .help = "seed of the demo history"},
	{.name = "demo-anchor", .type = C_STR, .def = NULL, .help = "RFC 3339 end of the demo history (default: now)"},
	{.name = "demo-interval", .type = C_INT, .def = "1000", .min = 50, .max = 600000, .help = "milliseconds between demo simulator steps"},
	{.name = "retention-days", .type = C_INT, .def = "0", .min = 0, .max = 36500, .help = "purge sessions that ended more than N days ago (0: keep all)"},
	{.name = "retention-interval", .type = C_INT, .def = "3600", .min = 1, .max = 604800, .help = "seconds between retention runs"},
	{.name = "log-level", .type = C_ENUM, .def = "info", .min = 0, .max = 0, .choices = "error|warn|info|debug", .help = "error: failures only; warn: also what an operator should look at; info: also one line per request and start/stop; debug: also details"},
	{.name = "log-format", .type = C_ENUM, .def = "text", .choices = "text|json", .help = "text: \"TIME LEVEL message\" lines; json: one JSON object per line"},
	{.name = "log-file", .type = C_STR, .def = NULL, .help = "append the log to this file (mode 0600) instead of stderr; reopened on SIGHUP"},
	{.name = "metrics-bind", .type = C_STR, .def = NULL, .help = "HOST:PORT of a plain-HTTP listener serving /metrics without authentication (and /healthz, /readyz)"},
	{.name = "threads", .type = C_INT, .def = "0", .min = 0, .max = 256, .choices = NULL, .help = "HTTP worker threads per listener (0: one per core)"},
	{.name = "max-connections", .type = C_INT, .def = "1024", .min = 1, .max = 1000000, .choices = NULL, .help = "open connections per listener"},
	{.name = "login-failures", .type = C_INT, .def = "10", .min = 0, .max = 1000000, .choices = NULL, .help = "failed logons a client address may make per minute before it gets 429; attempts in flight count (0: no limit)"},
	{.name = "login-concurrency", .type = C_INT, .def = "4", .min = 1, .max = 1000, .choices = NULL, .help = "logons of one client address checked at once; more get 429 with Retry-After"},
	{.name = "lease-seconds", .type = C_INT, .def = "600", .min = 1, .max = 31536000, .choices = NULL, .help = "a running session whose reporter writes nothing for this long (or its heartbeatSeconds) ends as Failed"},
	{.name = "schedule-check", .type = C_INT, .def = "30000", .min = 50, .max = 3600000, .choices = NULL, .help = "milliseconds between looks for missed runs of scheduled jobs"},
	{.name = "lease-check", .type = C_INT, .def = "5000", .min = 50, .max = 3600000, .choices = NULL, .help = "milliseconds between looks for lapsed leases"},
	{.name = "alert-check", .type = C_INT, .def = "1000", .min = 50, .max = 3600000, .choices = NULL, .help = "milliseconds between evaluations of the alert rules (docs/ALERTS.md)"},
	{.name = "alert-retry", .type = C_INT, .def = "5000", .min = 50, .max = 3600000, .choices = NULL, .help = "milliseconds before the first retry of a failed webhook delivery; each next retry waits twice as long"},
	{.name = "alert-retry-max", .type = C_INT, .def = "600000", .min = 50, .max = 86400000, .choices = NULL, .help = "longest wait between two attempts of a webhook delivery, in milliseconds"},
	{.name = "alert-attempts", .type = C_INT, .def = "10", .min = 1, .max = 1000, .choices = NULL, .help = "attempts of a webhook delivery before it is marked failed"},
	{.name = "alert-timeout", .type = C_INT, .def = "10", .min = 1, .max = 300, .choices = NULL, .help = "seconds a webhook receiver has to answer one attempt"},
	{.name = "timeout", .type = C_INT, .def = "30", .min = 1, .max = 3600, .choices = NULL, .help = "seconds before an idle or slow connection is closed"},
	{.name = "max-body", .type = C_INT, .def = "1048576", .min = 1024, .max = 1073741824, .choices = NULL, .help = "largest request body, in bytes"},
	{.name = "max-header", .type = C_INT, .def = "16384", .min = 4096, .max = 1048576, .choices = NULL, .help = "buffer for the request line and headers, in bytes"},
	{.name = "header-timeout", .type = C_INT, .def = "10", .min = 1, .max = 3600, .help = "seconds a client has to send a whole request (line, headers and body) once it started; then 408 and close"},
	{.name = "max-connections-per-address", .type = C_INT, .def = "256", .min = 0, .max = 1000000, .help = "open connections per client address (0: no limit; behind a reverse proxy, set 0 or raise it)"},
	{.name = "max-waiting-per-user", .type = C_INT, .def = "64", .min = 0, .max = 1000000, .help = "long polls and event streams a user may have open at once; more get 429 (0: no limit)"},
	{.name = "max-response", .type = C_INT, .def = "268435456", .min = 65536, .max = 1073741824, .help = "largest answer built in memory, in bytes; a larger one is refused with 413"},
};

#define NCONF (sizeof(confs) / sizeof(confs[0]))

static struct conf *conf_find(const char *name, size_t len)
{
	for(size_t i = 0; i < NCONF; i++)
		if(strlen(confs[i].name) == len && !strncmp(confs[i].name, name, len))
			return &confs[i];
	return NULL;
}

static long conf_int(const char *name)
{
	struct conf *c = conf_find(name, strlen(name));
	return c && c->value ? strtol(c->value, NULL, 10) : 0;
}

static int conf_bool(const char *name)
{
	struct conf *c = conf_find(name, strlen(name));
	return c && c->value && !strcmp(c->value, "true");
}

static const char *conf_str(const char *name)
{
	struct conf *c = conf_find(name, strlen(name));
	return c ? c->value : NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sessiond [options]              serve the APIs\n"
	           "       sessiond user add NAME --role ROLE   add a user (password from SESSIOND_PASSWORD or stdin)\n"
	           "       sessiond user passwd NAME            change a password\n"
	           "       sessiond user role NAME ROLE         change a role\n"
	           "       sessiond user del NAME               remove a user\n"
	           "       sessiond user list                   list users\n"
	           "       sessiond key add NAME --role ROLE    make an API key (shown once) for a reporter or another role\n"
	           "       sessiond key list                    list API keys with their last use\n"
	           "       sessiond key del NAME                revoke an API key\n"
	           "       sessiond catalog                     print the session type mapping (Markdown)\n"
	           "\nroles: viewer (read), operator (read, stop), reporter (ingest), admin (everything)\n"
	           "\noptions (each also read from SESSIOND_<NAME>, e.g. SESSIOND_LISTEN):\n");
	for(size_t i = 0; i < NCONF; i++) {
		const struct conf *c = &confs[i];
		char flag[64];
		snprintf(flag, sizeof(flag), "--%s%s%s", c->name, c->type == C_BOOL ? "" : " ",
		         c->type == C_BOOL ? "" : c->type == C_INT ? "N" : c->type == C_ENUM ? c->choices : "VALUE");
		fprintf(f, "  %-34s %s", flag, c->help);
		if(c->def)
			fprintf(f, " [%s]", c->def);
		fputc('\n', f);
	}
	fprintf(f, "  %-34s %s\n", "--help", "this text");
	fprintf(f, "  %-34s %s\n", "--version", "print the version");
	fprintf(f, "\nOn first start the admin user is created with the password in SESSIOND_ADMIN_PASSWORD,\n"
	           "or a random one that is printed once.\n");
}

static int conf_set(struct conf *c, const char *v, const char *from)
{
	switch(c->type) {
	case C_INT: {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if(!*v || *end || errno || n < c->min || n > c->max) {
			fprintf(stderr, "sessiond: %s %s: want a number from %ld to %ld\n", from, c->name, c->min, c->max);
			return -1;
		}
		break;
	}
	case C_ENUM: {
		size_t vl = strlen(v);
		const char *p = c->choices;
		int ok = 0;
		while(*p && !ok) {
			const char *bar = strchr(p, '|');
			size_t l = bar ? (size_t)(bar - p) : strlen(p);
			ok = l == vl && !strncasecmp(p, v, l);
			p += l + (bar ? 1 : 0);
		}
		if(!ok && !strcmp(c->name, "log-level") && !strcasecmp(v, "warning")) {
			v = "warn";   /* the spelling syslog and many tools use */
			ok = 1;
		}
		if(!ok) {
			fprintf(stderr, "sessiond: %s %s: want one of %s\n", from, c->name, c->choices);
			return -1;
		}
		break;
	}
	case C_LIST: {
		if(c->nlist >= HTTP_MAX_LISTEN) {
			fprintf(stderr, "sessiond: at most %d --%s values\n", HTTP_MAX_LISTEN, c->name);
			return -1;
		}
		c->list[c->nlist++] = v;
		break;
	}
	case C_BOOL:
		if(!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
			v = "true";
		else if(!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
			v = "false";
		else {
			fprintf(stderr, "sessiond: %s %s: want true or false\n", from, c->name);
			return -1;
		}
		break;
	case C_STR:
		break;
	}
	c->value = v;
	return 0;
}

/* Flags win over the environment, which wins over defaults. Leaves positional words in args. */
static int conf_load(int argc, char **argv, const char **args, int *nargs)
{
	int seen[NCONF] = {0};
	*nargs = 0;
	for(int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if(!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if(!strcmp(a, "--version")) {
			printf("sessiond %s\n", VERSION);
			exit(0);
		}
		if(strncmp(a, "--", 2)) {
			args[(*nargs)++] = a;
			continue;
		}
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		struct conf *c = conf_find(a + 2, len);
		if(!c) {
			/* Options of subcommands (--role) pass through. */
			args[(*nargs)++] = a;
			if(!eq && i + 1 < argc && strncmp(argv[i + 1], "--", 2))
				args[(*nargs)++] = argv[++i];
			continue;
		}
		const char *v = eq ? eq + 1 : c->type == C_BOOL ? "true" : (i + 1 < argc ? argv[++i] : NULL);
		if(!v) {
			fprintf(stderr, "sessiond: --%s needs a value (see --help)\n", c->name);
			return -1;
		}
		if(!seen[c - confs]) {
			c->nlist = 0;
			seen[c - confs] = 1;
		}
		if(conf_set(c, v, "flag --"))
			return -1;
	}
	for(size_t i = 0; i < NCONF; i++) {
		struct conf *c = &confs[i];
		if(seen[i])
			continue;
		char env[64] = "SESSIOND_";
		size_t k = strlen(env);
		for(const char *p = c->name; *p && k < sizeof(env) - 1; p++)
			env[k++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		env[k] = 0;
		const char *v = getenv(env);
		if(v && *v) {
			if(c->type == C_LIST) {
				char *copy = xstrdup(v), *save = NULL;
				for(char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
					if(conf_set(c, t, "environment"))
						return -1;
				/* copy stays alive for the process: the list points into it */
			} else if(conf_set(c, v, "environment")) {
				return -1;
			}
		} else if(c->def) {
			if(conf_set(c, c->def, "default"))
				return -1;
		}
	}
	return 0;
}

/* ---------- users ---------- */

static int read_password(char *out, size_t n)
{
	const char *env = getenv("SESSIOND_PASSWORD");
	if(env) {
		snprintf(out, n, "%s", env);
		return 0;
	}
	if(isatty(0))
		fprintf(stderr, "password: ");
	if(!fgets(out, (int)n, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = 0;
	return 0;
}

/* Adds a user (create) or changes an existing one's password (when not NULL) and
 * role (when >= 0); a change ends every token and logon the user had. */
static enum rc put_user(int create, const char *name, int role, const char *password, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	enum rc rc = RC_OK;
	if(password && (rc = auth_password_hash(password, hash, sizeof(hash)))) {
		snprintf(err, errlen, "cannot hash the password");
		return rc;
	}
	struct core_write w = {0};
	if(create)
		rc = core_user_add(&w, name, hash, role);
	else
		rc = core_user_change(&w, name, password ? hash : NULL, role);
	sodium_memzero(hash, sizeof(hash));
	if(rc)
		snprintf(err, errlen, "%s", w.err);
	return rc;
}

static int print_user(void *ctx, const struct user_rec *u)
{
	(void)ctx;
	char t[TIME_STR_MAX];
	time_format(u->created_us, 0, t);
	printf("%-24s %-10s %s\n", u->name, auth_role_name(u->role), t);
	return 0;
}

static int valid_user_name(const char *s)
{
	size_t n = strlen(s);
	if(!n || n > 63)
		return 0;
	for(size_t i = 0; i < n; i++)
		if(s[i] <= ' ' || s[i] == ':' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* ---------- the database file: private, and served by one process ---------- */

/* Whether --db names a SQLite file (not a server URI such as postgres://…). */
static int db_is_file(const char *db)
{
	return db && *db && !strstr(db, "://") && strncmp(db, "postgres", 8);
}

/* The database holds the token-signing key and password hashes: it, its WAL and its
 * shared-memory index are the owner's alone. Files an older release created readable by
 * others are tightened (each with a log line). */
static void db_tighten(const char *db)
{
	static const char *const suffix[] = {"", "-wal", "-shm", ".lock"};
	for(size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char path[4096];
		struct stat st;
		if(snprintf(path, sizeof(path), "%s%s", db, suffix[i]) >= (int)sizeof(path) || stat(path, &st) ||
		   !S_ISREG(st.st_mode) || !(st.st_mode & 077))
			continue;
		if(chmod(path, st.st_mode & 0700))
			log_warn("%s is readable by others (mode %03o) and cannot be changed: %s", path,
			         (unsigned)(st.st_mode & 0777), strerror(errno));
		else
			log_warn("%s was mode %03o; now %03o (the database holds the token key and password hashes)",
			         path, (unsigned)(st.st_mode & 0777), (unsigned)(st.st_mode & 0700));
	}
}

/* Takes the exclusive lock "<db>.lock" for the life of the process: a second sessiond on
 * the same database is refused here, before it does anything. 0, or -1 after saying why. */
static int db_lock(const char *db)
{
	char path[4096];
	if(snprintf(path, sizeof(path), "%s.lock", db) >= (int)sizeof(path)) {
		log_error("the database path is too long");
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if(fd < 0 && (errno == EROFS || errno == EACCES)) {
		/* The database cannot be written either: opening it says so with its own cause. */
		log_warn("cannot create the lock file %s (%s); not locking", path, strerror(errno));
		return 0;
	}
	if(fd < 0) {
		log_error("cannot open the lock file %s: %s", path, strerror(errno));
		return -1;
	}
	if(flock(fd, LOCK_EX | LOCK_NB)) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\r\n")] = 0;
		log_error("another sessiond (pid %s) is serving the database %s (it holds %s); stop it first, or give "
		          "this one its own --db", *pid ? pid : "unknown", db, path);
		close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if(ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid into %s", path);
	return 0;   /* fd stays open (and locked) until the process ends */
}

static enum rc open_db(char *err, size_t errlen)
{
	if(db_is_file(conf_str("db")))
		db_tighten(conf_str("db"));
	enum rc rc = core_open_read(conf_str("db"), conf_str("db-read"), err, errlen);
	if(!rc && (rc = auth_init())) {
		snprintf(err, errlen, "cannot initialise authentication (%s)", rc_name(rc));
		core_close();
	}
	return rc;
}

/* The words of `sessiond user|key VERB [NAME] [--role ROLE]`, and the database opened:
 * -1 when the command goes on, else the exit status to return. */
static int admin_args(const char **args, int nargs, const char **verb, const char **name, int *role)
{
	if(nargs < 2) {
		usage(stderr);
		return 2;
	}
	*verb = args[1];
	*name = nargs > 2 ? args[2] : NULL;
	*role = -1;
	for(int i = 2; i < nargs; i++)
		if(!strcmp(args[i], "--role") && i + 1 < nargs)
			*role = auth_role_parse(args[i + 1]);
		else if(!strncmp(args[i], "--role=", 7))
			*role = auth_role_parse(args[i] + 7);
	char err[512] = "";
	if(open_db(err, sizeof(err))) {
		fprintf(stderr, "sessiond: %s\n", err);
		return 1;
	}
	return -1;
}

static int cmd_user(const char **args, int nargs)
{
	const char *verb, *name;
	int role, status = admin_args(args, nargs, &verb, &name, &role);
	if(status >= 0)
		return status;
	status = 0;
	char err[512] = "";
	char password[512];
	struct arena a;
	arena_init(&a);
	struct user_rec u;
	if(!strcmp(verb, "list")) {
		core_user_list(&a, print_user, NULL);
	} else if(!name || !valid_user_name(name)) {
		fprintf(stderr, "sessiond: user %s needs a user name (1-63 characters, no spaces or ':')\n", verb);
		status = 2;
	} else if(!strcmp(verb, "add")) {
		if(role < 0) {
			fprintf(stderr, "sessiond: user add needs --role viewer|operator|reporter|admin\n");
			status = 2;
		} else if(!core_user_get(name, &a, &u)) {
			fprintf(stderr, "sessiond: user '%s' exists (use passwd or role to change it)\n", name);
			status = 1;
		} else if(read_password(password, sizeof(password)) || strlen(password) < 8) {
			fprintf(stderr, "sessiond: the password must have at least 8 characters\n");
			status = 2;
		} else if(put_user(1, name, role, password, err, sizeof(err))) {
			fprintf(stderr, "sessiond: %s\n", err);
			status = 1;
		} else {
			printf("user %s added with role %s\n", name, auth_role_name(role));
		}
	} else if(!strcmp(verb, "passwd") || !strcmp(verb, "role")) {
		int is_role = !strcmp(verb, "role");
		if(is_role && nargs > 3)
			role = auth_role_parse(args[3]);
		if(core_user_get(name, &a, &u)) {
			fprintf(stderr, "sessiond: no user '%s'\n", name);
			status = 1;
		} else if(is_role && role < 0) {
			fprintf(stderr, "sessiond: user role NAME viewer|operator|reporter|admin\n");
			status = 2;
		} else if(!is_role && (read_password(password, sizeof(password)) || strlen(password) < 8)) {
			fprintf(stderr, "sessiond: the password must have at least 8 characters\n");
			status = 2;
		} else if(put_user(0, name, is_role ? role : -1, is_role ? NULL : password, err, sizeof(err))) {
			fprintf(stderr, "sessiond: %s\n", err);
			status = 1;
		} else {
			printf("user %s updated\n", name);
		}
	} else if(!strcmp(verb, "del")) {
		struct core_write w = {0};
		if(core_user_del(&w, name)) {
			fprintf(stderr, "sessiond: %s\n", w.err);
			status = 1;
		} else {
			printf("user %s removed\n", name);
		}
	} else {
		usage(stderr);
		status = 2;
	}
	sodium_memzero(password, sizeof(password));
	arena_free(&a);
	core_close();
	return status;
}

static int print_key(void *ctx, const struct key_rec *k)
{
	(void)ctx;
	char c[TIME_STR_MAX], u[TIME_STR_MAX];
	time_format(k->created_us, 0, c);
	if(k->last_used_us)
		time_format(k->last_used_us, 0, u);
	printf("%-24s %-10s %-20s created %s, last used %s\n", k->name, auth_role_name(k->role), k->id, c,
	       k->last_used_us ? u : "never");
	return 0;
}

static int cmd_key(const char **args, int nargs)
{
	const char *verb, *name;
	int role, status = admin_args(args, nargs, &verb, &name, &role);
	if(status >= 0)
		return status;
	status = 0;
	struct arena a;
	arena_init(&a);
	if(!strcmp(verb, "list") || !strcmp(verb, "ls")) {
		if(core_key_list(&a, print_key, NULL))
			status = 1;
	} else if(!name || !valid_user_name(name)) {
		fprintf(stderr, "sessiond: key %s needs a key name (1-63 characters, no spaces or ':')\n", verb);
		status = 2;
	} else if(!strcmp(verb, "add")) {
		if(role < 0) {
			fprintf(stderr, "sessiond: key add needs --role viewer|operator|reporter|admin\n");
			status = 2;
		} else {
			struct key_rec k = {.name = name, .role = role, .created_us = time_now_us()};
			char text[AUTH_KEY_MAX];
			auth_key_new(&k, text);
			struct core_write w = {0};
			if(core_key_add(&w, &k)) {
				fprintf(stderr, "sessiond: %s\n", w.err);
				status = 1;
			} else {
				printf("%s\n", text);
				fprintf(stderr, "sessiond: key %s added with role %s; it is shown only this once. "
				                "Send it as Authorization: Bearer, or SESSIOND_API_KEY for sessionctl.\n",
				        name, auth_role_name(role));
			}
			sodium_memzero(text, sizeof(text));
		}
	} else if(!strcmp(verb, "del")) {
		struct core_write w = {0};
		if(core_key_del(&w, name)) {
			fprintf(stderr, "sessiond: %s\n", w.err);
			status = 1;
		} else {
			printf("key %s revoked\n", name);
		}
	} else {
		usage(stderr);
		status = 2;
	}
	arena_free(&a);
	core_close();
	return status;
}

/* A database without users gets an admin; so does one without an 'admin' user
 * when SESSIOND_ADMIN_PASSWORD is set (users added with `user add` before the
 * first start do not lock the operator out). */
static int first_admin(void)
{
	const char *pw = getenv("SESSIOND_ADMIN_PASSWORD");
	int64_t users = 0;
	if(core_user_count(&users)) {
		log_error("cannot count the users");
		return -1;
	}
	if(users != 0) {
		struct arena a;
		arena_init(&a);
		struct user_rec u;
		int have = !pw || !*pw || core_user_get("admin", &a, &u) == RC_OK;
		arena_free(&a);
		if(have)
			return 0;
	}
	char generated[33];
	if(!pw || !*pw) {
		unsigned char raw[12];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(generated, sizeof(generated), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		pw = generated;
	}
	char err[256];
	if(put_user(1, "admin", ROLE_ADMIN, pw, err, sizeof(err))) {
		log_error("cannot create the admin user: %s", err);
		return -1;
	}
	if(pw != generated)
		log_warn("created user 'admin' with the password from SESSIOND_ADMIN_PASSWORD");
	else if(log_to_file())   /* the password goes to the operator's terminal, not into a log file */
		fprintf(stderr, "sessiond: created user 'admin' with password %s (shown once)\n", generated);
	else
		log_warn("created user 'admin' with password %s (shown once)", generated);
	sodium_memzero(generated, sizeof(generated));
	return 0;
}

/* ---------- serve ---------- */

/* A failure that ends the start: logged, and also on stderr when the log is a file. */
static int start_failed(int status, const char *msg)
{
	log_error("%s", msg);
	if(log_to_file())
		fprintf(stderr, "sessiond: %s\n", msg);
	return status;
}

/* SIGHUP: the log file is opened again (after rotation) and the TLS files read again. */
static void reload(int tls)
{
	char err[512];
	if(log_reopen(err, sizeof(err)))
		log_error("SIGHUP: %s", err);
	if(tls) {
		if(http_tls_reload(err, sizeof(err)))
			log_error("SIGHUP: TLS files not reloaded, the old certificate stays in use: %s", err);
		else
			log_info("SIGHUP: reloaded the TLS certificate %s and key %s for new connections", conf_str("tls-cert"),
			         conf_str("tls-key"));
	}
	log_info("SIGHUP: log reopened%s", tls ? "" : " (no TLS configured)");
}

static int serve(void)
{
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);   /* every thread inherits this; main waits below */
	signal(SIGPIPE, SIG_IGN);

	char err[512] = "";
	int64_t t0 = time_now_us();
	/* Order matters: the lock refuses a second process before it touches anything, and the
	 * ports are bound before the database is opened or a user created. */
	const char *db = conf_str("db");
	if(db_is_file(db) && db_lock(db))
		return 1;
	for(size_t i = 0; i < NCONF && log_enabled(LL_DEBUG); i++)
		for(int k = 0; k < (confs[i].type == C_LIST ? confs[i].nlist : 1); k++)
			log_debug("config: --%s %s", confs[i].name,
			          confs[i].type == C_LIST ? confs[i].list[k] : confs[i].value ? confs[i].value : "(unset)");
	struct conf *listen = conf_find("listen", 6);
	struct http_config hc = {
		.nlisten = listen->nlist,
		.tls_cert = conf_str("tls-cert"),
		.tls_key = conf_str("tls-key"),
		.threads = (unsigned)conf_int("threads"),
		.conn_limit = (unsigned)conf_int("max-connections"),
		.timeout_s = (unsigned)conf_int("timeout"),
		.body_max = (size_t)conf_int("max-body"),
		.header_max = (size_t)conf_int("max-header"),
		.header_timeout_s = (unsigned)conf_int("header-timeout"),
		.per_addr_limit = (unsigned)conf_int("max-connections-per-address"),
		.waiting_per_user = (unsigned)conf_int("max-waiting-per-user"),
		.response_max = (size_t)conf_int("max-response"),
		.metrics_listen = conf_str("metrics-bind"),
	};
	for(int i = 0; i < listen->nlist; i++)
		hc.listen[i] = listen->list[i];
	if((hc.tls_cert == NULL) != (hc.tls_key == NULL))
		return start_failed(2, "--tls-cert and --tls-key go together");
	if(http_bind(&hc, err, sizeof(err)))
		return start_failed(1, err);
	if(open_db(err, sizeof(err)))
		return start_failed(1, err);
	if(first_admin()) {
		core_close();
		return 1;
	}
	int demo = conf_bool("demo");
	if(demo) {
		int64_t anchor = time_now_us(), n = 0;
		const char *an = conf_str("demo-anchor");
		if(an && time_parse(an, strlen(an), &anchor)) {
			core_close();
			return start_failed(2, "--demo-anchor: want an RFC 3339 date-time");
		}
		if(demo_seed((uint64_t)conf_int("demo-seed"), anchor, &n)) {
			core_close();
			return start_failed(1, "cannot write the demo history");
		}
		if(n)
			log_info("demo: wrote %lld sessions of history", (long long)n);
	}
	core_lease_default((int)conf_int("lease-seconds"));
	auth_login_limit((int)conf_int("login-failures"));
	auth_login_concurrency((int)conf_int("login-concurrency"));
	api_init();
	api_metrics_init(VERSION, t0);
	vbr_self_set(&(struct vbr_self){.tls = conf_str("tls-cert") && *conf_str("tls-cert"),
	                                .retention_days = (int)conf_int("retention-days"), .db = conf_str("db")});
	feed_start();
	if(http_start(&hc, err, sizeof(err))) {
		feed_shutdown();
		api_metrics_shutdown();
		api_shutdown();
		core_close();
		return start_failed(1, err);
	}
	for(int i = 0; i < hc.nlisten; i++)
		log_info("sessiond %s: serving %s://%s (database %s, started in %lld ms)", VERSION,
		         hc.tls_cert ? "https" : "http", hc.listen[i], db, (long long)((time_now_us() - t0) / 1000));
	if(hc.metrics_listen)
		log_info("serving /metrics without authentication on http://%s", hc.metrics_listen);
	if(demo)
		demo_start((uint64_t)conf_int("demo-seed"), (unsigned)conf_int("demo-interval"));
	if(conf_int("retention-days") > 0)
		retention_start((int)conf_int("retention-days"), (unsigned)conf_int("retention-interval"));
	core_lease_start((unsigned)conf_int("lease-check"));
	core_missed_start((unsigned)conf_int("schedule-check"));
	struct alerts_config ac = {
		.check_ms = (unsigned)conf_int("alert-check"),
		.retry_ms = (unsigned)conf_int("alert-retry"),
		.retry_max_ms = (unsigned)conf_int("alert-retry-max"),
		.attempts = (int)conf_int("alert-attempts"),
		.timeout_s = (int)conf_int("alert-timeout"),
	};
	core_alerts_start(&ac);
	int sig = 0;
	while(sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		reload(hc.tls_cert != NULL);
	log_info("%s: draining requests and stopping", strsignal(sig));
	demo_stop();
	retention_stop();
	core_alerts_stop();
	core_missed_stop();
	core_lease_stop();
	feed_shutdown();   /* long polls answer now */
	http_stop(10000);
	api_metrics_shutdown();
	api_shutdown();
	core_close();
	log_info("stopped");
	return 0;
}

int main(int argc, char **argv)
{
	if(sodium_init() < 0) {
		fprintf(stderr, "sessiond: libsodium failed to initialise\n");
		return 1;
	}
	umask(077);   /* the database, its WAL, the lock and the log file are the owner's alone */
	const char **args = xcalloc((size_t)argc + 1, sizeof(*args));
	int nargs = 0;
	if(conf_load(argc, argv, args, &nargs)) {
		free(args);
		return 2;
	}
	int status;
	if(nargs > 0 && !strcmp(args[0], "user")) {
		status = cmd_user(args, nargs);
	} else if(nargs > 0 && !strcmp(args[0], "key")) {
		status = cmd_key(args, nargs);
	} else if(nargs > 0 && !strcmp(args[0], "catalog")) {
		struct buf b;
		buf_init(&b, 0);
		catalog_write_markdown(&b);
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
		status = 0;
	} else if(nargs > 0) {
		fprintf(stderr, "sessiond: unknown command or argument '%s' (see --help)\n", args[0]);
		status = 2;
	} else {
		char err[512];
		if(log_configure(conf_str("log-level"), conf_str("log-format"), conf_str("log-file"), err, sizeof(err))) {
			fprintf(stderr, "sessiond: %s\n", err);
			status = 2;
		} else {
			status = serve();
		}
	}
	free(args);
	return status;
}
