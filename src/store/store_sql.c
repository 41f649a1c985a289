#include "store_sql.h"

#include "model/query.h"
#include "util/uuid.h"
#include "store/sqlgen.h"

/* Times are integer microseconds since the epoch (UTC); ids are 16-byte blobs.
 * Every list filter and sort of the dialects has an index here. */
const char *const store_sql_migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE TABLE sessions("
	" id BLOB PRIMARY KEY, usn INTEGER NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,"
	" state INTEGER NOT NULL, result INTEGER NOT NULL, progress INTEGER NOT NULL,"
	" is_canceled INTEGER NOT NULL, is_retry INTEGER NOT NULL, stop_requested INTEGER NOT NULL,"
	" creation INTEGER NOT NULL, end_time INTEGER, job_id BLOB, parent_id BLOB, resource_id BLOB,"
	" job_name TEXT, resource_ref TEXT, platform TEXT, initiated_by TEXT, message TEXT,"
	" backup_server TEXT, extra TEXT) WITHOUT ROWID;"
	"CREATE INDEX sessions_creation ON sessions(creation);"
	"CREATE UNIQUE INDEX sessions_usn ON sessions(usn);"
	"CREATE INDEX sessions_end ON sessions(end_time);"
	"CREATE INDEX sessions_type ON sessions(type, creation);"
	"CREATE INDEX sessions_state ON sessions(state, creation);"
	"CREATE INDEX sessions_result ON sessions(result, creation);"
	"CREATE INDEX sessions_job ON sessions(job_id, creation);"
	"CREATE INDEX sessions_name ON sessions(name COLLATE NOCASE);"
	"CREATE INDEX sessions_parent ON sessions(parent_id) WHERE parent_id IS NOT NULL;"
	"CREATE TABLE task_sessions("
	" id BLOB PRIMARY KEY, usn INTEGER NOT NULL, session_id BLOB NOT NULL, name TEXT NOT NULL,"
	" type INTEGER NOT NULL, session_type INTEGER NOT NULL, state INTEGER NOT NULL,"
	" result INTEGER NOT NULL, progress INTEGER NOT NULL, is_canceled INTEGER NOT NULL,"
	" total_size INTEGER NOT NULL, creation INTEGER NOT NULL, end_time INTEGER,"
	" restore_point_id BLOB, repository_id BLOB, message TEXT, reason TEXT, extra TEXT) WITHOUT ROWID;"
	"CREATE INDEX task_sessions_session ON task_sessions(session_id, creation);"
	"CREATE INDEX task_sessions_creation ON task_sessions(creation);"
	"CREATE INDEX task_sessions_usn ON task_sessions(usn);"
	"CREATE TABLE logs("
	" owner BLOB NOT NULL, id INTEGER NOT NULL, status INTEGER NOT NULL, title TEXT NOT NULL,"
	" description TEXT, start_time INTEGER NOT NULL, update_time INTEGER NOT NULL,"
	" PRIMARY KEY(owner, id)) WITHOUT ROWID;"
	"CREATE TABLE users("
	" uid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, role INTEGER NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE revoked(key TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;",
	/* 2: list totals without scanning. session_counts holds how many sessions have each
	 * (type, state, result), kept exact by triggers, so a total under a filter on those
	 * columns is a sum over a few hundred rows. The indexes serving those filters (and the
	 * creation order) also carry the other filter columns, with id right after creation so
	 * that they give the list order (creation, id): a page deep in a filtered list is then
	 * found in the index alone, without reading the rows it skips. */
	"CREATE TABLE session_counts(type INTEGER NOT NULL, state INTEGER NOT NULL, result INTEGER NOT NULL,"
	" n INTEGER NOT NULL, PRIMARY KEY(type, state, result)) WITHOUT ROWID;"
	"INSERT INTO session_counts SELECT type, state, result, count(*) FROM sessions WHERE 1 GROUP BY 1, 2, 3;"
	"CREATE TRIGGER session_counts_ins AFTER INSERT ON sessions BEGIN"
	" INSERT INTO session_counts VALUES(new.type, new.state, new.result, 1)"
	"  ON CONFLICT(type, state, result) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER session_counts_del AFTER DELETE ON sessions BEGIN"
	" UPDATE session_counts SET n = n - 1 WHERE type = old.type AND state = old.state AND result = old.result;"
	" END;"
	"CREATE TRIGGER session_counts_upd AFTER UPDATE OF type, state, result ON sessions"
	" WHEN old.type IS NOT new.type OR old.state IS NOT new.state OR old.result IS NOT new.result BEGIN"
	" UPDATE session_counts SET n = n - 1 WHERE type = old.type AND state = old.state AND result = old.result;"
	" INSERT INTO session_counts VALUES(new.type, new.state, new.result, 1)"
	"  ON CONFLICT(type, state, result) DO UPDATE SET n = n + 1;"
	" END;"
	"DROP INDEX sessions_creation; DROP INDEX sessions_type; DROP INDEX sessions_state; DROP INDEX sessions_result;"
	"CREATE INDEX sessions_creation ON sessions(creation, id, type, state, result);"
	"CREATE INDEX sessions_type ON sessions(type, creation, id, state, result);"
	"CREATE INDEX sessions_state ON sessions(state, creation, id, type, result);"
	"CREATE INDEX sessions_result ON sessions(result, creation, id, type, state);",
	/* 3: state that must survive a restart and be shared by every instance. Users get
	 * ids that are never reused (AUTOINCREMENT; ids up to the highest seen so far are
	 * spent) and a credential generation; revocations get a kind (0: a spent refresh
	 * token, 1: a logout) and a sequence number, so instances can read what is new;
	 * Enterprise Manager logon sessions and tasks are stored. Type codes are unchanged:
	 * the explicit codes of catalog.def are the row positions this schema stored. */
	"CREATE TABLE users2(uid INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL,"
	" role INTEGER NOT NULL, gen INTEGER NOT NULL, created INTEGER NOT NULL);"
	"INSERT INTO users2(uid, name, hash, role, gen, created) SELECT uid, name, hash, role, 1, created FROM users;"
	"DROP TABLE users;"
	"ALTER TABLE users2 RENAME TO users;"
	"CREATE TABLE revoked2(seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
	" kind INTEGER NOT NULL, expires INTEGER NOT NULL);"
	"INSERT INTO revoked2(key, kind, expires) SELECT key, CASE WHEN key LIKE 'f%' THEN 1 ELSE 0 END, expires"
	" FROM revoked ORDER BY expires;"
	"DROP TABLE revoked;"
	"ALTER TABLE revoked2 RENAME TO revoked;"
	"CREATE INDEX revoked_kind ON revoked(kind, seq);"
	"CREATE INDEX revoked_expires ON revoked(expires);"
	"CREATE TABLE logons(sid TEXT PRIMARY KEY, uid INTEGER NOT NULL, gen INTEGER NOT NULL, role INTEGER NOT NULL,"
	" user TEXT NOT NULL, created INTEGER NOT NULL, last INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX logons_uid ON logons(uid, created);"
	"CREATE INDEX logons_last ON logons(last);"
	"CREATE TABLE em_tasks(id INTEGER PRIMARY KEY AUTOINCREMENT, session_id BLOB, uid INTEGER NOT NULL,"
	" success INTEGER NOT NULL, message TEXT, created INTEGER NOT NULL);",
	/* 4: leases (a running session whose reporter stops writing is ended by core) and API
	 * keys (long-lived reporter credentials, stored hashed). */
	"ALTER TABLE sessions ADD COLUMN lease INTEGER;"
	"ALTER TABLE sessions ADD COLUMN heartbeat INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX sessions_lease ON sessions(lease) WHERE lease IS NOT NULL;"
	"CREATE TABLE api_keys(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role INTEGER NOT NULL,"
	" hash TEXT NOT NULL, created INTEGER NOT NULL, last_used INTEGER NOT NULL) WITHOUT ROWID;",
	/* 5: the backup estate (model/estate.def names the kinds by their permanent codes).
	 * A delete keeps a tombstone (deleted = 1) with the delete's usn for the change feed. */
	"CREATE TABLE estate(kind INTEGER NOT NULL, id BLOB NOT NULL, parent BLOB, name TEXT NOT NULL,"
	" reporter TEXT, props TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL, usn INTEGER NOT NULL, PRIMARY KEY(kind, id)) WITHOUT ROWID;"
	"CREATE INDEX estate_name ON estate(kind, deleted, name COLLATE NOCASE, name, id);"
	"CREATE INDEX estate_parent ON estate(parent, kind, deleted, name COLLATE NOCASE, name, id);"
	"CREATE INDEX estate_usn ON estate(usn);",
	/* 6: list totals of the estate without counting rows: estate_counts holds how many live
	 * (not deleted) objects each kind has, kept exact by triggers (an object is written by
	 * INSERT … ON CONFLICT DO UPDATE, so a rewrite is an update, not a delete and an insert). */
	"CREATE TABLE estate_counts(kind INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
	"INSERT INTO estate_counts SELECT kind, count(*) FROM estate WHERE deleted = 0 GROUP BY kind;"
	"CREATE TRIGGER estate_counts_ins AFTER INSERT ON estate WHEN new.deleted = 0 BEGIN"
	" INSERT INTO estate_counts VALUES(new.kind, 1) ON CONFLICT(kind) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER estate_counts_del AFTER DELETE ON estate WHEN old.deleted = 0 BEGIN"
	" UPDATE estate_counts SET n = n - 1 WHERE kind = old.kind;"
	" END;"
	"CREATE TRIGGER estate_counts_upd AFTER UPDATE OF deleted ON estate WHEN old.deleted <> new.deleted BEGIN"
	" INSERT INTO estate_counts VALUES(new.kind, old.deleted - new.deleted)"
	"  ON CONFLICT(kind) DO UPDATE SET n = n + excluded.n;"
	" END;",
	/* 7: list totals under name, job and creation-time filters without scanning.
	 * session_names holds how many sessions have each (name, job_name, job_id, type, state, result), task_names how
	 * many task sessions have each (name, type, session_type, state, result), kept exact by
	 * triggers; a group whose count falls to 0 is deleted. Sessions repeat their job's name,
	 * so there are few groups compared with sessions, and a total under any filter on those
	 * columns (wildcards anywhere in a name too) is a sum over the groups that match. A task
	 * session is rewritten by REPLACE, which deletes the old row without running delete
	 * triggers, so the old row's group is taken off before the insert. sessions_end carries
	 * id, type, state and result like the other filter indexes, so that a total under an
	 * end-time range with those filters is counted in the index alone. */
	"CREATE TABLE session_names(name TEXT NOT NULL, job_name TEXT, job_id BLOB, type INTEGER NOT NULL,"
	" state INTEGER NOT NULL, result INTEGER NOT NULL, n INTEGER NOT NULL);"
	"INSERT INTO session_names SELECT name, job_name, job_id, type, state, result, count(*) FROM sessions"
	" WHERE 1 GROUP BY 1, 2, 3, 4, 5, 6;"
	"CREATE INDEX session_names_key ON session_names(name, type, state, result, job_name, job_id);"
	"CREATE TRIGGER session_names_ins AFTER INSERT ON sessions BEGIN"
	" UPDATE session_names SET n = n + 1 WHERE name = new.name AND type = new.type AND state = new.state"
	"  AND result = new.result AND job_name IS new.job_name AND job_id IS new.job_id;"
	" INSERT INTO session_names SELECT new.name, new.job_name, new.job_id, new.type, new.state, new.result, 1"
	"  WHERE changes() = 0;"
	" END;"
	"CREATE TRIGGER session_names_del AFTER DELETE ON sessions BEGIN"
	" UPDATE session_names SET n = n - 1 WHERE name = old.name AND type = old.type AND state = old.state"
	"  AND result = old.result AND job_name IS old.job_name AND job_id IS old.job_id;"
	" DELETE FROM session_names WHERE n <= 0 AND name = old.name AND type = old.type AND state = old.state"
	"  AND result = old.result AND job_name IS old.job_name AND job_id IS old.job_id;"
	" END;"
	"CREATE TRIGGER session_names_upd AFTER UPDATE OF name, job_name, job_id, type, state, result ON sessions"
	" WHEN old.name IS NOT new.name OR old.job_name IS NOT new.job_name OR old.job_id IS NOT new.job_id"
	"  OR old.type IS NOT new.type OR old.state IS NOT new.state OR old.result IS NOT new.result BEGIN"
	" UPDATE session_names SET n = n - 1 WHERE name = old.name AND type = old.type AND state = old.state"
	"  AND result = old.result AND job_name IS old.job_name AND job_id IS old.job_id;"
	" DELETE FROM session_names WHERE n <= 0 AND name = old.name AND type = old.type AND state = old.state"
	"  AND result = old.result AND job_name IS old.job_name AND job_id IS old.job_id;"
	" UPDATE session_names SET n = n + 1 WHERE name = new.name AND type = new.type AND state = new.state"
	"  AND result = new.result AND job_name IS new.job_name AND job_id IS new.job_id;"
	" INSERT INTO session_names SELECT new.name, new.job_name, new.job_id, new.type, new.state, new.result, 1"
	"  WHERE changes() = 0;"
	" END;"
	"CREATE TABLE task_names(name TEXT NOT NULL, type INTEGER NOT NULL, session_type INTEGER NOT NULL,"
	" state INTEGER NOT NULL, result INTEGER NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY(name, type, session_type, state, result)) WITHOUT ROWID;"
	"INSERT INTO task_names SELECT name, type, session_type, state, result, count(*) FROM task_sessions"
	" WHERE 1 GROUP BY 1, 2, 3, 4, 5;"
	"CREATE TRIGGER task_names_replace BEFORE INSERT ON task_sessions BEGIN"
	" UPDATE task_names SET n = n - 1 WHERE (name, type, session_type, state, result) ="
	"  (SELECT name, type, session_type, state, result FROM task_sessions WHERE id = new.id);"
	" DELETE FROM task_names WHERE n <= 0 AND (name, type, session_type, state, result) ="
	"  (SELECT name, type, session_type, state, result FROM task_sessions WHERE id = new.id);"
	" END;"
	"CREATE TRIGGER task_names_ins AFTER INSERT ON task_sessions BEGIN"
	" INSERT INTO task_names VALUES(new.name, new.type, new.session_type, new.state, new.result, 1)"
	"  ON CONFLICT(name, type, session_type, state, result) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER task_names_del AFTER DELETE ON task_sessions BEGIN"
	" UPDATE task_names SET n = n - 1 WHERE name = old.name AND type = old.type"
	"  AND session_type = old.session_type AND state = old.state AND result = old.result;"
	" DELETE FROM task_names WHERE n <= 0 AND name = old.name AND type = old.type"
	"  AND session_type = old.session_type AND state = old.state AND result = old.result;"
	" END;"
	"CREATE TRIGGER task_names_upd AFTER UPDATE OF name, type, session_type, state, result ON task_sessions"
	" WHEN old.name IS NOT new.name OR old.type IS NOT new.type OR old.session_type IS NOT new.session_type"
	"  OR old.state IS NOT new.state OR old.result IS NOT new.result BEGIN"
	" UPDATE task_names SET n = n - 1 WHERE name = old.name AND type = old.type"
	"  AND session_type = old.session_type AND state = old.state AND result = old.result;"
	" DELETE FROM task_names WHERE n <= 0 AND name = old.name AND type = old.type"
	"  AND session_type = old.session_type AND state = old.state AND result = old.result;"
	" INSERT INTO task_names VALUES(new.name, new.type, new.session_type, new.state, new.result, 1)"
	"  ON CONFLICT(name, type, session_type, state, result) DO UPDATE SET n = n + 1;"
	" END;"
	"DROP INDEX sessions_end;"
	"CREATE INDEX sessions_end ON sessions(end_time, id, type, state, result);"
	/* session_days: how many sessions were created on each day (UTC, the floor of creation
	 * over 86400 s in µs) with each (type, state, result). A total under a creation range
	 * sums the whole days inside it here and counts the part days at its ends in the
	 * creation index (store/sqlgen.c), so it costs the same for a day as for a year. */
	"CREATE TABLE session_days(day INTEGER NOT NULL, type INTEGER NOT NULL, state INTEGER NOT NULL,"
	" result INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(day, type, state, result)) WITHOUT ROWID;"
	"INSERT INTO session_days SELECT (creation - ((creation % 86400000000) + 86400000000) % 86400000000)"
	" / 86400000000, type, state, result, count(*) FROM sessions WHERE 1 GROUP BY 1, 2, 3, 4;"
	"CREATE TRIGGER session_days_ins AFTER INSERT ON sessions BEGIN"
	" INSERT INTO session_days VALUES((new.creation - ((new.creation % 86400000000) + 86400000000) % 86400000000)"
	"  / 86400000000, new.type, new.state, new.result, 1)"
	"  ON CONFLICT(day, type, state, result) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER session_days_del AFTER DELETE ON sessions BEGIN"
	" UPDATE session_days SET n = n - 1 WHERE day = (old.creation - ((old.creation % 86400000000) + 86400000000)"
	"  % 86400000000) / 86400000000 AND type = old.type AND state = old.state AND result = old.result;"
	" END;"
	"CREATE TRIGGER session_days_upd AFTER UPDATE OF creation, type, state, result ON sessions"
	" WHEN old.creation IS NOT new.creation OR old.type IS NOT new.type OR old.state IS NOT new.state"
	"  OR old.result IS NOT new.result BEGIN"
	" UPDATE session_days SET n = n - 1 WHERE day = (old.creation - ((old.creation % 86400000000) + 86400000000)"
	"  % 86400000000) / 86400000000 AND type = old.type AND state = old.state AND result = old.result;"
	" INSERT INTO session_days VALUES((new.creation - ((new.creation % 86400000000) + 86400000000) % 86400000000)"
	"  / 86400000000, new.type, new.state, new.result, 1)"
	"  ON CONFLICT(day, type, state, result) DO UPDATE SET n = n + 1;"
	" END;",
	/* 8: bounded filtered pages and totals. session_counts also tells is_canceled and
	 * stop_requested apart (the Azure statuses test them), so those totals are sums too.
	 * session_end_days counts the ended sessions per (UTC day of end_time, type, state,
	 * result) as session_days does by creation, for totals under end-time ranges.
	 * sessions_ended_early holds the sessions that ended before they were created (core
	 * writes none): while it is empty, an upper bound on end_time is one on creation too,
	 * and a page of sessions ended before a time is a range of the creation index.
	 * task_sessions_creation carries the tested columns, so that a page or total of task
	 * sessions in a time range reads index entries only; sessions_job carries id, type,
	 * state, result and end_time, so that a job's page or total under those filters does
	 * too (a job's sessions lie on as many table pages as it has sessions). */
	"DROP TRIGGER session_counts_ins; DROP TRIGGER session_counts_del; DROP TRIGGER session_counts_upd;"
	"DROP TABLE session_counts;"
	"CREATE TABLE session_counts(type INTEGER NOT NULL, state INTEGER NOT NULL, result INTEGER NOT NULL,"
	" is_canceled INTEGER NOT NULL, stop_requested INTEGER NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY(type, state, result, is_canceled, stop_requested)) WITHOUT ROWID;"
	"INSERT INTO session_counts SELECT type, state, result, is_canceled, stop_requested, count(*) FROM sessions"
	" WHERE 1 GROUP BY 1, 2, 3, 4, 5;"
	"CREATE TRIGGER session_counts_ins AFTER INSERT ON sessions BEGIN"
	" INSERT INTO session_counts VALUES(new.type, new.state, new.result, new.is_canceled, new.stop_requested, 1)"
	"  ON CONFLICT(type, state, result, is_canceled, stop_requested) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER session_counts_del AFTER DELETE ON sessions BEGIN"
	" UPDATE session_counts SET n = n - 1 WHERE type = old.type AND state = old.state AND result = old.result"
	"  AND is_canceled = old.is_canceled AND stop_requested = old.stop_requested;"
	" END;"
	"CREATE TRIGGER session_counts_upd AFTER UPDATE OF type, state, result, is_canceled, stop_requested ON sessions"
	" WHEN old.type IS NOT new.type OR old.state IS NOT new.state OR old.result IS NOT new.result"
	"  OR old.is_canceled IS NOT new.is_canceled OR old.stop_requested IS NOT new.stop_requested BEGIN"
	" UPDATE session_counts SET n = n - 1 WHERE type = old.type AND state = old.state AND result = old.result"
	"  AND is_canceled = old.is_canceled AND stop_requested = old.stop_requested;"
	" INSERT INTO session_counts VALUES(new.type, new.state, new.result, new.is_canceled, new.stop_requested, 1)"
	"  ON CONFLICT(type, state, result, is_canceled, stop_requested) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TABLE session_end_days(day INTEGER NOT NULL, type INTEGER NOT NULL, state INTEGER NOT NULL,"
	" result INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(day, type, state, result)) WITHOUT ROWID;"
	"INSERT INTO session_end_days SELECT (end_time - ((end_time % 86400000000) + 86400000000) % 86400000000)"
	" / 86400000000, type, state, result, count(*) FROM sessions WHERE end_time IS NOT NULL GROUP BY 1, 2, 3, 4;"
	"CREATE TRIGGER session_end_days_ins AFTER INSERT ON sessions WHEN new.end_time IS NOT NULL BEGIN"
	" INSERT INTO session_end_days VALUES((new.end_time - ((new.end_time % 86400000000) + 86400000000)"
	"  % 86400000000) / 86400000000, new.type, new.state, new.result, 1)"
	"  ON CONFLICT(day, type, state, result) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER session_end_days_del AFTER DELETE ON sessions WHEN old.end_time IS NOT NULL BEGIN"
	" UPDATE session_end_days SET n = n - 1 WHERE day = (old.end_time - ((old.end_time % 86400000000) + 86400000000)"
	"  % 86400000000) / 86400000000 AND type = old.type AND state = old.state AND result = old.result;"
	" END;"
	"CREATE TRIGGER session_end_days_upd AFTER UPDATE OF end_time, type, state, result ON sessions"
	" WHEN old.end_time IS NOT new.end_time OR (new.end_time IS NOT NULL AND (old.type IS NOT new.type"
	"  OR old.state IS NOT new.state OR old.result IS NOT new.result)) BEGIN"
	" UPDATE session_end_days SET n = n - 1 WHERE old.end_time IS NOT NULL"
	"  AND day = (old.end_time - ((old.end_time % 86400000000) + 86400000000) % 86400000000) / 86400000000"
	"  AND type = old.type AND state = old.state AND result = old.result;"
	" INSERT INTO session_end_days SELECT (new.end_time - ((new.end_time % 86400000000) + 86400000000)"
	"  % 86400000000) / 86400000000, new.type, new.state, new.result, 1 WHERE new.end_time IS NOT NULL"
	"  ON CONFLICT(day, type, state, result) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE INDEX sessions_ended_early ON sessions(creation) WHERE end_time < creation;"
	"DROP INDEX sessions_job;"
	"CREATE INDEX sessions_job ON sessions(job_id, creation, id, type, state, result, end_time);"
	"DROP INDEX task_sessions_creation;"
	"CREATE INDEX task_sessions_creation ON task_sessions(creation, id, type, session_type, state, result, name);",
};

