/* The PostgreSQL driver's connections and rows: connecting, running prepared
 * statements, statement parameters (text, or 16-byte binary ids)
 * and the records read from text-format results, in the column order of the
 * SESS_COLS / TASK_COLS lists and the driver's own lists (pg.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"

void pgp_int(struct pg_params *p, int64_t v)
{
	int i = p->n++;
	snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, v);
	p->v[i] = p->num[i];
	p->len[i] = 0;
	p->fmt[i] = 0;
}

void pgp_null(struct pg_params *p)
{
	int i = p->n++;
	p->v[i] = NULL;
	p->len[i] = 0;
	p->fmt[i] = 0;
}

void pgp_time(struct pg_params *p, int64_t v)
{
	if(v)
		pgp_int(p, v);
	else
		pgp_null(p);
}

void pgp_text(struct pg_params *p, const char *s)
{
	int i = p->n++;
	p->v[i] = s;
	p->len[i] = 0;
	p->fmt[i] = 0;
}

void pgp_uuid(struct pg_params *p, const struct uuid *u)
{
	if(!u || uuid_is_nil(u)) {
		pgp_null(p);
		return;
	}
	int i = p->n++;
	p->v[i] = (const char *)u->b;
	p->len[i] = 16;
	p->fmt[i] = 1;
}

int64_t pg_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *pg_text(const PGresult *r, int row, int col, struct arena *a)
{
	if(PQgetisnull(r, row, col))
		return NULL;
	return arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* bytea in its text form: "\x" and 32 hex digits. */
void pg_uuid(const PGresult *r, int row, int col, struct uuid *u)
{
	memset(u, 0, sizeof(*u));
	if(PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 34)
		return;
	const char *v = PQgetvalue(r, row, col);
	if(v[0] != '\\' || v[1] != 'x')
		return;
	for(int i = 0; i < 16; i++) {
		int hi = hexval(v[2 + 2 * i]), lo = hexval(v[3 + 2 * i]);
		if(hi < 0 || lo < 0) {
			memset(u, 0, sizeof(*u));
			return;
		}
		u->b[i] = (uint8_t)(hi << 4 | lo);
	}
}

void pg_read_sess(const PGresult *r, int row, struct arena *a, struct sess_rec *s)
{
	memset(s, 0, sizeof(*s));
	pg_uuid(r, row, 0, &s->id);
	s->usn = pg_int(r, row, 1);
	s->name = pg_text(r, row, 2, a);
	s->type = (int)pg_int(r, row, 3);
	s->state = (int)pg_int(r, row, 4);
	s->result = (int)pg_int(r, row, 5);
	s->progress = (int)pg_int(r, row, 6);
	s->is_canceled = (int)pg_int(r, row, 7);
	s->is_retry = (int)pg_int(r, row, 8);
	s->stop_requested = (int)pg_int(r, row, 9);
	s->creation_us = pg_int(r, row, 10);
	s->end_us = pg_int(r, row, 11);
	pg_uuid(r, row, 12, &s->job_id);
	pg_uuid(r, row, 13, &s->parent_id);
	pg_uuid(r, row, 14, &s->resource_id);
	s->job_name = pg_text(r, row, 15, a);
	s->resource_ref = pg_text(r, row, 16, a);
	s->platform_name = pg_text(r, row, 17, a);
	s->initiated_by = pg_text(r, row, 18, a);
	s->message = pg_text(r, row, 19, a);
	s->backup_server = pg_text(r, row, 20, a);
	s->extra = pg_text(r, row, 21, a);
	s->lease_us = pg_int(r, row, 22);
	s->heartbeat_s = (int)pg_int(r, row, 23);
}

void pg_bind_sess(struct pg_params *p, const struct sess_rec *s)
{
	p->n = 0;
	pgp_uuid(p, &s->id);
	pgp_int(p, s->usn);
	pgp_text(p, s->name ? s->name : "");
	pgp_int(p, s->type);
	pgp_int(p, s->state);
	pgp_int(p, s->result);
	pgp_int(p, s->progress);
	pgp_int(p, s->is_canceled);
	pgp_int(p, s->is_retry);
	pgp_int(p, s->stop_requested);
	pgp_int(p, s->creation_us);
	pgp_time(p, s->end_us);
	pgp_uuid(p, &s->job_id);
	pgp_uuid(p, &s->parent_id);
	pgp_uuid(p, &s->resource_id);
	pgp_text(p, s->job_name);
	pgp_text(p, s->resource_ref);
	pgp_text(p, s->platform_name);
	pgp_text(p, s->initiated_by);
	pgp_text(p, s->message);
	pgp_text(p, s->backup_server);
	pgp_text(p, s->extra);
	pgp_time(p, s->lease_us);
	pgp_int(p, s->heartbeat_s);
}

