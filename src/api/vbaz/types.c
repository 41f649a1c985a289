/* VB for Azure: API versions and the JobSessionType values each of them documents.
 *
 * The table below is the only place that knows which version has which value. A
 * session's type is shown in a version as the value of that version that stands for it
 * (vbaz__az_type), and a Types filter value matches exactly the sessions a version shows
 * with that value (vbaz__type_match), so what a client reads and what it filters on never
 * disagree. A type that came after a version shows there as Unknown. Where each range comes from is in docs/azure.md. */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "api/vbaz/vbaz.h"
#include "model/catalog.h"

static const char *const az_versions[AZ__END] = {
	NULL, "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v8.1",
};

#define LAST (AZ__END - 1)

/* A JobSessionType value: documented from `since` through `until`; `filter` 0 when the
 * version's JobSessionFilterType (the Types query) lacks it. A value retired after
 * `until` names in `now` the values that replaced it (space-separated): versions that
 * still have the old value show it for sessions of those, and later versions show an
 * old value's own sessions as the first replacement. */
static const struct az_value {
	const char *name;
	int since, until, filter;
	const char *now;
} values[] = {
	/* v1-v3 (the v2 and v3 pages list these seventeen) */
	{"AutoBackup", AZ_V1, AZ_V7, 1, "PolicyBackup"},
	{"BackupRetention", AZ_V1, LAST, 1, NULL},
	{"RestoreDisks", AZ_V1, LAST, 1, NULL},
	{"FileLevelRestore", AZ_V1, LAST, 1, NULL},
	{"ObsoleteSnapshotRetention", AZ_V1, LAST, 1, NULL},
	{"ManualSnapshot", AZ_V1, LAST, 1, NULL},
	{"PolicyBackup", AZ_V1, LAST, 1, NULL},
	{"PolicySnapshot", AZ_V1, LAST, 1, NULL},
	{"RestoreVms", AZ_V1, LAST, 1, NULL},
	{"BackupDeletion", AZ_V1, LAST, 1, NULL},
	{"SnapshotDeletion", AZ_V1, LAST, 1, NULL},
	{"RepositoryCreation", AZ_V1, LAST, 1, NULL},
	{"RepositoryDeletion", AZ_V1, LAST, 1, NULL},
	{"RepositoryEdit", AZ_V1, LAST, 1, NULL},
	{"ManualSnapshotDeletion", AZ_V1, LAST, 1, NULL},
	{"InvalidSnapshotRetention", AZ_V1, LAST, 1, NULL},
	{"OrphanedSnapshotRetention", AZ_V1, LAST, 1, NULL},
	/* sessions of types without a value of their own show as Unknown in every version */
	{"Unknown", AZ_V1, LAST, 1, NULL},
	/* v4 on: SQL, file shares, configuration backup, archives, health checks, networks */
	{"PolicyArchive", AZ_V4, LAST, 1, NULL},
	{"SnapshotBackup", AZ_V4, LAST, 1, NULL},
	{"SqlPolicyBackup", AZ_V4, LAST, 1, NULL},
	{"SqlPolicyArchive", AZ_V4, LAST, 1, NULL},
	{"SqlManualBackup", AZ_V4, LAST, 1, NULL},
	{"SqlRestore", AZ_V4, LAST, 1, NULL},
	{"RestorePointDataRetrieval", AZ_V4, LAST, 1, NULL},
	{"SqlRestorePointDataRetrieval", AZ_V4, LAST, 1, NULL},
	{"FileSharePolicySnapshot", AZ_V4, LAST, 1, NULL},
	{"FileShareManualSnapshot", AZ_V4, LAST, 1, NULL},
	{"FileShareRestore", AZ_V4, LAST, 1, NULL},
	{"FileShareFileRestore", AZ_V4, LAST, 1, NULL},
	{"FileShareIndexing", AZ_V4, LAST, 1, NULL},
	{"FileShareSnapshotRetention", AZ_V4, LAST, 1, NULL},
	{"FileShareSnapshotDeletion", AZ_V4, LAST, 1, NULL},
	{"FileShareManualSnapshotDeletion", AZ_V4, LAST, 1, NULL},
	{"ConfigurationBackupManual", AZ_V4, LAST, 1, NULL},
	{"ConfigurationBackupScheduled", AZ_V4, LAST, 1, NULL},
	{"ConfigurationBackupDeletion", AZ_V4, LAST, 1, NULL},
	{"ConfigurationBackupDownload", AZ_V4, LAST, 1, NULL},
	{"HealthCheck", AZ_V4, LAST, 1, NULL},
	{"ConfigurationBackupSync", AZ_V4, LAST, 1, NULL},
	{"ConfigurationRestoreStatus", AZ_V4, LAST, 1, NULL},
	{"SnapshotRescan", AZ_V4, LAST, 1, NULL},
	{"SqlBackupDeletion", AZ_V4, LAST, 1, NULL},
	{"VnetPolicyBackup", AZ_V4, LAST, 1, NULL},
	{"VnetFullRestore", AZ_V4, LAST, 1, NULL},
	{"VnetGranularRestore", AZ_V4, LAST, 1, NULL},
	{"VnetBackupDeletion", AZ_V4, LAST, 1, NULL},
	{"VnetRetention", AZ_V4, LAST, 1, NULL},
	{"VnetRepositoryImport", AZ_V4, LAST, 1, NULL},
	{"VnetPolicyBackupToRepository", AZ_V4, LAST, 1, NULL},
	{"InfrastructureRescan", AZ_V4, LAST, 1, NULL},
	/* Cosmos DB; v7's repository backups of Cosmos DB accounts became PostgresDb* and MongoDb* in v8 */
	{"CosmosDbConfiguration", AZ_V4, LAST, 1, NULL},
	{"CosmosDbRestore", AZ_V4, LAST, 1, NULL},
	{"CosmosDbContinuousRetention", AZ_V4, LAST, 1, NULL},
	{"CosmosDbRestorePointDataRetrieval", AZ_V4, LAST, 1, NULL},
	{"CosmosDbBackupDeletion", AZ_V4, LAST, 1, NULL},
	{"CosmosDbContinuousBackupDeletion", AZ_V4, LAST, 1, NULL},
	{"CosmosDbPolicyBackup", AZ_V4, AZ_V7, 1, "PostgresDbPolicyBackup MongoDbPolicyBackup"},
	{"CosmosDbPolicyArchive", AZ_V4, AZ_V7, 1, "PostgresDbPolicyArchive MongoDbPolicyArchive"},
	{"CosmosDbManualBackup", AZ_V4, AZ_V7, 1, "PostgresDbManualBackup MongoDbManualBackup"},
	{"PostgresDbPolicyBackup", AZ_V8, LAST, 1, NULL},
	{"PostgresDbPolicyArchive", AZ_V8, LAST, 1, NULL},
	{"PostgresDbManualBackup", AZ_V8, LAST, 1, NULL},
	{"MongoDbManualBackup", AZ_V8, LAST, 1, NULL},
	{"MongoDbPolicyBackup", AZ_V8, LAST, 1, NULL},
	{"MongoDbPolicyArchive", AZ_V8, LAST, 1, NULL},
	/* a JobSessionType of v8.1 that its JobSessionFilterType lacks */
	{"VmSnapshotRetention", AZ_V81, LAST, 0, NULL},
};
#define NVALUES (sizeof(values) / sizeof(values[0]))

