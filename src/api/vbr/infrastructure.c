/* VBR dialect: /api/v1/backupInfrastructure/{managedServers, proxies, repositories,
 * scaleOutRepositories, wanAccelerators} (+ /{id}, /states), from the estate. What nobody
 * reported and the definition requires takes the neutral value docs/ESTATE.md names. */
#include "api/vbr/vbr_int.h"

#include <string.h>

#include "api/estate.h"
#include "model/estate.h"

#define NIL_ID "00000000-0000-0000-0000-000000000000"

/* ---------- managed servers ---------- */

/* The types whose model sessiond can fill; another reported type shows as the neutral LinuxHost. */
static const struct vbr__word server_types[] = {
	{"WindowsHost", 0, 0}, {"LinuxHost", 0, 0}, {"ViHost", 0, 0}, {NULL, 0, 0},
};
static const char *const server_type_values[] = {
	"WindowsHost", "LinuxHost", "ViHost", "CloudDirectorHost", "HvServer", "HvCluster", "SCVMM", "SmbV3Cluster",
	"SmbV3StandaloneHost", "NutanixCluster", "PrismCentral", "ProxmoxNode", "ProxmoxCluster", NULL,
};

static const char *server_type(json_t *p, int ver)
{
	const char *t = vbr__word(server_types, estate_pstr(p, "type"), ver);
	return t ? t : "LinuxHost";    /* neutral: the kind of host sessiond itself runs on */
}

static void render_server(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	const char *d = estate_pstr(p, "description");
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	jw_kstr(w, "description", d ? d : "");
	const char *type = server_type(p, r->version);
	jw_kstr(w, "type", type);
	jw_kstr(w, "credentialsId", NIL_ID);
	if(vbr__fam(r) >= VBR_12)
		jw_kstr(w, "status", "Available");
	if(vbr__fam(r) >= VBR_13 || (vbr__fam(r) == VBR_12 && !strcmp(type, "LinuxHost")))
		jw_kstr(w, "credentialsStorageType", "Permanent");
	if(!strcmp(type, "ViHost"))
		jw_kint(w, "port", 443);
	jw_obj_end(w);
}

