/* Updates of sessions in a pipelined batch, gathered into one statement. Most writes
 * are progress updates of running sessions: in a batch begun with pg_tx_begin_batch,
 * an update that keeps the session's type, state, result and creation (so that it
 * neither moves the row to another partition nor changes what session_counts counts)
 * is not sent on its own: the row it stores is kept (one per session: a second update
 * of a session in the batch replaces its first, and a load of it in between is served
 * from here, without a statement), and the whole set goes as one array per column (in
 * the binary format, which the server takes without parsing text) in one UPDATE …
 * FROM unnest(…) (PW_SESS_UPD_MANY), which costs one
 * statement's start-up (opening the partition and its indexes, binding, planning
 * lookup) for the batch instead of one for each update.
 *
 * The set is sent before anything that could read or write one of its rows (a load of
 * one of its sessions, any other write of one, a statement of text or of many rows),
 * and before the commit, so that every statement sees the rows as the ops before it
 * left them; writes to other tables (logs, task sessions, tokens...) and loads, inserts,
 * state changes and deletes of other sessions pass it (pg_tx.c). Each update is to
 * change exactly one row: the statement's row count is checked against the number of
 * updates before COMMIT is sent, and should it differ (a session gone, or named twice),
 * or should the server refuse the statement, the batch runs again the ordinary way,
 * each update on its own under its op's savepoint (pg_pipe.c), so every op gets the
 * answer it would alone. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"

/* ---------- arrays in PostgreSQL's binary format (array_recv) ---------- */

/* The header: dimensions, whether any element is NULL, the element type, the length
 * and lower bound of the one dimension; filled in by pg_arr_end. */
#define ARR_HEAD 20

static void put32(char *o, uint32_t v)
{
	o[0] = (char)(v >> 24);
	o[1] = (char)(v >> 16);
	o[2] = (char)(v >> 8);
	o[3] = (char)v;
}

void pg_arr_begin(struct pg_arr *a, unsigned oid)
{
	if(!a->b.max || a->b.failed)
		buf_init(&a->b, 0);   /* the first use, or one after an array too large */
	buf_reset(&a->b);
	char head[ARR_HEAD] = {0};
	buf_add(&a->b, head, sizeof(head));
	a->oid = oid;
	a->n = 0;
	a->nulls = 0;
}

void pg_arr_null(struct pg_arr *a)
{
	char len[4];
	put32(len, 0xffffffffu);
	buf_add(&a->b, len, 4);
	a->n++;
	a->nulls = 1;
}

void pg_arr_bytes(struct pg_arr *a, const void *p, size_t n)
{
	char len[4];
	put32(len, (uint32_t)n);
	buf_add(&a->b, len, 4);
	buf_add(&a->b, p, n);
	a->n++;
}

void pg_arr_i8(struct pg_arr *a, int64_t v)
{
	char o[8];
	put32(o, (uint32_t)((uint64_t)v >> 32));
	put32(o + 4, (uint32_t)v);
	pg_arr_bytes(a, o, 8);
}

void pg_arr_i4(struct pg_arr *a, int v)
{
	char o[4];
	put32(o, (uint32_t)v);
	pg_arr_bytes(a, o, 4);
}

void pg_arr_text(struct pg_arr *a, const char *s)
{
	if(s)
		pg_arr_bytes(a, s, strlen(s));
	else
		pg_arr_null(a);
}

/* NULL for the nil uuid, as pgp_uuid. */
void pg_arr_uuid(struct pg_arr *a, const struct uuid *u)
{
	if(uuid_is_nil(u))
		pg_arr_null(a);
	else
		pg_arr_bytes(a, u->b, 16);
}

int pg_arr_end(struct pg_arr *a, struct pg_params *p)
{
	if(a->b.failed)
		return -1;
	char *h = a->b.p;
	put32(h, 1);
	put32(h + 4, (uint32_t)a->nulls);
	put32(h + 8, a->oid);
	put32(h + 12, (uint32_t)a->n);
	put32(h + 16, 1);
	int i = p->n++;
	p->v[i] = a->b.p;
	p->len[i] = (int)a->b.len;
	p->fmt[i] = 1;
	return 0;
}

void pg_arr_free(struct pg_arr *a)
{
	buf_free(&a->b);
}

/* ---------- the batch's kept updates ---------- */

