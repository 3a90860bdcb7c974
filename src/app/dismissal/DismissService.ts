import {
  buildSuppressionCriteria,
  type DismissReason,
  describeSuppressionCriteria,
  dismissReasonLabel,
  isBotSuppressionRule,
  isSuppressionCriteriaFor,
  type SuppressionCriteria,
  type SuppressionScope,
  suppressionCriteriaProblem,
  suppressionRuleDescription,
  suppressionRuleName,
} from '../../domain/dismissal';
import type { BotError } from '../../domain/errors';
import type { Finding } from '../../domain/Finding';
import {
  type AccountTarget,
  type BatchResult,
  DismissalError,
  type GuardDutyDismissal,
  type SecurityHubFindingRef,
  type SecurityHubWorkflow,
  SUPPRESSION_TAGS,
  type SuppressionRule,
} from '../../ports/Dismissal';
import type { AuditEntry, SlackActor } from '../../ports/FindingStore';

/** The Slack user acting (the store's `SlackActor`). */
export type DismissActor = SlackActor;

/** Writes one entry to a finding's audit stream (e.g. `FindingStore.appendAudit`). */
export type AuditWriter = (findingId: string, entry: AuditEntry) => Promise<unknown>;

/** Settings of {@link DismissService}. */
export interface DismissServiceOptions {
  /**
   * The GuardDuty administrator account: archive, feedback and suppression rules are made there
   * (GuardDuty only lets the administrator archive members' findings). `region` defaults to the
   * finding's region (findings and detectors are regional: leave it unset unless all findings
   * are aggregated in one region). Unset: the finding's own account.
   */
  adminTarget?: { accountId: string; region?: string };
  /**
   * Also set the Security Hub workflow of findings that came straight from GuardDuty (their
   * Security Hub copy is not archived by `ArchiveFindings`). @default false
   */
  securityHubForGuardDutyFindings?: boolean;
  /** Distinct approvers needed to create a suppression rule (2 under the two-person rule). @default 1 */
  suppressionApprovals?: number;
}

/** Collaborators of {@link DismissService}. */
export interface DismissServiceDeps {
  guardDuty: GuardDutyDismissal;
  securityHub: SecurityHubWorkflow;
  audit: AuditWriter;
  /** The current time (ISO strings are written to the audit stream). */
  now: () => Date;
  options?: DismissServiceOptions;
}

/** The result of one step of a dismissal or a reopen. */
export type StepResult =
  | { status: 'done'; ids: string[] }
  | { status: 'skipped'; reason: string }
  | {
      status: 'failed';
      /** The error code (`DISMISS_ACCESS_DENIED`, `CROSS_ACCOUNT`…). */
      code: string;
      message: string;
      retryable: boolean;
      /** Ids that were not processed (ids of the same step that succeeded are in `doneIds`). */
      failedIds: string[];
      doneIds: string[];
    };

/** The steps of a dismissal. */
export interface DismissSteps {
  /** GuardDuty ArchiveFindings (administrator account). */
  archive: StepResult;
  /** GuardDuty UpdateFindingsFeedback NOT_USEFUL (false positives only). */
  feedback: StepResult;
  /** Security Hub BatchUpdateFindings Workflow SUPPRESSED. */
  securityHub: StepResult;
}

/** The steps of a reopen. */
export interface ReopenSteps {
  /** GuardDuty UnarchiveFindings. */
  unarchive: StepResult;
  /** Security Hub Workflow back to NEW. */
  securityHub: StepResult;
}

/**
 * The outcome of {@link DismissService.dismiss}.
 * - `dismissed`: every applicable step succeeded.
 * - `partial`: the finding is dismissed where it lives (archived in GuardDuty, or suppressed in
 *   Security Hub for a Security Hub finding) but a secondary step failed (`failed` names them).
 * - `failed`: the primary step failed: the finding is NOT dismissed (other steps may have run).
 */
export type DismissOutcome =
  | { status: 'dismissed'; findingId: string; reason: DismissReason; steps: DismissSteps }
  | {
      status: 'partial' | 'failed';
      findingId: string;
      reason: DismissReason;
      steps: DismissSteps;
      failed: (keyof DismissSteps)[];
    };

