import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { redriveNotifyDlq } from '../../../src/ops/redriveNotifyDlq';

const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/notify-dlq';
const event = { id: 'evt-1', source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding' };
const failureRecord = (payload: unknown) =>
  JSON.stringify({
    version: '1.0',
    requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload: payload,
    responsePayload: { errorType: 'SlackCallError', errorMessage: 'Slack chat.postMessage failed' },
  });

describe('Function: redriveNotifyDlq', () => {
  afterEach(() => {
    sqs.reset();
    lambda.reset();
  });

  it('re-invokes notify with the original event and deletes the message once notify succeeds', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: failureRecord(event) }],
      })
      .resolves({ Messages: [] });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });

    // Act
    const summary = await redriveNotifyDlq(
      { sqs: new SQSClient({}), lambda: new LambdaClient({}) },
      { queueUrl: QUEUE, functionName: 'guardduty-slack-responder-prod-notify' }
    );

    // Assess
    expect(summary).toStrictEqual({ redriven: 1, failed: [], skipped: [] });
    expect(lambda).toReceiveCommandWith(InvokeCommand, {
      FunctionName: 'guardduty-slack-responder-prod-notify',
      InvocationType: 'RequestResponse',
    });
    const payload = lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array;
    expect(JSON.parse(new TextDecoder().decode(payload))).toStrictEqual(event);
    expect(sqs).toReceiveCommandWith(DeleteMessageCommand, {
      QueueUrl: QUEUE,
      ReceiptHandle: 'r1',
    });
  });

  it('keeps the message when notify fails again, so nothing is lost', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: failureRecord(event) }],
      })
      .resolves({ Messages: [] });
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode(
        '{"errorMessage":"Slack is down"}'
      ) as InvokeCommandOutput['Payload'],
    });

    // Act
    const summary = await redriveNotifyDlq(
      { sqs: new SQSClient({}), lambda: new LambdaClient({}) },
      { queueUrl: QUEUE, functionName: 'notify' }
    );

    // Assess
    expect(summary.redriven).toBe(0);
    expect(summary.failed).toStrictEqual([
      { messageId: 'm1', reason: '{"errorMessage":"Slack is down"}' },
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('skips messages that are not Lambda failure records and changes nothing in a dry run', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'junk', ReceiptHandle: 'r0', Body: 'not json' },
          { MessageId: 'm1', ReceiptHandle: 'r1', Body: failureRecord(event) },
        ],
      })
      .resolves({ Messages: [] });

    // Act
    const summary = await redriveNotifyDlq(
      { sqs: new SQSClient({}), lambda: new LambdaClient({}) },
      { queueUrl: QUEUE, functionName: 'notify', dryRun: true }
    );

    // Assess
    expect(summary.skipped).toStrictEqual([
      { messageId: 'junk', reason: 'not a Lambda on-failure record' },
    ]);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });
});