const int store_sql_migration_count = sizeof(store_sql_migrations) / sizeof(store_sql_migrations[0]);

/* ---------- the list tables for sqlgen: query fields and orders as columns ---------- */

static const char *const sess_field_col[QF__COUNT] = {
	[QF_ID] = "id", [QF_NAME] = "name", [QF_TYPE] = "type", [QF_STATE] = "state",
	[QF_RESULT] = "result", [QF_CREATION] = "creation", [QF_END] = "end_time",
	[QF_JOB_ID] = "job_id", [QF_JOB_NAME] = "job_name", [QF_PARENT_ID] = "parent_id",
	[QF_RESOURCE_ID] = "resource_id", [QF_USN] = "usn", [QF_PROGRESS] = "progress",
	[QF_INITIATED_BY] = "initiated_by", [QF_IS_RETRY] = "is_retry",
	[QF_BACKUP_SERVER] = "backup_server", [QF_PLATFORM] = "platform",
	[QF_IS_CANCELED] = "is_canceled", [QF_STOP_REQUESTED] = "stop_requested", [QF_LEASE] = "lease",
};

static const char *const task_field_col[QF__COUNT] = {
	[QF_ID] = "id", [QF_NAME] = "name", [QF_STATE] = "state", [QF_RESULT] = "result",
	[QF_CREATION] = "creation", [QF_END] = "end_time", [QF_USN] = "usn",
	[QF_PROGRESS] = "progress", [QF_IS_CANCELED] = "is_canceled",
	[QF_SESSION_ID] = "session_id", [QF_TASK_TYPE] = "type", [QF_SESSION_TYPE] = "session_type",
};

