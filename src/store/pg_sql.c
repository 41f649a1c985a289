/* SQL text of the PostgreSQL driver: the schema's forward migrations and the
 * statements each connection prepares. Times are bigint microseconds since the
 * epoch (UTC), ids 16-byte bytea, enumerations the codes of the catalog: the same
 * logical schema as the SQLite one (store_sql.c), numbered the same way. */
#include <pthread.h>
#include <stdio.h>

#include "store/pg.h"
#include "store/store_sql.h"

#define USER_COLS "uid,name,hash,role,gen,created"
#define LOGON_COLS "sid,uid,gen,role,\"user\",created,last"
#define EMTASK_COLS "id,session_id,uid,success,message,created"
#define KEY_COLS "id,name,role,hash,created,last_used"

#define SESS_DOLLARS "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24"
/* The session parameters with their types: an INSERT … SELECT does not infer them. */
#define SESS_TYPED "$1::bytea,$2::bigint,$3::text,$4::int,$5::int,$6::int,$7::int,$8::int,$9::int,$10::int," \
	"$11::bigint,$12::bigint,$13::bytea,$14::bytea,$15::bytea,$16::text,$17::text,$18::text,$19::text,$20::text," \
	"$21::text,$22::text,$23::bigint,$24::int"
#define TASK_DOLLARS "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18"

/* Text columns that lists sort by are COLLATE "C": the byte order SQLite sorts by.
 * Indexes that serve a list order carry NULLS FIRST, the order SQLite sorts NULLs in
 * (the SQL compiler asks for it), so one index serves both directions. */
