/* sessionctl: command table, option table, parsing and --help. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util/buf.h"
#include "util/mem.h"


struct opt {
	enum ctl_opt key;
	const char *name;
	const char *arg;      /* argument name, NULL for a flag */
	const char *help;
};

/* One row per option; commands list the keys they take. */
static const struct opt opts[] = {
	{OPT_SERVER, "server", "URL", "sessiond base URL (env SESSIOND_URL; default " CTL_DEFAULT_URL ")"},
	{OPT_USER, "user", "NAME", "log in as NAME (env SESSIOND_USER) instead of using the token cache"},
	{OPT_PASSWORD_FILE, "password-file", "FILE", "read the password from the first line of FILE (else env SESSIOND_PASSWORD)"},
	{OPT_API_KEY_FILE, "api-key-file", "FILE", "authenticate with the API key on the first line of FILE (else env SESSIOND_API_KEY; see `sessiond key add`)"},
	{OPT_JSON, "json", NULL, "machine-readable JSON output"},
	{OPT_HELP, "help", NULL, "show this help"},
	{OPT_VERSION, "version", NULL, "print the version"},
	{OPT_CACERT, "cacert", "FILE", "trust the server's certificate when this PEM CA (or the certificate itself) signed it"},
	{OPT_INSECURE, "insecure", NULL, "do not verify the server's TLS certificate (test servers only)"},
	{OPT_TIMEOUT, "timeout", "SECONDS", "give up on a request after this long (default 10; run never waits for it)"},
	{OPT_SPOOL, "spool", "DIR", "where undelivered sessions wait (default $XDG_STATE_HOME/sessionctl, ~/.local/state/sessionctl; root: /var/lib/sessionctl)"},
	{OPT_JOB, "job", "NAME", "job name (also the session name); matched without regard to case"},
	{OPT_NAME, "name", "PATTERN", "session name; '*' matches any text"},
	{OPT_TYPE, "type", "TYPE", "session type, e.g. BackupJob (the default for run/start), ReplicaJob, RestoreVm"},
	{OPT_REGEX, "progress-regex", "RE", "POSIX extended regex; its first group is the progress percentage"},
	{OPT_GRACE, "grace", "SECONDS", "after a stop request, SIGKILL this long after SIGTERM (default 10)"},
	{OPT_RETRY_FOR, "retry-for", "SECONDS", "after the command ended, keep trying an unreachable server this long before leaving the session in the spool (default 10)"},
	{OPT_STDERR_WARNINGS, "stderr-warnings", NULL, "stderr lines are warnings: a run that prints any ends as Warning"},
	{OPT_STDERR_STATUS, "stderr-status", "STATUS", "log status of stderr lines: None (default), Succeeded, Warning or Failed; Warning/Failed count as warnings"},
	{OPT_QUIET, "quiet", NULL, "show the command's output only when it fails (for cron)"},
	{OPT_HEARTBEAT, "heartbeat", "SECONDS", "the session's lease: if sessionctl is gone (killed, host down) this long, the server ends the session as Failed (default 300; renewed at a third of it)"},
	{OPT_SPOOL_MAX, "spool-max", "SIZE", "undelivered output kept on disk before lines are dropped (default 1G; K, M, G)"},
	{OPT_STATUS, "status", "STATUS", "log record status: None (default), Succeeded, Warning, Failed"},
	{OPT_DESCRIPTION, "description", "TEXT", "log record description"},
	{OPT_RESULT, "result", "RESULT", "Success, Warning, Failed or None"},
	{OPT_MESSAGE, "message", "TEXT", "result message"},
	{OPT_CANCELED, "canceled", NULL, "mark the session as canceled"},
	{OPT_STATE, "state", "STATE", "only sessions in this state (Working, Stopped, ...; Running means Working)"},
	{OPT_SINCE, "since", "WHEN", "only sessions created since WHEN: 30m, 12h, 7d, 2024-05-01 or an RFC 3339 time"},
	{OPT_LIMIT, "limit", "N", "at most N sessions (ls: default 50; export: default all)"},
	{OPT_FORMAT, "format", "FMT", "csv (default) or json"},
	{OPT_FOLLOW, "follow", NULL, "keep printing new records until the session stops"},
	{OPT_ONCE, "once", NULL, "print the current state once and exit"},
	{OPT_EVENT, "event", "EVENT", "failed, warning, missed, stuck or repository-free-below"},
	{OPT_URL, "url", "URL", "the webhook the alert is POSTed to (http:// or https://)"},
	{OPT_MINUTES, "minutes", "N", "stuck: no progress for N minutes"},
	{OPT_SECONDS_N, "seconds", "N", "stuck: no progress for N seconds (instead of --minutes)"},
	{OPT_PERCENT, "percent", "N", "repository-free-below: free space under N %"},
	{OPT_SECRET_FILE, "secret-file", "FILE", "the HMAC secret on the first line of FILE (else env SESSIOND_ALERT_SECRET, else a new one, printed once)"},
	{OPT_DISABLED, "disabled", NULL, "create the rule disabled"},
	{OPT_DELIVERY_STATUS, "status", "STATUS", "only deliveries with this status: pending, delivered or failed"},
	{OPT_FIELD, "field", "K=V", "a property of the kind (repeatable); typed by the kind's table: integers, true/false, lists as a,b,c; K= removes it"},
	{OPT_JSON_IN, "json", "FILE|-", "start from the JSON object in FILE (- : stdin); --field values and NAME go over it"},
	{OPT_PARENT, "parent", "ID|NAME", "the parent object (of the kind's parent kind: a backup's job, a restore point's backup, ...)"},
	{OPT_MERGE, "merge", NULL, "keep the properties the object has and change only those given (needs read access)"},
	{OPT_ENAME, "name", "PATTERN", "object name, without regard to case; '*' matches any text"},
	{OPT_REPOSITORY, "repository", "NAME", "on success, register the job, its backup on repository NAME and a restore point"},
	{OPT_OBJECT, "object", "NAME", "the protected object the run backs up (with --repository)"},
	{OPT_SIZE_FROM, "size-from", "PATH", "the restore point's size: the file's size, or the sum of the files under the folder"},
	{0, NULL, NULL, NULL},
};

