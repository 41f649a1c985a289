/* libFuzzer target: JSON ingest bodies through the real ingest handlers. The
 * first byte picks the endpoint; the rest is the body, sent as the admin with
 * x-api-version 1.3-rev2. Sessions a body may stop are made fresh for it. */
#include "fuzz_req.h"

static const struct {
	const char *method;
	const char *path;      /* %s: a fresh running session (or its task) */
	int target;            /* 0 none, 1 session, 2 task */
} ops[] = {
	{"POST", "/api/v1/sessions", 0},
	{"PATCH", "/api/v1/sessions/%s", 1},
	{"POST", "/api/v1/sessions/%s/logs", 1},
	{"PATCH", "/api/v1/sessions/%s/logs/1", 1},
	{"POST", "/api/v1/sessions/%s/complete", 1},
	{"POST", "/api/v1/sessions/%s/taskSessions", 1},
	{"PATCH", "/api/v1/taskSessions/%s", 2},
	{"POST", "/api/v1/taskSessions/%s/logs", 2},
	{"PATCH", "/api/v1/taskSessions/%s/logs/1", 2},
	{"POST", "/api/v1/taskSessions/%s/complete", 2},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static char sid[40], tid[40];
static int used;   /* the fresh session/task may have been changed by the last body */

static void fresh(void)
{
	fz_new_session(sid, sizeof(sid), 0);
	char req[512];
	snprintf(req, sizeof(req),
	         "POST /api/v1/sessions/%s/taskSessions\nx-api-version: 1.3-rev2\nAuthorization: Bearer @reporter\n\n"
	         "{\"name\":\"vm\",\"type\":\"Backup\"}", sid);
	struct fz_grab g = {NULL, tid, sizeof(tid)};
	fz_request_str(req, fz_grab, &g);
	char lreq[512];
	snprintf(lreq, sizeof(lreq),
	         "POST /api/v1/taskSessions/%s/logs\nx-api-version: 1.3-rev2\nAuthorization: Bearer @reporter\n\n"
	         "{\"records\":[{\"status\":\"None\",\"title\":\"t\"}]}", tid);
	fz_request_str(lreq, NULL, NULL);
	snprintf(lreq, sizeof(lreq),
	         "POST /api/v1/sessions/%s/logs\nx-api-version: 1.3-rev2\nAuthorization: Bearer @reporter\n\n"
	         "{\"records\":[{\"status\":\"None\",\"title\":\"t\"}]}", sid);
	fz_request_str(lreq, NULL, NULL);
	used = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	if(size < 1 || size > 1 << 16)
		return 0;
	unsigned op = data[0] % NOPS;
	if(ops[op].target && (used || !sid[0]))
		fresh();
	char path[128];
	snprintf(path, sizeof(path), ops[op].path, ops[op].target == 2 ? tid : sid);
	if(ops[op].target)
		used = 1;
	struct buf in;
	buf_init(&in, 0);
	buf_printf(&in, "%s %s\nx-api-version: 1.3-rev2\nAuthorization: Bearer @admin\n"
	           "Content-Type: application/json\n\n", ops[op].method, path);
	buf_add(&in, data + 1, size - 1);
	fz_request(in.p, in.len, NULL, NULL);
	buf_free(&in);
	return 0;
}
