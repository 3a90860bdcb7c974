import { parseJob } from '../../events/parseJob';
import type { Job, JobKind, JobRedelivery } from '../../ports/JobQueue';
import type { Logger } from '../../ports/Logger';
import { retryDelaySeconds } from './retry';

/** One queued message as the worker receives it. */
export interface QueuedMessage {
  messageId: string;
  body: string;
  /** How many times SQS has delivered it (ApproximateReceiveCount). */
  receiveCount: number;
  /** The handle this delivery can change the message's visibility with. */
  receiptHandle?: string;
}

/** Runs one job; throws to have it redelivered. Must be idempotent. */
export type JobHandler = (
  job: Job,
  attempt: { receiveCount: number; final: boolean }
) => Promise<void>;

/** Collaborators of {@link JobRunner}. */
export interface JobRunnerDeps {
  handlers: Partial<Record<JobKind, JobHandler>>;
  /** Called when a job fails on its last delivery, before it moves to the dead-letter queue. */
  onGiveUp: (job: Job, error: unknown) => Promise<void>;
  logger: Logger;
  /** The queue's maxReceiveCount: the delivery with this count is the last. */
  maxReceiveCount: number;
  /** Sets when a failed job comes back (SQS). */
  redelivery: JobRedelivery;
}

/**
 * Runs a batch of queued jobs independently and reports the failed ones, so SQS redelivers only
 * those (partial batch failures), each when `retryDelaySeconds` says (a message that is no job
 * too). A job failing on its last delivery is handed to `onGiveUp` first, so the card can say the
 * job went to the dead-letter queue, and goes there at once.
 */
export class JobRunner {
  readonly #deps: JobRunnerDeps;

  public constructor(deps: JobRunnerDeps) {
    this.#deps = deps;
  }

  public async run(
    messages: readonly QueuedMessage[]
  ): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
    const failures: { itemIdentifier: string }[] = [];
    for (const message of messages) {
      if (!(await this.#runOne(message))) failures.push({ itemIdentifier: message.messageId });
    }
    return { batchItemFailures: failures };
  }

  async #runOne(message: QueuedMessage): Promise<boolean> {
    const { logger, handlers } = this.#deps;
    const final = this.#isLast(message);
    let job: Job;
    try {
      job = parseJob(message.body);
    } catch (error) {
      // Kept for inspection: it fails every delivery and ends in the dead-letter queue. Retried
      // like any job: a kind this worker does not know yet may come from a newer slack function
      // during a deployment.
      logger.error('rejected a malformed job message', {
        messageId: message.messageId,
        reason: (error as Error).message,
      });
      await this.#redeliverIn(message, this.#comesBackIn(message, error));
      return false;
    }
    const handler = handlers[job.kind];
    if (!handler) {
      logger.error('no handler for this job kind', { jobId: job.id, kind: job.kind });
      await this.#redeliverIn(message, this.#comesBackIn(message, undefined));
      return false;
    }
    try {
      await handler(job, { receiveCount: message.receiveCount, final });
      logger.info('job done', { jobId: job.id, kind: job.kind, findingId: job.findingId });
      return true;
    } catch (error) {
      const retryInSeconds = this.#comesBackIn(message, error);
      logger.error('job failed', {
        jobId: job.id,
        kind: job.kind,
        findingId: job.findingId,
        receiveCount: message.receiveCount,
        code: (error as { code?: string }).code,
        reason: (error as Error).message,
        ...(final ? { toDeadLetterQueue: true } : { retryInSeconds }),
      });
      if (final) {
        await this.#deps.onGiveUp(job, error).catch((giveUpError: unknown) =>
          logger.error('could not report a job that gave up', {
            jobId: job.id,
            reason: (giveUpError as Error).message,
          })
        );
      }
      await this.#redeliverIn(message, retryInSeconds);
      return false;
    }
  }

  /** Whether this is the message's last delivery (the queue's maxReceiveCount). */
  #isLast(message: QueuedMessage): boolean {
    return message.receiveCount >= this.#deps.maxReceiveCount;
  }

  /** Seconds until SQS delivers a failed message again: 0 after its last delivery (see below). */
  #comesBackIn(message: QueuedMessage, error: unknown): number {
    return this.#isLast(message) ? 0 : retryDelaySeconds(error, message.receiveCount);
  }

  /**
   * Sets when SQS delivers a failed message again; 0 after its last delivery, so that the next
   * receive moves it to the dead-letter queue at once. If that fails, the queue's visibility
   * timeout still brings it back.
   */
  async #redeliverIn(message: QueuedMessage, seconds: number): Promise<void> {
    const { redelivery, logger } = this.#deps;
    if (message.receiptHandle === undefined) return;
    await redelivery.redeliverIn(message.receiptHandle, seconds).catch((error: unknown) =>
      logger.warn('could not set when the failed job comes back: after the visibility timeout', {
        messageId: message.messageId,
        reason: (error as Error).message,
        cause: String((error as Error).cause),
      })
    );
  }
}