#define GLOBAL OPT_SERVER, OPT_USER, OPT_PASSWORD_FILE, OPT_API_KEY_FILE, OPT_JSON, OPT_CACERT, OPT_INSECURE, OPT_TIMEOUT, OPT_SPOOL, OPT_HELP
#define FILTERS OPT_JOB, OPT_NAME, OPT_TYPE, OPT_STATE, OPT_RESULT, OPT_SINCE
#define GLOBAL_IN OPT_SERVER, OPT_USER, OPT_PASSWORD_FILE, OPT_API_KEY_FILE, OPT_CACERT, OPT_INSECURE, OPT_TIMEOUT, OPT_SPOOL, OPT_HELP
#define REF_HELP "KIND is an estate kind (backupServer, managedServer, proxy, repository, scaleOutRepository,\n" \
	"wanAccelerator, job, protectedObject, backup, restorePoint, replica). ID|NAME is an object id, or\n" \
	"a name: the object of that name when one exists and you may read the estate, else the id\n" \
	"derived from kind and name (docs/ESTATE.md), so putting a name again updates the same object."
#define ID_HELP "ID is a session id, a unique prefix of it (8 characters or more), or `last JOB`: the newest session of JOB."

struct cmd {
	const char *name;
	const char *usage;
	const char *summary;
	int (*fn)(struct ctl *c, struct ctl_args *a);
	int min_args, max_args;      /* positional arguments; max -1: any */
	int takes_id;                /* the first argument is a session (`last JOB` counts as one) */
	enum ctl_opt keys[24];       /* 0-terminated */
};

