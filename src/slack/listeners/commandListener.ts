import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { findingCardKey } from '../../app/CardRefresher';
import { COMMAND_STREAM } from '../../domain/actions';
import type { FindingStore } from '../../ports/FindingStore';
import { messageLink } from '../../ports/SlackGateway';
import { cardRenderer } from '../cards/cardRenderer';
import { renderFindingLookup } from '../cards/findingLookup';
import { helpText } from '../commands/helpText';
import { type GuardDutyCommand, parseCommand } from '../commands/parseCommand';
import { escapeMrkdwn } from '../mrkdwn';
import type { ListenerDeps } from './listenerKit';

/** The immediate answer to a command: shown only to the person who ran it. */
export interface Answer {
  text: string;
  blocks?: KnownBlock[];
}

/**
 * Answers `/guardduty finding <id>` from the store: the finding's current state, with a link to
 * its card or to the digest that gathered it. Never posts a second card.
 */
const findingAnswer = async (store: FindingStore, findingId: string): Promise<Answer> => {
  const record = await store.getFinding(findingId);
  if (!record) {
    return { text: `No finding \`${escapeMrkdwn(findingId)}\` has been received by this bot.` };
  }
  const placement = record.placement;
  const cardKey =
    placement?.kind === 'digest' ? placement.digestKey : findingCardKey(record.finding.id);
  const card =
    placement === undefined || placement.kind === 'record-only'
      ? undefined
      : await store.getCard(cardKey);
  const link = card?.ts === undefined ? undefined : messageLink(card.channel, card.ts);
  if (placement?.kind === 'digest') {
    // A digested finding has no card of its own: its buttons come with the answer instead.
    const full = cardRenderer.findingCard(record);
    const where = link === undefined ? 'a storm digest' : `a <${link}|storm digest>`;
    return {
      text: full.text,
      blocks: [
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `Gathered into ${where}: act on it from here.` }],
        },
        ...full.blocks,
      ],
    };
  }
  return renderFindingLookup(record.finding, link === undefined ? {} : { cardLink: link });
};

/** Extra subcommands registered by other features: each gets the parsed command and answers. */
export type CommandRoute = (
  command: GuardDutyCommand,
  context: {
    userId: string;
    userName: string;
    channelId: string;
    responseUrl: string;
    teamId: string;
    /** The command's text as typed, for the worker to parse again. */
    text: string;
  }
) => Promise<Answer | undefined>;

/**
 * Registers `/guardduty`, for approvers and read-only responders only (the buttons' policy:
 * workspace, channel, guests and external users included). Answers are private to the requester.
 */
export const registerCommandListener = (
  app: App,
  deps: ListenerDeps,
  routes: readonly CommandRoute[] = []
): void => {
  app.command('/guardduty', async ({ command, ack }) => {
    // Every command is recorded, allowed or refused: who, what, when.
    const audit = (result: string, detail: Record<string, unknown>) =>
      deps.store
        .appendAudit(COMMAND_STREAM, {
          at: deps.clock.now().toISOString(),
          kind: result === 'denied' ? 'command.denied' : 'command.received',
          actor: command.user_id,
          dedupeKey: deps.newId(),
          result,
          detail: {
            command: `/guardduty ${command.text.slice(0, 500)}`,
            channel: command.channel_id,
            ...detail,
          },
        })
        .catch((error: unknown) =>
          deps.logger.warn('could not record a command', { reason: (error as Error).message })
        );
    try {
      const decision = await deps.authorizer.check({
        permission: 'investigate',
        userId: command.user_id,
        teamId: command.team_id,
        channelId: command.channel_id,
      });
      if (!decision.allowed) {
        deps.logger.warn('refused a command', { userId: command.user_id, reason: decision.reason });
        await audit('denied', { reason: decision.reason, userName: decision.userName });
        await ack({ response_type: 'ephemeral', text: `:no_entry: ${decision.reason}` });
        return;
      }
      const parsed = parseCommand(command.text);
      await audit('ok', { kind: parsed.kind, userName: decision.userName });
      if (parsed.kind === 'help' || parsed.kind === 'usage') {
        await ack({
          response_type: 'ephemeral',
          text: helpText(parsed.kind === 'usage' ? parsed.problem : undefined),
        });
        return;
      }
      let answer: Answer | undefined;
      if (parsed.kind === 'finding') answer = await findingAnswer(deps.store, parsed.findingId);
      for (const route of routes) {
        answer ??= await route(parsed, {
          userId: command.user_id,
          userName: decision.userName,
          channelId: command.channel_id,
          responseUrl: command.response_url,
          teamId: command.team_id,
          text: command.text,
        });
      }
      await ack({
        response_type: 'ephemeral',
        ...(answer ?? {
          text: helpText(`\`${parsed.kind}\` is not available in this deployment.`),
        }),
      });
    } catch (error) {
      deps.logger.error('a command failed', { reason: (error as Error).message });
      await ack({
        response_type: 'ephemeral',
        text: 'That did not work right now. Try again in a moment.',
      });
    }
  });
};