const char *vbaz__version_name(int v)
{
	return v > 0 && v < AZ__END ? az_versions[v] : "";
}

static const struct az_value *value_of(const char *name, size_t len)
{
	for(size_t i = 0; i < NVALUES; i++)
		if(strlen(values[i].name) == len && !strncasecmp(values[i].name, name, len))
			return &values[i];
	return NULL;
}

static int in_version(const struct az_value *a, int version)
{
	return version >= a->since && version <= a->until;
}

int vbaz__has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for(const char *p = list; p && *p;) {
		size_t len = strcspn(p, " ");
		if(len == n && !strncmp(p, w, n))
			return 1;
		p += len;
		while(*p == ' ')
			p++;
	}
	return 0;
}

static const char *shown_of(int t, int version)
{
	const char *name = catalog_type_az(t);
	const struct az_value *a = value_of(name, strlen(name));
	if(!a || in_version(a, version))
		return name;
	if(version > a->until && a->now) {
		const struct az_value *n = value_of(a->now, strcspn(a->now, " "));
		return n ? n->name : name;
	}
	for(size_t i = 0; i < NVALUES; i++)
		if(values[i].now && in_version(&values[i], version) && vbaz__has_word(values[i].now, name))
			return values[i].name;
	return "Unknown";             /* a type newer than the version (every version has Unknown) */
}

/* shown_of for every type code and version, computed once: a JobSession row reads it. */
static const char *shown[AZ__END][CATALOG_CODE_LIMIT];
static pthread_once_t shown_once = PTHREAD_ONCE_INIT;

static void shown_init(void)
{
	for(int v = AZ_V1; v < AZ__END; v++)
		for(int i = 0; i < catalog_type_count(); i++) {
			int t = catalog_type_at(i);
			if(t >= 0 && t < CATALOG_CODE_LIMIT)
				shown[v][t] = shown_of(t, v);
		}
}

const char *vbaz__az_type(int t, int version)
{
	pthread_once(&shown_once, shown_init);
	if(version >= AZ_V1 && version < AZ__END && t >= 0 && t < CATALOG_CODE_LIMIT && shown[version][t])
		return shown[version][t];
	return shown_of(t, version);
}

int vbaz__type_accepted(const char *s, int version)
{
	const struct az_value *a = value_of(s, strlen(s));
	return a && a->filter && in_version(a, version);
}

int vbaz__type_match(const char *s, int version, int *out, int max)
{
	if(!vbaz__type_accepted(s, version))
		return -1;
	int n = 0;
	for(int i = 0; i < catalog_type_count() && n < max; i++) {
		int t = catalog_type_at(i);
		if(!strcasecmp(vbaz__az_type(t, version), s))
			out[n++] = t;
	}
	return n;
}

const char *vbaz__api_base(struct req *r)
{
	const char *host = req_header(r, "Host");
	const char *base = r->base_url ? r->base_url : host ? arena_printf(r->arena, "http://%s", host) : "";
	return arena_printf(r->arena, "%s/api/%s", base, vbaz__version_name(r->version));
}
