import {
  type CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import {
  GetFindingsCommand as GetGuardDutyFindingsCommand,
  type GuardDutyClient,
  type Finding as GuardDutyFinding,
  ListDetectorsCommand,
  ListFindingsCommand,
  type ListFindingsCommandOutput,
} from '@aws-sdk/client-guardduty';
import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  GetFindingsCommand as GetHubFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { BotError } from '../../domain/errors';
import {
  AccessDeniedError,
  type HubFinding,
  type HubMatch,
  type InstanceContext,
  InvalidRequestError,
  type InvestigationTarget,
  ipVersion,
  NotEnabledError,
  NotFoundError,
  type RelatedCriterion,
  type RelatedFinding,
  type RelatedMatch,
  SourceTimeoutError,
  SourceUnavailableError,
  ThrottledError,
} from '../../domain/investigation';
import type { Clock } from '../../ports/Clock';
import type {
  InstanceLookup,
  LogQuery,
  LogQueryResult,
  LogSearch,
  RawLogEvent,
  RelatedFindingsQuery,
  RelatedFindingsSource,
  SecurityHubQuery,
  SecurityHubSource,
} from '../../ports/Investigation';
import type { AwsClientFactory } from './AwsClientFactory';

/**
 * The investigation ports on the AWS SDK: EC2 `DescribeInstances`, GuardDuty `ListDetectors` /
 * `ListFindings` / `GetFindings`, Security Hub `GetFindings`, CloudWatch Logs `FilterLogEvents`.
 * Read-only. Every SDK error becomes an `InvestigationSourceError` with a stable code and a
 * channel-safe message; the SDK error is kept as `cause`.
 */

/** The clients these adapters need (the {@link AwsClientFactory} provides them). */
export type InvestigationClients = Pick<
  AwsClientFactory,
  'ec2' | 'guardDuty' | 'securityHub' | 'logs'
>;

// ---------------------------------------------------------------------------------------------
// Error translation

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'AuthorizationError',
  'UnrecognizedClientException',
]);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'LimitExceededException',
  'SlowDown',
]);
const TIMEOUT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
  'ETIMEDOUT',
]);
const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFoundException']);
const INVALID = new Set([
  'InvalidParameterException',
  'InvalidInputException',
  'ValidationException',
  'BadRequestException',
  'MalformedQueryException',
]);

interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const errorName = (error: unknown): string => {
  if (typeof error !== 'object' || error === null) return '';
  const { name, code } = error as AwsErrorShape;
  if (typeof code === 'string' && (name === 'Error' || name === undefined)) return code;
  return typeof name === 'string' ? name : '';
};

/** True for AWS throttling errors, whatever the service calls them. */
export const isThrottlingError = (error: unknown): boolean => {
  const name = errorName(error);
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  return (
    THROTTLED.has(name) ||
    shape.$retryable?.throttling === true ||
    shape.$metadata?.httpStatusCode === 429
  );
};

/** What failed, for the message: the IAM action and the resource. */
interface Attempt {
  service: string;
  /** IAM action, e.g. `logs:FilterLogEvents`. */
  action: string;
  /** Human description of the resource, e.g. `log group /var/log/secure`. */
  resource: string;
  target: InvestigationTarget;
  /** The message for `NOT_FOUND`, when the default would be vague. */
  notFound?: string;
}

const where = (target: InvestigationTarget): string => `${target.accountId}/${target.region}`;

/**
 * Turns an SDK error into an `InvestigationSourceError` with a stable code. Bot errors (for
 * example a failed role assumption) pass through unchanged.
 */
