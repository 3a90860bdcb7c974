import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { DynamoFindingStore } from '../../../src/adapters/dynamodb/DynamoFindingStore';
import { EnqueueError } from '../../../src/adapters/sqs/SqsJobQueue';
import { createNotifyHandler, type NotifyHandler } from '../../../src/composition/notifyHandler';
import { createWorkerHandler } from '../../../src/composition/workerHandler';
import { loadConfig } from '../../../src/config';
import { ConfigError, InvalidEventError, SlackCallError } from '../../../src/domain/errors';
import { findBlockKitViolations } from '../../support/blockKitLimits';
import {
  type BotEnvironment,
  startBotEnvironment,
  TEST_BOT_TOKEN,
} from '../../support/botEnvironment';
import { captureLogger } from '../../support/captureLogger';

type Event = Record<string, unknown> & { id: string; detail: Record<string, unknown> };

const FIXTURES = join(__dirname, '../../fixtures/events');
const fixture = (name: string): Event =>
  structuredClone(JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Event);
const BRUTE_FORCE = '01-ec2-sshbruteforce.json';
const BRUTE_FORCE_UPDATE = 'variants/01b-ec2-sshbruteforce-update.json';
const BRUTE_FORCE_ID = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';

/** A copy of the brute-force fixture as a distinct finding (for storms). */
const distinctFinding = (index: number, severity = 2): Event => {
  const event = fixture(BRUTE_FORCE);
  event.id = `storm-event-${index}`;
  event.detail.id = `storm${String(index).padStart(27, '0')}`;
  event.detail.severity = severity;
  return event;
};

/** A re-publication of storm finding `index` (its own event id), with another severity and count. */
const republished = (index: number, severity: number, count: number): Event => {
  const event = distinctFinding(index, severity);
  event.id = `storm-event-${index}-${count}`;
  (event.detail.service as { count: number }).count = count;
  return event;
};

const blocksText = (body: Record<string, unknown>): string => JSON.stringify(body.blocks);

/** Counts the DynamoDB transactions the handlers write until `stop()`. */
const countTransactions = () => {
  const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
  return {
    count: () =>
      send.mock.calls.filter(([command]) => command instanceof TransactWriteCommand).length,
    stop: () => send.mockRestore(),
  };
};

/** The work queue, captured: card edits the notify path queues for later. */
const sqs = mockClient(SQSClient);
interface QueuedMessage {
  body: string;
  delaySeconds: number;
  /** When SQS would first deliver it (epoch ms). */
  visibleAt: number;
}

