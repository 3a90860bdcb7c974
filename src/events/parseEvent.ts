import type * as z from 'zod/mini';
import { InvalidEventError } from '../domain/errors';
import type {
  AccessKeyResource,
  Actor,
  Finding,
  FindingResource,
  InstanceResource,
  MalwareDetails,
  NetworkInterfaceRef,
  OtherResource,
} from '../domain/Finding';
import {
  type AsffFinding,
  type AsffRemoteIpDetails,
  type AsffResource,
  type AsffTriage,
  capString,
  DETECTOR_ID_PATTERN,
  type EventEnvelope,
  eventEnvelopeSchema,
  type GuardDutyAction,
  type GuardDutyDetail,
  type GuardDutyInstanceDetails,
  type GuardDutyRemoteIpDetails,
  type GuardDutyResource,
  type GuardDutyService,
  guardDutyDetailSchema,
  INSTANCE_ID_PATTERN,
  PRODUCT_ARN_PATTERN,
  securityHubSchemas,
} from './schemas';

/** The outcome of {@link parseEvent}: a normalized finding, or an event the bot deliberately ignores. */
export type ParsedEvent =
  | { kind: 'finding'; eventId: string; eventTime: string; finding: Finding }
  | { kind: 'skipped'; eventId: string; reason: string };

/** Options of {@link parseEvent}. */
export interface ParseEventOptions {
  /**
   * Ignore Security Hub events whose product is GuardDuty, because the same findings also
   * arrive directly as "GuardDuty Finding" events.
   */
  skipSecurityHubGuardDuty: boolean;
}

/**
 * The `Note.UpdatedBy` the bot writes with `BatchUpdateFindings`. Security Hub echoes every such
 * update as a new "Findings - Imported" event, which must not be processed again.
 */
export const BOT_NOTE_AUTHOR = 'guardduty-slack-responder';

const GUARDDUTY_SOURCE = 'aws.guardduty';
const GUARDDUTY_FINDING = 'GuardDuty Finding';
const SECURITY_HUB_SOURCE = 'aws.securityhub';
const SECURITY_HUB_IMPORTED = 'Security Hub Findings - Imported';
const AUTO_SCALING_GROUP_TAG = 'aws:autoscaling:groupName';
const ACCESS_KEY_ID_PREFIX = 'AWS::IAM::AccessKey:';
/** Longest list of threat names, file paths… kept from one finding. */
const MAX_LIST_ITEMS = 100;

/**
 * Validates an EventBridge event at the edge and normalizes it into a domain {@link Finding}.
 *
 * Accepts "GuardDuty Finding" events (`aws.guardduty`) and "Security Hub Findings - Imported"
 * events (`aws.securityhub`, one ASFF finding). Other detail-types of those two sources, Security
 * Hub copies of GuardDuty findings (when `options.skipSecurityHubGuardDuty`) and the echoes of the
 * bot's own Security Hub updates come back as `skipped`. Strings are kept verbatim (escape them
 * when rendering) but capped at 4000 characters.
 *
 * @throws InvalidEventError for anything malformed or from another source; `path` names the first
 *   bad field (dotted, array indexes included: `detail.findings.0.Id`). Never throws anything else.
 */
export function parseEvent(raw: unknown, options: ParseEventOptions): ParsedEvent {
  try {
    return parseEnvelope(raw, options);
  } catch (error) {
    if (error instanceof InvalidEventError) throw error;
    throw new InvalidEventError('', 'the event could not be normalized', { cause: error });
  }
}

const parseEnvelope = (raw: unknown, options: ParseEventOptions): ParsedEvent => {
  const envelope = validate(eventEnvelopeSchema, raw, []);
  const detailType = envelope['detail-type'];
  switch (envelope.source) {
    case GUARDDUTY_SOURCE:
      return detailType === GUARDDUTY_FINDING
        ? parseGuardDutyEvent(envelope)
        : skipped(envelope, `GuardDuty detail-type ${quote(detailType)} is not a finding`);
    case SECURITY_HUB_SOURCE:
      return detailType === SECURITY_HUB_IMPORTED
        ? parseSecurityHubEvent(envelope, options)
        : skipped(envelope, `Security Hub detail-type ${quote(detailType)} is not handled`);
    default:
      throw new InvalidEventError('source', `unsupported source ${quote(envelope.source)}`);
  }
};

