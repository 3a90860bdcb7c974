import { describe, expect, it, vi } from 'vitest';
import { type JobHandler, JobRunner } from '../../../../src/app/jobs/JobRunner';
import type { Job } from '../../../../src/ports/JobQueue';
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
});

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
    });

    // Act
    const result = await runner.run([message('m1', body)]);

    // Assess
    expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm1' }]);
    expect(refresh).not.toHaveBeenCalled();
  });
});
