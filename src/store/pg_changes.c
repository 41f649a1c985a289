/* session_changes, the change feed's index of sessions by usn (pg_sql.c, migration 7):
 * one row (usn, id) per session, of its newest usn. A batch's writes do not touch it one
 * by one, which would cost a statement and an index entry per write: each session write
 * notes the row it adds and the row it replaces, and the commit sends both lists in one
 * statement. The lists only grow while the batch runs (an op undone to its savepoint
 * cuts them back to where they were): a row that the batch added and then replaced
 * (a session written twice, or written and deleted) is in both, and is left out of
 * both when the statement is bound (it never reached the table). So the rows stay
 * exactly one per session, of its usn, which the feed's reads rely on (they join on
 * the id). The statement deletes the rows replaced through the index, one lookup
 * each, and appends the rows added: about a third of the cost of finding the pairs
 * in SQL (EXCEPT), which it did before. */
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"

static void put(struct pg_changes *c, int64_t seq, const struct uuid *id)
{
	if(c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->seq = xrealloc(c->seq, (size_t)c->cap * sizeof(*c->seq));
		c->id = xrealloc(c->id, (size_t)c->cap * sizeof(*c->id));
	}
	c->seq[c->n] = seq;
	c->id[c->n] = *id;
	c->n++;
}

void pg_changes_note(struct store *s, const struct uuid *id, int64_t old_usn, int64_t usn)
{
	if(old_usn == usn)
		return;   /* the row stays */
	if(old_usn >= 0)
		put(&s->chg_del, old_usn, id);
	if(usn >= 0)
		put(&s->chg_add, usn, id);
}

void pg_changes_forget(struct store *s, const struct uuid *id)
{
	for(int i = s->chg_add.n - 1; i >= 0; i--)
		if(uuid_eq(&s->chg_add.id[i], id))
			put(&s->chg_del, s->chg_add.seq[i], id);
}

void pg_changes_mark(struct store *s)
{
	s->chg_add_sp = s->chg_add.n;
	s->chg_del_sp = s->chg_del.n;
}

void pg_changes_undo(struct store *s, int all)
{
	s->chg_add.n = all ? 0 : s->chg_add_sp < s->chg_add.n ? s->chg_add_sp : s->chg_add.n;
	s->chg_del.n = all ? 0 : s->chg_del_sp < s->chg_del.n ? s->chg_del_sp : s->chg_del.n;
	if(all)
		s->chg_add_sp = s->chg_del_sp = 0;
}

/* The usns and the ids of the rows of c not marked in skip, into p as two arrays. */
static void bind(struct pg_params *p, const struct pg_changes *c, const unsigned char *skip, struct pg_arr *seqs,
                 struct pg_arr *ids)
{
	pg_arr_begin(seqs, PG_OID_INT8);
	pg_arr_begin(ids, PG_OID_BYTEA);
	for(int i = 0; i < c->n; i++)
		if(!skip[i]) {
			pg_arr_i8(seqs, c->seq[i]);
			pg_arr_bytes(ids, c->id[i].b, 16);
		}
	if(pg_arr_end(seqs, p) || pg_arr_end(ids, p))
		abort();   /* 28 bytes a row: far below the bound of a buffer */
}

/* Orders rows of session_changes (indexes into a struct pg_changes) by usn, then id. */
static const struct pg_changes *cmp_of;
static int cmp_row(const void *x, const void *y)
{
	int i = *(const int *)x, j = *(const int *)y;
	if(cmp_of->seq[i] != cmp_of->seq[j])
		return cmp_of->seq[i] < cmp_of->seq[j] ? -1 : 1;
	return memcmp(cmp_of->id[i].b, cmp_of->id[j].b, 16);
}

/* Marks in skip_add and skip_del the rows that are both added and replaced. */
static void pairs(const struct pg_changes *add, const struct pg_changes *del, unsigned char *skip_add,
                  unsigned char *skip_del)
{
	if(!add->n || !del->n)
		return;
	int *order = xmalloc((size_t)add->n * sizeof(*order));
	for(int i = 0; i < add->n; i++)
		order[i] = i;
	cmp_of = add;   /* the writer thread's only */
	qsort(order, (size_t)add->n, sizeof(*order), cmp_row);
	for(int d = 0; d < del->n; d++) {
		int lo = 0, hi = add->n;
		while(lo < hi) {
			int mid = (lo + hi) / 2, i = order[mid];
			int c = add->seq[i] != del->seq[d] ? (add->seq[i] < del->seq[d] ? -1 : 1)
			                                     : memcmp(add->id[i].b, del->id[d].b, 16);
			if(!c) {
				skip_add[i] = skip_del[d] = 1;
				break;
			}
			if(c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	free(order);
}

int pg_changes_params(struct store *s, struct pg_params *p, struct pg_arr arrs[4])
{
	p->n = 0;
	if(!s->chg_add.n && !s->chg_del.n)
		return 0;
	unsigned char *skip_add = xcalloc((size_t)s->chg_add.n + 1, 1), *skip_del = xcalloc((size_t)s->chg_del.n + 1, 1);
	pairs(&s->chg_add, &s->chg_del, skip_add, skip_del);
	bind(p, &s->chg_add, skip_add, &arrs[0], &arrs[1]);
	bind(p, &s->chg_del, skip_del, &arrs[2], &arrs[3]);
	free(skip_add);
	free(skip_del);
	return 1;
}

void pg_changes_free(struct store *s)
{
	free(s->chg_add.seq);
	free(s->chg_add.id);
	free(s->chg_del.seq);
	free(s->chg_del.id);
	memset(&s->chg_add, 0, sizeof(s->chg_add));
	memset(&s->chg_del, 0, sizeof(s->chg_del));
}
