/* VB for Azure: GET repositories (+/{id}), the estate's repositories by name. A
 * repository shows its id, name and reported description; the two properties the
 * schema requires and nobody reports are the neutral values docs/ESTATE.md names
 * (enableEncryption false, storageTier Unknown). Filters match what is shown: a filter
 * on a property that is not shown (status, type, tenant, …) matches no repository. */
#include <string.h>

#include "api/estate.h"
#include "api/vbaz/vbaz.h"
#include "core/core.h"
#include "model/estate.h"

static const char *const statuses[] = {"Creating", "Importing", "Ready", "Failed", "Unknown", "ReadOnly", NULL};
static const char *const types[] = {"Backup", "VeeamVault", "Unknown", NULL};
static const char *const tiers[] = {"Inferred", "Hot", "Cool", "Archive", "Unknown", "Cold", NULL};
#define TIER_UNKNOWN (1u << 4)

struct page {
	struct req *r;
	struct jw *w;
	const char *base;
	int skip;                     /* Limit=0: the total only */
};

static void render(struct req *r, struct jw *w, const struct estate_rec *e, const char *base)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&e->id, id);
	json_t *p = estate_props(e);
	const char *description = estate_pstr(p, "description");
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "name", e->name);
	if(description)
		jw_kstr(w, "description", description);
	jw_kbool(w, "enableEncryption", 0);
	jw_kstr(w, "storageTier", "Unknown");
	vbaz__links(w, arena_printf(r->arena, "%s/repositories/%s", base, id), "policies",
	            arena_printf(r->arena, "%s/%s?RepositoryId=%s", base,
	                         r->version >= AZ_V4 ? "policies/virtualMachines" : "policies", id));
	jw_obj_end(w);
	json_decref(p);
}

static int row(void *ctx, const struct estate_rec *e)
{
	struct page *pg = ctx;
	if(!pg->skip)
		render(pg->r, pg->w, e, pg->base);
	return 0;
}

/* A LIKE pattern for a substring ('\\' escapes the wildcards). */
static const char *contains(struct arena *a, const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	buf_addc(&b, '%');
	for(const char *p = s; *p; p++) {
		if(*p == '%' || *p == '_' || *p == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	buf_addc(&b, '%');
	char *out = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

void vbaz__h_repositories(struct req *r)
{
	int64_t offset, limit;
	unsigned status, type, tier;
	int encrypted, immutable, has_tenant;
	struct uuid tenant;
	if(vbaz__paging(r, &offset, &limit) || vbaz__enum_param(r, "Status", statuses, &status) ||
	   vbaz__enum_param(r, "Type", types, &type) || vbaz__enum_param(r, "Tier", tiers, &tier) ||
	   vbaz__bool_param(r, "IsEncrypted", &encrypted) || vbaz__bool_param(r, "ImmutabilityEnabled", &immutable) ||
	   vbaz__uuid_param(r, "TenantId", &tenant, &has_tenant))
		return;
	const char *account = req_query(r, "ServiceAccountId");
	int none = status || type || (tier && !(tier & TIER_UNKNOWN)) || encrypted == 1 || immutable == 1 ||
	           has_tenant || (account && *account);
	const char *pattern = req_query(r, "SearchPattern");
	/* an estate_query limit of 0 is no limit: Limit=-1, and Limit=0 reads one row unshown */
	struct estate_query q = {.kind = EK_repository, .after_usn = -1, .offset = offset, .limit = limit < 0 ? 0 : limit ? limit : 1};
	if(pattern && *pattern) {
		q.name = contains(r->arena, pattern);
		q.name_like = 1;
	}
	const char *base = vbaz__api_base(r);
	struct jw w;
	struct page pg = {r, &w, base, limit == 0};
	int64_t total = 0;
	vbaz__json_answer(r, 200, &w);
	if(none) {
		vbaz__page_head(&w, offset, limit, 0);
	} else {
		/* The rows and the total come in one read: the rows go to a side buffer, put
		 * behind the head once the total is known. */
		struct buf rows;
		buf_init(&rows, 0);
		struct jw rw;
		jw_init(&rw, &rows);
		jw_arr(&rw);
		pg.w = &rw;
		enum rc rc = core_estate_list(&q, r->arena, row, &pg, &total);
		if(rc) {
			buf_free(&rows);
			vbaz__error(r, rc, 0, "cannot read the repositories");
			return;
		}
		vbaz__page_head(&w, offset, limit, total);
		jw_raw(&w, rows.p + 1, rows.len - 1);   /* the rows without the array's '[' */
		buf_free(&rows);
	}
	vbaz__page_tail(&w, arena_printf(r->arena, "%s/repositories", base));
}

void vbaz__h_repository(struct req *r)
{
	int has_tenant;
	struct uuid tenant, u;
	if(vbaz__uuid_param(r, "TenantId", &tenant, &has_tenant))
		return;
	const char *id = r->nparams > 1 ? r->params[1] : "";
	struct estate_rec e;
	enum rc rc = uuid_parse(id, strlen(id), &u) ? RC_NOTFOUND : core_estate_get(EK_repository, &u, r->arena, &e);
	if(rc == RC_NOTFOUND) {
		vbaz__not_found(r, "repository");
		return;
	}
	if(rc) {
		vbaz__error(r, rc, 0, "cannot read the repository");
		return;
	}
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	render(r, &w, &e, vbaz__api_base(r));
}
