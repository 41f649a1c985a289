/* VBR dialect: one engine for every list and single object of the backup estate.
 *
 * A resource (struct vbr__elist) names its estate kind, its renderer and the filters and
 * order columns its definition documents. Filters and orders act on the model as it is
 * rendered (a filter on hostId tests the hostId the answer shows), so what a filter selects
 * is by construction what the client sees. The plain case (no filter but nameFilter, ordered
 * by name ascending) pages in the store; any other reads every match, filters and sorts them
 * here, then pages. */
#include "api/vbr/vbr_int.h"

#include <errno.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/estate.h"
#include "util/timefmt.h"

/* ---------- small shared pieces ---------- */

const char *vbr__word(const struct vbr__word *words, const char *s, int ver)
{
	if(!s)
		return NULL;
	for(const struct vbr__word *w = words; w->name; w++)
		if(!strcasecmp(w->name, s) && ver >= w->since && (!w->before || ver < w->before))
			return w->name;
	return NULL;
}

const char *vbr__platform(const char *p, int ver)
{
	static const struct vbr__word old[] = {
		{"VmWare", VBR_V10R1, VBR_V10R2}, {"VMware", VBR_V10R2, 0}, {"HyperV", 0, 0}, {"Vcd", 0, 0},
		{"WindowsPhysical", 0, 0}, {"LinuxPhysical", 0, 0}, {"Tape", 0, 0}, {"NasBackup", 0, 0},
		{"CustomPlatform", 0, 0}, {NULL, 0, 0},
	};
	if(catalog_vbr_family(ver) < VBR_12) {
		const char *w = vbr__word(old, p, ver);
		return w ? w : "CustomPlatform";
	}
	return p && catalog_vbr_platform_known(p, ver) ? p : "CustomPlatform";
}

const char *vbr__object_platform(const char *p, int ver)
{
	static const struct vbr__word admitted[] = {
		{"CloudDirector", VBR_V12R0, 0}, {"EntraID", VBR_V12R0, 0}, {"LinuxPhysical", VBR_V13R0, 0},
		{"AzureCompute", VBR_V13R1, 0}, {"AWSEC2", VBR_V13R2, 0}, {"GCE", VBR_V13R2, 0}, {"HyperV", VBR_V13R2, 0},
		{"LinuxPhysicalPpc", VBR_V13R2, 0}, {"Nutanix", VBR_V13R2, 0}, {"Proxmox", VBR_V13R2, 0},
		{"UnstructuredData", VBR_V13R2, 0}, {"WindowsPhysical", VBR_V13R2, 0}, {NULL, 0, 0},
	};
	const char *w = vbr__word(admitted, p, ver);
	return w ? w : vbr__platform("VMware", ver);
}

void vbr__kgb(struct jw *w, const char *key, int64_t bytes)
{
	char num[64];
	int n = snprintf(num, sizeof(num), "%.2f", (double)bytes / (1024.0 * 1024.0 * 1024.0));
	jw_key(w, key);
	jw_raw(w, num, (size_t)n);
}

void vbr__kptime(struct jw *w, const char *key, json_t *props, const char *prop)
{
	const char *s = estate_pstr(props, prop);
	int64_t us;
	if(s && !time_parse(s, strlen(s), &us))
		vbr_time(w, key, us);
}

int vbr__find_id(struct req *r, int kind, const char *name, struct uuid *out)
{
	struct estate_rec e;
	memset(out, 0, sizeof(*out));
	if(!name || core_estate_find(kind, name, r->arena, &e))
		return 0;
	*out = e.id;
	return 1;
}

/* ---------- query parameters ---------- */


/* Whether text matches pattern, case-insensitively, where '*' stands for any run of characters
 * (and nothing else is special). Linear in the text for each star: no backtracking blow-up. */
static int wild_match(const char *pat, const char *text)
{
	const char *star = NULL, *resume = NULL;
	while(*text) {
		if(*pat == '*') {
			star = ++pat;
			resume = text;
		} else if(*pat && tolower((unsigned char)*pat) == tolower((unsigned char)*text)) {
			pat++;
			text++;
		} else if(star) {
			pat = star;
			text = ++resume;
		} else
			return 0;
	}
	while(*pat == '*')
		pat++;
	return !*pat;
}

/* A filter the request sends, checked and ready to test. */
struct want {
	const struct vbr__efilter *f;
	const char *vals[16];
	int n;
	int b;          /* FM_BOOL */
	double num;     /* FM_NUMBER */
	int64_t us;     /* FM_AFTER, FM_BEFORE */
};

#define WANT_MAX ((int)(sizeof(((struct want *)0)->vals) / sizeof(const char *)))