const parseGuardDutyEvent = (envelope: EventEnvelope): ParsedEvent => {
  const detail = validate(guardDutyDetailSchema, envelope.detail, ['detail']);
  return {
    kind: 'finding',
    eventId: envelope.id,
    eventTime: envelope.time,
    finding: normalizeGuardDutyFinding(detail),
  };
};

const parseSecurityHubEvent = (
  envelope: EventEnvelope,
  options: ParseEventOptions
): ParsedEvent => {
  const schemas = securityHubSchemas();
  const { findings } = validate(schemas.detail, envelope.detail, ['detail']);
  const path = ['detail', 'findings', 0];
  const triage = validate(schemas.triage, findings[0], path);
  if (options.skipSecurityHubGuardDuty && isGuardDutyProduct(triage)) {
    return skipped(envelope, 'GuardDuty is ingested directly');
  }
  if (isBotEcho(triage)) return skipped(envelope, 'update made by the bot itself');
  const finding = validate(schemas.finding, findings[0], path);
  return {
    kind: 'finding',
    eventId: envelope.id,
    eventTime: envelope.time,
    finding: normalizeSecurityHubFinding(finding, path.join('.')),
  };
};

const skipped = (envelope: EventEnvelope, reason: string): ParsedEvent => ({
  kind: 'skipped',
  eventId: envelope.id,
  reason,
});

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const validate = <S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  basePath: readonly PropertyKey[]
): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) {
    throw new InvalidEventError(formatPath(basePath), 'invalid value', { cause: result.error });
  }
  const path = formatPath([...basePath, ...issue.path]);
  throw new InvalidEventError(path, describeIssue(issue, valueAt(value, issue.path)), {
    cause: result.error,
  });
};

const formatPath = (path: readonly PropertyKey[]): string => path.map(String).join('.');

const JSON_TYPES = new Set(['string', 'number', 'boolean', 'object', 'array', 'null']);

const describeIssue = (issue: z.core.$ZodIssue, actual: unknown): string => {
  // Other "types" (int, nonoptional…) carry the schema's own message.
  if (issue.code !== 'invalid_type' || !JSON_TYPES.has(issue.expected)) return issue.message;
  if (actual === undefined) return `expected ${issue.expected}, but it is missing`;
  return `expected ${issue.expected}, got ${typeName(actual)}`;
};

const typeName = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
};

