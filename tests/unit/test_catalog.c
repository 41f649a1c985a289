/* Unit tests for core/catalog. The enum lists below are copied from the spec files in
 * ../shared/reference (components.schemas.<Enum>.enum, extracted with python3 json), so
 * these tests check the catalog against the published APIs, not against itself. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "model/catalog.h"

/* Every live type code, in catalog.def order. */
#define FOR_EACH_TYPE(t) \
	for(int t##_i = 0, t = 0; t##_i < catalog_type_count() && ((t = catalog_type_at(t##_i)), 1); t##_i++)
#include "util/buf.h"

/* ESessionType of vbr-rest-{1.0-rev2,1.1-rev0,1.2-rev1,1.3-rev0,1.3-rev1,1.3-rev2} (1.0-rev1's
 * equals 1.0-rev2's); JobSessionType of vbazure-rest-v8.1; ESessionState of 1.0-rev2 (also
 * 1.3-rev1's) and 1.3-rev2; EPlatformType of 1.2-rev1, 1.3-rev1 and 1.3-rev2; JobStatus of v8.1;
 * ESessionResult, ETaskLogRecordStatus and ETaskSessionType of 1.3-rev2. */
static const char *const spec_vbr10_types[] = {
	"Infrastructure", "Job", "Automation", "ConfigurationBackup", "RepositoryMaintenance",
	"RepositoryEvacuate", "InfrastructureItemDeletion", NULL
};
static const char *const spec_vbr11_types[] = {
	"Infrastructure", "Job", "Automation", "ConfigurationBackup", "RepositoryMaintenance",
	"RepositoryEvacuate", "InfrastructureItemDeletion", "RestoreVm", "InstantRecovery",
	"FirstClassDiskInstantRestore", "AzureApplianceDeploy", "QuickMigration", NULL
};
static const char *const spec_vbr12_types[] = {
	"Infrastructure", "BackupJob", "Automation", "ConfigurationBackup",
	"PublishBackupContentViaMount", "RepositoryMaintenance", "RepositoryEvacuate",
	"InfrastructureItemDeletion", "RestoreVm", "InstantRecovery", "FirstClassDiskInstantRestore",
	"AzureApplianceDeploy", "QuickMigration", "FileLevelRestore", "LinuxFileLevelRestore",
	"ReplicaJob", "ConfigurationResynchronize", "Failover", "PlannedFailover", "PermanentFailover",
	"UndoFailover", "Failback", "CommitFailback", "UndoFailback", "SwitchReplicaToProduction",
	"CloudDirectorVmRestore", "CloudDirectorVAppRestore", "MalwareDetection",
	"FirstClassDiskQuickMigration", "EntraIdRestore", "SecurityComplianceAnalyzer", "FileServerSave",
	"SureBackup", "NasRestore", "UnstructuredDataBrowse", "UnstructuredDownloadMeta", "DeleteBackup",
	"BackgroundOperation", "EntraIdRescanRepository", NULL
};
static const char *const spec_vbr13_types[] = {
	"Infrastructure", "BackupJob", "Automation", "ConfigurationBackup",
	"PublishBackupContentViaMount", "RepositoryMaintenance", "RepositoryEvacuate",
	"InfrastructureItemDeletion", "RestoreVm", "InstantRecovery", "FirstClassDiskInstantRestore",
	"AzureApplianceDeploy", "QuickMigration", "FileLevelRestore", "LinuxFileLevelRestore",
	"ReplicaJob", "ConfigurationResynchronize", "Failover", "PlannedFailover", "PermanentFailover",
	"UndoFailover", "Failback", "CommitFailback", "UndoFailback", "SwitchReplicaToProduction",
	"CloudDirectorVmRestore", "CloudDirectorVAppRestore", "MalwareDetection",
	"FirstClassDiskQuickMigration", "EntraIdRestore", "EntraIdRestoreFromCopy",
	"UnstructuredDataBackupCopy", "SecurityComplianceAnalyzer", "FileServerSave", "SureBackup",
	"NasRestore", "LogsExport", "TestCredentials", "SqlLogBackup", "OracleLogBackup",
	"PostgreSqlLogBackup", "AzureInstantRecovery", "AzureInstantRecoveryMigration",
	"AzureInstantRecoverySwitchover", "AzureInstantRecoveryStart", "AzureInstantRecoveryStop",
	"AzureInstantRecoveryMigrationUndo", "AzureInstantRecoveryMount", "FileInstantRecovery",
	"FileInstantRecoveryMigration", "PublishBackupContentViaNfs", "VolumesDiscover", "DeleteBackup",
	"BackgroundOperation", "AgentDiscovery", "AgentPolicy", "AgentBackup", "AgentOperationPurgeCache",
	"ApplianceUpdatesInstall", "FailoverPlan", "FailoverPlanTask", "UnstructuredDataBrowse",
	"BackupCopyJob", "UnstructuredDownloadMeta", "EntraIdRescanRepository", "HostComponentsUpdate",
	"CopyBackup", "FileBackupHealthCheck", "SureBackupContentScan", "ArchiveBackup",
	"ArchiveRehydration", "ArchiveSync", "ArchiveCopy", "ArchiveFreezing", "RetrieveBackup",
	"ArchiveTierDownload", "DirectBackupSync", "CheckpointRemoval", "IrisBackup", "Retention",
	"PlatformServiceJob", "PlatformBackupJob", "PlatformSnapshotJob", "PlatformSnapshotCopyJob",
	"AgentOperationBackupNow", "AgentOperationActiveFull", "AgentManagement", "BackupCopyJobParent",
	"ApplicationLevelRestore", "EncryptionAnalysis", "VeeamUpdaterSettingsSync", "EndpointBackup",
	"StorageDiscovery", "StorageMonitoring", "AdForestRestore", "AgentsRecoveryAppliancesManagement",
	"RestoreRecoveryApplianceVolumes", "RestoreAgentVolumes", "EndpointRestore",
	"EpAgentOperationStopBackup", "BackupCacheSync", "PerVmMoveBackup", "PerVmCopyBackup",
	"FileBackupArchiveRetrievalProlonging", "HaSwitchover", "IndexCollection", "InstantDiskRecovery",
	"DiskRestore", "HaClusterEdit", NULL
};
static const char *const spec_vbr13r0_types[] = {
	"Infrastructure", "BackupJob", "Automation", "ConfigurationBackup",
	"PublishBackupContentViaMount", "RepositoryMaintenance", "RepositoryEvacuate",
	"InfrastructureItemDeletion", "RestoreVm", "InstantRecovery", "FirstClassDiskInstantRestore",
	"AzureApplianceDeploy", "QuickMigration", "FileLevelRestore", "LinuxFileLevelRestore",
	"ReplicaJob", "ConfigurationResynchronize", "Failover", "PlannedFailover", "PermanentFailover",
	"UndoFailover", "Failback", "CommitFailback", "UndoFailback", "SwitchReplicaToProduction",
	"CloudDirectorVmRestore", "CloudDirectorVAppRestore", "MalwareDetection",
	"FirstClassDiskQuickMigration", "EntraIdRestore", "EntraIdRestoreFromCopy",
	"UnstructuredDataBackupCopy", "SecurityComplianceAnalyzer", "FileServerSave", "SureBackup",
	"NasRestore", "LogsExport", "TestCredentials", "SqlLogBackup", "OracleLogBackup",
	"PostgreSqlLogBackup", "AzureInstantRecovery", "AzureInstantRecoveryMigration",
	"AzureInstantRecoverySwitchover", "AzureInstantRecoveryStart", "AzureInstantRecoveryStop",
	"AzureInstantRecoveryMigrationUndo", "AzureInstantRecoveryMount", "PublishBackupContentViaNfs",
	"VolumesDiscover", "DeleteBackup", "BackgroundOperation", "AgentDiscovery", "AgentPolicy",
	"AgentBackup", "ApplianceUpdatesInstall", "FailoverPlan", "FailoverPlanTask",
	"UnstructuredDataBrowse", "UnstructuredDownloadMeta", "EntraIdRescanRepository",
	"HostComponentsUpdate", "CopyBackup", "FileBackupHealthCheck", "ArchiveBackup",
	"ArchiveRehydration", "ArchiveSync", "ArchiveCopy", "ArchiveFreezing", "RetrieveBackup",
	"ArchiveTierDownload", "DirectBackupSync", "CheckpointRemoval", "Retention", NULL
};
static const char *const spec_vbr13r1_types[] = {
	"Infrastructure", "BackupJob", "Automation", "ConfigurationBackup",
	"PublishBackupContentViaMount", "RepositoryMaintenance", "RepositoryEvacuate",
	"InfrastructureItemDeletion", "RestoreVm", "InstantRecovery", "FirstClassDiskInstantRestore",
	"AzureApplianceDeploy", "QuickMigration", "FileLevelRestore", "LinuxFileLevelRestore",
	"ReplicaJob", "ConfigurationResynchronize", "Failover", "PlannedFailover", "PermanentFailover",
	"UndoFailover", "Failback", "CommitFailback", "UndoFailback", "SwitchReplicaToProduction",
	"CloudDirectorVmRestore", "CloudDirectorVAppRestore", "MalwareDetection",
	"FirstClassDiskQuickMigration", "EntraIdRestore", "EntraIdRestoreFromCopy",
	"UnstructuredDataBackupCopy", "SecurityComplianceAnalyzer", "FileServerSave", "SureBackup",
	"NasRestore", "LogsExport", "TestCredentials", "SqlLogBackup", "OracleLogBackup",
	"PostgreSqlLogBackup", "AzureInstantRecovery", "AzureInstantRecoveryMigration",
	"AzureInstantRecoverySwitchover", "AzureInstantRecoveryStart", "AzureInstantRecoveryStop",
	"AzureInstantRecoveryMigrationUndo", "AzureInstantRecoveryMount", "FileInstantRecovery",
	"FileInstantRecoveryMigration", "PublishBackupContentViaNfs", "VolumesDiscover", "DeleteBackup",
	"BackgroundOperation", "AgentDiscovery", "AgentPolicy", "AgentBackup",
	"AgentOperationPurgeCache", "ApplianceUpdatesInstall", "FailoverPlan", "FailoverPlanTask",
	"UnstructuredDataBrowse", "BackupCopyJob", "UnstructuredDownloadMeta",
	"EntraIdRescanRepository", "HostComponentsUpdate", "CopyBackup", "FileBackupHealthCheck",
	"SureBackupContentScan", "ArchiveBackup", "ArchiveRehydration", "ArchiveSync", "ArchiveCopy",
	"ArchiveFreezing", "RetrieveBackup", "ArchiveTierDownload", "DirectBackupSync",
	"CheckpointRemoval", "Retention", NULL
};
static const char *const spec_az_types[] = {
	"BackupRetention", "InvalidSnapshotRetention", "ObsoleteSnapshotRetention",
	"OrphanedSnapshotRetention", "ManualSnapshot", "ManualSnapshotDeletion", "PolicyBackup",
	"PolicySnapshot", "RestoreDisks", "RestoreVms", "FileLevelRestore", "BackupDeletion",
	"SnapshotDeletion", "SnapshotBackup", "RepositoryCreation", "RepositoryDeletion",
	"RepositoryEdit", "SqlPolicyBackup", "SqlManualBackup", "SqlRestore", "RestorePointDataRetrieval",
	"SqlRestorePointDataRetrieval", "FileSharePolicySnapshot", "FileShareManualSnapshot",
	"FileShareRestore", "FileShareFileRestore", "FileShareIndexing", "FileShareSnapshotRetention",
	"FileShareSnapshotDeletion", "FileShareManualSnapshotDeletion", "ConfigurationBackupManual",
	"ConfigurationBackupScheduled", "ConfigurationBackupDeletion", "HealthCheck",
	"ConfigurationBackupDownload", "SnapshotRescan", "ConfigurationBackupSync",
	"ConfigurationRestoreStatus", "PolicyArchive", "SqlPolicyArchive", "SqlBackupDeletion",
	"VnetPolicyBackup", "VnetFullRestore", "VnetGranularRestore", "VnetBackupDeletion",
	"VnetRetention", "VnetRepositoryImport", "VnetPolicyBackupToRepository", "CosmosDbConfiguration",
	"CosmosDbRestore", "PostgresDbPolicyBackup", "PostgresDbPolicyArchive", "PostgresDbManualBackup",
	"CosmosDbContinuousRetention", "CosmosDbRestorePointDataRetrieval", "CosmosDbBackupDeletion",
	"InfrastructureRescan", "MongoDbManualBackup", "MongoDbPolicyBackup", "MongoDbPolicyArchive",
	"CosmosDbContinuousBackupDeletion", "VmSnapshotRetention", "Unknown", NULL
};
static const char *const spec_vbr10_states[] = {
	"Stopped", "Starting", "Stopping", "Working", "Pausing", "Resuming", "WaitingTape", "Idle",
	"Postprocessing", "WaitingRepository", "WaitingSlot", NULL
};
static const char *const spec_vbr13_states[] = {
	"Stopped", "Starting", "Stopping", "Working", "Pausing", "Resuming", "WaitingTape", "Idle",
	"Postprocessing", "WaitingRepository", "WaitingSlot", "ActionRequired", NULL
};
static const char *const spec_az_status[] = {
	"Canceled", "Canceling", "Error", "NeverExecuted", "Running", "RunningWithError",
	"RunningWithWarning", "Success", "Warning", "Pending", "Unknown", NULL
};
static const char *const spec_results[] = {
	"None", "Success", "Warning", "Failed", NULL
};
static const char *const spec_log_status[] = {
	"None", "Succeeded", "Warning", "Failed", NULL
};
static const char *const spec_task_types[] = {
	"Backup", "Restore", "Antivirus", "Replica", NULL
};

static const char *const spec_platforms12[] = {
	"VMware", "HyperV", "CloudDirector", "WindowsPhysical", "LinuxPhysical", "Tape", "CustomPlatform",
	"EntraID", "UnstructuredData", "Test", NULL
};
static const char *const spec_platforms13r1[] = {
	"VMware", "HyperV", "CloudDirector", "WindowsPhysical", "LinuxPhysical", "Tape", "CustomPlatform",
	"EntraID", "UnstructuredData", "Test", "MongoDb", "AWSEC2", "AzureCompute", "GCE", NULL
};
static const char *const spec_platforms13r2[] = {
	"VMware", "HyperV", "CloudDirector", "WindowsPhysical", "LinuxPhysical", "Tape", "CustomPlatform",
	"EntraID", "UnstructuredData", "Test", "MongoDb", "Iris", "AWSEC2", "AzureCompute", "GCE",
	"Nutanix", "Proxmox", "LinuxPhysicalPpc", "ApplicationBackupRepository", NULL
};
static const char *const no_values[] = { NULL };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Per family (the family-level functions mean the family's newest version). */
static const char *const *const spec_vbr_types[] = {
	spec_vbr10_types, spec_vbr11_types, spec_vbr12_types, spec_vbr13_types
};
_Static_assert(ARRAY_LEN(spec_vbr_types) == VBR_FAM_COUNT, "one list per family");

/* Per version: what the published definitions say (a version without one: its family's).
 * Keyed by name, not sized by the version count: a version added later is checked against its
 * definition by tests/api/test_vbr_versions.py, and here by the invariants only. */
static const struct {
	const char *name;
	int fam;
	const char *const *types;       /* ESessionType */
	const char *const *states;      /* ESessionState */
	const char *const *platforms;   /* EPlatformType (none before 1.2) */
	const char *job_id;             /* SessionModel's job id key */
	int progress;                   /* SessionModel has progress */
	int iana_zone;                  /* ServerTimeModel has ianaTimeZoneId */
	const char *running;            /* EJobStatus of a running job */
} spec_versions[] = {
	{ "1.0-rev1", VBR_10, spec_vbr10_types, spec_vbr10_states, no_values, "activityId", 0, 0, "running" },
	{ "1.0-rev2", VBR_10, spec_vbr10_types, spec_vbr10_states, no_values, "activityId", 0, 0, "running" },
	{ "1.1-rev0", VBR_11, spec_vbr11_types, spec_vbr10_states, no_values, "activityId", 0, 0, "running" },
	{ "1.1-rev1", VBR_11, spec_vbr11_types, spec_vbr10_states, no_values, "activityId", 0, 0, "running" },
	{ "1.1-rev2", VBR_11, spec_vbr11_types, spec_vbr10_states, no_values, "activityId", 0, 0, "running" },
	{ "1.2-rev0", VBR_12, spec_vbr12_types, spec_vbr10_states, spec_platforms12, "jobId", 0, 0, "running" },
	{ "1.2-rev1", VBR_12, spec_vbr12_types, spec_vbr10_states, spec_platforms12, "jobId", 0, 0, "running" },
	{ "1.3-rev0", VBR_13, spec_vbr13r0_types, spec_vbr10_states, spec_platforms13r1, "jobId", 0, 0, "running" },
	{ "1.3-rev1", VBR_13, spec_vbr13r1_types, spec_vbr10_states, spec_platforms13r1, "jobId", 0, 0, "Running" },
	{ "1.3-rev2", VBR_13, spec_vbr13_types, spec_vbr13_states, spec_platforms13r2, "jobId", 1, 1, "Running" },
};

/* The expectations for version v, or NULL for a version not listed above. */
static int spec_of(int v)
{
	for(size_t i = 0; i < ARRAY_LEN(spec_versions); i++)
		if(!strcmp(spec_versions[i].name, catalog_vbr(v)->name))
			return (int)i;
	return -1;
}

/* EM system SessionType values (em_rest docs, API-DIGEST §2.5). */
static const char *const em_system_types[] = {
	"CatalogConsolidation", "CatalogCrawlJob", "CatalogReplicationJob", "CollectJob",
	"SecurityScopesRebuild", "VcPluginJob", "LicAutoUpdate", "DatabaseMaintenance",
	"HistoryCollectJob", "LicenseRevoke", "SyncCheckForProductUpdatesOption", "LogExport", NULL
};
/* EM BackupJobSession JobType values (em_rest docs, API-DIGEST §2.4) plus Replica. */
static const char *const em_job_types[] = {
	"Backup", "BackupCopy", "ImmediateBackupCopy", "ImmediateBackupCopyWorker", "AgentBackup",
	"AgentManagement", "NasBackup", "Replica", NULL
};

static int in_list(const char *const *list, const char *s)
{
	if(!s)
		return 0;
	for(; *list; list++)
		if(!strcmp(*list, s))
			return 1;
	return 0;
}

static int list_len(const char *const *list)
{
	int n = 0;
	while(list[n])
		n++;
	return n;
}

static int contains(const int *v, int n, int x)
{
	for(int i = 0; i < n; i++)
		if(v[i] == x)
			return 1;
	return 0;
}

/* Runs first: concurrent first use must build the index once and agree everywhere. */
static void *parse_worker(void *arg)
{
	(void)arg;
	intptr_t bad = 0;
	for(int i = 0; spec_vbr13_types[i]; i++)
		if(catalog_type_parse(spec_vbr13_types[i]) < 0)
			bad++;
	return (void *)bad;
}

static void test_concurrent_first_use(void **state)
{
	(void)state;
	pthread_t th[8];
	for(int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, parse_worker, NULL), 0);
	for(int i = 0; i < 8; i++) {
		void *r;
		assert_int_equal(pthread_join(th[i], &r), 0);
		assert_int_equal((intptr_t)r, 0);
	}
}

static void test_versions(void **state)
{
	(void)state;
	char list[512] = "";
	for(size_t i = 0; i < ARRAY_LEN(spec_versions); i++) {
		int v = catalog_vbr_parse(spec_versions[i].name);
		assert_true(v >= 0);
		assert_int_equal(spec_of(v), (int)i);
		assert_int_equal(catalog_vbr_family(v), spec_versions[i].fam);
		if(i)
			assert_true(v > catalog_vbr_parse(spec_versions[i - 1].name)); /* oldest first */
	}
	for(int v = 0; v < VBR_VER_COUNT; v++) {
		const struct vbr_version *r = catalog_vbr(v);
		assert_int_equal(catalog_vbr_parse(r->name), v);
		assert_int_equal(catalog_vbr_family(v), (int)r->fam);
		if(v)
			assert_true(r->fam >= catalog_vbr(v - 1)->fam);
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s%s", v ? ", " : "", r->name);
	}
	assert_string_equal(catalog_vbr_list(), list);
	assert_int_equal(catalog_vbr_parse("1.3-REV2"), VBR_V13R2);
	assert_int_equal(catalog_vbr_parse("1.4-rev0"), -1);
	assert_int_equal(catalog_vbr_parse("1.3"), -1);
	assert_int_equal(catalog_vbr_parse("1.3-rev2 "), -1);
	assert_int_equal(catalog_vbr_parse(""), -1);
	assert_int_equal(catalog_vbr_parse(NULL), -1);
	/* families: oldest and newest member; an invalid id means the latest version */
	assert_int_equal(catalog_vbr_oldest(VBR_10), VBR_V10R1);
	assert_int_equal(catalog_vbr_newest(VBR_10), VBR_V10R2);
	assert_int_equal(catalog_vbr_oldest(VBR_12), VBR_V12R0);
	assert_int_equal(catalog_vbr_newest(VBR_13), VBR_VER_LATEST);
	assert_int_equal(catalog_vbr_newest(-1), VBR_VER_LATEST);
	assert_string_equal(catalog_vbr(-1)->name, catalog_vbr(VBR_VER_LATEST)->name);
	assert_string_equal(catalog_vbr(VBR_VER_COUNT)->name, catalog_vbr(VBR_VER_LATEST)->name);
	/* the default (sessionctl's) is a string literal naming an accepted version */
	static const char dflt[] = CATALOG_VBR_DEFAULT;
	assert_true(catalog_vbr_parse(dflt) >= 0);
}

/* Each version's fields and word sets are those of its definition. */
static void test_version_shapes(void **state)
{
	(void)state;
	for(int v = 0; v < VBR_VER_COUNT; v++) {
		const struct vbr_version *r = catalog_vbr(v);
		int i = spec_of(v);
		assert_non_null(r->job_id);
		assert_non_null(r->jobs);
		if(i < 0)
			continue;
		assert_string_equal(r->job_id, spec_versions[i].job_id);
		assert_int_equal(r->progress != NULL, spec_versions[i].progress);
		assert_int_equal(r->iana_zone != NULL, spec_versions[i].iana_zone);
		assert_int_equal(r->platform != NULL, r->fam >= VBR_12);
		assert_int_equal(r->initiated_by != NULL, r->fam >= VBR_13);
		assert_int_equal(r->build != NULL, r->fam >= VBR_11); /* 1.0 has no serverInfo */
		assert_string_equal(r->jobs->running, spec_versions[i].running);
		assert_string_equal(r->jobs->replica, r->fam >= VBR_12 ? "VSphereReplica" : "Backup");
		assert_string_equal(r->jobs->backup, r->fam >= VBR_13 ? "VSphereBackup" : "Backup");
		for(const char *const *p = spec_versions[i].platforms; *p; p++)
			assert_true(catalog_vbr_platform_known(*p, v));
		if(!spec_versions[i].platforms[0])
			assert_false(catalog_vbr_platform_known("VMware", v));
	}
	assert_false(catalog_vbr_platform_known("Proxmox", VBR_V13R1));
	assert_true(catalog_vbr_platform_known("Proxmox", VBR_V13R2));
	assert_false(catalog_vbr_platform_known("proxmox", VBR_V13R2));
	assert_false(catalog_vbr_platform_known(NULL, VBR_V13R2));
}

/* Per version: exactly its ESessionType values parse, every type shows one of them, and the
 * states are its ESessionState (ActionRequired shows as Working before 1.3-rev2). */
static void test_version_enums(void **state)
{
	(void)state;
	for(int v = 0; v < VBR_VER_COUNT; v++) {
		int i = spec_of(v);
		if(i < 0)
			continue;
		const char *const *types = spec_versions[i].types;
		for(const char *const *s = types; *s; s++) {
			int t = catalog_vbr_type_parse(*s, v);
			if(t < 0)
				fail_msg("%s: '%s' does not parse", spec_versions[i].name, *s);
			assert_string_equal(catalog_vbr_type(t, v), *s);
		}
		FOR_EACH_TYPE(t) {
			const char *shown = catalog_vbr_type(t, v);
			if(!in_list(types, shown))
				fail_msg("%s shows type %s as '%s', not in its enum", spec_versions[i].name,
				         catalog_type_name(t), shown);
			if(!in_list(types, catalog_type_name(t)))
				assert_int_equal(catalog_vbr_type_parse(catalog_type_name(t), v), -1);
		}
		const char *const *states = spec_versions[i].states;
		for(int st = 0; st < ST__COUNT; st++) {
			int has = in_list(states, catalog_state_name(st));
			assert_int_equal(catalog_vbr_state_parse(catalog_state_name(st), v), has ? st : -1);
			assert_int_equal(catalog_vbr_state(st, v), has ? st : ST_WORKING);
		}
	}
	assert_int_equal(catalog_vbr_type_parse("HaClusterEdit", VBR_V13R1), -1);
	assert_string_equal(catalog_vbr_type(catalog_type_parse("HaClusterEdit"), VBR_V13R1), "Infrastructure");
	assert_string_equal(catalog_vbr_type(catalog_type_parse("BackupCopyJobParent"), VBR_V13R1), "BackupCopyJob");
	assert_string_equal(catalog_vbr_type(catalog_type_parse("BackupCopyJobParent"), VBR_V13R0), "BackupJob");
	assert_int_equal(catalog_vbr_state_parse("ActionRequired", -1), ST_ACTION_REQUIRED);
	assert_int_equal(catalog_vbr_state_parse("Working", VBR_VER_COUNT), -1);
	assert_int_equal(catalog_vbr_state(ST__COUNT, VBR_V10R1), ST__COUNT);
}

/* Every value of every version's enum parses in that version and is shown back unchanged. */
static void test_vbr_enum_roundtrip(void **state)
{
	(void)state;
	for(int fam = 0; fam < VBR_FAM_COUNT; fam++) {
		for(const char *const *s = spec_vbr_types[fam]; *s; s++) {
			int t = catalog_type_parse_vbr(*s, fam);
			assert_true(t >= 0);
			assert_string_equal(catalog_type_vbr(t, fam), *s);
			assert_int_equal(catalog_type_parse(*s), t);
		}
	}
	for(const char *const *s = spec_vbr13_types; *s; s++)
		assert_string_equal(catalog_type_name(catalog_type_parse(*s)), *s);
}

static void test_type_parse_case_and_unknown(void **state)
{
	(void)state;
	int bj = catalog_type_parse("BackupJob");
	assert_true(bj >= 0);
	assert_int_equal(catalog_type_parse("backupjob"), bj);
	assert_int_equal(catalog_type_parse("BACKUPJOB"), bj);
	assert_int_equal(catalog_type_parse("Job"), bj);
	assert_int_equal(catalog_type_parse("job"), bj);
	assert_int_equal(catalog_type_parse("NoSuchType"), -1);
	assert_int_equal(catalog_type_parse(""), -1);
	assert_int_equal(catalog_type_parse(NULL), -1);
	assert_int_equal(catalog_type_parse("BackupJob "), -1);
	/* names are unique case-insensitively: each canonical name parses to its own row */
	FOR_EACH_TYPE(t)
		assert_int_equal(catalog_type_parse(catalog_type_name(t)), t);
}

static void test_backup_job_spelling(void **state)
{
	(void)state;
	int bj = catalog_type_parse("BackupJob");
	assert_string_equal(catalog_type_vbr(bj, VBR_10), "Job");
	assert_string_equal(catalog_type_vbr(bj, VBR_11), "Job");
	assert_string_equal(catalog_type_vbr(bj, VBR_12), "BackupJob");
	assert_string_equal(catalog_type_vbr(bj, VBR_13), "BackupJob");
	assert_int_equal(catalog_type_parse_vbr("Job", VBR_10), bj);
	assert_int_equal(catalog_type_parse_vbr("job", VBR_11), bj);
	assert_int_equal(catalog_type_parse_vbr("Job", VBR_12), -1);
	assert_int_equal(catalog_type_parse_vbr("Job", VBR_13), -1);
	assert_int_equal(catalog_type_parse_vbr("BackupJob", VBR_10), -1);
	assert_int_equal(catalog_type_parse_vbr("BackupJob", VBR_11), -1);
	assert_int_equal(catalog_type_parse_vbr("BackupJob", VBR_12), bj);
	/* ReplicaJob appears in 1.2; older versions show it as "Job" */
	int rj = catalog_type_parse("ReplicaJob");
	assert_int_equal(catalog_type_parse_vbr("ReplicaJob", VBR_11), -1);
	assert_int_equal(catalog_type_parse_vbr("ReplicaJob", VBR_12), rj);
	assert_string_equal(catalog_type_vbr(rj, VBR_11), "Job");
	assert_string_equal(catalog_type_vbr(rj, VBR_10), "Job");
	/* 1.3-only types are refused by 1.2, EM/Azure-only types by every family */
	assert_int_equal(catalog_type_parse_vbr("AgentBackup", VBR_12), -1);
	assert_true(catalog_type_parse_vbr("AgentBackup", VBR_13) >= 0);
	assert_int_equal(catalog_type_parse_vbr("PolicyBackup", VBR_13), -1);
	assert_int_equal(catalog_type_parse_vbr("CollectJob", VBR_13), -1);
	assert_int_equal(catalog_type_parse_vbr("Infrastructure", -1), -1);
	assert_int_equal(catalog_type_parse_vbr("Infrastructure", VBR_FAM_COUNT), -1);
}

/* For every type and family the value shown is in that version's enum (spec list). */
static void test_every_type_every_family_in_enum(void **state)
{
	(void)state;
	int n = catalog_type_count();
	assert_int_equal(n, 185);
	FOR_EACH_TYPE(t) {
		for(int fam = 0; fam < VBR_FAM_COUNT; fam++) {
			const char *v = catalog_type_vbr(t, fam);
			if(!in_list(spec_vbr_types[fam], v))
				fail_msg("type %s shows '%s' in family %d, not in the enum",
				         catalog_type_name(t), v ? v : "(null)", fam);
		}
	}
}

/* The match sets of a family's values partition all types; fallbacks are included. */
static void test_match_vbr(void **state)
{
	(void)state;
	int n = catalog_type_count();
	int out[512];
	for(int fam = 0; fam < VBR_FAM_COUNT; fam++) {
		int total = 0;
		for(const char *const *s = spec_vbr_types[fam]; *s; s++) {
			int k = catalog_type_match_vbr(*s, fam, out, 512);
			assert_true(k >= 1);
			for(int i = 0; i < k; i++)
				assert_string_equal(catalog_type_vbr(out[i], fam), *s);
			total += k;
		}
		assert_int_equal(total, n);
	}
	int k = catalog_type_match_vbr("Infrastructure", VBR_10, out, 512);
	assert_true(contains(out, k, catalog_type_parse("Infrastructure")));
	assert_true(contains(out, k, catalog_type_parse("RestoreVm")));
	assert_true(contains(out, k, catalog_type_parse("CollectJob")));
	assert_false(contains(out, k, catalog_type_parse("BackupJob")));
	k = catalog_type_match_vbr("Job", VBR_11, out, 512);
	assert_true(contains(out, k, catalog_type_parse("BackupJob")));
	assert_true(contains(out, k, catalog_type_parse("ReplicaJob")));
	k = catalog_type_match_vbr("ReplicaJob", VBR_13, out, 512);
	assert_int_equal(k, 1);
	assert_int_equal(out[0], catalog_type_parse("ReplicaJob"));
	assert_int_equal(catalog_type_match_vbr("Job", VBR_12, out, 512), -1);
	assert_int_equal(catalog_type_match_vbr("Nope", VBR_13, out, 512), -1);
	/* max bounds the writes */
	assert_int_equal(catalog_type_match_vbr("Infrastructure", VBR_10, out, 2), 2);
}

static void test_azure_types(void **state)
{
	(void)state;
	for(const char *const *s = spec_az_types; *s; s++) {
		int t = catalog_type_parse_az(*s);
		if(t < 0)
			fail_msg("Azure type %s does not parse", *s);
		assert_string_equal(catalog_type_az(t), *s);
		assert_string_equal(catalog_type_name(t), *s);
		assert_true(strlen(catalog_type_az_label(t)) > 0);
	}
	int ab = catalog_type_parse_az("AutoBackup");
	assert_true(ab >= 0);
	assert_string_equal(catalog_type_az(ab), "AutoBackup");
	assert_string_equal(catalog_type_az_label(ab), "Auto Backup");
	assert_int_equal(catalog_type_parse_az("policybackup"), catalog_type_parse("PolicyBackup"));
	/* VBR types are not Azure values of their own; they show the nearest Azure value */
	assert_int_equal(catalog_type_parse_az("BackupJob"), -1);
	assert_int_equal(catalog_type_parse_az("Job"), -1);
	assert_int_equal(catalog_type_parse_az(NULL), -1);
	int bj = catalog_type_parse("BackupJob");
	assert_string_equal(catalog_type_az(bj), "PolicyBackup");
	assert_string_equal(catalog_type_az_label(bj), "Backup Job");
	/* every type shows a v8.1 value (or the pre-v8 AutoBackup for itself) and has a label */
	int own = 0;
	FOR_EACH_TYPE(t) {
		const char *a = catalog_type_az(t);
		if(!in_list(spec_az_types, a) && !(t == ab && !strcmp(a, "AutoBackup")))
			fail_msg("type %s shows Azure type %s", catalog_type_name(t), a);
		assert_true(strlen(catalog_type_az_label(t)) > 0);
		if(catalog_type_parse_az(a) == t)
			own++;
	}
	assert_int_equal(own, list_len(spec_az_types) + 1);
	int out[512];
	int k = catalog_type_match_az("PolicyBackup", out, 512);
	assert_true(contains(out, k, bj));
	assert_true(contains(out, k, catalog_type_parse("PolicyBackup")));
	assert_int_equal(catalog_type_match_az("BackupJob", out, 512), -1);
}

static void test_em_types(void **state)
{
	(void)state;
	for(const char *const *s = em_system_types; *s; s++) {
		int t = catalog_type_parse(*s);
		assert_true(t >= 0);
		assert_int_equal(catalog_type_em_family(t), EMF_SYSTEM);
		assert_string_equal(catalog_type_em_name(t), *s);
	}
	int systems = 0;
	FOR_EACH_TYPE(t) {
		enum em_family f = catalog_type_em_family(t);
		assert_true(f >= EMF_NONE && f < EMF__COUNT);
		assert_non_null(catalog_type_em_name(t));
		if(f == EMF_SYSTEM) {
			systems++;
			assert_true(in_list(em_system_types, catalog_type_em_name(t)));
		} else if(f != EMF_NONE && f != EMF_RESTORE) {
			assert_true(in_list(em_job_types, catalog_type_em_name(t)));
		}
	}
	assert_int_equal(systems, list_len(em_system_types));
	int bj = catalog_type_parse("BackupJob");
	assert_int_equal(catalog_type_em_family(bj), EMF_BACKUP);
	assert_string_equal(catalog_type_em_name(bj), "Backup");
	int rj = catalog_type_parse("ReplicaJob");
	assert_int_equal(catalog_type_em_family(rj), EMF_REPLICA);
	assert_string_equal(catalog_type_em_name(rj), "Replica");
	assert_int_equal(catalog_type_em_family(catalog_type_parse("AgentBackup")), EMF_AGENT);
	assert_int_equal(catalog_type_em_family(catalog_type_parse("NasBackup")), EMF_NAS);
	assert_int_equal(catalog_type_em_family(catalog_type_parse("PolicyBackup")), EMF_NONE);
	int out[512];
	int k = catalog_type_match_em("backup", out, 512);
	assert_int_equal(k, 1);
	assert_int_equal(out[0], bj);
	k = catalog_type_match_em("AgentBackup", out, 512);
	assert_true(contains(out, k, catalog_type_parse("AgentBackup")));
	assert_true(contains(out, k, catalog_type_parse("EndpointBackup")));
	assert_int_equal(catalog_type_match_em("Job", out, 512), -1);
	assert_string_equal(catalog_em_family_name(EMF_NAS), "nas/backupSessions");
	assert_string_equal(catalog_em_family_name(EMF_NONE), "");
}

/* Codes are what the database stores: the codes of the release before they were explicit
 * (the row positions of its catalog.def) must name the same types forever. */
static void test_permanent_codes(void **state)
{
	(void)state;
	static const struct { int code; const char *name; } pinned[] = {
		{0, "Infrastructure"}, {1, "BackupJob"}, {8, "RestoreVm"}, {15, "ReplicaJob"},
		{34, "SureBackup"}, {183, "Unknown"}, {184, "AutoBackup"},
	};
	for(size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		assert_true(catalog_type_valid(pinned[i].code));
		assert_string_equal(catalog_type_name(pinned[i].code), pinned[i].name);
		assert_int_equal(catalog_type_parse(pinned[i].name), pinned[i].code);
	}
	/* Unique and in range; codes, not positions, are what parsing returns. */
	static unsigned char seen[CATALOG_CODE_LIMIT];
	FOR_EACH_TYPE(t) {
		assert_true(t >= 0 && t < CATALOG_CODE_LIMIT);
		assert_int_equal(seen[t], 0);
		seen[t] = 1;
		assert_int_equal(catalog_type_parse(catalog_type_name(t)), t);
	}
	assert_int_equal(catalog_type_at(catalog_type_count()), -1);
	assert_false(catalog_type_valid(-1));
	assert_false(catalog_type_valid(CATALOG_CODE_LIMIT));
	/* The small enumerations are stored as they are numbered. */
	assert_int_equal(ST_STOPPED, 0);
	assert_int_equal(ST_WORKING, 3);
	assert_int_equal(ST_ACTION_REQUIRED, 11);
	assert_int_equal(RES_FAILED, 3);
	assert_int_equal(LOG_FAILED, 3);
	assert_int_equal(TT_ANTIVIRUS, 3);
}

static void test_invalid_type_index(void **state)
{
	(void)state;
	assert_string_equal(catalog_type_name(-1), "Unknown");
	assert_string_equal(catalog_type_name(CATALOG_CODE_LIMIT), "Unknown");
	assert_string_equal(catalog_type_az(CATALOG_CODE_LIMIT), "Unknown");
	assert_true(in_list(spec_vbr10_types, catalog_type_vbr(-5, VBR_10)));
	assert_true(in_list(spec_vbr13_types, catalog_type_vbr(0, 99)));
	assert_int_equal(catalog_type_em_family(-1), EMF_NONE);
}

static void test_states(void **state)
{
	(void)state;
	assert_int_equal(list_len(spec_vbr13_states), ST__COUNT);
	for(int st = 0; st < ST__COUNT; st++) {
		assert_string_equal(catalog_state_name(st), spec_vbr13_states[st]);
		assert_int_equal(catalog_state_parse(spec_vbr13_states[st], -1), st);
		assert_int_equal(catalog_state_parse(spec_vbr13_states[st], VBR_13), st);
	}
	for(int fam = VBR_10; fam <= VBR_12; fam++)
		for(const char *const *s = spec_vbr10_states; *s; s++)
			assert_true(catalog_state_parse(*s, fam) >= 0);
	assert_int_equal(catalog_state_parse("ActionRequired", VBR_12), -1);
	assert_int_equal(catalog_state_parse("ActionRequired", VBR_10), -1);
	assert_int_equal(catalog_state_parse("actionrequired", VBR_13), ST_ACTION_REQUIRED);
	assert_int_equal(catalog_state_parse("working", VBR_12), ST_WORKING);
	assert_int_equal(catalog_state_parse("Running", -1), -1);
	assert_int_equal(catalog_state_parse(NULL, -1), -1);
	assert_null(catalog_state_name(ST__COUNT));
	assert_null(catalog_state_name(-1));
}

static void test_results_logs_tasks(void **state)
{
	(void)state;
	assert_int_equal(list_len(spec_results), RES__COUNT);
	for(int r = 0; r < RES__COUNT; r++) {
		assert_string_equal(catalog_result_name(r), spec_results[r]);
		assert_int_equal(catalog_result_parse(spec_results[r]), r);
	}
	assert_int_equal(catalog_result_parse("FAILED"), RES_FAILED);
	assert_int_equal(catalog_result_parse("Error"), -1);
	assert_int_equal(list_len(spec_log_status), LOG__COUNT);
	for(int s = 0; s < LOG__COUNT; s++) {
		assert_string_equal(catalog_log_status_name(s), spec_log_status[s]);
		assert_int_equal(catalog_log_status_parse(spec_log_status[s]), s);
	}
	assert_int_equal(catalog_log_status_parse("Success"), -1);
	assert_int_equal(list_len(spec_task_types), TT__COUNT);
	for(const char *const *s = spec_task_types; *s; s++) {
		int t = catalog_task_type_parse(*s);
		assert_true(t >= 0);
		assert_string_equal(catalog_task_type_name(t), *s);
	}
	assert_string_equal(catalog_task_type_name(TT_REPLICA), "Replica");
	assert_null(catalog_result_name(RES__COUNT));
}

static void test_az_status(void **state)
{
	(void)state;
	static const struct { int st, res, canceled, stop; const char *want; } cases[] = {
		{ ST_STARTING, RES_NONE, 0, 0, "Running" },
		{ ST_WORKING, RES_NONE, 0, 0, "Running" },
		{ ST_IDLE, RES_NONE, 0, 0, "Running" },
		{ ST_ACTION_REQUIRED, RES_NONE, 0, 0, "Running" },
		{ ST_WORKING, RES_WARNING, 0, 0, "RunningWithWarning" },
		{ ST_WORKING, RES_FAILED, 0, 0, "RunningWithError" },
		{ ST_WORKING, RES_NONE, 0, 1, "Canceling" },
		{ ST_STOPPING, RES_NONE, 0, 1, "Canceling" },
		{ ST_WAITING_TAPE, RES_NONE, 0, 0, "Pending" },
		{ ST_WAITING_REPOSITORY, RES_NONE, 0, 0, "Pending" },
		{ ST_WAITING_SLOT, RES_WARNING, 0, 0, "Pending" },
		{ ST_WAITING_SLOT, RES_NONE, 0, 1, "Canceling" },
		{ ST_STOPPED, RES_SUCCESS, 0, 0, "Success" },
		{ ST_STOPPED, RES_WARNING, 0, 0, "Warning" },
		{ ST_STOPPED, RES_FAILED, 0, 0, "Error" },
		{ ST_STOPPED, RES_NONE, 0, 0, "Unknown" },
		{ ST_STOPPED, RES_WARNING, 1, 1, "Canceled" },
		{ ST_STOPPED, RES_FAILED, 1, 0, "Canceled" },
		{ ST_STOPPED, RES_SUCCESS, 0, 1, "Success" },
	};
	for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = catalog_az_status(cases[i].st, cases[i].res, cases[i].canceled, cases[i].stop);
		assert_string_equal(got, cases[i].want);
		assert_true(in_list(spec_az_status, got));
	}
	for(int st = 0; st < ST__COUNT; st++)
		for(int r = 0; r < RES__COUNT; r++)
			for(int c = 0; c < 4; c++)
				assert_true(in_list(spec_az_status, catalog_az_status(st, r, c & 1, c >> 1)));
}

