/* VBR dialect: the backup server itself (serverTime, serverInfo). */
#include "api/vbr/vbr_int.h"

#include "util/timefmt.h"

/* ---------- server ---------- */

void vbr__h_server_time(struct req *r)
{
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	char t[TIME_STR_MAX];
	time_format(r->now_us, 7, t);
	jw_kstr(&w, "serverTime", t);
	jw_kstr(&w, "timeZone", "(UTC) Coordinated Universal Time");
	const char *zone = catalog_vbr(r->version)->iana_zone;
	if(zone)
		jw_kstr(&w, zone, "Etc/UTC");
	jw_obj_end(&w);
}

void vbr__h_server_info(struct req *r)
{
	const char *build = catalog_vbr(r->version)->build;
	if(!build) {
		vbr_error(r, RC_NOTFOUND, 404,
		          arena_printf(r->arena, "x-api-version %s has no serverInfo", catalog_vbr(r->version)->name));
		return;
	}
	const struct core_info *ci = core_info();
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "vbrId", ci->installation_id);
	if(vbr__fam(r) == VBR_11)
		jw_kstr(&w, "vbrInstallationId", ci->installation_id);
	jw_kstr(&w, "name", ci->server_name);
	jw_kstr(&w, "buildVersion", build);
	jw_key(&w, "patches");
	jw_arr(&w);
	jw_arr_end(&w);
	if(vbr__fam(r) >= VBR_12) {
		jw_kstr(&w, "databaseVendor", "SQLite");
		jw_kstr(&w, "sqlServerEdition", "embedded");
		jw_kstr(&w, "sqlServerVersion", "3");
		jw_kstr(&w, "databaseSchemaVersion", "1");
		jw_kstr(&w, "databaseContentVersion", "1");
	}
	if(vbr__fam(r) >= VBR_13) {
		jw_key(&w, "veeamRegistration");
		jw_obj(&w);
		jw_kbool(&w, "isRegistered", 0);
		jw_obj_end(&w);
		jw_kstr(&w, "platform", "Linux");
	}
	jw_obj_end(&w);
}
