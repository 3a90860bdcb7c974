/**
 * The domain view of one security finding, whatever transport delivered it (a GuardDuty
 * EventBridge event or a Security Hub "Findings - Imported" event). Every string in here
 * that came from the finding is untrusted text: renderers must escape it.
 */

/** GuardDuty's severity bands (1.0–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10.0 Critical). */
export type SeverityBand = 'Low' | 'Medium' | 'High' | 'Critical';

/** Where the finding came from. */
export type FindingSource = 'guardduty' | 'securityhub';

/** A security group as GuardDuty reports it on a network interface. */
export interface SecurityGroupRef {
  id: string;
  name?: string;
}

/** One elastic network interface of an instance, with the groups it had when the finding was made. */
export interface NetworkInterfaceRef {
  id: string;
  subnetId?: string;
  vpcId?: string;
  privateIp?: string;
  publicIp?: string;
  securityGroups: SecurityGroupRef[];
}

/** An EC2 instance named by a finding. */
export interface InstanceResource {
  kind: 'Instance';
  instanceId: string;
  name?: string;
  instanceType?: string;
  state?: string;
  availabilityZone?: string;
  imageId?: string;
  launchTime?: string;
  instanceProfileArn?: string;
  /** Name of the Auto Scaling group, from the `aws:autoscaling:groupName` tag. */
  autoScalingGroup?: string;
  tags: Record<string, string>;
  networkInterfaces: NetworkInterfaceRef[];
}

/** IAM credentials named by a finding (access key, role session, user). */
export interface AccessKeyResource {
  kind: 'AccessKey';
  accessKeyId?: string;
  principalId?: string;
  userName?: string;
  userType?: string;
  /** For instance-profile role sessions the session name (second half of the principal id) is the instance id. */
  sourceInstanceId?: string;
  /** The instance the credentials belong to, when the finding carries its details. */
  sourceInstance?: InstanceResource;
}

/** S3 buckets named by a finding. */
export interface S3BucketResource {
  kind: 'S3Bucket';
  buckets: { name: string; arn?: string }[];
}

/** Any other resource type (EKS, Lambda, RDS, containers, ECS, …): shown, never acted upon. */
export interface OtherResource {
  kind: 'Other';
  /** GuardDuty's `resourceType` (for example `EKSCluster`, `Lambda`, `RDSDBInstance`, `Container`). */
  resourceType: string;
  /** The most specific identifier we could find (cluster name, function name, DB instance id…). */
  id?: string;
  /** A few labelled details worth showing (namespace, engine, image…). */
  details: { label: string; value: string }[];
}

export type FindingResource =
  | InstanceResource
  | AccessKeyResource
  | S3BucketResource
  | OtherResource;

/** Who or what acted: the remote side of the activity. */
export interface Actor {
  /** GuardDuty's `service.action.actionType` (NETWORK_CONNECTION, AWS_API_CALL, PORT_PROBE, DNS_REQUEST…). */
  actionType?: string;
  ip?: string;
  port?: number;
  localPort?: number;
  direction?: string;
  protocol?: string;
  country?: string;
  city?: string;
  organization?: string;
  asn?: string;
  domain?: string;
  /** For API calls: service and operation, e.g. `iam.amazonaws.com` / `CreateUser`. */
  apiService?: string;
  api?: string;
  errorCode?: string;
  userAgent?: string;
}

/** What a malware scan found (Malware Protection findings). */
export interface MalwareDetails {
  threatNames: string[];
  filePaths: string[];
  scanId?: string;
  triggerFindingId?: string;
}

/** A normalized finding. */
export interface Finding {
  /** GuardDuty finding id, or the ASFF `Id` for Security Hub findings. */
  id: string;
  source: FindingSource;
  arn?: string;
  /** Raw finding type, e.g. `UnauthorizedAccess:EC2/SSHBruteForce`. */
  type: string;
  title: string;
  description: string;
  /** Severity on GuardDuty's 1.0–10.0 scale (Security Hub's 0–100 `Normalized` is divided by 10). */
  severity: number;
  accountId: string;
  region: string;
  partition: string;
  detectorId?: string;
  createdAt: string;
  updatedAt: string;
  firstSeen?: string;
  lastSeen?: string;
  /** How many times GuardDuty aggregated the activity into this finding. */
  count: number;
  archived: boolean;
  /** True for GuardDuty's sample findings (CreateSampleFindings). */
  sample: boolean;
  /** `TARGET` (our resource was attacked) or `ACTOR` (our resource did it). */
  resourceRole?: string;
  resource: FindingResource;
  actor?: Actor;
  threatListNames: string[];
  malware?: MalwareDetails;
  /** Security Hub only: product that produced the finding (GuardDuty, Inspector, Config…). */
  productName?: string;
  /** Security Hub only: the finding's product ARN (needed to update its workflow). */
  productArn?: string;
}

/** Maps a 1.0–10.0 severity to its band. */
export const severityBand = (severity: number): SeverityBand => {
  if (severity >= 9) return 'Critical';
  if (severity >= 7) return 'High';
  if (severity >= 4) return 'Medium';
  return 'Low';
};

/** Order of bands, for comparisons ("at least Medium"). */
export const SEVERITY_BANDS: readonly SeverityBand[] = ['Low', 'Medium', 'High', 'Critical'];

/** True when `severity` is in `band` or above. */
export const isAtLeast = (severity: number, band: SeverityBand): boolean =>
  SEVERITY_BANDS.indexOf(severityBand(severity)) >= SEVERITY_BANDS.indexOf(band);

/** A short, human label of the resource: `i-0abc (web-01)`, `AccessKey ASIA… (role)`, a bucket name… */
export const resourceLabel = (resource: FindingResource): string => {
  switch (resource.kind) {
    case 'Instance':
      return resource.name ? `${resource.instanceId} (${resource.name})` : resource.instanceId;
    case 'AccessKey': {
      const who = resource.userName ?? resource.principalId ?? 'unknown principal';
      return resource.accessKeyId ? `${resource.accessKeyId} (${who})` : who;
    }
    case 'S3Bucket':
      return resource.buckets.map((bucket) => bucket.name).join(', ') || 'S3 bucket';
    case 'Other':
      return resource.id ? `${resource.resourceType} ${resource.id}` : resource.resourceType;
  }
};

/** The instance a finding concerns, directly or through the role session of its credentials. */
export const findingInstanceId = (finding: Finding): string | undefined => {
  if (finding.resource.kind === 'Instance') return finding.resource.instanceId;
  if (finding.resource.kind === 'AccessKey') return finding.resource.sourceInstanceId;
  return undefined;
};

/**
 * Orders two versions of the same finding: by `updatedAt`, then by `count`.
 * Returns a positive number when `a` is newer than `b`, 0 when they are the same version.
 */
export const compareFindingVersions = (
  a: Pick<Finding, 'updatedAt' | 'count'>,
  b: Pick<Finding, 'updatedAt' | 'count'>
): number => {
  const byTime = Date.parse(a.updatedAt) - Date.parse(b.updatedAt);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return a.count - b.count;
};