static int read_filter(struct req *r, const struct vbr__efilter *f, struct want *w)
{
	w->f = f;
	const char *given[WANT_MAX];
	int n = req_query_all(r, f->param, given, WANT_MAX), multi = f->multi && vbr__fam(r) >= VBR_13;
	if(!n)
		return 0;
	w->n = 0;
	for(int i = 0; i < n; i++) {
		/* an array is the parameter repeated, or one comma-separated value (as some clients send) */
		const char *p = given[i];
		do {
			size_t len = multi ? strcspn(p, ",") : strlen(p);
			if(w->n == WANT_MAX) {
				vbr__bad(r, "query parameter %s takes at most 16 values", f->param);
				return -1;
			}
			w->vals[w->n++] = arena_strndup(r->arena, p, len);
			p += len;
		} while(multi && *p++ == ',');
	}
	if(w->n > 1 && !multi) {
		vbr__bad(r, "query parameter %s takes one value in this API version", f->param);
		return -1;
	}
	const char *v = w->vals[0];
	char *end;
	struct uuid u;
	switch(f->how) {
	case FM_TEXT:
	case FM_CONTAINS:
	case FM_LIKE:
		break;
	case FM_ENUM:
		for(int i = 0; i < w->n; i++) {
			const char *const *e = f->values;
			while(e && *e && strcasecmp(*e, w->vals[i]))
				e++;
			if(e && !*e) {
				vbr__bad(r, "query parameter %s has an unknown value", f->param);
				return -1;
			}
		}
		break;
	case FM_UUID:
	case FM_PARENT:
		if(uuid_parse(v, strlen(v), &u)) {
			vbr__bad(r, "query parameter %s must be a UUID", f->param);
			return -1;
		}
		break;
	case FM_BOOL:
	case FM_ORPHAN:
		if(strcasecmp(v, "true") && strcasecmp(v, "false")) {
			vbr__bad(r, "query parameter %s must be true or false", f->param);
			return -1;
		}
		w->b = !strcasecmp(v, "true");
		break;
	case FM_NUMBER:
		errno = 0;
		w->num = strtod(v, &end);
		if(!*v || *end || errno) {
			vbr__bad(r, "query parameter %s must be a number", f->param);
			return -1;
		}
		break;
	case FM_AFTER:
	case FM_BEFORE:
		if(time_parse(v, strlen(v), &w->us)) {
			vbr__bad(r, "query parameter %s must be an RFC 3339 date-time with an offset", f->param);
			return -1;
		}
		break;
	}
	return 1;
}

