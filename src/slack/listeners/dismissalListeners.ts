import type { App } from '@slack/bolt';
import { DISMISSABLE, DISMISSAL, REOPENABLE, SUPPRESSION, staleIntent } from '../../domain/actions';
import { buildSuppressionCriteria } from '../../domain/dismissal';
import { isAtLeast } from '../../domain/Finding';
import type { SlackActor } from '../../ports/FindingStore';
import type { Job, JobKind } from '../../ports/JobQueue';
import {
  buildDismissModal,
  DISMISS_CALLBACK_ID,
  type DismissStateValues,
  parseDismissSubmission,
  SUPPRESSION_ACTION_IDS,
  SUPPRESSION_DELETE_ACTION_PATTERN,
} from '../views/dismissModal';
import {
  auditAction,
  checkCardAction,
  enqueueOrUndo,
  failedToQueue,
  type Interaction,
  interactionOf,
  type ListenerDeps,
  tell,
} from './listenerKit';

/** What the Dismiss modal carries to its submission. */
interface DismissMetadata {
  findingId: string;
  channelId?: string;
  messageTs?: string;
}

const parseMetadata = (raw: string | undefined): DismissMetadata | undefined => {
  try {
    const value = JSON.parse(raw ?? '') as Partial<DismissMetadata>;
    return typeof value.findingId === 'string' ? (value as DismissMetadata) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Registers Dismiss (the modal, opened here because its trigger_id lives 3 s), the modal's
 * submission, Reopen, the suppression rule's Create / Cancel / Delete, and Report. Authorization:
 * the dismiss approvers (suppression rules: plus a second approver under the two-person rule);
 * Report: anyone who may investigate.
 */
export const registerDismissalListeners = (app: App, deps: ListenerDeps): void => {
  const jobFor = (
    kind: JobKind,
    findingId: string | undefined,
    actor: SlackActor,
    interaction: Interaction,
    args: Record<string, unknown> = {}
  ): Job => ({
    id: `${kind}:${findingId ?? 'none'}:${deps.newId()}`,
    kind,
    ...(findingId === undefined ? {} : { findingId }),
    requestedBy: actor,
    requestedAt: deps.clock.now().toISOString(),
    reply: {
      ...(interaction.channelId === undefined ? {} : { channel: interaction.channelId }),
      ...(interaction.messageTs === undefined ? {} : { threadTs: interaction.messageTs }),
      ...(interaction.responseUrl === undefined ? {} : { responseUrl: interaction.responseUrl }),
    },
    args,
  });

  /** Queues a job with no recorded intent to undo (Report, Delete): a refusal is only told. */
  const enqueue = async (...args: Parameters<typeof jobFor>): Promise<string | undefined> => {
    try {
      await deps.queue.enqueue(jobFor(...args));
      return undefined;
    } catch (error) {
      deps.logger.error('could not queue a job', {
        kind: args[0],
        reason: (error as Error).message,
      });
      return 'The request could not be queued, so nothing was done. Try again in a moment.';
    }
  };

  app.action('dismiss', async ({ ack, body, client }) => {
    await ack();
    const interaction = interactionOf(body);
    const checked = await checkCardAction(deps, interaction, 'dismiss', 'dismiss');
    if (!checked.ok) return tell(client, interaction, checked.message, deps.logger);
    const { record } = checked;
    const status = (record.actions[DISMISSAL]?.status ?? null) as (typeof DISMISSABLE)[number];
    const stale = staleIntent(record.actions[DISMISSAL], deps.clock.now(), ['requested']);
    if (!DISMISSABLE.includes(status) && stale.length === 0) {
      return tell(client, interaction, `This finding is ${status} already.`, deps.logger);
    }
    const proposal = buildSuppressionCriteria(record.finding);
    const metadata: DismissMetadata = {
      findingId: record.finding.id,
      ...(interaction.channelId === undefined ? {} : { channelId: interaction.channelId }),
      ...(interaction.messageTs === undefined ? {} : { messageTs: interaction.messageTs }),
    };
    try {
      await client.views.open({
        trigger_id: interaction.triggerId ?? '',
        view: buildDismissModal({
          finding: record.finding,
          callbackId: DISMISS_CALLBACK_ID,
          privateMetadata: JSON.stringify(metadata),
          allowSuppression: proposal.ok,
          ...(proposal.ok ? { suppressionPreview: proposal.description } : {}),
        }),
      });
    } catch (error) {
      deps.logger.warn('could not open the dismiss modal', { reason: (error as Error).message });
      await tell(
        client,
        interaction,
        'The dismiss dialog could not open: tap Dismiss again.',
        deps.logger
      );
    }
  });

  app.view(DISMISS_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const parsed = parseDismissSubmission(view.state.values as DismissStateValues);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    const metadata = parseMetadata(view.private_metadata);
    const interaction: Interaction = {
      ...interactionOf(body),
      ...(metadata?.channelId === undefined ? {} : { channelId: metadata.channelId }),
      ...(metadata?.messageTs === undefined ? {} : { messageTs: metadata.messageTs }),
      ...(metadata === undefined ? {} : { value: metadata.findingId }),
    };
    const checked = await checkCardAction(deps, interaction, 'dismiss', 'dismiss');
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: { dismiss_reason: checked.message } });
      return;
    }
    const { record, actor } = checked;
    const moved = await deps.store.transitionAction(record.finding.id, DISMISSAL, {
      from: [
        ...DISMISSABLE,
        ...staleIntent(record.actions[DISMISSAL], deps.clock.now(), ['requested']),
      ],
      to: {
        status: 'requested',
        at: deps.clock.now().toISOString(),
        by: actor,
        reason: parsed.reason,
        note: parsed.note,
      },
    });
    await ack();
    if (!moved) {
      await tell(client, interaction, 'This finding is being dismissed already.', deps.logger);
      return;
    }
    await auditAction(deps, record.finding.id, actor, 'action.requested', {
      action: 'dismiss',
      reason: parsed.reason,
      suppress: parsed.suppress,
    });
    const problem = await enqueueOrUndo(
      deps,
      jobFor('dismiss', record.finding.id, actor, interaction, {
        reason: parsed.reason,
        note: parsed.note,
        suppress: parsed.suppress,
      }),
      failedToQueue(deps, DISMISSAL, actor)
    );
    if (problem !== undefined) await tell(client, interaction, problem, deps.logger);
  });

  app.action('reopen', async ({ ack, body, client }) => {
    await ack();
    const interaction = interactionOf(body);
    const checked = await checkCardAction(deps, interaction, 'reopen', 'dismiss');
    if (!checked.ok) return tell(client, interaction, checked.message, deps.logger);
    const { record, actor } = checked;
    const previous = record.actions[DISMISSAL];
    const moved = await deps.store.transitionAction(record.finding.id, DISMISSAL, {
      from: [...REOPENABLE, ...staleIntent(previous, deps.clock.now(), ['reopen-requested'])],
      to: {
        ...previous,
        status: 'reopen-requested',
        at: deps.clock.now().toISOString(),
        by: actor,
      },
    });
    if (!moved) return tell(client, interaction, 'This finding is not dismissed.', deps.logger);
    await auditAction(deps, record.finding.id, actor, 'action.requested', { action: 'reopen' });
    const problem = await enqueueOrUndo(
      deps,
      jobFor('reopen', record.finding.id, actor, interaction),
      {
        area: DISMISSAL,
        from: ['reopen-requested'],
        to: previous ?? { status: 'dismissed', at: deps.clock.now().toISOString() },
      }
    );
    if (problem !== undefined) await tell(client, interaction, problem, deps.logger);
  });

  app.action(SUPPRESSION_ACTION_IDS.create, async ({ ack, body, client }) => {
    await ack();
    const interaction = interactionOf(body);
    const checked = await checkCardAction(deps, interaction, 'suppression_create', 'dismiss');
    if (!checked.ok) return tell(client, interaction, checked.message, deps.logger);
    const { record, actor } = checked;
    const state = record.actions[SUPPRESSION];
    if (state?.status !== 'proposed') {
      return tell(
        client,
        interaction,
        'There is no suppression rule waiting for approval.',
        deps.logger
      );
    }
    const approvals = [...((state.approvals as SlackActor[] | undefined) ?? [])];
    if (!approvals.some((approval) => approval.userId === actor.userId)) approvals.push(actor);
    const required =
      deps.options.twoPersonMinSeverity !== undefined &&
      isAtLeast(record.finding.severity, deps.options.twoPersonMinSeverity)
        ? 2
        : 1;
    const ready = approvals.length >= required;
    const moved = await deps.store.transitionAction(record.finding.id, SUPPRESSION, {
      from: ['proposed'],
      to: { ...state, status: ready ? 'create-requested' : 'proposed', approvals },
    });
    if (!moved)
      return tell(client, interaction, 'The rule changed meanwhile: look again.', deps.logger);
    await auditAction(deps, record.finding.id, actor, 'action.approved', {
      action: 'suppression',
      approvals: approvals.length,
      required,
    });
    if (!ready) {
      return tell(
        client,
        interaction,
        `Approval recorded: ${required - approvals.length} more approver needed.`,
        deps.logger
      );
    }
    const problem = await enqueueOrUndo(
      deps,
      jobFor('suppression-create', record.finding.id, actor, interaction),
      { area: SUPPRESSION, from: ['create-requested'], to: { ...state, status: 'proposed' } }
    );
    if (problem !== undefined) await tell(client, interaction, problem, deps.logger);
  });

  app.action(SUPPRESSION_ACTION_IDS.cancel, async ({ ack, body, client }) => {
    await ack();
    const interaction = interactionOf(body);
    const checked = await checkCardAction(deps, interaction, 'suppression_cancel', 'dismiss');
    if (!checked.ok) return tell(client, interaction, checked.message, deps.logger);
    const { record, actor } = checked;
    const moved = await deps.store.transitionAction(record.finding.id, SUPPRESSION, {
      from: ['proposed'],
      to: {
        ...record.actions[SUPPRESSION],
        status: 'cancelled',
        at: deps.clock.now().toISOString(),
        by: actor,
      },
    });
    await tell(
      client,
      interaction,
      moved ? 'Suppression rule cancelled: nothing was created.' : 'Nothing to cancel.',
      deps.logger
    );
    if (moved) await auditAction(deps, record.finding.id, actor, 'suppression.cancelled', {});
  });

  app.action(SUPPRESSION_DELETE_ACTION_PATTERN, async ({ ack, body, client }) => {
    await ack();
    const interaction = interactionOf(body);
    const filterName = interaction.value ?? '';
    const decision = await deps.authorizer.check({
      permission: 'dismiss',
      userId: interaction.userId,
      ...(interaction.teamId === undefined ? {} : { teamId: interaction.teamId }),
      ...(interaction.userTeamId === undefined ? {} : { userTeamId: interaction.userTeamId }),
      ...(interaction.channelId === undefined ? {} : { channelId: interaction.channelId }),
    });
    if (!decision.allowed)
      return tell(client, interaction, `:no_entry: ${decision.reason}`, deps.logger);
    const problem = await enqueue(
      'suppression-delete',
      undefined,
      { userId: interaction.userId, userName: decision.userName },
      interaction,
      { filterName }
    );
    if (problem !== undefined) await tell(client, interaction, problem, deps.logger);
  });

  app.action('report', async ({ ack, body, client }) => {
    await ack();
    const interaction = interactionOf(body);
    const checked = await checkCardAction(deps, interaction, 'report', 'investigate');
    if (!checked.ok) return tell(client, interaction, checked.message, deps.logger);
    const problem = await enqueue('report', checked.record.finding.id, checked.actor, interaction);
    if (problem !== undefined) await tell(client, interaction, problem, deps.logger);
  });
};
