import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoIsolationStateStore } from '../../../src/adapters/dynamodb/DynamoIsolationStateStore';
import {
  emptyProgress,
  IsolationLeaseLostError,
  type IsolationRecord,
} from '../../../src/domain/isolation';
import { createTable, localDynamoClientConfig } from '../../support/dynamoLocal';

const NOW = new Date('2025-03-11T15:00:00.000Z');
const LEASE = 60_000;
const later = (ms: number) => new Date(NOW.getTime() + ms);

let counter = 0;
const findingId = () => `f-iso-${Date.now()}-${++counter}`;

const record = (id: string, overrides: Partial<IsolationRecord> = {}): IsolationRecord => {
  const enis = [
    {
      id: 'eni-0a1',
      vpcId: 'vpc-a',
      subnetId: 'subnet-1',
      groups: ['sg-web', 'sg-ssh'],
      deviceIndex: 0,
      privateIps: ['10.0.1.15'],
    },
    { id: 'eni-0b2', vpcId: 'vpc-a', groups: ['sg-db'], deviceIndex: 1, privateIps: [] },
  ];
  return {
    findingId: id,
    generation: 1,
    status: 'recording',
    instanceId: 'i-0web',
    accountId: '210987654321',
    region: 'us-west-2',
    roleArn: 'arn:aws:iam::210987654321:role/GuardDutyBotContainment',
    requestedBy: { userId: 'U0ALICE', userName: 'alice' },
    jobId: 'job-1',
    startedAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    original: {
      enis,
      volumes: [{ volumeId: 'vol-1', device: '/dev/xvda' }],
      protections: { disableApiTermination: false, disableApiStop: false },
      autoScaling: { groupName: 'web-asg', lifecycleState: 'InService' },
      loadBalancers: { targetGroups: [], classic: ['legacy-elb'], truncated: false },
      gaps: [],
    },
    progress: emptyProgress(enis),
    ...overrides,
  };
};

