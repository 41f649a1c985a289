/* model/record: the records of the domain as plain data, shared by core and the
 * store backends. Strings are NULL when absent and belong to whoever filled the
 * record (usually an arena); a nil uuid is absent. Codes (type, state, result, …)
 * are the permanent codes of model/catalog.h. */
#ifndef SESSIOND_MODEL_RECORD_H
#define SESSIOND_MODEL_RECORD_H
#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"
#include "util/uuid.h"

/* A session (one run of a job). */
struct sess_rec {
	struct uuid id;
	struct uuid job_id;         /* also shown as activityId (VBR 1.0/1.1) */
	struct uuid parent_id;
	struct uuid resource_id;
	const char *name;
	const char *job_name;
	const char *resource_ref;
	const char *platform_name;  /* EPlatformType spelling */
	const char *initiated_by;
	const char *message;        /* result message */
	const char *backup_server;  /* name of the server that reported it */
	const char *extra;          /* JSON object: info blocks and other dialect data */
	int type;                   /* catalog type index */
	int state;                  /* enum sess_state */
	int result;                 /* enum sess_result */
	int progress;               /* percent, 0..100 */
	int is_canceled;
	int is_retry;
	int stop_requested;
	int64_t creation_us;        /* µs since epoch */
	int64_t end_us;             /* 0 while running */
	int64_t usn;
	int64_t lease_us;           /* a running session ends as Failed unless its reporter writes before
	                               this (µs since epoch); 0: no lease (stopped) */
	int heartbeat_s;            /* the lease its reporter asked for, seconds; 0: the default */
};

/* A task session: one protected object within a session. */
struct task_rec {
	struct uuid id;
	struct uuid session_id;
	struct uuid restore_point_id;
	struct uuid repository_id;
	const char *name;
	const char *message;
	const char *reason;
	const char *extra;          /* JSON object */
	int type;                   /* enum task_type */
	int session_type;           /* the parent session's type (copied at creation) */
	int state;
	int result;
	int progress;
	int is_canceled;
	int64_t total_size;         /* bytes */
	int64_t creation_us;
	int64_t end_us;
	int64_t usn;
};

/* A log record of a session or of a task session (its owner), numbered from 1. */
struct log_rec {
	struct uuid owner;
	int64_t id;
	int status;                 /* enum log_status */
	const char *title;
	const char *description;
	int64_t start_us;
	int64_t update_us;
};

struct user_rec {
	int64_t uid;                /* never reused, also after the user is deleted */
	const char *name;
	const char *hash;           /* Argon2id string (crypto_pwhash_str) */
	int role;                   /* enum role of core/auth.h (stored code) */
	int64_t gen;                /* credential generation: bumped by every change of role or password */
	int64_t created_us;
};

/* An API key: a long-lived credential of a reporter (or any role), shown once. */
struct key_rec {
	char id[24];                /* the key's public part, "sk_" + 16 characters */
	const char *name;           /* unique, chosen by the admin */
	int role;                   /* enum role */
	const char *hash;           /* hex BLAKE2b of the secret part */
	int64_t created_us;
	int64_t last_used_us;       /* stored at most once a minute; 0: never used */
};

/* An Enterprise Manager logon session (X-RestSvcSessionId is base64 of sid). */
struct logon_rec {
	char sid[40];               /* uuid text, the session's secret */
	int64_t uid;                /* the user it belongs to */
	int64_t gen;                /* the user's credential generation at logon */
	int role;                   /* the user's role at logon */
	const char *user;           /* the user's name at logon */
	int64_t created_us;         /* absolute lifetime counts from here */
	int64_t last_us;            /* last use (idle expiry), stored at most once a minute */
};

/* An Enterprise Manager task: the answer to an asynchronous action (a stop). */
struct emtask_rec {
	int64_t id;                 /* shown as task-<id> */
	struct uuid session_id;     /* the session acted on */
	int64_t uid;                /* who asked */
	int success;
	const char *message;        /* why it failed */
	int64_t created_us;
};

/* An object of the backup estate (model/estate.h names the kinds and their
 * properties). Deleting one keeps a tombstone with the delete's usn, so the change
 * feed can tell; reads other than the feed never see tombstones. */
struct estate_rec {
	int kind;                   /* enum estate_kind (stored code) */
	struct uuid id;             /* unique within its kind */
	struct uuid parent_id;      /* an object of estate_kind_parent(kind), or nil */
	const char *name;
	const char *reporter;       /* who reported it last */
	const char *props;          /* JSON object of the kind's properties, as core checked them */
	int deleted;
	int64_t created_us;
	int64_t updated_us;
	int64_t usn;
};

/** Makes s's strings its own copies in a (with a NULL arena: absent), so s outlives the
 *  memory it was read into. */
/* The string fields of a session record r, as an initialiser of their addresses: every
 * place that copies a record's strings lists them from here. */
#define SESS_REC_STRS(r) {&(r)->name, &(r)->job_name, &(r)->resource_ref, &(r)->platform_name, \
                          &(r)->initiated_by, &(r)->message, &(r)->backup_server, &(r)->extra}

static inline void sess_rec_own(struct sess_rec *s, struct arena *a)
{
	const char **str[] = SESS_REC_STRS(s);
	for(size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		*str[i] = a ? arena_strdup(a, *str[i]) : NULL;
}

#endif
