import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BotError } from '../../domain/errors';
import type { JobRedelivery } from '../../ports/JobQueue';

/** SQS keeps a received message invisible for at most 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** SQS would not change when a received job comes back. */
export class RedeliveryError extends BotError {
  public constructor(message: string, options?: ErrorOptions) {
    super('REDELIVERY', message, options);
    this.name = 'RedeliveryError';
  }
}

/**
 * {@link JobRedelivery} on the work queue: a received message's visibility timeout is set to
 * `seconds` from now (`ChangeMessageVisibility`), so the failed job is delivered again then
 * instead of after the queue's own timeout.
 */
export class SqsJobRedelivery implements JobRedelivery {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  public constructor(options: { client: SQSClient; queueUrl: string }) {
    this.#sqs = options.client;
    this.#queueUrl = options.queueUrl;
  }

  public async redeliverIn(receiptHandle: string, seconds: number): Promise<void> {
    try {
      await this.#sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.#queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(seconds))),
        })
      );
    } catch (error) {
      throw new RedeliveryError('could not change when the job comes back', { cause: error });
    }
  }
}
