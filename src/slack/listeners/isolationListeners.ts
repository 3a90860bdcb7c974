import type { App } from '@slack/bolt';
import {
  FORCE_RELEASABLE,
  hourBucket,
  ISOLATION,
  ISOLATION_REQUESTABLE,
  ISOLATION_RETRYABLE,
  type IsolationStatus,
  RELEASABLE,
  staleIntent,
} from '../../domain/actions';
import { findingInstanceId, isAtLeast } from '../../domain/Finding';
import type { ActionState, FindingRecord, SlackActor } from '../../ports/FindingStore';
import type { Job } from '../../ports/JobQueue';
import {
  actionEntry,
  auditAction,
  checkCardAction,
  type EphemeralClient,
  enqueueOrUndo,
  failedToQueue,
  type Interaction,
  interactionOf,
  type ListenerDeps,
  tell,
} from './listenerKit';

/** The isolation buttons' action ids. Every one the card renders has a listener here. */
export const ISOLATION_ACTION_IDS = {
  isolate: 'isolate',
  approve: 'approve',
  retry: 'retry',
  release: 'release',
  forceRelease: 'release_force',
} as const;

const statusOf = (record: FindingRecord): IsolationStatus | null =>
  (record.actions[ISOLATION]?.status as IsolationStatus | undefined) ?? null;

const replyTo = (interaction: Interaction, record: FindingRecord): Job['reply'] => ({
  channel: interaction.channelId ?? record.channel,
  ...(interaction.messageTs === undefined ? {} : { threadTs: interaction.messageTs }),
});

/**
 * Registers Isolate, Approve, Retry, Release and Force release. Each listener authorizes, checks
 * the recorded state, records the intent with a compare-and-set (so a double tap or a second
 * approver enqueues nothing twice), enqueues the job and returns: nothing slow runs here.
 */
