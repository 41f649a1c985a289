/* Enterprise Manager dialect: what tests and other modules see of it, then what
 * the files of src/api/em/ share: em.c (routes, emitter, errors, shared rendering,
 * collections), em_sessions.c, em_tasks.c, em_infra.c, em_jobs.c, em_query.c (the query service).
 * Logon sessions live in a process-local table (mutex-protected, sliding
 * 15-minute idle expiry); they do not survive a restart and are not shared
 * between instances. */
#ifndef SESSIOND_API_EM_H
#define SESSIOND_API_EM_H
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/auth.h"
#include "core/jobs.h"
#include "model/catalog.h"
#include "util/jw.h"
#include "util/rc.h"
#include "util/uuid.h"
#include "util/xw.h"

#define EM_TOKEN_MAX 64

/** The SessionId (uuid text) an X-RestSvcSessionId value carries (base64 of it);
 *  -1 when it is not one. */
int em_token_sid(const char *token, char sid[40]);

/** The stable uid (a name-based uuid) of the backup server called name. */
void em_server_uuid(const char *name, struct uuid *out);

/* ---- shared by the files of the dialect (src/api/em/) only ---- */

/* One emitter for XML and JSON: XML attributes become JSON properties, list elements
 * hold their items under the plural property, Links is an array. */
struct em__out {
	int json;
	struct xw x;
	struct jw j;
	int depth;
	unsigned char in_list[XW_MAX_DEPTH + 2]; /* per level: children are array items */
};

/** Starts r's answer with status, XML or JSON as the Accept header asks. */
void em__out_begin(struct req *r, struct em__out *o, int status);
/** An element with attributes and children (JSON: an object); closed by em__close. */
void em__open(struct em__out *o, const char *name);
void em__close(struct em__out *o);
/** A list element whose items go under items (JSON: {items:[…]}, or […] when bare). */
void em__list(struct em__out *o, const char *name, const char *items, int bare);
void em__list_end(struct em__out *o);
/** An attribute (JSON: a property); v NULL writes nothing. */
void em__attr(struct em__out *o, const char *k, const char *v);
void em__attr_int(struct em__out *o, const char *k, int64_t v);
/** Opens the bare Links list; close it with em__list_end. */
void em__links(struct em__out *o);
/** One Link; name and type may be NULL. */
void em__link(struct em__out *o, const char *rel, const char *href, const char *name, const char *type);

/** Answers an EM Error (status 0: derived from rc). */
void em__error(struct req *r, enum rc rc, int status, const char *msg);
/** base_url + the formatted path, in r->arena. */
const char *em__href(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Answers 400 unless query parameter param is absent, ref or ent (case-insensitive). */
enum rc em__check_format(struct req *r, const char *param, const char *ref, const char *ent);
/** Whether query parameter param is entity_word. */
int em__format_entity(struct req *r, const char *param, const char *entity_word);

#define EM__FAM(f) (1u << (f))
/** The families whose sessions belong to jobs (all but system sessions). */
#define EM__JOB_FAMILIES (EM__FAM(EMF_BACKUP) | EM__FAM(EMF_REPLICA) | EM__FAM(EMF_NAS) | EM__FAM(EMF_AGENT) | \
                          EM__FAM(EMF_RESTORE))
/** The families a collection (or query type) of family f lists: backup sessions include
 *  the file share and agent backup sessions, as EM's documentation says. */
#define EM__BACKUP_LISTED (EM__FAM(EMF_BACKUP) | EM__FAM(EMF_NAS) | EM__FAM(EMF_AGENT))
static inline unsigned em__listed(int f) { return f == EMF_BACKUP ? EM__BACKUP_LISTED : EM__FAM(f); }
/** The families whose task sessions are replica (or else backup) task sessions. */
static inline unsigned em__task_families(int replica)
{
	return replica ? EM__FAM(EMF_REPLICA) : EM__FAM(EMF_BACKUP) | EM__FAM(EMF_NAS) | EM__FAM(EMF_AGENT);
}
/** Field f IN the session types of the EM families in the EM__FAM mask fams. */
const struct qexpr *em__types_where(struct arena *a, enum qfield f, unsigned fams);

/** Backup servers: sessiond itself, the servers sessions name, the reported backupServer
 *  objects (names in the arena). */
struct em__servers {
	struct arena *a;
	const char **names;
	int n, cap;
};
enum rc em__servers_list(struct arena *a, struct em__servers *v);
/** The name of the server in ctx (a struct em__servers) whose uid is u, or NULL. */
const char *em__server_by_uuid(void *ctx, const struct uuid *u);

