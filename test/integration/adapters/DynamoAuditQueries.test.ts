import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoAuditQueries } from '../../../src/adapters/dynamodb/DynamoAuditQueries';
import { DynamoFindingStore } from '../../../src/adapters/dynamodb/DynamoFindingStore';
import type { Finding } from '../../../src/domain/Finding';
import type { AuditEntry } from '../../../src/ports/FindingStore';
import { createTable, localDynamoClientConfig } from '../../support/dynamoLocal';
import {
  credentialExfiltrationFinding,
  s3Finding,
  sshBruteForceFinding,
} from '../../unit/slack/cards/findings';

const WEB_01 = 'i-0a1b2c3d4e5f60718';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';

/** A finding about web-01 with its own id and update time. */
const webFinding = (id: string, updatedAt: string): Finding => ({
  ...sshBruteForceFinding(),
  id,
  updatedAt,
});

/** An IAM-user finding indexed under its long-term access key. */
const accessKeyFinding = (): Finding => ({
  ...credentialExfiltrationFinding(),
  id: 'ak000000000000000000000000000001',
  resource: { kind: 'AccessKey', accessKeyId: 'AKIAEXAMPLEUSERKEY01', userName: 'deploy-bot' },
});

const entry = (overrides: Partial<AuditEntry> & Pick<AuditEntry, 'at' | 'kind'>): AuditEntry => ({
  actor: 'system',
  dedupeKey: overrides.at,
  result: 'ok',
  ...overrides,
});

