/* catalog: lookups into catalog.def and the small fixed enumerations.
 * Everything is static data plus one index built once (pthread_once) at first use. */
#include "model/catalog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

#define VBR_NONE VBR_VER_COUNT /* since column: no VBR version has the type */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
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

/* ---- VBR versions (version.def) ---- */

static const struct vbr_job_words job_words[] = {
#define W(id, backup, replica, running, inactive, vm) [id] = { backup, replica, running, inactive, vm },
	CATALOG_VBR_JOB_WORDS(W)
#undef W
};
_Static_assert(ARRAY_LEN(job_words) == VBR_JOBS_COUNT, "a jobs/states word set without its row");

static const struct vbr_version versions[] = {
#define VBR(id, name, fam, build, job_id, platform, initiated_by, progress, retry_info, iana_zone, jobs, def, dflt) \
	[id] = { name, fam, VBR_DEF_##def, build, job_id, platform, initiated_by, progress, retry_info, iana_zone, \
	         &job_words[jobs] },
	CATALOG_VBR_VERSIONS(VBR)
#undef VBR
};
_Static_assert(ARRAY_LEN(versions) == VBR_VER_COUNT, "every version has its row");

#define VBR(id, name, fam, build, job_id, platform, initiated_by, progress, retry_info, iana_zone, jobs, def, dflt) \
	+(dflt)
_Static_assert(0 CATALOG_VBR_VERSIONS(VBR) == 1, "exactly one version.def row is the default");
#undef VBR

/* ESessionState: the first version that has each state (ActionRequired arrived in 1.3-rev2). */
static const unsigned char state_since[] = {
	VBR_V10R1, VBR_V10R1, VBR_V10R1, VBR_V10R1, VBR_V10R1, VBR_V10R1, /* Stopped … Resuming */
	VBR_V10R1, VBR_V10R1, VBR_V10R1, VBR_V10R1, VBR_V10R1,            /* WaitingTape … WaitingSlot */
	VBR_V13R2,                                                        /* ActionRequired */
};
_Static_assert(ARRAY_LEN(state_since) == ST__COUNT, "every state needs its first version");

/* EPlatformType (SessionModel platformName): each value and the first version that has it. */
static const struct {
	const char *name;
	unsigned char since;
} platforms[] = {
	{"VMware", VBR_V12R0}, {"HyperV", VBR_V12R0}, {"CloudDirector", VBR_V12R0},
	{"WindowsPhysical", VBR_V12R0}, {"LinuxPhysical", VBR_V12R0}, {"Tape", VBR_V12R0},
	{"CustomPlatform", VBR_V12R0}, {"EntraID", VBR_V12R0}, {"UnstructuredData", VBR_V12R0},
	{"Test", VBR_V12R0}, {"MongoDb", VBR_V13R0}, {"AWSEC2", VBR_V13R0}, {"AzureCompute", VBR_V13R0},
	{"GCE", VBR_V13R0}, {"Iris", VBR_V13R2}, {"Nutanix", VBR_V13R2}, {"Proxmox", VBR_V13R2},
	{"LinuxPhysicalPpc", VBR_V13R2}, {"ApplicationBackupRepository", VBR_V13R2},
};

static int ver_ok(int v) { return v >= 0 && v < VBR_VER_COUNT; }

const struct vbr_version *catalog_vbr(int v) { return &versions[ver_ok(v) ? v : VBR_VER_LATEST]; }

int catalog_vbr_family(int v) { return catalog_vbr(v)->fam; }

int catalog_vbr_parse(const char *s)
{
	if(!s)
		return -1;
	for(int v = 0; v < VBR_VER_COUNT; v++)
		if(!strcasecmp(s, versions[v].name))
			return v;
	return -1;
}

int catalog_vbr_newest(int fam)
{
	for(int v = VBR_VER_LATEST; v >= 0; v--)
		if((int)versions[v].fam == fam)
			return v;
	return VBR_VER_LATEST;
}

int catalog_vbr_oldest(int fam)
{
	for(int v = 0; v < VBR_VER_COUNT; v++)
		if((int)versions[v].fam == fam)
			return v;
	return 0;
}

