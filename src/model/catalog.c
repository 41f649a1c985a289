/* catalog: lookups into catalog.def and the small fixed enumerations.
 * Everything is static data plus one index built once (pthread_once) at first use. */
#include "model/catalog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

#define VBR_NONE VBR_FAM_COUNT /* since column: no VBR version has the type */
#define T_NONE (-1)            /* fallback column: no fallback needed */

enum type_id {
#define X(code, name, since, old, fb, emf, emn, az, label) T_##name,
#define RETIRED(code, name)
#include "catalog.def"
#undef X
	T__COUNT
};
#undef RETIRED

struct type_row {
	const char *name;    /* canonical name */
	const char *old;     /* 1.0/1.1 spelling, or NULL when it is name */
	const char *em_name; /* EM JobType/SessionType, or NULL when it is name */
	const char *label;   /* readable label (Azure localizedType) */
	short since;         /* first enum vbr_fam that has it, VBR_NONE for none */
	short fallback;      /* type an older family shows instead, T_NONE */
	short az;            /* type whose name is the Azure JobSessionType shown */
	unsigned char emf;   /* enum em_family */
	short code;          /* permanent code (what is stored) */
};

static const struct type_row rows[T__COUNT] = {
#define X(code_, name, since_, old_, fb, emf_, emn, az_, label_) \
	{ #name, old_, emn, label_, since_, T_##fb, T_##az_, emf_, code_ },
#define RETIRED(code, name)
#include "catalog.def"
#undef RETIRED
#undef X
};

/* The build fails on a duplicate or reused code: every code, live or retired, is a
 * case label of this switch, and a duplicate case label is a compile error. */
static int code_is_known(int c)
{
	switch(c) {
#define X(code, name, since, old, fb, emf, emn, az, label) case code:
#define RETIRED(code, name) case code:
#include "catalog.def"
#undef RETIRED
#undef X
		return 1;
	default:
		return 0;
	}
}

/* ---- VBR versions ---- */

const char *const catalog_vbr_versions[] = {
	"1.0-rev1", "1.0-rev2", "1.1-rev0", "1.1-rev1", "1.1-rev2",
	"1.2-rev0", "1.2-rev1", "1.3-rev0", "1.3-rev1", "1.3-rev2", NULL
};
static const unsigned char version_fam[] = {
	VBR_10, VBR_10, VBR_11, VBR_11, VBR_11, VBR_12, VBR_12, VBR_13, VBR_13, VBR_13
};

int catalog_vbr_version(const char *s)
{
	if(!s)
		return -1;
	for(size_t i = 0; catalog_vbr_versions[i]; i++)
		if(!strcasecmp(s, catalog_vbr_versions[i]))
			return version_fam[i];
	return -1;
}

static int fam_ok(int fam) { return fam >= 0 && fam < VBR_FAM_COUNT; }

/* ---- small enumerations ---- */

static const char *const state_names[ST__COUNT] = {
	"Stopped", "Starting", "Stopping", "Working", "Pausing", "Resuming",
	"WaitingTape", "Idle", "Postprocessing", "WaitingRepository", "WaitingSlot", "ActionRequired"
};
static const char *const result_names[RES__COUNT] = { "None", "Success", "Warning", "Failed" };
static const char *const log_status_names[LOG__COUNT] = { "None", "Succeeded", "Warning", "Failed" };
static const char *const task_type_names[TT__COUNT] = { "Backup", "Replica", "Restore", "Antivirus" };

static int parse_in(const char *const *names, int n, const char *s)
{
	if(!s)
		return -1;
	for(int i = 0; i < n; i++)
		if(!strcasecmp(s, names[i]))
			return i;
	return -1;
}

const char *catalog_state_name(int st) { return st >= 0 && st < ST__COUNT ? state_names[st] : NULL; }

int catalog_state_parse(const char *s, int fam)
{
	if(fam >= VBR_FAM_COUNT)
		return -1;
	int st = parse_in(state_names, ST__COUNT, s);
	if(st == ST_ACTION_REQUIRED && fam >= 0 && fam < VBR_13)
		return -1;
	return st;
}

const char *catalog_result_name(int r) { return r >= 0 && r < RES__COUNT ? result_names[r] : NULL; }
int catalog_result_parse(const char *s) { return parse_in(result_names, RES__COUNT, s); }
const char *catalog_log_status_name(int s) { return s >= 0 && s < LOG__COUNT ? log_status_names[s] : NULL; }
int catalog_log_status_parse(const char *s) { return parse_in(log_status_names, LOG__COUNT, s); }
const char *catalog_task_type_name(int t) { return t >= 0 && t < TT__COUNT ? task_type_names[t] : NULL; }
int catalog_task_type_parse(const char *s) { return parse_in(task_type_names, TT__COUNT, s); }

/* ---- the index, built once ---- */

struct name_ent {
	const char *s;
	short t;
};

static struct {
	struct name_ent names[2 * T__COUNT]; /* canonical and old spellings, sorted */
	int n_names;
	short shown[T__COUNT][VBR_FAM_COUNT]; /* type whose spelling family fam shows */
	short row_of[CATALOG_CODE_LIMIT];     /* row of each code, -1 for none */
} ix;
static pthread_once_t ix_once = PTHREAD_ONCE_INIT;

static int ent_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct name_ent *)a)->s, ((const struct name_ent *)b)->s);
}

