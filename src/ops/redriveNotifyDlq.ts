import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** What one redrive run did. */
export interface RedriveSummary {
  redriven: number;
  /** Messages notify failed on again: left in the queue (they reappear after the visibility timeout). */
  failed: { messageId: string; reason: string }[];
  /** Messages that were not Lambda failure records: left in the queue untouched. */
  skipped: { messageId: string; reason: string }[];
}

/** Options of {@link redriveNotifyDlq}. */
export interface RedriveOptions {
  queueUrl: string;
  /** The notify function's name or ARN. */
  functionName: string;
  /** Stop after this many messages. @default 100 */
  max?: number;
  /** List what would be redriven without invoking or deleting anything. */
  dryRun?: boolean;
  log?: (line: string) => void;
}

/**
 * Feeds the events notify gave up on back into notify. Lambda's on-failure destination wraps each
 * failed event in an invocation record (`requestPayload` is the original EventBridge event); each
 * one is re-invoked synchronously and deleted from the queue only when notify succeeds, so nothing
 * is lost if Slack is still down. Safe to run twice: notify is idempotent per finding version.
 */
export const redriveNotifyDlq = async (
  clients: { sqs: SQSClient; lambda: LambdaClient },
  options: RedriveOptions
): Promise<RedriveSummary> => {
  const max = options.max ?? 100;
  const log = options.log ?? (() => undefined);
  const summary: RedriveSummary = { redriven: 0, failed: [], skipped: [] };
  let seen = 0;
  while (seen < max) {
    const { Messages: messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max - seen),
        WaitTimeSeconds: 1,
        VisibilityTimeout: 120,
      })
    );
    if (messages.length === 0) break;
    for (const message of messages) {
      seen += 1;
      const messageId = message.MessageId ?? '?';
      const event = requestPayloadOf(message.Body);
      if (event === undefined) {
        summary.skipped.push({ messageId, reason: 'not a Lambda on-failure record' });
        continue;
      }
      const eventId = (event as { id?: unknown }).id;
      if (options.dryRun) {
        log(`would redrive ${messageId} (event ${String(eventId)})`);
        continue;
      }
      const result = await clients.lambda.send(
        new InvokeCommand({
          FunctionName: options.functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        })
      );
      if (result.FunctionError) {
        const reason = new TextDecoder().decode(result.Payload ?? new Uint8Array()).slice(0, 300);
        summary.failed.push({ messageId, reason });
        log(`notify failed again on ${messageId} (event ${String(eventId)}): ${reason}`);
        continue;
      }
      await clients.sqs.send(
        new DeleteMessageCommand({
          QueueUrl: options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
        })
      );
      summary.redriven += 1;
      log(`redriven ${messageId} (event ${String(eventId)})`);
    }
  }
  return summary;
};

const requestPayloadOf = (body: string | undefined): unknown => {
  try {
    const record = JSON.parse(body ?? '') as { requestPayload?: unknown };
    return typeof record.requestPayload === 'object' && record.requestPayload !== null
      ? record.requestPayload
      : undefined;
  } catch {
    return undefined;
  }
};