const char *const pg_migrations[] = {
	/* 1: the schema of SQLite's migrations 1 to 4, in one step (PostgreSQL databases
	 * begin at this release); 2 to 4 have nothing left to do. */
	"CREATE TABLE meta(key text PRIMARY KEY, value text);"
	"INSERT INTO meta VALUES('usn', '0');"
	/* sessions: partitioned by creation month (partitions sessions_YYYY_MM, made by the
	 * driver before the first insert into a month), so that retention drops whole months.
	 * The key includes the partition key: an id is kept unique by the insert itself. */
	"CREATE TABLE sessions("
	" id bytea NOT NULL, usn bigint NOT NULL, name text COLLATE \"C\" NOT NULL, type integer NOT NULL,"
	" state integer NOT NULL, result integer NOT NULL, progress integer NOT NULL,"
	" is_canceled integer NOT NULL, is_retry integer NOT NULL, stop_requested integer NOT NULL,"
	" creation bigint NOT NULL, end_time bigint, job_id bytea, parent_id bytea, resource_id bytea,"
	" job_name text COLLATE \"C\", resource_ref text, platform text, initiated_by text COLLATE \"C\","
	" message text, backup_server text, extra text, lease bigint, heartbeat integer NOT NULL DEFAULT 0,"
	" PRIMARY KEY(id, creation)) PARTITION BY RANGE (creation);"
	"CREATE INDEX sessions_usn ON sessions(usn);"
	"CREATE INDEX sessions_creation ON sessions(creation NULLS FIRST, id NULLS FIRST, type, state, result);"
	"CREATE INDEX sessions_end ON sessions(end_time NULLS FIRST, id NULLS FIRST);"
	"CREATE INDEX sessions_type ON sessions(type, creation NULLS FIRST, id NULLS FIRST, state, result);"
	"CREATE INDEX sessions_state ON sessions(state, creation NULLS FIRST, id NULLS FIRST, type, result);"
	"CREATE INDEX sessions_result ON sessions(result, creation NULLS FIRST, id NULLS FIRST, type, state);"
	"CREATE INDEX sessions_job ON sessions(job_id, creation);"
	"CREATE INDEX sessions_name ON sessions(lower(name));"
	"CREATE INDEX sessions_parent ON sessions(parent_id) WHERE parent_id IS NOT NULL;"
	"CREATE INDEX sessions_lease ON sessions(lease) WHERE lease IS NOT NULL;"
	"CREATE TABLE task_sessions("
	" id bytea PRIMARY KEY, usn bigint NOT NULL, session_id bytea NOT NULL, name text COLLATE \"C\" NOT NULL,"
	" type integer NOT NULL, session_type integer NOT NULL, state integer NOT NULL,"
	" result integer NOT NULL, progress integer NOT NULL, is_canceled integer NOT NULL,"
	" total_size bigint NOT NULL, creation bigint NOT NULL, end_time bigint,"
	" restore_point_id bytea, repository_id bytea, message text, reason text, extra text);"
	"CREATE INDEX task_sessions_session ON task_sessions(session_id, creation NULLS FIRST, id NULLS FIRST);"
	"CREATE INDEX task_sessions_creation ON task_sessions(creation NULLS FIRST, id NULLS FIRST);"
	"CREATE INDEX task_sessions_usn ON task_sessions(usn);"
	"CREATE TABLE logs("
	" owner bytea NOT NULL, id bigint NOT NULL, status integer NOT NULL, title text NOT NULL,"
	" description text, start_time bigint NOT NULL, update_time bigint NOT NULL, PRIMARY KEY(owner, id));"
	/* session_counts: how many sessions have each (type, state, result), kept exact by a
	 * trigger, so a total under a filter on those columns is a sum over a few rows. */
	"CREATE TABLE session_counts(type integer NOT NULL, state integer NOT NULL, result integer NOT NULL,"
	" n bigint NOT NULL, PRIMARY KEY(type, state, result));"
	"CREATE FUNCTION session_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP IN ('DELETE', 'UPDATE') THEN"
	"  UPDATE session_counts SET n = n - 1 WHERE type = OLD.type AND state = OLD.state AND result = OLD.result;"
	" END IF;"
	" IF TG_OP IN ('INSERT', 'UPDATE') THEN"
	"  INSERT INTO session_counts VALUES(NEW.type, NEW.state, NEW.result, 1)"
	"   ON CONFLICT(type, state, result) DO UPDATE SET n = session_counts.n + 1;"
	" END IF;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER session_counts_ins AFTER INSERT OR DELETE ON sessions"
	" FOR EACH ROW EXECUTE FUNCTION session_counts_keep();"
	"CREATE TRIGGER session_counts_upd AFTER UPDATE OF type, state, result ON sessions FOR EACH ROW"
	" WHEN (OLD.type IS DISTINCT FROM NEW.type OR OLD.state IS DISTINCT FROM NEW.state"
	"  OR OLD.result IS DISTINCT FROM NEW.result) EXECUTE FUNCTION session_counts_keep();"
	/* Ids from sequences are never reused (a rolled-back insert spends its id too). */
	"CREATE TABLE users(uid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,"
	" hash text NOT NULL, role integer NOT NULL, gen bigint NOT NULL, created bigint NOT NULL);"
	"CREATE TABLE revoked(seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, key text NOT NULL UNIQUE,"
	" kind integer NOT NULL, expires bigint NOT NULL);"
	"CREATE INDEX revoked_kind ON revoked(kind, seq);"
	"CREATE INDEX revoked_expires ON revoked(expires);"
	"CREATE TABLE logons(sid text PRIMARY KEY, uid bigint NOT NULL, gen bigint NOT NULL, role integer NOT NULL,"
	" \"user\" text NOT NULL, created bigint NOT NULL, last bigint NOT NULL);"
	"CREATE INDEX logons_uid ON logons(uid, created);"
	"CREATE INDEX logons_last ON logons(last);"
	"CREATE TABLE em_tasks(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, session_id bytea,"
	" uid bigint NOT NULL, success integer NOT NULL, message text, created bigint NOT NULL);"
	"CREATE TABLE api_keys(id text PRIMARY KEY, name text NOT NULL UNIQUE, role integer NOT NULL,"
	" hash text NOT NULL, created bigint NOT NULL, last_used bigint NOT NULL);",
	/* 2, 3, 4: in 1 */
	"",
	"",
	"",
	/* 5: the backup estate (model/estate.def names the kinds by their permanent codes).
	 * A delete keeps a tombstone (deleted = 1) with the delete's usn for the change feed. */
	"CREATE TABLE estate(kind integer NOT NULL, id bytea NOT NULL, parent bytea, name text COLLATE \"C\" NOT NULL,"
	" reporter text, props text NOT NULL, deleted integer NOT NULL DEFAULT 0, created bigint NOT NULL,"
	" updated bigint NOT NULL, usn bigint NOT NULL, PRIMARY KEY(kind, id));"
	"CREATE INDEX estate_name ON estate(kind, deleted, lower(name), name, id);"
	"CREATE INDEX estate_parent ON estate(parent, kind, deleted, lower(name), name, id);"
	"CREATE INDEX estate_usn ON estate(usn);",
	/* 6: list totals of the estate without counting rows: estate_counts holds how many live
	 * (not deleted) objects each kind has, kept exact by a trigger. */
	"CREATE TABLE estate_counts(kind integer PRIMARY KEY, n bigint NOT NULL);"
	"INSERT INTO estate_counts SELECT kind, count(*) FROM estate WHERE deleted = 0 GROUP BY kind;"
	"CREATE FUNCTION estate_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$"
	" DECLARE d bigint := 0; k integer; BEGIN"
	"  IF TG_OP <> 'INSERT' THEN d := d - (1 - OLD.deleted); k := OLD.kind; END IF;"
	"  IF TG_OP <> 'DELETE' THEN d := d + (1 - NEW.deleted); k := NEW.kind; END IF;"
	"  IF d <> 0 THEN"
	"   INSERT INTO estate_counts VALUES(k, d) ON CONFLICT(kind) DO UPDATE SET n = estate_counts.n + EXCLUDED.n;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;"
	"CREATE TRIGGER estate_counts_keep AFTER INSERT OR DELETE OR UPDATE OF deleted ON estate"
	" FOR EACH ROW EXECUTE FUNCTION estate_counts_keep();",
	/* 7: a progress update touches no indexed column of sessions, so that PostgreSQL
	 * makes it a HOT update (a new row version on the same page, no index entry) instead
	 * of a new entry in each of its indexes. The usn and the lease change with every
	 * write: their indexes go. The change feed ("changed after usn n", in usn order) reads
	 * session_changes instead: one row (usn, id) per session, of its newest usn, which a
	 * write transaction replaces with its commit (pg_changes.c). The lease sweep reads
	 * the running sessions (sessions_state). Partitions keep room on each page for the
	 * new versions of their rows. */
	"CREATE TABLE session_changes(seq bigint NOT NULL, sid bytea NOT NULL);"
	"CREATE UNIQUE INDEX session_changes_seq ON session_changes(seq NULLS FIRST, sid NULLS FIRST);"
	"INSERT INTO session_changes SELECT usn, id FROM sessions;"
	"DROP INDEX sessions_usn;"
	"DROP INDEX sessions_lease;"
	"DO $$ DECLARE p regclass; BEGIN"
	" FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'sessions'::regclass LOOP"
	"  EXECUTE format('ALTER TABLE %s SET (fillfactor = " PG_SESS_FILLFACTOR ")', p);"
	" END LOOP; END $$;",
};

