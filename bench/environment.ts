import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, type DynamoLocal, startDynamoLocal } from '../test/support/dynamoLocal';
import { SlackServer, type SlackServerOptions } from '../test/support/SlackServer';
import {
  blockActionPayload,
  blockActionsBody,
  signedSlackEvent,
  slashCommandBody,
  TEST_SLACK_IDS,
} from '../test/support/signedRequest';
import { REPO_ROOT } from './esbuildSettings';
import type { SqsSendMessageServer } from './sqsServer';

/** Signing secret and bot token of every benchmark request (loopback only). */
export const BENCH_SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const BENCH_BOT_TOKEN = 'xoxb-bench-token';

/** Workspace members the loopback Slack server knows. */
const USERS = { U0ALICE: 'alice', U0BOB: 'bob' } as const;

/** The AWS variables every process gets: fake credentials, a Region, DynamoDB Local. */
export const awsEnv = (
  dynamoEndpoint: string,
  sqs?: SqsSendMessageServer
): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
  ...(sqs === undefined ? {} : { AWS_ENDPOINT_URL_SQS: sqs.endpoint }),
  // Never look for instance metadata or shared config files: nothing may leave the loopback.
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  // Local runs use Node 20; Lambda runs Node 22, where the SDK has nothing to warn about.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/** One table and one Slack server, with the bot's configuration pointing at them. */
export interface BenchStage {
  tableName: string;
  slack: SlackServer;
  /** The bot's configuration variables (for `loadConfig` and the child processes). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Creates a fresh table and starts a Slack server (optionally rate-limited), and returns the bot's
 * configuration for them. `overrides` replace any variable.
 */
export const startStage = async (
  dynamo: DynamoLocal,
  sqs: SqsSendMessageServer,
  options: { slack?: SlackServerOptions; env?: Record<string, string> } = {}
): Promise<BenchStage> => {
  const tableName = `bench-${randomUUID()}`;
  await createTable(dynamo.endpoint, tableName);
  const slack = new SlackServer({ token: BENCH_BOT_TOKEN, ...options.slack });
  await slack.start();
  for (const [id, name] of Object.entries(USERS)) slack.setUser(id, { name });
  return {
    tableName,
    slack,
    env: {
      ...awsEnv(dynamo.endpoint, sqs),
      SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
      SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
      SLACK_BOT_ID: TEST_SLACK_IDS.botId,
      SLACK_BOT_USER_ID: TEST_SLACK_IDS.botUserId,
      SLACK_CHANNEL_ID: TEST_SLACK_IDS.channelId,
      SLACK_API_URL: slack.apiUrl,
      TABLE_NAME: tableName,
      QUEUE_URL: sqs.queueUrl,
      APPROVERS: 'U0ALICE,U0BOB',
      LOG_LEVEL: 'ERROR',
      ...options.env,
    },
    close: async () => {
      await slack.stop();
    },
  };
};

/** Starts DynamoDB Local for the run, with the JIT fully on (steady-state throughput). */
export const startBenchDynamo = (): Promise<DynamoLocal> => startDynamoLocal({ jvmArgs: [] });

/** A DynamoDB client built the way production builds it (`createDynamoClient`), from `env`. */
export const productionLikeDynamoClient = (env: Record<string, string>): DynamoDBClient =>
  new DynamoDBClient({
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
    maxAttempts: 5,
  });

// ---------------------------------------------------------------------------------------------
// Events and requests
// ---------------------------------------------------------------------------------------------

type Event = Record<string, unknown> & { id: string; detail: Record<string, unknown> };
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'events');
const BRUTE_FORCE = JSON.parse(
  readFileSync(join(FIXTURES, '01-ec2-sshbruteforce.json'), 'utf8')
) as Event;

/**
 * The brute-force fixture (an EC2 finding, so Isolate applies) as a distinct finding `findingId`,
 * version `update` (0 = first publication; each update has a higher count and a later updatedAt).
 */
export const findingEvent = (
  findingId: string,
  options: { update?: number; severity?: number } = {}
): Event => {
  const event = structuredClone(BRUTE_FORCE);
  const update = options.update ?? 0;
  event.id = `${findingId}-event-${update}`;
  event.detail.id = findingId;
  if (options.severity !== undefined) event.detail.severity = options.severity;
  const service = event.detail.service as { count: number };
  service.count = 37 + update;
  event.detail.updatedAt = new Date(
    Date.parse(String(event.detail.updatedAt)) + update * 60_000
  ).toISOString();
  return event;
};

/** A 32-character finding id from a short label and a number, e.g. `ack00000000000000000000000000042`. */
export const findingId = (label: string, index: number): string =>
  `${label}${String(index).padStart(32 - label.length, '0')}`;

/** A signed `/guardduty <text>` slash command as HTTP API delivers it. */
export const slashCommandEvent = (text: string) =>
  signedSlackEvent(slashCommandBody({ text }), { secret: BENCH_SIGNING_SECRET });

/** A signed tap on a card button (`isolate` by default) of the finding `findingId`. */
export const buttonEvent = (value: string, actionId = 'isolate', userId = 'U0ALICE') =>
  signedSlackEvent(
    blockActionsBody(
      blockActionPayload({
        actionId,
        value,
        userId,
        channelId: TEST_SLACK_IDS.channelId,
        messageTs: '1731000000.000100',
      })
    ),
    { secret: BENCH_SIGNING_SECRET }
  );
