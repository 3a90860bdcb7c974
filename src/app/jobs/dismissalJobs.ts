import type { KnownBlock } from '@slack/types';
import { DISMISSAL, SUPPRESSION } from '../../domain/actions';
import { type DismissReason, dismissReasonLabel, isDismissReason } from '../../domain/dismissal';
import type { Clock } from '../../ports/Clock';
import type { AccountTarget, SuppressionRule } from '../../ports/Dismissal';
import type { FindingRecord, FindingStore, SlackActor } from '../../ports/FindingStore';
import type { Job } from '../../ports/JobQueue';
import type { Logger } from '../../ports/Logger';
import type { SlackMessage } from '../../ports/SlackGateway';
import { escapeMrkdwn } from '../../slack/mrkdwn';
import { type CardRefresher, findingCardKey } from '../CardRefresher';
import type {
  DismissOutcome,
  DismissService,
  ReopenOutcome,
  StepResult,
} from '../dismissal/DismissService';
import { buildAfterActionReport } from '../report/buildAfterActionReport';
import type { JobHandler } from './JobRunner';
import { postInThread, type ReplyDeps, replyToRequester } from './replies';
import { RetryLaterError } from './retry';

/** A dismissal or reopen that failed in a step worth another delivery (throttling, timeouts). */
const failedRetryably = (outcome: DismissOutcome | ReopenOutcome): boolean => {
  const steps: StepResult[] = Object.values(outcome.steps);
  return (
    outcome.status === 'failed' && steps.some((step) => step.status === 'failed' && step.retryable)
  );
};

/** Collaborators of the dismissal, suppression and report jobs. */
export interface DismissalJobsDeps extends ReplyDeps {
  store: FindingStore;
  cards: CardRefresher;
  service: Pick<
    DismissService,
    | 'dismiss'
    | 'reopen'
    | 'proposeSuppression'
    | 'createSuppression'
    | 'deleteSuppression'
    | 'listSuppressions'
  >;
  render: {
    suppressionConfirmation(input: {
      record: FindingRecord;
      ruleName: string;
      description: string;
      requestedBy: string;
      approvalsRequired: number;
    }): SlackMessage;
    suppressionList(rules: readonly SuppressionRule[], scope: string): SlackMessage;
  };
  /** Where rules are listed and deleted (the GuardDuty administrator account and default Region). */
  adminTarget: AccountTarget;
  /** Distinct approvers a suppression rule needs for this finding (2 under the two-person rule). */
  suppressionApprovals: (record: FindingRecord) => number;
  clock: Clock;
  logger: Logger;
}

const text = (message: string): SlackMessage => ({
  text: message,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: message } } as KnownBlock],
});

/** AWS error messages and rule names are shown escaped (and bounded) in mrkdwn. */
const safe = (value: unknown): string => escapeMrkdwn(String(value ?? '')).slice(0, 500);

const mentionOf = (actor: SlackActor): string =>
  /^[UW][A-Z0-9]{2,20}$/.test(actor.userId) ? `<@${actor.userId}>` : 'someone';

const stepSummary = (outcome: DismissOutcome | ReopenOutcome): string =>
  Object.entries(outcome.steps)
    .map(
      ([step, result]) =>
        `${step}: ${result.status === 'failed' ? `failed (${result.code})` : result.status}`
    )
    .join(' · ');

/**
 * The worker side of Dismiss, Reopen, suppression rules and the after-action report. State moves
 * with a compare-and-set; only the run that makes the move reports in the thread, so a
 * redelivered job reports once. Retryable AWS failures are retried while deliveries remain.
 */
export const dismissalJobs = (
  deps: DismissalJobsDeps
): Record<
  'dismiss' | 'reopen' | 'suppression-create' | 'suppression-delete' | 'suppressions' | 'report',
  JobHandler