static const struct cmd cmds[] = {
	{"login", "login [--user NAME] [--password-file FILE]",
	 "Log in and keep the tokens in $XDG_CONFIG_HOME/sessiond/token.json (mode 0600).\n"
	 "The password comes from --password-file, SESSIOND_PASSWORD, a prompt on a terminal, or stdin.",
	 ctl_cmd_login, 0, 0, 0, {GLOBAL, 0}},
	{"logout", "logout", "Revoke the cached tokens of this server and forget them.", ctl_cmd_logout, 0, 0, 0,
	 {GLOBAL, 0}},
	{"run", "run [--job NAME] [--type T] [--quiet] [--stderr-warnings] [OPTIONS] -- CMD [ARGS...]",
	 "Run CMD as a session; CMD always runs, and sessionctl exits with its exit code.\n"
	 "Its output lines become log records, NN% in the output becomes progress, a stop request\n"
	 "ends it (SIGTERM, then SIGKILL), and its exit status becomes the result; a failed run's\n"
	 "message quotes the last error-looking line. When the server is down, hangs or refuses the\n"
	 "login, the session waits in the spool until the next sessionctl command or `sessionctl\n"
	 "flush` delivers it with its original times. Exit code 128+N: CMD died of signal N.\n"
	 "With --repository and --object, a run that exits 0 registers what it made in the estate: the\n"
	 "job (declared with the session's type when it is not), its backup on the repository and a Full\n"
	 "restore point of the object (with --size-from: its size); spooled like the session when the\n"
	 "server is away, and never changing the exit code.",
	 ctl_cmd_run, 1, -1, 0,
	 {GLOBAL, OPT_JOB, OPT_TYPE, OPT_REGEX, OPT_GRACE, OPT_RETRY_FOR, OPT_STDERR_WARNINGS, OPT_STDERR_STATUS,
	  OPT_QUIET, OPT_SPOOL_MAX, OPT_HEARTBEAT, OPT_REPOSITORY, OPT_OBJECT, OPT_SIZE_FROM, 0}},
	{"flush", "flush", "Deliver the sessions that wait in the spool for this server (oldest first).\n"
	 "Exits 1 when some stay because the server is away or refuses them.",
	 ctl_cmd_flush, 0, 0, 0, {GLOBAL, 0}},
	{"start", "start [--type T] [--job NAME] [NAME]",
	 "Create a running session and print its id (for shell scripts; see progress, log, finish).", ctl_cmd_start,
	 0, 1, 0, {GLOBAL, OPT_JOB, OPT_TYPE, 0}},
	{"progress", "progress ID PERCENT",
	 "Set a session's progress. Exits 3 when the session was asked to stop.\n" ID_HELP, ctl_cmd_progress, 2, 2, 1,
	 {GLOBAL, 0}},
	{"log", "log ID [--status S] [--description D] TEXT... | -",
	 "Add a log record to a session; with '-', one record per line of stdin.\n"
	 "Exits 3 when the session was asked to stop.\n" ID_HELP,
	 ctl_cmd_log, 2, -1, 1, {GLOBAL, OPT_STATUS, OPT_DESCRIPTION, 0}},
	{"finish", "finish ID --result R [--message M] [--canceled]", "Complete a session with a result.\n" ID_HELP,
	 ctl_cmd_finish, 1, 1, 1, {GLOBAL, OPT_RESULT, OPT_MESSAGE, OPT_CANCELED, 0}},
	{"ls", "ls [--job NAME] [--name P] [--type T] [--state S] [--result R] [--since WHEN] [--limit N]",
	 "List sessions, newest first.", ctl_cmd_ls, 0, 0, 0, {GLOBAL, FILTERS, OPT_LIMIT, 0}},
	{"show", "show ID", "Show one session.\n" ID_HELP, ctl_cmd_show, 1, 1, 1, {GLOBAL, 0}},
	{"logs", "logs ID [-f]",
	 "Print a session's log records, oldest first.\n"
	 "-f follows until the session stops, reconnecting when the server restarts.\n" ID_HELP,
	 ctl_cmd_logs, 1, 1, 1, {GLOBAL, OPT_FOLLOW, 0}},
	{"stop", "stop ID", "Ask the reporter of a running session to stop it (operator or admin).\n" ID_HELP,
	 ctl_cmd_stop, 1, 1, 1, {GLOBAL, 0}},
	{"watch", "watch [--once]",
	 "Live progress of running sessions.\n"
	 "Redrawn in place on a terminal, one line per change otherwise. Reconnects and resumes\n"
	 "when the server restarts.",
	 ctl_cmd_watch, 0, 0, 0, {GLOBAL, OPT_ONCE, 0}},
	{"export", "export [--format csv|json] [--limit N] [filters]",
	 "Write every session (oldest first) to stdout as CSV (RFC 4180) or a JSON array.", ctl_cmd_export, 0, 0, 0,
	 {GLOBAL, FILTERS, OPT_FORMAT, OPT_LIMIT, 0}},
	{"alert", "alert add NAME --event E --url URL [--job PATTERN] [--type T] [--minutes N|--seconds N]\n"
	 "                  [--percent N] [--secret-file FILE] [--disabled]\n"
	 "       sessionctl alert ls | rm RULE | test RULE | deliveries [RULE] [--status S] [--limit N]",
	 "Manage alert rules (webhooks) and list their deliveries.\n"
	 "sessiond POSTs an alert when a job fails or warns, misses a run, a session makes no\n"
	 "progress, or a repository's free space falls below a threshold (docs/ALERTS.md).\n"
	 "--job and --type scope a rule (--job is a name pattern, '*' any text; for\n"
	 "repository-free-below it matches the repository name). RULE is an id or a rule's name.\n"
	 "add prints the new rule's id; test sends a test delivery now and says how it went.\n"
	 "add, rm and test need the admin role.",
	 ctl_cmd_alert, 1, -1, 0,
	 {GLOBAL, OPT_EVENT, OPT_URL, OPT_JOB, OPT_TYPE, OPT_MINUTES, OPT_SECONDS_N, OPT_PERCENT, OPT_SECRET_FILE,
	  OPT_DISABLED, OPT_DELIVERY_STATUS, OPT_LIMIT, 0}},
	{"estate put", "estate put KIND ID|NAME [--field K=V ...] [--json FILE|-] [--parent ID|NAME] [--merge]",
	 "Create or replace an estate object and print it as stored (reporter or admin).\n" REF_HELP,
	 ctl_cmd_estate_put, 2, 2, 0, {GLOBAL_IN, OPT_FIELD, OPT_JSON_IN, OPT_PARENT, OPT_MERGE, 0}},
	{"estate ls", "estate ls KIND [--name PATTERN] [--parent ID|NAME] [--limit N] [--json]",
	 "List the estate objects of a kind, by name (viewer, operator or admin).\n" REF_HELP,
	 ctl_cmd_estate_ls, 1, 1, 0, {GLOBAL, OPT_ENAME, OPT_PARENT, OPT_LIMIT, 0}},
	{"estate get", "estate get KIND ID|NAME [--json]", "Show one estate object.\n" REF_HELP, ctl_cmd_estate_get, 2, 2,
	 0, {GLOBAL, 0}},
	{"estate rm", "estate rm KIND ID|NAME", "Delete an estate object (reporter or admin).\n" REF_HELP,
	 ctl_cmd_estate_rm, 2, 2, 0, {GLOBAL, 0}},
	{"repo report", "repo report NAME PATH [--field K=V ...]",
	 "Measure the file system of PATH (statvfs) and upsert the repository NAME with capacityBytes,\n"
	 "freeBytes, usedBytes, measuredTime, path and host (--field adds others, e.g. type=LinuxLocal).\n"
	 "With read access the repository's other properties are kept. When the server is away the\n"
	 "report waits in the spool (exit 0, with a warning) until the next sessionctl command delivers it.",
	 ctl_cmd_repo_report, 2, 2, 0, {GLOBAL, OPT_FIELD, 0}},
	{NULL, NULL, NULL, NULL, 0, 0, 0, {0}},
};