/** Row callbacks that render each session or task session as a Ref or an entity. */
struct em__emit {
	struct req *r;
	struct em__out *o;
	int entity;                 /* entities, not references */
	const struct sess_rec *parent; /* task rows: the session they all belong to, or NULL: looked up */
	int have_cached;            /* cached is the session of the last task row (reset per chunk) */
	struct sess_rec cached;
};
int em__emit_session(void *ctx, const struct sess_rec *s);
int em__emit_task(void *ctx, const struct task_rec *t);

/* ---- em_feed.c: lists answered in constant memory ----
 * A list is read from the store in chunks of EM__CHUNK rows, each rendered with r->arena
 * pointing at a chunk arena that is reset before the next, so a list of any length costs
 * the same memory. A list that fits in its first chunk is answered at once (with a
 * Content-Length, and a clean error when the store fails); a longer one is streamed. */

#define EM__CHUNK 500

struct em__list {
	int tasks;                  /* rows are task sessions, else sessions */
	const struct qexpr *where;  /* in r->arena */
	enum qorder order;
	int asc;
	int by_job;                 /* sessions by job name, then creation time (order ignored) */
	int64_t skip, limit;        /* the page; limit < 0: to the end */
	int entity;
	const struct sess_rec *parent; /* task lists of one session */
	/** Writes what comes before the rows / after them (rows: how many were written). */
	void (*head)(struct em__out *o, void *ctx);
	void (*tail)(struct em__out *o, int64_t rows, void *ctx);
	void *ctx;
};

/** Answers r with the list (status 200), buffered or streamed; on a store failure
 *  before anything was sent, the EM error what. */
void em__list_send(struct req *r, const struct em__list *l, const char *what);
/** Renders job j (em__emit ctx) when EM shows it (em__job_shown). */
int em__emit_job(void *ctx, const struct job_view *j);

/** An element holding text (JSON: a string property). */
void em__str(struct em__out *o, const char *k, const char *v);

/** A task (the answer to a stop) as a <Task> element; every task sessiond records is a
 *  finished stop, so its State and Operation are these. */
#define EM__TASK_STATE "Finished"
#define EM__TASK_OPERATION "StopJobSession"
void em__task_obj(struct req *r, struct em__out *o, const struct emtask_rec *t);

/** GET /api/query (em_query.c), and the types it answers (NULL-terminated). */
void em__query(struct req *r);
extern const char *const em__query_types[];

/* em_logon.c: the root, logon sessions and the query service resource. */
void em__root(struct req *r);            /* GET /api/ */
void em__logon(struct req *r);           /* POST /api/sessionMngr/ */
void em__logon_get(struct req *r);       /* GET /api/logonSessions/{id} */
void em__logons(struct req *r);          /* GET /api/logonSessions */
void em__logoff(struct req *r);          /* DELETE /api/logonSessions/{id} */
void em__query_svc(struct req *r);       /* GET /api/querySvc */

/* ---- em.c: shared rendering and helpers ---- */

#define EM__DAYS30_US ((int64_t)30 * 24 * 3600 * 1000000)

/** Typed elements (JSON: properties) and a boolean attribute. */
void em__attr_bool(struct em__out *o, const char *k, int v);
void em__int(struct em__out *o, const char *k, int64_t v);
void em__bool(struct em__out *o, const char *k, int v);
void em__time(struct em__out *o, const char *k, int64_t us);

/* What an EM family is called on the wire. */
struct em__family {
	const char *entity;      /* BackupJobSession, … */
	const char *plural;      /* BackupJobSessions */
	int task_replica;        /* its task sessions are ReplicaTaskSessions */
	const char *path;        /* where one session is: file share and agent backup sessions are
	                          * backup sessions (their own collections list them too) */
	unsigned listed;         /* the families the collection of this one lists (EM__FAM mask) */
};
extern const struct em__family em__families[EMF__COUNT];
/** The family of a session type, backup for types of no family. */
int em__fam_of(int type);
/** The family named by the path after /api/ ("nas/backupSessions/…"). */
int em__family_of_path(const char *path);

/** "urn:veeam:type:uuid" in r->arena. */
const char *em__uid(struct req *r, const char *type, const struct uuid *u);
/** The uuid (or urn:veeam:…:uuid) of path parameter idx; answers 400 when it is none. */
enum rc em__path_uuid(struct req *r, int idx, struct uuid *u);
/** The backup server a session was reported from (sessiond's name when none). */
const char *em__server_of(const struct sess_rec *s);
const char *em__job_name(const struct sess_rec *s);
/** "job@time": the Name EM shows for a session. */
const char *em__session_name(struct req *r, const struct sess_rec *s);
const char *em__session_href(struct req *r, const struct sess_rec *s, int fam);
/** The Up link to the backup server called server. */
void em__server_link(struct req *r, struct em__out *o, const char *server);
/** The reference to entity ent (an EntityRef at the root, else a Ref in a list): it links
 *  up to its backup server when server is set, and to its entity form. */
