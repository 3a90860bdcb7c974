import * as z from 'zod/mini';
import { InvalidEventError } from '../domain/errors';
import type { Job, JobKind } from '../ports/JobQueue';
import './zodMessages';

const KINDS = [
  'refresh',
  'post',
  'isolate',
  'release',
  'investigate',
  'dismiss',
  'reopen',
  'report',
  'logs',
  'hub',
  'suppressions',
  'suppression-create',
  'suppression-delete',
] as const satisfies readonly JobKind[];

/** A string of `min` to `max` characters. */
const bounded = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
/** An optional string of at most `max` characters. */
const upTo = (max: number) => z.optional(z.string().check(z.maxLength(max)));

const jobSchema = z.object({
  id: bounded(1, 512),
  kind: z.enum(KINDS),
  findingId: z.optional(bounded(1, 512)),
  requestedBy: z.object({ userId: bounded(1, 64), userName: z.string().check(z.maxLength(200)) }),
  requestedAt: bounded(1, 64),
  reply: z.optional(
    z.object({
      channel: upTo(64),
      threadTs: upTo(64),
      responseUrl: z.optional(z.url({ protocol: /^https?$/ }).check(z.maxLength(2048))),
      share: z.optional(z.boolean()),
    })
  ),
  args: z.optional(z.record(z.string(), z.unknown())),
});

/** Validates a queued job message (the worker's edge). */
export const parseJob = (body: string): Job => {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError('', 'the job message is not JSON', { cause: error });
  }
  const result = jobSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidEventError(issue?.path.join('.') ?? '', issue?.message ?? 'malformed job');
  }
  return result.data as Job;
};
