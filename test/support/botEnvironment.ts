import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createTable, localDynamoClientConfig } from './dynamoLocal';
import { SlackServer, type SlackServerOptions } from './SlackServer';
import { TEST_SLACK_IDS } from './signedRequest';

/** The signing secret every signed test request uses. */
export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
/** The bot token the loopback Slack server accepts. */
export const TEST_BOT_TOKEN = 'xoxb-test-token';

/** The work queue's URL in tests (SQS itself is captured with aws-sdk-client-mock). */
export const TEST_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/guardduty-bot-work';

/** The workspace's members in tests: two approvers, a read-only responder, someone on no list. */
export const TEST_USERS = {
  U0ALICE: 'alice',
  U0BOB: 'bob',
  U0READER: 'reader',
  U0MALLORY: 'mallory',
} as const;

/** Everything the bot runs against offline: DynamoDB Local (one fresh table) and the Slack server. */
export interface BotEnvironment {
  /** The configuration variables the bot reads (pass to `loadConfig`). */
  env: Record<string, string>;
  tableName: string;
  slack: SlackServer;
  dynamo: DynamoDBClient;
  /** Every item in the table (for "nothing lost" / "nothing written" checks). */
  scanItems(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Creates a fresh table in the given DynamoDB Local, starts a Slack server, and points the AWS
 * SDK at DynamoDB Local through its own `AWS_ENDPOINT_URL_DYNAMODB` variable.
 */
export const startBotEnvironment = async (
  dynamoEndpoint: string,
  options: { env?: Record<string, string>; slack?: SlackServerOptions } = {}
): Promise<BotEnvironment> => {
  const tableName = `bot-${randomUUID()}`;
  await createTable(dynamoEndpoint, tableName);
  const slack = new SlackServer({ token: TEST_BOT_TOKEN, ...options.slack });
  await slack.start();
  for (const [id, name] of Object.entries(TEST_USERS)) slack.setUser(id, { name });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  const dynamo = new DynamoDBClient(localDynamoClientConfig(dynamoEndpoint));
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_BOT_ID: TEST_SLACK_IDS.botId,
    SLACK_BOT_USER_ID: TEST_SLACK_IDS.botUserId,
    SLACK_CHANNEL_ID: TEST_SLACK_IDS.channelId,
    SLACK_API_URL: slack.apiUrl,
    SLACK_RETRIES: '2',
    SLACK_TIMEOUT_MS: '5000',
    TABLE_NAME: tableName,
    QUEUE_URL: TEST_QUEUE_URL,
    APPROVERS: 'U0ALICE,U0BOB',
    READ_ONLY_USERS: 'U0READER',
    CARD_UPDATE_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'ERROR',
    ...options.env,
  };
  return {
    env,
    tableName,
    slack,
    dynamo,
    scanItems: async () => {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, never> | undefined;
      do {
        const page = await dynamo.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey })
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (startKey !== undefined);
      return items;
    },
    close: async () => {
      dynamo.destroy();
      await slack.stop();
    },
  };
};
