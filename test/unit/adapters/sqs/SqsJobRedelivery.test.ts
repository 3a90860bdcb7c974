import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { RedeliveryError, SqsJobRedelivery } from '../../../../src/adapters/sqs/SqsJobRedelivery';

const sqs = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/guardduty-bot-work';
const redelivery = () => new SqsJobRedelivery({ client: new SQSClient({}), queueUrl: QUEUE_URL });

describe('Class: SqsJobRedelivery', () => {
  afterEach(() => {
    sqs.reset();
  });

  it.each([
    [60, 60],
    [95.4, 96],
    [0, 0],
    [50_000, 43_200],
  ])(
    'sets the received message to come back in %s s (visibility timeout %s: whole seconds, at most 12 hours)',
    async (seconds, sent) => {
      // Prepare
      sqs.on(ChangeMessageVisibilityCommand).resolves({});

      // Act
      await redelivery().redeliverIn('AQEB-receipt', seconds);

      // Assess
      expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toStrictEqual({
        QueueUrl: QUEUE_URL,
        ReceiptHandle: 'AQEB-receipt',
        VisibilityTimeout: sent,
      });
    }
  );

  it('wraps a refused change in a RedeliveryError that keeps the cause', async () => {
    // Prepare
    const cause = Object.assign(new Error('The receipt handle has expired'), {
      name: 'ReceiptHandleIsInvalid',
    });
    sqs.on(ChangeMessageVisibilityCommand).rejects(cause);

    // Act
    const failure = await redelivery()
      .redeliverIn('AQEB-receipt', 60)
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(RedeliveryError);
    expect((failure as Error).cause).toBe(cause);
  });
});
