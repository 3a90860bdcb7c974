import { suppressionCriteriaProblem } from '../../src/domain/dismissal';
import type { BotError } from '../../src/domain/errors';
import {
  type AccountTarget,
  type BatchResult,
  DismissalError,
  type DismissalErrorCode,
  type FindingFeedback,
  type GuardDutyDismissal,
  type SecurityHubFindingRef,
  type SecurityHubWorkflow,
  type SuppressionRule,
  type SuppressionRuleInput,
  type WorkflowStatus,
} from '../../src/ports/Dismissal';

/** A DismissalError as an adapter would raise it. */
export const dismissalError = (
  code: DismissalErrorCode,
  operation = 'ArchiveFindings',
  retryable = false
): DismissalError =>
  new DismissalError({
    code,
    service: operation === 'BatchUpdateFindings' ? 'securityhub' : 'guardduty',
    operation,
    message: `${operation} failed: ${code}`,
    retryable,
  });

type GuardDutyOperation =
  | 'detectorId'
  | 'archive'
  | 'unarchive'
  | 'feedback'
  | 'create'
  | 'get'
  | 'delete'
  | 'list';

/**
 * An in-memory GuardDuty: a detector per account and region, archived ids, feedback and filters.
 * Every call is recorded; `failNext` makes the next call of an operation fail.
 */
export class FakeGuardDutyDismissal implements GuardDutyDismissal {
  readonly calls: { operation: GuardDutyOperation; target: AccountTarget; args: unknown[] }[] = [];
  readonly detectors = new Map<string, string>();
  readonly archived = new Set<string>();
  readonly feedbackGiven = new Map<string, { feedback: FindingFeedback; comments?: string }>();
  readonly filters = new Map<string, SuppressionRule & { detectorId: string }>();
  /** Ids a batch call reports as failed (as a failing chunk would), with the error. */
  readonly failingIds = new Map<string, BotError>();
  readonly #failures = new Map<GuardDutyOperation, BotError[]>();

  public withDetector(accountId: string, region: string, detectorId: string): this {
    this.detectors.set(`${accountId}|${region}`, detectorId);
    return this;
  }

  /** Makes the next call of `operation` fail with `error` (queue several for several calls). */
  public failNext(operation: GuardDutyOperation, error: BotError): this {
    this.#failures.set(operation, [...(this.#failures.get(operation) ?? []), error]);
    return this;
  }

  public callsOf(operation: GuardDutyOperation) {
    return this.calls.filter((call) => call.operation === operation);
  }

  public async detectorId(target: AccountTarget): Promise<string> {
    this.#record('detectorId', target, []);
    const detector = this.detectors.get(`${target.accountId}|${target.region}`);
    if (detector === undefined) throw dismissalError('DISMISS_NOT_FOUND', 'ListDetectors');
    return detector;
  }

  public async archive(target: AccountTarget, detectorId: string, ids: string[]) {
    this.#record('archive', target, [detectorId, ids]);
    return this.#batch(ids, (id) => this.archived.add(id));
  }

  public async unarchive(target: AccountTarget, detectorId: string, ids: string[]) {
    this.#record('unarchive', target, [detectorId, ids]);
    return this.#batch(ids, (id) => this.archived.delete(id));
  }

  public async feedback(
    target: AccountTarget,
    detectorId: string,
    ids: string[],
    feedback: FindingFeedback,
    comments?: string
  ) {
    this.#record('feedback', target, [detectorId, ids, feedback, comments]);
    return this.#batch(ids, (id) =>
      this.feedbackGiven.set(id, { feedback, ...(comments === undefined ? {} : { comments }) })
    );
  }

  public async createSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    rule: SuppressionRuleInput
  ): Promise<void> {
    this.#record('create', target, [detectorId, rule]);
    if (suppressionCriteriaProblem(rule.criteria) !== undefined) {
      throw dismissalError('DISMISS_INVALID_REQUEST', 'CreateFilter');
    }
    if (this.filters.has(rule.name))
      throw dismissalError('DISMISS_INVALID_REQUEST', 'CreateFilter');
    this.filters.set(rule.name, {
      detectorId,
      name: rule.name,
      description: rule.description,
      action: 'ARCHIVE',
      criteria: rule.criteria,
      rawCriteria: JSON.stringify(rule.criteria),
      tags: rule.tags,
    });
  }

  public async getSuppressionRule(target: AccountTarget, detectorId: string, name: string) {
    this.#record('get', target, [detectorId, name]);
    const rule = this.filters.get(name);
    if (rule === undefined) return undefined;
    const { detectorId: _, ...withoutDetector } = rule;
    return withoutDetector;
  }

  public async deleteSuppressionRule(target: AccountTarget, detectorId: string, name: string) {
    this.#record('delete', target, [detectorId, name]);
    return this.filters.delete(name) ? ('deleted' as const) : ('absent' as const);
  }

  public async listSuppressionRules(target: AccountTarget, detectorId: string) {
    this.#record('list', target, [detectorId]);
    return [...this.filters.values()]
      .filter((rule) => rule.detectorId === detectorId)
      .map(({ detectorId: _, ...rule }) => rule)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  #batch(ids: string[], apply: (id: string) => unknown): BatchResult {
    const result: BatchResult = { succeeded: [], failed: [] };
    for (const id of ids) {
      const error = this.failingIds.get(id);
      if (error === undefined) {
        apply(id);
        result.succeeded.push(id);
      } else {
        result.failed.push({ ids: [id], error });
      }
    }
    return result;
  }

  #record(operation: GuardDutyOperation, target: AccountTarget, args: unknown[]): void {
    this.calls.push({ operation, target, args });
    const [failure, ...rest] = this.#failures.get(operation) ?? [];
    if (failure !== undefined) {
      this.#failures.set(operation, rest);
      throw failure;
    }
  }
}

/** An in-memory Security Hub: workflow status and note per finding. */
export class FakeSecurityHubWorkflow implements SecurityHubWorkflow {
  readonly calls: {
    target: AccountTarget;
    findings: SecurityHubFindingRef[];
    status: WorkflowStatus;
    note: string;
  }[] = [];
  readonly workflow = new Map<string, WorkflowStatus>();
  /** Ids Security Hub leaves unprocessed (UnprocessedFindings). */
  readonly unprocessed = new Set<string>();
  #failure: BotError | undefined;

  public failNext(error: BotError): this {
    this.#failure = error;
    return this;
  }

  public async setWorkflow(
    target: AccountTarget,
    findings: SecurityHubFindingRef[],
    status: WorkflowStatus,
    note: string
  ): Promise<BatchResult> {
    this.calls.push({ target, findings, status, note });
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure !== undefined) throw failure;
    const result: BatchResult = { succeeded: [], failed: [] };
    for (const { id } of findings) {
      if (this.unprocessed.has(id)) {
        result.failed.push({
          ids: [id],
          error: dismissalError('DISMISS_UNPROCESSED', 'BatchUpdateFindings'),
        });
      } else {
        this.workflow.set(id, status);
        result.succeeded.push(id);
      }
    }
    return result;
  }
}
