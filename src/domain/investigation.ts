import { BotError } from './errors';
import type { Finding } from './Finding';
import type { SshAnalysis } from './sshLogAnalysis';

/**
 * The Investigate pivots and the `/guardduty logs|hub` commands, as data: what was asked, what each
 * pivot found, and how each one failed. Pure types and helpers; every string that came from AWS or
 * from a log line is untrusted text and is escaped by the renderers.
 */

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Stable codes of a failed pivot. `ACCESS_DENIED`, `NOT_FOUND`, `THROTTLED` and `TIMEOUT` come from
 * the AWS adapters; `NOT_ENABLED` when the service is off in the account/region (no GuardDuty
 * detector, Security Hub not subscribed); `INVALID_REQUEST` when AWS rejected the input (for
 * example a filter pattern); `NOT_ALLOWED` and `NOT_CONFIGURED` come from the bot's own policy;
 * `UNAVAILABLE` is everything else.
 */
export type PivotErrorCode =
  | 'ACCESS_DENIED'
  | 'NOT_FOUND'
  | 'THROTTLED'
  | 'TIMEOUT'
  | 'NOT_ENABLED'
  | 'INVALID_REQUEST'
  | 'NOT_ALLOWED'
  | 'NOT_CONFIGURED'
  | 'UNAVAILABLE';

/**
 * An investigation source (EC2, GuardDuty, Security Hub, CloudWatch Logs) failed. The message is
 * written for the channel: it names the action and resource, never the raw AWS error (which stays
 * in `cause`, for the logs).
 */
export class InvestigationSourceError extends BotError {
  /** The AWS service that failed, e.g. `logs`. */
  public readonly service: string;

  public constructor(
    code: PivotErrorCode,
    service: string,
    message: string,
    options?: ErrorOptions
  ) {
    super(code, message, options);
    this.name = 'InvestigationSourceError';
    this.service = service;
  }
}

/** The bot's role may not call the API (`ACCESS_DENIED`). */
export class AccessDeniedError extends InvestigationSourceError {
  public constructor(service: string, message: string, options?: ErrorOptions) {
    super('ACCESS_DENIED', service, message, options);
    this.name = 'AccessDeniedError';
  }
}

/** The instance, log group or detector does not exist (`NOT_FOUND`). */
export class NotFoundError extends InvestigationSourceError {
  public constructor(service: string, message: string, options?: ErrorOptions) {
    super('NOT_FOUND', service, message, options);
    this.name = 'NotFoundError';
  }
}

/** AWS kept throttling after our retries (`THROTTLED`). */
export class ThrottledError extends InvestigationSourceError {
  public constructor(service: string, message: string, options?: ErrorOptions) {
    super('THROTTLED', service, message, options);
    this.name = 'ThrottledError';
  }
}

/** The call timed out or was aborted (`TIMEOUT`). */
export class SourceTimeoutError extends InvestigationSourceError {
  public constructor(service: string, message: string, options?: ErrorOptions) {
    super('TIMEOUT', service, message, options);
    this.name = 'SourceTimeoutError';
  }
}

/** The service is not enabled in the account/region (`NOT_ENABLED`). */
export class NotEnabledError extends InvestigationSourceError {
  public constructor(service: string, message: string, options?: ErrorOptions) {
    super('NOT_ENABLED', service, message, options);
    this.name = 'NotEnabledError';
  }
}

/** AWS rejected the request's input, e.g. a filter pattern (`INVALID_REQUEST`). */
export class InvalidRequestError extends InvestigationSourceError {
  public constructor(service: string, message: string, options?: ErrorOptions) {
    super('INVALID_REQUEST', service, message, options);
    this.name = 'InvalidRequestError';
  }
}