static void ix_fail(const char *what, int t)
{
	fprintf(stderr, "catalog.def: %s at row %s\n", what, rows[t].name);
	abort();
}

static void ix_build(void)
{
	for(int c = 0; c < CATALOG_CODE_LIMIT; c++)
		ix.row_of[c] = -1;
	for(int t = 0; t < T__COUNT; t++) {
		if(rows[t].code < 0 || rows[t].code >= CATALOG_CODE_LIMIT || !code_is_known(rows[t].code))
			ix_fail("code out of range", t);
		ix.row_of[rows[t].code] = (short)t;
	}
	for(int t = 0; t < T__COUNT; t++) {
		ix.names[ix.n_names++] = (struct name_ent){ rows[t].name, (short)t };
		if(rows[t].old)
			ix.names[ix.n_names++] = (struct name_ent){ rows[t].old, (short)t };
	}
	qsort(ix.names, (size_t)ix.n_names, sizeof ix.names[0], ent_cmp);
	for(int i = 1; i < ix.n_names; i++)
		if(!strcasecmp(ix.names[i - 1].s, ix.names[i].s))
			ix_fail("duplicate name", ix.names[i].t);
	for(int t = 0; t < T__COUNT; t++) {
		for(int fam = 0; fam < VBR_FAM_COUNT; fam++) {
			int u = t, steps = 0;
			while(rows[u].since > fam) {
				u = rows[u].fallback;
				if(u < 0 || ++steps > T__COUNT)
					ix_fail("fallback chain does not reach every family", t);
			}
			ix.shown[t][fam] = (short)u;
		}
	}
}

static void ix_init(void) { pthread_once(&ix_once, ix_build); }

/* ---- session types ---- */

/* Public functions take and return codes; inside, a type is its row in rows[]. */
static int row_of(int code)
{
	ix_init();
	return code >= 0 && code < CATALOG_CODE_LIMIT ? ix.row_of[code] : -1;
}
static int type_or_unknown(int code)
{
	int t = row_of(code);
	return t >= 0 ? t : T_Unknown;
}
static int code_of(int t) { return t >= 0 ? rows[t].code : -1; }

/* The spelling of a type in a family that has it. */
static const char *own_spelling(int t, int fam)
{
	return fam <= VBR_11 && rows[t].old ? rows[t].old : rows[t].name;
}

int catalog_type_count(void) { return T__COUNT; }
int catalog_type_at(int i) { return i >= 0 && i < T__COUNT ? rows[i].code : -1; }
int catalog_type_valid(int code) { return row_of(code) >= 0; }

