/* em_filter: the Enterprise Manager query-service filter grammar, parsed into a
 * struct qexpr for the store.
 *
 *   expr   := term (',' term)*          ',' is OR
 *   term   := factor (';' factor)*      ';' is AND (binds tighter than ',')
 *   factor := '(' expr ')' | NAME op VALUE
 *   op     := == | != | < | > | <= | >=
 *   VALUE  := "quoted, "" is a quote" | bare text up to ; , ) (trimmed)
 *
 * Field names and enum values are case-insensitive. Enums compare by their
 * position in the documented list and become Q_IN lists of stored codes. */
#ifndef SESSIOND_API_EM_FILTER_H
#define SESSIOND_API_EM_FILTER_H
#include <stddef.h>

#include "core/core.h"
#include "util/rc.h"

enum em_fkind {
	EMK_TEXT,        /* text compared with the operator (NOCASE) */
	EMK_TIME,        /* RFC 3339 date-time, microseconds */
	EMK_UID,         /* urn:veeam:<Type>:<uuid> or a bare uuid; == and != only */
	EMK_BOOL,        /* true / false; == and != only */
	EMK_INT,
	EMK_STATE,       /* EM job-session State (catalog_em_state_rank order) */
	EMK_TASK_STATE,  /* EM task-session State (catalog_em_task_state_rank order) */
	EMK_RESULT,      /* None < Success < Warning < Failed */
	EMK_JOB_TYPE,    /* EM JobType / SessionType; == and != only */
	EMK_SERVER_UID,  /* a backup server's uid, resolved to its name by the caller */
	EMK_SHOWN_NAME,  /* a session's Name as shown, job@yyyy-MM-dd HH:mm:ss: compares as the pair
	                  * (job name, creation time to the second); a value of another form is a
	                  * job name that sorts before all of that job's sessions */
};

struct em_field {
	const char *name;      /* as clients spell it; matched case-insensitively */
	enum qfield field;
	enum em_fkind kind;
};

struct em_filter_ctx {
	const struct em_field *fields;  /* terminated by a row with name NULL */
	struct arena *a;                /* where the qexpr tree goes */
	/** EMK_SERVER_UID: the name of the server with uid u, or NULL when none. */
	const char *(*server_name)(void *ctx, const struct uuid *u);
	void *server_ctx;
};

#define EM_FILTER_MAX_CMP 64     /* comparisons per filter */
#define EM_FILTER_MAX_DEPTH 16   /* nested parentheses */

struct em_filter_err {
	size_t pos;           /* 1-based character position of the offending token */
	char token[48];       /* the token (truncated), "" at the end of the filter */
	char msg[256];        /* "…at position N ('token')" */
};

/** Parses s. RC_OK sets *out (NULL for an empty filter); RC_INVALID fills err. */
enum rc em_filter_parse(const struct em_filter_ctx *c, const char *s, const struct qexpr **out,
                        struct em_filter_err *err);

#endif
