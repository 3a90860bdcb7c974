import { AsyncLocalStorage } from 'node:async_hooks';
import { type AttributeValue, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { DynamoFindingStore } from '../src/adapters/dynamodb/DynamoFindingStore';
import { receiptEntry } from '../src/app/FindingNotifier';
import { createNotifyHandler, type NotifyHandler } from '../src/composition/notifyHandler';
import { createWorkerHandler, type WorkerHandler } from '../src/composition/workerHandler';
import { loadConfig } from '../src/config';
import { isAtLeast } from '../src/domain/Finding';
import { parseEvent } from '../src/events/parseEvent';
import { createTable, type DynamoLocal } from '../test/support/dynamoLocal';
import type { SlackRateLimits } from '../test/support/SlackServer';
import { type CpuSpent, cpuMeter } from './cpu';
import {
  type BenchStage,
  findingEvent,
  findingId,
  productionLikeDynamoClient,
  startStage,
} from './environment';
import { forEachConcurrently, tableAccess } from './seed';
import type { SqsSendMessageServer } from './sqsServer';
import { rssSampler, type Summary, summarize } from './stats';

/** Slack's limits as the issue states them: 1 post/s per channel with a burst of 5, ~50 edits/min. */
export const STORM_RATE_LIMITS: Required<SlackRateLimits> = {
  postMessagePerChannel: { perSecond: 1, burst: 5 },
  updatePerMinute: 50,
};

/** Settings of the storm. */
export interface StormOptions {
  findings: number;
  updates: number;
  concurrency: number;
  /** CARD_UPDATE_INTERVAL_SECONDS of the notify functions. */
  cardIntervalSeconds: number;
  /** SLACK_RETRIES of the notify functions. */
  slackRetries: number;
  /** Every n-th finding is High (its own card whatever the budget); 0: none. */
  highEvery: number;
  /** Lambda's asynchronous invocation: a failed event is retried twice, then goes to the DLQ. */
  maxAttempts: number;
  /** Worker instances taking the queued card edits (SQS event source, one job each). */
  workers: number;
  /** How long to let the queued edits catch up after the last delivery. */
  catchUpLimitMs: number;
}

/** Who sends a DynamoDB request, for {@link countDynamoRequests}. */
const caller = new AsyncLocalStorage<'notify' | 'worker'>();

/**
 * Counts the DynamoDB requests sent by code running inside `caller.run(...)`, by caller and
 * operation, until `stop()`: every request of the handlers in this process goes through one of the
 * two clients' `send`.
 */
const countDynamoRequests = () => {
  const counts: Record<string, Record<string, number>> = { notify: {}, worker: {} };
  const clients = [DynamoDBClient.prototype, DynamoDBDocumentClient.prototype] as {
    send: (command: object, ...rest: unknown[]) => Promise<unknown>;
  }[];
  const originals = clients.map((prototype) => prototype.send);
  clients.forEach((prototype, index) => {
    const original = originals[index] as (typeof clients)[number]['send'];
    prototype.send = function send(this: unknown, command: object, ...rest: unknown[]) {
      const who = caller.getStore();
      if (who !== undefined) {
        const name = command.constructor.name.replace(/Command$/, '');
        const byName = counts[who] ?? {};
        byName[name] = (byName[name] ?? 0) + 1;
        counts[who] = byName;
      }
      return original.call(this, command, ...rest);
    };
  });
  return {
    counts,
    stop: () => {
      clients.forEach((prototype, index) => {
        prototype.send = originals[index] as (typeof clients)[number]['send'];
      });
    },
  };
};

/** Results of the storm. */
export interface StormResult {
  options: StormOptions;
  deliveries: number;
  elapsedMs: number;
  /**
   * The notify instances' time (from taking an event to its result or failure, every attempt) spent
   * on the findings' first publications and on their re-publications.
   */
  instanceMs: { firstPublications: number; republications: number };
  deliveriesPerSecond: number;
  /** One notify invocation, from the event to its result. */
  deliveryMs: Summary;
  /** The baseline: bare PutItems, after {@link warmUpPutItemsPerSecond}'s pass. */
  rawPutItemsPerSecond: number;
  /**
   * The same pass just before, unmeasured: it warms this fresh process's SDK and the storm's new
   * table (it ran 1.3–1.6× slower than the measured pass when it was the baseline).
   */
  warmUpPutItemsPerSecond: number;
  /**
   * CPU spent by this process (handlers, workers, Slack server, SQS stand-in) and by DynamoDB
   * Local, during the baseline's measured pass and during the deliveries.
   */
  cpu: { baseline: CpuSpent; deliveries: CpuSpent };
  /** Context: PutItem of finding-sized items with their two index keys, same concurrency. */
  findingSizedPutItemsPerSecond: number;
  /**
   * Context, measured after the storm on a table of its own: the storm's events under other ids,
   * at the same concurrency, through the store the functions use, doing only the two requests that
   * notify makes for every received version, one after the other: `savesAndAuditsPerSecond` parses
   * the event, saves the finding (the conditional write that keeps its latest count, returning the
   * record) and appends the audit entry of the save's outcome; then `savesPerSecond` without the
   * audit entry. No placement, no Slack. `rawPutItemsPerSecond` is a bare PutItem pass on that table
   * just before them (after an unmeasured one), their baseline.
   */
  floor: { rawPutItemsPerSecond: number; savesPerSecond: number; savesAndAuditsPerSecond: number };
  rawPutItems: number;
  /** Calls the Slack server received, per method: all, accepted, refused with 429. */
  slackCalls: Record<string, { calls: number; ok: number; rateLimited: number }>;
  rateLimited: number;
  cardsPosted: number;
  /** High findings, those whose own card Slack accepted, and the time from first delivery to it. */
  highCards: { findings: number; posted: number; ms: Summary };
  digestsPosted: number;
  /** Accepted posts vs what 1/s with a burst of 5 allows over the run. */
  postsAllowed: number;
  updatesAllowed: number;
  failedInvocations: number;
  /** Failed invocations by error (name and the start of its message). */
  failureReasons: Record<string, number>;
  /** Events that failed every attempt (Lambda would put them in notify's DLQ). */
  deadLettered: number;
  findingsLost: number;
  findingsChecked: number;
  peakRssBytes: number;
  outcomes: Record<string, number>;
  /** Card edits the notify path queued for later (SQS messages with a delay), and re-queued by the worker. */
  editsQueued: number;
  /** Posts of High findings' own cards that Slack refused with 429, queued for when it says. */
  postsQueued: number;
  /** Posts of the digest that Slack refused with 429, queued for when it says. */
  digestPostsQueued: number;
  /** Queued jobs (edits and posts) the worker ran. */
  workerJobs: number;
  workerFailures: number;
  /** From the last delivery until no queued job was left. */
  catchUpMs: number;
  /** DynamoDB requests by operation: of the notify deliveries and of the worker's queued jobs. */
  dynamoRequests: Record<string, Record<string, number>>;
  /** Cards and digests showing an older version than recorded once the queue was empty. */
  cardsBehind: number;
  cardsChecked: number;
  /** Findings neither in a card nor in a digest once the queue was empty. */
  findingsUnplaced: number;
  /** Lines the Web API client logged through `console` (set by the caller that silenced them). */
  consoleLines?: number;
}

/**
 * Operations per second at `concurrency`: `count` operations, each worker (container) with a client
 * of its own built like production's, running `operationFor(client)` for the indexes it takes.
 */
const ratePerSecond = async (
  env: Record<string, string>,
  count: number,
  concurrency: number,
  operationFor: (client: DynamoDBClient) => (index: number) => Promise<unknown>
): Promise<number> => {
  const clients = Array.from({ length: concurrency }, () => productionLikeDynamoClient(env));
  const operations = clients.map(operationFor);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    operations.map(async (operation) => {
      for (let index = next++; index < count; index = next++) await operation(index);
    })
  );
  const elapsed = performance.now() - started;
  for (const client of clients) client.destroy();
  return count / (elapsed / 1000);
};

