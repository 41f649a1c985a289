/* model/catalog: the enumerations of the domain and their spelling in every dialect
 * and API version. The data lives in catalog.def (one row per session type) and
 * version.def (one row per VBR x-api-version); everything here is a lookup into those tables. All names returned are static.
 * Every value that reaches the disk is an explicit, permanent code: session types
 * carry theirs in catalog.def, and the small enumerations below spell theirs out.
 * Out-of-range values give NULL from the state/result/log/task *_name functions; the type
 * functions treat an invalid type code as the Azure "Unknown" row and never return NULL. */
#ifndef SESSIOND_MODEL_CATALOG_H
#define SESSIOND_MODEL_CATALOG_H
#include <stddef.h>

#include "model/version.def"

/* VBR REST API families: what goes by major.minor (routes, array filters, serverInfo blocks). */
enum vbr_fam { VBR_10, VBR_11, VBR_12, VBR_13, VBR_FAM_COUNT };
/* Sets of jobs/states words (version.def, CATALOG_VBR_JOB_WORDS). */
enum vbr_jobs {
#define CATALOG__JOBS_ID(id, backup, replica, running, inactive, vm) id,
	CATALOG_VBR_JOB_WORDS(CATALOG__JOBS_ID)
#undef CATALOG__JOBS_ID
	VBR_JOBS_COUNT
};
/* Whether a version has a published definition of its own or takes its family's shape. */
enum vbr_def { VBR_DEF_FAMILY, VBR_DEF_OWN };

/* VBR x-api-version values, oldest first (version.def): ids compare as versions do. */
enum vbr_ver {
#define CATALOG__VER_ID(id, name, fam, build, job_id, platform, initiated_by, progress, retry_info, iana_zone, \
                        jobs, def, dflt) id,
	CATALOG_VBR_VERSIONS(CATALOG__VER_ID)
#undef CATALOG__VER_ID
	VBR_VER_COUNT
};
#define VBR_VER_LATEST (VBR_VER_COUNT - 1)

/** The x-api-version marked as default in version.def, as a string literal (sessionctl's). */
#define CATALOG_VBR_DEFAULT CATALOG_VBR_VERSIONS(CATALOG__VER_DFLT)
#define CATALOG__VER_DFLT(id, name, fam, build, job_id, platform, initiated_by, progress, retry_info, iana_zone, \
                          jobs, def, dflt) CATALOG__VER_DFLT_##dflt(name)
#define CATALOG__VER_DFLT_0(name)
#define CATALOG__VER_DFLT_1(name) name

/* jobs/states words of one version. */
struct vbr_job_words {
	const char *backup, *replica;   /* EJobType of a backup / replica job */
	const char *running, *inactive; /* EJobStatus of a running / idle job */
	const char *vm;                 /* EJobWorkload of a VM job */
};

/* One x-api-version and the shape of its answers: a row of version.def. A key is the JSON
 * name of a field that varies by version, NULL when the version does not send the field. */
struct vbr_version {
	const char *name;                  /* "1.3-rev2" */
	enum vbr_fam fam;
	enum vbr_def def;
	const char *build;                 /* serverInfo buildVersion; NULL: no serverInfo (404) */
	const char *job_id;                /* SessionModel: "activityId" / "jobId" */
	const char *platform;              /* SessionModel platformName (with platformId) */
	const char *initiated_by;          /* SessionModel initiatedBy */
	const char *progress;              /* SessionModel progress */
	const char *retry_info;            /* SessionModel retryInfo */
	const char *iana_zone;             /* ServerTimeModel ianaTimeZoneId */
	const struct vbr_job_words *jobs;  /* jobs/states */
};

/** The row of version v (enum vbr_ver); an invalid v gives the latest. Never NULL. */
const struct vbr_version *catalog_vbr(int v);
/** Parses an x-api-version value (exact, case-insensitive): its enum vbr_ver, -1 if unknown. */
int catalog_vbr_parse(const char *s);
/** Family of version v; the latest family for an invalid v. */
int catalog_vbr_family(int v);
/** The newest version of family fam (what the family-level functions below mean by fam);
 *  the latest version for an invalid fam. */
