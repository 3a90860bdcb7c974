import type { Authorizer, Permission } from '../../app/authorization/Authorizer';
import type { SeverityBand } from '../../domain/Finding';
import type { Clock } from '../../ports/Clock';
import type {
  ActionState,
  AuditEntry,
  FindingRecord,
  FindingStore,
  SlackActor,
} from '../../ports/FindingStore';
import type { Job, JobQueue } from '../../ports/JobQueue';
import type { Logger } from '../../ports/Logger';

/** Everything the Slack listeners use. Only fast calls: DynamoDB, SQS, cached Slack lookups. */
export interface ListenerDeps {
  store: FindingStore;
  queue: JobQueue;
  authorizer: Authorizer;
  clock: Clock;
  logger: Logger;
  newId: () => string;
  options: {
    twoPersonMinSeverity?: SeverityBand;
    approvalExpiryMs: number;
    isolationsPerHour: number;
  };
}

/** Who clicked, where, and how to answer them: read from a block_actions or view payload. */
export interface Interaction {
  userId: string;
  teamId?: string;
  userTeamId?: string;
  channelId?: string;
  messageTs?: string;
  responseUrl?: string;
  triggerId?: string;
  /** The clicked button's value (a finding id for card buttons). */
  value?: string;
}

type Loose = Record<string, unknown> | undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Reads the interaction facts from a Slack interactivity payload, whatever its type. */
export const interactionOf = (body: unknown): Interaction => {
  const payload = (body ?? {}) as Record<string, unknown>;
  const user = payload.user as Loose;
  const team = payload.team as Loose;
  const channel = payload.channel as Loose;
  const container = payload.container as Loose;
  const message = payload.message as Loose;
  const actions = payload.actions as Loose[] | undefined;
  const first = actions?.[0];
  return {
    userId: str(user?.id) ?? '',
    teamId: str(team?.id) ?? str(user?.team_id),
    userTeamId: str(user?.team_id),
    channelId: str(channel?.id) ?? str(container?.channel_id),
    messageTs: str(message?.ts) ?? str(container?.message_ts),
    responseUrl: str(payload.response_url),
    triggerId: str(payload.trigger_id),
    value: str(first?.value) ?? str((first?.selected_option as Loose)?.value),
  };
};

/** The minimal Web API surface the listeners use to answer a user privately. */
export interface EphemeralClient {
  chat: {
    postEphemeral(args: { channel: string; user: string; text: string }): Promise<unknown>;
  };
}

/** Answers the clicking user privately; a failure to answer is logged, never thrown. */
export const tell = async (
  client: EphemeralClient,
  interaction: Interaction,
  text: string,
  logger: Logger
): Promise<void> => {
  if (interaction.channelId === undefined) return;
  try {
    await client.chat.postEphemeral({
      channel: interaction.channelId,
      user: interaction.userId,
      text,
    });
  } catch (error) {
    logger.warn('could not answer the user privately', { reason: (error as Error).message });
  }
};

/** The outcome of the common checks every card button runs first. */
export type Checked =
  | { ok: true; actor: SlackActor; record: FindingRecord }
  | { ok: false; message: string };

/**
 * Authorizes the user for `permission` and loads the finding the button names. Denials are
 * audited on the finding (when it exists) with the user and the reason.
 */
export const checkCardAction = async (
  deps: ListenerDeps,
  interaction: Interaction,
  action: string,
  permission: Permission
): Promise<Checked> => {
  const findingId = interaction.value;
  // Independent: the read hides behind the Slack lookup when the user is not cached yet.
  const [record, decision] = await Promise.all([
    findingId === undefined ? undefined : deps.store.getFinding(findingId),
    deps.authorizer.check({
      permission,
      userId: interaction.userId,
      ...(interaction.teamId === undefined ? {} : { teamId: interaction.teamId }),
      ...(interaction.userTeamId === undefined ? {} : { userTeamId: interaction.userTeamId }),
      ...(interaction.channelId === undefined ? {} : { channelId: interaction.channelId }),
    }),
  ]);
  if (!decision.allowed) {
    deps.logger.warn('refused an action', {
      action,
      userId: interaction.userId,
      reason: decision.reason,
    });
    if (record) {
      await deps.store.appendAudit(record.finding.id, {
        at: deps.clock.now().toISOString(),
        kind: 'action.denied',
        actor: interaction.userId,
        dedupeKey: deps.newId(),
        result: 'denied',
        detail: { action, reason: decision.reason, userName: decision.userName },
      });
    }
    return { ok: false, message: `:no_entry: ${decision.reason}` };
  }
  if (!record) return { ok: false, message: 'This finding is not in the bot’s records any more.' };
  return { ok: true, actor: { userId: interaction.userId, userName: decision.userName }, record };
};

/** The audit entry of a Slack user's action. */
export const actionEntry = (
  deps: ListenerDeps,
  actor: SlackActor,
  kind: string,
  detail: Record<string, unknown>
): AuditEntry => ({
  at: deps.clock.now().toISOString(),
  kind,
  actor: actor.userId,
  dedupeKey: deps.newId(),
  result: 'ok',
  detail: { userName: actor.userName, ...detail },
});

/** Appends a Slack user's action to the finding's audit stream. */
export const auditAction = (
  deps: ListenerDeps,
  findingId: string,
  actor: SlackActor,
  kind: string,
  detail: Record<string, unknown>
) => deps.store.appendAudit(findingId, actionEntry(deps, actor, kind, detail));

/** The undo of a `requested` intent whose job could not be queued: the action failed. */
export const failedToQueue = (
  deps: ListenerDeps,
  area: string,
  by: SlackActor
): { area: string; from: readonly string[]; to: ActionState } => ({
  area,
  from: ['requested'],
  to: {
    status: 'failed',
    at: deps.clock.now().toISOString(),
    by,
    reason: 'the job could not be queued',
  },
});

/**
 * Queues the job of an intent already recorded on the finding. If the queue refuses it, the intent
 * is undone (moved to `undo.to`), so a card never waits for a job that does not exist; the answer
 * for the user is returned.
 */
export const enqueueOrUndo = async (
  deps: ListenerDeps,
  job: Job,
  undo: { area: string; from: readonly string[]; to: ActionState }
): Promise<string | undefined> => {
  try {
    await deps.queue.enqueue(job);
    return undefined;
  } catch (error) {
    deps.logger.error('could not queue a job', {
      kind: job.kind,
      findingId: job.findingId,
      reason: (error as Error).message,
    });
    if (job.findingId !== undefined) {
      await deps.store.transitionAction(job.findingId, undo.area, { from: undo.from, to: undo.to });
    }
    return 'The request could not be queued, so nothing was done. Try again in a moment.';
  }
};
