/* Enterprise Manager dialect: what tests and other modules see of it, then what
 * em.c (routes, logon, rendering, collections) shares with em_query.c (the query service).
 * Logon sessions live in a process-local table (mutex-protected, sliding
 * 15-minute idle expiry); they do not survive a restart and are not shared
 * between instances. */
#ifndef SESSIOND_API_EM_H
#define SESSIOND_API_EM_H
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/auth.h"
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

/* ---- shared by em.c and em_query.c only ---- */

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

/** Backup servers, derived from sessions (names in the arena). */
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
/** Renders the job of s (its newest session) when s is of a job family. */
int em__emit_job(void *ctx, const struct sess_rec *s);

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

#endif