describe('Handler: notify', () => {
  let bot: BotEnvironment;
  let handlers: NotifyHandler[];
  let log: ReturnType<typeof captureLogger>;

  const start = async (env: Record<string, string> = {}, instances = 1): Promise<void> => {
    bot = await startBotEnvironment(inject('dynamoEndpoint'), { env });
    log = captureLogger();
    handlers = await Promise.all(
      Array.from({ length: instances }, () => createNotifyHandler(loadConfig(bot.env), log.logger))
    );
  };
  const notify = (event: unknown, instance = 0) => {
    const handler = handlers[instance];
    if (!handler) throw new Error(`no handler instance ${instance}`);
    return handler(event);
  };
  const store = () => new DynamoFindingStore({ client: bot.dynamo, tableName: bot.tableName });
  /** The cards posted (accepted by Slack) that show the finding `findingId`. */
  const postsShowing = (findingId: unknown) =>
    bot.slack
      .okCallsTo('chat.postMessage')
      .filter((call) => blocksText(call.body).includes(String(findingId)));
  /** A digested finding's record and its entry in the digest, as stored. */
  const digestEntryOf = async (findingId: unknown) => {
    const record = await store().getFinding(String(findingId));
    const placement = record?.placement;
    const digest =
      placement?.kind === 'digest' ? await store().getDigest(placement.digestKey) : undefined;
    return { record, entry: digest?.items.find((item) => item.findingId === findingId) };
  };
  /** The digest shows the finding at `severity`, and the finding records that very entry. */
  const expectDigestEntry = async (findingId: unknown, severity: number) => {
    const { record, entry } = await digestEntryOf(findingId);
    expect(entry?.severity).toBe(severity);
    expect(record?.digestEntry).toStrictEqual(entry);
  };
  /** A posting budget of one card: the first storm finding gets it, every later one is digested. */
  const startWithBudgetSpent = async () => {
    await start({ POST_BUDGET_BURST: '1', POST_BUDGET_PER_SECOND: '0.001' });
    await notify(distinctFinding(1));
  };

  let queued: QueuedMessage[];
  let sqsDown = false;
  /** Runs once, inside the next SendMessage, before SQS answers (to interleave a delivery). */
  let beforeNextSend: (() => Promise<unknown>) | undefined;
  /** Delivers the queued jobs to the real worker once their delay is over, as SQS would. */
  const drainQueue = async (): Promise<void> => {
    const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);
    const due = queued.splice(0);
    for (const [index, message] of due.entries()) {
      const wait = message.visibleAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const event = {
        Records: [
          {
            messageId: `m${index}`,
            body: message.body,
            attributes: { ApproximateReceiveCount: '1' },
          },
        ],
      } as unknown as SQSEvent;
      expect((await worker(event)).batchItemFailures).toStrictEqual([]);
    }
  };

  beforeEach(() => {
    handlers = [];
    queued = [];
    sqsDown = false;
    beforeNextSend = undefined;
    sqs.reset();
    sqs
      .on(SendMessageCommand)
      .callsFake(async (input: { MessageBody: string; DelaySeconds?: number }) => {
        const hook = beforeNextSend;
        beforeNextSend = undefined;
        if (hook) await hook();
        if (sqsDown) throw new Error('SQS unavailable');
        const delaySeconds = input.DelaySeconds ?? 0;
        queued.push({
          body: input.MessageBody,
          delaySeconds,
          visibleAt: Date.now() + delaySeconds * 1000,
        });
        return { MessageId: `msg-${queued.length}` };
      });
  });
  afterEach(async () => {
    await bot?.close();
  });

  describe('every finding is one living card', () => {
    it('posts one card per fixture, each within Block Kit limits', async () => {
      // Prepare
      await start();
      const files = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));

      // Act
      const results = [];
      for (const file of files) results.push(await notify(fixture(file)));

      // Assess
      const processed = results.filter((result) => result.status === 'processed');
      expect(processed).toHaveLength(6);
      expect(results.find((result) => result.status === 'skipped')).toMatchObject({
        reason: expect.stringContaining('GuardDuty'),
      });
      const posts = bot.slack.okCallsTo('chat.postMessage');
      expect(posts).toHaveLength(6);
      expect(bot.slack.calls.filter((call) => call.rejected)).toStrictEqual([]);
      for (const post of posts) {
        expect(findBlockKitViolations(post.body)).toStrictEqual([]);
        expect(post.body.channel).toBe('C0INCIDENTS');
        expect(String(post.body.text).length).toBeGreaterThan(10);
      }
    });

    it('records the card, the finding and the audit trail in DynamoDB', async () => {
      // Prepare
      await start();

      // Act
      await notify(fixture(BRUTE_FORCE));

      // Assess
      const record = await store().getFinding(BRUTE_FORCE_ID);
      expect(record).toMatchObject({
        channel: 'C0INCIDENTS',
        version: 1,
        placement: { kind: 'card' },
        finding: { id: BRUTE_FORCE_ID, count: 37, type: 'UnauthorizedAccess:EC2/SSHBruteForce' },
      });
      const card = await store().getCard(`FINDING#${BRUTE_FORCE_ID}`);
      expect(card).toMatchObject({ channel: 'C0INCIDENTS', renderedVersion: 1 });
      const posted = bot.slack.okCallsTo('chat.postMessage')[0]?.response as { ts: string };
      expect(card?.ts).toBe(posted.ts);
      const audit = await store().listAudit(BRUTE_FORCE_ID);
      expect(audit.map((entry) => entry.kind)).toStrictEqual(['finding.received', 'card.posted']);
    });

    it('updates the card in place when the finding is re-published', async () => {
      // Prepare
      await start();
      await notify(fixture(BRUTE_FORCE));

      // Act
      const result = await notify(fixture(BRUTE_FORCE_UPDATE));

      // Assess
      expect(result).toMatchObject({ status: 'processed', outcome: 'updated', placement: 'card' });
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      const updates = bot.slack.okCallsTo('chat.update');
      expect(updates).toHaveLength(1);
      const posted = bot.slack.okCallsTo('chat.postMessage')[0]?.response as { ts: string };
      expect(updates[0]?.body.ts).toBe(posted.ts);
      expect(blocksText(updates[0]?.body ?? {})).toContain('412');
      expect(blocksText(updates[0]?.body ?? {})).toContain('203.0.113.91');
      const audit = await store().listAudit(BRUTE_FORCE_ID);
      expect(audit.map((entry) => entry.kind)).toStrictEqual([
        'finding.received',
        'card.posted',
        'finding.received',
        'card.updated',
      ]);
    });

    it('changes nothing when the same event is delivered twice, even concurrently', async () => {
      // Prepare
      await start({}, 2);

      // Act
      const results = await Promise.all([
        notify(fixture(BRUTE_FORCE), 0),
        notify(fixture(BRUTE_FORCE), 1),
      ]);
      const again = await notify(fixture(BRUTE_FORCE));

      // Assess
      expect(results.map((result) => 'outcome' in result && result.outcome).sort()).toStrictEqual([
        'created',
        'unchanged',
      ]);
      expect(again).toMatchObject({ outcome: 'unchanged' });
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      expect(bot.slack.okCallsTo('chat.update')).toHaveLength(0);
      const kinds = (await store().listAudit(BRUTE_FORCE_ID)).map((entry) => entry.kind);
      expect(kinds.filter((kind) => kind === 'finding.received')).toHaveLength(1);
      expect(kinds.filter((kind) => kind === 'finding.ignored')).toHaveLength(1);
    });

    it('never rolls the card back when an older event arrives after a newer one', async () => {
      // Prepare
      await start();
      await notify(fixture(BRUTE_FORCE_UPDATE));

      // Act
      const result = await notify(fixture(BRUTE_FORCE));

      // Assess
      expect(result).toMatchObject({ outcome: 'stale' });
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      expect(bot.slack.okCallsTo('chat.update')).toHaveLength(0);
      expect(blocksText(bot.slack.okCallsTo('chat.postMessage')[0]?.body ?? {})).toContain('412');
      expect((await store().getFinding(BRUTE_FORCE_ID))?.finding.count).toBe(412);
    });

    it('orders versions with the same updatedAt by count', async () => {
      // Prepare
      await start();
      const higher = fixture(BRUTE_FORCE);
      higher.id = 'same-time-higher-count';
      (higher.detail.service as { count: number }).count = 38;
      await notify(higher);

      // Act
      const result = await notify(fixture(BRUTE_FORCE));

      // Assess
      expect(result).toMatchObject({ outcome: 'stale' });
      expect((await store().getFinding(BRUTE_FORCE_ID))?.finding.count).toBe(38);
    });

    it('edits a card at most once per update interval, ending on the latest state', async () => {
      // Prepare
      await start({ CARD_UPDATE_INTERVAL_SECONDS: '1' });
      await notify(fixture(BRUTE_FORCE));
      const updates = [40, 41, 42, 43].map((count, index) => {
        const event = fixture(BRUTE_FORCE);
        event.id = `update-${index}`;
        (event.detail.service as { count: number }).count = count;
        return event;
      });

      // Act
      await Promise.all(updates.map((event) => notify(event)));
      const editsByNotify = bot.slack.okCallsTo('chat.update').length;
      const deferred = [...queued];
      await drainQueue();

      // Assess
      // The card was posted just now, so its window is closed: the deliveries queue the edit for
      // when it opens instead of waiting, and one queued edit carries all of them.
      expect(editsByNotify + deferred.length).toBeGreaterThanOrEqual(1);
      expect(deferred.length).toBeLessThanOrEqual(1);
      for (const message of deferred) {
        expect(message.delaySeconds).toBe(1);
        expect(JSON.parse(message.body)).toMatchObject({
          kind: 'refresh',
          findingId: BRUTE_FORCE_ID,
          requestedBy: { userId: 'system' },
          args: { deferred: true },
        });
      }
      const edits = bot.slack.okCallsTo('chat.update');
      const posted = bot.slack.okCallsTo('chat.postMessage')[0];
      const times = [posted?.at ?? 0, ...edits.map((edit) => edit.at)];
      for (let index = 1; index < times.length; index += 1) {
        expect((times[index] ?? 0) - (times[index - 1] ?? 0)).toBeGreaterThanOrEqual(900);
      }
      expect(blocksText(edits.at(-1)?.body ?? {})).toContain('43');
      const card = await store().getCard(`FINDING#${BRUTE_FORCE_ID}`);
      expect(card?.renderedVersion).toBe(card?.version);
    });

    it('marks the card archived when GuardDuty archives the finding', async () => {
      // Prepare
      await start();
      await notify(fixture(BRUTE_FORCE));
      const archived = fixture(BRUTE_FORCE_UPDATE);
      (archived.detail.service as { archived: boolean }).archived = true;

      // Act
      await notify(archived);

      // Assess
      expect(blocksText(bot.slack.okCallsTo('chat.update')[0]?.body ?? {})).toMatch(/archived/i);
    });
  });

  describe('routing', () => {
    it('sends a finding to the channel of the first matching rule', async () => {
      // Prepare
      await start({
        ROUTING_RULES: '[{"channel":"C0IAMTEAM","typePrefix":"UnauthorizedAccess:IAMUser/"}]',
      });

      // Act
      await notify(fixture('03-iam-instancecredentialexfiltration-outsideaws.json'));
      await notify(fixture(BRUTE_FORCE));

      // Assess
      expect(
        bot.slack.okCallsTo('chat.postMessage').map((call) => call.body.channel)
      ).toStrictEqual(['C0IAMTEAM', 'C0INCIDENTS']);
    });

    it('refuses to start with a malformed routing rule, naming ROUTING_RULES', async () => {
      // Prepare
      await start();
      const config = loadConfig({ ...bot.env, ROUTING_RULES: '[{"channel":"#iam-team"}]' });

      // Act
      const started = await createNotifyHandler(config, log.logger).catch(
        (error: unknown) => error
      );

      // Assess
      expect(started).toBeInstanceOf(ConfigError);
      expect(started).toMatchObject({ variable: 'ROUTING_RULES' });
    });

    it('records findings below the posting threshold without posting them', async () => {
      // Prepare
      await start({ MIN_POST_SEVERITY: 'Medium' });

      // Act
      const result = await notify(fixture(BRUTE_FORCE));

      // Assess
      expect(result).toMatchObject({ outcome: 'created', placement: 'record-only' });
      expect(bot.slack.calls).toHaveLength(0);
      expect(await store().getFinding(BRUTE_FORCE_ID)).toMatchObject({
        placement: { kind: 'record-only' },
      });
      expect((await store().listAudit(BRUTE_FORCE_ID)).map((entry) => entry.kind)).toStrictEqual([
        'finding.received',
        'finding.recorded',
      ]);
    });
  });

  describe('storms', () => {
    it('gathers findings over the posting budget into one digest, losing none, across two instances', async () => {
      // Prepare
      await start({ POST_BUDGET_BURST: '3', POST_BUDGET_PER_SECOND: '0.001' }, 2);
      const storm = Array.from({ length: 24 }, (_, index) => distinctFinding(index));

      // Act
      await Promise.all(storm.map((event, index) => notify(event, index % 2)));
      // Edits over the edit budget wait in the queue; the worker makes them as their tokens come.
      for (let round = 0; round < 10 && queued.length > 0; round += 1) await drainQueue();

      // Assess
      expect(queued).toStrictEqual([]);
      const records = await Promise.all(
        storm.map((event) => store().getFinding(String(event.detail.id)))
      );
      const placements = records.map((record) => record?.placement);
      const digestKeys = new Set(
        placements.flatMap((placement) =>
          placement?.kind === 'digest' ? [placement.digestKey] : []
        )
      );
      // Three own cards (the burst), every other finding in a digest: one per channel and minute,
      // so a storm that straddles a minute boundary has two.
      expect(placements.filter((placement) => placement?.kind === 'card')).toHaveLength(3);
      expect(placements.filter((placement) => placement?.kind === 'digest')).toHaveLength(21);
      const posts = bot.slack.okCallsTo('chat.postMessage');
      const digests = posts.filter((call) =>
        blocksText(call.body).includes('findings in one minute')
      );
      expect(digests).toHaveLength(digestKeys.size);
      expect(posts).toHaveLength(3 + digestKeys.size);
      const digested = await Promise.all([...digestKeys].map((key) => store().getDigest(key)));
      expect(digested.reduce((sum, digest) => sum + (digest?.items.length ?? 0), 0)).toBe(21);
      const lastDigest = [...bot.slack.okCallsTo('chat.update'), ...digests]
        .filter((call) => blocksText(call.body).includes('findings in one minute'))
        .sort((a, b) => a.at - b.at)
        .at(-1);
      if (digestKeys.size === 1) {
        expect(blocksText(lastDigest?.body ?? {})).toContain('21 findings in one minute');
      }
      expect(bot.slack.calls.filter((call) => call.rejected)).toStrictEqual([]);
    });

    it('still gives High and Critical findings their own card when the budget is spent', async () => {
      // Prepare
      await startWithBudgetSpent();
      await notify(distinctFinding(2));

      // Act
      const result = await notify(distinctFinding(3, 8.5));

      // Assess
      expect(result).toMatchObject({ placement: 'card' });
      expect(
        (await store().getFinding(String(distinctFinding(2).detail.id)))?.placement?.kind
      ).toBe('digest');
    });
  });

  describe('storms never hold a delivery waiting on Slack', () => {
    const updateOf = (event: Event, count: number): Event => {
      const update = structuredClone(event);
      update.id = `${event.id}-update-${count}`;
      (update.detail.service as { count: number }).count = count;
      return update;
    };

    it('keeps edits within the workspace edit budget and queues the rest for later', async () => {
      // Prepare
      await start({ CARD_EDITS_PER_MINUTE: '2' });
      const findings = [1, 2, 3].map((index) => distinctFinding(index, 8));
      for (const event of findings) await notify(event);

      // Act
      for (const event of findings) await notify(updateOf(event, 99));
      const editsNow = bot.slack.okCallsTo('chat.update').length;
      const deferred = queued.map((message) => message.delaySeconds);
      // SQS delivers them before the budget has refilled (the test does not wait half a minute).
      const early = queued.splice(0).map((message) => ({ ...message, visibleAt: 0 }));
      queued.push(...early);
      await drainQueue();

      // Assess
      // 2 a minute holds one edit at once: the other two wait for a token, about 30 s apart.
      expect(editsNow).toBe(1);
      // In line for the tokens: one comes back in 30 s, the other 30 s after it.
      expect(deferred).toHaveLength(2);
      expect(deferred[0]).toBeGreaterThanOrEqual(29);
      expect((deferred[1] ?? 0) - (deferred[0] ?? 0)).toBeGreaterThanOrEqual(29);
      expect(bot.slack.okCallsTo('chat.update')).toHaveLength(1);
      expect(queued.map((message) => JSON.parse(message.body).kind)).toStrictEqual([
        'refresh',
        'refresh',
      ]);
      expect(bot.slack.calls.filter((call) => call.status === 429)).toStrictEqual([]);
    });

    it('lets a queued edit that finds the budget spent queue itself again, with one read and one write', async () => {
      // Prepare: 30 a minute is a burst of 3 and a token every 2 s; five cards want an edit. Two
      // notify containers each queue one edit for the same next token.
      await start({ CARD_EDITS_PER_MINUTE: '30' }, 2);
      const findings = [1, 2, 3, 4, 5].map((index) => distinctFinding(index, 8));
      for (const event of findings) await notify(event);
      for (const [index, event] of findings.entries()) {
        await notify(updateOf(event, 99), index === 4 ? 1 : 0);
      }
      const deferredAtFirst = queued.length;
      const getFinding = vi.spyOn(DynamoFindingStore.prototype, 'getFinding');
      const getCard = vi.spyOn(DynamoFindingStore.prototype, 'getCard');
      const unschedule = vi.spyOn(DynamoFindingStore.prototype, 'unscheduleRefresh');

      // Act: the two edits run when due, in one worker; one token has come back by then.
      await drainQueue();
      const reads = { findings: getFinding.mock.calls.length, cards: getCard.mock.calls.length };
      const withdrawn = unschedule.mock.calls.length;
      for (const spy of [getFinding, getCard, unschedule]) spy.mockRestore();
      const requeued = queued.map((message) => JSON.parse(message.body).args);
      const marks = await Promise.all(
        requeued.map(async (args) => (await store().getCard(args.key))?.refreshDueAt)
      );
      await drainQueue();

      // Assess
      expect(deferredAtFirst).toBe(2);
      // The edit that ran found its token, the other queued itself again: its own mark was due,
      // so it held nobody back and was replaced without being withdrawn first. Each job read
      // the finding (its card is stored with it) once more before its edit, and no card alone.
      expect(requeued).toHaveLength(1);
      expect(marks).toStrictEqual([requeued[0]?.dueAt]);
      expect(withdrawn).toBe(0);
      expect(reads).toStrictEqual({ findings: 3, cards: 0 });
      for (const event of findings) {
        const record = await store().getFinding(String(event.detail.id));
        expect(record?.card?.renderedVersion).toBe(record?.card?.version);
      }
      expect(bot.slack.okCallsTo('chat.update')).toHaveLength(5);
      expect(bot.slack.calls.filter((call) => call.status === 429)).toStrictEqual([]);
    });

    it('fails the delivery when its edit cannot be queued, and the retry queues it', async () => {
      // Prepare
      await start({ CARD_UPDATE_INTERVAL_SECONDS: '60' });
      await notify(fixture(BRUTE_FORCE));
      sqsDown = true;

      // Act
      const failure = await notify(fixture(BRUTE_FORCE_UPDATE)).catch((error: unknown) => error);
      sqsDown = false;
      const retried = await notify(fixture(BRUTE_FORCE_UPDATE));

      // Assess
      expect(failure).toBeInstanceOf(EnqueueError);
      expect(retried).toMatchObject({ outcome: 'unchanged', placement: 'card' });
      expect(queued).toHaveLength(1);
      expect(queued[0]?.delaySeconds).toBeGreaterThanOrEqual(59);
      expect(JSON.parse(queued[0]?.body ?? '{}')).toMatchObject({ findingId: BRUTE_FORCE_ID });
    });

    it('finishes an edit a failed delivery left behind when that delivery is retried', async () => {
      // Prepare
      await start({ CARD_UPDATE_INTERVAL_SECONDS: '2' });
      await notify(fixture(BRUTE_FORCE));
      const v2 = fixture(BRUTE_FORCE_UPDATE);
      const v3 = fixture(BRUTE_FORCE_UPDATE);
      v3.id = 'update-v3';
      (v3.detail.service as { count: number }).count = 500;
      // v2 marks the card for a queued edit; v3 arrives meanwhile and relies on that mark; then
      // SQS refuses v2's job, so v2 withdraws the mark and fails.
      sqsDown = true;
      let v3Result: unknown;
      beforeNextSend = async () => {
        v3Result = await notify(v3);
      };

      // Act
      const v2Failure = await notify(v2).catch((error: unknown) => error);
      sqsDown = false;
      const retried = await notify(v2);
      await drainQueue();

      // Assess
      expect(v2Failure).toBeInstanceOf(EnqueueError);
      expect(v3Result).toMatchObject({ outcome: 'updated', placement: 'card' });
      expect(retried).toMatchObject({ outcome: 'stale' });
      expect(blocksText(bot.slack.okCallsTo('chat.update').at(-1)?.body ?? {})).toContain('500');
      const card = await store().getCard(`FINDING#${BRUTE_FORCE_ID}`);
      expect(card?.renderedVersion).toBe(card?.version);
    });

    it('posts a digest a failed delivery could not, when that delivery is retried', async () => {
      // Prepare
      await start({ POST_BUDGET_BURST: '1', POST_BUDGET_PER_SECOND: '0.001', SLACK_RETRIES: '0' });
      await notify(distinctFinding(1));
      const first = distinctFinding(2);
      const again = distinctFinding(2);
      again.id = 'storm-event-2-again';
      (again.detail.service as { count: number }).count = 99;
      bot.slack.failNext('chat.postMessage', { status: 503 });

      // Act
      const failure = await notify(first).catch((error: unknown) => error);
      // A re-publication whose digest entry reads the same changes nothing shown...
      const republished = await notify(again);
      // ...so the digest is posted by the retry of the delivery that failed.
      const retried = await notify(first);

      // Assess
      expect(failure).toBeInstanceOf(SlackCallError);
      expect(republished).toMatchObject({ outcome: 'updated', placement: 'digest' });
      expect(retried).toMatchObject({ outcome: 'stale' });
      const digests = bot.slack
        .okCallsTo('chat.postMessage')
        .filter((call) => blocksText(call.body).includes('in one minute'));
      expect(digests).toHaveLength(1);
      expect(blocksText(digests[0]?.body ?? {})).toContain(String(again.detail.id));
    });

    it('writes nothing to the digest for a re-publication whose entry reads the same, and rewrites a changed one', async () => {
      // Prepare
      await startWithBudgetSpent();
      const gathered = distinctFinding(2);
      await notify(gathered);
      const transactions = countTransactions();

      // Act
      const sameEntry = republished(2, 2, 40);
      const sameResult = await notify(sameEntry);
      const writesForSameEntry = transactions.count();
      const changedEntry = republished(2, 3.5, 41);
      const changedResult = await notify(changedEntry);
      const writesInAll = transactions.count();
      transactions.stop();

      // Assess
      expect(sameResult).toMatchObject({ outcome: 'updated', placement: 'digest' });
      expect(writesForSameEntry).toBe(0);
      expect(changedResult).toMatchObject({ outcome: 'updated', placement: 'digest' });
      expect(writesInAll).toBe(1);
      await expectDigestEntry(gathered.detail.id, 3.5);
    });

    it('writes a digest entry the first attempt saved but could not write, when it is retried', async () => {
      // Prepare
      await startWithBudgetSpent();
      await notify(distinctFinding(2));
      const changed = republished(2, 3.5, 41);
      const failOnce = vi
        .spyOn(DynamoFindingStore.prototype, 'addToDigest')
        .mockRejectedValueOnce(new Error('DynamoDB unavailable'));

      // Act
      const failure = await notify(changed).catch((error: unknown) => error);
      const retried = await notify(changed);
      failOnce.mockRestore();

      // Assess
      expect(failure).toBeInstanceOf(Error);
      expect(retried).toMatchObject({ outcome: 'unchanged', placement: 'digest' });
      const { entry } = await digestEntryOf(changed.detail.id);
      expect(entry?.severity).toBe(3.5);
    });

    it('never puts a retried older version’s digest entry over a newer one', async () => {
      // Prepare
      await startWithBudgetSpent();
      await notify(distinctFinding(2));
      const older = republished(2, 3.5, 41);
      const newer = republished(2, 4.5, 42);
      const write = DynamoFindingStore.prototype.addToDigest;
      let interleaved = false;
      const spy = vi
        .spyOn(DynamoFindingStore.prototype, 'addToDigest')
        .mockRejectedValueOnce(new Error('DynamoDB unavailable'))
        .mockImplementation(async function (this: DynamoFindingStore, input) {
          // The retry of the older version is slow: the newer one is delivered meanwhile.
          if (!interleaved && input.item.severity === 3.5) {
            interleaved = true;
            await notify(newer);
          }
          return write.call(this, input);
        });

      // Act
      const failure = await notify(older).catch((error: unknown) => error);
      const retried = await notify(older);
      spy.mockRestore();

      // Assess
      expect(failure).toBeInstanceOf(Error);
      expect(interleaved).toBe(true);
      expect(retried).toMatchObject({ outcome: 'unchanged', placement: 'digest' });
      await expectDigestEntry(older.detail.id, 4.5);
    });

    it('gathers the entry of a version saved while the finding was being placed', async () => {
      // Prepare
      await startWithBudgetSpent();
      const first = distinctFinding(2);
      const meanwhile = republished(2, 3.5, 41);
      const write = DynamoFindingStore.prototype.gatherIntoDigest;
      let interleaved: unknown;
      const spy = vi
        .spyOn(DynamoFindingStore.prototype, 'gatherIntoDigest')
        .mockImplementation(async function (this: DynamoFindingStore, input) {
          // The placement of the first version is slow: the next version arrives meanwhile.
          interleaved ??= await notify(meanwhile);
          return write.call(this, input);
        });

      // Act
      const placed = await notify(first);
      spy.mockRestore();

      // Assess
      expect(interleaved).toMatchObject({ outcome: 'updated', placement: undefined });
      expect(placed).toMatchObject({ outcome: 'created', placement: 'digest' });
      await expectDigestEntry(first.detail.id, 3.5);
    });

    it('gathers a finding into a posted digest without reading the digest again, in no transaction', async () => {
      // Prepare
      await startWithBudgetSpent();
      await notify(distinctFinding(2));
      const transactions = countTransactions();
      const getCard = vi.spyOn(DynamoFindingStore.prototype, 'getCard');
      const earlierAttempts = vi.spyOn(DynamoFindingStore.prototype, 'digestHolding');

      // Act
      const placed = await notify(distinctFinding(3));
      const cardReads = getCard.mock.calls.map(([key]) => key);
      const written = transactions.count();
      const lookedForEarlierAttempts = earlierAttempts.mock.calls.length;
      getCard.mockRestore();
      earlierAttempts.mockRestore();
      transactions.stop();

      // Assess
      expect(placed).toMatchObject({ outcome: 'created', placement: 'digest' });
      expect(cardReads).toStrictEqual([]);
      expect(lookedForEarlierAttempts).toBe(0);
      expect(written).toBe(0);
      await expectDigestEntry(distinctFinding(3).detail.id, 2);
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(2);
    });

    it('leaves a digest being posted to its poster, whose edit then shows the findings gathered meanwhile', async () => {
      // Prepare
      await startWithBudgetSpent();
      const posting = distinctFinding(2);
      const meanwhile = distinctFinding(3);
      const read = DynamoFindingStore.prototype.getDigest;
      const spies = (['lockCardPost', 'getCard', 'getFinding'] as const).map((name) =>
        vi.spyOn(DynamoFindingStore.prototype, name)
      );
      const callsSoFar = () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
      let interleaved: { result: unknown; calls: number } | undefined;
      const spy = vi
        .spyOn(DynamoFindingStore.prototype, 'getDigest')
        .mockImplementation(async function (this: DynamoFindingStore, key) {
          const digest = await read.call(this, key);
          if (interleaved === undefined) {
            // The poster has read the digest it posts: the next finding is gathered before Slack has it.
            const before = callsSoFar();
            interleaved = { result: await notify(meanwhile), calls: 0 };
            interleaved.calls = callsSoFar() - before;
          }
          return digest;
        });

      // Act
      const placed = await notify(posting);
      spy.mockRestore();
      for (const each of spies) each.mockRestore();
      const digestPosts = () =>
        bot.slack
          .okCallsTo('chat.postMessage')
          .filter((call) => /findings? in one minute/.test(blocksText(call.body)));
      const posted = digestPosts();
      await drainQueue();

      // Assess
      expect(placed).toMatchObject({ outcome: 'created', placement: 'digest' });
      expect(interleaved).toStrictEqual({
        result: expect.objectContaining({ outcome: 'created', placement: 'digest' }),
        calls: 0,
      });
      expect(posted).toHaveLength(1);
      expect(blocksText(posted[0]?.body ?? {})).toContain('1 finding in one minute');
      const edits = bot.slack.okCallsTo('chat.update');
      expect(edits).toHaveLength(1);
      expect(blocksText(edits[0]?.body ?? {})).toContain('2 findings in one minute');
      expect(blocksText(edits[0]?.body ?? {})).toContain(String(meanwhile.detail.id));
      expect(digestPosts()).toHaveLength(1);
    });

    it('finishes a placement that failed between the digest entry and the digest’s version', async () => {
      // Prepare
      await startWithBudgetSpent();
      const event = distinctFinding(2);
      const send = DynamoDBDocumentClient.prototype.send;
      let failed = false;
      const spy = vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (
        this: DynamoDBDocumentClient,
        ...args: unknown[]
      ) {
        const input = (args[0] as { input?: { Key?: { pk?: string } } }).input;
        if (!failed && String(input?.Key?.pk).startsWith('DIGEST#')) {
          failed = true;
          return Promise.reject(new Error('DynamoDB unavailable'));
        }
        return (send as (...rest: unknown[]) => Promise<unknown>).apply(this, args);
      });

      // Act
      const failure = await notify(event).catch((error: unknown) => error);
      const placedAfterFailure = (await store().getFinding(String(event.detail.id)))?.placement;
      const retried = await notify(event);
      spy.mockRestore();

      // Assess
      expect(failed).toBe(true);
      expect(failure).toBeInstanceOf(Error);
      expect(placedAfterFailure).toBeUndefined();
      expect(retried).toMatchObject({ outcome: 'unchanged', placement: 'digest' });
      await expectDigestEntry(event.detail.id, 2);
      const digests = bot.slack
        .okCallsTo('chat.postMessage')
        .filter((call) => /findings? in one minute/.test(blocksText(call.body)));
      expect(digests).toHaveLength(1);
      expect(blocksText(digests[0]?.body ?? {})).toContain('1 finding in one minute');
    });

    it('places a finding in the digest its failed attempt gathered it into, when the retry comes minutes later', async () => {
      // Prepare: the first attempt gathers the finding into this minute's digest, then fails
      // before recording where it went.
      await startWithBudgetSpent();
      const event = distinctFinding(2);
      const findingId = String(event.detail.id);
      const gather = vi.spyOn(DynamoFindingStore.prototype, 'gatherIntoDigest');
      const setPlacement = vi
        .spyOn(DynamoFindingStore.prototype, 'setPlacement')
        .mockRejectedValueOnce(new Error('DynamoDB unavailable'));
      const failure = await notify(event).catch((error: unknown) => error);
      setPlacement.mockRestore();

      // Act: Lambda retries the event two minutes later.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 120_000);
      const retried = await notify(event).finally(() => vi.useRealTimers());
      const digestKeys = gather.mock.calls.map(([input]) => input.digestKey);
      gather.mockRestore();

      // Assess
      expect(failure).toBeInstanceOf(Error);
      expect(retried).toMatchObject({ outcome: 'unchanged', placement: 'digest' });
      expect(digestKeys).toHaveLength(2);
      expect(new Set(digestKeys).size).toBe(1);
      const record = await store().getFinding(findingId);
      expect(record?.placement).toStrictEqual({ kind: 'digest', digestKey: digestKeys[0] });
      await expectDigestEntry(findingId, 2);
      expect(postsShowing(findingId)).toHaveLength(1);
    });

    it('looks for no earlier attempt’s digest entry when a recorded-only finding is first posted', async () => {
      // Prepare
      await start({ MIN_POST_SEVERITY: 'Medium' });
      await notify(distinctFinding(9, 2));
      const earlierAttempts = vi.spyOn(DynamoFindingStore.prototype, 'digestHolding');

      // Act
      const posted = await notify(republished(9, 5, 41));
      const lookups = earlierAttempts.mock.calls.length;
      earlierAttempts.mockRestore();

      // Assess
      expect(posted).toMatchObject({ outcome: 'updated', placement: 'card' });
      expect(lookups).toBe(0);
    });

    it('places a new finding under the lease its save took, which no other delivery gets meanwhile', async () => {
      // Prepare
      await start();
      const first = distinctFinding(3);
      const take = DynamoFindingStore.prototype.takeToken;
      let interleaved: unknown;
      const token = vi
        .spyOn(DynamoFindingStore.prototype, 'takeToken')
        .mockImplementation(async function (this: DynamoFindingStore, ...args) {
          // While the creating delivery places the finding, the next version arrives.
          interleaved ??= await notify(republished(3, 2, 41));
          return take.apply(this, args);
        });
      const lock = vi.spyOn(DynamoFindingStore.prototype, 'lockPlacement');

      // Act
      const created = await notify(first);
      const leases = await Promise.all(lock.mock.results.map((result) => result.value));
      token.mockRestore();
      lock.mockRestore();

      // Assess
      expect(created).toMatchObject({ outcome: 'created', placement: 'card' });
      expect(interleaved).toMatchObject({ outcome: 'updated', placement: undefined });
      // Only the interleaved delivery asked for the lease, and was refused.
      expect(leases).toStrictEqual([false]);
      expect(postsShowing(first.detail.id)).toHaveLength(1);
    });

    it('places a new finding whose save was retried after its answer was lost', async () => {
      // Prepare: DynamoDB applied the creating save, its answer was lost, and the same request was
      // sent again (the SDK's retry): the save answers "unchanged".
      await start();
      const first = distinctFinding(4);
      const save = DynamoFindingStore.prototype.saveFinding;
      const retriedSave = vi
        .spyOn(DynamoFindingStore.prototype, 'saveFinding')
        .mockImplementationOnce(async function (this: DynamoFindingStore, input) {
          await save.call(this, input);
          return save.call(this, input);
        });

      // Act
      const result = await notify(first);
      retriedSave.mockRestore();

      // Assess
      expect(result).toMatchObject({ outcome: 'unchanged', placement: 'card' });
      expect(postsShowing(first.detail.id)).toHaveLength(1);
    });

    it('posts a version over the threshold that arrives while the first, below it, is being recorded', async () => {
      // Prepare
      await start({ MIN_POST_SEVERITY: 'Medium' });
      const low = distinctFinding(5, 2);
      const high = republished(5, 8, 41);
      const recordOnly = DynamoFindingStore.prototype.setRecordOnly;
      let interleaved: unknown;
      const spy = vi
        .spyOn(DynamoFindingStore.prototype, 'setRecordOnly')
        .mockImplementation(async function (this: DynamoFindingStore, ...args) {
          interleaved ??= await notify(high);
          return recordOnly.apply(this, args);
        });

      // Act
      const recorded = await notify(low);
      spy.mockRestore();

      // Assess
      expect(interleaved).toMatchObject({ outcome: 'updated', placement: 'card' });
      // The version below the threshold leaves the finding to the card that shows it now.
      expect(recorded).toMatchObject({ outcome: 'created', placement: undefined });
      const record = await store().getFinding(String(low.detail.id));
      expect(record?.placement).toStrictEqual({ kind: 'card' });
    });

    it('posts one card when a version below the threshold arrives while the first is being posted', async () => {
      // Prepare
      await start({ MIN_POST_SEVERITY: 'Medium' });
      const first = distinctFinding(6, 8);
      const take = DynamoFindingStore.prototype.takeToken;
      const meanwhile: unknown[] = [];
      const token = vi
        .spyOn(DynamoFindingStore.prototype, 'takeToken')
        .mockImplementationOnce(async function (this: DynamoFindingStore, ...args) {
          // While the first version is placed: a Low version, then a High one again.
          meanwhile.push(await notify(republished(6, 2, 41)));
          meanwhile.push(await notify(republished(6, 8, 42)));
          return take.apply(this, args);
        });

      // Act
      const placed = await notify(first);
      token.mockRestore();

      // Assess
      expect(placed).toMatchObject({ outcome: 'created', placement: 'card' });
      expect(meanwhile).toMatchObject([
        { outcome: 'updated', placement: undefined },
        { outcome: 'updated', placement: undefined },
      ]);
      expect(postsShowing(first.detail.id)).toHaveLength(1);
    });

    it('places a finding whose placing delivery died holding the lease, when its retry comes as the lease runs out', async () => {
      // Prepare: the first delivery saves and takes the placement lease, then its invocation dies.
      await start();
      const first = distinctFinding(7);
      const findingId = String(first.detail.id);
      const died = new Error('the invocation timed out');
      const token = vi.spyOn(DynamoFindingStore.prototype, 'takeToken').mockRejectedValueOnce(died);
      const release = vi
        .spyOn(DynamoFindingStore.prototype, 'releasePlacement')
        .mockRejectedValueOnce(died);
      const failure = await notify(first).catch((error: unknown) => error);
      token.mockRestore();
      release.mockRestore();
      // The next version finds the finding being placed and leaves it to the lease holder.
      const meanwhile = await notify(republished(7, 2, 41));
      // Lambda retries about a minute after the failure, as the dead delivery's lease runs out:
      // here a second before.
      const holder = (await store().getFinding(findingId))?.placementLease?.holder ?? '';
      await store().lockPlacement(findingId, new Date(), 1000, holder);

      // Act
      const started = Date.now();
      const retried = await notify(first);

      // Assess
      expect(failure).toBe(died);
      expect(meanwhile).toMatchObject({ outcome: 'updated', placement: undefined });
      expect(retried).toMatchObject({ outcome: 'stale' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      const record = await store().getFinding(findingId);
      expect(record?.placement).toStrictEqual({ kind: 'card' });
      expect(record?.card).toMatchObject({ renderedVersion: record?.version });
      expect(postsShowing(findingId)).toHaveLength(1);
    });

    it('posts a recorded-only finding re-published over the threshold when a failed delivery of it is retried', async () => {
      // Prepare: recorded only at first; the High version's delivery fails while placing it, after
      // another High version found it being placed and left it to that delivery.
      await start({ MIN_POST_SEVERITY: 'Medium' });
      const low = distinctFinding(8, 2);
      const high = republished(8, 8, 41);
      const findingId = String(low.detail.id);
      await notify(low);
      const died = new Error('the invocation timed out');
      let meanwhile: unknown;
      const token = vi
        .spyOn(DynamoFindingStore.prototype, 'takeToken')
        .mockImplementationOnce(async () => {
          meanwhile = await notify(republished(8, 8, 42));
          throw died;
        });
      const failure = await notify(high).catch((error: unknown) => error);
      token.mockRestore();

      // Act
      const retried = await notify(high);

      // Assess
      expect(failure).toBe(died);
      expect(meanwhile).toMatchObject({ outcome: 'updated', placement: undefined });
      expect(retried).toMatchObject({ outcome: 'stale' });
      expect((await store().getFinding(findingId))?.placement).toStrictEqual({ kind: 'card' });
      expect(postsShowing(findingId)).toHaveLength(1);
    });

    it('gathers a finding into the digest when Slack refuses its own card with 429', async () => {
      // Prepare
      await start();
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 30 });

      // Act
      const result = await notify(distinctFinding(1));

      // Assess
      // The card post is not retried (that would wait 30 s); the digest is posted instead.
      expect(result).toMatchObject({ outcome: 'created', placement: 'digest' });
      const posts = bot.slack.callsTo('chat.postMessage');
      expect(posts.map((call) => call.status)).toStrictEqual([429, 200]);
      expect(blocksText(posts[1]?.body ?? {})).toContain('1 finding in one minute');
    });

    it('queues an edit refused with 429 again instead of waiting or failing', async () => {
      // Prepare
      await start({ SLACK_RETRIES: '3' });
      await notify(fixture(BRUTE_FORCE));
      bot.slack.failNext('chat.update', { status: 429, retryAfter: 1 });

      // Act
      const result = await notify(fixture(BRUTE_FORCE_UPDATE));
      const editsDuringDelivery = bot.slack.callsTo('chat.update').map((call) => call.status);
      const deferred = queued.map((message) => message.delaySeconds);
      await drainQueue();

      // Assess
      // The delivery neither waited out Retry-After nor retried: it queued the edit for then.
      expect(result).toMatchObject({ outcome: 'updated', placement: 'card' });
      expect(editsDuringDelivery).toStrictEqual([429]);
      expect(deferred).toStrictEqual([1]);
      expect(bot.slack.callsTo('chat.update').map((call) => call.status)).toStrictEqual([429, 200]);
      expect(blocksText(bot.slack.okCallsTo('chat.update')[0]?.body ?? {})).toContain('412');
    });
  });

  describe('Slack failures', () => {
    /** A delivery of the brute-force finding (`file`) scored High: its own card whatever the budget. */
    const highEvent = (file = BRUTE_FORCE): Event => {
      const event = fixture(file);
      event.detail.severity = 8;
      return event;
    };
    /**
     * Delivers the High brute-force finding while Slack refuses its card `refusals` times with 429
     * (the later refusals meet the queued post), and returns the post job notify queued.
     */
    const queueHighPost = async (refusals = 1): Promise<QueuedMessage> => {
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, refusals);
      await notify(highEvent());
      const job = queued.at(-1);
      if (job === undefined) throw new Error('no post was queued');
      return job;
    };
    /**
     * Waits, if need be, until the wall clock's minute has `ms` left: there is one digest per channel
     * and minute, and a test that expects one digest must not straddle two minutes.
     */
    const clearOfMinuteEnd = async (ms = 5_000): Promise<void> => {
      const left = 60_000 - (Date.now() % 60_000);
      if (left < ms) await new Promise((resolve) => setTimeout(resolve, left + 50));
    };
    /**
     * With a posting budget of one card (the first finding's), gathers a second finding into the
     * digest while Slack refuses the digest's post `refusals` times with 429 (the later refusals meet
     * the queued post), and returns the post job notify queued and the digest's key.
     */
    const queueDigestPost = async (
      refusals = 1
    ): Promise<{ job: QueuedMessage; digestKey: string }> => {
      await start({ POST_BUDGET_BURST: '1', POST_BUDGET_PER_SECOND: '0.001' });
      await clearOfMinuteEnd();
      await notify(distinctFinding(1));
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, refusals);
      await notify(distinctFinding(2));
      const [job] = queued.splice(0);
      if (job === undefined) throw new Error('no digest post was queued');
      const { record } = await digestEntryOf(distinctFinding(2).detail.id);
      const placement = record?.placement;
      return { job, digestKey: placement?.kind === 'digest' ? placement.digestKey : '' };
    };
    /** One SQS delivery of `body` to `worker`, as the `receiveCount`-th receive of `messageId`. */
    const deliverJob = (
      worker: Awaited<ReturnType<typeof createWorkerHandler>>,
      body: string,
      messageId: string,
      receiveCount = 1
    ) =>
      worker({
        Records: [
          {
            messageId,
            receiptHandle: `${messageId}-receipt`,
            body,
            attributes: { ApproximateReceiveCount: String(receiveCount) },
          },
        ],
      } as unknown as SQSEvent);
    /** When the worker set each failed message to come back (ChangeMessageVisibility), in seconds. */
    const comesBackIn = () =>
      sqs
        .commandCalls(ChangeMessageVisibilityCommand)
        .map((call) => [call.args[0].input.ReceiptHandle, call.args[0].input.VisibilityTimeout]);

    it("queues a High finding's card that Slack refused with 429 for when Slack says, and the worker posts it once", async () => {
      // Prepare
      await start({ SLACK_RETRIES: '3' });
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 2 });

      // Act
      const began = Date.now();
      const result = await notify(highEvent());
      const postsDuringDelivery = bot.slack.callsTo('chat.postMessage').map((call) => call.status);
      const jobs = queued.map((message) => ({
        kind: JSON.parse(message.body).kind,
        delaySeconds: message.delaySeconds,
      }));
      const lease = (await store().getFinding(BRUTE_FORCE_ID))?.placementLease;
      await drainQueue();

      // Assess
      // The delivery neither waited out Retry-After nor retried: it handed the post on.
      expect(result).toMatchObject({ outcome: 'created' });
      expect((result as { placement?: string }).placement).toBeUndefined();
      expect(postsDuringDelivery).toStrictEqual([429]);
      expect(jobs).toStrictEqual([{ kind: 'post', delaySeconds: 2 }]);
      // Its placement lease covers the delay and a lease after it, so nobody else places it.
      expect(lease?.until).toBeGreaterThanOrEqual(began + 2_000 + 60_000);
      expect(bot.slack.callsTo('chat.postMessage').map((call) => call.status)).toStrictEqual([
        429, 200,
      ]);
      expect((await store().getFinding(BRUTE_FORCE_ID))?.placement).toStrictEqual({ kind: 'card' });
      const posted = (await store().listAudit(BRUTE_FORCE_ID)).filter(
        (entry) => entry.kind === 'card.posted'
      );
      expect(posted).toHaveLength(1);
      expect(queued).toStrictEqual([]);
    });

    it('spaces the High cards one container queues after 429s a second apart, so they do not all come back at once', async () => {
      // Prepare
      await start();
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 3);

      // Act
      for (const index of [1, 2, 3]) await notify(distinctFinding(index, 8));
      const due = queued.map((message) => message.visibleAt);
      await drainQueue();

      // Assess: each due a second (Slack's pace in a channel) after the one before.
      expect(due).toHaveLength(3);
      for (const [index, at] of due.slice(1).entries()) {
        expect(at - (due[index] ?? 0)).toBeGreaterThanOrEqual(990);
      }
      expect(bot.slack.callsTo('chat.postMessage').map((call) => call.status)).toStrictEqual([
        429, 429, 429, 200, 200, 200,
      ]);
      for (const index of [1, 2, 3])
        expect(postsShowing(distinctFinding(index).detail.id)).toHaveLength(1);
    });

    it('posts a queued card once when SQS delivers its job twice', async () => {
      // Prepare
      await start();
      const job = await queueHighPost();

      // Act
      queued.push({ ...job });
      await drainQueue();

      // Assess
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      expect(queued).toStrictEqual([]);
    });

    it('posts one card when two runs of a queued post overlap', async () => {
      // Prepare
      await start();
      const job = await queueHighPost();
      queued.splice(0);
      const workers = await Promise.all(
        [0, 1].map(() => createWorkerHandler(loadConfig(bot.env), log.logger))
      );
      await new Promise((resolve) => setTimeout(resolve, job.visibleAt - Date.now()));

      // Act
      // SQS (standard queue) may hand the same message to two worker instances at once.
      const results = await Promise.all(
        workers.map((worker, index) => deliverJob(worker, job.body, `copy${index}`))
      );
      // A copy that found the other placing the finding failed: SQS runs it again later.
      const [first] = workers;
      const rerun = first === undefined ? undefined : await deliverJob(first, job.body, 'copy2');

      // Assess
      expect(results.flatMap((result) => result.batchItemFailures).length).toBeLessThanOrEqual(1);
      expect(rerun?.batchItemFailures).toStrictEqual([]);
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      expect((await store().getFinding(BRUTE_FORCE_ID))?.placement).toStrictEqual({ kind: 'card' });
    });

    it('fails a queued post while someone else holds the unplaced finding, so that SQS runs it again when that lease runs out', async () => {
      // Prepare
      await start();
      const job = await queueHighPost();
      queued.splice(0);
      // Another delivery, later than the extended lease, holds the placement now.
      const later = new Date(Date.now() + 10 * 60_000);
      const otherTook = await store().lockPlacement(BRUTE_FORCE_ID, later, 60_000, 'other');
      const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);

      // Act
      const result = await deliverJob(worker, job.body, 'm0');

      // Assess
      expect(otherTook).toBe(true);
      expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm0' }]);
      expect(bot.slack.okCallsTo('chat.postMessage')).toStrictEqual([]);
      expect((await store().getFinding(BRUTE_FORCE_ID))?.placementLease?.holder).toBe('other');
      const [[receipt, seconds] = []] = comesBackIn();
      expect(receipt).toBe('m0-receipt');
      expect(seconds).toBeGreaterThanOrEqual(652);
      expect(seconds).toBeLessThanOrEqual(662);
    });

    it('posts the card when SQS runs a queued post again after a run that failed', async () => {
      // Prepare
      await start({ SLACK_RETRIES: '0' });
      const job = await queueHighPost();
      queued.splice(0);
      const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);
      const run = (receiveCount: number) =>
        deliverJob(worker, job.body, `m${receiveCount}`, receiveCount);
      bot.slack.failNext('chat.postMessage', { status: 503 });

      // Act
      const failed = await run(1);
      const retried = await run(2);

      // Assess
      expect(failed.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm1' }]);
      // Back in a minute, not after the queue's 12-minute visibility timeout.
      expect(comesBackIn()).toStrictEqual([['m1-receipt', 60]]);
      expect(retried.batchItemFailures).toStrictEqual([]);
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      expect((await store().getFinding(BRUTE_FORCE_ID))?.placement).toStrictEqual({ kind: 'card' });
      const failures = (await store().listAudit(BRUTE_FORCE_ID)).filter(
        (entry) => entry.kind === 'slack.failed'
      );
      expect(failures).toHaveLength(1);
    });

    it('brings the card up to date when a queued post runs again after it posted', async () => {
      // Prepare
      await start({ CARD_UPDATE_INTERVAL_SECONDS: '1' });
      const job = await queueHighPost();
      await drainQueue();
      // A version saved after the post, as if the run that posted failed before showing it.
      const posted = await store().getFinding(BRUTE_FORCE_ID);
      if (posted === undefined) throw new Error('the finding is not recorded');
      const saved = await store().saveFinding({
        finding: { ...posted.finding, count: 412 },
        channel: posted.channel,
        now: new Date(),
      });

      // Act
      queued.push({ ...job, visibleAt: Date.now() });
      for (let round = 0; round < 5 && queued.length > 0; round += 1) await drainQueue();

      // Assess
      expect(saved.outcome).toBe('updated');
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      expect(blocksText(bot.slack.okCallsTo('chat.update').at(-1)?.body ?? {})).toContain('412');
      const card = await store().getCard(`FINDING#${BRUTE_FORCE_ID}`);
      expect(card?.renderedVersion).toBe(card?.version);
    });

    it('records a finding only when its latest version is below MIN_POST_SEVERITY by the time the queued post runs', async () => {
      // Prepare
      await start({ MIN_POST_SEVERITY: 'Medium' });
      await queueHighPost();
      const lowered = fixture(BRUTE_FORCE_UPDATE);
      lowered.detail.severity = 2;
      await notify(lowered);

      // Act
      await drainQueue();

      // Assess
      expect(bot.slack.okCallsTo('chat.postMessage')).toStrictEqual([]);
      expect((await store().getFinding(BRUTE_FORCE_ID))?.placement).toMatchObject({
        kind: 'record-only',
      });
    });

    it("queues the digest's post that Slack refused with 429, and the worker posts it once with every finding gathered meanwhile", async () => {
      // Prepare: a posting budget of one card, so the findings after the first go to the digest.
      await start({ SLACK_RETRIES: '3', POST_BUDGET_BURST: '1', POST_BUDGET_PER_SECOND: '0.001' });
      await clearOfMinuteEnd();
      await notify(distinctFinding(1));
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });

      // Act
      const refused = await notify(distinctFinding(2));
      const gatheredMeanwhile = await notify(distinctFinding(3));
      const postsBeforeTheJob = bot.slack.callsTo('chat.postMessage').map((call) => call.status);
      const jobs = queued.map((message) => ({
        kind: JSON.parse(message.body).kind,
        delaySeconds: message.delaySeconds,
      }));
      await drainQueue();

      // Assess
      // Neither delivery waited out Retry-After or retried: the post was handed to the worker,
      // and the delivery after it left the digest to the job.
      expect(refused).toMatchObject({ outcome: 'created', placement: 'digest' });
      expect(gatheredMeanwhile).toMatchObject({ outcome: 'created', placement: 'digest' });
      expect(postsBeforeTheJob).toStrictEqual([200, 429]);
      expect(jobs).toStrictEqual([{ kind: 'post', delaySeconds: 1 }]);
      const posts = bot.slack.callsTo('chat.postMessage');
      expect(posts.map((call) => call.status)).toStrictEqual([200, 429, 200]);
      expect(blocksText(posts[2]?.body ?? {})).toContain('2 findings in one minute');
      const { record } = await digestEntryOf(distinctFinding(2).detail.id);
      const digestKey = record?.placement?.kind === 'digest' ? record.placement.digestKey : '';
      const digestPost = bot.slack.okCallsTo('chat.postMessage')[1]?.response as { ts?: string };
      expect((await store().getCard(digestKey))?.ts).toBe(digestPost.ts);
    });

    it('leaves a digest a later delivery posted to that delivery when its queued post runs', async () => {
      // Prepare
      const { job } = await queueDigestPost();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await notify(distinctFinding(3));
      const postsBeforeTheJob = bot.slack.callsTo('chat.postMessage').map((call) => call.status);
      const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);

      // Act
      const result = await deliverJob(worker, job.body, 'm0');

      // Assess: the later delivery, the lease left for the job over, posted the digest itself.
      expect(postsBeforeTheJob).toStrictEqual([200, 429, 200]);
      expect(result.batchItemFailures).toStrictEqual([]);
      expect(bot.slack.callsTo('chat.postMessage').map((call) => call.status)).toStrictEqual([
        200, 429, 200,
      ]);
      expect(queued).toStrictEqual([]);
    });

    it('fails a queued digest post while another delivery holds its post lease, so that SQS runs it again when that lease runs out', async () => {
      // Prepare
      const { job, digestKey } = await queueDigestPost();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // Another delivery is posting the digest (and may die before it does).
      const otherTook = await store().lockCardPost(digestKey, new Date(), 60_000);
      const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);

      // Act
      const result = await deliverJob(worker, job.body, 'm0');

      // Assess
      expect(otherTook).toBe(true);
      expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm0' }]);
      expect(bot.slack.callsTo('chat.postMessage').map((call) => call.status)).toStrictEqual([
        200, 429,
      ]);
      const [[receipt, seconds] = []] = comesBackIn();
      expect(receipt).toBe('m0-receipt');
      expect(seconds).toBeGreaterThanOrEqual(60);
      expect(seconds).toBeLessThanOrEqual(62);
    });

    it("fails a delivery whose digest's post cannot be queued, and the digest's next delivery posts it", async () => {
      // Prepare
      await start({ POST_BUDGET_BURST: '1', POST_BUDGET_PER_SECOND: '0.001' });
      await clearOfMinuteEnd();
      await notify(distinctFinding(1));
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
      sqsDown = true;

      // Act
      const failure = await notify(distinctFinding(2)).catch((error: unknown) => error);
      sqsDown = false;
      const next = await notify(distinctFinding(3));

      // Assess: the post lease was released, not kept for a job that does not exist.
      expect(failure).toBeInstanceOf(EnqueueError);
      expect(next).toMatchObject({ outcome: 'created', placement: 'digest' });
      const posts = bot.slack.callsTo('chat.postMessage');
      expect(posts.map((call) => call.status)).toStrictEqual([200, 429, 200]);
      expect(blocksText(posts[2]?.body ?? {})).toContain('2 findings in one minute');
    });

    it('posts a queued digest when its job comes a little before the post lease left for it ends', async () => {
      // Prepare
      const { job } = await queueDigestPost();
      const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);

      // Act: at once, not after the job's one-second delay.
      const result = await deliverJob(worker, job.body, 'm0');

      // Assess
      expect(result.batchItemFailures).toStrictEqual([]);
      expect(bot.slack.callsTo('chat.postMessage').map((call) => call.status)).toStrictEqual([
        200, 429, 200,
      ]);
    });

    it("queues a queued digest's post again when Slack refuses it again", async () => {
      // Prepare
      const { job } = await queueDigestPost(2);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);

      // Act
      const refusedAgain = await deliverJob(worker, job.body, 'm0');
      const requeued = queued.map((message) => JSON.parse(message.body).args);
      await drainQueue();

      // Assess
      expect(refusedAgain.batchItemFailures).toStrictEqual([]);
      expect(requeued).toStrictEqual([{ digestKey: expect.stringMatching(/^DIGEST#/) }]);
      expect(bot.slack.callsTo('chat.postMessage').map((call) => call.status)).toStrictEqual([
        200, 429, 429, 200,
      ]);
    });

    it('fails a post job that names no lease holder or digest, for the dead-letter queue', async () => {
      // Prepare
      await start();
      await notify(fixture(BRUTE_FORCE));
      const worker = await createWorkerHandler(loadConfig(bot.env), log.logger);
      const body = JSON.stringify({
        id: 'post:x',
        kind: 'post',
        findingId: BRUTE_FORCE_ID,
        requestedBy: { userId: 'system', userName: 'guardduty-bot' },
        requestedAt: new Date().toISOString(),
      });

      // Act
      const result = await deliverJob(worker, body, 'm0');

      // Assess
      expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm0' }]);
      expect(log.everything()).toContain('names no finding, lease holder or digest');
    });

    it('queues a queued post again when Slack refuses it again', async () => {
      // Prepare
      await start();
      await queueHighPost(2);

      // Act
      await drainQueue();
      const requeued = queued.map((message) => JSON.parse(message.body).kind);
      await drainQueue();

      // Assess
      expect(requeued).toStrictEqual(['post']);
      expect(bot.slack.callsTo('chat.postMessage').map((call) => call.status)).toStrictEqual([
        429, 429, 200,
      ]);
      expect((await store().getFinding(BRUTE_FORCE_ID))?.placement).toStrictEqual({ kind: 'card' });
    });

    it('fails a delivery whose post cannot be queued, releasing the finding for its retry', async () => {
      // Prepare
      await start();
      bot.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
      const high = highEvent();
      sqsDown = true;

      // Act
      const failure = await notify(high).catch((error: unknown) => error);
      sqsDown = false;
      const retried = await notify(high);

      // Assess
      expect(failure).toBeInstanceOf(EnqueueError);
      expect(retried).toMatchObject({ outcome: 'unchanged', placement: 'card' });
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
    });

    it('fails while Slack is down without losing the finding, and a retry posts exactly one card', async () => {
      // Prepare
      await start({ SLACK_RETRIES: '1' });
      bot.slack.failNext('chat.postMessage', { status: 503 }, 2);

      // Act
      const failure = await notify(fixture(BRUTE_FORCE)).catch((error: unknown) => error);
      const retried = await notify(fixture(BRUTE_FORCE));

      // Assess
      expect(failure).toBeInstanceOf(SlackCallError);
      expect(retried).toMatchObject({ outcome: 'unchanged', placement: 'card' });
      expect(bot.slack.okCallsTo('chat.postMessage')).toHaveLength(1);
      expect((await store().getFinding(BRUTE_FORCE_ID))?.placement).toStrictEqual({ kind: 'card' });
      const failures = (await store().listAudit(BRUTE_FORCE_ID)).filter(
        (entry) => entry.kind === 'slack.failed'
      );
      expect(failures.map((entry) => entry.detail?.method)).toStrictEqual(['chat.postMessage']);
    });

    it("shows a version saved while a card's post was queued in the card it posts", async () => {
      // Prepare
      await start();
      await queueHighPost();

      // Act
      // The update finds the finding being placed by the queued post and leaves the card to it.
      const second = await notify(highEvent(BRUTE_FORCE_UPDATE));
      await drainQueue();

      // Assess
      expect(second).toMatchObject({ outcome: 'updated' });
      expect((second as { placement?: string }).placement).toBeUndefined();
      const posts = bot.slack.okCallsTo('chat.postMessage');
      expect(posts).toHaveLength(1);
      expect(blocksText(posts[0]?.body ?? {})).toContain('412');
      expect(bot.slack.callsTo('chat.update')).toStrictEqual([]);
      const card = await store().getCard(`FINDING#${BRUTE_FORCE_ID}`);
      expect(card?.renderedVersion).toBe(card?.version);
    });

    it('shows a version saved while a queued card was being posted', async () => {
      // Prepare
      await start({ SLACK_RETRIES: '1' });
      await queueHighPost();
      // The queued post's first try fails with 503; the client tries again 200 ms later.
      bot.slack.failNext('chat.postMessage', { status: 503 });

      // Act
      const posting = drainQueue();
      for (let waited = 0; bot.slack.callsTo('chat.postMessage').length < 2; waited += 5) {
        if (waited > 10_000) throw new Error('the queued post never reached Slack');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const second = await notify(highEvent(BRUTE_FORCE_UPDATE));
      await posting;
      for (let round = 0; round < 5 && queued.length > 0; round += 1) await drainQueue();

      // Assess
      expect(second).toMatchObject({ outcome: 'updated' });
      const posts = bot.slack.okCallsTo('chat.postMessage');
      expect(posts).toHaveLength(1);
      expect(blocksText(posts[0]?.body ?? {})).toContain('37');
      expect(blocksText(bot.slack.okCallsTo('chat.update').at(-1)?.body ?? {})).toContain('412');
      const card = await store().getCard(`FINDING#${BRUTE_FORCE_ID}`);
      expect(card?.renderedVersion).toBe(card?.version);
    });

    it('surfaces invalid_auth as a Slack call error without retrying', async () => {
      // Prepare
      await start();
      bot.slack.failNext('chat.postMessage', { error: 'invalid_auth' });

      // Act
      const failure = await notify(fixture(BRUTE_FORCE)).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(SlackCallError);
      expect((failure as SlackCallError).slackError).toBe('invalid_auth');
      expect(bot.slack.callsTo('chat.postMessage')).toHaveLength(1);
    });
  });

  describe('hostile and malformed input', () => {
    it('renders injection strings from a finding inert', async () => {
      // Prepare
      await start();
      const event = fixture(BRUTE_FORCE);
      event.detail.title = '<!channel> please <https://evil.example|log in> as <@U0ADMIN>';
      (event.detail.resource as { instanceDetails: { tags: unknown[] } }).instanceDetails.tags = [
        { key: 'Name', value: '<!here>&<b>' },
      ];

      // Act
      await notify(event);

      // Assess
      const post = bot.slack.okCallsTo('chat.postMessage')[0];
      const serialized = JSON.stringify(post?.body);
      expect(serialized).not.toContain('<!channel>');
      expect(serialized).not.toContain('<!here>');
      expect(serialized).not.toContain('<@U0ADMIN>');
      expect(serialized).not.toContain('<https://evil.example');
      expect(serialized).toContain('&lt;!channel&gt;');
    });

    it.each([
      ['a non-object', 'just a string'],
      ['a missing detail', { ...fixture(BRUTE_FORCE), detail: undefined }],
      [
        'a severity that is not a number',
        { ...fixture(BRUTE_FORCE), detail: { ...fixture(BRUTE_FORCE).detail, severity: 'high' } },
      ],
      ['an unknown source', { ...fixture(BRUTE_FORCE), source: 'aws.ec2' }],
    ])('rejects %s with one clear log line and writes nothing', async (_case, event) => {
      // Prepare
      await start();

      // Act
      const failure = await notify(event).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(InvalidEventError);
      expect(log.spies.error).toHaveBeenCalledTimes(1);
      expect(log.spies.error.mock.calls[0]?.[0]).toBe('rejected a malformed event');
      expect(await bot.scanItems()).toStrictEqual([]);
      expect(bot.slack.calls).toHaveLength(0);
    });

    it('gives an unknown finding type a generic card', async () => {
      // Prepare
      await start();
      const event = fixture(BRUTE_FORCE);
      event.detail.type = 'NewThreatPurpose:FutureResource/SomethingNew.Variant';

      // Act
      await notify(event);

      // Assess
      const post = bot.slack.okCallsTo('chat.postMessage')[0];
      expect(blocksText(post?.body ?? {})).toContain(
        'NewThreatPurpose:FutureResource/SomethingNew.Variant'
      );
      expect(findBlockKitViolations(post?.body ?? {})).toStrictEqual([]);
    });

    it('never logs the bot token', async () => {
      // Prepare
      await start({ LOG_LEVEL: 'DEBUG' });
      bot.slack.failNext('chat.postMessage', { error: 'invalid_auth' });

      // Act
      await notify(fixture(BRUTE_FORCE)).catch(() => undefined);
      await notify(fixture(BRUTE_FORCE));
      await notify(fixture(BRUTE_FORCE_UPDATE));

      // Assess
      expect(log.everything()).not.toContain(TEST_BOT_TOKEN);
      expect(log.everything()).not.toContain('test-signing-secret');
    });
  });
});
