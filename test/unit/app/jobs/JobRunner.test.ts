import { describe, expect, it, vi } from 'vitest';
import { type JobHandler, JobRunner, type JobRunnerDeps } from '../../../../src/app/jobs/JobRunner';
import { RetryLaterError } from '../../../../src/app/jobs/retry';
import type { Job, JobRedelivery } from '../../../../src/ports/JobQueue';
import type { Logger } from '../../../../src/ports/Logger';
import { silentLogger } from '../../../fakes/silentLogger';

const job = (overrides: Partial<Job> = {}): Job => ({
  id: 'refresh:f1:1',
  kind: 'refresh',
  findingId: 'f1',
  requestedBy: { userId: 'U0ALICE', userName: 'alice' },
  requestedAt: '2026-11-22T10:00:00.000Z',
  ...overrides,
});
const message = (id: string, body: unknown, receiveCount = 1) => ({
  messageId: id,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  receiveCount,
  receiptHandle: `receipt-${id}-${receiveCount}`,
});
/** The queue's side of redelivery: when each failed message was set to come back, in seconds. */
const recordingRedelivery = () => {
  const calls: [string, number][] = [];
  const redelivery: JobRedelivery = {
    redeliverIn: async (receiptHandle, seconds) => {
      calls.push([receiptHandle, seconds]);
    },
  };
  return { redelivery, calls };
};
const runnerWith = (
  deps: Pick<JobRunnerDeps, 'handlers'> & Partial<JobRunnerDeps>
): { runner: JobRunner; comesBackIn: [string, number][] } => {
  const { redelivery, calls } = recordingRedelivery();
  const runner = new JobRunner({
    onGiveUp: vi.fn(async () => undefined),
    logger: silentLogger,
    maxReceiveCount: 3,
    redelivery,
    ...deps,
  });
  return { runner, comesBackIn: calls };
};