/* The field of a rendered object: "a.b" walks into objects; "x|y" takes the first present. */
static json_t *field(json_t *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for(char *alt = strtok_r(buf, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
		json_t *v = o;
		char *s2 = NULL;
		for(char *k = strtok_r(alt, ".", &s2); k && v; k = strtok_r(NULL, ".", &s2))
			v = json_object_get(v, k);
		if(v && !json_is_null(v))
			return v;
	}
	return NULL;
}

static int test(const struct want *w, json_t *o)
{
	json_t *v = field(o, w->f->field);
	int64_t us;
	switch(w->f->how) {
	case FM_TEXT:
	case FM_ENUM:
	case FM_UUID:
	case FM_PARENT:
		for(int i = 0; i < w->n; i++)
			if(json_is_string(v) && !strcasecmp(json_string_value(v), w->vals[i]))
				return 1;
		return 0;
	case FM_ORPHAN: /* decided on the object (vbr__estate_list) */
		return 1;
	case FM_BOOL:   /* an absent flag is false */
		return (v && json_is_true(v)) == w->b;
	case FM_LIKE:
		if(!json_is_string(v))
			return 0;
		return wild_match(w->vals[0], json_string_value(v));
	case FM_CONTAINS:
		if(!json_is_string(v))
			return 0;
		if(strchr(w->vals[0], '*'))
			return wild_match(w->vals[0], json_string_value(v));
		return strcasestr(json_string_value(v), w->vals[0]) != NULL;
	case FM_NUMBER:
		return json_is_number(v) && json_number_value(v) == w->num;
	case FM_AFTER:
	case FM_BEFORE:
		if(!json_is_string(v) || time_parse(json_string_value(v), json_string_length(v), &us))
			return 0;
		return w->f->how == FM_AFTER ? us >= w->us : us <= w->us;
	}
	return 0;
}

/* ---------- picking from rendered models ---------- */

/* What an item sorts by: its order field and its name, taken from the rendered model. */
struct key {
	enum { K_ABSENT, K_NUMBER, K_BOOL, K_STRING } kind;
	double num;
	const char *s;
};

struct item {
	char *text;                 /* the rendered model */
	size_t len;
	struct key key, name;
};

struct vbr__pick {
	struct req *r;
	struct want *want;
	int nwant;
	const char *order_field;
	int asc;
	struct query page;
	struct item *items;
	size_t n, cap;
};

struct vbr__pick *vbr__pick_begin(struct req *r, const struct vbr__efilter *filters, const struct vbr__eorder *orders,
                                  const char *dflt_order)
{
	struct vbr__pick *p = arena_zalloc(r->arena, sizeof(*p));
	p->r = r;
	if(vbr__q_limit(r, &p->page.skip, &p->page.limit) || vbr__q_bool(r, "orderAsc", 1, &p->asc))
		return NULL;
	const char *col = req_query(r, "orderColumn");
	p->order_field = dflt_order;
	if(col) {
		const struct vbr__eorder *o = orders;
		while(o && o->name && strcasecmp(o->name, col))
			o++;
		if(!o || !o->name) {
			vbr__bad(r, "query parameter %s has an unknown column", "orderColumn");
			return NULL;
		}
		p->order_field = o->field;
	}
	int nf = 1;
	for(const struct vbr__efilter *f = filters; f && f->param; f++)
		nf++;
	p->want = arena_zalloc(r->arena, sizeof(*p->want) * (size_t)nf);
	for(const struct vbr__efilter *f = filters; f && f->param; f++) {
		int got = read_filter(r, f, &p->want[p->nwant]);
		if(got < 0)
			return NULL;
		p->nwant += got;
	}
	return p;
}

int vbr__pick_plain(const struct vbr__pick *p)
{
	return !p->nwant && p->asc && !p->order_field;
}

const struct query *vbr__pick_page(const struct vbr__pick *p) { return &p->page; }

void vbr__pick_fix(struct vbr__pick *p, const struct vbr__efilter *f, const char *value)
{
	struct want *w = &p->want[p->nwant++];
	w->f = f;
	w->vals[0] = value;
	w->n = 1;
}

static struct key key_of(struct arena *a, json_t *v)
{
	struct key k = {K_ABSENT, 0, NULL};
	if(json_is_number(v))
		k = (struct key){K_NUMBER, json_number_value(v), NULL};
	else if(json_is_boolean(v))
		k = (struct key){K_BOOL, json_is_true(v), NULL};
	else if(json_is_string(v))
		k = (struct key){K_STRING, 0, arena_strdup(a, json_string_value(v))};
	return k;
}

void vbr__pick_add(struct vbr__pick *p, const char *json, size_t len)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	if(!o)
		return;
	for(int i = 0; i < p->nwant; i++)
		if(!test(&p->want[i], o)) {
			json_decref(o);
			return;
		}
	if(p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct item *it = arena_alloc(p->r->arena, cap * sizeof(*it));
		if(p->n)
			memcpy(it, p->items, p->n * sizeof(*it));
		p->items = it;
		p->cap = cap;
	}
	struct item *it = &p->items[p->n++];
	it->len = len;
	it->text = arena_alloc(p->r->arena, len + 1);
	memcpy(it->text, json, len);
	it->text[len] = 0;
	it->name = key_of(p->r->arena, json_object_get(o, "name"));
	it->key = p->order_field ? key_of(p->r->arena, field(o, p->order_field)) : it->name;
	json_decref(o);
}

