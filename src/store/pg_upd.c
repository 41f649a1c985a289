/* Updates of sessions in a pipelined batch, gathered into one statement. Most writes
 * are progress updates of running sessions: in a batch begun with pg_tx_begin_batch,
 * an update that keeps the session's type, state, result and creation (so that it
 * neither moves the row to another partition nor changes what session_counts counts)
 * is not sent on its own. Its values are appended to one array per column, and the
 * whole set goes as one UPDATE … FROM unnest(…) (PW_SESS_UPD_MANY), which costs one
 * statement's start-up (opening the partition and its indexes, binding, planning
 * lookup) for the batch instead of one for each update.
 *
 * The set is sent before anything that could read or write a sessions row (a load,
 * another kind of session write, a statement of text), and before the commit, so that
 * every statement sees the rows as the ops before it left them; writes to other tables
 * (logs, task sessions, tokens...) pass it. Each update is to change exactly one row:
 * the statement's row count is checked against the number of updates before COMMIT is
 * sent, and should it differ (a session gone, or named twice), or should the server
 * refuse the statement, the batch runs again the ordinary way, each update on its own
 * under its op's savepoint (pg_pipe.c), so every op gets the answer it would alone. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"

/* The parameters of pg_bind_sess that PW_SESS_UPD_MANY takes, in its order: the id,
 * then every column a kept update sets, and the creation that finds the partition. */
static const int upd_cols[PG_UPD_COLS] = {0, 1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

/* Appends one element of an array literal: NULL, a number, a bytea in hex, or a text
 * quoted (backslash before every quote and backslash). */
static void element(struct buf *b, const struct pg_params *p, int i, int text)
{
	if(b->len > 1)
		buf_addc(b, ',');
	if(!p->v[i]) {
		buf_addstr(b, "NULL");
		return;
	}
	if(p->fmt[i]) {   /* a 16-byte id */
		char hex[33];
		uuid_hex((const struct uuid *)(const void *)p->v[i], hex);
		hex[32] = 0;
		buf_addstr(b, "\"\\\\x");
		buf_addstr(b, hex);
		buf_addc(b, '"');
		return;
	}
	if(!text) {
		buf_addstr(b, p->v[i]);
		return;
	}
	buf_addc(b, '"');
	for(const char *c = p->v[i]; *c; c++) {
		if(*c == '"' || *c == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *c);
	}
	buf_addc(b, '"');
}

/* Whether parameter i of pg_bind_sess is a text (quoted in an array literal). */
static int is_text(int i)
{
	return i == 2 || (i >= 15 && i <= 21);
}

int pg_upd_add(struct store *s, const struct sess_rec *old, const struct sess_rec *r)
{
	if(!s->piped || r->type != old->type || r->state != old->state || r->result != old->result ||
	   r->creation_us != old->creation_us)
		return -1;
	if(!s->upd_n)
		for(int c = 0; c < PG_UPD_COLS; c++) {
			if(!s->upd[c].max || s->upd[c].failed)
				buf_init(&s->upd[c], 0);   /* the first batch, or one after a batch too large */
			buf_reset(&s->upd[c]);
			buf_addc(&s->upd[c], '{');
		}
	struct pg_params p;
	pg_bind_sess(&p, r);
	for(int c = 0; c < PG_UPD_COLS; c++)
		element(&s->upd[c], &p, upd_cols[c], is_text(upd_cols[c]));
	s->upd_n++;
	s->op_wrote = 1;
	return 0;
}

void pg_upd_flush(struct store *s)
{
	if(!s->upd_n)
		return;
	int n = s->upd_n;
	s->upd_n = 0;
	struct pg_params p = {0};
	for(int c = 0; c < PG_UPD_COLS; c++) {
		buf_addc(&s->upd[c], '}');
		if(s->upd[c].failed) {
			pg_pipe_redo(s, "update sessions", "too large");
			return;
		}
		pgp_text(&p, buf_cstr(&s->upd[c]));
	}
	char name[16];
	snprintf(name, sizeof(name), "w%d", (int)PW_SESS_UPD_MANY);
	if(!pg_pipe_send(s, name, pg_wstmt_sql[PW_SESS_UPD_MANY], &s->wconn->prepared[PW_SESS_UPD_MANY], &p,
	                 PE_ROWS, "update sessions", NULL))
		s->pending[s->npending - 1].rows = n;
}

void pg_upd_drop(struct store *s)
{
	s->upd_n = 0;
}

void pg_upd_free(struct store *s)
{
	for(int c = 0; c < PG_UPD_COLS; c++)
		buf_free(&s->upd[c]);
	s->upd_n = 0;
}
