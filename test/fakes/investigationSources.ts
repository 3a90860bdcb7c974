import type {
  HubFinding,
  InstanceContext,
  InvestigationTarget,
  RelatedFinding,
} from '../../src/domain/investigation';
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
} from '../../src/ports/Investigation';
import type { Logger } from '../../src/ports/Logger';

import { FakeClock as BaseClock } from './FakeClock';

/**
 * In-memory fakes of the investigation ports, modelled on the workshop's account. Each records
 * the queries it received and can be told to fail with any error.
 */

/** The investigation tests' clock: the brute-force finding's last update. */
export class FakeClock extends BaseClock {
  public constructor(iso = '2025-03-11T14:05:12.870Z') {
    super(iso);
  }
}

/** Instances by id; a missing id is a NotFoundError-like rejection chosen by the test. */
export class FakeInstanceLookup implements InstanceLookup {
  public readonly calls: { instanceId: string; target: InvestigationTarget }[] = [];
  public readonly instances = new Map<string, InstanceContext>();
  public failure: unknown;

  public async describe(instanceId: string, target: InvestigationTarget): Promise<InstanceContext> {
    this.calls.push({ instanceId, target });
    if (this.failure !== undefined) throw this.failure;
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`fake: no instance ${instanceId}`);
    return structuredClone(instance);
  }
}

/** A GuardDuty finding with the values the related-findings criteria look at. */
export interface StoredGuardDutyFinding {
  finding: Omit<RelatedFinding, 'matchedBy'>;
  instanceId?: string;
  accessKeyId?: string;
  principalId?: string;
  userName?: string;
  remoteIp?: string;
}

/** Related findings matched on the stored values, like ListFindings criteria would. */
export class FakeRelatedFindings implements RelatedFindingsSource {
  public readonly queries: { query: RelatedFindingsQuery; target: InvestigationTarget }[] = [];
  public readonly stored: StoredGuardDutyFinding[] = [];
  public failure: unknown;

  public async find(
    query: RelatedFindingsQuery,
    target: InvestigationTarget
  ): Promise<{ findings: RelatedFinding[]; truncated: boolean }> {
    this.queries.push({ query, target });
    if (this.failure !== undefined) throw this.failure;
    const field = {
      instance: 'instanceId',
      accessKey: 'accessKeyId',
      principal: 'principalId',
      user: 'userName',
      remoteIp: 'remoteIp',
    } as const;
    const matched: RelatedFinding[] = [];
    for (const stored of this.stored) {
      if (query.excludeFindingIds.includes(stored.finding.id)) continue;
      if (
        stored.finding.updatedAt &&
        Date.parse(stored.finding.updatedAt) < query.updatedSince.getTime()
      )
        continue;
      const matchedBy = query.criteria
        .filter((criterion) => stored[field[criterion.match]] === criterion.value)
        .map((criterion) => criterion.match);
      if (matchedBy.length > 0) matched.push({ ...structuredClone(stored.finding), matchedBy });
    }
    return {
      findings: matched.slice(0, query.maxFindings),
      truncated: matched.length > query.maxFindings,
    };
  }
}

/** A Security Hub finding with its resource ids and network addresses. */
export interface StoredHubFinding {
  finding: Omit<HubFinding, 'matchedBy'>;
  resourceIds: string[];
  sourceIp?: string;
  destinationIp?: string;
}

/** Security Hub findings matched on resource id (EQUALS / CONTAINS) or address. */
export class FakeSecurityHub implements SecurityHubSource {
  public readonly queries: { query: SecurityHubQuery; target: InvestigationTarget }[] = [];
  public readonly stored: StoredHubFinding[] = [];
  public failure: unknown;

  public async findings(
    query: SecurityHubQuery,
    target: InvestigationTarget
  ): Promise<{ findings: HubFinding[]; truncated: boolean }> {
    this.queries.push({ query, target });
    if (this.failure !== undefined) throw this.failure;
    const matched: HubFinding[] = [];
    for (const stored of this.stored) {
      const matchedBy: HubFinding['matchedBy'] = [];
      if (
        query.resourceIds.some((filter) =>
          stored.resourceIds.some((id) =>
            filter.comparison === 'EQUALS' ? id === filter.value : id.includes(filter.value)
          )
        )
      ) {
        matchedBy.push('resource');
      }
      if (query.ip !== undefined && stored.sourceIp === query.ip) matchedBy.push('sourceIp');
      if (query.ip !== undefined && stored.destinationIp === query.ip)
        matchedBy.push('destinationIp');
      if (matchedBy.length > 0) matched.push({ ...structuredClone(stored.finding), matchedBy });
    }
    return {
      findings: matched.slice(0, query.maxFindings),
      truncated: matched.length > query.maxFindings,
    };
  }
}

