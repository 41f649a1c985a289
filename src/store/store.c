#include "store.h"

#include <stdio.h>
#include <string.h>

enum rc store_open(const char *uri, const struct store_ops **ops, struct store **s, char *err, size_t errlen)
{
	if(!strncmp(uri, "postgres://", 11) || !strncmp(uri, "postgresql://", 13)) {
		snprintf(err, errlen, "PostgreSQL is not available in this build; use a SQLite file path");
		return RC_INVALID;
	}
	*ops = &store_sqlite;
	return store_sqlite.open(uri, s, err, errlen);
}
