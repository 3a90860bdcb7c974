import type { App } from '@slack/bolt';
import { INVESTIGATION, INVESTIGATION_REQUESTABLE, staleIntent } from '../../domain/actions';
import type { CommandRoute } from './commandListener';
import {
  auditAction,
  checkCardAction,
  enqueueOrUndo,
  failedToQueue,
  interactionOf,
  type ListenerDeps,
  tell,
} from './listenerKit';

/**
 * Registers Investigate: authorize (approvers and read-only responders), record the request with
 * a compare-and-set (a double tap queues one investigation), queue it, return. The pivots run in
 * the worker and answer in the card's thread.
 */
export const registerInvestigationListeners = (app: App, deps: ListenerDeps): void => {
  app.action('investigate', async ({ ack, body, client }) => {
    await ack();
    const interaction = interactionOf(body);
    const checked = await checkCardAction(deps, interaction, 'investigate', 'investigate');
    if (!checked.ok) {
      await tell(client, interaction, checked.message, deps.logger);
      return;
    }
    const { record, actor } = checked;
    const moved = await deps.store.transitionAction(record.finding.id, INVESTIGATION, {
      from: [
        ...INVESTIGATION_REQUESTABLE,
        ...staleIntent(record.actions[INVESTIGATION], deps.clock.now(), ['requested', 'running']),
      ],
      to: { status: 'requested', at: deps.clock.now().toISOString(), by: actor },
    });
    if (!moved) {
      await tell(
        client,
        interaction,
        'An investigation of this finding is already running.',
        deps.logger
      );
      return;
    }
    await auditAction(deps, record.finding.id, actor, 'action.requested', {
      action: 'investigate',
    });
    const problem = await enqueueOrUndo(
      deps,
      {
        id: `investigate:${record.finding.id}:${deps.newId()}`,
        kind: 'investigate',
        findingId: record.finding.id,
        requestedBy: actor,
        requestedAt: deps.clock.now().toISOString(),
        reply: {
          channel: interaction.channelId ?? record.channel,
          ...(interaction.messageTs === undefined ? {} : { threadTs: interaction.messageTs }),
        },
      },
      failedToQueue(deps, INVESTIGATION, actor)
    );
    if (problem !== undefined) await tell(client, interaction, problem, deps.logger);
  });
};

/**
 * `/guardduty logs`, `hub`, `report` and `suppressions`: acknowledged at once, run in the worker,
 * answered through the response_url (falling back to an ephemeral message once it has expired).
 */
export const queuedCommands =
  (deps: ListenerDeps): CommandRoute =>
  async (command, context) => {
    const kinds = {
      logs: 'logs',
      hub: 'hub',
      report: 'report',
      suppressions: 'suppressions',
    } as const;
    if (!(command.kind in kinds)) return undefined;
    const kind = kinds[command.kind as keyof typeof kinds];
    await deps.queue.enqueue({
      id: `${kind}:${deps.newId()}`,
      kind,
      ...(command.kind === 'report' ? { findingId: command.findingId } : {}),
      requestedBy: { userId: context.userId, userName: context.userName },
      requestedAt: deps.clock.now().toISOString(),
      reply: {
        channel: context.channelId,
        responseUrl: context.responseUrl,
        ...(command.kind === 'logs' && command.share ? { share: true } : {}),
      },
      args: { text: context.text },
    });
    const waiting = {
      logs: '🔎 Searching CloudWatch Logs…',
      hub: '🔎 Asking Security Hub…',
      report: '📄 Building the after-action report: it will be uploaded to the card’s thread.',
      suppressions: '🔕 Listing the suppression rules this bot created…',
    } as const;
    return { text: waiting[kind] };
  };
