import type {
  HubFinding,
  InstanceContext,
  InvestigationTarget,
  LogBudget,
  LogTruncation,
  RelatedCriterion,
  RelatedFinding,
} from '../domain/investigation';

/**
 * The read-only sources the Investigate pivots and the `/guardduty logs|hub` commands ask. Inputs
 * and outputs are domain types; adapters translate AWS errors into `InvestigationSourceError`
 * subclasses (`ACCESS_DENIED`, `NOT_FOUND`, `THROTTLED`, `TIMEOUT`, `NOT_ENABLED`,
 * `INVALID_REQUEST`, `UNAVAILABLE`) and keep the AWS error as `cause`.
 */

/** Describes an instance as it is now. */
export interface InstanceLookup {
  /** Rejects with `NotFoundError` when the instance does not exist in the target. */
  describe(instanceId: string, target: InvestigationTarget): Promise<InstanceContext>;
}

/** What to correlate on, and how much to fetch. */
export interface RelatedFindingsQuery {
  /** Each criterion is searched on its own; results are merged (OR). */
  criteria: RelatedCriterion[];
  /** Only findings updated at or after this time. */
  updatedSince: Date;
  /** Finding ids not to fetch (the investigated finding). */
  excludeFindingIds: string[];
  /** Stop after this many findings. */
  maxFindings: number;
}

/** GuardDuty findings that share an instance, key, principal or remote IP. */
export interface RelatedFindingsSource {
  find(
    query: RelatedFindingsQuery,
    target: InvestigationTarget
  ): Promise<{ findings: RelatedFinding[]; truncated: boolean }>;
}

/** A resource id to match in Security Hub, exactly or as a substring. */
export interface HubResourceFilter {
  value: string;
  comparison: 'EQUALS' | 'CONTAINS';
}

/** What to ask Security Hub about. */
export interface SecurityHubQuery {
  resourceIds: HubResourceFilter[];
  /** Matched as source or destination address (`Network.SourceIpV4/V6`, `DestinationIpV4/V6`). */
  ip?: string;
  /** Stop after this many findings. */
  maxFindings: number;
}

/** Security Hub findings about resources or an address. */
export interface SecurityHubSource {
  findings(
    query: SecurityHubQuery,
    target: InvestigationTarget
  ): Promise<{ findings: HubFinding[]; truncated: boolean }>;
}

/** One CloudWatch Logs search in one log group. */
export interface LogQuery {
  /** A log group name, or a log group ARN (for cross-account groups). */
  logGroupName: string;
  logStreamNamePrefix?: string;
  /** Omitted: every event. */
  filterPattern?: string;
  start: Date;
  end: Date;
  budget: LogBudget;
}

/** A log event as CloudWatch Logs returned it. */
export interface RawLogEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
  logStreamName?: string;
  eventId?: string;
}

/** The events of one search, and whether it stopped before CloudWatch Logs said it was done. */
export interface LogQueryResult {
  events: RawLogEvent[];
  pages: number;
  truncated?: LogTruncation;
  /** Throttled calls that were retried. */
  throttleRetries: number;
}

/**
 * Searches a log group, paging until done or until the budget is spent. Implementations pace
 * their calls (CloudWatch Logs allows 5 FilterLogEvents per second per account and region).
 */
export interface LogSearch {
  search(query: LogQuery, target: InvestigationTarget): Promise<LogQueryResult>;
}
