/* SQL text shared by the SQL backends: column lists and schema migrations. */
#ifndef SESSIOND_STORE_SQL_H
#define SESSIOND_STORE_SQL_H

#define SESS_COLS "id,usn,name,type,state,result,progress,is_canceled,is_retry,stop_requested," \
	"creation,end_time,job_id,parent_id,resource_id,job_name,resource_ref,platform,initiated_by," \
	"message,backup_server,extra,lease,heartbeat"
/* SESS_COLS without a session's message and extra (read as NULL): for the newest session of
 * every job, which the job views show without them (they can be kilobytes per session). */
#define SESS_COLS_LEAN "id,usn,name,type,state,result,progress,is_canceled,is_retry,stop_requested," \
	"creation,end_time,job_id,parent_id,resource_id,job_name,resource_ref,platform,initiated_by," \
	"NULL,backup_server,NULL,lease,heartbeat"
#define SESS_PARAMS "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24"

#define TASK_COLS "id,usn,session_id,name,type,session_type,state,result,progress,is_canceled," \
	"total_size,creation,end_time,restore_point_id,repository_id,message,reason,extra"
#define TASK_PARAMS "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18"

struct sqlgen_table;
/** The sessions and task sessions tables as store/sqlgen.c compiles list queries over them. */
extern const struct sqlgen_table store_sql_sessions, store_sql_tasks;
/* The same with the groups tables of SQLite's migration 7 (session_names, task_names),
 * which PostgreSQL does not have: its retention drops whole partitions, which no row
 * trigger sees. */
extern const struct sqlgen_table store_sql_sessions_grouped, store_sql_tasks_grouped;

struct estate_query;
/** 1 when q's total is a kind's (or every kind's) count of live objects, which the
 *  estate_counts table keeps (migration 6), so the total needs no count of rows. */
int estate_counted(const struct estate_query *q);

/** Forward migrations; migration i takes the schema from version i to i+1. */
extern const char *const store_sql_migrations[];
extern const int store_sql_migration_count;

#endif
