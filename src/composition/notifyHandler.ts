import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoFindingStore } from '../adapters/dynamodb/DynamoFindingStore';
import { resolveSecret } from '../adapters/ssm/resolveSecret';
import type { NotifyResult } from '../app/FindingNotifier';
import { type Config, loadConfig } from '../config';
import { InvalidEventError } from '../domain/errors';
import { parseEvent } from '../events/parseEvent';
import {
  coreLogger,
  createDynamoClient,
  createLogger,
  createSlackGateway,
  createSsmClient,
  createWorkQueue,
} from './clients';
import { createFindingNotifier } from './notifier';

/** What the notify function returns for one event (visible in tests and async invocation records). */
export type NotifyHandlerResult =
  | { status: 'skipped'; eventId: string; reason: string }
  | ({ status: 'processed'; eventId: string } & NotifyResult);

/** The notify function's body, built once per container. */
export type NotifyHandler = (event: unknown) => Promise<NotifyHandlerResult>;

/**
 * Wires the notify path: configuration, clients, store, Slack, and the use case.
 * Malformed events are logged in one line and rethrown, so that Lambda's asynchronous retries
 * end in notify's dead-letter queue with the original event kept for inspection and re-feeding.
 */
export const createNotifyHandler = async (
  config: Config = loadConfig(),
  logger: Logger = createLogger(config)
): Promise<NotifyHandler> => {
  const token = await resolveSecret(config.slack.botToken, 'SLACK_BOT_TOKEN', createSsmClient);
  const notifier = createFindingNotifier(config, {
    store: new DynamoFindingStore({ client: createDynamoClient(), tableName: config.tableName }),
    queue: createWorkQueue(config),
    slack: createSlackGateway(config, token),
    logger: coreLogger(logger),
  });
  return async (event) => {
    let parsed: ReturnType<typeof parseEvent>;
    try {
      parsed = parseEvent(event, { skipSecurityHubGuardDuty: config.skipSecurityHubGuardDuty });
    } catch (error) {
      if (error instanceof InvalidEventError) {
        logger.error('rejected a malformed event', {
          code: error.code,
          path: error.path,
          reason: error.message,
          eventId: eventIdOf(event),
        });
      }
      throw error;
    }
    if (parsed.kind === 'skipped') {
      logger.info('skipped an event', { eventId: parsed.eventId, reason: parsed.reason });
      return { status: 'skipped', eventId: parsed.eventId, reason: parsed.reason };
    }
    const result = await notifier.notify({
      finding: parsed.finding,
      eventId: parsed.eventId,
      eventTime: parsed.eventTime,
    });
    logger.info('finding processed', { eventId: parsed.eventId, ...result });
    return { status: 'processed', eventId: parsed.eventId, ...result };
  };
};

const eventIdOf = (event: unknown): string | undefined => {
  if (typeof event !== 'object' || event === null) return undefined;
  const id = (event as { id?: unknown }).id;
  return typeof id === 'string' ? id.slice(0, 100) : undefined;
};