int catalog_vbr_newest(int fam);
/** The oldest version of family fam; the oldest version of all for an invalid fam. */
int catalog_vbr_oldest(int fam);
/** Every accepted x-api-version, oldest first, as one string ("1.0-rev1, 1.0-rev2, …"). */
const char *catalog_vbr_list(void);

/** Whether version v's EPlatformType has the value p (case-sensitive, as sent). */
int catalog_vbr_platform_known(const char *p, int v);

/* Session states, in VBR ESessionState order. Stored codes: never renumber. */
enum sess_state {
	ST_STOPPED = 0, ST_STARTING = 1, ST_STOPPING = 2, ST_WORKING = 3, ST_PAUSING = 4,
	ST_RESUMING = 5, ST_WAITING_TAPE = 6, ST_IDLE = 7, ST_POSTPROCESSING = 8,
	ST_WAITING_REPOSITORY = 9, ST_WAITING_SLOT = 10, ST_ACTION_REQUIRED = 11, ST__COUNT
};
/* Session results, in ESessionResult order (also EM's comparison order). Stored codes. */
enum sess_result { RES_NONE = 0, RES_SUCCESS = 1, RES_WARNING = 2, RES_FAILED = 3, RES__COUNT };
/* Log record status (ETaskLogRecordStatus). Stored codes. */
enum log_status { LOG_NONE = 0, LOG_SUCCEEDED = 1, LOG_WARNING = 2, LOG_FAILED = 3, LOG__COUNT };
/* Task session types (ETaskSessionType). Stored codes. */
enum task_type { TT_BACKUP = 0, TT_REPLICA = 1, TT_RESTORE = 2, TT_ANTIVIRUS = 3, TT__COUNT };

/* Enterprise Manager collection a session type belongs to. */
enum em_family {
	EMF_NONE, EMF_BACKUP, EMF_REPLICA, EMF_NAS, EMF_AGENT, EMF_RESTORE, EMF_SYSTEM, EMF__COUNT
};

const char *catalog_state_name(int st);            /* canonical (VBR) spelling */
/** Parses a state name (case-insensitive); -1 if unknown or not in version v's ESessionState
 *  (ActionRequired exists from 1.3-rev2 on). v < 0 means any. */
int catalog_vbr_state_parse(const char *s, int v);
/** The state version v shows for st: st itself when v has it, else Working. */
int catalog_vbr_state(int st, int v);
/** catalog_vbr_state_parse in family fam's newest version; fam < 0 means any. */
int catalog_state_parse(const char *s, int fam);
const char *catalog_result_name(int r);
int catalog_result_parse(const char *s);
const char *catalog_log_status_name(int s);
int catalog_log_status_parse(const char *s);
const char *catalog_task_type_name(int t);
int catalog_task_type_parse(const char *s);

/* Session types. A type is its permanent code (catalog.def), below CATALOG_CODE_LIMIT. */
#define CATALOG_CODE_LIMIT 1024
int catalog_type_count(void);
/** The code of the i-th type (0 .. catalog_type_count()-1, in catalog.def order); -1 past the end. */
int catalog_type_at(int i);
/** Whether code names a live type. */
int catalog_type_valid(int code);
/** Canonical name (the 1.3-rev2 ESessionType name, or EM system / Azure name). */
const char *catalog_type_name(int t);
/** Finds a type by its canonical name or by any dialect's spelling, case-insensitively
 *  (so "Job", "BackupJob" and "PolicyBackup" all resolve). -1 if unknown. */
int catalog_type_parse(const char *s);
/** The ESessionType value that VBR version v shows for type t: its own spelling when that
 *  version knows the type, otherwise the version's nearest value. Never NULL; an invalid v
 *  means the latest version. */