const int pg_migration_count = sizeof(pg_migrations) / sizeof(pg_migrations[0]);

/* The sessions table of the lists, with the usn filtered and ordered by in
 * session_changes: each session has one row there, of its usn (pg_changes.c). Each
 * change looks its session up by id (LATERAL … LIMIT 1), so the changes are read in
 * usn order from the index and the read stops at the page's end; as a join, the
 * planner could pick a plan that reads every session (it did, with the statistics of
 * a table just filled). */
static const char *by_usn_field[QF__COUNT], *by_usn_order[QO__COUNT];
static struct sqlgen_table by_usn;
static pthread_once_t by_usn_once = PTHREAD_ONCE_INIT;

static void by_usn_init(void)
{
	by_usn = store_sql_sessions;
	for(int f = 0; f < QF__COUNT; f++)
		by_usn_field[f] = store_sql_sessions.field[f];
	for(int o = 0; o < QO__COUNT; o++)
		by_usn_order[o] = store_sql_sessions.order[o];
	by_usn_field[QF_USN] = "c.seq";
	by_usn_order[QO_USN] = "c.seq";
	by_usn.name = "session_changes c, LATERAL (SELECT * FROM sessions WHERE sessions.id = c.sid LIMIT 1) sessions";
	by_usn.field = by_usn_field;
	by_usn.order = by_usn_order;
}

