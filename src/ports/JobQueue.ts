import type { SlackActor } from './FindingStore';

/** The kinds of slow work the Slack path hands to the worker. */
export type JobKind =
  | 'refresh'
  | 'post'
  | 'isolate'
  | 'release'
  | 'investigate'
  | 'dismiss'
  | 'reopen'
  | 'report'
  | 'logs'
  | 'hub'
  | 'suppressions'
  | 'suppression-create'
  | 'suppression-delete';

/** Where the worker answers: the card's thread, and/or the requester's response_url. */
export interface JobReply {
  channel?: string;
  threadTs?: string;
  /** Slack's response_url (30 minutes, 5 uses). Never logged. */
  responseUrl?: string;
  /** Post the answer in the channel instead of only to the requester. */
  share?: boolean;
}

/** One unit of work, as queued. `id` is its idempotency key: the same id is the same request. */
export interface Job {
  id: string;
  kind: JobKind;
  findingId?: string;
  requestedBy: SlackActor;
  requestedAt: string;
  reply?: JobReply;
  /** Kind-specific arguments (small, JSON). */
  args?: Record<string, unknown>;
}

/** SQS holds a message back for at most 15 minutes. */
export const MAX_DELAY_SECONDS = 900;

/** SQS's delay for work due in `ms`: whole seconds, at least one, at most {@link MAX_DELAY_SECONDS}. */
export const delaySecondsFor = (ms: number): number =>
  Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(ms / 1000)));

/** Who the bot's own jobs (a deferred card edit or post) are queued by, in the job and the logs. */
export const SYSTEM_ACTOR = { userId: 'system', userName: 'guardduty-bot' } as const;

/** Hands work to the worker (SQS in production). */
export interface JobQueue {
  /**
   * Queues a job. `delaySeconds` (0 to {@link MAX_DELAY_SECONDS}, rounded up) keeps it from the
   * worker until then: a deferred card edit is queued for the moment its edit window opens.
   */
  enqueue(job: Job, options?: { delaySeconds?: number }): Promise<void>;
}

/**
 * Brings a job the worker failed back sooner than the work queue's visibility timeout (six times
 * the worker's timeout), or at once when it goes to the dead-letter queue (SQS ChangeMessageVisibility).
 */
export interface JobRedelivery {
  /** Makes the received message `receiptHandle` visible to the worker again in `seconds`. */
  redeliverIn(receiptHandle: string, seconds: number): Promise<void>;
}
