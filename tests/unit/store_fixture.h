/* A store on a database file in a fresh temporary directory, for unit tests.
 * fx_open() creates it; fx_close() closes the store and removes the directory. */
#ifndef SESSIOND_TESTS_STORE_FIXTURE_H
#define SESSIOND_TESTS_STORE_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

struct fx {
	const struct store_ops *ops;
	struct store *s;
	char dir[128];
	char path[192];
	struct arena a;
};

static inline void fx_mkdir(struct fx *f)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/sessiond-unit-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if(!mkdtemp(f->dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
}

static inline void fx_rmdir(struct fx *f)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[256];
	for(size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
}

/** Opens (or reopens) the store at f->path; aborts the test on failure. */
static inline struct store *fx_reopen(struct fx *f)
{
	char err[256] = "";
	enum rc rc = f->ops->open(f->path, &f->s, err, sizeof(err));
	if(rc) {
		fprintf(stderr, "open %s: %s (%s)\n", f->path, rc_name(rc), err);
		abort();
	}
	return f->s;
}

static inline void fx_open(struct fx *f, const struct store_ops *ops)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	fx_mkdir(f);
	fx_reopen(f);
	arena_init(&f->a);
}

static inline void fx_shut(struct fx *f)
{
	if(f->s)
		f->ops->close(f->s);
	f->s = NULL;
}

static inline void fx_close(struct fx *f)
{
	fx_shut(f);
	arena_free(&f->a);
	fx_rmdir(f);
}

#endif
