import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoFindingStore } from '../../../src/adapters/dynamodb/DynamoFindingStore';
import { type Finding, resourceLabel } from '../../../src/domain/Finding';
import { parseEvent } from '../../../src/events/parseEvent';
import type { ActionState, AuditEntry, DigestItem } from '../../../src/ports/FindingStore';
import { createTable, localDynamoClientConfig } from '../../support/dynamoLocal';

const FIXTURE = join(__dirname, '../../fixtures/events/01-ec2-sshbruteforce.json');
const NOW = new Date('2025-03-11T14:06:00.000Z');
const at = (ms: number): Date => new Date(NOW.getTime() + ms);
const ALICE = { userId: 'U0ALICE', userName: 'alice' };

/** The SSH brute-force finding of the fixture event. */
const bruteForce = (): Finding => {
  const parsed = parseEvent(JSON.parse(readFileSync(FIXTURE, 'utf8')), {
    skipSecurityHubGuardDuty: true,
  });
  if (parsed.kind !== 'finding') throw new Error(`fixture skipped: ${parsed.reason}`);
  return parsed.finding;
};

let counter = 0;
/** A name no other test uses (finding ids, quota buckets, token buckets). */
const unique = (prefix: string): string => `${prefix}-${Date.now()}-${++counter}`;

const requested = (when: Date): ActionState => ({
  status: 'requested',
  at: when.toISOString(),
  by: ALICE,
});

const intentAudit = (when: Date): AuditEntry => ({
  at: when.toISOString(),
  kind: 'action.requested',
  actor: ALICE.userId,
  dedupeKey: `isolate:${when.getTime()}`,
  result: 'ok',
  detail: { action: 'isolate', userName: ALICE.userName },
});

