import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type FetchFunction, WebClient } from '@slack/web-api';
import { DynamoRetryStrategy } from '../adapters/dynamodb/retryStrategy';
import { createSlackTransport } from '../adapters/slack/slackTransport';
import { WebApiSlackGateway } from '../adapters/slack/WebApiSlackGateway';
import { SqsJobQueue } from '../adapters/sqs/SqsJobQueue';
import { type Config, requireQueueUrl } from '../config';
import type { JobQueue } from '../ports/JobQueue';
import type { Logger as CoreLogger } from '../ports/Logger';

/**
 * Client factories used by the composition roots. Each client is built once per container;
 * endpoints come from the SDK's own `AWS_ENDPOINT_URL*` variables, never from custom names.
 */

/** The structured logger. Secrets, response URLs and trigger ids are never passed to it. */
export const createLogger = (config: Pick<Config, 'logLevel'>): Logger =>
  new Logger({ serviceName: 'guardduty-slack-responder', logLevel: config.logLevel });

/** The core's logging port on top of Powertools' logger. */
export const coreLogger = (logger: Logger): CoreLogger => ({
  debug: (message, extra) => logger.debug(message, (extra ?? {}) as LogAttributes),
  info: (message, extra) => logger.info(message, (extra ?? {}) as LogAttributes),
  warn: (message, extra) => logger.warn(message, (extra ?? {}) as LogAttributes),
  error: (message, extra) => logger.error(message, (extra ?? {}) as LogAttributes),
});

/**
 * Takes the SDK's logger middleware off a client. It runs every request and response through the
 * model's sensitive-data filter for the logger a client is given, and ours are given none (the
 * SDK's default discards everything): 3–10 % of each call's CPU on the request paths, spent on
 * copies nobody reads. Failures still reach our own logs through the errors the calls throw.
 */
export const withoutSdkLogging = <T extends { middlewareStack: { remove(name: string): boolean } }>(
  client: T
): T => {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
};

export const createDynamoClient = (): DynamoDBClient =>
  withoutSdkLogging(
    new DynamoDBClient({ maxAttempts: 5, retryStrategy: new DynamoRetryStrategy(5) })
  );

export const createSsmClient = (): SSMClient => withoutSdkLogging(new SSMClient({}));

/** `build`, run on the first call only: a client built on first use, then shared. */
export const onFirstUse = <T>(build: () => T): (() => T) => {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
};

/** The work queue's SQS client, built on first use: many requests (help, a new finding) never enqueue. */
export const workQueueClient = (): (() => SQSClient) =>
  onFirstUse(() => withoutSdkLogging(new SQSClient({})));

/** The work queue (QUEUE_URL): jobs from the Slack path, and card edits queued for later. */
export const createWorkQueue = (
  config: Config,
  client: () => SQSClient = workQueueClient()
): JobQueue => {
  const queueUrl = requireQueueUrl(config);
  const queue = onFirstUse(() => new SqsJobQueue({ client: client(), queueUrl }));
  return { enqueue: (job, options) => queue().enqueue(job, options) };
};

/**
 * The HTTP transport of the container's Slack calls (one keep-alive socket pool), built on first
 * use: see {@link createSlackTransport}.
 */
export const slackTransport: () => FetchFunction = onFirstUse(createSlackTransport);

/**
 * The Slack Web API client with Lambda-safe settings: a per-call timeout and a few retries that
 * honour Retry-After, instead of the library's default of ten retries over thirty minutes. With
 * `rateLimited: 'refuse'` a 429 is returned to the caller at once (still retrying 5xx), for calls
 * that have somewhere else to go instead of waiting.
 */
export const createSlackClient = (
  config: Config,
  token: string,
  options: { rateLimited?: 'wait' | 'refuse' } = {}
): WebClient =>
  new WebClient(token, {
    slackApiUrl: config.slack.apiUrl,
    timeout: config.slack.timeoutMs,
    retryConfig: { retries: config.slack.retries, factor: 2, minTimeout: 200, maxTimeout: 5000 },
    rejectRateLimitedCalls: options.rateLimited === 'refuse',
    headers: {},
    fetch: slackTransport(),
  });

/**
 * The bot's Slack gateway for notify and the worker: calls wait out a 429 within their retries,
 * except the `try…` calls, which hand it back at once (a card post that can go to the digest or
 * be queued, an edit that can be queued for later).
 */
export const createSlackGateway = (config: Config, token: string): WebApiSlackGateway =>
  new WebApiSlackGateway(createSlackClient(config, token), {
    refusingRateLimits: createSlackClient(config, token, { rateLimited: 'refuse' }),
  });