describe('Class: DynamoIsolationStateStore', () => {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `isolation-${Date.now()}`;
  const client = new DynamoDBClient(localDynamoClientConfig(endpoint));
  const store = new DynamoIsolationStateStore({ client, tableName });

  beforeAll(async () => {
    await createTable(endpoint, tableName);
  });
  afterAll(() => client.destroy());

  it('gives the lease to one run at a time, and to the next once it expires', async () => {
    // Prepare
    const id = findingId();

    // Act
    const first = await store.acquireLease(id, 'run-a', NOW, LEASE);
    const second = await store.acquireLease(id, 'run-b', later(1000), LEASE);
    const afterExpiry = await store.acquireLease(id, 'run-c', later(LEASE + 1), LEASE);

    // Assess
    expect(first).toEqual({ acquired: true, attempt: 1 });
    expect(second).toEqual({ acquired: false, heldUntil: later(LEASE).toISOString() });
    expect(afterExpiry).toEqual({ acquired: true, attempt: 2 });
  });

  it('lets the next run in at once when the lease is given up', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);

    // Act
    await store.releaseLease(id, 'run-other');
    const stillHeld = await store.acquireLease(id, 'run-b', NOW, LEASE);
    await store.releaseLease(id, 'run-a');
    const free = await store.acquireLease(id, 'run-b', NOW, LEASE);

    // Assess
    expect(stillHeld.acquired).toBe(false);
    expect(free.acquired).toBe(true);
  });

  it('keeps the original groups for release, and returns the record with the lease', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);

    // Act
    const created = await store.create(record(id), 'run-a', NOW, LEASE);
    await store.releaseLease(id, 'run-a');
    const lease = await store.acquireLease(id, 'run-b', NOW, LEASE);

    // Assess
    expect(created).toBe('created');
    expect(lease.acquired && lease.record).toEqual(record(id));
    expect(await store.get(id)).toEqual(record(id));
  });

  it('writes the originals once: a second create of the same generation is refused', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);
    await store.create(record(id), 'run-a', NOW, LEASE);
    const isolatedGroups = record(id);
    for (const eni of isolatedGroups.original.enis) eni.groups = ['sg-iso'];

    // Act
    const again = await store.create(isolatedGroups, 'run-a', NOW, LEASE);

    // Assess
    expect(again).toBe('conflict');
    expect((await store.get(id))?.original.enis.map((eni) => eni.groups)).toEqual([
      ['sg-web', 'sg-ssh'],
      ['sg-db'],
    ]);
  });

  it('refuses to create without the lease', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);

    // Act
    const created = await store.create(record(id), 'run-intruder', NOW, LEASE);

    // Assess
    expect(created).toBe('conflict');
    expect(await store.get(id)).toBeUndefined();
  });

  it('saves progress but never the original state, and extends the lease', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);
    await store.create(record(id), 'run-a', NOW, LEASE);
    const progressed = record(id, { status: 'isolated', completedAt: later(7000).toISOString() });
    progressed.progress.stepsDone.push('snapshots', 'isolate-enis');
    progressed.progress.enis['eni-0a1'] = {
      phase: 'isolated',
      applied: ['sg-iso'],
      cut: 'untrack-then-isolate',
    };
    progressed.progress.isolationGroups['vpc-a'] = 'sg-iso';
    progressed.original.enis[0] = {
      ...(progressed.original.enis[0] as IsolationRecord['original']['enis'][number]),
      groups: ['tampered'],
    };

    // Act
    await store.save(progressed, 'run-a', later(50_000), LEASE);
    const lease = await store.acquireLease(id, 'run-b', later(LEASE + 1), LEASE);

    // Assess
    const saved = await store.get(id);
    expect(saved?.status).toBe('isolated');
    expect(saved?.completedAt).toBe(later(7000).toISOString());
    expect(saved?.progress.enis['eni-0a1']).toEqual({
      phase: 'isolated',
      applied: ['sg-iso'],
      cut: 'untrack-then-isolate',
    });
    expect(saved?.original.enis[0]?.groups).toEqual(['sg-web', 'sg-ssh']);
    expect(lease.acquired).toBe(false);
  });

  it('refuses a save from a run that lost the lease', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);
    await store.create(record(id), 'run-a', NOW, LEASE);
    await store.acquireLease(id, 'run-b', later(LEASE + 1), LEASE);

    // Act
    const failure = await store
      .save(record(id, { status: 'isolating' }), 'run-a', later(LEASE + 2), LEASE)
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(IsolationLeaseLostError);
    expect((await store.get(id))?.status).toBe('recording');
  });

  it('starts a new generation only after a release', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);
    await store.create(record(id), 'run-a', NOW, LEASE);
    const early = await store.create(record(id, { generation: 2 }), 'run-a', NOW, LEASE);
    await store.save(
      record(id, {
        status: 'released',
        release: {
          requestedBy: { userId: 'U0BOB', userName: 'bob' },
          jobId: 'job-r',
          startedAt: NOW.toISOString(),
          completedAt: later(5000).toISOString(),
          forced: false,
          drift: [],
          stepsDone: ['restore-groups'],
          enisRestored: ['eni-0a1', 'eni-0b2'],
          enisSkipped: [],
          failures: [],
        },
      }),
      'run-a',
      NOW,
      LEASE
    );

    // Act
    const next = await store.create(
      record(id, { generation: 2, jobId: 'job-2' }),
      'run-a',
      NOW,
      LEASE
    );

    // Assess
    expect(early).toBe('conflict');
    expect(next).toBe('created');
    const saved = await store.get(id);
    expect(saved?.generation).toBe(2);
    expect(saved?.jobId).toBe('job-2');
    expect(saved?.release).toBeUndefined();
  });

  it('stores the item under FINDING#<id> / ISOLATION on the shared table', async () => {
    // Prepare
    const id = findingId();
    await store.acquireLease(id, 'run-a', NOW, LEASE);
    await store.create(record(id), 'run-a', NOW, LEASE);

    // Act
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `FINDING#${id}` }, sk: { S: 'ISOLATION' } },
      })
    );

    // Assess
    expect(Item?.status).toEqual({ S: 'recording' });
    expect(Item?.leaseOwner).toEqual({ S: 'run-a' });
  });
});