const char *catalog_vbr_type(int t, int v);
/** Parses an ESessionType value as valid in version v (e.g. "Job" only in 1.0/1.1,
 *  "BackupJob" from 1.2-rev0, "HaClusterEdit" from 1.3-rev2); -1 when v has no such value. */
int catalog_vbr_type_parse(const char *s, int v);
/** Every type that version v would show as the value named s (a filter on
 *  "Infrastructure" in 1.0 also matches the types it falls back to). Writes up to
 *  max type codes into out and returns how many; -1 when s is not a value of v. */
int catalog_vbr_type_match(const char *s, int v, int *out, int max);
/* The same three for family fam's newest version (an invalid fam: the latest version). */
const char *catalog_type_vbr(int t, int fam);
int catalog_type_parse_vbr(const char *s, int fam);
int catalog_type_match_vbr(const char *s, int fam, int *out, int max);

enum em_family catalog_type_em_family(int t);
/** EM JobType (job sessions) or SessionType (system sessions); never NULL. */
const char *catalog_type_em_name(int t);
/** Azure JobSessionType value and its readable label; never NULL. */
const char *catalog_type_az(int t);
const char *catalog_type_az_label(int t);
/** Parses an Azure JobSessionType value (case-insensitive), -1 if unknown. */
int catalog_type_parse_az(const char *s);

/** Every type whose em_name is s in a non-EMF_NONE family (EM JobType/SessionType filters).
 *  Same out/max/return convention as catalog_vbr_type_match; -1 when none matches. */
int catalog_type_match_em(const char *s, int *out, int max);
/** Every type shown in Azure as the JobSessionType value s (an Azure Types filter on
 *  "PolicyBackup" also matches VBR's BackupJob). Same convention; -1 when s is no value. */
int catalog_type_match_az(const char *s, int *out, int max);
/** EM collection name of a family ("backupSessions", "nas/backupSessions", …; "" for EMF_NONE). */
const char *catalog_em_family_name(int f);

/* Enterprise Manager states. EM job sessions show six State values, compared by their
 * documented order Starting < Stopping < Working < Pausing < Resuming < Stopped; the
 * other VBR states (Idle, Postprocessing, Waiting*, ActionRequired) show as Working. */
const char *catalog_em_state_name(int st);
/** Rank (0..5) of a session state in that order, by its EM spelling; -1 if st is invalid. */
int catalog_em_state_rank(int st);
/** Rank of an EM State name (case-insensitive), -1 if unknown. */
int catalog_em_state_parse(const char *s);
/** EM task-session State, documented order InProgress < Pending < Completed: Stopped is
 *  Completed, Starting and the Waiting* states Pending, the rest InProgress. -1/NULL if invalid. */
int catalog_em_task_state_rank(int st);
const char *catalog_em_task_state_name(int st);
/** Rank of an EM task State name (case-insensitive), -1 if unknown. */
int catalog_em_task_state_parse(const char *s);
/** EM system-session State: InProgress while not Stopped; once Stopped, Success →
 *  CompletedSuccessfully, Warning or None → CompletedWarning, Failed → Failed. */
const char *catalog_em_system_state(int state, int result);

/** Azure JobStatus folded from state and result. Not stopped: Canceling when a stop was
 *  requested, Pending in WaitingTape/WaitingRepository/WaitingSlot, else RunningWithError /
 *  RunningWithWarning when result is already Failed / Warning, else Running (Starting too).
 *  Stopped: Canceled when is_canceled, else Success, Warning, Error (Failed), Unknown (None). */
const char *catalog_az_status(int state, int result, int is_canceled, int stop_requested);

struct buf;
/** Appends the whole mapping as Markdown (docs/TYPES.md, `sessiond catalog`).
 *  0 on success, -1 when the buffer overflowed its bound. */
int catalog_write_markdown(struct buf *b);

#endif
