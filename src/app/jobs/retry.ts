/**
 * When the worker's failed jobs come back. Apart from the runner, so that the code throwing
 * {@link RetryLaterError} (notify's queued post among it) does not bundle the job parser.
 */

/**
 * When a failed job is delivered again, by the delivery that failed: a minute after the first, five
 * minutes after the second. A transient failure (throttling that outlasted the SDK's retries, Slack
 * down for a moment) is retried while the responder is still watching the card, and a lasting one
 * reaches the dead-letter queue, and its alarm, about six minutes after the first attempt.
 */
export const RETRY_DELAYS_SECONDS: readonly number[] = [60, 300];

/**
 * Thrown to have SQS deliver a job again later: another run holds the lease the job needs, or a
 * retryable failure. `retryInMs` is how long the job cannot succeed anyway (the other run's lease):
 * it is never retried sooner than that, nor sooner than {@link RETRY_DELAYS_SECONDS} says.
 */
export class RetryLaterError extends Error {
  public readonly code = 'RETRY_LATER';
  public readonly retryInMs: number | undefined;

  public constructor(message: string, options: { retryInMs?: number } = {}) {
    super(message);
    this.name = 'RetryLaterError';
    this.retryInMs = options.retryInMs;
  }
}

/**
 * How long after a lease's end a job waiting for it comes back: the stores take a lease only once
 * its end is past, and the clocks of two Lambda containers may differ by a little.
 */
export const LEASE_MARGIN_MS = 2_000;

/** Seconds until the next delivery of a job whose delivery `receiveCount` failed with `error`. */
export const retryDelaySeconds = (error: unknown, receiveCount: number): number => {
  const scheduled =
    RETRY_DELAYS_SECONDS[Math.min(Math.max(receiveCount, 1), RETRY_DELAYS_SECONDS.length) - 1] ?? 0;
  const busyMs = error instanceof RetryLaterError ? (error.retryInMs ?? 0) : 0;
  const leaseEnd = Number.isFinite(busyMs) && busyMs > 0 ? busyMs + LEASE_MARGIN_MS : 0;
  return Math.max(scheduled, Math.ceil(leaseEnd / 1000));
};
