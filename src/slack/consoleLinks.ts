import { type Finding, findingInstanceId } from '../domain/Finding';

/**
 * Deep links into the AWS console (GuardDuty, Detective, Security Hub) for a finding and the
 * entities it names. Every component taken from a finding is URL-encoded; the results are plain
 * URLs, to be wrapped with `link()` from `./mrkdwn` before they go into mrkdwn.
 *
 * Formats: GuardDuty `#/findings?macros=current&fId=<id>`; Detective profile URLs
 * `#findings/GuardDuty/<id>` and `#entities/<EntityType>/<id>` (Detective user guide, "Navigating to
 * a profile using a URL"); Security Hub `#/findings?search=<Field>=\operator\:EQUALS\:<value>`,
 * encoded twice as the console itself writes it.
 */

/** Where a console page lives: the finding's region and partition. */
export interface ConsoleScope {
  region: string;
  /** `aws`, `aws-us-gov` or `aws-cn`. @default 'aws' */
  partition?: string;
}

/** Entity types of Detective's profile URLs. */
export type DetectiveEntityType =
  | 'AwsAccount'
  | 'AwsRole'
  | 'AwsRoleSession'
  | 'AwsUser'
  | 'Ec2Instance'
  | 'FederatedUser'
  | 'IpAddress'
  | 'UserAgent';

/** The console links that apply to one finding; absent where the console has no page for it. */
export interface FindingConsoleLinks {
  /** The finding in the GuardDuty console (GuardDuty findings only). */
  guardDuty?: string;
  /** The finding's profile in Detective (GuardDuty findings only). */
  detective?: string;
  /** The finding in Security Hub. */
  securityHub?: string;
  /** Every Security Hub finding about the finding's instance. */
  securityHubInstance?: string;
  /** The instance's profile in Detective. */
  detectiveInstance?: string;
  /** The remote IP's profile in Detective. */
  detectiveIp?: string;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const GUARDDUTY_FINDING_ARN = /^arn:[\w-]+:guardduty:[\w-]*:\d*:detector\/[^/]+\/finding\/([^/]+)$/;

const enc = encodeURIComponent;

/** `https://<region>.console.aws.amazon.com` (or the GovCloud / China console), no trailing slash. */
export const consoleBaseUrl = ({ region, partition }: ConsoleScope): string => {
  if (partition === 'aws-us-gov') return 'https://console.amazonaws-us-gov.com';
  if (partition === 'aws-cn') return 'https://console.amazonaws.cn';
  return REGION.test(region)
    ? `https://${region}.console.aws.amazon.com`
    : 'https://console.aws.amazon.com';
};

const serviceHome = (scope: ConsoleScope, service: string): string =>
  `${consoleBaseUrl(scope)}/${service}/home?region=${enc(scope.region)}`;

/** The GuardDuty console, opened on one finding. */
export const guardDutyFindingUrl = (scope: ConsoleScope, findingId: string): string =>
  `${serviceHome(scope, 'guardduty')}#/findings?macros=current&fId=${enc(findingId)}`;

/** Detective's profile of a GuardDuty finding. */
export const detectiveFindingUrl = (scope: ConsoleScope, findingId: string): string =>
  `${serviceHome(scope, 'detective')}#findings/GuardDuty/${enc(findingId)}`;

/** Detective's profile of an entity (instance, IP address, role…). */
export const detectiveEntityUrl = (
  scope: ConsoleScope,
  type: DetectiveEntityType,
  id: string
): string => `${serviceHome(scope, 'detective')}#entities/${type}/${enc(id)}`;

const securityHubSearch = (scope: ConsoleScope, field: string, value: string): string => {
  const filter = `${field}=${enc(`\\operator\\:EQUALS\\:${value}`)}`;
  return `${serviceHome(scope, 'securityhub')}#/findings?search=${enc(filter)}`;
};

/** Security Hub findings whose `Id` is this (an ASFF id; for GuardDuty findings, the finding ARN). */
export const securityHubFindingUrl = (scope: ConsoleScope, findingId: string): string =>
  securityHubSearch(scope, 'Id', findingId);

/** Security Hub findings about one resource (for an instance, its ARN: see {@link instanceArn}). */
export const securityHubResourceUrl = (scope: ConsoleScope, resourceId: string): string =>
  securityHubSearch(scope, 'ResourceId', resourceId);

/** `arn:<partition>:ec2:<region>:<account>:instance/<id>`, as Security Hub names instances. */
export const instanceArn = (
  finding: Pick<Finding, 'partition' | 'region' | 'accountId'>,
  instanceId: string
): string =>
  `arn:${finding.partition || 'aws'}:ec2:${finding.region}:${finding.accountId}:instance/${instanceId}`;

/**
 * The GuardDuty finding id behind a finding: its own id for GuardDuty findings, the last part of
 * the ASFF id (a GuardDuty finding ARN) for GuardDuty findings that came through Security Hub.
 */
export const guardDutyFindingId = (finding: Pick<Finding, 'id' | 'source'>): string | undefined => {
  if (finding.source === 'guardduty') return finding.id;
  return GUARDDUTY_FINDING_ARN.exec(finding.id)?.[1];
};

/** Security Hub's id of a finding: the ASFF id, or for GuardDuty findings the finding ARN. */
const securityHubId = (finding: Finding): string | undefined => {
  if (finding.source === 'securityhub') return finding.id;
  if (finding.arn) return finding.arn;
  if (!finding.detectorId) return undefined;
  return `arn:${finding.partition || 'aws'}:guardduty:${finding.region}:${finding.accountId}:detector/${finding.detectorId}/finding/${finding.id}`;
};

/** Every console link that applies to `finding`. */
export const findingConsoleLinks = (finding: Finding): FindingConsoleLinks => {
  const links: FindingConsoleLinks = {};
  const gdId = guardDutyFindingId(finding);
  if (gdId) {
    links.guardDuty = guardDutyFindingUrl(finding, gdId);
    links.detective = detectiveFindingUrl(finding, gdId);
  }
  const shId = securityHubId(finding);
  if (shId) links.securityHub = securityHubFindingUrl(finding, shId);
  const instanceId = findingInstanceId(finding);
  if (instanceId) {
    links.securityHubInstance = securityHubResourceUrl(finding, instanceArn(finding, instanceId));
    links.detectiveInstance = detectiveEntityUrl(finding, 'Ec2Instance', instanceId);
  }
  if (finding.actor?.ip)
    links.detectiveIp = detectiveEntityUrl(finding, 'IpAddress', finding.actor.ip);
  return links;
};