static const char *const sess_order_col[QO__COUNT] = {
	[QO_CREATION] = "creation", [QO_NAME] = "name", [QO_TYPE] = "type", [QO_END] = "end_time",
	[QO_STATE] = "state", [QO_RESULT] = "result", [QO_INITIATED_BY] = "initiated_by",
	[QO_USN] = "usn", [QO_JOB_NAME] = "job_name", [QO_PROGRESS] = "progress",
	[QO_TASK_TYPE] = "type", [QO_SESSION_TYPE] = "type",
};

static const char *const task_order_col[QO__COUNT] = {
	[QO_CREATION] = "creation", [QO_NAME] = "name", [QO_TYPE] = "type", [QO_END] = "end_time",
	[QO_STATE] = "state", [QO_RESULT] = "result", [QO_USN] = "usn", [QO_PROGRESS] = "progress",
	[QO_TASK_TYPE] = "type", [QO_SESSION_TYPE] = "session_type", [QO_INITIATED_BY] = "name",
	[QO_JOB_NAME] = "name",
};

/* The columns of session_names and task_names (SQLite migration 7): the fields a total
 * can be summed over by group. */
static const char *const sess_group_col[QF__COUNT] = {
	[QF_NAME] = "name", [QF_TYPE] = "type", [QF_STATE] = "state", [QF_RESULT] = "result",
	[QF_JOB_ID] = "job_id", [QF_JOB_NAME] = "job_name",
};

