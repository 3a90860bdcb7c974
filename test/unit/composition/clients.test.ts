import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  createSsmClient,
  createWorkQueue,
} from '../../../src/composition/clients';
import { loadConfig } from '../../../src/config';
import { MINIMAL_ENV } from '../../support/minimalEnv';

const sqs = mockClient(SQSClient);

const hasSdkLogging = (client: { middlewareStack: { identify(): string[] } }): boolean =>
  client.middlewareStack.identify().some((entry) => entry.startsWith('loggerMiddleware'));

describe('Functions: createDynamoClient, createSsmClient, createWorkQueue', () => {
  afterEach(() => sqs.reset());

  it("builds the request-path AWS clients without the SDK's logger middleware", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const queue = createWorkQueue(
      loadConfig({
        ...MINIMAL_ENV,
        QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/work',
        AWS_REGION: 'us-east-1',
      })
    );

    // Act
    const dynamo = createDynamoClient();
    const ssm = createSsmClient();
    await queue.enqueue({
      id: 'refresh:f1:1',
      kind: 'refresh',
      findingId: 'f1',
      requestedBy: { userId: 'U1', userName: 'alice' },
      requestedAt: '2026-11-23T06:00:00.000Z',
    });
    const work = sqs.send.firstCall.thisValue as SQSClient;

    // Assess
    expect(hasSdkLogging(new DynamoDBClient({}))).toBe(true);
    expect(hasSdkLogging(dynamo)).toBe(false);
    expect(hasSdkLogging(ssm)).toBe(false);
    expect(hasSdkLogging(work)).toBe(false);
  });
});