const char *catalog_type_name(int t) { return rows[type_or_unknown(t)].name; }

int catalog_type_parse(const char *s)
{
	if(!s)
		return -1;
	ix_init();
	struct name_ent key = { s, 0 };
	const struct name_ent *e = bsearch(&key, ix.names, (size_t)ix.n_names, sizeof key, ent_cmp);
	return e ? code_of(e->t) : -1;
}

const char *catalog_type_vbr(int t, int fam)
{
	ix_init();
	if(!fam_ok(fam))
		fam = VBR_13;
	int u = ix.shown[type_or_unknown(t)][fam];
	return own_spelling(u, fam);
}

int catalog_type_parse_vbr(const char *s, int fam)
{
	if(!fam_ok(fam))
		return -1;
	int t = row_of(catalog_type_parse(s));
	if(t < 0 || rows[t].since > fam || strcasecmp(s, own_spelling(t, fam)))
		return -1;
	return code_of(t);
}

int catalog_type_match_vbr(const char *s, int fam, int *out, int max)
{
	int v = row_of(catalog_type_parse_vbr(s, fam));
	if(v < 0)
		return -1;
	int n = 0;
	for(int t = 0; t < T__COUNT && n < max; t++)
		if(ix.shown[t][fam] == v)
			out[n++] = code_of(t);
	return n;
}

enum em_family catalog_type_em_family(int t) { return (enum em_family)rows[type_or_unknown(t)].emf; }

const char *catalog_type_em_name(int t)
{
	const struct type_row *r = &rows[type_or_unknown(t)];
	return r->em_name ? r->em_name : r->name;
}

int catalog_type_match_em(const char *s, int *out, int max)
{
	if(!s)
		return -1;
	int n = 0, found = 0;
	for(int t = 0; t < T__COUNT; t++) {
		if(rows[t].emf == EMF_NONE || strcasecmp(s, catalog_type_em_name(code_of(t))))
			continue;
		found = 1;
		if(n < max)
			out[n++] = code_of(t);
	}
	return found ? n : -1;
}

const char *catalog_type_az(int t) { return rows[rows[type_or_unknown(t)].az].name; }
const char *catalog_type_az_label(int t) { return rows[type_or_unknown(t)].label; }

int catalog_type_parse_az(const char *s)
{
	int t = row_of(catalog_type_parse(s));
	if(t < 0 || rows[t].az != t || strcasecmp(s, rows[t].name))
		return -1;
	return code_of(t);
}

int catalog_type_match_az(const char *s, int *out, int max)
{
	int a = row_of(catalog_type_parse_az(s));
	if(a < 0)
		return -1;
	int n = 0;
	for(int t = 0; t < T__COUNT && n < max; t++)
		if(rows[t].az == a)
			out[n++] = code_of(t);
	return n;
}

static const char *const em_family_names[EMF__COUNT] = {
	"", "backupSessions", "replicaSessions", "nas/backupSessions", "agents/backupSessions",
	"restoreSessions", "systemSessions"
};

const char *catalog_em_family_name(int f) { return f >= 0 && f < EMF__COUNT ? em_family_names[f] : ""; }

/* ---- Enterprise Manager and Azure state folding ---- */

static const char *const em_state_names[] = {
	"Starting", "Stopping", "Working", "Pausing", "Resuming", "Stopped"
};
#define EM_STATE_COUNT ((int)(sizeof em_state_names / sizeof em_state_names[0]))
static const unsigned char em_state_rank_of[ST__COUNT] = {
	[ST_STOPPED] = 5, [ST_STARTING] = 0, [ST_STOPPING] = 1, [ST_WORKING] = 2,
	[ST_PAUSING] = 3, [ST_RESUMING] = 4, [ST_WAITING_TAPE] = 2, [ST_IDLE] = 2,
	[ST_POSTPROCESSING] = 2, [ST_WAITING_REPOSITORY] = 2, [ST_WAITING_SLOT] = 2,
	[ST_ACTION_REQUIRED] = 2,
};