/* Whether the command row c is named by the words at argv[0] (and argv[1] for two words). */
static int cmd_is(const struct cmd *c, int argc, char **argv)
{
	const char *sp = strchr(c->name, ' ');
	if(!sp)
		return !strcmp(c->name, argv[0]);
	size_t n = (size_t)(sp - c->name);
	return argc >= 2 && strlen(argv[0]) == n && !strncmp(c->name, argv[0], n) && !strcmp(sp + 1, argv[1]);
}

static const struct opt *opt_of(enum ctl_opt k)
{
	for(const struct opt *o = opts; o->name; o++)
		if(o->key == k)
			return o;
	return NULL;
}

static void print_opt(FILE *f, const struct opt *o)
{
	char left[64];
	snprintf(left, sizeof(left), "%s--%s%s%s", o->key < 256 ? "-x, " : "    ", o->name, o->arg ? " " : "",
	         o->arg ? o->arg : "");
	if(o->key < 256)
		left[1] = (char)o->key;
	fprintf(f, "  %-28s %s\n", left, o->help);
}

static void tool_help(FILE *f)
{
	fprintf(f, "usage: sessionctl [--server URL] [--user NAME] [--password-file FILE] [--json] [--cacert FILE]\n"
	           "                  [--insecure] [--timeout S] [--spool DIR] COMMAND [ARGS]\n\n"
	           "The command-line client of sessiond.\n\ncommands:\n");
	for(const struct cmd *c = cmds; c->name; c++) {
		const char *nl = strchr(c->summary, '\n');
		int n = nl ? (int)(nl - c->summary) : (int)strlen(c->summary);
		fprintf(f, "  %-12s %.*s\n", c->name, n, c->summary);
	}
	fprintf(f, "\noptions:\n");
	static const enum ctl_opt global[] = {GLOBAL, OPT_VERSION, 0};
	for(const enum ctl_opt *k = global; *k; k++)
		print_opt(f, opt_of(*k));
	fprintf(f, "\nexit codes: 0 ok, 1 server or API error, 2 usage error, 3 stop requested (progress/log);\n"
	           "run exits with the command's own exit code.\n"
	           "environment: SESSIOND_URL, SESSIOND_USER, SESSIOND_PASSWORD, XDG_CONFIG_HOME (token cache),\n"
	           "XDG_STATE_HOME (spool).\n"
	           "`sessionctl COMMAND --help` describes a command; docs/sessionctl.md has the details.\n");
}

