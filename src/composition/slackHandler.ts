import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { App, AwsLambdaReceiver, type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DynamoFindingStore } from '../adapters/dynamodb/DynamoFindingStore';
import { WebApiSlackDirectory } from '../adapters/slack/WebApiSlackDirectory';
import { resolveSecret } from '../adapters/ssm/resolveSecret';
import { Authorizer } from '../app/authorization/Authorizer';
import { type Config, loadConfig } from '../config';
import { systemClock } from '../ports/Clock';
import { registerCommandListener } from '../slack/listeners/commandListener';
import { registerDismissalListeners } from '../slack/listeners/dismissalListeners';
import {
  queuedCommands,
  registerInvestigationListeners,
} from '../slack/listeners/investigationListeners';
import { registerIsolationListeners } from '../slack/listeners/isolationListeners';
import {
  coreLogger,
  createDynamoClient,
  createLogger,
  createSsmClient,
  createWorkQueue,
  onFirstUse,
  slackTransport,
} from './clients';

/** Per-call timeout of Slack calls on the ack path (Slack gives the whole request 3 s). */
const ACK_PATH_SLACK_TIMEOUT_MS = 1500;

/** The Lambda handler shape Bolt's receiver produces (two arguments: Lambda rejects callbacks). */
export type SlackHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/**
 * Bolt logs through our structured logger, except its debug output: Bolt's receiver logs the whole
 * request there (response_url, trigger_id, the verification token), which must never be logged.
 */
const boltLogger = (logger: Logger): BoltLogger => ({
  debug: () => undefined,
  info: (...messages) => logger.info(messages.map(String).join(' ')),
  warn: (...messages) => logger.warn(messages.map(String).join(' ')),
  error: (...messages) => logger.error(messages.map(String).join(' ')),
  setLevel: () => undefined,
  getLevel: () => LogLevel.INFO,
  setName: () => undefined,
});

/**
 * Wires the Slack request path: Bolt's `AwsLambdaReceiver` (signature verification on, 5-minute
 * replay window), the `/guardduty` command, and an error handler that never turns an error after
 * the acknowledgement into a Slack error. Only DynamoDB is touched here: nothing slow.
 */
export const createSlackHandler = async (
  config: Config = loadConfig(),
  logger: Logger = createLogger(config)
): Promise<SlackHandler> => {
  // Both secrets through one SSM client, built only if one of them is a parameter.
  const ssm = onFirstUse(createSsmClient);
  const [token, signingSecret] = await Promise.all([
    resolveSecret(config.slack.botToken, 'SLACK_BOT_TOKEN', ssm),
    resolveSecret(config.slack.signingSecret, 'SLACK_SIGNING_SECRET', ssm),
  ]);
  const core = coreLogger(logger);
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
    // The ack path has 3 seconds in all: Slack calls made here (users.info, user groups,
    // views.open, ephemeral answers) fail fast instead of retrying or waiting out a 429.
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      timeout: ACK_PATH_SLACK_TIMEOUT_MS,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      fetch: slackTransport(),
    },
  });
  const listenerDeps = {
    store,
    queue: createWorkQueue(config),
    authorizer: new Authorizer({
      directory: new WebApiSlackDirectory({ client: app.client }),
      policy: {
        approvers: config.actions.approvers,
        dismissApprovers: config.actions.dismissApprovers,
        readOnlyUsers: config.actions.readOnlyUsers,
        readOnlyMode: config.actions.readOnlyMode,
        ...(config.slack.teamId === undefined ? {} : { teamId: config.slack.teamId }),
        ...(config.slack.allowedChannels === undefined
          ? {}
          : { allowedChannels: config.slack.allowedChannels }),
      },
      logger: core,
    }),
    clock: systemClock,
    logger: core,
    newId: randomUUID,
    options: {
      approvalExpiryMs: config.actions.approvalExpiryMs,
      isolationsPerHour: config.actions.isolationsPerHour,
      ...(config.actions.twoPersonMinSeverity === undefined
        ? {}
        : { twoPersonMinSeverity: config.actions.twoPersonMinSeverity }),
    },
  };
  registerIsolationListeners(app, listenerDeps);
  registerInvestigationListeners(app, listenerDeps);
  registerDismissalListeners(app, listenerDeps);

  registerCommandListener(app, listenerDeps, [queuedCommands(listenerDeps)]);

  app.error(async (error) => {
    logger.error('a Slack listener failed', { code: error.code, reason: error.message });
  });

  return receiver.toHandler() as SlackHandler;
};