describe('Class: JobRunner', () => {
  it('reports only the failed messages of a batch, so SQS redelivers just those', async () => {
    // Prepare
    const refresh = vi.fn<JobHandler>(async (queued) => {
      if (queued.findingId === 'bad') throw new Error('Slack is down');
    });
    const runner = new JobRunner({
      handlers: { refresh },
      onGiveUp: vi.fn(),
      logger: silentLogger,
      maxReceiveCount: 3,
      redelivery: recordingRedelivery().redelivery,
    });

    // Act
    const result = await runner.run([
      message('m1', job()),
      message('m2', job({ findingId: 'bad' })),
      message('m3', job({ findingId: 'f3' })),
    ]);

    // Assess
    expect(result).toStrictEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(refresh).toHaveBeenCalledTimes(3);
  });

  it('tells the handler which delivery is the last, and reports a job that gives up', async () => {
    // Prepare
    const error = new Error('still failing');
    const onGiveUp = vi.fn(async () => undefined);
    const refresh = vi.fn<JobHandler>(async () => {
      throw error;
    });
    const runner = new JobRunner({
      handlers: { refresh },
      onGiveUp,
      logger: silentLogger,
      maxReceiveCount: 3,
      redelivery: recordingRedelivery().redelivery,
    });

    // Act
    await runner.run([message('m1', job(), 2)]);
    await runner.run([message('m1', job(), 3)]);

    // Assess
    expect(refresh.mock.calls.map((call) => call[1])).toStrictEqual([
      { receiveCount: 2, final: false },
      { receiveCount: 3, final: true },
    ]);
    expect(onGiveUp).toHaveBeenCalledTimes(1);
    expect(onGiveUp).toHaveBeenCalledWith(expect.objectContaining({ id: 'refresh:f1:1' }), error);
  });

  it.each([
    ['not JSON', 'payload=%7B'],
    ['an unknown kind', { ...job(), kind: 'format-disk' }],
    ['no requester', { ...job(), requestedBy: undefined }],
    [
      'a response_url that is not a URL',
      { ...job(), reply: { responseUrl: 'javascript:alert(1)' } },
    ],
  ])('fails a message that is %s, keeping it for the dead-letter queue', async (_case, body) => {
    // Prepare
    const refresh = vi.fn<JobHandler>();
    const runner = new JobRunner({
      handlers: { refresh },
      onGiveUp: vi.fn(),
      logger: silentLogger,
      maxReceiveCount: 3,
      redelivery: recordingRedelivery().redelivery,
    });

    // Act
    const result = await runner.run([message('m1', body)]);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm1' }]);
    expect(refresh).not.toHaveBeenCalled();
  });

  describe('when a failed job comes back', () => {
    const failing = (error: unknown) =>
      vi.fn<JobHandler>(async () => {
        throw error;
      });

    it('a minute after its first delivery, five minutes after its second, at once after its last', async () => {
      // Prepare
      const onGiveUp = vi.fn(async () => undefined);
      const { runner, comesBackIn } = runnerWith({
        handlers: { refresh: failing(new Error('Slack is down')) },
        onGiveUp,
      });

      // Act
      for (const receiveCount of [1, 2, 3]) await runner.run([message('m1', job(), receiveCount)]);

      // Assess
      expect(comesBackIn).toStrictEqual([
        ['receipt-m1-1', 60],
        ['receipt-m1-2', 300],
        ['receipt-m1-3', 0],
      ]);
      expect(onGiveUp).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['a lease ending after the first retry', 95_400, 1, 98],
      ['a lease ending before the second retry', 95_400, 2, 300],
      ['a lease ending after the second retry', 400_000, 2, 402],
      ['a lease that has ended', -5_000, 1, 60],
      ['a lease end nobody could read', Number.NaN, 1, 60],
    ])(
      'not before the lease that stopped it has run out, and a margin: %s',
      async (_case, retryInMs, receiveCount, seconds) => {
        // Prepare
        const { runner, comesBackIn } = runnerWith({
          handlers: {
            isolate: failing(
              new RetryLaterError('another run holds the isolation lease', { retryInMs })
            ),
          },
        });

        // Act
        await runner.run([message('m1', job({ kind: 'isolate' }), receiveCount)]);

        // Assess
        expect(comesBackIn).toStrictEqual([[`receipt-m1-${receiveCount}`, seconds]]);
      }
    );

    it('only when it failed, and only for a delivery that can say so', async () => {
      // Prepare
      const { runner, comesBackIn } = runnerWith({
        handlers: { refresh: vi.fn<JobHandler>(async () => undefined) },
      });

      const withoutHandle = runnerWith({ handlers: { refresh: failing(new Error('down')) } });

      // Act
      const done = await runner.run([message('m1', job())]);
      const failed = await withoutHandle.runner.run([
        { messageId: 'm2', body: JSON.stringify(job()), receiveCount: 1 },
      ]);

      // Assess
      expect(done.batchItemFailures).toStrictEqual([]);
      expect(failed.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm2' }]);
      expect(comesBackIn).toStrictEqual([]);
      expect(withoutHandle.comesBackIn).toStrictEqual([]);
    });

    it('like any job when the message is no job this worker runs (a newer kind, mid-deployment)', async () => {
      // Prepare
      const { runner, comesBackIn } = runnerWith({ handlers: { refresh: vi.fn<JobHandler>() } });

      // Act
      await runner.run([message('m1', 'payload=%7B'), message('m2', job({ kind: 'isolate' }))]);
      await runner.run([message('m1', { ...job(), kind: 'format-disk' }, 3)]);

      // Assess
      expect(comesBackIn).toStrictEqual([
        ['receipt-m1-1', 60],
        ['receipt-m2-1', 60],
        ['receipt-m1-3', 0],
      ]);
    });

    it('after the visibility timeout when SQS refuses the change, the failure still reported', async () => {
      // Prepare
      const warn = vi.fn<Logger['warn']>();
      const runner = new JobRunner({
        handlers: { refresh: failing(new Error('Slack is down')) },
        onGiveUp: vi.fn(async () => undefined),
        logger: { ...silentLogger, warn },
        maxReceiveCount: 3,
        redelivery: {
          redeliverIn: async () => {
            throw new Error('ReceiptHandleIsInvalid');
          },
        },
      });

      // Act
      const result = await runner.run([message('m1', job())]);

      // Assess
      expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm1' }]);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('after the visibility timeout'),
        expect.objectContaining({ messageId: 'm1', reason: 'ReceiptHandleIsInvalid' })
      );
    });
  });
});