/** The baseline: a bare item. */
const bareItem = (index: number): Record<string, AttributeValue> => ({
  pk: { S: `RAW#${index}` },
  sk: { S: 'STATE' },
  n: { N: String(index) },
});

/**
 * Context for the baseline: an item the size of a recorded finding (its JSON, routing and card
 * attributes) with keys in the two indexes a finding is in, as DynamoDB Local must maintain them.
 */
const findingSizedItem = (index: number): Record<string, AttributeValue> => {
  const event = findingEvent(findingId('raw', index));
  const now = new Date().toISOString();
  return {
    pk: { S: `RAWFINDING#${index}` },
    sk: { S: 'STATE' },
    findingJson: { S: JSON.stringify(event.detail) },
    findingUpdatedAtMs: { N: String(Date.parse(String(event.detail.updatedAt))) },
    findingCount: { N: '37' },
    findingType: { S: String(event.detail.type) },
    severity: { N: String(event.detail.severity) },
    channel: { S: 'C0INCIDENTS' },
    firstReceivedAt: { S: now },
    lastReceivedAt: { S: now },
    version: { N: '1' },
    renderedVersion: { N: '0' },
    lastRenderedAt: { N: '0' },
    actions: { M: {} },
    gsi1pk: { S: `RESOURCE#raw-${index}` },
    gsi1sk: { S: `${String(event.detail.updatedAt)}#${index}` },
    gsi3pk: { S: `DAY#${now.slice(0, 10)}` },
    gsi3sk: { S: `${now}#${index}` },
  };
};