static const char *const task_group_col[QF__COUNT] = {
	[QF_NAME] = "name", [QF_TASK_TYPE] = "type", [QF_SESSION_TYPE] = "session_type", [QF_STATE] = "state",
	[QF_RESULT] = "result",
};

const struct sqlgen_table store_sql_sessions = {
	.name = "sessions", .cols = SESS_COLS, .field = sess_field_col, .order = sess_order_col,
	.counts = "session_counts",
};
const struct sqlgen_table store_sql_tasks = {
	.name = "task_sessions", .cols = TASK_COLS, .field = task_field_col, .order = task_order_col,
};
const struct sqlgen_table store_sql_sessions_grouped = {
	.name = "sessions", .cols = SESS_COLS, .field = sess_field_col, .order = sess_order_col,
	.counts = "session_counts", .counts_flags = 1, .groups = "session_names", .group = sess_group_col,
	.days = "session_days", .end_days = "session_end_days", .by_job = "sessions INDEXED BY sessions_job",
};
const struct sqlgen_table store_sql_tasks_grouped = {
	.name = "task_sessions", .cols = TASK_COLS, .field = task_field_col, .order = task_order_col,
	.groups = "task_names", .group = task_group_col,
};

int estate_counted(const struct estate_query *q)
{
	return q->after_usn < 0 && uuid_is_nil(&q->parent_id) && !q->name;
}
