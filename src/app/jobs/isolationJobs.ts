import { ISOLATION } from '../../domain/actions';
import { findingInstanceId } from '../../domain/Finding';
import type { IsolationOutcome, ReleaseOutcome } from '../../domain/isolation';
import type { Clock } from '../../ports/Clock';
import type { FindingRecord, FindingStore } from '../../ports/FindingStore';
import type { Job } from '../../ports/JobQueue';
import type { Logger } from '../../ports/Logger';
import type { SlackGateway, SlackMessage } from '../../ports/SlackGateway';
import { type CardRefresher, findingCardKey } from '../CardRefresher';
import {
  ISOLATION_LEASE_MS,
  type IsolationRequest,
  type ReleaseRequest,
} from '../isolation/IsolationService';
import type { JobHandler } from './JobRunner';
import { postInThread } from './replies';
import { RetryLaterError } from './retry';

/** The isolation engine as the jobs use it (`IsolationService`). */
export interface IsolationEngine {
  isolate(request: IsolationRequest): Promise<IsolationOutcome>;
  release(request: ReleaseRequest & { force: boolean }): Promise<ReleaseOutcome>;
}

/** Collaborators of the isolation jobs. */
export interface IsolationJobsDeps {
  store: FindingStore;
  cards: CardRefresher;
  slack: SlackGateway;
  engine: IsolationEngine;
  render: {
    isolation(outcome: IsolationOutcome): SlackMessage;
    release(outcome: ReleaseOutcome): SlackMessage;
  };
  clock: Clock;
  logger: Logger;
}

const isolationStatus = (outcome: IsolationOutcome): { status: string; reason?: string } => {
  switch (outcome.kind) {
    case 'isolated':
    case 'already-isolated':
      return { status: 'isolated' };
    case 'partial':
      return {
        status: 'partial',
        reason: `${outcome.report.failures.length} step(s) failed`,
      };
    case 'stale':
      return { status: 'stale', reason: outcome.reasons.map((reason) => reason.kind).join(', ') };
    case 'planned':
      return { status: 'planned' };
    case 'failed':
      return { status: 'failed', reason: outcome.message };
    case 'in-progress':
      return { status: 'in-progress' };
  }
};

const releaseStatus = (outcome: ReleaseOutcome): { status: string; reason?: string } => {
  switch (outcome.kind) {
    case 'released':
    case 'already-released':
      return { status: 'released' };
    case 'not-isolated':
      return { status: 'released', reason: 'nothing was isolated' };
    case 'drift':
      return { status: 'drift', reason: `${outcome.drift.length} change(s) since isolation` };
    case 'partial':
      return {
        status: 'release-partial',
        reason: `${outcome.report.failures.length} step(s) failed`,
      };
    case 'failed':
      return { status: 'release-failed', reason: outcome.message };
    case 'in-progress':
      return { status: 'releasing' };
  }
};

/**
 * The worker side of Isolate and Release. Each job first shows "in progress, requested by @user"
 * on the card, runs the engine (idempotent and resumable), then moves the card's state with a
 * compare-and-set: only the run that makes that move posts the thread report, so a redelivered
 * job never reports twice. Retryable failures are rethrown while SQS still has deliveries left.
 */
