/* vbr: the Veeam Backup & Replication REST dialect (every x-api-version of
 * model/version.def), shared with the ingest module, which speaks the same JSON.
 * r->version is the request's enum vbr_ver. */
#ifndef SESSIOND_API_VBR_H
#define SESSIOND_API_VBR_H

#include "api/api.h"
#include "util/jw.h"

/** Answers with the VBR Error body. status 0 derives the code from rc. */
void vbr_error(struct req *r, enum rc rc, int status, const char *msg);
/** Starts a JSON answer with the given status. */
void vbr_json(struct req *r, int status, struct jw *w);
/** Writes one date-time as VBR shows it (UTC, milliseconds). */
void vbr_time(struct jw *w, const char *key, int64_t us);
/** A session as SessionModel of version ver (enum vbr_ver); ingest adds stopRequested and jobName. */
void vbr_render_session(struct jw *w, const struct sess_rec *s, int ver, int ingest);
/** A task session as TaskSessionModel of version ver; a version before 1.2 (which has no task
 *  sessions) gets the shape of the newest 1.2 version. ingest_stop, when not NULL, makes it an
 *  ingest reply carrying the parent's stopRequested and the ingest-only fields. */
void vbr_render_task(struct jw *w, const struct task_rec *t, int ver, const int *ingest_stop);
/** Parses path parameter idx as a uuid; on failure answers 400 and returns RC_INVALID. */
enum rc vbr_path_uuid(struct req *r, int idx, struct uuid *u);

/* What sessiond was started with, for its checks of itself (securityAnalyzer/bestPractices). */
struct vbr_self {
	int tls;                    /* the listeners speak HTTPS */
	int retention_days;         /* sessions are purged after this many days; 0: kept for ever */
	const char *db;             /* the database as given (--db): a path or a file: URI */
};
/** Sets what vbr_self says; main calls it once before serving. */
void vbr_self_set(const struct vbr_self *s);

/* ingest handlers (api/ingest.c), routed by the VBR dialect */
void ingest_session_create(struct req *r);
void ingest_session_patch(struct req *r);
void ingest_session_complete(struct req *r);
void ingest_session_log_append(struct req *r);
void ingest_session_log_patch(struct req *r);
void ingest_task_log_append(struct req *r);
void ingest_task_log_patch(struct req *r);
void ingest_task_create(struct req *r);
void ingest_task_patch(struct req *r);
void ingest_task_complete(struct req *r);

#endif
