import {
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createSlackHandler } from '../src/composition/slackHandler';
import { loadConfig } from '../src/config';
import {
  type BenchStage,
  buttonEvent,
  findingId,
  productionLikeDynamoClient,
  slashCommandEvent,
} from './environment';
import type { tableAccess } from './seed';
import { rssSampler, type Summary, summarize } from './stats';

/** Results of the warm ack-latency scenario. */
export interface AckResult {
  requests: number;
  isolate: Summary;
  command: Summary;
  putItem: Summary;
  /** One consistent GetItem plus one TransactWriteItems of four conditional writes. */
  floor: Summary;
  peakRssBytes: number;
  /** SendMessage calls aws-sdk-client-mock captured (one per accepted Isolate tap). */
  enqueued: number;
  /** Lines the Web API client logged through `console` (set by the process that silenced them). */
  consoleLines?: number;
}

type Http = { statusCode?: number; body?: string };
const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 10_000 } as Context;

/**
 * Warm, in-process ack latency through the real `createSlackHandler` (real Bolt receiver, signed
 * requests, DynamoDB Local, the loopback Slack server for `users.info`), SQS captured by
 * aws-sdk-client-mock. Each round sends one Isolate tap on a finding never tapped before (so every
 * measured tap does the whole accepted path: read and authorize, one transaction of audit entry,
 * compare-and-set to `requested` and hourly quota, enqueue), one `/guardduty finding <id>` (read,
 * authorize, render),
 * and one conditional PutItem on a fresh key (the baseline) — interleaved, so drift hits all three.
 */
export const measureAck = async (
  stage: BenchStage,
  table: ReturnType<typeof tableAccess>,
  options: { requests: number; warmup: number }
): Promise<AckResult> => {
  const total = options.requests + options.warmup;
  const ids = Array.from({ length: total }, (_, index) => findingId('ack', index));
  await table.saveFindings(ids);

  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'bench-message' });
  const dynamo = productionLikeDynamoClient(stage.env);
  try {
    const handler = await createSlackHandler(loadConfig(stage.env));
    const call = async (event: APIGatewayProxyEventV2): Promise<number> => {
      const started = performance.now();
      const response = (await handler(event, context)) as Http;
      const elapsed = performance.now() - started;
      if (response.statusCode !== 200) {
        throw new Error(`ack: HTTP ${response.statusCode} ${String(response.body).slice(0, 200)}`);
      }
      return elapsed;
    };
    const putItem = async (index: number): Promise<number> => {
      const command = new PutItemCommand({
        TableName: stage.tableName,
        Item: { pk: { S: `BENCH#put#${index}` }, sk: { S: 'STATE' }, at: { N: String(index) } },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      const started = performance.now();
      await dynamo.send(command);
      return performance.now() - started;
    };

    /**
     * What an accepted Isolate tap needs at the least (the issue: "one read and one transactional
     * write is the floor"): read the finding, then write the audit entry, its dedupe marker, the
     * compare-and-set of the isolation state and the hourly quota in one transaction.
     */
    const floor = async (index: number): Promise<number> => {
      const pk = { S: `BENCH#floor#${index}` };
      await dynamo.send(
        new PutItemCommand({
          TableName: stage.tableName,
          Item: { pk, sk: { S: 'STATE' }, version: { N: '1' } },
        })
      );
      const started = performance.now();
      await dynamo.send(
        new GetItemCommand({
          TableName: stage.tableName,
          Key: { pk, sk: { S: 'STATE' } },
          ConsistentRead: true,
        })
      );
      await dynamo.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: stage.tableName,
                Item: { pk, sk: { S: `AUDIT#${index}` }, kind: { S: 'action.requested' } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: stage.tableName,
                Item: { pk, sk: { S: `AUDITKEY#${index}` } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: stage.tableName,
                Key: { pk, sk: { S: 'STATE' } },
                UpdateExpression: 'SET #isolation = :to ADD version :one',
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#isolation)',
                ExpressionAttributeNames: { '#isolation': 'isolation' },
                ExpressionAttributeValues: { ':to': { S: 'requested' }, ':one': { N: '1' } },
              },
            },
            {
              Update: {
                TableName: stage.tableName,
                Key: { pk: { S: 'BENCH#quota' }, sk: { S: 'HOUR' } },
                UpdateExpression: 'ADD used :one',
                ConditionExpression: 'attribute_not_exists(used) OR used < :cap',
                ExpressionAttributeValues: { ':one': { N: '1' }, ':cap': { N: '100000000' } },
              },
            },
          ],
        })
      );
      return performance.now() - started;
    };

    const floors: number[] = [];
    const isolate: number[] = [];
    const command: number[] = [];
    const puts: number[] = [];
    let sampler: ReturnType<typeof rssSampler> | undefined;
    for (const [index, id] of ids.entries()) {
      if (index === options.warmup) sampler = rssSampler();
      const measured = index >= options.warmup;
      // Requests are built (and signed) before the clock starts.
      const tap = buttonEvent(id);
      const lookup = slashCommandEvent(`finding ${id}`);
      const put = await putItem(index);
      const tapped = await call(tap);
      const looked = await call(lookup);
      const floored = await floor(index);
      if (measured) {
        floors.push(floored);
        puts.push(put);
        isolate.push(tapped);
        command.push(looked);
      }
    }
    const peakRssBytes = sampler?.stop() ?? process.memoryUsage.rss();

    // Every tap must have done the real work: the state is `requested` and the job was queued.
    const enqueued = sqs
      .commandCalls(SendMessageCommand)
      .filter((queued) => String(queued.args[0].input.MessageBody).includes('"kind":"isolate"'));
    if (enqueued.length !== total) {
      throw new Error(`ack: ${enqueued.length} isolate jobs queued for ${total} taps`);
    }
    for (const id of [ids[0], ids.at(-1)] as string[]) {
      const status = (await table.store.getFinding(id))?.actions.isolation?.status;
      if (status !== 'requested') throw new Error(`ack: isolation of ${id} is ${status}`);
    }
    return {
      requests: options.requests,
      isolate: summarize(isolate),
      command: summarize(command),
      putItem: summarize(puts),
      floor: summarize(floors),
      peakRssBytes,
      enqueued: enqueued.length,
    };
  } finally {
    sqs.restore();
    dynamo.destroy();
  }
};
