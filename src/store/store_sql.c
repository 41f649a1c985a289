#include "store_sql.h"

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
};

const int store_sql_migration_count = sizeof(store_sql_migrations) / sizeof(store_sql_migrations[0]);
