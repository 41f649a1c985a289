/* libFuzzer target: any bytes through the EM filter parser. It must either
 * accept (giving a tree) or reject with a position inside the input + 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/em/em_filter.h"

static const struct em_field fields[] = {
	{"UID", QF_ID, EMK_UID}, {"Name", QF_NAME, EMK_TEXT}, {"JobType", QF_TYPE, EMK_JOB_TYPE},
	{"CreationTime", QF_CREATION, EMK_TIME}, {"State", QF_STATE, EMK_STATE}, {"Result", QF_RESULT, EMK_RESULT},
	{"IsRetry", QF_IS_RETRY, EMK_BOOL}, {"Progress", QF_PROGRESS, EMK_INT},
	{"TaskState", QF_STATE, EMK_TASK_STATE}, {"BackupServerUid", QF_BACKUP_SERVER, EMK_SERVER_UID},
	{NULL, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	size_t len = strlen(s);
	struct arena a;
	arena_init(&a);
	struct em_filter_ctx c = {.fields = fields, .a = &a};
	const struct qexpr *e;
	struct em_filter_err err;
	if(em_filter_parse(&c, s, &e, &err)) {
		if(err.pos < 1 || err.pos > len + 1 || !err.msg[0])
			abort();
	}
	arena_free(&a);
	free(s);
	return 0;
}