static void cmd_help(FILE *f, const struct cmd *c)
{
	fprintf(f, "usage: sessionctl %s\n\n%s\n\noptions:\n", c->usage, c->summary);
	for(const enum ctl_opt *k = c->keys; *k; k++)
		print_opt(f, opt_of(*k));
}

int ctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "sessionctl: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry `sessionctl %s%s--help`.\n", cmd ? cmd : "", cmd ? " " : "");
	va_end(ap);
	return CTL_EXIT_USAGE;
}

/* Builds getopt_long's table for the given keys. */
static void build(const enum ctl_opt *keys, struct option *lo, struct buf *shorts)
{
	int n = 0;
	for(const enum ctl_opt *k = keys; *k; k++) {
		const struct opt *o = opt_of(*k);
		lo[n++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, (int)o->key};
		if(o->key < 256) {
			buf_addc(shorts, (char)o->key);
			if(o->arg)
				buf_addc(shorts, ':');
		}
	}
	lo[n] = (struct option){0, 0, 0, 0};
}

/* Parses options into a; returns the index of the first positional argument or -1. */
static int parse(int argc, char **argv, const enum ctl_opt *keys, int posix, struct ctl_args *a, const char *cmd)
{
	struct option lo[40];
	struct buf shorts;
	buf_init(&shorts, 0);
	buf_addstr(&shorts, posix ? "+:" : ":");
	build(keys, lo, &shorts);
	optind = 0;
	opterr = 0;
	int ch, rc = 0;
	while((ch = getopt_long(argc, argv, buf_cstr(&shorts), lo, NULL)) != -1) {
		if(ch == '?' || ch == ':') {
			const char *bad = argv[optind - 1];
			if(ch == ':')
				rc = ctl_usage(cmd, "option %s needs a value", bad);
			else
				rc = ctl_usage(cmd, "unknown option %s", optopt ? (char[]){'-', (char)optopt, 0} : bad);
			break;
		}
		if(ch == OPT_FIELD) {
			if(a->nfields == (int)(sizeof(a->fields) / sizeof(a->fields[0]))) {
				rc = ctl_usage(cmd, "at most %d --field options", a->nfields);
				break;
			}
			a->fields[a->nfields++] = optarg;
		}
		a->v[ch] = optarg ? optarg : "1";
	}
	buf_free(&shorts);
	return rc ? -1 : optind;
}

