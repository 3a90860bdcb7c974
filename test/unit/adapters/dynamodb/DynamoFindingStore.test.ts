import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoFindingStore } from '../../../../src/adapters/dynamodb/DynamoFindingStore';
import { StoreError } from '../../../../src/domain/errors';

// Transaction conflicts cannot be provoked in DynamoDB Local (it runs transactions one at a time),
// so this file mocks the document client; everything else about the store runs on DynamoDB Local
// (test/integration/adapters/DynamoFindingStore.test.ts).
const db = mockClient(DynamoDBDocumentClient);

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const store = () =>
  new DynamoFindingStore({ client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 't' });

const digestInput = {
  digestKey: 'DIGEST#C0INCIDENTS#2026-11-23T01:00',
  channel: 'C0INCIDENTS',
  minuteStart: '2026-11-23T01:00:00.000Z',
  item: {
    findingId: 'f1',
    type: 'Recon:EC2/PortProbeUnprotectedPort',
    severity: 2,
    resource: 'i-0a1b2c3d4e5f60718 (web-01)',
    title: 'Unprotected port on EC2 instance is being probed',
  },
  from: { updatedAt: '2026-11-23T00:59:00.000Z', count: 3 },
};

const intentInput = {
  findingId: 'f1',
  area: 'isolation',
  from: [null],
  to: { status: 'requested', at: '2026-11-23T01:00:00.000Z' },
  audit: {
    at: '2026-11-23T01:00:00.000Z',
    kind: 'action.requested',
    actor: 'U0ALICE',
    dedupeKey: 'tap-1',
    result: 'ok',
  },
  quota: { name: 'isolation', bucket: '2026-11-23T01', cap: 10 },
};

describe('Class: DynamoFindingStore (transaction conflicts)', () => {
  afterEach(() => {
    db.reset();
  });

  it('retries a digest entry cancelled by a conflicting transaction, then writes it', async () => {
    // Prepare
    db.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});

    // Act
    const changed = await store().addToDigest(digestInput);

    // Assess
    expect(changed).toBe(true);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('fails with a StoreError naming the conflict when it outlasts the retries', async () => {
    // Prepare
    db.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));

    // Act
    const failure = await store()
      .addToDigest(digestInput)
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as Error).message).toBe('adding to the digest failed: conflicting writes');
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });

  it('answers a conflicting Isolate request as not recorded, so the step-by-step path runs', async () => {
    // Prepare
    db.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'TransactionConflict', 'None'));

    // Act
    const recorded = await store().recordIntent(intentInput);

    // Assess
    expect(recorded).toBe(false);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });

  it('does not retry a failed condition', async () => {
    // Prepare
    db.on(TransactWriteCommand).rejects(
      cancelled('None', 'None', 'ConditionalCheckFailed', 'None')
    );

    // Act
    const recorded = await store().recordIntent(intentInput);

    // Assess
    expect(recorded).toBe(false);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('surfaces any other failure as a StoreError at once', async () => {
    // Prepare
    db.on(TransactWriteCommand).rejects(
      Object.assign(new Error('Throughput exceeds the current capacity'), {
        name: 'ProvisionedThroughputExceededException',
      })
    );

    // Act
    const failure = await store()
      .appendAudit('f1', intentInput.audit)
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as Error).message).toBe('appending to the audit stream failed');
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