/**
 * The storm's events for the findings `ids`: each one first published, then `options.updates`
 * re-publications in rounds over them (higher count, later updatedAt), every n-th one High.
 */
const stormEvents = (
  ids: readonly string[],
  options: StormOptions
): ReturnType<typeof findingEvent>[] => {
  const severity = (index: number): number =>
    options.highEvery > 0 && index % options.highEvery === options.highEvery - 1
      ? 8
      : index % 2 === 0
        ? 2
        : 5;
  const events = ids.map((id, index) => findingEvent(id, { severity: severity(index) }));
  for (let update = 0; update < options.updates; update += 1) {
    const index = update % ids.length;
    const round = Math.floor(update / ids.length) + 1;
    events.push(findingEvent(ids[index] as string, { update: round, severity: severity(index) }));
  }
  return events;
};

/** Bare PutItems (no condition) into `tableName`, of the items `item(index)` makes. */
const putItemRate = (
  env: Record<string, string>,
  tableName: string,
  count: number,
  concurrency: number,
  item: (index: number) => Record<string, AttributeValue>
): Promise<number> =>
  ratePerSecond(
    env,
    count,
    concurrency,
    (client) => (index) =>
      client.send(new PutItemCommand({ TableName: tableName, Item: item(index) }))
  );

/**
 * {@link StormResult.floor}: on a new table, a bare PutItem pass to warm it up, the measured one,
 * then the floor's two passes over the storm's events under other ids.
 */