static const struct vbr__efilter server_filters[] = {
	{"typeFilter", "type", FM_ENUM, 1, server_type_values},
	{"serverStateFilter", "status", FM_TEXT, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder server_orders[] = {
	{"Name", "name"}, {"Type", "type"}, {"Description", "description"}, {"Status", "status"}, {NULL, NULL},
};
static const struct vbr__elist servers = {
	EK_managedServer, VBR_10, "managed servers are", "managed servers", "managed server",
	server_filters, server_orders, render_server,
};

void vbr__h_servers(struct req *r) { vbr__estate_list(r, &servers, NULL, NULL, NULL); }
void vbr__h_server(struct req *r) { vbr__estate_get(r, &servers); }

/* ---------- proxies ---------- */

static const struct vbr__word proxy_types[] = {
	{"ViProxy", 0, 0}, {"HvProxy", VBR_V13R0, 0}, {"GeneralPurposeProxy", VBR_V13R0, 0}, {NULL, 0, 0},
};
static const char *const proxy_type_values[] = {"ViProxy", "HvProxy", "GeneralPurposeProxy", "NutanixAHV", "PVE", NULL};

/* The proxy's host: its parent managed server, else the managed server named as its server. */
static void proxy_host(struct req *r, const struct estate_rec *e, json_t *p, struct uuid *host, const char **host_name)
{
	*host_name = estate_pstr(p, "server");
	*host = e->parent_id;
	if(!uuid_is_nil(host)) {
		struct estate_rec m;
		if(!core_estate_get(EK_managedServer, host, r->arena, &m) && !*host_name)
			*host_name = m.name;
	} else
		vbr__find_id(r, EK_managedServer, *host_name, host);
}

static void proxy_head(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	const char *d = estate_pstr(p, "description"), *t = vbr__word(proxy_types, estate_pstr(p, "type"), r->version);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	jw_kstr(w, "description", d ? d : "");
	jw_kstr(w, "type", t ? t : "ViProxy");   /* neutral: the one type every version has */
}

static void render_proxy(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	struct uuid host;
	const char *host_name;
	proxy_host(r, e, p, &host, &host_name);
	jw_obj(w);
	proxy_head(r, w, e, p);
	jw_key(w, "server");
	jw_obj(w);
	vbr__kuuid(w, "hostId", &host);
	if(host_name && vbr__fam(r) >= VBR_13)
		jw_kstr(w, "hostName", host_name);
	if(estate_phas(p, "maxTasks"))
		jw_kint(w, "maxTaskCount", estate_pint(p, "maxTasks", 0));
	jw_obj_end(w);
	jw_obj_end(w);
}

static void render_proxy_state(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	struct uuid host;
	const char *host_name;
	proxy_host(r, e, p, &host, &host_name);
	jw_obj(w);
	proxy_head(r, w, e, p);
	vbr__kuuid(w, "hostId", &host);
	jw_kstr(w, "hostName", host_name ? host_name : "");
	jw_kbool(w, "isDisabled", json_is_true(json_object_get(p, "disabled")));
	jw_kbool(w, "isOnline", 1);
	jw_kbool(w, "isOutOfDate", 0);
	jw_obj_end(w);
}

static const struct vbr__efilter proxy_filters[] = {
	{"typeFilter", "type", FM_ENUM, 1, proxy_type_values},
	{"hostIdFilter", "server.hostId|hostId", FM_UUID, 0, NULL},
	{"isDisabledFilter", "isDisabled", FM_BOOL, 0, NULL},
	{"isOnlineFilter", "isOnline", FM_BOOL, 0, NULL},
	{"isOutOfDateFilter", "isOutOfDate", FM_BOOL, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder proxy_orders[] = {
	{"Name", "name"}, {"Type", "type"}, {"Description", "description"}, {"HostName", "server.hostName|hostName"},
	{"Status", "isOnline"}, {NULL, NULL},
};
static const struct vbr__elist proxies = {
	EK_proxy, VBR_10, "proxies are", "proxies", "proxy", proxy_filters, proxy_orders, render_proxy,
};
static const struct vbr__elist proxy_states = {
	EK_proxy, VBR_13, "proxy states are", "proxies", "proxy", proxy_filters, proxy_orders, render_proxy_state,
};

void vbr__h_proxies(struct req *r) { vbr__estate_list(r, &proxies, NULL, NULL, NULL); }
void vbr__h_proxy(struct req *r) { vbr__estate_get(r, &proxies); }
void vbr__h_proxy_states(struct req *r) { vbr__estate_list(r, &proxy_states, NULL, NULL, NULL); }

/* ---------- repositories ---------- */

/* The repository types whose model sessiond can fill from what a reporter gives (a host and a
 * path, or a share); any other type is shown as the neutral LinuxLocal (docs/ESTATE.md). */
enum repo_shape { RS_LOCAL, RS_SHARE };
static const struct {
	const char *type;
	enum repo_shape shape;
	const char *mount, *mount_low;   /* mountServerSettingsType */
} repo_types[] = {
	{"WinLocal", RS_LOCAL, "Windows", "windows"}, {"LinuxLocal", RS_LOCAL, "Linux", "linux"},
	{"Smb", RS_SHARE, "Windows", "windows"}, {"Nfs", RS_SHARE, "Linux", "linux"},
};
static const char *const repo_type_values[] = {
	"WinLocal", "LinuxLocal", "Smb", "Nfs", "AzureBlob", "AzureDataBox", "AzureArchive", "AmazonS3",
	"AmazonSnowballEdge", "AmazonS3Glacier", "S3Compatible", "GoogleCloud", "IBMCloud", "ExtendableRepository",
	"DDBoost", "DellDataDomain", "ExaGrid", "HPStoreOnceIntegration", "HPEStoreOnce", "Quantum", "QuantumDXi",
	"WasabiCloud", "LinuxHardened", "Infinidat", "Fujitsu", "VeeamDataCloudVault", NULL,
};

static int repo_type(json_t *p)
{
	const char *t = estate_pstr(p, "type");
	for(size_t i = 0; t && i < sizeof(repo_types) / sizeof(repo_types[0]); i++)
		if(!strcasecmp(t, repo_types[i].type))
			return (int)i;
	return 1;
}

static void render_repo(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	int t = repo_type(p), fam = vbr__fam(r);
	const char *d = estate_pstr(p, "description"), *path = estate_pstr(p, "path");
	struct uuid host;
	vbr__find_id(r, EK_managedServer, estate_pstr(p, "host"), &host);
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	jw_kstr(w, "description", d ? d : "");
	jw_kstr(w, "type", repo_types[t].type);
	if(fam <= VBR_11)
		jw_kstr(w, "kind", repo_types[t].type);
	if(repo_types[t].shape == RS_LOCAL)
		vbr__kuuid(w, "hostId", &host);
	jw_key(w, "repository");
	jw_obj(w);
	if(repo_types[t].shape == RS_LOCAL)
		jw_kstr(w, "path", path ? path : "");
	jw_obj_end(w);
	if(repo_types[t].shape == RS_SHARE) {
		jw_key(w, "share");
		jw_obj(w);
		jw_kstr(w, "sharePath", path ? path : "");
		if(r->version < VBR_V13R1 && t == 2)
			jw_kstr(w, "credentialsId", NIL_ID);
		jw_obj_end(w);
	}
	if(r->version < VBR_V13R2) {
		jw_key(w, "mountServer");
		jw_obj(w);
		if(fam >= VBR_13)   /* 1.3-rev0 spells it in lower case */
			jw_kstr(w, "mountServerSettingsType",
			        r->version == VBR_V13R0 ? repo_types[t].mount_low : repo_types[t].mount);
		else {
			jw_kstr(w, "mountServerId", NIL_ID);
			jw_kbool(w, "vPowerNFSEnabled", 0);
			jw_kstr(w, "writeCacheFolder", "");
		}
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static void render_repo_state(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	int t = repo_type(p), fam = vbr__fam(r);
	const char *d = estate_pstr(p, "description"), *host_name = estate_pstr(p, "host"), *path = estate_pstr(p, "path");
	int64_t cap = estate_pint(p, "capacityBytes", 0), free_b = estate_pint(p, "freeBytes", 0);
	int64_t used = estate_pint(p, "usedBytes", cap > free_b ? cap - free_b : 0);
	struct uuid host;
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	jw_kstr(w, "type", repo_types[t].type);
	jw_kstr(w, "description", d ? d : "");
	if(vbr__find_id(r, EK_managedServer, host_name, &host))
		vbr__kuuid(w, "hostId", &host);
	if(host_name)
		jw_kstr(w, "hostName", host_name);
	if(path)
		jw_kstr(w, "path", path);
	vbr__kgb(w, "capacityGB", cap);
	vbr__kgb(w, "freeGB", free_b);
	vbr__kgb(w, "usedSpaceGB", used);
	if(fam >= VBR_12)
		jw_kbool(w, "isOnline", 1);
	if(fam >= VBR_13) {
		jw_kbool(w, "isOutOfDate", 0);
		if(!uuid_is_nil(&e->parent_id)) {
			jw_key(w, "scaleOutRepositoryDetails");
			jw_obj(w);
			vbr__kuuid(w, "scaleOutRepositoryId", &e->parent_id);
			jw_kstr(w, "membership", "PerformanceExtent");
			jw_kstr(w, "extentType", "Performance");
			jw_obj_end(w);
		}
	}
	jw_obj_end(w);
}

static const struct vbr__efilter repo_filters[] = {
	{"typeFilter", "type", FM_ENUM, 1, repo_type_values},
	{"hostIdFilter", "hostId", FM_UUID, 0, NULL},
	{"pathFilter", "repository.path|share.sharePath", FM_TEXT, 0, NULL},
	{"vmbApiFilter", "vmbApi", FM_TEXT, 0, NULL},
	{"vmbApiPlatform", "vmbApiPlatform", FM_TEXT, 0, NULL},
	{"excludeExtents", "", FM_ORPHAN, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder repo_orders[] = {
	{"Name", "name"}, {"Description", "description"}, {"Type", "type"}, {"Host", "hostId"},
	{"Path", "repository.path|share.sharePath"}, {NULL, NULL},
};
static const char *const extent_types[] = {"Performance", "Capacity", "Archive", NULL};
static const struct vbr__efilter repo_state_filters[] = {
	{"idFilter", "id", FM_UUID, 0, NULL},
	{"typeFilter", "type", FM_ENUM, 1, repo_type_values},
	{"capacityFilter", "capacityGB", FM_NUMBER, 0, NULL},
	{"freeSpaceFilter", "freeGB", FM_NUMBER, 0, NULL},
	{"usedSpaceFilter", "usedSpaceGB", FM_NUMBER, 0, NULL},
	{"isOnlineFilter", "isOnline", FM_BOOL, 0, NULL},
	{"isOutOfDateFilter", "isOutOfDate", FM_BOOL, 0, NULL},
	{"sobrIdFilter", "scaleOutRepositoryDetails.scaleOutRepositoryId", FM_UUID, 0, NULL},
	{"sobrExtentTypeFilter", "scaleOutRepositoryDetails.extentType", FM_ENUM, 1, extent_types},
	{"sobrMembershipFilter", "scaleOutRepositoryDetails.membership", FM_TEXT, 0, NULL},
	{"excludeExtents", "", FM_ORPHAN, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder repo_state_orders[] = {
	{"Name", "name"}, {"Type", "type"}, {"Host", "hostName"}, {"Path", "path"}, {"CapacityGB", "capacityGB"},
	{"FreeGB", "freeGB"}, {"UsedSpaceGB", "usedSpaceGB"}, {"Description", "description"},
	{"Membership", "scaleOutRepositoryDetails.membership"}, {"Status", "isOnline"}, {NULL, NULL},
};
static const struct vbr__elist repos = {
	EK_repository, VBR_10, "repositories are", "repositories", "repository", repo_filters, repo_orders, render_repo,
};
static const struct vbr__elist repo_states = {
	EK_repository, VBR_10, "repository states are", "repositories", "repository", repo_state_filters,
	repo_state_orders, render_repo_state,
};

void vbr__h_repos(struct req *r) { vbr__estate_list(r, &repos, NULL, NULL, NULL); }
void vbr__h_repo(struct req *r) { vbr__estate_get(r, &repos); }
void vbr__h_repo_states(struct req *r) { vbr__estate_list(r, &repo_states, NULL, NULL, NULL); }

/* ---------- scale-out repositories ---------- */

struct extents {
	struct jw *w;
	int old;                    /* 1.0: an extent carries a status */
};

static int emit_extent(void *ctx, const struct estate_rec *e)
{
	struct extents *x = ctx;
	jw_obj(x->w);
	vbr__kuuid(x->w, "id", &e->id);
	jw_kstr(x->w, "name", e->name);
	if(x->old)
		jw_kstr(x->w, "status", "Normal");
	jw_obj_end(x->w);
	return 0;
}

static void render_sobr(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	const char *d = estate_pstr(p, "description");
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	jw_kstr(w, "description", d ? d : "");
	if(r->version == VBR_V10R1 || r->version == VBR_V10R2)
		jw_kstr(w, "tag", "");
	jw_key(w, "performanceTier");
	jw_obj(w);
	jw_key(w, "performanceExtents");
	jw_arr(w);
	struct estate_query q = {.kind = EK_repository, .parent_id = e->id};
	struct extents x = {w, r->version <= VBR_V10R2};
	core_estate_list(&q, r->arena, emit_extent, &x, NULL);
	jw_arr_end(w);
	jw_obj_end(w);
	jw_obj_end(w);
}

static const struct vbr__eorder name_orders[] = {{"Name", "name"}, {"Description", "description"}, {NULL, NULL}};
static const struct vbr__elist sobrs = {
	EK_scaleOutRepository, VBR_10, "scale-out repositories are", "scale-out repositories", "scale-out repository",
	NULL, name_orders, render_sobr,
};

void vbr__h_sobrs(struct req *r) { vbr__estate_list(r, &sobrs, NULL, NULL, NULL); }
void vbr__h_sobr(struct req *r) { vbr__estate_get(r, &sobrs); }

/* ---------- WAN accelerators (1.2 and later) ---------- */

static void render_wan(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	jw_obj_end(w);
}

static const struct vbr__elist wans = {
	EK_wanAccelerator, VBR_12, "WAN accelerators are", "WAN accelerators", "WAN accelerator", NULL, name_orders,
	render_wan,
};

void vbr__h_wans(struct req *r) { vbr__estate_list(r, &wans, NULL, NULL, NULL); }
void vbr__h_wan(struct req *r) { vbr__estate_get(r, &wans); }
