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
};

const int store_sql_migration_count = sizeof(store_sql_migrations) / sizeof(store_sql_migrations[0]);