static int cmp_key(const struct key *a, const struct key *b)
{
	if(a->kind == K_ABSENT || b->kind == K_ABSENT)
		return (a->kind == K_ABSENT) - (b->kind == K_ABSENT);   /* absent values last (ascending) */
	if(a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if(a->kind == K_STRING)
		return strcasecmp(a->s, b->s);
	return (a->num > b->num) - (a->num < b->num);
}

static int cmp_items(const void *x, const void *y, void *ctx)
{
	const struct item *a = x, *b = y;
	int c = cmp_key(&a->key, &b->key);
	if(!c)
		c = cmp_key(&a->name, &b->name);
	return *(const int *)ctx ? c : -c;
}

void vbr__pick_answer(struct vbr__pick *p, enum rc rc, const char *what)
{
	if(!rc && p->n > 1)
		qsort_r(p->items, p->n, sizeof(*p->items), cmp_items, &p->asc);
	struct jw w;
	vbr_json(p->r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	int64_t count = 0, total = (int64_t)p->n;
	for(size_t i = 0; i < p->n; i++) {
		if(!rc && (int64_t)i >= p->page.skip && count < p->page.limit) {
			jw_raw(&w, p->items[i].text, p->items[i].len);
			count++;
		}
	}
	p->n = 0;
	if(rc) {
		vbr_error(p->r, rc, 0, arena_printf(p->r->arena, "cannot list %s", what));
		return;
	}
	jw_arr_end(&w);
	vbr__pagination(&w, total, count, &p->page);
	jw_obj_end(&w);
}

/* ---------- estate lists ---------- */

struct gather {
	struct req *r;
	const struct vbr__elist *l;
	struct vbr__pick *pick;
	struct buf scratch;
	int orphans;                /* only objects without a parent */
	struct jw *out;             /* the plain case: rendered straight into the answer */
	int64_t count;
};

static void render(struct gather *g, struct jw *w, const struct estate_rec *e)
{
	json_t *props = estate_props(e);
	g->l->render(g->r, w, e, props);
	json_decref(props);
}

static int emit_plain(void *ctx, const struct estate_rec *e)
{
	struct gather *g = ctx;
	render(g, g->out, e);
	g->count++;
	return 0;
}

static int gather_one(void *ctx, const struct estate_rec *e)
{
	struct gather *g = ctx;
	if(g->orphans && !uuid_is_nil(&e->parent_id))
		return 0;
	buf_reset(&g->scratch);
	struct jw w;
	jw_init(&w, &g->scratch);
	render(g, &w, e);
	vbr__pick_add(g->pick, g->scratch.p, g->scratch.len);
	return 0;
}

void vbr__estate_list(struct req *r, const struct vbr__elist *l, const struct estate_query *base,
                      const struct vbr__efilter *fixed, const char *fixed_value)
{
	if(!vbr__available(r, l->since, l->what))
		return;
	struct vbr__pick *pick = vbr__pick_begin(r, l->filters, l->orders, NULL);
	if(!pick)
		return;
	if(fixed)
		vbr__pick_fix(pick, fixed, fixed_value);
	struct estate_query q = base ? *base : (struct estate_query){0};
	q.kind = l->kind;
	q.after_usn = -1;
	/* a filter on the parent's id selects in the store */
	int nothing = 0;            /* two different parents asked for */
	for(int i = 0; i < pick->nwant; i++) {
		struct uuid parent;
		if(pick->want[i].f->how != FM_PARENT)
			continue;
		uuid_parse(pick->want[i].vals[0], strlen(pick->want[i].vals[0]), &parent);
		if(uuid_is_nil(&parent))
			continue;   /* nil: objects without a parent show it, so the rendered field decides */
		nothing |= !uuid_is_nil(&q.parent_id) && !uuid_eq(&q.parent_id, &parent);
		q.parent_id = parent;
		pick->want[i--] = pick->want[--pick->nwant];
	}
	/* nameFilter selects on the stored name, unless the model shows another (then l->filters
	 * names it and it tests what is shown) */
	int shown = 0;
	for(const struct vbr__efilter *f = l->filters; f && f->param; f++)
		shown |= !strcmp(f->param, "nameFilter");
	const char *name = req_query(r, "nameFilter");
	if(name && *name && !shown) {
		q.name = estate_like(r, name);
		q.name_like = 1;
	}
	struct gather g = {.r = r, .l = l, .pick = pick};
	for(int i = 0; i < pick->nwant; i++)
		if(pick->want[i].f->how == FM_ORPHAN) {
			g.orphans |= pick->want[i].b;
			pick->want[i--] = pick->want[--pick->nwant];
		}
	if(!vbr__pick_plain(pick) || g.orphans) {
		buf_init(&g.scratch, 0);
		enum rc rc = nothing ? RC_OK : core_estate_list(&q, r->arena, gather_one, &g, NULL);
		buf_free(&g.scratch);
		vbr__pick_answer(pick, rc, l->plural);
		return;
	}
	const struct query *page = vbr__pick_page(pick);
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	g.out = &w;
	q.offset = page->skip;
	q.limit = page->limit;
	int64_t total = 0;
	enum rc rc = nothing ? RC_OK : core_estate_list(&q, r->arena, emit_plain, &g, &total);
	if(rc) {
		vbr_error(r, rc, 0, arena_printf(r->arena, "cannot list %s", l->plural));
		return;
	}
	jw_arr_end(&w);
	vbr__pagination(&w, total, g.count, page);
	jw_obj_end(&w);
}

int vbr__estate_read(struct req *r, const struct vbr__elist *l, int idx, struct estate_rec *e)
{
	struct uuid id;
	if(!vbr__available(r, l->since, l->what) || vbr_path_uuid(r, idx, &id))
		return -1;
	enum rc rc = core_estate_get(l->kind, &id, r->arena, e);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? arena_printf(r->arena, "no %s with id %s", l->one, r->params[idx])
		                                      : arena_printf(r->arena, "cannot read the %s", l->one));
		return -1;
	}
	return 0;
}

void vbr__estate_get(struct req *r, const struct vbr__elist *l)
{
	struct estate_rec e;
	if(vbr__estate_read(r, l, 0, &e))
		return;
	struct jw w;
	vbr_json(r, 200, &w);
	json_t *props = estate_props(&e);
	l->render(r, &w, &e, props);
	json_decref(props);
}
