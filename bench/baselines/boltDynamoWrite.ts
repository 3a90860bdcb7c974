import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { minimalBoltApp } from './boltApp';

/**
 * Baseline 3 (context, not a target): the minimal Bolt app whose one action listener writes one
 * item to DynamoDB before it acknowledges, bundled with the production esbuild settings. Every
 * request of the slack function records something (an audit entry at least) before it answers,
 * so this is the floor for "answer the first request" with the AWS SDK v3 in the bundle: its
 * load, its first-call setup (credentials, endpoint rules, signing) and one round trip.
 */
const { app, receiver } = minimalBoltApp();

const dynamo = new DynamoDBClient({ maxAttempts: 5 });

app.action('isolate', async ({ ack, body }) => {
  await dynamo.send(
    new PutItemCommand({
      TableName: process.env.TABLE_NAME ?? '',
      Item: { pk: { S: `BASELINE#${body.user.id}` }, sk: { S: String(Date.now()) } },
    })
  );
  await ack();
});

/** The two-argument Lambda handler (HTTP API v2 event, context). */
export const handler = receiver.toHandler();