/** The outcome of {@link DismissService.reopen}; statuses as in {@link DismissOutcome}. */
export type ReopenOutcome =
  | { status: 'reopened'; findingId: string; steps: ReopenSteps }
  | {
      status: 'partial' | 'failed';
      findingId: string;
      steps: ReopenSteps;
      failed: (keyof ReopenSteps)[];
    };

/** The outcome of {@link DismissService.proposeSuppression}. */
export type ProposeSuppressionOutcome =
  | { status: 'proposed'; name: string; criteria: SuppressionCriteria; description: string }
  | { status: 'unavailable'; reason: string };

/** A suppression rule as created (or found) by the bot. */
export interface CreatedSuppression {
  name: string;
  description: string;
  criteria: SuppressionCriteria;
  accountId: string;
  region: string;
  detectorId: string;
}

/**
 * The outcome of {@link DismissService.createSuppression}.
 * - `created`: the rule was created now.
 * - `exists`: a rule with these exact criteria already existed (a retry, or a second request).
 * - `refused`: nothing was called: the criteria are not acceptable for this finding, or approvals
 *   are missing.
 * - `failed`: GuardDuty refused or failed.
 */
export type CreateSuppressionOutcome =
  | { status: 'created' | 'exists'; rule: CreatedSuppression }
  | { status: 'refused'; problem: string }
  | { status: 'failed'; code: string; message: string; retryable: boolean };

/** The outcome of {@link DismissService.deleteSuppression}. */
export type DeleteSuppressionOutcome =
  | { status: 'deleted'; name: string; findingId?: string }
  | { status: 'absent'; name: string }
  | { status: 'refused'; name: string; problem: string }
  | { status: 'failed'; name: string; code: string; message: string; retryable: boolean };

/** The outcome of {@link DismissService.listSuppressions}. */
export type ListSuppressionsOutcome =
  | { status: 'ok'; rules: SuppressionRule[]; accountId: string; region: string }
  | { status: 'failed'; code: string; message: string; retryable: boolean };

/** Input of {@link DismissService.dismiss}. */
export interface DismissInput {
  finding: Finding;
  reason: DismissReason;
  note: string;
  actor: DismissActor;
  /** The finding's account and region (Security Hub calls go there). */
  target: AccountTarget;
  /** The job's id: the audit entry's dedupe key, so a redelivered job is recorded once. */
  jobId: string;
}

/** Input of {@link DismissService.reopen}. */
export interface ReopenInput {
  finding: Finding;
  actor: DismissActor;
  target: AccountTarget;
  jobId: string;
  /** Optional note for Security Hub. */
  note?: string;
}

/** Input of {@link DismissService.createSuppression}. */
export interface CreateSuppressionInput {
  finding: Finding;
  /** The criteria shown to and confirmed by the users (they must be ones proposed for `finding`). */
  criteria: SuppressionCriteria;
  reason: DismissReason;
  note: string;
  /** Who confirmed the creation. */
  actor: DismissActor;
  /** Who approved it (distinct user ids are counted against `suppressionApprovals`). */
  approvers: DismissActor[];
  target: AccountTarget;
  jobId: string;
}

/** Input of {@link DismissService.deleteSuppression}. */
export interface DeleteSuppressionInput {
  filterName: string;
  actor: DismissActor;
  /** The account and region of the rule (the administrator account for bot-made rules). */
  target: AccountTarget;
  jobId: string;
  /** The audit stream to record in; default the rule's `FindingId` tag. */
  findingId?: string;
}

const MANAGED_BY = 'guardduty-slack-responder';
/** Audit stream of a deleted rule whose origin finding is unknown. */
const orphanStream = (name: string): string => `SUPPRESSION#${name}`;

const describeError = (error: BotError): { code: string; message: string; retryable: boolean } => ({
  code: error.code,
  message: error.message,
  retryable: error instanceof DismissalError ? error.retryable : false,
});

/** A step result from a batch result. */
const stepFromBatch = (batch: BatchResult): StepResult => {
  const [first] = batch.failed;
  if (first === undefined) return { status: 'done', ids: batch.succeeded };
  return {
    status: 'failed',
    ...describeError(first.error),
    failedIds: batch.failed.flatMap((failure) => failure.ids),
    doneIds: batch.succeeded,
  };
};