export const translateAwsError = (error: unknown, attempt: Attempt): BotError => {
  if (error instanceof BotError) return error;
  const name = errorName(error);
  const status = (error as AwsErrorShape | null)?.$metadata?.httpStatusCode;
  const { service, action, resource, target } = attempt;
  const options = { cause: error };
  if (ACCESS_DENIED.has(name) || status === 403) {
    return new AccessDeniedError(
      service,
      `No permission for ${action} on ${resource} in ${where(target)}.`,
      options
    );
  }
  if (isThrottlingError(error)) {
    return new ThrottledError(
      service,
      `AWS throttled ${action} on ${resource}; try again in a minute.`,
      options
    );
  }
  if (TIMEOUT.has(name)) {
    return new SourceTimeoutError(service, `${action} on ${resource} timed out.`, options);
  }
  if (NOT_FOUND.has(name) || name.endsWith('.NotFound') || status === 404) {
    return new NotFoundError(
      service,
      attempt.notFound ?? `${resource} was not found in ${where(target)}.`,
      options
    );
  }
  if (name === 'InvalidAccessException') {
    return new NotEnabledError(
      service,
      `Security Hub is not enabled in ${where(target)} (or this account is not a member of it).`,
      options
    );
  }
  if (INVALID.has(name) || name.endsWith('.Malformed')) {
    return new InvalidRequestError(service, `AWS rejected ${action} on ${resource}.`, options);
  }
  return new SourceUnavailableError(
    service,
    `${action} on ${resource} failed (${name || 'unknown error'}).`,
    options
  );
};

const defined = <K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } =>
  (value === undefined || value === null || value === '' ? {} : { [key]: value }) as {
    [P in K]?: V;
  };

// ---------------------------------------------------------------------------------------------
// EC2

const toInstanceContext = (instance: Instance, instanceId: string): InstanceContext => {
  const groups = new Map<string, { id: string; name?: string }>();
  const addGroup = (id: string | undefined, name: string | undefined) => {
    if (!id || groups.has(id)) return;
    groups.set(id, { id, ...defined('name', name) });
  };
  for (const group of instance.SecurityGroups ?? []) addGroup(group.GroupId, group.GroupName);
  for (const eni of instance.NetworkInterfaces ?? []) {
    for (const group of eni.Groups ?? []) addGroup(group.GroupId, group.GroupName);
  }
  const tags = (instance.Tags ?? [])
    .filter((tag) => typeof tag.Key === 'string')
    .map((tag) => ({ key: tag.Key ?? '', value: tag.Value ?? '' }));
  const name = tags.find((tag) => tag.key === 'Name')?.value;
  const launch = instance.LaunchTime;
  const launchTime =
    launch instanceof Date && !Number.isNaN(launch.getTime()) ? launch.toISOString() : undefined;
  const tokens = instance.MetadataOptions?.HttpTokens;
  return {
    instanceId: instance.InstanceId ?? instanceId,
    ...defined('name', name),
    ...defined('state', instance.State?.Name),
    ...defined('instanceType', instance.InstanceType),
    ...defined('availabilityZone', instance.Placement?.AvailabilityZone),
    ...defined('vpcId', instance.VpcId),
    ...defined('subnetId', instance.SubnetId),
    securityGroups: [...groups.values()],
    ...defined('instanceProfileArn', instance.IamInstanceProfile?.Arn),
    ...defined('publicIp', instance.PublicIpAddress),
    ...defined('privateIp', instance.PrivateIpAddress),
    ...defined('imageId', instance.ImageId),
    ...defined('platform', instance.PlatformDetails ?? instance.Platform),
    ...defined('launchTime', launchTime),
    ...(tokens === undefined ? {} : { imdsV2Required: tokens === 'required' }),
    networkInterfaceCount: instance.NetworkInterfaces?.length ?? 0,
    tags,
  };
};

/** {@link InstanceLookup} with EC2 `DescribeInstances`. */
export class AwsInstanceLookup implements InstanceLookup {
  readonly #clients: Pick<InvestigationClients, 'ec2'>;

  public constructor(clients: Pick<InvestigationClients, 'ec2'>) {
    this.#clients = clients;
  }