static void test_em_states(void **state)
{
	(void)state;
	static const char *const order[] = { "Starting", "Stopping", "Working", "Pausing", "Resuming", "Stopped" };
	static const int st_of[] = { ST_STARTING, ST_STOPPING, ST_WORKING, ST_PAUSING, ST_RESUMING, ST_STOPPED };
	for(int i = 0; i < 6; i++) {
		assert_int_equal(catalog_em_state_rank(st_of[i]), i);
		assert_string_equal(catalog_em_state_name(st_of[i]), order[i]);
		assert_int_equal(catalog_em_state_parse(order[i]), i);
	}
	assert_int_equal(catalog_em_state_parse("WORKING"), 2);
	assert_int_equal(catalog_em_state_parse("Idle"), -1);
	assert_string_equal(catalog_em_state_name(ST_IDLE), "Working");
	assert_string_equal(catalog_em_state_name(ST_ACTION_REQUIRED), "Working");
	assert_int_equal(catalog_em_state_rank(ST_WAITING_SLOT), catalog_em_state_rank(ST_WORKING));
	assert_int_equal(catalog_em_state_rank(-1), -1);
	assert_null(catalog_em_state_name(ST__COUNT));

	assert_string_equal(catalog_em_system_state(ST_WORKING, RES_NONE), "InProgress");
	assert_string_equal(catalog_em_system_state(ST_STARTING, RES_FAILED), "InProgress");
	assert_string_equal(catalog_em_system_state(ST_STOPPED, RES_SUCCESS), "CompletedSuccessfully");
	assert_string_equal(catalog_em_system_state(ST_STOPPED, RES_WARNING), "CompletedWarning");
	assert_string_equal(catalog_em_system_state(ST_STOPPED, RES_FAILED), "Failed");
	assert_string_equal(catalog_em_system_state(ST_STOPPED, RES_NONE), "CompletedWarning");
}