const stepFromError = (error: unknown, ids: string[]): StepResult => {
  const described =
    error instanceof Error && 'code' in error && typeof error.code === 'string'
      ? describeError(error as BotError)
      : { code: 'DISMISS_FAILED', message: String(error), retryable: false };
  return { status: 'failed', ...described, failedIds: ids, doneIds: [] };
};

const GUARDDUTY_FINDING_ARN =
  /^arn:[\w-]+:guardduty:[\w-]+:\d{12}:detector\/[\w-]+\/finding\/([\w-]+)$/;

/** The GuardDuty finding id behind a finding (its own id, or the id in a Security Hub copy's ARN). */
const guardDutyFindingId = (finding: Finding): string | undefined => {
  if (finding.source === 'guardduty') return finding.id;
  if (!finding.productArn?.endsWith('/aws/guardduty')) return undefined;
  return GUARDDUTY_FINDING_ARN.exec(finding.arn ?? finding.id)?.[1];
};

const detailOfStep = (step: StepResult): string =>
  step.status === 'done' ? 'ok' : step.status === 'skipped' ? 'skipped' : step.code;

/**
 * Dismiss and Reopen of findings, and the GuardDuty suppression rules created from Slack. The
 * lead's worker calls it after authorization. Every method is idempotent (archiving an archived
 * finding succeeds, a rule is named after its criteria), records what happened in the finding's
 * audit stream (deduplicated on the job id), and returns an outcome instead of throwing: partial
 * failures are reported as `partial`, never as success.
 *
 * @throws only what the audit writer throws (the caller should let the job be retried).
 */
export class DismissService {
  readonly #deps: DismissServiceDeps;

  public constructor(deps: DismissServiceDeps) {
    this.#deps = deps;
  }