/** Any other failure of the source (`UNAVAILABLE`). */
export class SourceUnavailableError extends InvestigationSourceError {
  public constructor(service: string, message: string, options?: ErrorOptions) {
    super('UNAVAILABLE', service, message, options);
    this.name = 'SourceUnavailableError';
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

/** A pivot that failed: one error line, the other pivots still answer. */
export interface PivotFailure {
  ok: false;
  code: PivotErrorCode | string;
  message: string;
}

/** The outcome of one pivot: its result, or the line saying why there is none. */
export type Section<T> = { ok: true; value: T } | PivotFailure;

/** Where a pivot ran. `AwsTarget` from the AWS client factory satisfies it. */
export interface InvestigationTarget {
  accountId: string;
  region: string;
}

// ---------------------------------------------------------------------------------------------
// Instance

/** An EC2 instance as DescribeInstances reports it now. */
export interface InstanceContext {
  instanceId: string;
  name?: string;
  state?: string;
  instanceType?: string;
  availabilityZone?: string;
  vpcId?: string;
  subnetId?: string;
  /** Groups of every network interface, deduplicated. */
  securityGroups: { id: string; name?: string }[];
  instanceProfileArn?: string;
  publicIp?: string;
  privateIp?: string;
  imageId?: string;
  platform?: string;
  /** ISO-8601. */
  launchTime?: string;
  /** True when the metadata service requires tokens (IMDSv2): credential theft is harder. */
  imdsV2Required?: boolean;
  networkInterfaceCount: number;
  /** Tags in the order EC2 returned them (a list, so no key can touch an object's prototype). */
  tags: { key: string; value: string }[];
}

// ---------------------------------------------------------------------------------------------
// Related GuardDuty findings

/** What a related finding has in common with the investigated one. */
export type RelatedMatch = 'instance' | 'accessKey' | 'principal' | 'user' | 'remoteIp';

/** One value to look for in other GuardDuty findings. */
export interface RelatedCriterion {
  match: RelatedMatch;
  value: string;
}

/** Another GuardDuty finding about the same instance, key, principal or remote IP. */
export interface RelatedFinding {
  id: string;
  type: string;
  severity: number;
  title?: string;
  /** ISO-8601. */
  updatedAt?: string;
  /** GuardDuty's `service.count`. */
  count: number;
  archived: boolean;
  matchedBy: RelatedMatch[];
}

/** Related findings of one type. */
export interface RelatedFindingGroup {
  type: string;
  /** How many findings of this type. */
  findings: number;
  /** The sum of their `service.count`. */
  occurrences: number;
  maxSeverity: number;
  archived: number;
  /** ISO-8601, the latest `updatedAt`. */
  lastUpdated?: string;
  matchedBy: RelatedMatch[];
}

/** The related-findings pivot's answer. */
export interface RelatedFindingsSummary {
  /** ISO-8601 start of the lookback. */
  since: string;
  criteria: RelatedCriterion[];
  /** Findings found (the investigated finding excluded). */
  total: number;
  /** By type, highest severity first. */
  groups: RelatedFindingGroup[];
  /** True when more findings matched than were fetched. */
  truncated: boolean;
}

/** Groups related findings by type (highest severity, then most findings, first). */
export const summarizeRelatedFindings = (
  findings: readonly RelatedFinding[]
): RelatedFindingGroup[] => {
  const groups = new Map<string, RelatedFindingGroup & { matches: Set<RelatedMatch> }>();
  for (const finding of findings) {
    let group = groups.get(finding.type);
    if (!group) {
      group = {
        type: finding.type,
        findings: 0,
        occurrences: 0,
        maxSeverity: 0,
        archived: 0,
        matchedBy: [],
        matches: new Set(),
      };
      groups.set(finding.type, group);
    }
    group.findings += 1;
    group.occurrences += Math.max(1, finding.count);
    group.maxSeverity = Math.max(group.maxSeverity, finding.severity);
    if (finding.archived) group.archived += 1;
    if (finding.updatedAt && (!group.lastUpdated || finding.updatedAt > group.lastUpdated)) {
      group.lastUpdated = finding.updatedAt;
    }
    for (const match of finding.matchedBy) group.matches.add(match);
  }
  return [...groups.values()]
    .map(({ matches, ...group }) => ({ ...group, matchedBy: [...matches].sort() }))
    .sort(
      (a, b) =>
        b.maxSeverity - a.maxSeverity || b.findings - a.findings || a.type.localeCompare(b.type)
    );
};

// ---------------------------------------------------------------------------------------------
// Security Hub

/** How a Security Hub finding was matched. */
export type HubMatch = 'resource' | 'sourceIp' | 'destinationIp';

/** One Security Hub (ASFF) finding, reduced to what the channel needs. */
export interface HubFinding {
  id: string;
  /** `GuardDuty`, `Inspector`, `Config`, `Security Hub`, … */
  productName: string;
  title: string;
  /** `INFORMATIONAL` | `LOW` | `MEDIUM` | `HIGH` | `CRITICAL`. */
  severityLabel: string;
  workflowStatus?: string;
  recordState?: string;
  complianceStatus?: string;
  /** ISO-8601. */
  updatedAt?: string;
  types: string[];
  matchedBy: HubMatch[];
}

/** Security Hub findings of one product. */
export interface HubProductGroup {
  productName: string;
  total: number;
  active: number;
  /** The group's findings: active first, then by severity, then newest. */
  findings: HubFinding[];
}

/** The Security Hub pivot's answer. */
export interface HubSummary {
  /** What was searched: resource ids (exact or contained) and the IP, if any. */
  resourceIds: string[];
  ip?: string;
  total: number;
  active: number;
  /** Products with active findings first, then by count. */
  groups: HubProductGroup[];
  truncated: boolean;
}

const SEVERITY_RANK: Record<string, number> = {
  CRITICAL: 5,
  HIGH: 4,
  MEDIUM: 3,
  LOW: 2,
  INFORMATIONAL: 1,
};

/** Security Hub's severity label as a number (CRITICAL 5 … INFORMATIONAL 1, unknown 0). */
export const hubSeverityRank = (label: string): number => SEVERITY_RANK[label.toUpperCase()] ?? 0;

/** Active: not archived and not resolved or suppressed by a person. */
export const isActiveHubFinding = (finding: Pick<HubFinding, 'recordState' | 'workflowStatus'>) =>
  finding.recordState !== 'ARCHIVED' &&
  finding.workflowStatus !== 'RESOLVED' &&
  finding.workflowStatus !== 'SUPPRESSED';

/** Groups Security Hub findings by product, active first. */
export const summarizeHubFindings = (findings: readonly HubFinding[]): HubProductGroup[] => {
  const groups = new Map<string, HubProductGroup>();
  for (const finding of findings) {
    const key = finding.productName || 'Unknown';
    let group = groups.get(key);
    if (!group) {
      group = { productName: key, total: 0, active: 0, findings: [] };
      groups.set(key, group);
    }
    group.total += 1;
    if (isActiveHubFinding(finding)) group.active += 1;
    group.findings.push(finding);
  }
  for (const group of groups.values()) {
    group.findings.sort(
      (a, b) =>
        Number(isActiveHubFinding(b)) - Number(isActiveHubFinding(a)) ||
        hubSeverityRank(b.severityLabel) - hubSeverityRank(a.severityLabel) ||
        (b.updatedAt ?? '').localeCompare(a.updatedAt ?? '')
    );
  }
  return [...groups.values()].sort(
    (a, b) =>
      Number(b.active > 0) - Number(a.active > 0) ||
      b.active - a.active ||
      b.total - a.total ||
      a.productName.localeCompare(b.productName)
  );
};

// ---------------------------------------------------------------------------------------------
// Logs

/** Why a log search stopped before CloudWatch Logs said it was done. */
export type LogTruncation = 'maxEvents' | 'maxPages' | 'maxMs' | 'throttled';

/** Bounds of one log search: events kept, pages read, and wall time. */
export interface LogBudget {
  maxEvents: number;
  maxPages: number;
  maxMs: number;
}

/** One log line, as shown in Slack (message already shortened to 1000 characters). */
export interface LogLine {
  /** ISO-8601 event time. */
  timestamp: string;
  logGroupName: string;
  logStreamName?: string;
  message: string;
}

/** How the search of one log group went. */
export type LogGroupOutcome =
  | {
      ok: true;
      logGroupName: string;
      /** Events kept from this group. */
      events: number;
      pages: number;
      truncated?: LogTruncation;
    }
  | { ok: false; logGroupName: string; code: PivotErrorCode | string; message: string };

/** A log search over one or more log groups, with the sshd analysis of what it found. */
export interface LogSearchSummary {
  /** ISO-8601 window. */
  window: { start: string; end: string };
  /** The filter patterns run in each group (the Investigate pivot runs two). */
  filterPatterns: string[];
  logStreamNamePrefix?: string;
  groups: LogGroupOutcome[];
  /** Events found, over every group. */
  matchedEvents: number;
  /** The sshd authentication analysis of the events. */
  analysis: SshAnalysis;
  /** The latest lines, newest first (at most a few dozen). */
  recent: LogLine[];
  /** True when any group's search stopped early or failed: the counts are lower bounds. */
  truncated: boolean;
  /**
   * False when the search for accepted logins did not cover every group completely, so "no
   * successful login" cannot be claimed.
   */
  acceptedSearchComplete: boolean;
}

/**
 * Named filter patterns. Term patterns (`?"A" ?"B"` = A or B) are used rather than the workshop's
 * space-delimited ones (`[Mon, day, timestamp, ip, id, msg1= Invalid, msg2 = user, ...]`) because
 * those depend on the syslog layout: they miss ISO-timestamped lines, and whether CloudWatch
 * collapses the double space of single-digit days (`Mar  1`) is unverified. The term patterns match
 * a superset of the workshop's lines; the workshop's patterns can still be given verbatim.
 */
export const LOG_PRESETS = {
  ssh: {
    pattern:
      '?"Invalid user" ?"Failed password" ?"Failed publickey" ?"Failed keyboard-interactive" ?"Accepted password" ?"Accepted publickey" ?"Accepted keyboard-interactive"',
    description: 'every sshd authentication line',
  },
  'ssh-failed': {
    pattern: '?"Invalid user" ?"Failed password"',
    description:
      'failed SSH logins: the workshop\'s `[Mon, day, timestamp, ip, id, msg1= Invalid, msg2 = user, ...]` plus `"Failed password"`',
  },
  'ssh-accepted': {
    pattern: '?"Accepted password" ?"Accepted publickey" ?"Accepted keyboard-interactive"',
    description:
      "accepted SSH logins: the workshop's `[Mon, day, timestamp, ip, id, msg1= Accepted, msg2 = password, ...]` plus key logins",
  },
} as const;

/** The name of a preset filter pattern. */
export type LogPreset = keyof typeof LOG_PRESETS;

/**
 * The failures pattern of the Investigate pivot. Accepted logins are searched on their own (with
 * {@link SSH_ACCEPTED_PATTERN}), so a flood of failures can never push them out of the budget.
 */
export const SSH_FAILED_PATTERN =
  '?"Invalid user" ?"Failed password" ?"Failed publickey" ?"Failed keyboard-interactive"';

/** The accepted-logins pattern of the Investigate pivot (the `ssh-accepted` preset). */
export const SSH_ACCEPTED_PATTERN = LOG_PRESETS['ssh-accepted'].pattern;

// ---------------------------------------------------------------------------------------------
// Commands

/** A duration given on the command line, e.g. `24h`. */
export interface CommandDuration {
  /** As typed (normalized), e.g. `24h`. */
  text: string;
  ms: number;
}

/** What `/guardduty logs` searches. */
export type LogsTarget =
  | { type: 'instance'; instanceId: string }
  | { type: 'logGroup'; logGroupName: string };

/** A preset or a raw CloudWatch Logs filter pattern (≤ 1024 characters, balanced). */
export type LogsFilter =
  | { type: 'preset'; preset: LogPreset }
  | { type: 'pattern'; pattern: string };

/** `/guardduty logs <instance-id|log-group> [preset|pattern] [--since 24h] [--share]`. */
export interface LogsCommand {
  kind: 'logs';
  target: LogsTarget;
  filter: LogsFilter;
  since: CommandDuration;
  /** Post the answer in the channel rather than only to the requester. */
  share: boolean;
}

/** What `/guardduty hub` looks up. */
export type HubSubject =
  | { type: 'instance'; instanceId: string }
  | { type: 'arn'; arn: string }
  | { type: 'accessKey'; accessKeyId: string }
  | { type: 'ip'; ip: string; version: 4 | 6 };

/** `/guardduty hub <instance-id|arn|access-key-id|ip>`. */
export interface HubCommand {
  kind: 'hub';
  subject: HubSubject;
}

/** The answer to `/guardduty logs`. `count` is what the audit records. */
export interface LogSearchResult {
  request: LogsCommand;
  target: InvestigationTarget;
  /** The log groups searched (or refused). */
  logGroups: string[];
  filterPattern: string;
  outcome: Section<LogSearchSummary>;
  /** Events found (0 on failure). */
  count: number;
}

/** The answer to `/guardduty hub`. `count` is what the audit records. */
export interface HubResult {
  request: HubCommand;
  target: InvestigationTarget;
  outcome: Section<HubSummary>;
  /** Findings found (0 on failure). */
  count: number;
}

// ---------------------------------------------------------------------------------------------
// The report

/** What the investigation pivots on, derived from the finding. */
export interface InvestigationSubject {
  instanceId?: string;
  /** `resource` for instance findings, `principal` when taken from `<roleId>:<instanceId>`. */
  instanceIdFrom?: 'resource' | 'principal';
  accessKeyId?: string;
  principalId?: string;
  userName?: string;
  actorIp?: string;
}

/** The log searches the Investigate pivot ran: enough to link to them, even when they failed. */
export interface LogSearchRequest {
  logGroups: string[];
  filterPatterns: string[];
  logStreamNamePrefix?: string;
  /** ISO-8601 window. */
  start: string;
  end: string;
}

/** Everything the Investigate button gathered about one finding. */
export interface InvestigationReport {
  finding: Finding;
  target: InvestigationTarget;
  /** ISO-8601. */
  generatedAt: string;
  subject: InvestigationSubject;
  /** Absent when the finding names no instance. */
  instance?: Section<InstanceContext>;
  /** Absent when the finding has nothing to correlate on. */
  relatedFindings?: Section<RelatedFindingsSummary>;
  /** Absent when the finding names no resource or IP Security Hub can be asked about. */
  securityHub?: Section<HubSummary>;
  /** Absent when the finding names no instance (logs are searched by instance stream). */
  logs?: Section<LogSearchSummary>;
  /** What the logs pivot searched (absent when it did not run). */
  logSearch?: LogSearchRequest;
  /** Why a pivot did not run, one line each (e.g. "no instance: logs not searched"). */
  skipped: string[];
  /** True when any pivot's answer is partial. */
  truncated: boolean;
  /** What the audit records: how many results each pivot returned. */
  counts: { relatedFindings: number; securityHubFindings: number; logEvents: number };
}

// ---------------------------------------------------------------------------------------------
// IP addresses

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEXTET = /^[0-9A-Fa-f]{1,4}$/;

const ipv6Groups = (text: string): number[] | undefined => {
  if (text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let body = text;
  let tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 address ("::ffff:203.0.113.45") stands for the last two groups.
    const lastColon = text.lastIndexOf(':');
    const v4 = text.slice(lastColon + 1);
    if (lastColon < 0 || !IPV4.test(v4)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    tail = [(a << 8) | b, (c << 8) | d];
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const parts = body.split('::');
  if (parts.length > 2) return undefined;
  const parse = (segment: string): number[] | undefined => {
    if (segment === '') return [];
    const out: number[] = [];
    for (const group of segment.split(':')) {
      if (!HEXTET.test(group)) return undefined;
      out.push(Number.parseInt(group, 16));
    }
    return out;
  };
  const head = parse(parts[0] ?? '');
  const rest = parts.length === 2 ? parse(parts[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const total = head.length + rest.length + tail.length;
  if (parts.length === 2) {
    if (total > 7) return undefined;
    return [...head, ...new Array<number>(8 - total).fill(0), ...rest, ...tail];
  }
  return total === 8 ? [...head, ...tail] : undefined;
};

/** 4 or 6 for a literal IPv4 (no leading zeros) or IPv6 address (no zone, no prefix), else undefined. */
export const ipVersion = (text: string): 4 | 6 | undefined => {
  if (IPV4.test(text)) return 4;
  if (text.includes(':') && ipv6Groups(text) !== undefined) return 6;
  return undefined;
};

/**
 * The canonical text of an IP address, so that two spellings compare equal: IPv6 lower-case and
 * compressed as RFC 5952 says, IPv4-mapped IPv6 (`::ffff:203.0.113.45`) as plain IPv4. Anything
 * else comes back unchanged.
 */
export const normalizeIp = (text: string): string => {
  if (IPV4.test(text)) return text;
  const groups = text.includes(':') ? ipv6Groups(text) : undefined;
  if (!groups) return text;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
};
