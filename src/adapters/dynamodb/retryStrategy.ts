import { StandardRetryStrategy } from '@smithy/core/retry';

type Token = Awaited<ReturnType<StandardRetryStrategy['acquireInitialRetryToken']>>;
type ErrorInfo = Parameters<StandardRetryStrategy['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's standard retries for DynamoDB, plus one error it treats as final: a single-item
 * write that meets an item an ongoing transaction holds fails with
 * `TransactionConflictException`. The bot writes a finding's item in a transaction where
 * correctness needs it (an Isolate intent, a changed digest entry), so the next version's save of
 * that finding, arriving at the same moment, would otherwise fail its delivery; it is retried
 * with the standard backoff within the same attempts.
 */
export class DynamoRetryStrategy {
  readonly mode = 'standard';
  readonly #standard: StandardRetryStrategy;

  /** `baseDelay`: the DynamoDB client's own default backoff base (25 ms, not the SDK's 50 ms). */
  public constructor(maxAttempts: number, baseDelay = 25) {
    this.#standard = new StandardRetryStrategy({ maxAttempts, baseDelay });
  }

  public acquireInitialRetryToken(scope: string): Promise<Token> {
    return this.#standard.acquireInitialRetryToken(scope);
  }

  public refreshRetryTokenForRetry(token: Token, errorInfo: ErrorInfo): Promise<Token> {
    const conflict = errorInfo.error?.name === 'TransactionConflictException';
    return this.#standard.refreshRetryTokenForRetry(
      token,
      conflict ? { ...errorInfo, errorType: 'TRANSIENT' } : errorInfo
    );
  }

  public recordSuccess(token: Token): void {
    this.#standard.recordSuccess(token);
  }
}