  /** Archives the finding, gives GuardDuty NOT_USEFUL feedback for false positives, suppresses it in Security Hub. */
  public async dismiss(input: DismissInput): Promise<DismissOutcome> {
    const { finding, reason, actor } = input;
    const label = dismissReasonLabel(reason);
    const gdId = guardDutyFindingId(finding);
    const shRefs = this.#securityHubRefs(finding);

    const archive =
      gdId === undefined
        ? skip('not a GuardDuty finding')
        : await this.#withDetector(finding, actor, [gdId], (target, detectorId) =>
            this.#deps.guardDuty.archive(target, detectorId, [gdId])
          );
    const feedback =
      gdId === undefined
        ? skip('not a GuardDuty finding')
        : reason !== 'false_positive'
          ? skip('feedback is only sent for false positives')
          : await this.#withDetector(finding, actor, [gdId], (target, detectorId) =>
              this.#deps.guardDuty.feedback(target, detectorId, [gdId], 'NOT_USEFUL', input.note)
            );
    const securityHub =
      shRefs.length === 0
        ? skip('not in Security Hub')
        : await this.#setWorkflow(
            input.target,
            actor,
            shRefs,
            'SUPPRESSED',
            `Dismissed in Slack by ${actor.userName}: ${label}${input.note.trim() === '' ? '' : `. ${input.note.trim()}`}`
          );

    const steps: DismissSteps = { archive, feedback, securityHub };
    const primary: keyof DismissSteps = gdId === undefined ? 'securityHub' : 'archive';
    const outcome = summarize(steps, primary);
    const status = outcome.status === 'ok' ? 'dismissed' : outcome.status;
    await this.#audit(finding.id, {
      kind: status === 'failed' ? 'dismiss.failed' : 'dismiss.completed',
      actor,
      dedupeKey: `${input.jobId}#${status}`,
      result: status === 'dismissed' ? 'ok' : status,
      detail: {
        reason,
        note: input.note,
        userName: actor.userName,
        archived: archive.status === 'done' ? archive.ids.length : 0,
        feedback: detailOfStep(feedback),
        securityHub: detailOfStep(securityHub),
        ...(outcome.failed.length === 0 ? {} : { failed: outcome.failed }),
      },
    });
    return status === 'dismissed'
      ? { status, findingId: finding.id, reason, steps }
      : { status, findingId: finding.id, reason, steps, failed: outcome.failed };
  }

  /** Reverses a dismissal: UnarchiveFindings, and Security Hub workflow back to NEW. */
  public async reopen(input: ReopenInput): Promise<ReopenOutcome> {
    const { finding, actor } = input;
    const gdId = guardDutyFindingId(finding);
    const shRefs = this.#securityHubRefs(finding);
    const unarchive =
      gdId === undefined
        ? skip('not a GuardDuty finding')
        : await this.#withDetector(finding, actor, [gdId], (target, detectorId) =>
            this.#deps.guardDuty.unarchive(target, detectorId, [gdId])
          );
    const note = input.note?.trim() ?? '';
    const securityHub =
      shRefs.length === 0
        ? skip('not in Security Hub')
        : await this.#setWorkflow(
            input.target,
            actor,
            shRefs,
            'NEW',
            `Reopened in Slack by ${actor.userName}${note === '' ? '' : `: ${note}`}`
          );
    const steps: ReopenSteps = { unarchive, securityHub };
    const outcome = summarize(steps, gdId === undefined ? 'securityHub' : 'unarchive');
    const status = outcome.status === 'ok' ? 'reopened' : outcome.status;
    await this.#audit(finding.id, {
      kind: status === 'failed' ? 'reopen.failed' : 'reopen.completed',
      actor,
      dedupeKey: `${input.jobId}#${status}`,
      result: status === 'reopened' ? 'ok' : status,
      detail: {
        userName: actor.userName,
        unarchived: unarchive.status === 'done' ? unarchive.ids.length : 0,
        securityHub: detailOfStep(securityHub),
        ...(outcome.failed.length === 0 ? {} : { failed: outcome.failed }),
      },
    });
    return status === 'reopened'
      ? { status, findingId: finding.id, steps }
      : { status, findingId: finding.id, steps, failed: outcome.failed };
  }

  /**
   * Proposes the rule for "also suppress similar findings" and records the proposal
   * (`suppression.proposed`). Calls no AWS API.
   */
  public async proposeSuppression(input: {
    finding: Finding;
    actor: DismissActor;
    jobId: string;
    scope?: SuppressionScope;
  }): Promise<ProposeSuppressionOutcome> {
    const proposal = buildSuppressionCriteria(input.finding, input.scope);
    if (!proposal.ok) return { status: 'unavailable', reason: proposal.reason };
    await this.#audit(input.finding.id, {
      kind: 'suppression.proposed',
      actor: input.actor,
      dedupeKey: `${input.jobId}#${proposal.name}`,
      result: 'ok',
      detail: {
        userName: input.actor.userName,
        filterName: proposal.name,
        criteria: proposal.criteria,
        description: proposal.description,
      },
    });
    return {
      status: 'proposed',
      name: proposal.name,
      criteria: proposal.criteria,
      description: proposal.description,
    };
  }

  /**
   * Creates the GuardDuty suppression rule (filter, action ARCHIVE) in the administrator account.
   * Refuses criteria that are not a proposal for this finding, and missing approvals.
   */
  public async createSuppression(input: CreateSuppressionInput): Promise<CreateSuppressionOutcome> {
    const { finding, criteria, actor } = input;
    const problem = this.#suppressionProblem(input);
    if (problem !== undefined) return { status: 'refused', problem };
    const name = suppressionRuleName(criteria);
    const description = suppressionRuleDescription({
      userName: actor.userName,
      findingId: finding.id,
      reason: input.reason,
      note: input.note,
    });
    const { target, region } = this.#adminTarget(finding, actor);
    let detectorId: string;
    try {
      detectorId = await this.#detectorFor(finding, target);
    } catch (error) {
      return { status: 'failed', ...errorSummary(error) };
    }
    const rule: CreatedSuppression = {
      name,
      description,
      criteria,
      accountId: target.accountId,
      region,
      detectorId,
    };
    let status: 'created' | 'exists';
    try {
      await this.#deps.guardDuty.createSuppressionRule(target, detectorId, {
        name,
        description,
        criteria,
        clientToken: `${name}-${fingerprint(input.jobId)}`.slice(0, 64),
        tags: {
          [SUPPRESSION_TAGS.managedBy]: MANAGED_BY,
          [SUPPRESSION_TAGS.findingId]: tagValue(finding.id),
          [SUPPRESSION_TAGS.createdBy]: tagValue(actor.userId),
        },
      });
      status = 'created';
    } catch (error) {
      // A retry (or a colleague) may have created it already: same name means same criteria.
      const existing = await this.#deps.guardDuty
        .getSuppressionRule(target, detectorId, name)
        .catch(() => undefined);
      if (existing?.action !== 'ARCHIVE' || !isBotSuppressionRule(existing)) {
        const summary = errorSummary(error);
        await this.#audit(finding.id, {
          kind: 'suppression.failed',
          actor,
          dedupeKey: `${input.jobId}#${name}`,
          result: 'failed',
          detail: { userName: actor.userName, filterName: name, code: summary.code },
        });
        return { status: 'failed', ...summary };
      }
      status = 'exists';
    }
    await this.#audit(finding.id, {
      kind: 'suppression.created',
      actor,
      dedupeKey: `${input.jobId}#${name}`,
      result: status === 'created' ? 'ok' : 'exists',
      detail: {
        userName: actor.userName,
        filterName: name,
        criteria,
        description: describeSuppressionCriteria(criteria),
        approvers: input.approvers.map((approver) => approver.userName),
        accountId: target.accountId,
        region,
        detectorId,
      },
    });
    return { status, rule };
  }

  /** Deletes a rule the bot created (others are refused); a missing rule is `absent`. */
  public async deleteSuppression(input: DeleteSuppressionInput): Promise<DeleteSuppressionOutcome> {
    const { filterName: name, actor } = input;
    const target = { ...input.target, actor: actor.userId };
    let existing: SuppressionRule | undefined;
    let detectorId: string;
    try {
      detectorId = await this.#deps.guardDuty.detectorId(target);
      existing = await this.#deps.guardDuty.getSuppressionRule(target, detectorId, name);
    } catch (error) {
      return { status: 'failed', name, ...errorSummary(error) };
    }
    if (existing === undefined) return { status: 'absent', name };
    if (!isBotSuppressionRule(existing)) {
      return {
        status: 'refused',
        name,
        problem: 'only rules created by the bot can be deleted here',
      };
    }
    const findingId = input.findingId ?? existing.tags[SUPPRESSION_TAGS.findingId];
    let result: 'deleted' | 'absent';
    try {
      result = await this.#deps.guardDuty.deleteSuppressionRule(target, detectorId, name);
    } catch (error) {
      return { status: 'failed', name, ...errorSummary(error) };
    }
    await this.#audit(findingId ?? orphanStream(name), {
      kind: 'suppression.deleted',
      actor,
      dedupeKey: `${input.jobId}#${name}`,
      result: result === 'deleted' ? 'ok' : 'absent',
      detail: {
        userName: actor.userName,
        filterName: name,
        accountId: target.accountId,
        region: target.region,
        ...(existing.criteria === undefined
          ? {}
          : {
              criteria: existing.criteria,
              description: describeSuppressionCriteria(existing.criteria),
            }),
      },
    });
    if (result === 'absent') return { status: 'absent', name };
    return findingId === undefined
      ? { status: 'deleted', name }
      : { status: 'deleted', name, findingId };
  }

  /** The bot's suppression rules in an account and region (default: the administrator account). */
  public async listSuppressions(target: AccountTarget): Promise<ListSuppressionsOutcome> {
    try {
      const detectorId = await this.#deps.guardDuty.detectorId(target);
      const rules = await this.#deps.guardDuty.listSuppressionRules(target, detectorId);
      return { status: 'ok', rules, accountId: target.accountId, region: target.region };
    } catch (error) {
      return { status: 'failed', ...errorSummary(error) };
    }
  }

  // -------------------------------------------------------------------------------------------

  #suppressionProblem(input: CreateSuppressionInput): string | undefined {
    const criteriaProblem = suppressionCriteriaProblem(input.criteria);
    if (criteriaProblem !== undefined) return criteriaProblem;
    if (!isSuppressionCriteriaFor(input.finding, input.criteria)) {
      return 'the rule does not match what was proposed for this finding';
    }
    const required = Math.max(1, this.#deps.options?.suppressionApprovals ?? 1);
    const distinct = new Set(input.approvers.map((approver) => approver.userId)).size;
    if (distinct < required) {
      return `a suppression rule needs ${required} approver${required === 1 ? '' : 's'}, got ${distinct}`;
    }
    return undefined;
  }

  /** Where GuardDuty calls for a finding go: the administrator account, or the finding's own. */
  #adminTarget(finding: Finding, actor: DismissActor): { target: AccountTarget; region: string } {
    const admin = this.#deps.options?.adminTarget;
    const region = admin?.region ?? finding.region;
    return {
      target: { accountId: admin?.accountId ?? finding.accountId, region, actor: actor.userId },
      region,
    };
  }

  /**
   * The detector to use: the finding's own when calls go to the finding's account (and region);
   * looked up in the administrator account otherwise (a member's detector id means nothing there).
   */
  async #detectorFor(finding: Finding, target: AccountTarget): Promise<string> {
    const sameDetector = target.accountId === finding.accountId && target.region === finding.region;
    if (sameDetector && finding.detectorId !== undefined) return finding.detectorId;
    return this.#deps.guardDuty.detectorId(target);
  }

  async #withDetector(
    finding: Finding,
    actor: DismissActor,
    ids: string[],
    call: (target: AccountTarget, detectorId: string) => Promise<BatchResult>
  ): Promise<StepResult> {
    const { target } = this.#adminTarget(finding, actor);
    try {
      const detectorId = await this.#detectorFor(finding, target);
      return stepFromBatch(await call(target, detectorId));
    } catch (error) {
      return stepFromError(error, ids);
    }
  }

  async #setWorkflow(
    target: AccountTarget,
    actor: DismissActor,
    refs: SecurityHubFindingRef[],
    status: 'SUPPRESSED' | 'NEW',
    note: string
  ): Promise<StepResult> {
    try {
      return stepFromBatch(
        await this.#deps.securityHub.setWorkflow(
          { ...target, actor: actor.userId },
          refs,
          status,
          note
        )
      );
    } catch (error) {
      return stepFromError(
        error,
        refs.map((ref) => ref.id)
      );
    }
  }

  #securityHubRefs(finding: Finding): SecurityHubFindingRef[] {
    if (finding.source === 'securityhub') {
      return finding.productArn === undefined
        ? []
        : [{ id: finding.id, productArn: finding.productArn }];
    }
    if (!this.#deps.options?.securityHubForGuardDutyFindings || finding.arn === undefined)
      return [];
    return [
      {
        id: finding.arn,
        productArn: `arn:${finding.partition}:securityhub:${finding.region}::product/aws/guardduty`,
      },
    ];
  }

  async #audit(
    findingId: string,
    entry: Omit<AuditEntry, 'at' | 'actor'> & { actor: DismissActor }
  ): Promise<void> {
    await this.#deps.audit(findingId, {
      ...entry,
      at: this.#deps.now().toISOString(),
      actor: entry.actor.userId,
    });
  }
}

const skip = (reason: string): StepResult => ({ status: 'skipped', reason });

/** Overall status of steps: ok, partial (primary done, another failed) or failed (primary failed). */
const summarize = <K extends string>(
  steps: Record<K, StepResult>,
  primary: K
): { status: 'ok' | 'partial' | 'failed'; failed: K[] } => {
  const failed = (Object.keys(steps) as K[]).filter((key) => steps[key].status === 'failed');
  if (steps[primary].status === 'failed') return { status: 'failed', failed };
  return { status: failed.length === 0 ? 'ok' : 'partial', failed };
};

const errorSummary = (error: unknown): { code: string; message: string; retryable: boolean } => {
  const step = stepFromError(error, []);
  return step.status === 'failed'
    ? { code: step.code, message: step.message, retryable: step.retryable }
    : { code: 'DISMISS_FAILED', message: String(error), retryable: false };
};

/** GuardDuty tag values allow letters, digits, spaces and `_.:/=+-@`; cut to 256. */
const tagValue = (value: string): string =>
  value.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, '_').slice(0, 256);

/** A short stable fingerprint of a string (for idempotency tokens). */
const fingerprint = (text: string): string => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
};
