import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../src/domain/errors';
import { parseJob } from '../../../src/events/parseJob';

const job = {
  id: 'isolate:f1:1',
  kind: 'isolate',
  findingId: 'f1',
  requestedBy: { userId: 'U0ALICE', userName: 'alice' },
  requestedAt: '2026-11-22T10:00:00.000Z',
  reply: { channel: 'C0SECOPS', threadTs: '1700000000.000100', share: true },
  args: { reason: 'contain' },
};

/** The error `parseJob` throws for `body`. */
const refusal = (body: string): InvalidEventError => {
  try {
    parseJob(body);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('parseJob accepted the message');
};

describe('parseJob', () => {
  it('returns a queued job as it was sent', () => {
    // Act
    const parsed = parseJob(JSON.stringify(job));

    // Assess
    expect(parsed).toStrictEqual(job);
  });

  it('drops keys a job does not have', () => {
    // Act
    const parsed = parseJob(JSON.stringify({ ...job, extra: 'x' }));

    // Assess
    expect(parsed).toStrictEqual(job);
  });

  it.each([
    ['not JSON', '{"id":', '', 'not JSON'],
    [
      'an unknown kind',
      JSON.stringify({ ...job, kind: 'reboot' }),
      'kind',
      'Invalid option: expected one of "refresh"|"post"|"isolate"',
    ],
    [
      'an empty id',
      JSON.stringify({ ...job, id: '' }),
      'id',
      'Too small: expected string to have >=1 characters',
    ],
    [
      'an id too long to be ours',
      JSON.stringify({ ...job, id: 'x'.repeat(513) }),
      'id',
      'Too big: expected string to have <=512 characters',
    ],
    [
      'a response URL that is not http(s)',
      JSON.stringify({ ...job, reply: { responseUrl: 'file:///etc/passwd' } }),
      'reply.responseUrl',
      'Invalid URL',
    ],
    [
      'no requester',
      JSON.stringify({ ...job, requestedBy: undefined }),
      'requestedBy',
      'Invalid input: expected object, received undefined',
    ],
  ])('refuses %s, naming the field and what is wrong', (_case, body, path, words) => {
    // Act
    const error = refusal(body);

    // Assess
    expect(error.path).toBe(path);
    expect(error.message).toContain(words);
  });
});