int catalog_vbr_platform_known(const char *p, int v)
{
	if(!p)
		return 0;
	for(size_t i = 0; i < ARRAY_LEN(platforms); i++)
		if(!strcmp(p, platforms[i].name))
			return platforms[i].since <= v;
	return 0;
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

int catalog_vbr_state_parse(const char *s, int v)
{
	if(v >= VBR_VER_COUNT)
		return -1;
	int st = parse_in(state_names, ST__COUNT, s);
	if(st >= 0 && v >= 0 && state_since[st] > v)
		return -1;
	return st;
}

int catalog_state_parse(const char *s, int fam)
{
	if(fam >= VBR_FAM_COUNT)
		return -1;
	return catalog_vbr_state_parse(s, fam < 0 ? -1 : catalog_vbr_newest(fam));
}

int catalog_vbr_state(int st, int v)
{
	if(st < 0 || st >= ST__COUNT)
		return st;
	return state_since[st] <= (ver_ok(v) ? v : VBR_VER_LATEST) ? st : ST_WORKING;
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
	short shown[T__COUNT][VBR_VER_COUNT]; /* type whose spelling version v shows */
	short row_of[CATALOG_CODE_LIMIT];     /* row of each code, -1 for none */
	char vbr_list[VBR_VER_COUNT * 16];    /* "1.0-rev1, 1.0-rev2, …" */
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

static void versions_check(void)
{
	size_t len = 0;
	for(int v = 0; v < VBR_VER_COUNT; v++) {
		const struct vbr_version *r = &versions[v];
		if(v && (r->fam < versions[v - 1].fam || catalog_vbr_parse(r->name) != v)) {
			fprintf(stderr, "version.def: row %s is out of order or a duplicate\n", r->name);
			abort();
		}
		int n = snprintf(ix.vbr_list + len, sizeof ix.vbr_list - len, "%s%s", v ? ", " : "", r->name);
		if(n < 0 || (size_t)n >= sizeof ix.vbr_list - len) {
			fprintf(stderr, "version.def: version names too long\n");
			abort();
		}
		len += (size_t)n;
	}
	for(int fam = 0; fam < VBR_FAM_COUNT; fam++)
		if((int)versions[catalog_vbr_newest(fam)].fam != fam) {
			fprintf(stderr, "version.def: family %d has no version\n", fam);
			abort();
		}
}

static void ix_build(void)
{
	versions_check();
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
		for(int v = 0; v < VBR_VER_COUNT; v++) {
			int u = t, steps = 0;
			while(rows[u].since > v) {
				u = rows[u].fallback;
				if(u < 0 || ++steps > T__COUNT)
					ix_fail("fallback chain does not reach every version", t);
			}
			ix.shown[t][v] = (short)u;
		}
	}
}

static void ix_init(void) { pthread_once(&ix_once, ix_build); }

const char *catalog_vbr_list(void)
{
	ix_init();
	return ix.vbr_list;
}

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

/* The spelling of a type in a version that has it. */
static const char *own_spelling(int t, int v)
{
	return versions[v].fam <= VBR_11 && rows[t].old ? rows[t].old : rows[t].name;
}

static int vbr_type_count(int v)
{
	int n = 0;
	for(int t = 0; t < T__COUNT; t++)
		n += rows[t].since <= v;
	return n;
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

const char *catalog_vbr_type(int t, int v)
{
	ix_init();
	if(!ver_ok(v))
		v = VBR_VER_LATEST;
	return own_spelling(ix.shown[type_or_unknown(t)][v], v);
}

int catalog_vbr_type_parse(const char *s, int v)
{
	if(!ver_ok(v))
		return -1;
	int t = row_of(catalog_type_parse(s));
	if(t < 0 || rows[t].since > v || strcasecmp(s, own_spelling(t, v)))
		return -1;
	return code_of(t);
}

int catalog_vbr_type_match(const char *s, int v, int *out, int max)
{
	int u = row_of(catalog_vbr_type_parse(s, v));
	if(u < 0)
		return -1;
	int n = 0;
	for(int t = 0; t < T__COUNT && n < max; t++)
		if(ix.shown[t][v] == u)
			out[n++] = code_of(t);
	return n;
}

const char *catalog_type_vbr(int t, int fam) { return catalog_vbr_type(t, fam_ok(fam) ? catalog_vbr_newest(fam) : -1); }

int catalog_type_parse_vbr(const char *s, int fam)
{
	return fam_ok(fam) ? catalog_vbr_type_parse(s, catalog_vbr_newest(fam)) : -1;
}

int catalog_type_match_vbr(const char *s, int fam, int *out, int max)
{
	return fam_ok(fam) ? catalog_vbr_type_match(s, catalog_vbr_newest(fam), out, max) : -1;
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

/* Versions whose type column would equal the previous version's share one column. */
static int same_types(int v, int w)
{
	for(int t = 0; t < T__COUNT; t++)
		if(ix.shown[t][v] != ix.shown[t][w] || strcmp(own_spelling(ix.shown[t][v], v), own_spelling(ix.shown[t][w], w)) ||
		   (rows[t].since > v) != (rows[t].since > w))
			return 0;
	return 1;
}

static void md_types(struct buf *b)
{
	int first[VBR_VER_COUNT], ncol = 0; /* first version of each VBR column */
	for(int v = 0; v < VBR_VER_COUNT; v++)
		if(!v || !same_types(v, v - 1))
			first[ncol++] = v;
	buf_addstr(b, "## Session types\n\n"
	              "One row per canonical type (`src/model/catalog.def`; the code is what the database stores). VBR columns give the "
	              "`sessionType` each API version shows (versions that show the same list share a column); "
	              "a value after → is the nearest value "
	              "that version shows because it lacks the type. The Azure type in **bold** is "
	              "the type's own Azure value (the one an Azure `type` parses back to). `AutoBackup` "
	              "is the pre-v8 Azure value; v8.1 has no such value.\n\n"
	              "| Type | Code |");
	for(int i = 0; i < ncol; i++) {
		int last = (i + 1 < ncol ? first[i + 1] : VBR_VER_COUNT) - 1;
		if(last == first[i])
			buf_printf(b, " VBR %s |", versions[first[i]].name);
		else
			buf_printf(b, " VBR %s – %s |", versions[first[i]].name, versions[last].name);
	}
	buf_addstr(b, " EM collection | EM name | Azure type | Azure label |\n|---|---|");
	for(int i = 0; i < ncol; i++)
		buf_addstr(b, "---|");
	buf_addstr(b, "---|---|---|---|\n");
	for(int t = 0; t < T__COUNT; t++) {
		const struct type_row *r = &rows[t];
		int c = r->code;
		buf_printf(b, "| %s | %d |", r->name, c);
		for(int i = 0; i < ncol; i++)
			buf_printf(b, " %s`%s` |", r->since > first[i] ? "→ " : "", catalog_vbr_type(c, first[i]));
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
	              "A VBR version older than a state's first version shows `Working` instead.\n\n"
	              "| State | VBR `ESessionState` since | EM State | EM rank | EM system (running) "
	              "| Azure status (running, no result yet) |\n"
	              "|---|---|---|---|---|---|\n");
	for(int st = 0; st < ST__COUNT; st++) {
		buf_printf(b, "| %s | %s | `%s` | %d |", state_names[st], versions[state_since[st]].name,
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
}

static void md_key(struct buf *b, const char *key)
{
	if(key)
		buf_printf(b, " `%s` |", key);
	else
		buf_addstr(b, " — |");
}

static void md_versions(struct buf *b)
{
	buf_addstr(b, "\n## VBR versions (`x-api-version`)\n\n"
	              "Every accepted value, oldest first (`src/model/version.def`). *Shape* says whether the "
	              "version answers after its own published definition or, having none, in its family's "
	              "shape. *Types* and *Platforms* count the `ESessionType` and `EPlatformType` values it "
	              "has; a field shown — is not sent in that version.\n\n"
	              "| Value | Family | Shape | Types | Platforms | Job id | `platformName` | `initiatedBy` "
	              "| `progress` | `retryInfo` | `ianaTimeZoneId` | jobs/states status | `buildVersion` |\n"
	              "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for(int v = 0; v < VBR_VER_COUNT; v++) {
		const struct vbr_version *r = &versions[v];
		int nplat = 0;
		for(size_t i = 0; i < ARRAY_LEN(platforms); i++)
			nplat += platforms[i].since <= v;
		buf_printf(b, "| `%s` | %.*s | %s | %d | %d |", r->name, (int)strcspn(r->name, "-"), r->name,
		           r->def == VBR_DEF_OWN ? "own definition" : "family's", vbr_type_count(v), nplat);
		md_key(b, r->job_id);
		md_key(b, r->platform);
		md_key(b, r->initiated_by);
		md_key(b, r->progress);
		md_key(b, r->retry_info);
		md_key(b, r->iana_zone);
		buf_printf(b, " `%s`/`%s` | %s |\n", r->jobs->running, r->jobs->inactive,
		           r->build ? r->build : "— (no serverInfo)");
	}
	buf_printf(b, "\nWithout `x-api-version`, or with another value, a VBR request gets 400. "
	              "`sessionctl` sends `%s`.\n", CATALOG_VBR_DEFAULT);
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
	md_versions(b);
	return b->failed ? -1 : 0;
}