static void test_markdown(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(catalog_write_markdown(&b), 0);
	const char *md = buf_cstr(&b);
	FOR_EACH_TYPE(t) {
		char row[128];
		int n = snprintf(row, sizeof row, "\n| %s |", catalog_type_name(t));
		assert_true(n > 0 && (size_t)n < sizeof row);
		if(!strstr(md, row))
			fail_msg("markdown lacks a row for %s", catalog_type_name(t));
	}
	assert_non_null(strstr(md, "| BackupJob | 1 | `Job` | `Job` | `BackupJob` | `BackupJob` |"));
	assert_non_null(strstr(md, "RunningWithWarning"));
	assert_non_null(strstr(md, "CompletedSuccessfully"));
	assert_non_null(strstr(md, "`1.3-rev2` | 1.3"));
	buf_free(&b);
	buf_init(&b, 100);
	assert_int_equal(catalog_write_markdown(&b), -1);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_first_use),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_version_shapes),
		cmocka_unit_test(test_version_enums),
		cmocka_unit_test(test_vbr_enum_roundtrip),
		cmocka_unit_test(test_type_parse_case_and_unknown),
		cmocka_unit_test(test_backup_job_spelling),
		cmocka_unit_test(test_every_type_every_family_in_enum),
		cmocka_unit_test(test_match_vbr),
		cmocka_unit_test(test_azure_types),
		cmocka_unit_test(test_em_types),
		cmocka_unit_test(test_permanent_codes),
		cmocka_unit_test(test_invalid_type_index),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_results_logs_tasks),
		cmocka_unit_test(test_az_status),
		cmocka_unit_test(test_em_states),
		cmocka_unit_test(test_markdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