void pg_read_task(const PGresult *r, int row, struct arena *a, struct task_rec *t)
{
	memset(t, 0, sizeof(*t));
	pg_uuid(r, row, 0, &t->id);
	t->usn = pg_int(r, row, 1);
	pg_uuid(r, row, 2, &t->session_id);
	t->name = pg_text(r, row, 3, a);
	t->type = (int)pg_int(r, row, 4);
	t->session_type = (int)pg_int(r, row, 5);
	t->state = (int)pg_int(r, row, 6);
	t->result = (int)pg_int(r, row, 7);
	t->progress = (int)pg_int(r, row, 8);
	t->is_canceled = (int)pg_int(r, row, 9);
	t->total_size = pg_int(r, row, 10);
	t->creation_us = pg_int(r, row, 11);
	t->end_us = pg_int(r, row, 12);
	pg_uuid(r, row, 13, &t->restore_point_id);
	pg_uuid(r, row, 14, &t->repository_id);
	t->message = pg_text(r, row, 15, a);
	t->reason = pg_text(r, row, 16, a);
	t->extra = pg_text(r, row, 17, a);
}

void pg_bind_task(struct pg_params *p, const struct task_rec *t)
{
	p->n = 0;
	pgp_uuid(p, &t->id);
	pgp_int(p, t->usn);
	pgp_uuid(p, &t->session_id);
	pgp_text(p, t->name ? t->name : "");
	pgp_int(p, t->type);
	pgp_int(p, t->session_type);
	pgp_int(p, t->state);
	pgp_int(p, t->result);
	pgp_int(p, t->progress);
	pgp_int(p, t->is_canceled);
	pgp_int(p, t->total_size);
	pgp_int(p, t->creation_us);
	pgp_time(p, t->end_us);
	pgp_uuid(p, &t->restore_point_id);
	pgp_uuid(p, &t->repository_id);
	pgp_text(p, t->message);
	pgp_text(p, t->reason);
	pgp_text(p, t->extra);
}

void pg_read_user(const PGresult *r, int row, struct arena *a, struct user_rec *u)
{
	memset(u, 0, sizeof(*u));
	u->uid = pg_int(r, row, 0);
	u->name = pg_text(r, row, 1, a);
	u->hash = pg_text(r, row, 2, a);
	u->role = (int)pg_int(r, row, 3);
	u->gen = pg_int(r, row, 4);
	u->created_us = pg_int(r, row, 5);
}

void pg_read_logon(const PGresult *r, int row, struct arena *a, struct logon_rec *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->sid, sizeof(l->sid), "%s", PQgetvalue(r, row, 0));
	l->uid = pg_int(r, row, 1);
	l->gen = pg_int(r, row, 2);
	l->role = (int)pg_int(r, row, 3);
	l->user = pg_text(r, row, 4, a);
	l->created_us = pg_int(r, row, 5);
	l->last_us = pg_int(r, row, 6);
}

void pg_read_emtask(const PGresult *r, int row, struct arena *a, struct emtask_rec *e)
{
	memset(e, 0, sizeof(*e));
	e->id = pg_int(r, row, 0);
	pg_uuid(r, row, 1, &e->session_id);
	e->uid = pg_int(r, row, 2);
	e->success = (int)pg_int(r, row, 3);
	e->message = pg_text(r, row, 4, a);
	e->created_us = pg_int(r, row, 5);
}

void pg_read_key(const PGresult *r, int row, struct arena *a, struct key_rec *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", PQgetvalue(r, row, 0));
	k->name = pg_text(r, row, 1, a);
	k->role = (int)pg_int(r, row, 2);
	k->hash = pg_text(r, row, 3, a);
	k->created_us = pg_int(r, row, 4);
	k->last_used_us = pg_int(r, row, 5);
}


void pg_read_estate(const PGresult *r, int row, struct arena *a, struct estate_rec *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = (int)pg_int(r, row, 0);
	pg_uuid(r, row, 1, &e->id);
	pg_uuid(r, row, 2, &e->parent_id);
	e->name = pg_text(r, row, 3, a);
	e->reporter = pg_text(r, row, 4, a);
	e->props = pg_text(r, row, 5, a);
	e->deleted = (int)pg_int(r, row, 6);
	e->created_us = pg_int(r, row, 7);
	e->updated_us = pg_int(r, row, 8);
	e->usn = pg_int(r, row, 9);
}

/* ---------- connections ---------- */

static void notice_quiet(void *arg, const PGresult *r)
{
	(void)arg;
	(void)r;
}

int pg_connect(struct pg_conn *c, const char *uri, char *err, size_t errlen)
{
	if(c->db)
		PQfinish(c->db);
	memset(c->prepared, 0, sizeof(c->prepared));
	for(int i = 0; i < PG_LIST_CACHE; i++) {
		free(c->lc[i].sql);
		c->lc[i].sql = NULL;
	}
	c->db = PQconnectdb(uri);
	if(PQstatus(c->db) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to %s: %s", uri, PQerrorMessage(c->db));
		char *nl = strchr(err, '\n');
		if(nl)
			*nl = 0;
		return -1;
	}
	PQsetNoticeReceiver(c->db, notice_quiet, NULL);
	PGresult *r = PQexec(c->db, "SET client_min_messages=warning; SET TIME ZONE 'UTC'");
	PQclear(r);
	return 0;
}

PGresult *pg_exec_prepared(struct pg_conn *c, const char *name, unsigned char *prepared, const char *sql,
                           const struct pg_params *p)
{
	if(!*prepared) {
		PGresult *r = PQprepare(c->db, name, sql, 0, NULL);
		if(PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		PQclear(r);
		*prepared = 1;
	}
	return PQexecPrepared(c->db, name, p->n, p->v, p->len, p->fmt, 0);
}

int pg_state_is(const PGresult *r, const char *state)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	return s && !strcmp(s, state);
}