export const registerIsolationListeners = (app: App, deps: ListenerDeps): void => {
  const jobFor = (
    kind: 'isolate' | 'release' | 'refresh',
    record: FindingRecord,
    actor: SlackActor,
    interaction: Interaction,
    args: Record<string, unknown> = {}
  ): Job => ({
    id: `${kind}:${record.finding.id}:${deps.newId()}`,
    kind,
    findingId: record.finding.id,
    requestedBy: actor,
    requestedAt: deps.clock.now().toISOString(),
    reply: replyTo(interaction, record),
    args,
  });

  /** A card refresh is a courtesy: if it cannot be queued, the next change refreshes the card. */
  const refresh = async (record: FindingRecord, actor: SlackActor, interaction: Interaction) => {
    await deps.queue
      .enqueue(jobFor('refresh', record, actor, interaction))
      .catch((error: unknown) =>
        deps.logger.warn('could not queue a card refresh', { reason: (error as Error).message })
      );
  };

  /**
   * Records who asked (`audit`), moves to `requested` within the hourly cap and queues the
   * isolation. The usual case is one transaction (audit entry, compare-and-set, cap); when any of
   * it does not hold, the steps run one by one to find out which and answer accordingly.
   */
  const startIsolation = async (
    record: FindingRecord,
    requestedBy: SlackActor,
    from: readonly (IsolationStatus | null)[],
    interaction: Interaction,
    audit: { actor: SlackActor; kind: string; detail: Record<string, unknown> },
    extra: Record<string, unknown> = {}
  ): Promise<string | undefined> => {
    const now = deps.clock.now();
    const job = jobFor('isolate', record, requestedBy, interaction);
    // The intent names its job: a late redelivery of an older job finds another id and stops.
    const requested: ActionState = {
      status: 'requested',
      at: now.toISOString(),
      by: requestedBy,
      jobId: job.id,
      ...extra,
    };
    const undo = failedToQueue(deps, ISOLATION, requestedBy);
    const cap = deps.options.isolationsPerHour;
    const recorded = await deps.store.recordIntent({
      findingId: record.finding.id,
      area: ISOLATION,
      from,
      to: requested,
      audit: actionEntry(deps, audit.actor, audit.kind, audit.detail),
      quota: { name: 'isolation', bucket: hourBucket(now), cap },
    });
    if (recorded) return enqueueOrUndo(deps, job, undo);
    await auditAction(deps, record.finding.id, audit.actor, audit.kind, audit.detail);
    if (
      !(await deps.store.transitionAction(record.finding.id, ISOLATION, { from, to: requested }))
    ) {
      return 'Isolation is already requested or in progress for this finding.';
    }
    if (!(await deps.store.takeQuota('isolation', hourBucket(now), cap))) {
      await deps.store.transitionAction(record.finding.id, ISOLATION, {
        from: ['requested'],
        to: { status: 'cancelled', at: now.toISOString(), by: requestedBy, reason: 'hourly cap' },
      });
      await refresh(record, requestedBy, interaction);
      return `The cap of ${cap} isolations per hour is reached: nothing was changed. Ask an administrator to raise ISOLATIONS_PER_HOUR if this is a real outbreak.`;
    }
    return enqueueOrUndo(deps, job, undo);
  };

  const handle = (
    actionId: string,
    run: (interaction: Interaction, client: EphemeralClient) => Promise<string | undefined>
  ) => {
    app.action(actionId, async ({ ack, body, client }) => {
      await ack();
      const interaction = interactionOf(body);
      const message = await run(interaction, client);
      if (message !== undefined) await tell(client, interaction, message, deps.logger);
    });
  };

  handle(ISOLATION_ACTION_IDS.isolate, async (interaction) => {
    const checked = await checkCardAction(deps, interaction, 'isolate', 'contain');
    if (!checked.ok) return checked.message;
    const { record, actor } = checked;
    if (findingInstanceId(record.finding) === undefined) {
      return 'Isolate applies to EC2 instances (and instance credentials) only.';
    }
    if (record.finding.archived || record.actions.dismissal?.status === 'dismissed') {
      return 'This finding is archived or dismissed: reopen it before isolating.';
    }
    const status = statusOf(record);
    const state = record.actions[ISOLATION];
    const now = deps.clock.now();
    const expired =
      state?.status === 'awaiting-approval' &&
      typeof state.expiresAt === 'string' &&
      Date.parse(state.expiresAt) <= now.getTime();
    // A request may take over an expired approval or an intent whose job is long gone.
    const requestable: readonly (IsolationStatus | null)[] = [
      ...ISOLATION_REQUESTABLE,
      ...(staleIntent(state, now, ['requested', 'in-progress']) as IsolationStatus[]),
      ...(expired ? (['awaiting-approval'] as const) : []),
    ];
    if (!requestable.includes(status)) {
      return `Isolation is already ${status} for this finding: nothing to do.`;
    }
    const twoPerson =
      deps.options.twoPersonMinSeverity !== undefined &&
      isAtLeast(record.finding.severity, deps.options.twoPersonMinSeverity);
    const request = {
      actor,
      kind: 'action.requested',
      detail: { action: 'isolate', twoPersonRule: twoPerson },
    };
    if (!twoPerson) return startIsolation(record, actor, requestable, interaction, request);
    await auditAction(deps, record.finding.id, actor, request.kind, request.detail);
    const waiting: ActionState = {
      status: 'awaiting-approval',
      at: now.toISOString(),
      by: actor,
      expiresAt: new Date(now.getTime() + deps.options.approvalExpiryMs).toISOString(),
    };
    const moved = await deps.store.transitionAction(record.finding.id, ISOLATION, {
      from: requestable,
      to: waiting,
    });
    if (!moved) return 'Isolation is already requested for this finding.';
    await refresh(record, actor, interaction);
    return 'Isolation requested. A second approver must confirm it with Approve on the card.';
  });

  handle(ISOLATION_ACTION_IDS.approve, async (interaction) => {
    const checked = await checkCardAction(deps, interaction, 'approve', 'contain');
    if (!checked.ok) return checked.message;
    const { record, actor } = checked;
    const state = record.actions[ISOLATION];
    if (state?.status !== 'awaiting-approval') return 'There is no isolation waiting for approval.';
    const now = deps.clock.now();
    const requester = state.by;
    if (typeof state.expiresAt === 'string' && Date.parse(state.expiresAt) <= now.getTime()) {
      await deps.store.transitionAction(record.finding.id, ISOLATION, {
        from: ['awaiting-approval'],
        to: { status: 'expired', at: now.toISOString(), by: requester ?? actor },
      });
      await refresh(record, actor, interaction);
      return 'This request expired before it was approved. Tap Isolate to request it again.';
    }
    if (requester?.userId === actor.userId) {
      return 'The two-person rule needs a second approver: you requested this isolation.';
    }
    return startIsolation(
      record,
      requester ?? actor,
      ['awaiting-approval'],
      interaction,
      {
        actor,
        kind: 'action.approved',
        detail: { action: 'isolate', requestedBy: requester?.userId },
      },
      { approvedBy: actor }
    );
  });

  handle(ISOLATION_ACTION_IDS.retry, async (interaction) => {
    const checked = await checkCardAction(deps, interaction, 'retry', 'contain');
    if (!checked.ok) return checked.message;
    const { record, actor } = checked;
    return startIsolation(
      record,
      actor,
      ISOLATION_RETRYABLE,
      interaction,
      { actor, kind: 'action.requested', detail: { action: 'retry' } },
      { retry: true }
    );
  });

  const release = (force: boolean) => async (interaction: Interaction) => {
    const action = force ? 'release_force' : 'release';
    const checked = await checkCardAction(deps, interaction, action, 'contain');
    if (!checked.ok) return checked.message;
    const { record, actor } = checked;
    const job = jobFor('release', record, actor, interaction, { force });
    const moved = await deps.store.transitionAction(record.finding.id, ISOLATION, {
      from: [
        ...(force ? FORCE_RELEASABLE : RELEASABLE),
        ...staleIntent(record.actions[ISOLATION], deps.clock.now(), [
          'release-requested',
          'releasing',
        ]),
      ],
      to: {
        status: 'release-requested',
        at: deps.clock.now().toISOString(),
        by: actor,
        force,
        jobId: job.id,
      },
    });
    if (!moved)
      return `Release is not possible now (isolation is ${statusOf(record) ?? 'not requested'}).`;
    await auditAction(deps, record.finding.id, actor, 'action.requested', { action, force });
    const previous = record.actions[ISOLATION];
    return enqueueOrUndo(deps, job, {
      area: ISOLATION,
      from: ['release-requested'],
      to: previous ?? { status: 'isolated', at: deps.clock.now().toISOString() },
    });
  };
  handle(ISOLATION_ACTION_IDS.release, release(false));
  handle(ISOLATION_ACTION_IDS.forceRelease, release(true));
};