int catalog_em_state_rank(int st) { return st >= 0 && st < ST__COUNT ? em_state_rank_of[st] : -1; }

const char *catalog_em_state_name(int st)
{
	int r = catalog_em_state_rank(st);
	return r < 0 ? NULL : em_state_names[r];
}

int catalog_em_state_parse(const char *s) { return parse_in(em_state_names, EM_STATE_COUNT, s); }

static const char *const em_task_state_names[] = {"InProgress", "Pending", "Completed"};

int catalog_em_task_state_rank(int st)
{
	if(st < 0 || st >= ST__COUNT)
		return -1;
	switch(st) {
	case ST_STOPPED: return 2;
	case ST_STARTING: case ST_WAITING_TAPE: case ST_WAITING_REPOSITORY: case ST_WAITING_SLOT: return 1;
	default: return 0;
	}
}

const char *catalog_em_task_state_name(int st)
{
	int r = catalog_em_task_state_rank(st);
	return r < 0 ? NULL : em_task_state_names[r];
}

int catalog_em_task_state_parse(const char *s) { return parse_in(em_task_state_names, 3, s); }

const char *catalog_em_system_state(int state, int result)
{
	if(state != ST_STOPPED)
		return "InProgress";
	switch(result) {
	case RES_SUCCESS: return "CompletedSuccessfully";
	case RES_FAILED: return "Failed";
	default: return "CompletedWarning";
	}
}

const char *catalog_az_status(int state, int result, int is_canceled, int stop_requested)
{
	if(state != ST_STOPPED) {
		if(stop_requested)
			return "Canceling";
		if(state == ST_WAITING_TAPE || state == ST_WAITING_REPOSITORY || state == ST_WAITING_SLOT)
			return "Pending";
		if(result == RES_FAILED)
			return "RunningWithError";
		if(result == RES_WARNING)
			return "RunningWithWarning";
		return "Running";
	}
	if(is_canceled)
		return "Canceled";
	switch(result) {
	case RES_SUCCESS: return "Success";
	case RES_WARNING: return "Warning";
	case RES_FAILED: return "Error";
	default: return "Unknown";
	}
}

/* ---- Markdown ---- */

static const char *const fam_label[VBR_FAM_COUNT] = { "1.0", "1.1", "1.2", "1.3" };

static void md_types(struct buf *b)
{
	buf_addstr(b, "## Session types\n\n"
	              "One row per canonical type (`src/model/catalog.def`; the code is what the database stores). VBR columns give the "
	              "`sessionType` each API family shows; a value after → is the nearest value "
	              "that family shows because it lacks the type. The Azure type in **bold** is "
	              "the type's own Azure value (the one an Azure `type` parses back to). `AutoBackup` "
	              "is the pre-v8 Azure value; v8.1 has no such value.\n\n"
	              "| Type | Code | VBR 1.0 | VBR 1.1 | VBR 1.2 | VBR 1.3 | EM collection | EM name "
	              "| Azure type | Azure label |\n"
	              "|---|---|---|---|---|---|---|---|---|---|\n");
	for(int t = 0; t < T__COUNT; t++) {
		const struct type_row *r = &rows[t];
		int c = r->code;
		buf_printf(b, "| %s | %d |", r->name, c);
		for(int fam = 0; fam < VBR_FAM_COUNT; fam++)
			buf_printf(b, " %s`%s` |", r->since > fam ? "→ " : "", catalog_type_vbr(c, fam));
		if(r->emf == EMF_NONE)
			buf_addstr(b, " — | — |");
		else
			buf_printf(b, " `%s` | `%s` |", em_family_names[r->emf], catalog_type_em_name(c));
		if(r->az == t)
			buf_printf(b, " **`%s`** |", catalog_type_az(c));
		else
			buf_printf(b, " `%s` |", catalog_type_az(c));
		buf_printf(b, " %s |\n", r->label);
	}
	buf_addc(b, '\n');
}