const measureFloor = async (
  dynamo: DynamoLocal,
  stage: BenchStage,
  options: StormOptions
): Promise<StormResult['floor']> => {
  const tableName = `${stage.tableName}-floor`;
  await createTable(dynamo.endpoint, tableName);
  const config = loadConfig(stage.env);
  const count = options.findings + options.updates;
  const puts = (offset: number) =>
    putItemRate(stage.env, tableName, count, options.concurrency, (index) =>
      bareItem(offset + index)
    );
  const deliveries = (label: string, audit: boolean) => {
    const ids = Array.from({ length: options.findings }, (_, index) => findingId(label, index));
    const events = stormEvents(ids, options);
    return ratePerSecond(stage.env, events.length, options.concurrency, (client) => {
      const store = new DynamoFindingStore({ client, tableName });
      return async (index) => {
        const parsed = parseEvent(events[index], {
          skipSecurityHubGuardDuty: config.skipSecurityHubGuardDuty,
        });
        if (parsed.kind !== 'finding') throw new Error(`storm event ${index} did not parse`);
        const { finding, eventId, eventTime } = parsed;
        const now = new Date();
        // Every storm finding is posted (Low and up): its save takes the placement lease, as
        // notify's does.
        const { outcome } = await store.saveFinding({
          finding,
          channel: config.defaultChannel,
          now,
          placementLease: { holder: `floor-${index}`, ms: 60_000 },
        });
        // Every event is a new version: anything else would measure another path.
        if (outcome !== 'created' && outcome !== 'updated') {
          throw new Error(`floor event ${index} was ${outcome}`);
        }
        if (!audit) return;
        await store.appendAudit(
          finding.id,
          receiptEntry({ finding, eventId, eventTime }, outcome, now),
          { once: true }
        );
      };
    });
  };
  await puts(0);
  const rawPutItemsPerSecond = await puts(count);
  const savesAndAuditsPerSecond = await deliveries('floorboth', true);
  const savesPerSecond = await deliveries('floorsave', false);
  return { rawPutItemsPerSecond, savesPerSecond, savesAndAuditsPerSecond };
};

/**
 * A GuardDuty storm into the real notify handler: `findings` new findings, then `updates`
 * re-publications of them (higher count, later updatedAt), delivered by `concurrency` handler
 * instances (one per simulated Lambda container, each one event at a time) against DynamoDB Local
 * and a Slack server that enforces Slack's rate limits with 429 + Retry-After. A failed event is
 * re-delivered later, as Lambda's asynchronous retries do (at most `maxAttempts` attempts).
 */
