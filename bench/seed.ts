import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoFindingStore } from '../src/adapters/dynamodb/DynamoFindingStore';
import { loadConfig } from '../src/config';
import { parseEvent } from '../src/events/parseEvent';
import { awsEnv, type BenchStage, findingEvent, findingId } from './environment';
import type { SqsSendMessageServer } from './sqsServer';

/** Runs `task` for every item with at most `concurrency` at a time. */
export const forEachConcurrently = async <T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>
): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
};

/**
 * Points this process's AWS SDK at DynamoDB Local (and the SQS stand-in, when given) the way the
 * functions find them (the SDK's own variables), with fake credentials: what
 * `startBotEnvironment` does for the tests.
 */
export const useLocalAws = (dynamoEndpoint: string, sqs?: SqsSendMessageServer): void => {
  Object.assign(process.env, awsEnv(dynamoEndpoint, sqs));
};

/** Direct access to a stage's table: the store the functions use, and a raw client. */
export const tableAccess = (stage: BenchStage) => {
  const config = loadConfig(stage.env);
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stage.env.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const store = new DynamoFindingStore({ client, tableName: stage.tableName });
  return {
    client,
    store,
    /** Records findings (no Slack) as notify's first step would, `concurrency` at a time. */
    saveFindings: async (ids: readonly string[], concurrency = 10): Promise<void> => {
      await forEachConcurrently(ids, concurrency, async (id) => {
        const parsed = parseEvent(findingEvent(id), { skipSecurityHubGuardDuty: true });
        if (parsed.kind !== 'finding') throw new Error(`fixture for ${id} did not parse`);
        await store.saveFinding({
          finding: parsed.finding,
          channel: config.defaultChannel,
          now: new Date(),
        });
      });
    },
    /** Bumps a finding's version without rendering it, so that its card has something to show. */
    bumpVersion: async (findingId: string): Promise<void> => {
      await client.send(
        new UpdateItemCommand({
          TableName: stage.tableName,
          Key: { pk: { S: `FINDING#${findingId}` }, sk: { S: 'STATE' } },
          UpdateExpression: 'ADD version :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        })
      );
    },
    close: (): void => client.destroy(),
  };
};

/**
 * Makes the requests every scenario is made of on `count` scratch findings at concurrency 10 (a
 * conditional save returning the record, an audit entry with and without its marker, a read), so
 * that DynamoDB Local's JIT has compiled its hot paths before anything is measured. On a fresh
 * DynamoDB Local the bare PutItem rate roughly triples over the first 6,000 requests: a baseline
 * measured while it warms up would flatter every ratio against it.
 */
export const warmDynamo = async (stage: BenchStage, count: number): Promise<void> => {
  const access = tableAccess(stage);
  const entry = (index: number, kind: string) => ({
    at: new Date(1_700_000_000_000 + index).toISOString(),
    kind,
    actor: 'system',
    dedupeKey: String(index),
    result: 'ok',
  });
  try {
    const ids = Array.from({ length: count }, (_, index) => findingId('warmup', index));
    await access.saveFindings(ids);
    await forEachConcurrently(ids, 10, async (id, index) => {
      await access.store.appendAudit(id, entry(index, 'warmup.once'), { once: true });
      await access.store.appendAudit(id, entry(index, 'warmup.marked'));
      await access.store.getFinding(id);
    });
  } finally {
    access.close();
  }
};
