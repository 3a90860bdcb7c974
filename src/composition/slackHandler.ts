import type { Logger } from '@aws-lambda-powertools/logger';
import { App, AwsLambdaReceiver, type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DynamoFindingStore } from '../adapters/dynamodb/DynamoFindingStore';
import { resolveSecret } from '../adapters/ssm/resolveSecret';
import { type Config, loadConfig } from '../config';
import type { FindingStore } from '../ports/FindingStore';
import { messageLink } from '../ports/SlackGateway';
import { renderFindingLookup } from '../slack/cards/findingLookup';
import { helpText } from '../slack/commands/helpText';
import { parseCommand } from '../slack/commands/parseCommand';
import { escapeMrkdwn } from '../slack/mrkdwn';
import { refusalReason } from '../slack/requestPolicy';
import { createDynamoClient, createLogger, createSsmClient } from './clients';

/** The Lambda handler shape Bolt's receiver produces (two arguments: Lambda rejects callbacks). */
export type SlackHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** Bolt logs through our structured logger. */
const boltLogger = (logger: Logger): BoltLogger => ({
  debug: (...messages) => logger.debug(messages.map(String).join(' ')),
  info: (...messages) => logger.info(messages.map(String).join(' ')),
  warn: (...messages) => logger.warn(messages.map(String).join(' ')),
  error: (...messages) => logger.error(messages.map(String).join(' ')),
  setLevel: () => undefined,
  getLevel: () => LogLevel.INFO,
  setName: () => undefined,
});

/**
 * Answers `/guardduty finding <id>` from the store: the finding's current state, ephemeral,
 * with a link to its card or to the digest that gathered it. Never posts a second card.
 */
const findingAnswer = async (store: FindingStore, findingId: string) => {
  const record = await store.getFinding(findingId);
  if (!record) {
    return {
      text: `No finding \`${escapeMrkdwn(findingId)}\` has been received by this bot.`,
    };
  }
  const placement = record.placement;
  const cardKey =
    placement?.kind === 'digest' ? placement.digestKey : `FINDING#${record.finding.id}`;
  const card =
    placement === undefined || placement.kind === 'record-only'
      ? undefined
      : await store.getCard(cardKey);
  const link = card?.ts === undefined ? undefined : messageLink(card.channel, card.ts);
  return renderFindingLookup(record.finding, {
    ...(link === undefined ? {} : { cardLink: link }),
    inDigest: placement?.kind === 'digest',
  });
};

/**
 * Wires the Slack request path: Bolt's `AwsLambdaReceiver` (signature verification on, 5-minute
 * replay window), the `/guardduty` command, and an error handler that never turns an error after
 * the acknowledgement into a Slack error. Only DynamoDB is touched here: nothing slow.
 */
export const createSlackHandler = async (
  config: Config = loadConfig(),
  logger: Logger = createLogger(config)
): Promise<SlackHandler> => {
  const [token, signingSecret] = await Promise.all([
    resolveSecret(config.slack.botToken, 'SLACK_BOT_TOKEN', createSsmClient),
    resolveSecret(config.slack.signingSecret, 'SLACK_SIGNING_SECRET', createSsmClient),
  ]);
  const store = new DynamoFindingStore({
    client: createDynamoClient(),
    tableName: config.tableName,
  });
  const receiver = new AwsLambdaReceiver({
    signingSecret,
    logger: boltLogger(logger),
    invalidRequestSignatureHandler: ({ ts }) =>
      logger.warn('refused a request with an invalid or stale signature', {
        requestTimestamp: ts,
      }),
  });
  const app = new App({
    token,
    receiver,
    botId: config.slack.botId,
    botUserId: config.slack.botUserId,
    logger: boltLogger(logger),
    convoStore: false,
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      timeout: config.slack.timeoutMs,
      retryConfig: { retries: 1 },
    },
  });
  app.command('/guardduty', async ({ command, ack }) => {
    const refusal = refusalReason(config.slack, {
      teamId: command.team_id,
      channelId: command.channel_id,
    });
    if (refusal !== undefined) {
      logger.warn('refused a command', { userId: command.user_id, channelId: command.channel_id });
      await ack({ response_type: 'ephemeral', text: refusal });
      return;
    }
    const parsed = parseCommand(command.text);
    if (parsed.kind === 'finding') {
      try {
        await ack({
          response_type: 'ephemeral',
          ...(await findingAnswer(store, parsed.findingId)),
        });
      } catch (error) {
        logger.error('finding lookup failed', { reason: (error as Error).message });
        await ack({
          response_type: 'ephemeral',
          text: 'The finding could not be read right now. Try again in a moment.',
        });
      }
      return;
    }
    await ack({
      response_type: 'ephemeral',
      text: helpText(parsed.kind === 'usage' ? parsed.problem : undefined),
    });
  });

  app.error(async (error) => {
    logger.error('a Slack listener failed', { code: error.code, reason: error.message });
  });

  return receiver.toHandler() as SlackHandler;
};
