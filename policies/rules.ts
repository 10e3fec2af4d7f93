/**
 * The HealthFlow policy pack: every rule, and the pack-level settings. Both the CrossGuard entry point
 * (index.ts, which starts the analyzer's gRPC server) and the offline runner (offline.ts) read this module;
 * tests import it freely because it starts nothing.
 */
import type { EnforcementLevel } from "@pulumi/policy";
import { elasticacheReplicationGroupAuthToken } from "./aws/elasticache/replication-group-auth-token";
import { elasticacheReplicationGroupAutomaticFailover } from "./aws/elasticache/replication-group-automatic-failover";
import { elasticacheReplicationGroupEncryption } from "./aws/elasticache/replication-group-encryption";
import { eksClusterControlPlaneLogging } from "./aws/eks/cluster-control-plane-logging";
import { eksClusterPublicEndpointRestricted } from "./aws/eks/cluster-public-endpoint-restricted";
import { eksClusterSecretsEncryption } from "./aws/eks/cluster-secrets-encryption";
import { kmsKeyRotationEnabled } from "./aws/kms/key-rotation-enabled";
import { rdsInstanceBackupRetention } from "./aws/rds/instance-backup-retention";
import { rdsInstanceDeletionProtection } from "./aws/rds/instance-deletion-protection";
import { rdsInstanceMultiAz } from "./aws/rds/instance-multi-az";
import { rdsInstanceNotPubliclyAccessible } from "./aws/rds/instance-not-publicly-accessible";
import { rdsInstanceStorageEncrypted } from "./aws/rds/instance-storage-encrypted";
import { rdsParameterGroupNoParameterLogging } from "./aws/rds/parameter-group-no-parameter-logging";
import { cloudtrailTrailIntegrity } from "./aws/cloudtrail/trail-integrity";
import { zoneAlwaysUseHttps } from "./cloudflare/zone-always-use-https";
import { zoneMinTlsVersion } from "./cloudflare/zone-min-tls-version";
import { zoneSslStrict } from "./cloudflare/zone-ssl-strict";
import { containerResourceLimitsBounded } from "./kubernetes/container-resource-limits-bounded";
import { containerResourcesSet } from "./kubernetes/container-resources-set";
import { dropAllCapabilities } from "./kubernetes/drop-all-capabilities";
import { hpaReplicaBounds } from "./kubernetes/hpa-replica-bounds";
import { imagePinned } from "./kubernetes/image-pinned";
import { ingressNoSnippetAnnotations } from "./kubernetes/ingress-no-snippet-annotations";
import { loadBalancerServicesAllowed } from "./kubernetes/load-balancer-services-allowed";
import { noHostNamespaces } from "./kubernetes/no-host-namespaces";
import { noHostPathVolumes } from "./kubernetes/no-host-path-volumes";
import { noPrivilegeEscalation } from "./kubernetes/no-privilege-escalation";
import { probesConfigured } from "./kubernetes/probes-configured";
import { readOnlyRootFilesystem } from "./kubernetes/read-only-root-filesystem";
import { runAsNonRoot } from "./kubernetes/run-as-non-root";
import { costMonthlyBudget } from "./stack/aws/cost/monthly-budget";
import { costMonthlyEstimate } from "./stack/aws/cost/monthly-estimate";
import { s3BackupBucketLifecycle } from "./stack/aws/s3/backup-lifecycle";
import { guarddutyDetectorProtections } from "./stack/aws/guardduty/detector-protections";
import { cloudtrailBucketObjectLock } from "./stack/aws/cloudtrail/bucket-object-lock";
import { s3BackupBucketObjectLock } from "./stack/aws/s3/backup-object-lock";
import { s3BucketKmsEncryption } from "./stack/aws/s3/kms-encryption";
import { s3BucketPublicAccessBlocked } from "./stack/aws/s3/public-access-blocked";
import { s3BucketTlsOnlyPolicy } from "./stack/aws/s3/tls-only-policy";
import { s3BucketVersioningEnabled } from "./stack/aws/s3/versioning-enabled";
import { zoneManagedWaf } from "./stack/cloudflare/zone-managed-waf";
import { zoneSecuritySettingsDeclared } from "./stack/cloudflare/zone-security-settings-declared";
import { deploymentAvailability } from "./stack/kubernetes/deployment-availability";
import { pdbAllowsDisruption } from "./stack/kubernetes/pdb-allows-disruption";
import type { HealthflowPolicy } from "./lib/define";

export const policyPackName = "healthflow-policies";

/** Level for a rule that neither defines one nor gets one from config (every rule here defines one). */
export const policyPackEnforcementLevel: EnforcementLevel = "advisory";

export const policyPackDescription =
  "HealthFlow guardrails: Kubernetes resource limits and pod security, AWS data-store encryption and " +
  "backups, Cloudflare TLS and WAF.";

export const policies: HealthflowPolicy[] = [
  // Kubernetes: resources and scaling
  containerResourcesSet,
  containerResourceLimitsBounded,
  hpaReplicaBounds,
  // Kubernetes: pod security
  runAsNonRoot,
  noPrivilegeEscalation,
  readOnlyRootFilesystem,
  dropAllCapabilities,
  noHostNamespaces,
  noHostPathVolumes,
  imagePinned,
  probesConfigured,
  // Kubernetes: exposure
  loadBalancerServicesAllowed,
  ingressNoSnippetAnnotations,
  // AWS
  rdsInstanceStorageEncrypted,
  rdsInstanceNotPubliclyAccessible,
  rdsInstanceBackupRetention,
  rdsInstanceDeletionProtection,
  rdsInstanceMultiAz,
  rdsParameterGroupNoParameterLogging,
  cloudtrailTrailIntegrity,
  elasticacheReplicationGroupEncryption,
  elasticacheReplicationGroupAuthToken,
  elasticacheReplicationGroupAutomaticFailover,
  eksClusterControlPlaneLogging,
  eksClusterSecretsEncryption,
  eksClusterPublicEndpointRestricted,
  kmsKeyRotationEnabled,
  // Cloudflare
  zoneSslStrict,
  zoneMinTlsVersion,
  zoneAlwaysUseHttps,
  // Stack rules: relations between resources
  deploymentAvailability,
  pdbAllowsDisruption,
  s3BucketPublicAccessBlocked,
  s3BucketKmsEncryption,
  s3BucketVersioningEnabled,
  s3BucketTlsOnlyPolicy,
  s3BackupBucketObjectLock,
  s3BackupBucketLifecycle,
  guarddutyDetectorProtections,
  cloudtrailBucketObjectLock,
  zoneSecuritySettingsDeclared,
  zoneManagedWaf,
  // Cost: an estimate in every preview, and the budget
  costMonthlyEstimate,
  costMonthlyBudget,
];
