import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTable, localDynamoClientConfig, startDynamoLocal } from '../../support/dynamoLocal';

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the shared DynamoDB Local', () => {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `harness-${Date.now()}`;
  const client = new DynamoDBClient(localDynamoClientConfig(endpoint));

  beforeAll(async () => {
    await createTable(endpoint, tableName);
  });
  afterAll(() => client.destroy());

  it('is a loopback endpoint', () => {
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates the table from the table definition, active and with its three indexes', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
      'byActor',
      'byResource',
      'byTime',
    ]);
  });

  it('refuses to create a table that exists already', async () => {
    await expect(createTable(endpoint, tableName)).rejects.toThrow(/exist|in use/i);
  });

  it('stores and returns an item', async () => {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: 'FINDING#abc' }, sk: { S: 'STATE' }, severity: { N: '8' } },
      })
    );
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'FINDING#abc' }, sk: { S: 'STATE' } },
        ConsistentRead: true,
      })
    );
    expect(Item).toEqual({ pk: { S: 'FINDING#abc' }, sk: { S: 'STATE' }, severity: { N: '8' } });
  });

  it('shows the same tables to clients with other credentials and regions (sharedDb)', async () => {
    const other = new DynamoDBClient({
      ...localDynamoClientConfig(endpoint),
      region: 'eu-west-1',
      credentials: { accessKeyId: 'SomeoneElse', secretAccessKey: 'x' },
    });
    try {
      const { Table } = await other.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableName).toBe(tableName);
    } finally {
      other.destroy();
    }
  });
});

describe('startDynamoLocal', () => {
  it('starts a second instance on another port and leaves no process behind when stopped', async () => {
    const second = await startDynamoLocal();
    try {
      expect(second.endpoint).not.toBe(inject('dynamoEndpoint'));
      expect(isRunning(second.pid)).toBe(true);
      await createTable(second.endpoint, 'second-instance');
    } finally {
      await second.stop();
    }
    expect(isRunning(second.pid)).toBe(false);
    await second.stop(); // stopping twice is harmless
  });

  it('refuses a port that is already taken instead of talking to its server', async () => {
    const taken = Number(new URL(inject('dynamoEndpoint')).port);
    await expect(startDynamoLocal({ port: taken })).rejects.toThrow(
      `DynamoDB Local cannot listen on port ${taken}: already in use`
    );
  });

  it('reports the output of a process that dies during start', async () => {
    await expect(startDynamoLocal({ jvmArgs: ['-Xmx1k'] })).rejects.toThrow(
      /DynamoDB Local exited early \(code 1[\s\S]*its output:[\s\S]*heap/
    );
  });

  it('dies with the process that started it, even when that process is killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynamo-watchdog-'));
    const script = join(dir, 'start.mts');
    const modulePath = fileURLToPath(new URL('../../support/dynamoLocal.ts', import.meta.url));
    await writeFile(
      script,
      [
        `import { startDynamoLocal } from ${JSON.stringify(modulePath)};`,
        'const dynamo = await startDynamoLocal();',
        'console.log(JSON.stringify({ pid: dynamo.pid }));',
        'setInterval(() => undefined, 1000);',
      ].join('\n')
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let javaPid = 0;
    try {
      for await (const line of createInterface({ input: parent.stdout })) {
        javaPid = (JSON.parse(line) as { pid: number }).pid;
        break;
      }
      expect(isRunning(javaPid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
    await expect.poll(() => isRunning(javaPid), { timeout: 5_000, interval: 100 }).toBe(false);
  });
});
