#include "store.h"

#include <stddef.h>
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

int store_ops_missing(const struct store_ops *ops)
{
	typedef void (*fn)(void);
	static const size_t optional[] = {
		offsetof(struct store_ops, usn_fresh),
		offsetof(struct store_ops, reads_rarely),
		offsetof(struct store_ops, tx_begin_batch),
		offsetof(struct store_ops, tx_savepoint_one),
	};
	const size_t first = offsetof(struct store_ops, open);
	const size_t n = (sizeof(*ops) - first) / sizeof(fn);
	for(size_t i = 0; i < n; i++) {
		fn f;
		memcpy(&f, (const char *)ops + first + i * sizeof(fn), sizeof(f));
		int opt = 0;
		for(size_t k = 0; k < sizeof(optional) / sizeof(optional[0]); k++)
			opt |= optional[k] == first + i * sizeof(fn);
		if(!f && !opt)
			return (int)i;
	}
	return -1;
}
