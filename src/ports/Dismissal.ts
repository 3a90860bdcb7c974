import type { SuppressionCriteria } from '../domain/dismissal';
import { BotError } from '../domain/errors';

/**
 * What dismissing a finding needs from AWS: GuardDuty (archive, feedback, suppression rules) and
 * Security Hub (workflow status). Adapters translate SDK errors into {@link DismissalError}.
 */

/**
 * The account and region a call goes to, and the Slack user acting (CloudTrail's SourceIdentity
 * when a member role is assumed). Structurally the same as the AWS adapter's `AwsTarget`.
 */
export interface AccountTarget {
  accountId: string;
  region: string;
  /** Slack user id of the person acting. */
  actor?: string;
}

/** Stable codes of {@link DismissalError}. */
export type DismissalErrorCode =
  /** The caller lacks permission (IAM, SCP, or not the GuardDuty administrator). */
  | 'DISMISS_ACCESS_DENIED'
  /** Security Hub is not enabled in the account and region. */
  | 'DISMISS_NOT_ENABLED'
  /** The detector, filter or finding does not exist. */
  | 'DISMISS_NOT_FOUND'
  /** The service rejected the request as malformed (or a limit such as 100 filters was hit). */
  | 'DISMISS_INVALID_REQUEST'
  /** Throttled: worth retrying later. */
  | 'DISMISS_THROTTLED'
  /** A concurrent change: worth retrying. */
  | 'DISMISS_CONFLICT'
  /** Security Hub accepted the call but left some findings unprocessed. */
  | 'DISMISS_UNPROCESSED'
  /** The service failed on its side or could not be reached: worth retrying. */
  | 'DISMISS_UNAVAILABLE'
  /** Any other failure. */
  | 'DISMISS_FAILED';

/** A GuardDuty or Security Hub call made while dismissing failed. Keeps the SDK error as `cause`. */
export class DismissalError extends BotError {
  declare public readonly code: DismissalErrorCode;
  /** The AWS service called. */
  public readonly service: 'guardduty' | 'securityhub';
  /** The API operation, e.g. `ArchiveFindings`. */
  public readonly operation: string;
  /** The SDK error name (e.g. `AccessDeniedException`) or Security Hub's `ErrorCode`, if any. */
  public readonly awsError: string | undefined;
  /** True when the same call may succeed later (throttling, conflicts, service errors). */
  public readonly retryable: boolean;

  public constructor(
    input: {
      code: DismissalErrorCode;
      service: 'guardduty' | 'securityhub';
      operation: string;
      message: string;
      awsError?: string;
      retryable: boolean;
    },
    options?: ErrorOptions
  ) {
    super(input.code, input.message, options);
    this.name = 'DismissalError';
    this.service = input.service;
    this.operation = input.operation;
    this.awsError = input.awsError;
    this.retryable = input.retryable;
  }
}

/** Ids a batch call did not process, and why. */
export interface BatchFailure {
  ids: string[];
  /** A {@link DismissalError}, or another `BotError` (e.g. the member role could not be assumed). */
  error: BotError;
}

/**
 * Outcome of a call that may be split into chunks: what succeeded and what did not. Adapters do
 * not throw for a failed chunk; every id ends up in exactly one of the two lists.
 */
export interface BatchResult {
  succeeded: string[];
  failed: BatchFailure[];
}

/** Most finding ids GuardDuty accepts in one ArchiveFindings / UnarchiveFindings / feedback call. */
export const GUARDDUTY_BATCH_LIMIT = 50;

/** Most findings Security Hub accepts in one BatchUpdateFindings call. */
export const SECURITY_HUB_BATCH_LIMIT = 100;

/** GuardDuty's finding feedback. */
export type FindingFeedback = 'USEFUL' | 'NOT_USEFUL';

/** A suppression rule to create (a GuardDuty filter with action ARCHIVE). */
export interface SuppressionRuleInput {
  /** `guardduty-bot-…` (see `suppressionRuleName`). */
  name: string;
  /** Starts with the bot's marker (see `suppressionRuleDescription`), ≤ 512 characters. */
  description: string;
  criteria: SuppressionCriteria;
  /** Order among the detector's filters (1–100); GuardDuty's default when unset. */
  rank?: number;
  /** Idempotency token for CreateFilter (≤ 64 characters). */
  clientToken?: string;
  /** Tags on the filter (keys and values from GuardDuty's allowed character set). */
  tags: Record<string, string>;
}

/** A suppression rule as read back from GuardDuty. */
export interface SuppressionRule {
  name: string;
  description: string;
  /** `ARCHIVE` for a suppression rule (`NOOP` filters only save a view). */
  action: string;
  rank?: number;
  /** The criteria, when they are still exactly what the bot wrote; `undefined` if edited elsewhere. */
  criteria?: SuppressionCriteria;
  /** The criteria as GuardDuty returns them, as JSON (for display when `criteria` is undefined). */
  rawCriteria: string;
  tags: Record<string, string>;
}

/** Tag keys the bot writes on the rules it creates. */
export const SUPPRESSION_TAGS = {
  managedBy: 'ManagedBy',
  findingId: 'FindingId',
  createdBy: 'CreatedBy',
} as const;

/** GuardDuty calls for Dismiss / Reopen / suppression rules. */
export interface GuardDutyDismissal {
  /** The account's detector in the target region (looked up once and cached). */
  detectorId(target: AccountTarget): Promise<string>;
  /** ArchiveFindings in chunks of ≤ 50. Archiving an archived finding succeeds. */
  archive(target: AccountTarget, detectorId: string, findingIds: string[]): Promise<BatchResult>;
  /** UnarchiveFindings in chunks of ≤ 50. */
  unarchive(target: AccountTarget, detectorId: string, findingIds: string[]): Promise<BatchResult>;
  /** UpdateFindingsFeedback in chunks of ≤ 50. */
  feedback(
    target: AccountTarget,
    detectorId: string,
    findingIds: string[],
    feedback: FindingFeedback,
    comments?: string
  ): Promise<BatchResult>;
  /**
   * CreateFilter with action ARCHIVE. Refuses criteria without a narrowing condition.
   * @throws DismissalError (also when a filter of that name exists: read it to tell).
   */
  createSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    rule: SuppressionRuleInput
  ): Promise<void>;
  /** GetFilter; `undefined` when no filter has that name. @throws DismissalError */
  getSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    name: string
  ): Promise<SuppressionRule | undefined>;
  /** DeleteFilter; `absent` when it did not exist. Refuses names without the bot's prefix. */
  deleteSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    name: string
  ): Promise<'deleted' | 'absent'>;
  /** The bot's rules only (name prefix and description marker), sorted by name. @throws DismissalError */
  listSuppressionRules(target: AccountTarget, detectorId: string): Promise<SuppressionRule[]>;
}

/** Security Hub workflow status. */
export type WorkflowStatus = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';

/** Identifies a Security Hub finding. */
export interface SecurityHubFindingRef {
  /** The ASFF `Id`. */
  id: string;
  productArn: string;
}

/** Security Hub calls for Dismiss / Reopen. */
export interface SecurityHubWorkflow {
  /**
   * BatchUpdateFindings with `Workflow.Status` and a note written as the bot (so the "Imported"
   * event Security Hub sends back is recognised and skipped). `UnprocessedFindings` come back as
   * failures; `succeeded` holds finding ids.
   */
  setWorkflow(
    target: AccountTarget,
    findings: SecurityHubFindingRef[],
    status: WorkflowStatus,
    note: string
  ): Promise<BatchResult>;
}