static char *server_url(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	if(!strstr(s, "://"))
		buf_addstr(&b, "http://");
	buf_addstr(&b, s);
	while(b.len > 8 && b.p[b.len - 1] == '/')
		b.p[--b.len] = 0;
	return buf_take(&b, NULL);
}

int main(int argc, char **argv)
{
	struct ctl_args a = {0};
	static const enum ctl_opt global[] = {GLOBAL, OPT_VERSION, 0};
	int first = parse(argc, argv, global, 1, &a, NULL);
	if(first < 0)
		return CTL_EXIT_USAGE;
	if(a.v[OPT_VERSION]) {
		printf("sessionctl %s (API %s)\n", SESSIOND_VERSION, CTL_API_VERSION);
		return 0;
	}
	if(first >= argc) {
		if(a.v[OPT_HELP]) {
			tool_help(stdout);
			return 0;
		}
		tool_help(stderr);
		return CTL_EXIT_USAGE;
	}
	const char *name = argv[first];
	if(!strcmp(name, "help")) {
		for(const struct cmd *c = cmds; first + 1 < argc && c->name; c++)
			if(cmd_is(c, argc - first - 1, argv + first + 1)) {
				cmd_help(stdout, c);
				return 0;
			}
		tool_help(stdout);
		return 0;
	}
	const struct cmd *cmd = NULL;
	for(const struct cmd *c = cmds; c->name && !cmd; c++)
		if(cmd_is(c, argc - first, argv + first))
			cmd = c;
	if(!cmd && (!strcmp(name, "estate") || !strcmp(name, "repo")))
		return ctl_usage(NULL, "%s needs a subcommand: %s", name,
		                 !strcmp(name, "repo") ? "report" : "put, ls, get or rm");
	if(!cmd)
		return ctl_usage(NULL, "unknown command '%s'", name);
	int words = strchr(cmd->name, ' ') ? 2 : 1;
	int sub_argc = argc - first - (words - 1);
	char **sub_argv = argv + first + (words - 1);
	int pos = parse(sub_argc, sub_argv, cmd->keys, cmd->fn == ctl_cmd_run, &a, cmd->name);
	if(pos < 0)
		return CTL_EXIT_USAGE;
	if(a.v[OPT_HELP]) {
		cmd_help(stdout, cmd);
		return 0;
	}
	a.argc = sub_argc - pos;
	a.argv = sub_argv + pos;
	int extra = cmd->takes_id && a.argc >= 2 && !strcmp(a.argv[0], "last");   /* `last JOB` is one id */
	if(a.argc - extra < cmd->min_args || (cmd->max_args >= 0 && a.argc - extra > cmd->max_args))
		return ctl_usage(cmd->name, "%s arguments: usage: sessionctl %s",
		                 a.argc - extra < cmd->min_args ? "missing" : "too many", cmd->usage);
	double timeout = CTL_TIMEOUT_S;
	if(a.v[OPT_TIMEOUT] && ((timeout = ctl_seconds(a.v[OPT_TIMEOUT])) < 1 || timeout > 86400))
		return ctl_usage(cmd->name, "--timeout must be a number of seconds from 1 to 86400");

	struct ctl c;
	ctl_init(&c);
	const char *url = a.v[OPT_SERVER] ? a.v[OPT_SERVER] : getenv("SESSIOND_URL");
	char *server = server_url(url && *url ? url : CTL_DEFAULT_URL);
	c.server = server;
	c.user = a.v[OPT_USER] ? a.v[OPT_USER] : getenv("SESSIOND_USER");
	if(c.user && !*c.user)
		c.user = NULL;
	c.password_file = a.v[OPT_PASSWORD_FILE];
	if(c.password_file && !c.user && cmd->fn != ctl_cmd_login) {
		ctl_free(&c);
		free(server);
		return ctl_usage(cmd->name, "--password-file needs --user NAME (or SESSIOND_USER)");
	}
	if(a.v[OPT_API_KEY_FILE] || (getenv("SESSIOND_API_KEY") && *getenv("SESSIOND_API_KEY") && !a.v[OPT_USER])) {
		char line[256] = "";
		if(a.v[OPT_API_KEY_FILE]) {
			FILE *f = fopen(a.v[OPT_API_KEY_FILE], "r");
			if(!f || !fgets(line, sizeof(line), f)) {
				if(f)
					fclose(f);
				ctl_free(&c);
				free(server);
				return ctl_usage(cmd->name, "--api-key-file: cannot read %s", a.v[OPT_API_KEY_FILE]);
			}
			fclose(f);
		} else {
			snprintf(line, sizeof(line), "%s", getenv("SESSIOND_API_KEY"));
		}
		line[strcspn(line, "\r\n \t")] = 0;
		c.api_key = xstrdup(line);
		memset(line, 0, sizeof(line));
	}
	c.json = a.v[OPT_JSON] != NULL;
	c.timeout_s = (long)(timeout + 0.5);
	c.cacert = a.v[OPT_CACERT];
	c.insecure = a.v[OPT_INSECURE] != NULL;
	c.spool_dir = a.v[OPT_SPOOL];
	/* run runs its command anyway: there an unreadable CA file keeps the session in the spool */
	if(c.cacert && access(c.cacert, R_OK) && cmd->fn != ctl_cmd_run) {
		ctl_free(&c);
		free(server);
		return ctl_usage(cmd->name, "--cacert: cannot read %s", a.v[OPT_CACERT]);
	}
	/* Sessions that earlier runs could not deliver go first, quietly (run and flush do it themselves). */
	if(cmd->fn != ctl_cmd_run && cmd->fn != ctl_cmd_flush && cmd->fn != ctl_cmd_login && cmd->fn != ctl_cmd_logout) {
		char dir[4096];
		const char *save = c.need_role;
		if(!ctl_spool_dir_existing(&c, dir, sizeof(dir))) {
			int delivered;
			ctl_flush(&c, dir, 0, NULL, &delivered);
			if(delivered)
				ctl_msg("delivered %d spooled session%s", delivered, delivered == 1 ? "" : "s");
		}
		c.need_role = save;
		c.err[0] = 0;
	}
	int rc = cmd->fn(&c, &a);
	fflush(stdout);
	ctl_free(&c);
	free(server);
	return rc;
}
