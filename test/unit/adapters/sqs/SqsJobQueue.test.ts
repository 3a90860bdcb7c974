import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EnqueueError, SqsJobQueue } from '../../../../src/adapters/sqs/SqsJobQueue';
import type { Job } from '../../../../src/ports/JobQueue';

const sqs = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/guardduty-bot-work';
const job: Job = {
  id: 'refresh:FINDING#abc:1700000005000',
  kind: 'refresh',
  findingId: 'abc',
  requestedBy: { userId: 'system', userName: 'guardduty-bot' },
  requestedAt: '2026-11-23T01:00:00.000Z',
};
const queue = () => new SqsJobQueue({ client: new SQSClient({}), queueUrl: QUEUE_URL });

describe('Class: SqsJobQueue', () => {
  afterEach(() => {
    sqs.reset();
  });

  it('sends the job as JSON with its kind and id as attributes, without a delay by default', async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });

    // Act
    await queue().enqueue(job);

    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toStrictEqual({
      QueueUrl: QUEUE_URL,
      MessageBody: JSON.stringify(job),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'refresh' },
        jobId: { DataType: 'String', StringValue: job.id },
      },
    });
  });

  it.each([
    [0.2, 1],
    [5, 5],
    [4.01, 5],
    [3600, 900],
  ])(
    'holds a job back %s s as DelaySeconds %s (whole seconds, at most 15 minutes)',
    async (delay, sent) => {
      // Prepare
      sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });

      // Act
      await queue().enqueue(job, { delaySeconds: delay });

      // Assess
      expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { DelaySeconds: sent });
    }
  );

  it('wraps a refused send in an EnqueueError that keeps the cause', async () => {
    // Prepare
    const cause = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sqs.on(SendMessageCommand).rejects(cause);

    // Act
    const failure = await queue()
      .enqueue(job)
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(EnqueueError);
    expect((failure as EnqueueError).message).toBe('could not queue the refresh job');
    expect((failure as Error).cause).toBe(cause);
  });
});