export const isolationJobs = (
  deps: IsolationJobsDeps
): {
  isolate: JobHandler;
  release: JobHandler;
  giveUp: (job: Job, error: unknown) => Promise<void>;
} => {
  const load = async (job: Job): Promise<FindingRecord | undefined> => {
    const record =
      job.findingId === undefined ? undefined : await deps.store.getFinding(job.findingId);
    if (!record) deps.logger.warn('job for an unknown finding', { jobId: job.id, kind: job.kind });
    return record;
  };

  /** Enters the running state (or finds it entered by an earlier delivery). */
  const start = async (
    record: FindingRecord,
    job: Job,
    from: string,
    running: string
  ): Promise<boolean> => {
    const current = record.actions[ISOLATION];
    // An intent names the job it queued: an older job delivered late is not this request's.
    if (typeof current?.jobId === 'string' && current.jobId !== job.id) {
      deps.logger.warn('a job that is not the recorded intent’s: skipped', { jobId: job.id });
      return false;
    }
    if (current?.status === running) return true;
    if (current?.status !== from) return false;
    const entered = await deps.store.transitionAction(record.finding.id, ISOLATION, {
      from: [from],
      to: { ...current, status: running, at: deps.clock.now().toISOString(), jobId: job.id },
    });
    if (entered) await deps.cards.refresh(record.finding.id, { bestEffort: true });
    return (
      entered ||
      (await deps.store.getFinding(record.finding.id))?.actions[ISOLATION]?.status === running
    );
  };

  /** Moves to the final state; only the winner posts the thread report. */
  const finish = async (
    record: FindingRecord,
    job: Job,
    running: string,
    result: { status: string; reason?: string },
    report: SlackMessage
  ): Promise<void> => {
    const previous = record.actions[ISOLATION];
    const moved = await deps.store.transitionAction(record.finding.id, ISOLATION, {
      from: [running],
      to: {
        status: result.status,
        at: deps.clock.now().toISOString(),
        by: job.requestedBy,
        jobId: job.id,
        ...(previous?.approvedBy === undefined ? {} : { approvedBy: previous.approvedBy }),
        ...(result.reason === undefined ? {} : { reason: result.reason }),
      },
    });
    if (!moved) return;
    const card = await deps.store.getCard(findingCardKey(record.finding.id));
    const threadTs = card?.ts ?? job.reply?.threadTs;
    // The state is recorded and the card shows it: the thread report is the detail.
    await postInThread(
      deps,
      {
        channel: card?.channel ?? job.reply?.channel ?? record.channel,
        ...(threadTs === undefined ? {} : { threadTs }),
      },
      report
    );
    await deps.cards.refresh(record.finding.id);
  };

  /**
   * Another run holds the isolation lease: this job is tried again once that lease has run out
   * (a whole lease from now when the outcome does not say: that run has just taken it).
   */
  const leaseHeld = (heldUntil: string | undefined): RetryLaterError =>
    new RetryLaterError('another run holds the isolation lease', {
      retryInMs:
        heldUntil === undefined
          ? ISOLATION_LEASE_MS
          : Date.parse(heldUntil) - deps.clock.now().getTime(),
    });

  const isolate: JobHandler = async (job, attempt) => {
    const record = await load(job);
    if (!record || !(await start(record, job, 'requested', 'in-progress'))) return;
    const instanceId = findingInstanceId(record.finding);
    const outcome: IsolationOutcome =
      instanceId === undefined
        ? {
            kind: 'failed',
            findingId: record.finding.id,
            instanceId: '',
            code: 'NOT_AN_INSTANCE',
            message: 'the finding names no EC2 instance',
            retryable: false,
            elapsedMs: 0,
          }
        : await deps.engine.isolate({
            finding: record.finding,
            instanceId,
            target: {
              accountId: record.finding.accountId,
              region: record.finding.region,
              actor: job.requestedBy.userId,
            },
            requestedBy: job.requestedBy,
            jobId: job.id,
          });
    if (outcome.kind === 'in-progress') throw leaseHeld(outcome.heldUntil);
    if (outcome.kind === 'failed' && outcome.retryable && !attempt.final) {
      throw new RetryLaterError(`isolation failed and will be retried: ${outcome.message}`);
    }
    await finish(
      record,
      job,
      'in-progress',
      isolationStatus(outcome),
      deps.render.isolation(outcome)
    );
  };

  const release: JobHandler = async (job, attempt) => {
    const record = await load(job);
    if (!record || !(await start(record, job, 'release-requested', 'releasing'))) return;
    const outcome = await deps.engine.release({
      findingId: record.finding.id,
      requestedBy: job.requestedBy,
      jobId: job.id,
      force: job.args?.force === true,
    });
    if (outcome.kind === 'in-progress') throw leaseHeld(outcome.heldUntil);
    if (outcome.kind === 'failed' && outcome.retryable && !attempt.final) {
      throw new RetryLaterError(`release failed and will be retried: ${outcome.message}`);
    }
    await finish(record, job, 'releasing', releaseStatus(outcome), deps.render.release(outcome));
  };

  const giveUp = async (job: Job, error: unknown): Promise<void> => {
    if (job.findingId === undefined || (job.kind !== 'isolate' && job.kind !== 'release')) return;
    const failed = job.kind === 'release' ? 'release-failed' : 'failed';
    const from =
      job.kind === 'release' ? ['release-requested', 'releasing'] : ['requested', 'in-progress'];
    const moved = await deps.store.transitionAction(job.findingId, ISOLATION, {
      from,
      to: {
        status: failed,
        at: deps.clock.now().toISOString(),
        by: job.requestedBy,
        reason: `gave up after repeated failures (${(error as Error).message}); the job is in the dead-letter queue`,
      },
    });
    if (moved) await deps.cards.refresh(job.findingId);
  };

  return { isolate, release, giveUp };
};
