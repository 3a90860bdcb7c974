import * as z from 'zod';
import { InvalidEventError } from '../domain/errors';
import type { Job, JobKind } from '../ports/JobQueue';

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

const jobSchema = z.object({
  id: z.string().min(1).max(512),
  kind: z.enum(KINDS),
  findingId: z.string().min(1).max(512).optional(),
  requestedBy: z.object({ userId: z.string().min(1).max(64), userName: z.string().max(200) }),
  requestedAt: z.string().min(1).max(64),
  reply: z
    .object({
      channel: z.string().max(64).optional(),
      threadTs: z.string().max(64).optional(),
      responseUrl: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .optional(),
      share: z.boolean().optional(),
    })
    .optional(),
  args: z.record(z.string(), z.unknown()).optional(),
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
