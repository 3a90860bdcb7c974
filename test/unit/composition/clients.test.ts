import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClient, createSsmClient } from '../../../src/composition/clients';

const hasSdkLogging = (client: { middlewareStack: { identify(): string[] } }): boolean =>
  client.middlewareStack.identify().some((entry) => entry.startsWith('loggerMiddleware'));

describe('Functions: createDynamoClient, createSsmClient', () => {
  it("builds the request-path AWS clients without the SDK's logger middleware", () => {
    // Act
    const dynamo = createDynamoClient();
    const ssm = createSsmClient();

    // Assess
    expect(hasSdkLogging(new DynamoDBClient({}))).toBe(true);
    expect(hasSdkLogging(dynamo)).toBe(false);
    expect(hasSdkLogging(ssm)).toBe(false);
  });
});