/** Whether a line matches a filter pattern: term patterns (`"a b"`, `?"a" ?"b"`, `word`) only. */
export const matchesTermPattern = (pattern: string | undefined, message: string): boolean => {
  if (pattern === undefined || pattern.trim() === '') return true;
  const terms = [...pattern.matchAll(/(\?)?(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map((match) => ({
    optional: match[1] === '?',
    text: match[2] ?? match[3] ?? '',
  }));
  const optional = terms.filter((term) => term.optional);
  const required = terms.filter((term) => !term.optional);
  return (
    required.every((term) => message.includes(term.text)) &&
    (optional.length === 0 || optional.some((term) => message.includes(term.text)))
  );
};

/** Log groups in memory; a group may be told to fail or to stop early. */
export class FakeLogSearch implements LogSearch {
  public readonly queries: { query: LogQuery; target: InvestigationTarget }[] = [];
  public readonly groups = new Map<string, RawLogEvent[]>();
  public readonly failures = new Map<string, unknown>();
  /** Per filter pattern: the search stops early with this reason. */
  public readonly truncations = new Map<string, LogQueryResult['truncated']>();

  public async search(query: LogQuery, target: InvestigationTarget): Promise<LogQueryResult> {
    this.queries.push({ query, target });
    const failure = this.failures.get(query.logGroupName);
    if (failure !== undefined) throw failure;
    const events = this.groups.get(query.logGroupName);
    if (!events) throw new Error(`fake: no log group ${query.logGroupName}`);
    const matched = events.filter(
      (event) =>
        event.timestamp >= query.start.getTime() &&
        event.timestamp <= query.end.getTime() &&
        (query.logStreamNamePrefix === undefined ||
          (event.logStreamName ?? '').startsWith(query.logStreamNamePrefix)) &&
        matchesTermPattern(query.filterPattern, event.message)
    );
    const truncated =
      this.truncations.get(query.filterPattern ?? '') ??
      (matched.length > query.budget.maxEvents ? 'maxEvents' : undefined);
    return {
      events: matched.slice(0, query.budget.maxEvents).map((event) => ({ ...event })),
      pages: 1,
      ...(truncated === undefined ? {} : { truncated }),
      throttleRetries: 0,
    };
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Turns syslog lines (`Mar  1 10:02:03 host …`) into log events of one stream, as the CloudWatch
 * agent would ship them; lines without a header get the previous line's time.
 */
export const syslogEvents = (
  lines: string[],
  logStreamName: string,
  year = 2025
): RawLogEvent[] => {
  let last = 0;
  return lines.map((message, index) => {
    const match = /^(\w{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /.exec(message);
    if (match) {
      last = Date.UTC(
        year,
        MONTHS.indexOf(match[1] ?? ''),
        Number(match[2]),
        Number(match[3]),
        Number(match[4]),
        Number(match[5])
      );
    }
    return { timestamp: last, message, logStreamName, eventId: `${logStreamName}-${index}` };
  });
};

/** A logger of the core's port that records every call. */
export class RecordingLogger implements Logger {
  public readonly calls: { level: string; message: string; extra?: Record<string, unknown> }[] = [];

  public debug(message: string, extra?: Record<string, unknown>): void {
    this.calls.push({ level: 'debug', message, ...(extra === undefined ? {} : { extra }) });
  }

  public info(message: string, extra?: Record<string, unknown>): void {
    this.calls.push({ level: 'info', message, ...(extra === undefined ? {} : { extra }) });
  }

  public warn(message: string, extra?: Record<string, unknown>): void {
    this.calls.push({ level: 'warn', message, ...(extra === undefined ? {} : { extra }) });
  }

  public error(message: string, extra?: Record<string, unknown>): void {
    this.calls.push({ level: 'error', message, ...(extra === undefined ? {} : { extra }) });
  }

  /** Everything logged, serialised, to search for what must not be there. */
  public everything(): string {
    return JSON.stringify(this.calls);
  }
}
