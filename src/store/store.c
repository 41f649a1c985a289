#include "store.h"

#include <stdio.h>
#include <string.h>

static int is_pg(const char *uri)
{
	return !strncmp(uri, "postgres://", 11) || !strncmp(uri, "postgresql://", 13);
}

enum rc store_open(const char *uri, const struct store_ops **ops, struct store **s, char *err, size_t errlen)
{
	return store_open_read(uri, NULL, ops, s, err, errlen);
}

enum rc store_open_read(const char *uri, const char *read_uri, const struct store_ops **ops, struct store **s,
                        char *err, size_t errlen)
{
	if(read_uri && read_uri[0] && (!is_pg(uri) || !is_pg(read_uri))) {
		snprintf(err, errlen, "--db-read takes a postgres:// replica of a postgres:// --db");
		return RC_INVALID;
	}
	if(is_pg(uri)) {
		*ops = &store_pg;
		return store_pg_open(uri, read_uri && read_uri[0] ? read_uri : NULL, s, err, errlen);
	}
	*ops = &store_sqlite;
	return store_sqlite.open(uri, s, err, errlen);
}