describe('Class: DynamoFindingStore', () => {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `finding-store-${Date.now()}`;
  const client = new DynamoDBClient(localDynamoClientConfig(endpoint));
  const store = new DynamoFindingStore({ client, tableName });
  const base = bruteForce();

  /** Saves a fresh copy of the fixture finding under its own id. */
  const saveNew = async (channel = 'C0SECURITY') => {
    const finding: Finding = { ...base, id: unique('f') };
    return { finding, ...(await store.saveFinding({ finding, channel, now: NOW })) };
  };

  beforeAll(async () => {
    await createTable(endpoint, tableName);
  });
  afterAll(() => client.destroy());

  describe('Method: saveFinding', () => {
    it("returns the record with the finding's own card", async () => {
      // Act
      const { finding, outcome, record } = await saveNew('C0SECURITY');

      // Assess
      expect(outcome).toBe('created');
      expect(record.finding).toStrictEqual(finding);
      expect(record.card).toStrictEqual({
        key: `FINDING#${finding.id}`,
        channel: 'C0SECURITY',
        version: 1,
        renderedVersion: 0,
        lastRenderedAt: 0,
      });
    });
  });

  describe('Methods: saveFinding with a placement lease, lockPlacement, releasePlacement, setRecordOnly', () => {
    const lease = { ms: 60_000 };
    /** Saves version `count` of `finding` as delivery `holder` would. */
    const saveAs = (holder: string, finding: Finding, count: number, when: Date) =>
      store.saveFinding({
        finding: { ...finding, count },
        channel: 'C0',
        now: when,
        placementLease: { ...lease, holder },
      });

    it('takes the lease for the delivery whose save creates the record, and for no later one', async () => {
      // Prepare
      const finding: Finding = { ...base, id: unique('f') };
      const created = await saveAs('first', finding, 1, NOW);

      // Act
      const later = await saveAs('second', finding, 2, at(1000));
      const secondDuringLease = await store.lockPlacement(finding.id, at(59_999), 60_000, 'second');
      const firstAgain = await store.lockPlacement(finding.id, at(2000), 60_000, 'first');
      const secondAfterLease = await store.lockPlacement(finding.id, at(62_001), 60_000, 'second');

      // Assess
      expect(created).toMatchObject({
        outcome: 'created',
        record: { placementLease: { holder: 'first', until: NOW.getTime() + 60_000 } },
      });
      expect(later).toMatchObject({
        outcome: 'updated',
        record: { placementLease: { holder: 'first', until: NOW.getTime() + 60_000 } },
      });
      expect(secondDuringLease).toBe(false);
      // A retried request of the holder succeeds (its first answer may have been lost).
      expect(firstAgain).toBe(true);
      expect(secondAfterLease).toBe(true);
    });

    it('hands an unexpired lease over from the holder named, once', async () => {
      // Prepare
      const finding: Finding = { ...base, id: unique('f') };
      await saveAs('delivery', finding, 1, NOW);

      // Act
      const firstRun = await store.lockPlacement(finding.id, at(1000), 60_000, 'run-1', {
        takeOverFrom: 'delivery',
      });
      const secondRun = await store.lockPlacement(finding.id, at(1001), 60_000, 'run-2', {
        takeOverFrom: 'delivery',
      });

      // Assess
      expect(firstRun).toBe(true);
      // The lease is run-1's now: a second run of the same job finds it taken.
      expect(secondRun).toBe(false);
      expect((await store.getFinding(finding.id))?.placementLease).toStrictEqual({
        holder: 'run-1',
        until: at(1000).getTime() + 60_000,
      });
    });

    it('names the holder in the record a retried creating save reads back', async () => {
      // Prepare: the save was applied, and its answer lost.
      const finding: Finding = { ...base, id: unique('f') };
      await saveAs('first', finding, 1, NOW);

      // Act
      const retried = await saveAs('first', finding, 1, NOW);

      // Assess
      expect(retried).toMatchObject({
        outcome: 'unchanged',
        record: { placementLease: { holder: 'first' } },
      });
    });

    it('releases only the holder’s own lease, and no later save takes it again', async () => {
      // Prepare
      const finding: Finding = { ...base, id: unique('f') };
      await saveAs('first', finding, 1, NOW);

      // Act
      await store.releasePlacement(finding.id, 'someone else');
      const whileHeld = await store.lockPlacement(finding.id, at(1000), 60_000, 'second');
      await store.releasePlacement(finding.id, 'first');
      await saveAs('third', finding, 2, at(2000));
      const afterRelease = await store.lockPlacement(finding.id, at(2001), 60_000, 'third');

      // Assess
      expect(whileHeld).toBe(false);
      expect(afterRelease).toBe(true);
    });

    it('takes no lease with a save that asks for none, and any delivery may take it', async () => {
      // Prepare
      const finding: Finding = { ...base, id: unique('f') };

      // Act
      const { record } = await store.saveFinding({ finding, channel: 'C0', now: NOW });
      const locked = await store.lockPlacement(finding.id, NOW, 60_000, 'any');

      // Assess
      expect(record.placementLease).toStrictEqual({ holder: '', until: 0 });
      expect(locked).toBe(true);
    });

    it('never records a finding with a card as not posted', async () => {
      // Prepare
      const finding: Finding = { ...base, id: unique('f') };
      await saveAs('poster', finding, 1, NOW);
      await store.setPlacement(finding.id, { kind: 'card' });

      // Act
      const recorded = await store.setRecordOnly(finding.id, 'below threshold', at(1000));

      // Assess
      expect(recorded).toBe(false);
      expect((await store.getFinding(finding.id))?.placement).toStrictEqual({ kind: 'card' });
    });

    it('records a finding as not posted only while it is neither placed nor being placed', async () => {
      // Prepare
      const finding: Finding = { ...base, id: unique('f') };
      await saveAs('poster', finding, 1, NOW);

      // Act
      const whilePlacing = await store.setRecordOnly(finding.id, 'below threshold', at(1000));
      const afterLease = await store.setRecordOnly(finding.id, 'below threshold', at(60_001));
      const again = await store.setRecordOnly(finding.id, 'below threshold', at(60_002));

      // Assess
      expect(whilePlacing).toBe(false);
      expect(afterLease).toBe(true);
      expect(again).toBe(false);
      expect((await store.getFinding(finding.id))?.placement).toStrictEqual({
        kind: 'record-only',
        reason: 'below threshold',
      });
    });
  });

  describe('Method: appendAudit', () => {
    const received = (when: Date, eventId: string): AuditEntry => ({
      at: when.toISOString(),
      kind: 'finding.received',
      actor: 'system',
      dedupeKey: eventId,
      result: 'created',
    });
    const keysOf = async (findingId: string): Promise<string[]> => {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `FINDING#${findingId}` } },
        })
      );
      return Items.map((item) => String(item.sk?.S)).sort();
    };

    it('records a repeated event once, even at another time, through its marker', async () => {
      // Prepare
      const { finding } = await saveNew();

      // Act
      const first = await store.appendAudit(finding.id, received(at(1), 'event-1'));
      const again = await store.appendAudit(finding.id, received(at(2), 'event-1'));

      // Assess
      expect([first, again]).toStrictEqual(['appended', 'duplicate']);
      expect(await keysOf(finding.id)).toStrictEqual([
        `AUDIT#${at(1).toISOString()}#finding.received#event-1`,
        'AUDITKEY#finding.received#event-1',
        'STATE',
      ]);
    });

    it('writes an entry the caller vouches for once without its marker', async () => {
      // Prepare
      const { finding } = await saveNew();

      // Act
      const first = await store.appendAudit(finding.id, received(at(1), 'event-2'), { once: true });
      const same = await store.appendAudit(finding.id, received(at(1), 'event-2'), { once: true });

      // Assess
      expect([first, same]).toStrictEqual(['appended', 'duplicate']);
      expect(await keysOf(finding.id)).toStrictEqual([
        `AUDIT#${at(1).toISOString()}#finding.received#event-2`,
        'STATE',
      ]);
      expect(await store.listAudit(finding.id)).toMatchObject([{ dedupeKey: 'event-2' }]);
    });
  });

  describe('Method: recordIntent', () => {
    const intent = (findingId: string, quota?: { name: string; bucket: string; cap: number }) => ({
      findingId,
      area: 'isolation',
      from: [null],
      to: requested(at(1000)),
      audit: intentAudit(at(1000)),
      ...(quota === undefined ? {} : { quota }),
    });

    it('writes the audit entry, the new state and one quota use together', async () => {
      // Prepare
      const { finding } = await saveNew();
      const quota = { name: 'isolations', bucket: unique('hour'), cap: 1 };

      // Act
      const recorded = await store.recordIntent(intent(finding.id, quota));

      // Assess
      expect(recorded).toBe(true);
      const record = await store.getFinding(finding.id);
      expect(record?.actions).toStrictEqual({ isolation: requested(at(1000)) });
      expect(record?.version).toBe(2);
      expect(await store.listAudit(finding.id)).toStrictEqual([intentAudit(at(1000))]);
      expect(await store.takeQuota(quota.name, quota.bucket, 1)).toBe(false);
    });

    it('writes nothing when the current state does not match', async () => {
      // Prepare
      const { finding } = await saveNew();
      await store.transitionAction(finding.id, 'isolation', { from: [null], to: requested(NOW) });
      const quota = { name: 'isolations', bucket: unique('hour'), cap: 1 };

      // Act
      const recorded = await store.recordIntent({
        ...intent(finding.id, quota),
        from: ['approved'],
      });

      // Assess
      expect(recorded).toBe(false);
      const record = await store.getFinding(finding.id);
      expect(record?.actions).toStrictEqual({ isolation: requested(NOW) });
      expect(record?.version).toBe(2);
      expect(await store.listAudit(finding.id)).toStrictEqual([]);
      expect(await store.takeQuota(quota.name, quota.bucket, 1)).toBe(true);
    });

    it('writes nothing when the quota is full', async () => {
      // Prepare
      const { finding } = await saveNew();
      const quota = { name: 'isolations', bucket: unique('hour'), cap: 1 };
      await store.takeQuota(quota.name, quota.bucket, quota.cap);

      // Act
      const recorded = await store.recordIntent(intent(finding.id, quota));

      // Assess
      expect(recorded).toBe(false);
      const record = await store.getFinding(finding.id);
      expect(record?.actions).toStrictEqual({});
      expect(record?.version).toBe(1);
      expect(await store.listAudit(finding.id)).toStrictEqual([]);
    });

    it('refuses a quota capped at zero and a finding that does not exist', async () => {
      // Prepare
      const { finding } = await saveNew();
      const missingId = unique('missing');

      // Act
      const capZero = await store.recordIntent(
        intent(finding.id, { name: 'isolations', bucket: unique('hour'), cap: 0 })
      );
      const missing = await store.recordIntent(intent(missingId));

      // Assess
      expect(capZero).toBe(false);
      expect(missing).toBe(false);
      expect((await store.getFinding(finding.id))?.actions).toStrictEqual({});
      expect(await store.listAudit(finding.id)).toStrictEqual([]);
      expect(await store.getFinding(missingId)).toBeUndefined();
      expect(await store.listAudit(missingId)).toStrictEqual([]);
    });
  });

  describe('Method: gatherIntoDigest', () => {
    const item: DigestItem = {
      findingId: base.id,
      type: base.type,
      severity: base.severity,
      resource: resourceLabel(base.resource),
      title: base.title,
    };
    const gather = (digestKey: string, entry: DigestItem) =>
      store.gatherIntoDigest({
        digestKey,
        channel: 'C0SECURITY',
        minuteStart: '2025-03-11T14:05',
        item: entry,
      });

    it('creates the digest with the entry and answers its card', async () => {
      // Prepare
      const digestKey = `DIGEST#C0SECURITY#${unique('minute')}`;

      // Act
      const card = await gather(digestKey, item);

      // Assess
      expect(card).toStrictEqual({
        key: digestKey,
        channel: 'C0SECURITY',
        version: 1,
        renderedVersion: 0,
        lastRenderedAt: 0,
      });
      const digest = await store.getDigest(digestKey);
      expect(digest?.card).toStrictEqual(card);
      expect(digest?.minuteStart).toBe('2025-03-11T14:05');
      expect(digest?.items).toStrictEqual([item]);
    });

    it('answers the card as posted once the digest is', async () => {
      // Prepare
      const digestKey = `DIGEST#C0SECURITY#${unique('minute')}`;
      await gather(digestKey, item);
      await store.markPosted(digestKey, { ts: '1741700000.000100', renderedVersion: 1, now: NOW });
      const other = { ...item, findingId: unique('other') };

      // Act
      const card = await gather(digestKey, other);

      // Assess
      expect(card).toMatchObject({ ts: '1741700000.000100', version: 2, renderedVersion: 1 });
      expect((await store.getDigest(digestKey))?.items).toHaveLength(2);
    });

    it('answers the post lease while someone posts the digest, and none once it is released', async () => {
      // Prepare
      const digestKey = `DIGEST#C0SECURITY#${unique('minute')}`;
      await gather(digestKey, item);
      const locked = await store.lockCardPost(digestKey, NOW, 60_000);

      // Act
      const whilePosting = await gather(digestKey, { ...item, findingId: unique('other') });
      await store.releaseCardPost(digestKey);
      const released = await gather(digestKey, { ...item, findingId: unique('third') });

      // Assess
      expect(locked).toBe(true);
      expect(whilePosting).toMatchObject({ postLockUntil: NOW.getTime() + 60_000, version: 2 });
      expect(released.postLockUntil).toBeUndefined();
      expect(await store.getCard(digestKey)).toStrictEqual(released);
    });

    it('keeps a released post lease from everyone until the time it names', async () => {
      // Prepare
      const digestKey = `DIGEST#C0SECURITY#${unique('minute')}`;
      await gather(digestKey, item);
      await store.lockCardPost(digestKey, NOW, 60_000);

      // Act
      await store.releaseCardPost(digestKey, { notBefore: NOW.getTime() + 3_000 });
      const before = await store.lockCardPost(digestKey, new Date(NOW.getTime() + 2_999), 60_000);
      const after = await store.lockCardPost(digestKey, new Date(NOW.getTime() + 3_001), 60_000);

      // Assess
      expect(before).toBe(false);
      expect(after).toBe(true);
      expect((await store.getCard(digestKey))?.postLockUntil).toBe(NOW.getTime() + 3_001 + 60_000);
    });

    it('tells which of some digests holds a finding’s entry, the last of them when several do', async () => {
      // Prepare
      const [first, second, third] = ['a', 'b', 'c'].map(
        (minute) => `DIGEST#C0SECURITY#${unique(minute)}`
      ) as [string, string, string];
      await gather(first, item);
      await gather(second, { ...item, findingId: unique('other') });
      await gather(third, item);

      // Act
      const holding = await store.digestHolding(item.findingId, [first, second, third]);
      const oneOnly = await store.digestHolding(item.findingId, [second, first]);
      const none = await store.digestHolding(item.findingId, [second]);

      // Assess
      expect(holding).toBe(third);
      expect(oneOnly).toBe(first);
      expect(none).toBeUndefined();
    });

    it('writes the entry once and moves the version again when a placement is retried', async () => {
      // Prepare: the first attempt wrote the entry, then failed before placing the finding.
      const digestKey = `DIGEST#C0SECURITY#${unique('minute')}`;
      await gather(digestKey, item);

      // Act
      const card = await gather(digestKey, { ...item, title: 'A changed title' });

      // Assess
      expect(card.version).toBe(2);
      expect((await store.getDigest(digestKey))?.items).toStrictEqual([
        { ...item, title: 'A changed title' },
      ]);
    });
  });

  describe('Methods: setPlacement, addToDigest with the version the entry is from', () => {
    /** A finding gathered into a digest, then a newer version of it saved. */
    const gatherThenUpdate = async () => {
      const { finding } = await saveNew();
      const entry: DigestItem = {
        findingId: finding.id,
        type: finding.type,
        severity: finding.severity,
        resource: resourceLabel(finding.resource),
        title: finding.title,
      };
      const digestKey = `DIGEST#C0SECURITY#${unique('minute')}`;
      const digest = { digestKey, channel: 'C0SECURITY', minuteStart: '2025-03-11T14:05' };
      await store.gatherIntoDigest({ ...digest, item: entry });
      await store.setPlacement(finding.id, { kind: 'digest', digestKey }, { digestEntry: entry });
      const newer = { ...finding, count: finding.count + 1 };
      const placed = await store.getFinding(finding.id);
      await store.saveFinding({ finding: newer, channel: 'C0SECURITY', now: NOW });
      return { finding, entry, digest, newer, placed };
    };

    it('keeps the entry with the finding, and writes a later one together with it', async () => {
      // Prepare
      const { finding, entry, digest, newer, placed } = await gatherThenUpdate();

      // Act
      const changed = await store.addToDigest({
        ...digest,
        item: { ...entry, severity: 5 },
        from: { updatedAt: newer.updatedAt, count: newer.count },
      });

      // Assess
      expect(placed?.digestEntry).toStrictEqual(entry);
      expect(changed).toBe(true);
      expect((await store.getFinding(finding.id))?.digestEntry).toStrictEqual({
        ...entry,
        severity: 5,
      });
      expect((await store.getDigest(digest.digestKey))?.items).toStrictEqual([
        { ...entry, severity: 5 },
      ]);
    });

    it('writes nothing for a version that is no longer the latest', async () => {
      // Prepare
      const { finding, entry, digest } = await gatherThenUpdate();

      // Act
      const changed = await store.addToDigest({
        ...digest,
        item: { ...entry, severity: 5 },
        from: { updatedAt: finding.updatedAt, count: finding.count },
      });

      // Assess
      expect(changed).toBe(false);
      expect((await store.getFinding(finding.id))?.digestEntry).toStrictEqual(entry);
      const digestState = await store.getDigest(digest.digestKey);
      expect(digestState?.items).toStrictEqual([entry]);
      expect(digestState?.card.version).toBe(1);
    });

    it('mends a recorded entry that disagrees with the digest', async () => {
      // Prepare: the digest shows a newer entry than the finding records.
      const { finding, entry, digest, newer } = await gatherThenUpdate();
      const shown = { ...entry, severity: 5 };
      await store.gatherIntoDigest({ ...digest, item: shown });

      // Act
      const changed = await store.addToDigest({
        ...digest,
        item: shown,
        from: { updatedAt: newer.updatedAt, count: newer.count },
      });

      // Assess
      expect(changed).toBe(true);
      expect((await store.getFinding(finding.id))?.digestEntry).toStrictEqual(shown);
    });

    it('answers the placement with the record as it is now', async () => {
      // Prepare
      const { finding } = await saveNew();
      await store.lockPlacement(finding.id, NOW, 60_000, 'placer');
      const newer = { ...finding, count: finding.count + 1 };
      await store.saveFinding({ finding: newer, channel: 'C0SECURITY', now: NOW });

      // Act
      const placed = await store.setPlacement(finding.id, { kind: 'card' });

      // Assess
      expect(placed).toMatchObject({ finding: newer, version: 2, placement: { kind: 'card' } });
    });
  });

  describe('Methods: scheduleRefresh, unscheduleRefresh', () => {
    const postedCard = async (): Promise<string> => {
      const { finding } = await saveNew();
      const key = `FINDING#${finding.id}`;
      await store.markPosted(key, {
        ts: '1741702000.000100',
        renderedVersion: 1,
        now: NOW,
        placement: { kind: 'card' },
      });
      return key;
    };

    it('keeps one queued edit until it is about to run', async () => {
      // Prepare
      const key = await postedCard();
      const firstDue = NOW.getTime() + 5000;

      // Act
      const first = await store.scheduleRefresh(key, firstDue, NOW);
      const whileQueued = await store.scheduleRefresh(key, firstDue + 3000, at(4000));
      const justBefore = await store.scheduleRefresh(key, firstDue + 3000, at(5000 - 501));
      const dueMark = (await store.getCard(key))?.refreshDueAt;
      const aboutToRun = await store.scheduleRefresh(key, firstDue + 4000, at(5000 - 499));

      // Assess
      expect([first, whileQueued, justBefore, aboutToRun]).toStrictEqual([
        true,
        false,
        false,
        true,
      ]);
      expect(dueMark).toBe(firstDue);
      expect((await store.getCard(key))?.refreshDueAt).toBe(firstDue + 4000);
    });

    it('withdraws only the mark with the same due time', async () => {
      // Prepare
      const key = await postedCard();
      const dueAt = NOW.getTime() + 2000;
      await store.scheduleRefresh(key, dueAt, NOW);

      // Act
      await store.unscheduleRefresh(key, dueAt + 1);
      const afterOther = (await store.getCard(key))?.refreshDueAt;
      await store.unscheduleRefresh(key, dueAt);

      // Assess
      expect(afterOther).toBe(dueAt);
      const card = await store.getCard(key);
      expect(card?.ts).toBe('1741702000.000100');
      expect(card).not.toHaveProperty('refreshDueAt');
    });

    it('refuses a card that is not posted yet', async () => {
      // Prepare
      const { finding } = await saveNew();
      const key = `FINDING#${finding.id}`;

      // Act
      const scheduled = await store.scheduleRefresh(key, NOW.getTime() + 2000, NOW);

      // Assess
      expect(scheduled).toBe(false);
      expect(await store.getCard(key)).not.toHaveProperty('refreshDueAt');
    });
  });

  describe('Method: takeToken', () => {
    const budget = { perSecond: 0.5, burst: 3 };

    it('gives the burst at once, then one token per 1/perSecond seconds', async () => {
      // Prepare
      const bucket = unique('posts#C0SECURITY');

      // Act
      const burst = [
        await store.takeToken(bucket, NOW, budget),
        await store.takeToken(bucket, NOW, budget),
        await store.takeToken(bucket, NOW, budget),
      ];
      const empty = await store.takeToken(bucket, NOW, budget);
      const halfway = await store.takeToken(bucket, at(1000), budget);
      const refilled = await store.takeToken(bucket, at(2000), budget);
      const emptyAgain = await store.takeToken(bucket, at(2000), budget);

      // Assess
      expect(burst).toStrictEqual(Array(3).fill({ taken: true, retryInMs: 0 }));
      expect(empty).toStrictEqual({ taken: false, retryInMs: 2000 });
      expect(halfway).toStrictEqual({ taken: false, retryInMs: 1000 });
      expect(refilled).toStrictEqual({ taken: true, retryInMs: 0 });
      expect(emptyAgain).toStrictEqual({ taken: false, retryInMs: 2000 });
    });

    it('answers from memory while a bucket it found empty cannot have refilled', async () => {
      // Prepare
      const bucket = unique('posts#C0SECURITY');
      const other = new DynamoFindingStore({ client, tableName });
      await store.takeToken(bucket, NOW, budget);
      await store.takeToken(bucket, NOW, budget);
      await store.takeToken(bucket, NOW, budget);
      await store.takeToken(bucket, NOW, budget);
      const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');

      // Act
      const soon = await store.takeToken(bucket, at(1500), budget);
      const readsWhileEmpty = send.mock.calls.length;
      const elsewhere = await other.takeToken(bucket, at(2000), budget);
      const refilled = await store.takeToken(bucket, at(2000), budget);
      send.mockRestore();

      // Assess
      expect(soon).toStrictEqual({ taken: false, retryInMs: 500 });
      expect(readsWhileEmpty).toBe(0);
      // Another container took the refilled token: the memory only ever repeats a refusal.
      expect(elsewhere).toStrictEqual({ taken: true, retryInMs: 0 });
      expect(refilled).toStrictEqual({ taken: false, retryInMs: 2000 });
    });

    it('tells callers that take turns to come back one refill apart, in the order refused', async () => {
      // Prepare
      const bucket = unique('edits');
      const one = { perSecond: 1, burst: 1 };
      await store.takeToken(bucket, NOW, one);

      // Act
      const turns = [
        await store.takeToken(bucket, NOW, one, { takeTurn: true }),
        await store.takeToken(bucket, at(100), one, { takeTurn: true }),
        await store.takeToken(bucket, at(200), one, { takeTurn: true }),
      ];
      const plain = await store.takeToken(bucket, at(200), one);
      const firstBack = await store.takeToken(bucket, at(1000), one, { takeTurn: true });
      const lineAfter = await store.takeToken(bucket, at(1000), one, { takeTurn: true });
      const later = await store.takeToken(bucket, at(10_000), one, { takeTurn: true });

      // Assess
      expect(turns).toStrictEqual([
        { taken: false, retryInMs: 1000 },
        { taken: false, retryInMs: 1900 },
        { taken: false, retryInMs: 2800 },
      ]);
      expect(plain).toStrictEqual({ taken: false, retryInMs: 800 });
      expect(firstBack).toStrictEqual({ taken: true, retryInMs: 0 });
      // Refused again, a caller joins the end of the line; once it is gone, a line starts anew.
      expect(lineAfter).toStrictEqual({ taken: false, retryInMs: 3000 });
      expect(later).toStrictEqual({ taken: true, retryInMs: 0 });
    });

    it('keeps the line within the longest wait its callers can take', async () => {
      // Prepare
      const bucket = unique('edits');
      const one = { perSecond: 1, burst: 1 };
      const inLine = { takeTurn: true, maxRetryInMs: 2500 };
      await store.takeToken(bucket, NOW, one);

      // Act
      const turns = [];
      for (let caller = 0; caller < 5; caller += 1) {
        turns.push((await store.takeToken(bucket, NOW, one, inLine)).retryInMs);
      }
      const lateComer = await store.takeToken(bucket, at(500), one, inLine);

      // Assess
      // Without the limit the fifth caller would wait 5 s. The line ends 2.5 s out, and a caller
      // half a second later joins it there.
      expect(turns).toStrictEqual([1000, 2000, 2500, 2500, 2500]);
      expect(lateComer).toStrictEqual({ taken: false, retryInMs: 2000 });
    });

    it('keeps buckets independent', async () => {
      // Prepare
      const posts = unique('posts#C0SECURITY');
      const edits = unique('edits');
      const one = { perSecond: 1, burst: 1 };
      await store.takeToken(posts, NOW, one);

      // Act
      const postsEmpty = await store.takeToken(posts, NOW, one);
      const editsFirst = await store.takeToken(edits, NOW, one);
      const editsEmpty = await store.takeToken(edits, NOW, one);

      // Assess
      expect(postsEmpty).toStrictEqual({ taken: false, retryInMs: 1000 });
      expect(editsFirst).toStrictEqual({ taken: true, retryInMs: 0 });
      expect(editsEmpty).toStrictEqual({ taken: false, retryInMs: 1000 });
    });
  });
});
