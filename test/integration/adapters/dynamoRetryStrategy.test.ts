import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoRetryStrategy } from '../../../src/adapters/dynamodb/retryStrategy';

/** DynamoDB's JSON error answer, as the service sends it. */
const error = (type: string, message: string) => ({
  status: 400,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message },
});
const CONFLICT = error('TransactionConflictException', 'Transaction is ongoing for the item');
const CONDITION = error('ConditionalCheckFailedException', 'The conditional request failed');

/**
 * A loopback stand-in for DynamoDB's endpoint that answers each request with the next scripted
 * answer (then success): DynamoDB Local serialises transactions, so it never answers a conflict.
 */
describe('DynamoRetryStrategy', () => {
  let answers: { status: number; body: object }[] = [];
  let requests = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests += 1;
      const answer = answers.shift() ?? { status: 200, body: {} };
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(answer.body));
    });
  });
  const client = (retryStrategy?: DynamoRetryStrategy) =>
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      ...(retryStrategy === undefined ? { maxAttempts: 5 } : { retryStrategy }),
    });
  const update = new UpdateItemCommand({
    TableName: 'bot',
    Key: { pk: { S: 'FINDING#1' }, sk: { S: 'STATE' } },
    UpdateExpression: 'SET findingCount = :c',
    ExpressionAttributeValues: { ':c': { N: '2' } },
  });

  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    requests = 0;
  });

  it('retries a write that met an item a transaction holds, which the SDK alone does not', async () => {
    // Prepare
    answers = [CONFLICT, CONFLICT];

    // Act
    const retried = await client(new DynamoRetryStrategy(5)).send(update);
    const retriedRequests = requests;
    requests = 0;
    answers = [CONFLICT];
    const plain = await client()
      .send(update)
      .catch((caught: unknown) => caught);

    // Assess
    expect(retried.$metadata.httpStatusCode).toBe(200);
    expect(retriedRequests).toBe(3);
    expect(plain).toMatchObject({ name: 'TransactionConflictException' });
    expect(requests).toBe(1);
  });

  it('gives up after its attempts, and never retries a failed condition', async () => {
    // Prepare
    answers = [CONFLICT, CONFLICT, CONFLICT];

    // Act
    const exhausted = await client(new DynamoRetryStrategy(3))
      .send(update)
      .catch((caught: unknown) => caught);
    const exhaustedRequests = requests;
    requests = 0;
    answers = [CONDITION];
    const refused = await client(new DynamoRetryStrategy(5))
      .send(update)
      .catch((caught: unknown) => caught);

    // Assess
    expect(exhausted).toMatchObject({ name: 'TransactionConflictException' });
    expect(exhaustedRequests).toBe(3);
    expect(refused).toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(requests).toBe(1);
  });
});