/* Whether e names the usn. */
static int names_usn(const struct qexpr *e)
{
	if(!e)
		return 0;
	if(e->op == Q_AND || e->op == Q_OR || e->op == Q_NOT)
		return names_usn(e->a) || names_usn(e->b);
	return e->field == QF_USN;
}

const struct sqlgen_table *pg_sessions_table(const struct query *q)
{
	if(!names_usn(q->where))
		return &store_sql_sessions;
	pthread_once(&by_usn_once, by_usn_init);
	return &by_usn;
}

const char *const pg_rstmt_sql[PR_STMT_COUNT] = {
	[PR_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE id=$1",
	[PR_TASK_GET] = "SELECT " TASK_COLS " FROM task_sessions WHERE id=$1",
	[PR_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name=$1",
	[PR_USER_GET_UID] = "SELECT " USER_COLS " FROM users WHERE uid=$1",
	[PR_KV_GET] = "SELECT value FROM meta WHERE key=$1",
	[PR_LOGON_GET] = "SELECT " LOGON_COLS " FROM logons WHERE sid=$1",
	[PR_EMTASK_GET] = "SELECT " EMTASK_COLS " FROM em_tasks WHERE id=$1",
	[PR_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE id=$1",
	[PR_ESTATE_GET] = "SELECT " PG_ESTATE_COLS " FROM estate WHERE kind=$2 AND id=$1 AND deleted=0",
	[PR_USN_GET] = "SELECT value::bigint FROM meta WHERE key='usn'",
};

/* Inserts that may meet a taken key say so by inserting nothing (ON CONFLICT DO
 * NOTHING): an error would abort the whole transaction, not just the statement. */
const char *const pg_wstmt_sql[PW_STMT_COUNT] = {
	[PW_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE id=$1",
	[PW_SESS_INS] = "INSERT INTO sessions(" SESS_COLS ") SELECT " SESS_TYPED
	                " WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE id=$1::bytea)",
	/* $25: the creation time as stored, so that only its month's partition is searched */
	[PW_SESS_UPD] = "UPDATE sessions SET (" SESS_COLS ") = (" SESS_DOLLARS ") WHERE id=$1 AND creation=$25",
	/* The same when type, state and result stay (a progress update): they are not set,
	 * so the trigger that counts sessions by them is not even looked at (its WHEN clause
	 * costs a few percent of the update). $4 to $6 are named for their types only. */
	[PW_SESS_UPD_KEEP] = "UPDATE sessions SET (id,usn,name,progress,is_canceled,is_retry,stop_requested,creation,"
	                     "end_time,job_id,parent_id,resource_id,job_name,resource_ref,platform,initiated_by,message,"
	                     "backup_server,extra,lease,heartbeat) = ($1,$2,$3,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,"
	                     "$18,$19,$20,$21,$22,$23,$24) WHERE id=$1 AND creation=$25"
	                     " AND ($4::int, $5::int, $6::int) IS NOT NULL",
	/* its row of session_changes too (the rows a batch adds are sent with its commit) */
	[PW_SESS_DEL] = "WITH d AS (DELETE FROM sessions WHERE id=$1 RETURNING id, usn)"
	                " DELETE FROM session_changes c USING d WHERE c.seq=d.usn AND c.sid=d.id",
	[PW_SESS_ENDED] = "SELECT id FROM sessions WHERE end_time < $1 ORDER BY end_time LIMIT $2",
	[PW_TASK_GET] = "SELECT " TASK_COLS " FROM task_sessions WHERE id=$1",
	[PW_TASK_INS] = "INSERT INTO task_sessions(" TASK_COLS ") VALUES(" TASK_DOLLARS ") ON CONFLICT DO NOTHING",
	[PW_TASK_UPD] = "INSERT INTO task_sessions(" TASK_COLS ") VALUES(" TASK_DOLLARS ") ON CONFLICT(id) DO UPDATE"
	                " SET (" TASK_COLS ") = ROW(EXCLUDED.*)",
	[PW_TASKS_DEL] = "DELETE FROM task_sessions WHERE session_id=$1",
	[PW_TASK_LOGS_DEL] = "DELETE FROM logs WHERE owner IN (SELECT id FROM task_sessions WHERE session_id=$1)",
	[PW_LOGS_DEL] = "DELETE FROM logs WHERE owner=$1",
	[PW_LOG_LAST] = "SELECT coalesce(max(id),0) FROM logs WHERE owner=$1",
	[PW_LOG_INS] = "INSERT INTO logs(owner,id,status,title,description,start_time,update_time) "
	               "VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
	[PW_LOG_UPD] = "UPDATE logs SET status=$3, update_time=$4, title=coalesce($5,title), "
	               "description=coalesce($6,description) WHERE owner=$1 AND id=$2",
	[PW_USER_INS] = "INSERT INTO users(name,hash,role,gen,created) VALUES($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING "
	                "RETURNING uid",
	[PW_USER_UPD] = "UPDATE users SET name=$2, hash=$3, role=$4, gen=$5, created=$6 WHERE uid=$1",
	[PW_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name=$1",
	[PW_USER_DEL] = "DELETE FROM users WHERE uid=$1",
	[PW_KV_PUT] = "INSERT INTO meta(key,value) VALUES($1,$2) ON CONFLICT(key) DO UPDATE SET value=EXCLUDED.value",
	[PW_REVOKE] = "INSERT INTO revoked(key,kind,expires) VALUES($1,$2,$3) ON CONFLICT DO NOTHING",
	[PW_REVOKED_PURGE] = "DELETE FROM revoked WHERE expires < $1",
	[PW_LOGON_PUT] = "INSERT INTO logons(" LOGON_COLS ") VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(sid) DO UPDATE"
	                 " SET (" LOGON_COLS ") = ROW(EXCLUDED.*)",
	[PW_LOGON_GET] = "SELECT " LOGON_COLS " FROM logons WHERE sid=$1",
	[PW_LOGON_DEL] = "DELETE FROM logons WHERE sid=$1",
	[PW_LOGON_DEL_OLD] = "DELETE FROM logons WHERE last < $1 OR created < $2",
	[PW_LOGON_OF_USER] = "SELECT sid FROM logons WHERE uid=$1 ORDER BY created, sid LIMIT $2",
	[PW_EMTASK_INS] = "INSERT INTO em_tasks(session_id,uid,success,message,created) VALUES($1,$2,$3,$4,$5) "
	                  "RETURNING id",
	[PW_KEY_INS] = "INSERT INTO api_keys(" KEY_COLS ") VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING",
	[PW_KEY_REPLACE] = "INSERT INTO api_keys(" KEY_COLS ") VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT(id) DO UPDATE"
	                   " SET (" KEY_COLS ") = ROW(EXCLUDED.*)",
	[PW_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE name=$1",
	[PW_KEY_DEL] = "DELETE FROM api_keys WHERE name=$1",
	[PW_EMTASK_DEL] = "DELETE FROM em_tasks WHERE id=$1",
	[PW_USER_NAME_TAKEN] = "SELECT 1 FROM users WHERE name=$1 AND uid<>$2",
	[PW_ESTATE_GET] = "SELECT " PG_ESTATE_COLS " FROM estate WHERE kind=$2 AND id=$1",
	/* the sessions a batch names, $1 their ids in hex separated by commas: one index
	 * lookup each (LATERAL … LIMIT 1), as a bitmap scan would not skip dead rows */
	[PW_SESS_GET_MANY] = "SELECT s.* FROM unnest(string_to_array($1, ',')) x, LATERAL (SELECT " SESS_COLS
	                     " FROM sessions WHERE id = decode(x, 'hex') LIMIT 1) s",
	/* a transaction's rows of session_changes (pg_changes.c): $1, $2 the rows added (usns
	 * "{…}", ids in hex separated by commas), $3, $4 the rows they replace. A row both
	 * added and replaced (written twice in the transaction) is not inserted. The rows
	 * replaced are found through the index (= ANY): the planner cannot tell how many
	 * unnest gives, and would rather read the whole table. */
	[PW_CHANGES_PUT] = "WITH a AS (SELECT * FROM unnest($1::bigint[], string_to_array($2, ',')) x(seq, sid)),"
	                   " r AS (SELECT * FROM unnest($3::bigint[], string_to_array($4, ',')) y(seq, sid)),"
	                   " d AS (DELETE FROM session_changes c USING r WHERE c.seq = ANY($3::bigint[])"
	                   " AND c.seq = r.seq AND c.sid = decode(r.sid, 'hex'))"
	                   " INSERT INTO session_changes SELECT seq, decode(sid, 'hex') FROM (SELECT * FROM a EXCEPT"
	                   " SELECT * FROM r) n ON CONFLICT DO NOTHING",
	[PW_ESTATE_PUT] = "INSERT INTO estate(" PG_ESTATE_COLS ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
	                  " ON CONFLICT(kind, id) DO UPDATE SET (" PG_ESTATE_COLS ") = ROW(EXCLUDED.*)",
};

static int res_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Runs sql (no parameters) on db; 0 on success, else err says why. */
static int exec_ok(PGconn *db, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(db, sql);
	int ok = res_ok(r);
	if(!ok)
		snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Forward migrations, counted in schema_version; instances starting together take
 * turns (a session-level advisory lock). */
enum rc pg_migrate(PGconn *db, char *err, size_t errlen)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%d)", PG_WRITE_LOCK + 1);
	if(exec_ok(db, sql, "lock the schema", err, errlen) ||
	   exec_ok(db, "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL);"
	               "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
	           "schema version", err, errlen))
		return RC_BACKEND;
	PGresult *r = PQexec(db, "SELECT max(version) FROM schema_version");
	int version = res_ok(r) && PQntuples(r) == 1 ? (int)pg_int(r, 0, 0) : -1;
	PQclear(r);
	enum rc rc = RC_OK;
	if(version < 0) {
		snprintf(err, errlen, "cannot read the schema version");
		rc = RC_BACKEND;
	} else if(version > pg_migration_count) {
		snprintf(err, errlen, "database schema version %d is newer than this sessiond (%d)", version,
		         pg_migration_count);
		rc = RC_BACKEND;
	}
	for(int v = version; !rc && v < pg_migration_count; v++) {
		char what[64], done[96];
		snprintf(what, sizeof(what), "migration %d failed", v + 1);
		snprintf(done, sizeof(done), "UPDATE schema_version SET version=%d", v + 1);
		if(exec_ok(db, "BEGIN", what, err, errlen) || exec_ok(db, pg_migrations[v][0] ? pg_migrations[v] : "SELECT 1",
		                                                      what, err, errlen) ||
		   exec_ok(db, done, what, err, errlen) || exec_ok(db, "COMMIT", what, err, errlen)) {
			PQclear(PQexec(db, "ROLLBACK"));
			rc = RC_BACKEND;
		}
	}
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d)", PG_WRITE_LOCK + 1);
	PQclear(PQexec(db, sql));
	return rc;
}