> & {
  giveUp: (job: Job, error: unknown) => Promise<void>;
} => {
  const load = async (job: Job): Promise<FindingRecord | undefined> =>
    job.findingId === undefined ? undefined : deps.store.getFinding(job.findingId);

  const thread = async (record: FindingRecord) => {
    const card = await deps.store.getCard(findingCardKey(record.finding.id));
    return {
      channel: card?.channel ?? record.channel,
      ...(card?.ts === undefined ? {} : { threadTs: card.ts }),
    };
  };

  const target = (record: FindingRecord, actor: SlackActor): AccountTarget => ({
    accountId: record.finding.accountId,
    region: record.finding.region,
    actor: actor.userId,
  });

  const move = (
    record: FindingRecord,
    area: string,
    from: readonly string[],
    to: Record<string, unknown> & { status: string }
  ) =>
    deps.store.transitionAction(record.finding.id, area, {
      from,
      to: { at: deps.clock.now().toISOString(), ...to },
    });

  const dismiss: JobHandler = async (job, attempt) => {
    const record = await load(job);
    const state = record?.actions[DISMISSAL];
    if (!record || state?.status !== 'requested') return;
    const reason: DismissReason = isDismissReason(job.args?.reason) ? job.args.reason : 'other';
    const note = typeof job.args?.note === 'string' ? job.args.note : '';
    const outcome = await deps.service.dismiss({
      finding: record.finding,
      reason,
      note,
      actor: job.requestedBy,
      target: target(record, job.requestedBy),
      jobId: job.id,
    });
    const retryable = failedRetryably(outcome);
    if (retryable && !attempt.final)
      throw new RetryLaterError('dismissal failed and will be retried');
    const label = dismissReasonLabel(reason);
    const moved = await move(record, DISMISSAL, ['requested'], {
      status: outcome.status === 'failed' ? 'failed' : 'dismissed',
      by: job.requestedBy,
      reason: outcome.status === 'failed' ? `could not archive (${stepSummary(outcome)})` : label,
      dismissReason: reason,
      note,
    });
    if (!moved) return;
    const where = await thread(record);
    await postInThread(
      deps,
      where,
      text(
        outcome.status === 'failed'
          ? `❌ Dismissal requested by ${mentionOf(job.requestedBy)} failed: ${stepSummary(outcome)}`
          : `🗑️ Dismissed by ${mentionOf(job.requestedBy)}: ${label}. ${stepSummary(outcome)}`
      )
    );
    if (outcome.status !== 'failed' && job.args?.suppress === true) {
      const proposal = await deps.service.proposeSuppression({
        finding: record.finding,
        actor: job.requestedBy,
        jobId: job.id,
      });
      if (proposal.status === 'proposed') {
        const approvalsRequired = deps.suppressionApprovals(record);
        await deps.store.transitionAction(record.finding.id, SUPPRESSION, {
          from: [null, 'cancelled', 'created', 'failed'],
          to: {
            status: 'proposed',
            at: deps.clock.now().toISOString(),
            by: job.requestedBy,
            name: proposal.name,
            criteria: proposal.criteria,
            description: proposal.description,
            reason,
            note,
            approvals: [],
          },
        });
        await postInThread(
          deps,
          where,
          deps.render.suppressionConfirmation({
            record,
            ruleName: proposal.name,
            description: proposal.description,
            requestedBy: job.requestedBy.userId,
            approvalsRequired,
          })
        );
      } else {
        await postInThread(
          deps,
          where,
          text(`No suppression rule was proposed: ${safe(proposal.reason)}`)
        );
      }
    }
    await deps.cards.refresh(record.finding.id);
  };

  const reopen: JobHandler = async (job, attempt) => {
    const record = await load(job);
    if (record?.actions[DISMISSAL]?.status !== 'reopen-requested' || record === undefined) return;
    const outcome = await deps.service.reopen({
      finding: record.finding,
      actor: job.requestedBy,
      target: target(record, job.requestedBy),
      jobId: job.id,
    });
    const retryable = failedRetryably(outcome);
    if (retryable && !attempt.final) throw new RetryLaterError('reopen failed and will be retried');
    const reopened = outcome.status !== 'failed';
    const previous = record.actions[DISMISSAL];
    const moved = await move(
      record,
      DISMISSAL,
      ['reopen-requested'],
      reopened
        ? { status: 'reopened', by: job.requestedBy }
        : {
            ...previous,
            status: 'dismissed',
            reason: `${String(previous?.reason ?? '')} (reopen failed: ${stepSummary(outcome)})`,
          }
    );
    if (!moved) return;
    await postInThread(
      deps,
      await thread(record),
      text(
        reopened
          ? `↩️ Reopened by ${mentionOf(job.requestedBy)}. ${stepSummary(outcome)}`
          : `❌ Reopen requested by ${mentionOf(job.requestedBy)} failed: ${stepSummary(outcome)}`
      )
    );
    await deps.cards.refresh(record.finding.id);
  };

  const createSuppression: JobHandler = async (job, attempt) => {
    const record = await load(job);
    const state = record?.actions[SUPPRESSION];
    if (!record || state?.status !== 'create-requested') return;
    const outcome = await deps.service.createSuppression({
      finding: record.finding,
      criteria: state.criteria as never,
      reason: isDismissReason(state.reason) ? state.reason : 'other',
      note: typeof state.note === 'string' ? state.note : '',
      actor: job.requestedBy,
      approvers: (state.approvals as SlackActor[] | undefined) ?? [],
      target: target(record, job.requestedBy),
      jobId: job.id,
    });
    if (outcome.status === 'failed' && outcome.retryable && !attempt.final) {
      throw new RetryLaterError('creating the suppression rule failed and will be retried');
    }
    const created = outcome.status === 'created' || outcome.status === 'exists';
    const moved = await move(record, SUPPRESSION, ['create-requested'], {
      ...state,
      status: created ? 'created' : 'failed',
      ...(created
        ? {}
        : {
            reason:
              outcome.status === 'refused'
                ? safe(outcome.problem)
                : outcome.status === 'failed'
                  ? safe(outcome.message)
                  : '',
          }),
    });
    if (!moved) return;
    await postInThread(
      deps,
      await thread(record),
      text(
        created
          ? `🔕 Suppression rule \`${safe(state.name)}\` is ${outcome.status === 'exists' ? 'already in place' : 'created'}: GuardDuty now archives matching findings automatically. \`/guardduty suppressions\` lists and deletes the bot's rules.`
          : `❌ The suppression rule was not created: ${safe(outcome.status === 'refused' ? outcome.problem : outcome.status === 'failed' ? outcome.message : '')}`
      )
    );
  };

  const deleteSuppression: JobHandler = async (job, attempt) => {
    const filterName = typeof job.args?.filterName === 'string' ? job.args.filterName : '';
    const outcome = await deps.service.deleteSuppression({
      filterName,
      actor: job.requestedBy,
      target: { ...deps.adminTarget, actor: job.requestedBy.userId },
      jobId: job.id,
    });
    if (outcome.status === 'failed' && outcome.retryable && !attempt.final) {
      throw new RetryLaterError('deleting the suppression rule failed and will be retried');
    }
    const answer: Record<typeof outcome.status, string> = {
      deleted: `🔔 Suppression rule \`${safe(filterName)}\` deleted by ${mentionOf(job.requestedBy)}: matching findings are no longer archived.`,
      absent: `Suppression rule \`${safe(filterName)}\` no longer exists.`,
      refused: `Not deleted: ${safe('problem' in outcome ? outcome.problem : '')}`,
      failed: `❌ Could not delete \`${safe(filterName)}\`: ${safe('message' in outcome ? outcome.message : '')}`,
    };
    await replyToRequester(deps, job, text(answer[outcome.status]));
  };

  const listSuppressions: JobHandler = async (job, attempt) => {
    const outcome = await deps.service.listSuppressions({
      ...deps.adminTarget,
      actor: job.requestedBy.userId,
    });
    if (outcome.status === 'failed') {
      if (outcome.retryable && !attempt.final)
        throw new RetryLaterError('listing rules failed; retrying');
      await replyToRequester(
        deps,
        job,
        text(`❌ Could not list the suppression rules: ${safe(outcome.message)}`)
      );
      return;
    }
    await replyToRequester(
      deps,
      job,
      deps.render.suppressionList(outcome.rules, `${outcome.accountId} ${outcome.region}`)
    );
  };

  const report: JobHandler = async (job) => {
    const record = await load(job);
    if (!record) {
      await replyToRequester(deps, job, text('No such finding in the bot’s records.'));
      return;
    }
    const audit = await deps.store.listAudit(record.finding.id);
    const built = buildAfterActionReport({
      record,
      audit,
      generatedAt: deps.clock.now().toISOString(),
    });
    const where = await thread(record);
    await deps.slack.uploadFile({
      channel: where.channel,
      ...(where.threadTs === undefined ? {} : { threadTs: where.threadTs }),
      filename: `after-action-report-${record.finding.id.slice(0, 64)}.md`,
      title: 'After-action report',
      content: built.markdown,
      comment: `📄 After-action report, requested by ${mentionOf(job.requestedBy)}: ${built.summary}`,
    });
    await deps.store.appendAudit(record.finding.id, {
      at: deps.clock.now().toISOString(),
      kind: 'report.generated',
      actor: job.requestedBy.userId,
      dedupeKey: job.id,
      result: 'ok',
      detail: { userName: job.requestedBy.userName, bytes: built.markdown.length },
    });
    if (job.reply?.responseUrl !== undefined) {
      await replyToRequester(
        deps,
        job,
        text('📄 The after-action report is in the card’s thread.')
      );
    }
  };

  const giveUp = async (job: Job, error: unknown): Promise<void> => {
    if (job.findingId === undefined) return;
    const why = `gave up after repeated failures (${(error as Error).message}); the job is in the dead-letter queue`;
    if (job.kind === 'suppression-create') {
      // Back to proposed: an approver can press Create again.
      const record = await deps.store.getFinding(job.findingId);
      const state = record?.actions[SUPPRESSION];
      if (state === undefined) return;
      await deps.store.transitionAction(job.findingId, SUPPRESSION, {
        from: ['create-requested'],
        to: { ...state, status: 'proposed', at: deps.clock.now().toISOString(), reason: why },
      });
      return;
    }
    if (job.kind !== 'dismiss' && job.kind !== 'reopen') return;
    const from = job.kind === 'dismiss' ? ['requested'] : ['reopen-requested'];
    const moved = await deps.store.transitionAction(job.findingId, DISMISSAL, {
      from,
      to: {
        status: job.kind === 'dismiss' ? 'failed' : 'dismissed',
        at: deps.clock.now().toISOString(),
        by: job.requestedBy,
        reason: why,
      },
    });
    if (moved) await deps.cards.refresh(job.findingId);
  };

  return {
    dismiss,
    reopen,
    'suppression-create': createSuppression,
    'suppression-delete': deleteSuppression,
    suppressions: listSuppressions,
    report,
    giveUp,
  };
};