/* A slot of the index of gathered updates by session id, from the id's 16 bytes. */
static unsigned slot_of(const struct uuid *id, int nslots)
{
	uint64_t h0, h1;
	memcpy(&h0, id->b, 8);
	memcpy(&h1, id->b + 8, 8);
	uint64_t h = (h0 ^ (h1 * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return (unsigned)(h >> 32) & (unsigned)(nslots - 1);
}

/* The gathered update of the session id (its index in upd_recs), -1: none. */
static int find(const struct store *s, const struct uuid *id)
{
	if(!s->upd_n)
		return -1;
	for(unsigned i = slot_of(id, s->upd_nslots);; i = (i + 1) & (unsigned)(s->upd_nslots - 1)) {
		int k = s->upd_slots[i] - 1;
		if(k < 0)
			return -1;
		if(uuid_eq(&s->upd_recs[k].id, id))
			return k;
	}
}

/* Room for one more update, and its slot in the index (kept at most half full). */
static void grow(struct store *s)
{
	if(s->upd_n < s->upd_cap)
		return;
	s->upd_cap = s->upd_cap ? 2 * s->upd_cap : 64;
	s->upd_recs = xrealloc(s->upd_recs, (size_t)s->upd_cap * sizeof(*s->upd_recs));
	free(s->upd_slots);
	s->upd_nslots = 2 * s->upd_cap;
	s->upd_slots = xcalloc((size_t)s->upd_nslots, sizeof(*s->upd_slots));
	for(int k = 0; k < s->upd_n; k++) {
		unsigned i = slot_of(&s->upd_recs[k].id, s->upd_nslots);
		while(s->upd_slots[i])
			i = (i + 1) & (unsigned)(s->upd_nslots - 1);
		s->upd_slots[i] = k + 1;
	}
}

int pg_upd_add(struct store *s, const struct sess_rec *old, const struct sess_rec *r)
{
	if(!s->piped || r->type != old->type || r->state != old->state || r->result != old->result ||
	   r->creation_us != old->creation_us)
		return -1;
	int k = find(s, &r->id);
	if(k < 0) {   /* a session not gathered yet */
		grow(s);
		k = s->upd_n++;
		unsigned i = slot_of(&r->id, s->upd_nslots);
		while(s->upd_slots[i])
			i = (i + 1) & (unsigned)(s->upd_nslots - 1);
		s->upd_slots[i] = k + 1;
	}
	/* the row as it is to be stored (a second update of the session replaces the first),
	 * with its texts copied: the op's may not outlive its apply() */
	s->upd_recs[k] = *r;
	if(!s->upd_recs[k].name)
		s->upd_recs[k].name = "";   /* as pg_bind_sess stores it */
	sess_rec_own(&s->upd_recs[k], &s->upd_arena);
	s->op_wrote = 1;
	return 0;
}

int pg_upd_load(struct store *s, const struct uuid *id, struct sess_rec *out)
{
	int k = find(s, id);
	if(k < 0)
		return -1;
	*out = s->upd_recs[k];
	return 0;
}

/* The arrays of PW_SESS_UPD_MANY from the gathered rows, into p; -1: too large. */
static int bind_all(struct store *s, struct pg_params *p)
{
	struct pg_arr *c = s->upd;
	static const unsigned oids[PG_UPD_COLS] = {
		PG_OID_BYTEA, PG_OID_INT8, PG_OID_TEXT, PG_OID_INT4, PG_OID_INT4, PG_OID_INT4, PG_OID_INT4,
		PG_OID_INT8, PG_OID_INT8, PG_OID_BYTEA, PG_OID_BYTEA, PG_OID_BYTEA, PG_OID_TEXT, PG_OID_TEXT,
		PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8, PG_OID_INT4,
	};
	for(int i = 0; i < PG_UPD_COLS; i++)
		pg_arr_begin(&c[i], oids[i]);
	for(int k = 0; k < s->upd_n; k++) {
		/* the values of pg_bind_sess, with its NULLs: an unset time, a nil id */
		const struct sess_rec *r = &s->upd_recs[k];
		pg_arr_uuid(&c[0], &r->id);
		pg_arr_i8(&c[1], r->usn);
		pg_arr_text(&c[2], r->name);
		pg_arr_i4(&c[3], r->progress);
		pg_arr_i4(&c[4], r->is_canceled);
		pg_arr_i4(&c[5], r->is_retry);
		pg_arr_i4(&c[6], r->stop_requested);
		pg_arr_i8(&c[7], r->creation_us);
		if(r->end_us)
			pg_arr_i8(&c[8], r->end_us);
		else
			pg_arr_null(&c[8]);
		pg_arr_uuid(&c[9], &r->job_id);
		pg_arr_uuid(&c[10], &r->parent_id);
		pg_arr_uuid(&c[11], &r->resource_id);
		pg_arr_text(&c[12], r->job_name);
		pg_arr_text(&c[13], r->resource_ref);
		pg_arr_text(&c[14], r->platform_name);
		pg_arr_text(&c[15], r->initiated_by);
		pg_arr_text(&c[16], r->message);
		pg_arr_text(&c[17], r->backup_server);
		pg_arr_text(&c[18], r->extra);
		if(r->lease_us)
			pg_arr_i8(&c[19], r->lease_us);
		else
			pg_arr_null(&c[19]);
		pg_arr_i4(&c[20], r->heartbeat_s);
	}
	for(int i = 0; i < PG_UPD_COLS; i++)
		if(pg_arr_end(&c[i], p))
			return -1;
	return 0;
}

void pg_upd_flush(struct store *s)
{
	if(!s->upd_n)
		return;
	struct pg_params p = {0};
	int n = s->upd_n, bad = bind_all(s, &p);
	s->upd_n = 0;
	memset(s->upd_slots, 0, (size_t)s->upd_nslots * sizeof(*s->upd_slots));
	if(bad) {
		pg_pipe_redo(s, "update sessions", "too large");
		return;
	}
	char name[16];
	snprintf(name, sizeof(name), "w%d", (int)PW_SESS_UPD_MANY);
	if(!pg_pipe_send(s, name, pg_wstmt_sql[PW_SESS_UPD_MANY], &s->wconn->prepared[PW_SESS_UPD_MANY], &p,
	                 PE_ROWS, "update sessions", NULL)) {
		s->pending[s->npending - 1].rows = n;
		s->upd_sent += n;
		s->upd_stmts++;
	}
}

int pg_upd_has(const struct store *s, const struct uuid *id)
{
	return find(s, id) >= 0;
}

void pg_upd_drop(struct store *s)
{
	if(s->upd_n)
		memset(s->upd_slots, 0, (size_t)s->upd_nslots * sizeof(*s->upd_slots));
	s->upd_n = 0;
	arena_reset(&s->upd_arena);
}

void pg_upd_free(struct store *s)
{
	for(int c = 0; c < PG_UPD_COLS; c++)
		pg_arr_free(&s->upd[c]);
	free(s->upd_recs);
	free(s->upd_slots);
	s->upd_recs = NULL;
	s->upd_slots = NULL;
	s->upd_n = s->upd_cap = s->upd_nslots = 0;
	arena_free(&s->upd_arena);
}
