/* VB for Azure: the row feed behind both the JobSession pages and POST
 * jobSessions/export.
 *
 * The feed (struct vbaz__feed) reads the store in keyset chunks of at most FEED_CHUNK rows
 * into a chunk arena reset between chunks, and ends a chunk early once the piece it
 * renders passes FEED_PART_BYTES, so a list or an export of any size and any row size is
 * streamed in memory bounded by that budget plus one row. */
#include <string.h>

#include "api/vbaz/vbaz.h"
#include "core/core.h"
#include "model/query.h"
#include "util/xw.h"

#define FEED_CHUNK 1000       /* rows in one store read at most */
#define FEED_PART_BYTES (256 * 1024) /* a piece ends at the row that takes it past this */

struct vbaz__feed {
	const struct qexpr *where;    /* the filter, in the request arena */
	enum vbaz__feed_format fmt;
	struct vbaz__render_ctx rc;
	int64_t offset;               /* echoed in the page; skipped before the first chunk */
	int64_t limit;                /* echoed in the page */
	int64_t remaining;            /* rows still to send; < 0: all */
	int64_t total;                /* totalCount of the page */
	const char *self;             /* the page's self link */
	int started, finished;
	int have_last;
	int64_t last_creation;        /* keyset: the last row sent */
	struct uuid last_id;
	struct arena chunk;           /* reset before every chunk */
	struct buf *out;              /* where the current call writes */
	struct jw jw;
	struct xw xw;
	int64_t rows;                 /* rows in the current chunk */
	int full;                     /* the current chunk stopped at the byte budget */
	struct buf pending;           /* rendered before streaming began, sent first */
};

static int feed_row(void *ctx, const struct sess_rec *s)
{
	struct vbaz__feed *f = ctx;
	f->rows++;
	f->have_last = 1;
	f->last_creation = s->creation_us;
	f->last_id = s->id;
	switch(f->fmt) {
	case VBAZ_PAGE: vbaz__render_session(&f->jw, s, &f->rc); break;
	case VBAZ_CSV: vbaz__csv_row(f->out, s, &f->rc); break;
	case VBAZ_XML: vbaz__xml_row(&f->xw, s, &f->rc); break;
	}
	if(f->out->len >= FEED_PART_BYTES) {
		f->full = 1;
		return 1;             /* the rest of the chunk comes with the next piece */
	}
	return 0;
}

static void feed_head(struct vbaz__feed *f)
{
	switch(f->fmt) {
	case VBAZ_PAGE:
		jw_obj(&f->jw);
		jw_kint(&f->jw, "offset", f->offset);
		jw_kint(&f->jw, "limit", f->limit);
		jw_kint(&f->jw, "totalCount", f->total);
		jw_key(&f->jw, "results");
		jw_arr(&f->jw);
		break;
	case VBAZ_CSV: vbaz__csv_header(f->out); break;
	case VBAZ_XML:
		xw_init(&f->xw, f->out);
		xw_start(&f->xw, "JobSessions");
		break;
	}
}

static void feed_tail(struct vbaz__feed *f)
{
	switch(f->fmt) {
	case VBAZ_PAGE:
		jw_arr_end(&f->jw);
		jw_key(&f->jw, "_links");
		jw_obj(&f->jw);
		jw_key(&f->jw, "self");
		jw_obj(&f->jw);
		jw_kstr(&f->jw, "href", f->self);
		jw_obj_end(&f->jw);
		jw_obj_end(&f->jw);
		jw_obj_end(&f->jw);
		break;
	case VBAZ_CSV: break;
	case VBAZ_XML: xw_finish(&f->xw); break;
	}
}

/* Appends the next piece to out: 1 more follows, 0 this was the last, -1 failed. */
static int feed_next(struct vbaz__feed *f, struct buf *out)
{
	f->out = out;
	f->jw.b = out;
	f->xw.b = out;
	if(!f->started) {
		f->started = 1;
		feed_head(f);
	}
	if(f->finished)
		return 0;
	arena_reset(&f->chunk);
	int64_t want = f->remaining < 0 || f->remaining > FEED_CHUNK ? FEED_CHUNK : f->remaining;
	struct query q = {.where = f->where, .order = QO_CREATION, .asc = 0, .limit = want};
	if(!f->have_last) {
		q.skip = f->offset;
	} else {
		struct arena *a = &f->chunk;
		const struct qexpr *older = q_or(a, q_int(a, QF_CREATION, Q_LT, f->last_creation),
		                                 q_and(a, q_int(a, QF_CREATION, Q_EQ, f->last_creation),
		                                       q_uuid(a, QF_ID, Q_LT, &f->last_id)));
		q.where = q_and(a, f->where, older);
	}
	f->rows = 0;
	f->full = 0;
	if(want > 0 && core_session_list(&q, &f->chunk, feed_row, f, NULL))
		return -1;
	if(f->remaining > 0)
		f->remaining -= f->rows;
	if(want == 0 || (f->rows < want && !f->full) || f->remaining == 0) {
		f->finished = 1;
		feed_tail(f);
		return 0;
	}
	return 1;
}

static int feed_stream(struct req *r, struct buf *part)
{
	struct vbaz__feed *f = r->work;
	if(f->pending.len) {
		buf_add(part, f->pending.p, f->pending.len);
		buf_free(&f->pending);
		return 1;
	}
	return feed_next(f, part);
}

static void feed_done(struct req *r)
{
	struct vbaz__feed *f = r->work;
	arena_free(&f->chunk);
	buf_free(&f->pending);
}

struct vbaz__feed *vbaz__feed_new(struct req *r, enum vbaz__feed_format fmt, const struct qexpr *where)
{
	struct vbaz__feed *f = arena_zalloc(r->arena, sizeof(*f));
	f->fmt = fmt;
	f->where = where;
	f->rc.base = vbaz__api_base(r);
	f->rc.version = r->version;
	f->rc.now = r->now_us;
	f->remaining = -1;
	arena_init(&f->chunk);
	buf_init(&f->pending, 0);
	r->work = f;
	r->stream_done = feed_done;
	return f;
}

/* Sends the feed: a small answer at once (with its length), anything else streamed; a
 * buffered answer that grows past FEED_PART_BYTES is streamed from there on. */
void vbaz__feed_send(struct req *r, struct vbaz__feed *f, int status, const char *ctype, int buffered)
{
	r->status = status;
	r->ctype = ctype;
	buf_reset(&r->out);
	jw_init(&f->jw, &r->out);
	if(buffered) {
		int more;
		while((more = feed_next(f, &r->out)) > 0 && r->out.len < FEED_PART_BYTES)
			;
		if(more < 0 || r->out.failed) {
			vbaz__error(r, RC_BACKEND, 0, "cannot read the sessions");
			return;
		}
		if(!more)
			return;
		buf_add(&f->pending, r->out.p, r->out.len);
		buf_reset(&r->out);
	}
	r->stream = feed_stream;
}

void vbaz__send_page(struct req *r, const struct qexpr *where, int64_t offset, int64_t limit, int64_t total,
                     const char *self, int buffered)
{
	struct vbaz__feed *f = vbaz__feed_new(r, VBAZ_PAGE, where);
	f->offset = offset;
	f->limit = limit;
	f->remaining = limit;
	f->total = total;
	f->self = self;
	vbaz__feed_send(r, f, 200, VBAZ_JSON_TYPE, buffered);
}