static void md_states(struct buf *b)
{
	buf_addstr(b, "## Session states\n\n"
	              "Canonical states are VBR `ESessionState`. Enterprise Manager job sessions show "
	              "six states, compared in filters by their documented order (rank); EM system "
	              "sessions and Azure fold state and result together (see below).\n\n"
	              "| State | VBR 1.0–1.2 | VBR 1.3 | EM State | EM rank | EM system (running) "
	              "| Azure status (running, no result yet) |\n"
	              "|---|---|---|---|---|---|---|\n");
	for(int st = 0; st < ST__COUNT; st++) {
		int old_ok = catalog_state_parse(state_names[st], VBR_12) >= 0;
		buf_printf(b, "| %s | %s | `%s` | `%s` | %d |", state_names[st],
		           old_ok ? "yes" : "— (not in the enum)", state_names[st],
		           catalog_em_state_name(st), catalog_em_state_rank(st));
		if(st == ST_STOPPED)
			buf_addstr(b, " see results | see results |\n");
		else
			buf_printf(b, " `InProgress` | `%s` |\n", catalog_az_status(st, RES_NONE, 0, 0));
	}
	buf_addstr(b, "\n## Session results\n\n"
	              "| Result | VBR / EM job `Result` | EM system State when stopped "
	              "| Azure status when stopped | Azure status while running |\n"
	              "|---|---|---|---|---|\n");
	for(int r = 0; r < RES__COUNT; r++)
		buf_printf(b, "| %s | `%s` | `%s` | `%s` | `%s` |\n", result_names[r], result_names[r],
		           catalog_em_system_state(ST_STOPPED, r), catalog_az_status(ST_STOPPED, r, 0, 0),
		           catalog_az_status(ST_WORKING, r, 0, 0));
	buf_addstr(b, "\n### Azure status folding\n\n"
	              "Azure `JobStatus` is computed from state, result, `isCanceled` and "
	              "`stopRequested`, in this order:\n\n"
	              "1. Not `Stopped` and a stop was requested → `Canceling`.\n"
	              "2. `WaitingTape`, `WaitingRepository`, `WaitingSlot` → `Pending`.\n"
	              "3. Any other running state (`Starting` included): result `Failed` → "
	              "`RunningWithError`, `Warning` → `RunningWithWarning`, else `Running`.\n"
	              "4. `Stopped` with `isCanceled` → `Canceled`.\n"
	              "5. `Stopped`: `Success` → `Success`, `Warning` → `Warning`, `Failed` → `Error`, "
	              "`None` → `Unknown`.\n\n"
	              "`NeverExecuted` is a job status, never a session's.\n\n"
	              "### EM system sessions\n\n"
	              "`State` is `InProgress` until the session stops, then `CompletedSuccessfully` "
	              "(Success), `CompletedWarning` (Warning, or no result) or `Failed` (Failed).\n\n");
}

static void md_misc(struct buf *b)
{
	buf_addstr(b, "## Log record status\n\n| Status |\n|---|\n");
	for(int i = 0; i < LOG__COUNT; i++)
		buf_printf(b, "| `%s` |\n", log_status_names[i]);
	buf_addstr(b, "\n## Task session types (VBR 1.2+)\n\n| Type |\n|---|\n");
	for(int i = 0; i < TT__COUNT; i++)
		buf_printf(b, "| `%s` |\n", task_type_names[i]);
	buf_addstr(b, "\n## Accepted `x-api-version` values\n\n| Value | Family |\n|---|---|\n");
	for(int i = 0; catalog_vbr_versions[i]; i++)
		buf_printf(b, "| `%s` | %s |\n", catalog_vbr_versions[i], fam_label[version_fam[i]]);
}

int catalog_write_markdown(struct buf *b)
{
	ix_init();
	buf_printf(b, "# Session types, states and results across dialects\n\n"
	              "Generated from the catalog (`catalog_write_markdown`, `sessiond catalog`); "
	              "do not edit by hand. %d types.\n\n", T__COUNT);
	md_types(b);
	md_states(b);
	md_misc(b);
	return b->failed ? -1 : 0;
}