export const measureStorm = async (
  dynamo: DynamoLocal,
  sqs: SqsSendMessageServer,
  options: StormOptions
): Promise<StormResult> => {
  const stage = await startStage(dynamo, sqs, {
    slack: { rateLimits: STORM_RATE_LIMITS },
    env: {
      CARD_UPDATE_INTERVAL_SECONDS: String(options.cardIntervalSeconds),
      SLACK_RETRIES: String(options.slackRetries),
      SLACK_TIMEOUT_MS: '10000',
    },
  });
  const table = tableAccess(stage);
  try {
    const rawPutItems = options.findings + options.updates;
    const rate = (item: (index: number) => Record<string, AttributeValue>) =>
      putItemRate(stage.env, stage.tableName, rawPutItems, options.concurrency, item);
    // Both passes write new items: the second measures what the first warmed up.
    const warmUpPutItemsPerSecond = await rate(bareItem);
    const baselineMeter = cpuMeter(dynamo.pid);
    const rawPutItemsPerSecond = await rate((index) => bareItem(rawPutItems + index));
    const baselineCpu = baselineMeter.stop();
    const findingSizedPutItemsPerSecond = await rate(findingSizedItem);

    const ids = Array.from({ length: options.findings }, (_, index) => findingId('storm', index));
    const latestCount = new Map<string, number>();
    const events = stormEvents(ids, options).map((event, index) => ({
      event,
      attempts: 0,
      firstPublication: index < ids.length,
      /** When its first attempt began (epoch ms). */
      firstAttemptAt: undefined as number | undefined,
    }));
    for (const { event } of events) {
      const count = (event.detail.service as { count: number }).count;
      const id = String(event.detail.id);
      latestCount.set(id, Math.max(latestCount.get(id) ?? 0, count));
    }

    const config = loadConfig(stage.env);
    const handlers: NotifyHandler[] = await Promise.all(
      Array.from({ length: options.concurrency }, () => createNotifyHandler(config))
    );
    const workers: WorkerHandler[] = await Promise.all(
      Array.from({ length: options.workers }, () => createWorkerHandler(config))
    );
    sqs.clearPending();
    const sentBefore = sqs.messages.length;
    const outcomes: Record<string, number> = {};
    let failedInvocations = 0;
    const failureReasons: Record<string, number> = {};
    let deadLettered = 0;
    const deliveryTimes: number[] = [];
    let workerJobs = 0;
    let workerFailures = 0;
    let delivering = true;
    let deliveredAt = Number.POSITIVE_INFINITY;
    const queue = [...events];
    const sampler = rssSampler();
    const requests = countDynamoRequests();
    const started = performance.now();
    const instanceMs = { firstPublications: 0, republications: 0 };
    const meter = cpuMeter(dynamo.pid);
    // The worker's event source: each instance takes a queued edit once its delay is over.
    const draining = Promise.all(
      workers.map(async (worker) => {
        const catchUpDeadline = (): boolean =>
          !delivering && performance.now() - deliveredAt > options.catchUpLimitMs;
        while (delivering || (sqs.pendingCount > 0 && !catchUpDeadline())) {
          const body = sqs.takeDue();
          if (body === undefined) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            continue;
          }
          workerJobs += 1;
          const event = {
            Records: [
              {
                messageId: `storm-${workerJobs}`,
                body,
                attributes: { ApproximateReceiveCount: '1' },
              },
            ],
          } as unknown as SQSEvent;
          const result = await caller
            .run('worker', () => worker(event))
            .catch(() => ({ batchItemFailures: [{}] }));
          if (result.batchItemFailures.length > 0) workerFailures += 1;
        }
      })
    );
    await Promise.all(
      handlers.map(async (handler) => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          next.attempts += 1;
          next.firstAttemptAt ??= Date.now();
          const began = performance.now();
          try {
            const result = await caller.run('notify', () => handler(next.event));
            deliveryTimes.push(performance.now() - began);
            const key = 'outcome' in result ? `${result.outcome}/${result.placement}` : 'skipped';
            outcomes[key] = (outcomes[key] ?? 0) + 1;
          } catch (error) {
            failedInvocations += 1;
            const reason =
              error instanceof Error
                ? `${error.name}: ${error.message.slice(0, 80)}`
                : String(error);
            failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
            if (next.attempts < options.maxAttempts) queue.push(next);
            else deadLettered += 1;
          } finally {
            instanceMs[next.firstPublication ? 'firstPublications' : 'republications'] +=
              performance.now() - began;
          }
        }
      })
    );
    deliveredAt = performance.now();
    const stormCpu = meter.stop();
    delivering = false;
    const elapsedMs = deliveredAt - started;
    await draining;
    const catchUpMs = performance.now() - deliveredAt;
    const peakRssBytes = sampler.stop();
    requests.stop();

    // Every card and digest shows the latest recorded version once the queued edits have run.
    const cardKeys = new Set<string>();
    let cardsBehind = 0;
    let findingsUnplaced = 0;
    await forEachConcurrently(ids, 10, async (id) => {
      const placement = (await table.store.getFinding(id))?.placement;
      if (placement === undefined) findingsUnplaced += 1;
      if (placement?.kind === 'card') cardKeys.add(`FINDING#${id}`);
      if (placement?.kind === 'digest') cardKeys.add(placement.digestKey);
    });
    await forEachConcurrently([...cardKeys], 10, async (key) => {
      const card = await table.store.getCard(key);
      if (card === undefined || card.renderedVersion < card.version) cardsBehind += 1;
    });

    // Nothing lost: every finding is recorded with the count of its latest publication.
    let findingsLost = 0;
    await forEachConcurrently(ids, 10, async (id) => {
      const record = await table.store.getFinding(id);
      if (record?.finding.count !== latestCount.get(id)) findingsLost += 1;
    });

    // Last, on a table of its own: the baseline and the storm ran on a DynamoDB Local as warm as
    // before, and the floor's own baseline is measured just before it.
    const floor = await measureFloor(dynamo, stage, options);

    const slackCalls: StormResult['slackCalls'] = {};
    for (const call of stage.slack.calls) {
      const entry = slackCalls[call.method] ?? { calls: 0, ok: 0, rateLimited: 0 };
      entry.calls += 1;
      if (call.status === 429) entry.rateLimited += 1;
      if ((call.response as { ok?: boolean }).ok === true) entry.ok += 1;
      slackCalls[call.method] = entry;
    }
    const queuedKinds: Record<string, number> = {};
    for (const body of sqs.messages.slice(sentBefore)) {
      const { kind, args } = JSON.parse(body) as { kind: string; args?: { digestKey?: string } };
      // A post job names the digest when it posts one, the lease holder when it posts a card.
      const counted = kind === 'post' && args?.digestKey !== undefined ? 'post-digest' : kind;
      queuedKinds[counted] = (queuedKinds[counted] ?? 0) + 1;
    }
    const posts = stage.slack.okCallsTo('chat.postMessage');
    const cards = posts.filter((call) => !String(call.body.text).startsWith('Storm digest'));
    const digestsPosted = posts.length - cards.length;
    // From a High finding's first delivery to Slack accepting its own card.
    const highFindings = events.filter(
      ({ event, firstPublication }) =>
        firstPublication && isAtLeast(Number(event.detail.severity), 'High')
    );
    const highCardTimes = highFindings.flatMap(({ event, firstAttemptAt }) => {
      const card = cards.find((call) =>
        JSON.stringify(call.body.blocks).includes(String(event.detail.id))
      );
      return card === undefined || firstAttemptAt === undefined ? [] : [card.at - firstAttemptAt];
    });
    // Slack's limits hold over everything Slack saw: the deliveries and the catch-up after them.
    const seconds = (elapsedMs + catchUpMs) / 1000;
    const { postMessagePerChannel, updatePerMinute } = STORM_RATE_LIMITS;
    return {
      options,
      deliveries: events.length,
      elapsedMs,
      instanceMs,
      deliveriesPerSecond: events.length / (elapsedMs / 1000),
      deliveryMs: summarize(deliveryTimes),
      rawPutItemsPerSecond,
      warmUpPutItemsPerSecond,
      cpu: { baseline: baselineCpu, deliveries: stormCpu },
      findingSizedPutItemsPerSecond,
      floor,
      rawPutItems,
      slackCalls,
      rateLimited: Object.values(stage.slack.rateLimited).reduce((sum, value) => sum + value, 0),
      cardsPosted: cards.length,
      highCards: {
        findings: highFindings.length,
        posted: highCardTimes.length,
        ms: summarize(highCardTimes),
      },
      digestsPosted,
      postsAllowed: Math.floor(
        postMessagePerChannel.burst + postMessagePerChannel.perSecond * seconds
      ),
      updatesAllowed: Math.floor(updatePerMinute + (updatePerMinute / 60) * seconds),
      failedInvocations,
      failureReasons,
      deadLettered,
      findingsLost,
      findingsChecked: ids.length,
      peakRssBytes,
      outcomes,
      editsQueued: queuedKinds.refresh ?? 0,
      postsQueued: queuedKinds.post ?? 0,
      digestPostsQueued: queuedKinds['post-digest'] ?? 0,
      workerJobs,
      workerFailures,
      catchUpMs,
      cardsBehind,
      cardsChecked: cardKeys.size,
      findingsUnplaced,
      dynamoRequests: requests.counts,
    };
  } finally {
    table.close();
    await stage.close();
  }
};
