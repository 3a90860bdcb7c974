import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BotError } from '../../domain/errors';
import { type Job, type JobQueue, MAX_DELAY_SECONDS } from '../../ports/JobQueue';

/** The work queue could not accept a job. */
export class EnqueueError extends BotError {
  public constructor(message: string, options?: ErrorOptions) {
    super('ENQUEUE', message, options);
    this.name = 'EnqueueError';
  }
}

/** {@link JobQueue} on a standard SQS queue (redrive to a DLQ after three receives). */
export class SqsJobQueue implements JobQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  public constructor(options: { client: SQSClient; queueUrl: string }) {
    this.#sqs = options.client;
    this.#queueUrl = options.queueUrl;
  }

  public async enqueue(job: Job, options: { delaySeconds?: number } = {}): Promise<void> {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(options.delaySeconds ?? 0)));
    try {
      await this.#sqs.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: JSON.stringify(job),
          ...(delay > 0 ? { DelaySeconds: delay } : {}),
          MessageAttributes: {
            kind: { DataType: 'String', StringValue: job.kind },
            jobId: { DataType: 'String', StringValue: job.id.slice(0, 256) },
          },
        })
      );
    } catch (error) {
      throw new EnqueueError(`could not queue the ${job.kind} job`, { cause: error });
    }
  }
}