describe('Class: DynamoAuditQueries', () => {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `audit-queries-${Date.now()}`;
  const client = new DynamoDBClient(localDynamoClientConfig(endpoint));
  const store = new DynamoFindingStore({ client, tableName });
  const queries = new DynamoAuditQueries({ client, tableName });
  const paged = new DynamoAuditQueries({ client, tableName, pageSize: 1 });

  const early = webFinding('f0000000000000000000000000000001', '2025-03-10T08:00:00.000Z');
  const late = webFinding('f0000000000000000000000000000002', '2025-03-12T09:00:00.000Z');
  const keyed = accessKeyFinding();
  const bucket = s3Finding();

  beforeAll(async () => {
    await createTable(endpoint, tableName);
    await store.saveFinding({
      finding: early,
      channel: 'C1',
      now: new Date('2025-03-10T08:01:00.000Z'),
    });
    await store.saveFinding({
      finding: late,
      channel: 'C1',
      now: new Date('2025-03-12T09:01:00.000Z'),
    });
    await store.saveFinding({
      finding: keyed,
      channel: 'C2',
      now: new Date('2025-03-11T12:00:00.000Z'),
    });
    await store.saveFinding({
      finding: bucket,
      channel: 'C2',
      now: new Date('2025-03-14T00:00:00.000Z'),
    });
    const audits: [string, AuditEntry][] = [
      [early.id, entry({ at: '2025-03-10T08:01:00.000Z', kind: 'finding.received' })],
      [early.id, entry({ at: '2025-03-10T08:01:01.000Z', kind: 'card.posted' })],
      [
        early.id,
        entry({
          at: '2025-03-10T08:05:00.000Z',
          kind: 'action.requested',
          actor: ALICE,
          detail: { action: 'isolate', userName: 'alice' },
        }),
      ],
      [
        early.id,
        entry({
          at: '2025-03-10T08:06:00.000Z',
          kind: 'action.approved',
          actor: BOB,
          detail: { action: 'isolate', userName: 'bob' },
        }),
      ],
      [
        late.id,
        entry({
          at: '2025-03-12T09:10:00.000Z',
          kind: 'dismiss.completed',
          actor: ALICE,
          detail: { reason: 'duplicate' },
        }),
      ],
      [
        keyed.id,
        entry({
          at: '2025-03-11T12:30:00.000Z',
          kind: 'command.run',
          actor: ALICE,
          detail: { command: 'hub' },
        }),
      ],
    ];
    for (const [findingId, audit] of audits) await store.appendAudit(findingId, audit);
  });
  afterAll(() => client.destroy());

  describe('Method: byFinding', () => {
    it("returns the finding's stream oldest first, as listAudit does", async () => {
      // Act
      const stream = await queries.byFinding(early.id);

      // Assess
      expect(stream.map((item) => item.kind)).toStrictEqual([
        'finding.received',
        'card.posted',
        'action.requested',
        'action.approved',
      ]);
      expect(stream).toStrictEqual(await store.listAudit(early.id));
      expect(await paged.byFinding(early.id)).toStrictEqual(stream);
    });
  });

  describe('Audit immutability', () => {
    it('rejects a conditional overwrite of an existing audit item', async () => {
      // Prepare
      const key = {
        pk: { S: `FINDING#${early.id}` },
        sk: { S: 'AUDIT#2025-03-10T08:05:00.000Z#action.requested#2025-03-10T08:05:00.000Z' },
      };

      // Act
      const overwrite = client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...key, actor: { S: 'U0MALLORY' }, kind: { S: 'action.requested' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        })
      );

      // Assess
      await expect(overwrite).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })
      );
      expect(Item?.actor).toStrictEqual({ S: ALICE });
    });

    it('records a retried event once, even when the retry comes at another time', async () => {
      // Prepare
      const first = entry({
        at: '2025-03-10T09:00:00.000Z',
        kind: 'dismiss.completed',
        actor: 'U0CAROL',
        dedupeKey: 'dismiss:job-7#dismissed',
        detail: { reason: 'false_positive' },
      });

      // Act
      const outcomes = [
        await store.appendAudit(early.id, first),
        await store.appendAudit(early.id, first),
        await store.appendAudit(early.id, {
          ...first,
          at: '2025-03-10T09:00:30.000Z',
          detail: { reason: 'other' },
        }),
      ];

      // Assess
      expect(outcomes).toStrictEqual(['appended', 'duplicate', 'duplicate']);
      const dismissals = (await queries.byFinding(early.id)).filter(
        (item) => item.dedupeKey === 'dismiss:job-7#dismissed'
      );
      expect(dismissals).toStrictEqual([first]);
    });
  });

  describe('Method: byResource', () => {
    it('finds every finding recorded for an instance', async () => {
      // Act
      const records = await queries.byResource(WEB_01);

      // Assess
      expect(records.map((record) => record.finding.id)).toStrictEqual([early.id, late.id]);
      expect(records[0]).toMatchObject({ channel: 'C1', version: 1, actions: {} });
      expect(await paged.byResource(WEB_01)).toStrictEqual(records);
    });

    it("limits to a window of the findings' update times, newest first on request", async () => {
      // Act
      const inWindow = await queries.byResource(WEB_01, {
        from: '2025-03-12T00:00:00Z',
        to: '2025-03-12T09:00:00.000Z',
      });
      const newest = await queries.byResource(WEB_01, {}, { newestFirst: true, limit: 1 });

      // Assess
      expect(inWindow.map((record) => record.finding.id)).toStrictEqual([late.id]);
      expect(newest.map((record) => record.finding.id)).toStrictEqual([late.id]);
    });

    it('finds a finding by its access key id', async () => {
      // Act
      const records = await queries.byResource('AKIAEXAMPLEUSERKEY01');

      // Assess
      expect(records.map((record) => record.finding.id)).toStrictEqual([keyed.id]);
    });

    it('returns nothing for an unknown resource', async () => {
      // Assess
      expect(await queries.byResource('i-0000000000000000f')).toStrictEqual([]);
    });
  });

  describe('Method: byActor', () => {
    it("returns a Slack user's actions across findings, with the finding id", async () => {
      // Act
      const actions = await queries.byActor(ALICE, { to: '2025-03-12T23:59:59.999Z' });

      // Assess
      expect(actions.map((item) => [item.kind, item.findingId])).toStrictEqual([
        ['action.requested', early.id],
        ['command.run', keyed.id],
        ['dismiss.completed', late.id],
      ]);
      expect(await paged.byActor(ALICE, { to: '2025-03-12T23:59:59.999Z' })).toStrictEqual(actions);
    });

    it('limits to a window and never lists system entries', async () => {
      // Act
      const bob = await queries.byActor(BOB, {
        from: '2025-03-10T08:06:00.000Z',
        to: '2025-03-10T08:06:00.000Z',
      });
      const system = await queries.byActor('system');

      // Assess
      expect(bob).toMatchObject([
        { kind: 'action.approved', actor: BOB, detail: { userName: 'bob' } },
      ]);
      expect(system).toStrictEqual([]);
    });
  });

  describe('Method: recentIncidents', () => {
    it('lists the findings first received in the window, across days', async () => {
      // Act
      const incidents = await queries.recentIncidents(
        '2025-03-10T00:00:00.000Z',
        '2025-03-12T23:59:59.999Z'
      );

      // Assess
      expect(incidents.map((incident) => incident.findingId)).toStrictEqual([
        early.id,
        keyed.id,
        late.id,
      ]);
      expect(incidents[0]).toStrictEqual({
        findingId: early.id,
        type: 'UnauthorizedAccess:EC2/SSHBruteForce',
        title: early.title,
        severity: 2,
        accountId: '123456789012',
        region: 'us-west-2',
        resource: 'i-0a1b2c3d4e5f60718 (web-01)',
        channel: 'C1',
        receivedAt: '2025-03-10T08:01:00.000Z',
        lastReceivedAt: '2025-03-10T08:01:00.000Z',
        archived: false,
      });
      expect(
        await paged.recentIncidents('2025-03-10T00:00:00.000Z', '2025-03-12T23:59:59.999Z')
      ).toStrictEqual(incidents);
    });

    it('cuts the window to the minute, newest first with a limit', async () => {
      // Act
      const narrow = await queries.recentIncidents(
        '2025-03-10T08:02:00.000Z',
        '2025-03-14T00:00:00.000Z'
      );
      const newest = await queries.recentIncidents(
        '2025-03-01T00:00:00.000Z',
        '2025-03-31T00:00:00.000Z',
        {
          newestFirst: true,
          limit: 2,
        }
      );

      // Assess
      expect(narrow.map((incident) => incident.findingId)).toStrictEqual([
        keyed.id,
        late.id,
        bucket.id,
      ]);
      expect(newest.map((incident) => incident.findingId)).toStrictEqual([bucket.id, late.id]);
    });

    it('refuses a window that is not a date or spans more than 400 days', async () => {
      // Assess
      await expect(queries.recentIncidents('yesterday', '2025-03-12T00:00:00Z')).rejects.toThrow(
        /not a date/
      );
      await expect(
        queries.recentIncidents('2020-01-01T00:00:00Z', '2025-01-01T00:00:00Z')
      ).rejects.toThrow(/at most 400/);
    });
  });
});
