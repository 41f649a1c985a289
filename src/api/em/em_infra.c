/* Enterprise Manager backup infrastructure: the backup servers. */
#include "api/em/em.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/core.h"
#include "model/catalog.h"
#include "model/query.h"
#include "util/jw.h"
#include "util/timefmt.h"
#include "util/xw.h"
#include <sodium.h>

/* ---------- backup servers, derived from sessions ---------- */

static int collect_server(void *ctx, const struct sess_rec *s)
{
	struct em__servers *v = ctx;
	const char *name = em__server_of(s);
	for(int i = 0; i < v->n; i++)
		if(!strcmp(v->names[i], name))
			return 0;
	if(v->n == v->cap) {
		int cap = v->cap ? 2 * v->cap : 16;
		const char **nn = arena_alloc(v->a, sizeof(*nn) * (size_t)cap);
		if(v->n)
			memcpy(nn, v->names, sizeof(*nn) * (size_t)v->n);
		v->names = nn;
		v->cap = cap;
	}
	v->names[v->n++] = arena_strdup(v->a, name);
	return 0;
}

enum rc em__servers_list(struct arena *a, struct em__servers *v)
{
	memset(v, 0, sizeof(*v));
	v->a = a;
	enum rc rc = core_job_latest(a, collect_server, v);
	if(!rc && v->n == 0)
		collect_server(v, &(struct sess_rec){.backup_server = core_info()->server_name});
	return rc;
}

const char *em__server_by_uuid(void *ctx, const struct uuid *u)
{
	struct em__servers *v = ctx;
	for(int i = 0; i < v->n; i++) {
		struct uuid su;
		em_server_uuid(v->names[i], &su);
		if(uuid_eq(&su, u))
			return v->names[i];
	}
	return NULL;
}

static void render_server(struct req *r, struct em__out *o, const char *name, int entity, int root)
{
	struct uuid su;
	em_server_uuid(name, &su);
	char id[UUID_STR_LEN + 1];
	uuid_format(&su, id);
	const char *h = em__href(r, "/api/backupServers/%s", id);
	if(!entity) {
		em__render_ref(r, o, root, "BackupServer", em__uid(r, "BackupServer", &su), name, h, NULL);
		return;
	}
	em__entity_begin(r, o, "BackupServer", em__uid(r, "BackupServer", &su), name, h);
	em__link(o, "Alternate", h, name, "BackupServerReference");
	em__link(o, "Down", em__href(r, "/api/query?type=BackupJobSession&filter=BackupServerUid==%s",
	                       em__uid(r, "BackupServer", &su)), NULL, "BackupJobSessionReferenceList");
	em__list_end(o);
	em__str(o, "Description", "sessiond: sessions reported from this server");
	em__int(o, "Port", 9392);
	em__str(o, "Version", "12.3.0.310");
	em__close(o);
}

void em__h_servers(struct req *r)
{
	struct em__out o;
	int entity = em__collection_begin(r, &o, "BackupServers");
	if(entity < 0)
		return;
	struct em__servers v;
	enum rc rc = em__servers_list(r->arena, &v);
	for(int i = 0; !rc && i < v.n; i++)
		render_server(r, &o, v.names[i], entity, 0);
	em__collection_end(r, &o, rc, "cannot list backup servers");
}

void em__h_server(struct req *r)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || em__path_uuid(r, 0, &id))
		return;
	struct em__servers v;
	enum rc rc = em__servers_list(r->arena, &v);
	if(rc) {
		em__error(r, rc, 0, "cannot list backup servers");
		return;
	}
	const char *name = em__server_by_uuid(&v, &id);
	if(!name) {
		em__error(r, RC_NOTFOUND, 404, "backup server not found");
		return;
	}
	struct em__out o;
	em__out_begin(r, &o, 200);
	render_server(r, &o, name, em__format_entity(r, "format", "Entity"), 1);
}