void em__render_ref(struct req *r, struct em__out *o, int root, const char *ent, const char *u, const char *name,
                    const char *h, const char *server);
/** Opens entity ent (reference form at h) up to its open Links list. */
void em__entity_begin(struct req *r, struct em__out *o, const char *ent, const char *u, const char *name,
                      const char *h);

/** Checks ?format and starts a collection's answer: the plural list of entities
 *  (?format=Entity) or EntityReferences. 0/1: references/entities; -1: answered 400. */
int em__collection_begin(struct req *r, struct em__out *o, const char *plural);
/** Ends the collection, or answers the error of the read that filled it. */
void em__collection_end(struct req *r, struct em__out *o, enum rc rc, const char *what);
/** Sends the sessions or task sessions (tasks) matching where, newest first, as a
 *  collection named plural; answers 400 for a bad ?format. */
void em__send_collection(struct req *r, int tasks, const struct qexpr *where, const char *plural,
                         const struct sess_rec *parent);

/* ---- em_sessions.c ---- */
/** The session named in the path if it is in family fam's collection; else answered. */
enum rc em__load_session(struct req *r, int fam, struct sess_rec *s);
void em__h_sessions(struct req *r);
void em__h_session(struct req *r);
void em__h_session_action(struct req *r);
void em__h_system_events(struct req *r);

/* ---- em_tasks.c ---- */
/** Answers r with the task t (status). */
void em__render_task_obj(struct req *r, const struct emtask_rec *t, int status);
void em__h_session_tasks(struct req *r);
void em__h_task_get(struct req *r);
void em__h_task_list(struct req *r);
void em__h_task_delete(struct req *r);
void em__h_tasks(struct req *r);
void em__h_task(struct req *r);

/* ---- em_infra.c ---- */
void em__h_servers(struct req *r);
void em__h_server(struct req *r);

/** Repeated elements with no wrapper element in XML (JSON: an array under name). */
void em__seq(struct em__out *o, const char *name);
void em__seq_end(struct em__out *o);

/* The Veeam build and port sessiond shows as its own backup server. */
#define EM__SELF_VERSION "12.3.0.310"
#define EM__SELF_PORT 9392

/* ---- em_infra.c ---- */
/** The name of the backup server with uid id; NULL when there is none (answered 404 or 503). */
const char *em__server_check(struct req *r, const struct uuid *id);
/** The estate object of kind named in the path (after ?format is checked); -1 when answered. */
int em__load_estate(struct req *r, int kind, struct estate_rec *e, const char *what);
void em__render_repository(struct req *r, struct em__out *o, const struct estate_rec *e, int entity, int root);
void em__h_repositories(struct req *r);   /* also /api/backupServers/{id}/repositories */
void em__h_repository(struct req *r);

/* ---- em_jobs.c ---- */
/** Whether EM shows job j: jobs of the job families, and declared jobs of no family. */
int em__job_shown(const struct job_view *j);
/** The backup server of j: its newest session's, else sessiond's. */
const char *em__job_server(const struct job_view *j);
void em__h_jobs(struct req *r);           /* also /api/nas/jobs */
void em__h_job(struct req *r);
void em__h_job_sessions(struct req *r);
void em__h_server_jobs(struct req *r);

/* ---- em_points.c ---- */
/** Estate rows of a list, read before they are rendered (rendering reads the store). */
struct em__rows {
	struct arena *a;
	struct estate_rec *v;
	size_t n, cap;
};
int em__rows_add(void *ctx, const struct estate_rec *e);
/** A backup or a restore point, as a Ref (EntityRef at the root) or an entity. */
void em__render_backup(struct req *r, struct em__out *o, const struct estate_rec *e, int entity, int root);
void em__render_restore_point(struct req *r, struct em__out *o, const struct estate_rec *e, int entity, int root);
void em__h_backups(struct req *r);
void em__h_backup(struct req *r);
void em__h_backup_points(struct req *r);
void em__h_repository_backups(struct req *r);
void em__h_restore_points(struct req *r);
void em__h_restore_point(struct req *r);
void em__h_computers(struct req *r);
void em__h_computer(struct req *r);

/* ---- em_reports.c ---- */
void em__h_report_overview(struct req *r);
void em__h_report_vms(struct req *r);
void em__h_report_jobs(struct req *r);
void em__h_report_repositories(struct req *r);

#endif