const valueAt = (root: unknown, path: readonly PropertyKey[]): unknown => {
  let node: unknown = root;
  for (const key of path) {
    if (!isRecord(node) && !Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const quote = (value: string): string =>
  JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/** Drops the keys whose value is `undefined`, so findings compare cleanly and serialize small. */
const compact = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;

/** Distinct non-empty strings, in first-seen order, at most {@link MAX_LIST_ITEMS}. */
const distinct = (values: Iterable<string | undefined>): string[] => {
  const seen = new Set<string>();
  for (const value of values) {
    if (value !== undefined && value !== '') seen.add(value);
    if (seen.size >= MAX_LIST_ITEMS) break;
  }
  return [...seen];
};

/** The session name of a `<role unique id>:<session name>` principal, when it is an instance id. */
const sessionInstanceId = (principalId: string | undefined): string | undefined => {
  const separator = principalId?.indexOf(':') ?? -1;
  if (principalId === undefined || separator < 0) return undefined;
  const session = principalId.slice(separator + 1);
  return INSTANCE_ID_PATTERN.test(session) ? session : undefined;
};

/**
 * Normalizes a timestamp given as an ISO string or epoch number (milliseconds; values too small
 * to be milliseconds since 1973 are taken as seconds) to an ISO string; `undefined` when unreadable.
 */
const toIsoTimestamp = (value: string | number | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const millis = typeof value === 'number' && Math.abs(value) < 1e11 ? value * 1000 : value;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

const tagValue = (tags: Record<string, string>, key: string): string | undefined =>
  Object.hasOwn(tags, key) ? tags[key] : undefined;

const otherResource = (
  resourceType: string,
  id: string | undefined,
  details: [label: string, value: string | undefined][] = []
): OtherResource =>
  compact<OtherResource>({
    kind: 'Other',
    resourceType,
    id,
    details: details.flatMap(([label, value]) =>
      value === undefined || value === '' ? [] : [{ label, value }]
    ),
  });

// ---------------------------------------------------------------------------------------------
// GuardDuty
// ---------------------------------------------------------------------------------------------

const normalizeGuardDutyFinding = (detail: GuardDutyDetail): Finding => {
  const { service } = detail;
  const additionalInfo = readAdditionalInfo(service.additionalInfo);
  const finding: Finding = {
    id: detail.id,
    source: 'guardduty',
    arn: detail.arn,
    type: detail.type,
    title: detail.title,
    description: detail.description ?? '',
    severity: detail.severity,
    accountId: detail.accountId,
    region: detail.region,
    partition: detail.partition ?? 'aws',
    detectorId: service.detectorId,
    createdAt: detail.createdAt,
    updatedAt: detail.updatedAt,
    firstSeen: service.eventFirstSeen,
    lastSeen: service.eventLastSeen,
    count: service.count ?? 1,
    archived: service.archived ?? false,
    sample: additionalInfo.sample,
    resourceRole: service.resourceRole,
    resource: normalizeGuardDutyResource(detail.resource),
    actor: service.action === undefined ? undefined : normalizeGuardDutyActor(service.action),
    threatListNames: distinct([
      ...(service.evidence?.threatIntelligenceDetails ?? []).map((item) => item.threatListName),
      ...additionalInfo.threatListNames,
    ]),
    malware: normalizeMalware(service),
  };
  return compact(finding);
};

/** `service.additionalInfo` comes unpacked, as `{value: '<json>', type}`, or both. */
const readAdditionalInfo = (
  info: GuardDutyService['additionalInfo']
): { threatListNames: (string | undefined)[]; sample: boolean } => {
  const packed = parseJsonObject(info?.value);
  const packedName = packed?.threatListName;
  return {
    threatListNames: [
      info?.threatListName,
      typeof packedName === 'string' ? capString(packedName) : undefined,
    ],
    sample: info?.sample === true || packed?.sample === true,
  };
};

const parseJsonObject = (value: string | undefined): Record<string, unknown> | undefined => {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

const normalizeGuardDutyResource = (resource: GuardDutyResource): FindingResource => {
  switch (resource.resourceType) {
    case 'Instance': {
      const instance = normalizeInstanceDetails(resource.instanceDetails);
      // Instance details are missing when the instance was already terminated: still show it.
      return instance ?? otherResource('Instance', undefined);
    }
    case 'AccessKey':
      return normalizeAccessKey(resource);
    case 'S3Bucket':
      return {
        kind: 'S3Bucket',
        buckets: (resource.s3BucketDetails ?? []).flatMap((bucket) =>
          bucket.name === undefined ? [] : [compact({ name: bucket.name, arn: bucket.arn })]
        ),
      };
    default:
      return normalizeOtherResource(resource);
  }
};

const normalizeInstanceDetails = (
  details: GuardDutyInstanceDetails | undefined
): InstanceResource | undefined => {
  if (details?.instanceId === undefined) return undefined;
  const tags = Object.fromEntries(
    (details.tags ?? []).map((tag) => [tag.key, tag.value ?? ''] as const)
  );
  return compact<InstanceResource>({
    kind: 'Instance',
    instanceId: details.instanceId,
    name: tagValue(tags, 'Name'),
    instanceType: details.instanceType,
    state: details.instanceState,
    availabilityZone: details.availabilityZone,
    imageId: details.imageId,
    launchTime: toIsoTimestamp(details.launchTime),
    instanceProfileArn: details.iamInstanceProfile?.arn,
    autoScalingGroup: tagValue(tags, AUTO_SCALING_GROUP_TAG),
    tags,
    networkInterfaces: (details.networkInterfaces ?? []).map(
      (eni): NetworkInterfaceRef =>
        compact({
          id: eni.networkInterfaceId,
          subnetId: eni.subnetId,
          vpcId: eni.vpcId,
          privateIp: eni.privateIpAddress,
          publicIp: eni.publicIp,
          securityGroups: (eni.securityGroups ?? []).map((group) =>
            compact({ id: group.groupId, name: group.groupName })
          ),
        })
    ),
  });
};

const normalizeAccessKey = (resource: GuardDutyResource): AccessKeyResource => {
  const key = resource.accessKeyDetails;
  return compact<AccessKeyResource>({
    kind: 'AccessKey',
    accessKeyId: key?.accessKeyId,
    principalId: key?.principalId,
    userName: key?.userName,
    userType: key?.userType,
    sourceInstanceId: sessionInstanceId(key?.principalId),
    sourceInstance: normalizeInstanceDetails(resource.instanceDetails),
  });
};

type OtherReader = (resource: GuardDutyResource) => OtherResource;

const firstImage = (containers: { image?: string }[] | undefined): string | undefined =>
  containers?.find((container) => container.image !== undefined)?.image;

const joinDefined = (separator: string, ...parts: (string | undefined)[]): string | undefined => {
  const defined = parts.filter((part): part is string => part !== undefined && part !== '');
  return defined.length > 0 ? defined.join(separator) : undefined;
};

const readEksCluster: OtherReader = ({ resourceType, eksClusterDetails, kubernetesDetails }) => {
  const workload = kubernetesDetails?.kubernetesWorkloadDetails;
  return otherResource(resourceType, eksClusterDetails?.name ?? eksClusterDetails?.arn, [
    ['Namespace', workload?.namespace],
    ['Workload', joinDefined('/', workload?.type, workload?.name)],
    ['Kubernetes user', kubernetesDetails?.kubernetesUserDetails?.username],
    ['Image', firstImage(workload?.containers)],
  ]);
};

const readLambda: OtherReader = ({ resourceType, lambdaDetails }) =>
  otherResource(resourceType, lambdaDetails?.functionName ?? lambdaDetails?.functionArn, [
    ['Function ARN', lambdaDetails?.functionArn],
    ['Version', lambdaDetails?.functionVersion],
  ]);

const readRds: OtherReader = (resource) => {
  const instance = resource.rdsDbInstanceDetails;
  const limitless = resource.rdsLimitlessDbDetails;
  const user = resource.rdsDbUserDetails;
  const engine = instance?.engine ?? limitless?.engine;
  const engineVersion = instance?.engineVersion ?? limitless?.engineVersion;
  return otherResource(
    resource.resourceType,
    instance?.dbInstanceIdentifier ?? limitless?.dbShardGroupIdentifier,
    [
      ['Engine', joinDefined(' ', engine, engineVersion)],
      ['Cluster', instance?.dbClusterIdentifier ?? limitless?.dbClusterIdentifier],
      ['Database user', user?.user],
      ['Database', user?.database],
      ['Application', user?.application],
    ]
  );
};

const readContainer: OtherReader = (resource) => {
  const container = resource.containerDetails;
  return otherResource(resource.resourceType, container?.name ?? container?.id, [
    ['Image', container?.image],
    ['Container id', container?.name === undefined ? undefined : container.id],
    ['Runtime', container?.containerRuntime],
    ['EKS cluster', resource.eksClusterDetails?.name],
    ['ECS cluster', resource.ecsClusterDetails?.name],
    ['Namespace', resource.kubernetesDetails?.kubernetesWorkloadDetails?.namespace],
  ]);
};

const readEcsCluster: OtherReader = (resource) => {
  const cluster = resource.ecsClusterDetails;
  return otherResource(resource.resourceType, cluster?.name ?? cluster?.arn, [
    ['Task definition', cluster?.taskDetails?.definitionArn],
    ['Image', firstImage(cluster?.taskDetails?.containers) ?? resource.containerDetails?.image],
  ]);
};

const readS3Object: OtherReader = (resource) => {
  const bucket = resource.s3BucketDetails?.[0];
  const key = bucket?.s3ObjectDetails?.[0]?.key;
  return otherResource(resource.resourceType, joinDefined('/', bucket?.name, key), [
    ['Bucket', bucket?.name],
  ]);
};

/** A `Map`, not an object literal: resource types are untrusted and must not hit the prototype. */
const OTHER_READERS = new Map<string, OtherReader>([
  ['EKSCluster', readEksCluster],
  ['Lambda', readLambda],
  ['RDSDBInstance', readRds],
  ['RDSLimitlessDB', readRds],
  ['Container', readContainer],
  ['ECSCluster', readEcsCluster],
  ['S3Object', readS3Object],
]);

const normalizeOtherResource = (resource: GuardDutyResource): OtherResource => {
  const reader = OTHER_READERS.get(resource.resourceType);
  return reader
    ? reader(resource)
    : otherResource(resource.resourceType, guessResourceId(resource));
};

const ID_KEYS = ['name', 'id', 'arn'];

/** For resource types we do not know: the first name/id/arn of any `…Details` object. */
const guessResourceId = (resource: GuardDutyResource): string | undefined => {
  for (const [key, value] of Object.entries(resource)) {
    if (!key.endsWith('Details')) continue;
    const details = Array.isArray(value) ? value[0] : value;
    if (!isRecord(details)) continue;
    for (const idKey of ID_KEYS) {
      const candidate = details[idKey];
      if (typeof candidate === 'string' && candidate !== '') return capString(candidate);
    }
  }
  return undefined;
};

const remoteIpActor = (details: GuardDutyRemoteIpDetails | undefined): Partial<Actor> => {
  if (details === undefined) return {};
  const organization = details.organization;
  return {
    ip: details.ipAddressV4 ?? details.ipAddressV6,
    country: details.country?.countryName,
    city: details.city?.cityName,
    organization: organization?.asnOrg ?? organization?.org ?? organization?.isp,
    asn: organization?.asn === undefined ? undefined : String(organization.asn),
  };
};

const actionDetails = (action: GuardDutyAction): Partial<Actor> => {
  switch (action.actionType) {
    case 'NETWORK_CONNECTION': {
      const connection = action.networkConnectionAction;
      return {
        ...remoteIpActor(connection?.remoteIpDetails),
        port: connection?.remotePortDetails?.port,
        localPort: connection?.localPortDetails?.port,
        direction: connection?.connectionDirection,
        protocol: connection?.protocol,
      };
    }
    case 'PORT_PROBE': {
      const probe = action.portProbeAction?.portProbeDetails?.[0];
      return { ...remoteIpActor(probe?.remoteIpDetails), localPort: probe?.localPortDetails?.port };
    }
    case 'AWS_API_CALL': {
      const call = action.awsApiCallAction;
      return {
        ...remoteIpActor(call?.remoteIpDetails),
        domain: call?.domainDetails?.domain,
        apiService: call?.serviceName,
        api: call?.api,
        errorCode: call?.errorCode,
        userAgent: call?.userAgent,
      };
    }
    case 'DNS_REQUEST':
      return {
        domain: action.dnsRequestAction?.domain,
        protocol: action.dnsRequestAction?.protocol,
      };
    default:
      return {};
  }
};

const nonEmptyActor = (actor: Actor): Actor | undefined => {
  const compacted = compact(actor);
  return Object.keys(compacted).length > 0 ? compacted : undefined;
};

const normalizeGuardDutyActor = (action: GuardDutyAction): Actor | undefined =>
  nonEmptyActor({ actionType: action.actionType, ...actionDetails(action) });

const normalizeMalware = (service: GuardDutyService): MalwareDetails | undefined => {
  const scan = service.ebsVolumeScanDetails;
  const malwareScan = service.malwareScanDetails;
  if (scan === undefined && malwareScan === undefined) return undefined;
  const byName = scan?.scanDetections?.threatDetectedByName?.threatNames ?? [];
  const threats = malwareScan?.threats ?? [];
  return compact({
    threatNames: distinct([
      ...byName.map((threat) => threat.name),
      ...threats.map((threat) => threat.name),
    ]),
    filePaths: distinct([
      ...byName.flatMap((threat) =>
        (threat.filePaths ?? []).map((file) => file.filePath ?? file.fileName)
      ),
      ...threats.flatMap((threat) => (threat.itemPaths ?? []).map((item) => item.nestedItemPath)),
    ]),
    scanId: scan?.scanId,
    triggerFindingId: scan?.triggerFindingId,
  });
};

// ---------------------------------------------------------------------------------------------
// Security Hub (ASFF)
// ---------------------------------------------------------------------------------------------

/** GuardDuty's product ARN is `arn:<partition>:securityhub:<region>::product/aws/guardduty`. */
const GUARDDUTY_PRODUCT_ARN_SUFFIX = ':product/aws/guardduty';

const isGuardDutyProduct = (finding: { ProductName?: string; ProductArn?: string }): boolean =>
  finding.ProductName === 'GuardDuty' ||
  (finding.ProductArn?.endsWith(GUARDDUTY_PRODUCT_ARN_SUFFIX) ?? false);

/**
 * True for the "Imported" event Security Hub sends after the bot's own `BatchUpdateFindings`.
 * `BatchUpdateFindings` leaves `UpdatedAt` alone while the note gets a fresh `UpdatedAt`: when the
 * product re-imported the finding after our note (newer `UpdatedAt`), the event is a real update.
 */
const isBotEcho = (triage: AsffTriage): boolean => {
  if (triage.Note?.UpdatedBy !== BOT_NOTE_AUTHOR) return false;
  const notedAt = Date.parse(triage.Note.UpdatedAt ?? '');
  const updatedAt = Date.parse(triage.UpdatedAt ?? '');
  return Number.isNaN(notedAt) || Number.isNaN(updatedAt) || updatedAt <= notedAt;
};

const SEVERITY_BY_LABEL = new Map<string, number>([
  ['CRITICAL', 9],
  ['HIGH', 7],
  ['MEDIUM', 4],
  ['LOW', 1],
  ['INFORMATIONAL', 1],
]);

const clampSeverity = (severity: number): number => Math.min(10, Math.max(1, severity));

const asffSeverity = (finding: AsffFinding, path: string): number => {
  const severity = finding.Severity;
  if (isGuardDutyProduct(finding) && severity?.Product !== undefined) {
    return clampSeverity(severity.Product);
  }
  if (severity?.Normalized !== undefined) return clampSeverity(severity.Normalized / 10);
  const fromLabel = SEVERITY_BY_LABEL.get(severity?.Label?.toUpperCase() ?? '');
  if (fromLabel !== undefined) return fromLabel;
  throw new InvalidEventError(
    `${path}.Severity`,
    'expected Severity.Product, Severity.Normalized or a known Severity.Label'
  );
};

/** Reads a GuardDuty product field under its long (`aws/guardduty/service/…`) or short key. */
const productField = (finding: AsffFinding, name: string): string | undefined => {
  const fields = finding.ProductFields ?? {};
  for (const key of [`aws/guardduty/service/${name}`, name]) {
    if (Object.hasOwn(fields, key)) return fields[key];
  }
  return undefined;
};

const asffCount = (finding: AsffFinding): number => {
  const raw = productField(finding, 'count');
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : 1;
};

const asffDetectorId = (finding: AsffFinding): string | undefined => {
  if (!isGuardDutyProduct(finding)) return undefined;
  const candidate =
    productField(finding, 'detectorId') ??
    /detector\/([^/]+)$/.exec(finding.GeneratorId ?? '')?.[1];
  return candidate !== undefined && DETECTOR_ID_PATTERN.test(candidate) ? candidate : undefined;
};

const asffThreatListNames = (finding: AsffFinding): string[] =>
  distinct(
    Object.entries(finding.ProductFields ?? {})
      .filter(([key]) => key === 'threatListName' || key.endsWith('/threatListName'))
      .map(([, value]) => value)
  );

const normalizeSecurityHubFinding = (finding: AsffFinding, path: string): Finding => {
  // The schema only accepts ARNs matching this pattern, so the match is certain.
  const [, partition = 'aws', arnRegion = '', , company = '', product = ''] =
    PRODUCT_ARN_PATTERN.exec(finding.ProductArn) ?? [];
  const normalized: Finding = {
    id: finding.Id,
    source: 'securityhub',
    arn: finding.Id.startsWith('arn:') ? finding.Id : undefined,
    type: finding.Types?.[0] ?? 'Unknown',
    title: finding.Title,
    description: finding.Description ?? '',
    severity: asffSeverity(finding, path),
    accountId: finding.AwsAccountId,
    region: finding.Region ?? arnRegion,
    partition,
    detectorId: asffDetectorId(finding),
    createdAt: finding.CreatedAt,
    updatedAt: finding.UpdatedAt,
    firstSeen: finding.FirstObservedAt,
    lastSeen: finding.LastObservedAt,
    count: asffCount(finding),
    archived: finding.RecordState === 'ARCHIVED',
    sample: finding.Sample === true || productField(finding, 'additionalInfo/sample') === 'true',
    resourceRole: productField(finding, 'resourceRole'),
    resource: normalizeAsffResource(finding.Resources),
    actor: normalizeAsffActor(finding),
    threatListNames: asffThreatListNames(finding),
    productName: finding.ProductName ?? capString(`${company}/${product}`),
    productArn: finding.ProductArn,
  };
  return compact(normalized);
};

const normalizeAsffResource = (resources: AsffResource[]): FindingResource => {
  const [first] = resources;
  if (first === undefined) return otherResource('Unknown', undefined);
  switch (first.Type) {
    case 'AwsEc2Instance':
      return normalizeAsffInstance(first) ?? otherResource(first.Type, first.Id);
    case 'AwsIamAccessKey':
      return normalizeAsffAccessKey(first);
    case 'AwsS3Bucket':
      return {
        kind: 'S3Bucket',
        buckets: resources
          .filter((resource) => resource.Type === 'AwsS3Bucket')
          .map((resource) => s3BucketRef(resource.Id)),
      };
    default:
      return otherResource(first.Type, first.Id);
  }
};

const s3BucketRef = (id: string): { name: string; arn?: string } => {
  const separator = id.indexOf(':::');
  if (!id.startsWith('arn:') || separator < 0) return { name: id };
  return { name: id.slice(separator + 3), arn: id };
};

const asffInstanceId = (resourceId: string): string | undefined => {
  const candidate = resourceId.slice(resourceId.lastIndexOf('/') + 1);
  return INSTANCE_ID_PATTERN.test(candidate) ? candidate : undefined;
};

/** RFC 1918 and shared (RFC 6598) address space: the rest counts as public. */
const isPrivateIpv4 = (ip: string): boolean =>
  /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(ip);

const normalizeAsffInstance = (resource: AsffResource): InstanceResource | undefined => {
  const instanceId = asffInstanceId(resource.Id);
  if (instanceId === undefined) return undefined;
  const details = resource.Details?.AwsEc2Instance;
  const tags = Object.fromEntries(
    Object.entries(resource.Tags ?? {}).map(([key, value]) => [capString(key), value] as const)
  );
  const enis = details?.NetworkInterfaces ?? [];
  const addresses = details?.IpV4Addresses ?? [];
  // ASFF gives VPC, subnet and addresses per instance; they can only be pinned on a sole ENI.
  const sole = enis.length === 1;
  return compact<InstanceResource>({
    kind: 'Instance',
    instanceId,
    name: tagValue(tags, 'Name'),
    instanceType: details?.Type,
    imageId: details?.ImageId,
    launchTime: toIsoTimestamp(details?.LaunchedAt),
    instanceProfileArn: details?.IamInstanceProfileArn,
    autoScalingGroup: tagValue(tags, AUTO_SCALING_GROUP_TAG),
    tags,
    networkInterfaces: enis.map(
      (eni): NetworkInterfaceRef =>
        compact({
          id: eni.NetworkInterfaceId,
          subnetId: sole ? details?.SubnetId : undefined,
          vpcId: sole ? details?.VpcId : undefined,
          privateIp: sole ? addresses.find(isPrivateIpv4) : undefined,
          publicIp: sole ? addresses.find((ip) => !isPrivateIpv4(ip)) : undefined,
          securityGroups: [],
        })
    ),
  });
};

const normalizeAsffAccessKey = (resource: AsffResource): AccessKeyResource => {
  const details = resource.Details?.AwsIamAccessKey;
  const fromId = resource.Id.startsWith(ACCESS_KEY_ID_PREFIX)
    ? resource.Id.slice(ACCESS_KEY_ID_PREFIX.length)
    : undefined;
  return compact<AccessKeyResource>({
    kind: 'AccessKey',
    accessKeyId: fromId || details?.AccessKeyId,
    principalId: details?.PrincipalId,
    userName: details?.PrincipalName ?? details?.UserName,
    userType: details?.PrincipalType,
    sourceInstanceId: sessionInstanceId(details?.PrincipalId),
  });
};

const asffRemoteIpActor = (details: AsffRemoteIpDetails | undefined): Partial<Actor> => {
  if (details === undefined) return {};
  const organization = details.Organization;
  return {
    ip: details.IpAddressV4,
    country: details.Country?.CountryName,
    city: details.City?.CityName,
    organization: organization?.AsnOrg ?? organization?.Org ?? organization?.Isp,
    asn: organization?.Asn === undefined ? undefined : String(organization.Asn),
  };
};

const asffActionActor = (action: AsffFinding['Action']): Partial<Actor> => {
  if (action === undefined) return {};
  const connection = action.NetworkConnectionAction;
  const call = action.AwsApiCallAction;
  const probe = action.PortProbeAction?.PortProbeDetails?.[0];
  const dns = action.DnsRequestAction;
  return compact({
    actionType: action.ActionType,
    ...asffRemoteIpActor(
      connection?.RemoteIpDetails ?? call?.RemoteIpDetails ?? probe?.RemoteIpDetails
    ),
    port: connection?.RemotePortDetails?.Port,
    localPort: connection?.LocalPortDetails?.Port ?? probe?.LocalPortDetails?.Port,
    direction: connection?.ConnectionDirection,
    protocol: connection?.Protocol ?? dns?.Protocol,
    domain: call?.DomainDetails?.Domain ?? dns?.Domain,
    apiService: call?.ServiceName,
    api: call?.Api,
  });
};

const DIRECTIONS = new Map([
  ['IN', 'INBOUND'],
  ['OUT', 'OUTBOUND'],
]);

/** `Network` names source and destination; the remote side is the source unless outbound. */
const asffNetworkActor = (network: AsffFinding['Network']): Partial<Actor> => {
  if (network === undefined) return {};
  const outbound = network.Direction === 'OUT';
  return compact({
    direction: DIRECTIONS.get(network.Direction ?? '') ?? network.Direction,
    protocol: network.Protocol,
    ip: outbound
      ? (network.DestinationIpV4 ?? network.DestinationIpV6)
      : (network.SourceIpV4 ?? network.SourceIpV6),
    port: outbound ? network.DestinationPort : network.SourcePort,
    localPort: outbound ? network.SourcePort : network.DestinationPort,
    domain: outbound ? network.DestinationDomain : network.SourceDomain,
  });
};

/** `Action` is the more specific source; `Network` fills what it lacks. */
const normalizeAsffActor = (finding: AsffFinding): Actor | undefined =>
  nonEmptyActor({ ...asffNetworkActor(finding.Network), ...asffActionActor(finding.Action) });
