/* core/estate: the verbs and reads of the backup estate. What a kind is and which
 * properties it takes is model/estate.def's; what a write does is decided here. */
#include <string.h>

#include "core/core.h"
#include "core/write.h"
#include "model/estate.h"
#include "util/timefmt.h"

/* ---------- reads ---------- */

static int first(void *ctx, const struct estate_rec *e)
{
	*(struct estate_rec *)ctx = *e;
	return 1;
}

enum rc core_estate_find(int kind, const char *name, struct arena *a, struct estate_rec *out)
{
	struct estate_query q = {.kind = kind, .name = name, .after_usn = -1, .limit = 1};
	memset(out, 0, sizeof(*out));
	enum rc rc = core_estate_list(&q, a, first, out, NULL);
	if(!rc && !out->kind)
		rc = RC_NOTFOUND;
	return rc;
}

/* ---------- writes ---------- */

static void out_estate(struct core_write *w, const struct estate_rec *e)
{
	w->estate = *e;
	w->estate.name = core__dup(w, e->name);
	w->estate.reporter = core__dup(w, e->reporter);
	w->estate.props = core__dup(w, e->props);
}

static enum rc apply_estate_put(struct core_write *w, struct store_tx *tx)
{
	const struct store_ops *ops = tx->ops;
	struct estate_rec e = w->in.estate, old, parent;
	enum rc rc;
	if(!uuid_is_nil(&e.parent_id)) {
		int pk = estate_kind_parent(e.kind);
		rc = ops->tx_estate_load(tx->s, pk, &e.parent_id, tx->a, &parent);
		if(rc == RC_NOTFOUND || (!rc && parent.deleted))
			return core__refuse(w, RC_INVALID, "parentId names no %s", estate_kind_name(pk));
		if(rc)
			return core__backend(w, tx, rc, "load the parent");
	}
	rc = ops->tx_estate_load(tx->s, e.kind, &e.id, tx->a, &old);
	if(rc && rc != RC_NOTFOUND)
		return core__backend(w, tx, rc, "load estate object");
	if(w->in.create_only && !rc && !old.deleted)
		return core__refuse(w, RC_CONFLICT, "the %s exists already", estate_kind_name(e.kind));
	e.created_us = !rc && !old.deleted ? old.created_us : e.updated_us;
	e.deleted = 0;
	if(e.kind == EK_repository && (rc = core__fill_sample(w, tx, &e)))
		return rc;
	if((rc = ops->tx_usn_next(tx->s, &e.usn)) || (rc = ops->tx_estate_put(tx->s, &e)))
		return core__backend(w, tx, rc, "store estate object");
	w->usn = e.usn;
	out_estate(w, &e);
	return RC_OK;
}

/* Queues the put of e; create_only refuses an object that exists (RC_CONFLICT). */
static enum rc estate_submit(struct core_write *w, const struct estate_rec *e, int create_only)
{
	if(!estate_kind_name(e->kind) || uuid_is_nil(&e->id) || !e->name || !e->name[0]) {
		core__refuse(w, RC_INVALID, "an estate object needs a kind, an id and a name");
		return core__reject(w, RC_INVALID);
	}
	if(!uuid_is_nil(&e->parent_id) && !estate_kind_parent(e->kind)) {
		core__refuse(w, RC_INVALID, "a %s has no parent", estate_kind_name(e->kind));
		return core__reject(w, RC_INVALID);
	}
	w->in.estate = *e;
	w->in.create_only = create_only;
	w->in.estate.updated_us = time_now_us() / 1000 * 1000;   /* milliseconds, as every time shown */
	return core__submit(w, apply_estate_put);
}

enum rc core_estate_put(struct core_write *w, const struct estate_rec *e)
{
	return estate_submit(w, e, 0);
}

enum rc core_estate_add(struct core_write *w, const struct estate_rec *e)
{
	return estate_submit(w, e, 1);
}

static enum rc apply_estate_del(struct core_write *w, struct store_tx *tx)
{
	struct estate_rec e;
	enum rc rc = tx->ops->tx_estate_load(tx->s, w->in.kind, &w->in.id, tx->a, &e);
	if(rc == RC_NOTFOUND || (!rc && e.deleted))
		return core__refuse(w, RC_NOTFOUND, "no such %s", estate_kind_name(w->in.kind));
	if(rc)
		return core__backend(w, tx, rc, "load estate object");
	e.deleted = 1;
	e.updated_us = time_now_us() / 1000 * 1000;
	if((rc = tx->ops->tx_usn_next(tx->s, &e.usn)) || (rc = tx->ops->tx_estate_put(tx->s, &e)))
		return core__backend(w, tx, rc, "delete estate object");
	w->usn = e.usn;
	out_estate(w, &e);
	return RC_OK;
}

enum rc core_estate_del(struct core_write *w, int kind, const struct uuid *id)
{
	w->in.kind = kind;
	w->in.id = *id;
	return core__submit(w, apply_estate_del);
}
