#include "store.h"

#include <stdio.h>
#include <string.h>

enum rc store_open(const char *uri, const struct store_ops **ops, struct store **s, char *err, size_t errlen)
{
	if(!strncmp(uri, "postgres://", 11) || !strncmp(uri, "postgresql://", 13)) {
		*ops = &store_pg;
		return store_pg.open(uri, s, err, errlen);
	}
	*ops = &store_sqlite;
	return store_sqlite.open(uri, s, err, errlen);
}