  public async describe(instanceId: string, target: InvestigationTarget): Promise<InstanceContext> {
    const attempt: Attempt = {
      service: 'ec2',
      action: 'ec2:DescribeInstances',
      resource: `instance ${instanceId}`,
      target,
      notFound: `Instance ${instanceId} was not found in ${where(target)} (terminated, or in another account or region).`,
    };
    let client: EC2Client;
    try {
      client = await this.#clients.ec2(target);
      const output = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = (output.Reservations ?? [])
        .flatMap((reservation) => reservation.Instances ?? [])
        .find((candidate) => candidate.InstanceId === instanceId);
      if (!instance) throw new NotFoundError('ec2', attempt.notFound ?? '');
      return toInstanceContext(instance, instanceId);
    } catch (error) {
      throw translateAwsError(error, attempt);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GuardDuty

const IP_ACTIONS = [
  'service.action.networkConnectionAction.remoteIpDetails',
  'service.action.awsApiCallAction.remoteIpDetails',
  'service.action.portProbeAction.portProbeDetails.remoteIpDetails',
  'service.action.kubernetesApiCallAction.remoteIpDetails',
  'service.action.rdsLoginAttemptAction.remoteIpDetails',
] as const;

/** The `FindingCriteria` fields that express one criterion (ANDed within a call, so one call each). */
export const relatedCriterionFields = (criterion: RelatedCriterion): string[] => {
  switch (criterion.match) {
    case 'instance':
      return ['resource.instanceDetails.instanceId'];
    case 'accessKey':
      return ['resource.accessKeyDetails.accessKeyId'];
    case 'principal':
      return ['resource.accessKeyDetails.principalId'];
    case 'user':
      return ['resource.accessKeyDetails.userName'];
    case 'remoteIp': {
      const suffix = ipVersion(criterion.value) === 6 ? 'ipAddressV6' : 'ipAddressV4';
      return IP_ACTIONS.map((action) => `${action}.${suffix}`);
    }
  }
};

/** Options of {@link AwsRelatedFindings}. */
export interface AwsRelatedFindingsOptions {
  /** ListFindings pages read per criterion field at most. @default 10 */
  maxPagesPerField?: number;
}

const GET_FINDINGS_CHUNK = 50;

/** {@link RelatedFindingsSource} with GuardDuty `ListFindings` + `GetFindings` (chunks of 50). */
export class AwsRelatedFindings implements RelatedFindingsSource {
  readonly #clients: Pick<InvestigationClients, 'guardDuty'>;
  readonly #maxPagesPerField: number;
  readonly #detectors = new Map<string, string>();

  public constructor(
    clients: Pick<InvestigationClients, 'guardDuty'>,
    options: AwsRelatedFindingsOptions = {}
  ) {
    this.#clients = clients;
    this.#maxPagesPerField = options.maxPagesPerField ?? 10;
  }

  public async find(
    query: RelatedFindingsQuery,
    target: InvestigationTarget
  ): Promise<{ findings: RelatedFinding[]; truncated: boolean }> {
    let client: GuardDutyClient;
    try {
      client = await this.#clients.guardDuty(target);
    } catch (error) {
      throw translateAwsError(error, this.#attempt('guardduty:ListFindings', 'findings', target));
    }
    const detectorId = await this.#detector(client, target);
    const excluded = new Set(query.excludeFindingIds);
    const matches = new Map<string, Set<RelatedMatch>>();
    let truncated = false;

    search: for (const criterion of query.criteria) {
      for (const field of relatedCriterionFields(criterion)) {
        let nextToken: string | undefined;
        let pages = 0;
        do {
          if (pages >= this.#maxPagesPerField) {
            truncated = true;
            break;
          }
          pages += 1;
          let output: ListFindingsCommandOutput;
          try {
            output = await client.send(
              new ListFindingsCommand({
                DetectorId: detectorId,
                FindingCriteria: {
                  Criterion: {
                    [field]: { Equals: [criterion.value] },
                    updatedAt: { GreaterThanOrEqual: query.updatedSince.getTime() },
                  },
                },
                SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'DESC' },
                MaxResults: 50,
                ...(nextToken === undefined ? {} : { NextToken: nextToken }),
              })
            );
          } catch (error) {
            throw translateAwsError(
              error,
              this.#attempt('guardduty:ListFindings', `detector ${detectorId}`, target)
            );
          }
          for (const id of output.FindingIds ?? []) {
            if (excluded.has(id)) continue;
            const known = matches.get(id);
            if (known) {
              known.add(criterion.match);
            } else if (matches.size < query.maxFindings) {
              matches.set(id, new Set([criterion.match]));
            } else {
              truncated = true;
              continue search;
            }
          }
          nextToken = output.NextToken || undefined;
          if (nextToken !== undefined && matches.size >= query.maxFindings) {
            truncated = true;
            continue search;
          }
        } while (nextToken !== undefined);
      }
    }

    const ids = [...matches.keys()];
    const findings: RelatedFinding[] = [];
    for (let start = 0; start < ids.length; start += GET_FINDINGS_CHUNK) {
      const chunk = ids.slice(start, start + GET_FINDINGS_CHUNK);
      let output: { Findings?: GuardDutyFinding[] };
      try {
        output = await client.send(
          new GetGuardDutyFindingsCommand({ DetectorId: detectorId, FindingIds: chunk })
        );
      } catch (error) {
        throw translateAwsError(
          error,
          this.#attempt('guardduty:GetFindings', `detector ${detectorId}`, target)
        );
      }
      for (const finding of output.Findings ?? []) {
        if (!finding.Id || excluded.has(finding.Id)) continue;
        findings.push({
          id: finding.Id,
          type: finding.Type ?? 'Unknown',
          severity: typeof finding.Severity === 'number' ? finding.Severity : 0,
          ...defined('title', finding.Title),
          ...defined('updatedAt', finding.UpdatedAt),
          count: finding.Service?.Count ?? 1,
          archived: finding.Service?.Archived === true,
          matchedBy: [...(matches.get(finding.Id) ?? [])].sort(),
        });
      }
    }
    return { findings, truncated };
  }

  async #detector(client: GuardDutyClient, target: InvestigationTarget): Promise<string> {
    const key = where(target);
    const cached = this.#detectors.get(key);
    if (cached) return cached;
    let detectorId: string | undefined;
    try {
      const output = await client.send(new ListDetectorsCommand({}));
      detectorId = output.DetectorIds?.[0];
    } catch (error) {
      throw translateAwsError(error, this.#attempt('guardduty:ListDetectors', 'detectors', target));
    }
    if (!detectorId) {
      throw new NotEnabledError('guardduty', `GuardDuty has no detector in ${key}.`);
    }
    this.#detectors.set(key, detectorId);
    return detectorId;
  }

  #attempt(action: string, resource: string, target: InvestigationTarget): Attempt {
    return { service: 'guardduty', action, resource, target };
  }
}

// ---------------------------------------------------------------------------------------------
// Security Hub

const HUB_PAGE = 100;

/** Options of {@link AwsSecurityHubSource}. */
export interface AwsSecurityHubSourceOptions {
  /** GetFindings pages read per filter at most. @default 5 */
  maxPagesPerFilter?: number;
}

const productNameOf = (finding: AwsSecurityFinding): string => {
  if (finding.ProductName) return finding.ProductName;
  // arn:aws:securityhub:<region>::product/<company>/<product>
  const product = /product\/[^/]+\/([^/]+)$/.exec(finding.ProductArn ?? '')?.[1];
  return product ?? 'Unknown';
};

const toHubFinding = (finding: AwsSecurityFinding, matchedBy: HubMatch[]): HubFinding => ({
  id: finding.Id ?? '',
  productName: productNameOf(finding),
  title: finding.Title ?? '(untitled)',
  severityLabel: finding.Severity?.Label ?? 'INFORMATIONAL',
  ...defined('workflowStatus', finding.Workflow?.Status),
  ...defined('recordState', finding.RecordState),
  ...defined('complianceStatus', finding.Compliance?.Status),
  ...defined('updatedAt', finding.UpdatedAt),
  types: finding.Types ?? [],
  matchedBy,
});

/** {@link SecurityHubSource} with Security Hub `GetFindings`. */
export class AwsSecurityHubSource implements SecurityHubSource {
  readonly #clients: Pick<InvestigationClients, 'securityHub'>;
  readonly #maxPages: number;

  public constructor(
    clients: Pick<InvestigationClients, 'securityHub'>,
    options: AwsSecurityHubSourceOptions = {}
  ) {
    this.#clients = clients;
    this.#maxPages = options.maxPagesPerFilter ?? 5;
  }

  public async findings(
    query: SecurityHubQuery,
    target: InvestigationTarget
  ): Promise<{ findings: HubFinding[]; truncated: boolean }> {
    const attempt: Attempt = {
      service: 'securityhub',
      action: 'securityhub:GetFindings',
      resource: 'findings',
      target,
    };
    let client: SecurityHubClient;
    try {
      client = await this.#clients.securityHub(target);
    } catch (error) {
      throw translateAwsError(error, attempt);
    }
    // Different fields are ANDed by Security Hub, so each way of matching is its own search.
    const searches: { match: HubMatch; filters: AwsSecurityFindingFilters }[] = [];
    if (query.resourceIds.length > 0) {
      searches.push({
        match: 'resource',
        filters: {
          ResourceId: query.resourceIds.map((filter) => ({
            Value: filter.value,
            Comparison: filter.comparison,
          })),
        },
      });
    }
    if (query.ip !== undefined) {
      const version = ipVersion(query.ip);
      const cidr = [{ Cidr: `${query.ip}/${version === 6 ? 128 : 32}` }];
      searches.push(
        version === 6
          ? { match: 'sourceIp', filters: { NetworkSourceIpV6: cidr } }
          : { match: 'sourceIp', filters: { NetworkSourceIpV4: cidr } },
        version === 6
          ? { match: 'destinationIp', filters: { NetworkDestinationIpV6: cidr } }
          : { match: 'destinationIp', filters: { NetworkDestinationIpV4: cidr } }
      );
    }

    const found = new Map<string, { finding: AwsSecurityFinding; matches: Set<HubMatch> }>();
    let truncated = false;
    search: for (const { match, filters } of searches) {
      let nextToken: string | undefined;
      let pages = 0;
      do {
        if (pages >= this.#maxPages) {
          truncated = true;
          break;
        }
        pages += 1;
        let output: { Findings?: AwsSecurityFinding[]; NextToken?: string };
        try {
          output = await client.send(
            new GetHubFindingsCommand({
              Filters: filters,
              SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'desc' }],
              MaxResults: HUB_PAGE,
              ...(nextToken === undefined ? {} : { NextToken: nextToken }),
            })
          );
        } catch (error) {
          throw translateAwsError(error, attempt);
        }
        for (const finding of output.Findings ?? []) {
          if (!finding.Id) continue;
          const known = found.get(finding.Id);
          if (known) {
            known.matches.add(match);
          } else if (found.size < query.maxFindings) {
            found.set(finding.Id, { finding, matches: new Set([match]) });
          } else {
            truncated = true;
            continue search;
          }
        }
        nextToken = output.NextToken || undefined;
        if (nextToken !== undefined && found.size >= query.maxFindings) {
          truncated = true;
          continue search;
        }
      } while (nextToken !== undefined);
    }
    return {
      findings: [...found.values()].map(({ finding, matches }) =>
        toHubFinding(finding, [...matches].sort())
      ),
      truncated,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// CloudWatch Logs

/** Options of {@link AwsLogSearch}. */
export interface AwsLogSearchOptions {
  /** Minimum gap between two FilterLogEvents calls in one account and region. @default 200 (5 TPS) */
  minIntervalMs?: number;
  /** Retries of a throttled call. @default 3 */
  maxThrottleRetries?: number;
  /** First back-off after throttling; doubles each retry. @default 1000 */
  throttleBackoffMs?: number;
}

const PAGE_LIMIT = 10_000;

/** Spaces calls per key (account and region) at least `intervalMs` apart, on the injected clock. */
class Pacer {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #next = new Map<string, number>();

  public constructor(clock: Clock, intervalMs: number) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  public async wait(key: string): Promise<void> {
    const now = this.#clock.now().getTime();
    const slot = Math.max(now, this.#next.get(key) ?? 0);
    this.#next.set(key, slot + this.#intervalMs);
    if (slot > now) await this.#clock.sleep(slot - now);
  }
}

/**
 * {@link LogSearch} with CloudWatch Logs `FilterLogEvents`. Pages until the token ends (pages may
 * be empty before it does), within the query's budget of events, pages and milliseconds; calls
 * in one account and region are paced (5 TPS quota); throttled calls are retried with back-off
 * and, when the retries or the time run out, the search ends early (`truncated: 'throttled'`) if
 * it already has pages, or fails with `THROTTLED` if it has none.
 */
export class AwsLogSearch implements LogSearch {
  readonly #clients: Pick<InvestigationClients, 'logs'>;
  readonly #clock: Clock;
  readonly #pacer: Pacer;
  readonly #maxRetries: number;
  readonly #backoffMs: number;

  public constructor(
    clients: Pick<InvestigationClients, 'logs'>,
    clock: Clock,
    options: AwsLogSearchOptions = {}
  ) {
    this.#clients = clients;
    this.#clock = clock;
    this.#pacer = new Pacer(clock, options.minIntervalMs ?? 200);
    this.#maxRetries = options.maxThrottleRetries ?? 3;
    this.#backoffMs = options.throttleBackoffMs ?? 1000;
  }

  public async search(query: LogQuery, target: InvestigationTarget): Promise<LogQueryResult> {
    const isArn = query.logGroupName.startsWith('arn:');
    const attempt: Attempt = {
      service: 'logs',
      action: 'logs:FilterLogEvents',
      resource: `log group ${query.logGroupName}`,
      target,
      notFound: `Log group ${query.logGroupName} does not exist in ${where(target)}.`,
    };
    let client: CloudWatchLogsClient;
    try {
      client = await this.#clients.logs(target);
    } catch (error) {
      throw translateAwsError(error, attempt);
    }
    const { budget } = query;
    const started = this.#clock.now().getTime();
    const elapsed = () => this.#clock.now().getTime() - started;
    const events: RawLogEvent[] = [];
    const seenTokens = new Set<string>();
    let nextToken: string | undefined;
    let pages = 0;
    let retries = 0;
    let throttleRetries = 0;
    let truncated: LogQueryResult['truncated'];

    for (;;) {
      if (pages > 0) {
        if (nextToken === undefined) break;
        if (events.length >= budget.maxEvents) {
          truncated = 'maxEvents';
          break;
        }
        if (pages >= budget.maxPages) {
          truncated = 'maxPages';
          break;
        }
        if (elapsed() >= budget.maxMs) {
          truncated = 'maxMs';
          break;
        }
      }
      await this.#pacer.wait(where(target));
      let output: FilterLogEventsCommandOutput;
      try {
        output = await client.send(
          new FilterLogEventsCommand({
            ...(isArn
              ? { logGroupIdentifier: query.logGroupName }
              : { logGroupName: query.logGroupName }),
            ...(query.logStreamNamePrefix === undefined
              ? {}
              : { logStreamNamePrefix: query.logStreamNamePrefix }),
            startTime: query.start.getTime(),
            endTime: query.end.getTime(),
            ...(query.filterPattern === undefined ? {} : { filterPattern: query.filterPattern }),
            limit: Math.max(1, Math.min(PAGE_LIMIT, budget.maxEvents - events.length)),
            ...(nextToken === undefined ? {} : { nextToken }),
          })
        );
      } catch (error) {
        if (!isThrottlingError(error)) throw translateAwsError(error, attempt);
        const backoff = this.#backoffMs * 2 ** retries;
        if (retries < this.#maxRetries && elapsed() + backoff < budget.maxMs) {
          retries += 1;
          throttleRetries += 1;
          await this.#clock.sleep(backoff);
          continue;
        }
        if (pages > 0) {
          truncated = 'throttled';
          break;
        }
        throw translateAwsError(error, attempt);
      }
      retries = 0;
      pages += 1;
      for (const event of output.events ?? []) {
        if (events.length >= budget.maxEvents) {
          truncated = 'maxEvents';
          break;
        }
        if (typeof event.message !== 'string') continue;
        events.push({
          timestamp: event.timestamp ?? 0,
          message: event.message,
          ...defined('logStreamName', event.logStreamName),
          ...defined('eventId', event.eventId),
        });
      }
      if (truncated) break;
      nextToken = output.nextToken || undefined;
      // A token we have seen already would loop forever: treat it as the end.
      if (nextToken !== undefined) {
        if (seenTokens.has(nextToken)) nextToken = undefined;
        else seenTokens.add(nextToken);
      }
    }
    return { events, pages, ...(truncated === undefined ? {} : { truncated }), throttleRetries };
  }
}

/** The four investigation ports on the AWS SDK, sharing one client factory. */
export const createAwsInvestigationSources = (
  clients: InvestigationClients,
  clock: Clock,
  options: {
    logs?: AwsLogSearchOptions;
    relatedFindings?: AwsRelatedFindingsOptions;
    securityHub?: AwsSecurityHubSourceOptions;
  } = {}
) => ({
  instances: new AwsInstanceLookup(clients),
  relatedFindings: new AwsRelatedFindings(clients, options.relatedFindings),
  securityHub: new AwsSecurityHubSource(clients, options.securityHub),
  logs: new AwsLogSearch(clients, clock, options.logs),
});
