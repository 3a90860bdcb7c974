import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StoreError } from '../../domain/errors';
import { type Finding, findingInstanceId, resourceLabel } from '../../domain/Finding';
import type {
  ActionState,
  AuditEntry,
  CardState,
  DigestItem,
  DigestState,
  FindingRecord,
  FindingStore,
  IntentInput,
  Placement,
  SaveOutcome,
  TokenBudget,
  TokenGrant,
} from '../../ports/FindingStore';
import { REFRESH_SKEW_MS } from '../../ports/FindingStore';
import { documentClientFor, isConditionFailure } from './documentClient';
import { type Item, num, toAuditEntry, toCard, toRecord } from './itemMappers';

const STATE = 'STATE';
const findingPk = (findingId: string): string => `FINDING#${findingId}`;
// A lost race means another invocation took a token: someone always progresses, so retry generously.
const OPTIMISTIC_RETRIES = 100;

/** A conditional PutItem of an audit item, alone or inside a transaction. */
interface AuditPut {
  TableName: string;
  Item: Record<string, unknown>;
  ConditionExpression: string;
}

/** An UpdateItem on the bot's table, alone or inside a transaction. */
interface ItemUpdate {
  Key: Record<string, unknown>;
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** One use of a capped resource in a time bucket (see {@link FindingStore.takeQuota}). */
const quotaUpdate = (quota: { name: string; bucket: string; cap: number }): ItemUpdate => ({
  Key: { pk: `QUOTA#${quota.name}`, sk: quota.bucket },
  UpdateExpression: 'ADD used :one',
  ConditionExpression: 'attribute_not_exists(used) OR used < :cap',
  ExpressionAttributeValues: { ':one': 1, ':cap': quota.cap },
});

/** The sort key of a finding's entry in a digest. */
const digestEntrySk = (findingId: string): string => `ITEM#${findingId}`;

/** A finding's entry in a digest, as an item under the digest's key. */
const digestEntryItem = (digestKey: string, item: DigestItem): Item => ({
  pk: digestKey,
  sk: digestEntrySk(item.findingId),
  ...item,
});

/** Creates a minute's digest if needed and moves its version on: one more entry to show. */
const digestVersionUpdate = (digest: {
  digestKey: string;
  channel: string;
  minuteStart: string;
}): ItemUpdate => ({
  Key: { pk: digest.digestKey, sk: STATE },
  UpdateExpression: [
    'SET channel = if_not_exists(channel, :ch), minuteStart = if_not_exists(minuteStart, :m),',
    'renderedVersion = if_not_exists(renderedVersion, :zero),',
    'lastRenderedAt = if_not_exists(lastRenderedAt, :zero)',
    'ADD version :one',
  ].join(' '),
  ExpressionAttributeValues: {
    ':ch': digest.channel,
    ':m': digest.minuteStart,
    ':zero': 0,
    ':one': 1,
  },
});

const isTransactionConditionFailure = (error: unknown): boolean =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');

const isTransactionConflict = (error: unknown): boolean =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');

/** Condition: nobody holds the finding's placement lease (none taken, released, or run out at `:now`). */
const LEASE_FREE = '(attribute_not_exists(placementLockUntil) OR placementLockUntil < :now)';

/** Attempts of a transaction cancelled by a conflicting one (see `#transact`). */
const TRANSACTION_ATTEMPTS = 4;

/** The identifier GSI `byResource` indexes a finding under. */
const resourceKey = (finding: Finding): string => {
  const instanceId = findingInstanceId(finding);
  if (instanceId !== undefined) return instanceId;
  if (finding.resource.kind === 'AccessKey' && finding.resource.accessKeyId) {
    return finding.resource.accessKeyId;
  }
  return resourceLabel(finding.resource);
};

/**
 * {@link FindingStore} on one DynamoDB table (see `tableDefinition.ts` for the item layout).
 * Every race is settled by a conditional write; nothing is ever deleted.
 */
export class DynamoFindingStore implements FindingStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  /**
   * Token buckets this container found empty, and until when (epoch ms) they stay empty: only
   * refills add tokens, at the budget's rate, so asking DynamoDB again before then would only read
   * the same refusal (a storm asks for a token with every new finding). This holds while every
   * container uses the same budget for a bucket (they all read the same settings); while a changed
   * budget rolls out, a refusal may last up to one refill interval of the old one.
   */
  readonly #emptyUntil = new Map<string, number>();
  /** Per bucket: when the next caller refused with `takeTurn` is to come back (epoch ms). */
  readonly #nextTurn = new Map<string, number>();

  public constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#db = documentClientFor(options.client);
    this.#table = options.tableName;
  }

  public async saveFinding(input: {
    finding: Finding;
    channel: string;
    now: Date;
    placementLease?: { holder: string; ms: number };
  }): Promise<{ outcome: SaveOutcome; record: FindingRecord }> {
    const { finding, channel, now, placementLease } = input;
    const updatedAtMs = Date.parse(finding.updatedAt);
    const receivedAt = now.toISOString();
    try {
      const result = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: findingPk(finding.id), sk: STATE },
          // Newer means a later updatedAt, or the same updatedAt with a higher count: a
          // duplicate or an older delivery fails the condition and changes nothing.
          ConditionExpression:
            'attribute_not_exists(pk) OR findingUpdatedAtMs < :u OR (findingUpdatedAtMs = :u AND findingCount < :c)',
          UpdateExpression: [
            'SET findingJson = :f, findingUpdatedAtMs = :u, findingCount = :c, findingType = :t,',
            'severity = :s, lastReceivedAt = :now, gsi1pk = :g1, gsi1sk = :g1s,',
            'channel = if_not_exists(channel, :ch), firstReceivedAt = if_not_exists(firstReceivedAt, :now),',
            'renderedVersion = if_not_exists(renderedVersion, :zero),',
            'lastRenderedAt = if_not_exists(lastRenderedAt, :zero),',
            'gsi3pk = if_not_exists(gsi3pk, :g3), gsi3sk = if_not_exists(gsi3sk, :g3s),',
            'actions = if_not_exists(actions, :noActions),',
            // The lease is set once, with the record: a released lease is zero, never absent.
            'placementLockUntil = if_not_exists(placementLockUntil, :lease),',
            'placementLeaseHolder = if_not_exists(placementLeaseHolder, :holder)',
            'ADD version :one',
          ].join(' '),
          ExpressionAttributeValues: {
            ':f': JSON.stringify(finding),
            ':u': updatedAtMs,
            ':c': finding.count,
            ':t': finding.type,
            ':s': finding.severity,
            ':now': receivedAt,
            ':g1': `RESOURCE#${resourceKey(finding)}`,
            ':g1s': `${finding.updatedAt}#${finding.id}`,
            ':ch': channel,
            ':zero': 0,
            ':g3': `DAY#${receivedAt.slice(0, 10)}`,
            ':g3s': `${receivedAt}#${finding.id}`,
            ':one': 1,
            ':noActions': {},
            ':lease': placementLease === undefined ? 0 : now.getTime() + placementLease.ms,
            ':holder': placementLease?.holder ?? '',
          },
          ReturnValues: 'ALL_NEW',
        })
      );
      const record = toRecord(result.Attributes ?? {});
      return { outcome: record.version === 1 ? 'created' : 'updated', record };
    } catch (error) {
      if (!isConditionFailure(error))
        throw new StoreError('saving the finding failed', { cause: error });
    }
    const record = await this.getFinding(finding.id);
    if (!record) throw new StoreError(`finding ${finding.id} failed its condition but is missing`);
    const same =
      Date.parse(record.finding.updatedAt) === updatedAtMs &&
      record.finding.count === finding.count;
    return { outcome: same ? 'unchanged' : 'stale', record };
  }

  public async getFinding(findingId: string): Promise<FindingRecord | undefined> {
    const item = await this.#get(findingPk(findingId), STATE);
    return item ? toRecord(item) : undefined;
  }

  public async transitionAction(
    findingId: string,
    area: string,
    input: { from: readonly (string | null)[]; to: ActionState }
  ): Promise<boolean> {
    const update = this.#transitionUpdate(findingId, area, input);
    return update === undefined ? false : this.#conditionalUpdate(update);
  }

  public async recordIntent(input: IntentInput): Promise<boolean> {
    const transition = this.#transitionUpdate(input.findingId, input.area, input);
    if (transition === undefined || (input.quota !== undefined && input.quota.cap < 1))
      return false;
    // A conflict that outlasts the retries is answered like a failed condition: nothing was
    // written, and the step-by-step path finds out what holds.
    const outcome = await this.#transact(
      [
        ...this.#auditPuts(input.findingId, input.audit),
        { Update: { ...transition, TableName: this.#table } },
        ...(input.quota === undefined
          ? []
          : [{ Update: { ...quotaUpdate(input.quota), TableName: this.#table } }]),
      ],
      'recording the request',
      { conflict: 'condition-failed' }
    );
    return outcome === 'written';
  }

  /** The conditional update behind {@link transitionAction}; undefined when nothing can match. */
  #transitionUpdate(
    findingId: string,
    area: string,
    input: { from: readonly (string | null)[]; to: ActionState }
  ): ItemUpdate | undefined {
    const statuses = input.from.filter((status): status is string => status !== null);
    const values: Record<string, unknown> = { ':to': input.to, ':one': 1 };
    statuses.forEach((status, index) => {
      values[`:s${index}`] = status;
    });
    const conditions = [
      ...(input.from.includes(null) ? ['attribute_not_exists(actions.#area)'] : []),
      ...(statuses.length > 0
        ? [`actions.#area.#status IN (${statuses.map((_, index) => `:s${index}`).join(', ')})`]
        : []),
    ];
    if (conditions.length === 0) return undefined;
    return {
      Key: { pk: findingPk(findingId), sk: STATE },
      UpdateExpression: 'SET actions.#area = :to ADD version :one',
      ConditionExpression: `attribute_exists(pk) AND (${conditions.join(' OR ')})`,
      ExpressionAttributeNames: {
        '#area': area,
        ...(statuses.length > 0 ? { '#status': 'status' } : {}),
      },
      ExpressionAttributeValues: values,
    };
  }

  public async takeQuota(name: string, bucket: string, cap: number): Promise<boolean> {
    if (cap < 1) return false;
    return this.#conditionalUpdate(quotaUpdate({ name, bucket, cap }));
  }

  public async lockPlacement(
    findingId: string,
    now: Date,
    leaseMs: number,
    holder: string,
    options: { takeOverFrom?: string } = {}
  ): Promise<boolean> {
    const from = options.takeOverFrom;
    return this.#conditionalUpdate({
      Key: { pk: findingPk(findingId), sk: STATE },
      UpdateExpression: 'SET placementLockUntil = :until, placementLeaseHolder = :holder',
      ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(placement) OR placement.kind = :recordOnly) AND (${LEASE_FREE} OR placementLeaseHolder = :holder${from === undefined ? '' : ' OR placementLeaseHolder = :from'})`,
      ExpressionAttributeValues: {
        ':until': now.getTime() + leaseMs,
        ':now': now.getTime(),
        ':recordOnly': 'record-only',
        ':holder': holder,
        ...(from === undefined ? {} : { ':from': from }),
      },
    });
  }

  public async releasePlacement(findingId: string, holder: string): Promise<void> {
    // Only the holder's own lease: one that ran out may be someone else's by now.
    await this.#conditionalUpdate({
      Key: { pk: findingPk(findingId), sk: STATE },
      UpdateExpression: 'SET placementLockUntil = :released',
      ConditionExpression: 'placementLeaseHolder = :holder',
      ExpressionAttributeValues: { ':released': 0, ':holder': holder },
    });
  }

  public async setRecordOnly(
    findingId: string,
    reason: string,
    now: Date,
    holder?: string
  ): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: { pk: findingPk(findingId), sk: STATE },
      UpdateExpression: 'SET placement = :p, placementLockUntil = :released',
      ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(placement) AND ${holder === undefined ? LEASE_FREE : `(${LEASE_FREE} OR placementLeaseHolder = :holder)`}`,
      ExpressionAttributeValues: {
        ':p': { kind: 'record-only', reason } satisfies Placement,
        ':now': now.getTime(),
        ':released': 0,
        ...(holder === undefined ? {} : { ':holder': holder }),
      },
    });
  }

  public async setPlacement(
    findingId: string,
    placement: Placement,
    options: { digestEntry?: DigestItem } = {}
  ): Promise<FindingRecord> {
    const entry = options.digestEntry;
    const result = await this.#attempt('recording the placement', () =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: findingPk(findingId), sk: STATE },
          UpdateExpression: `SET placement = :p, placementLockUntil = :released${entry === undefined ? '' : ', digestEntry = :de'}`,
          ExpressionAttributeValues: {
            ':p': placement,
            ':released': 0,
            ...(entry === undefined ? {} : { ':de': entry }),
          },
          ReturnValues: 'ALL_NEW',
        })
      )
    );
    return toRecord(result.Attributes ?? {});
  }

  public async getCard(key: string): Promise<CardState | undefined> {
    const item = await this.#get(key, STATE);
    return item ? toCard(key, item) : undefined;
  }

  public async lockCardPost(key: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: { pk: key, sk: STATE },
      UpdateExpression: 'SET postLockUntil = :until',
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(ts) AND (attribute_not_exists(postLockUntil) OR postLockUntil < :now)',
      ExpressionAttributeValues: { ':until': now.getTime() + leaseMs, ':now': now.getTime() },
    });
  }

  public async releaseCardPost(key: string, options: { notBefore?: number } = {}): Promise<void> {
    const { notBefore } = options;
    await this.#update({
      Key: { pk: key, sk: STATE },
      ...(notBefore === undefined
        ? { UpdateExpression: 'REMOVE postLockUntil' }
        : {
            // lockCardPost takes a lease whose end is past: this one ends when the post may be tried.
            UpdateExpression: 'SET postLockUntil = :until',
            ExpressionAttributeValues: { ':until': notBefore },
          }),
    });
  }

  public async markPosted(
    key: string,
    input: { ts: string; renderedVersion: number; now: Date; placement?: Placement }
  ): Promise<void> {
    const placement =
      input.placement === undefined ? '' : ', placement = :p, placementLockUntil = :released';
    await this.#update({
      Key: { pk: key, sk: STATE },
      UpdateExpression: `SET ts = :ts, renderedVersion = :v, lastRenderedAt = :now${placement} REMOVE postLockUntil`,
      ExpressionAttributeValues: {
        ':ts': input.ts,
        ':v': input.renderedVersion,
        ':now': input.now.getTime(),
        ...(input.placement === undefined ? {} : { ':p': input.placement, ':released': 0 }),
      },
    });
  }

  public async claimRender(key: string, lastRenderedAt: number, now: Date): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: { pk: key, sk: STATE },
      UpdateExpression: 'SET lastRenderedAt = :now',
      ConditionExpression: 'lastRenderedAt = :seen',
      ExpressionAttributeValues: { ':now': now.getTime(), ':seen': lastRenderedAt },
    });
  }

  public async markRendered(key: string, version: number): Promise<void> {
    await this.#conditionalUpdate({
      Key: { pk: key, sk: STATE },
      UpdateExpression: 'SET renderedVersion = :v',
      ConditionExpression: 'renderedVersion < :v',
      ExpressionAttributeValues: { ':v': version },
    });
  }

  public async gatherIntoDigest(input: {
    digestKey: string;
    channel: string;
    minuteStart: string;
    item: DigestItem;
  }): Promise<CardState> {
    const { digestKey, item } = input;
    // No transaction (in DynamoDB a transaction costs twice the writes, and DynamoDB Local spends
    // about four single writes on one): the entry is written before the version moves, so every
    // render the new version calls for shows the entry. A failure in between leaves an entry that
    // a later render shows anyway, and the caller's retry (the finding is not placed yet) writes
    // both again: at worst one render more, never an entry left off.
    await this.#attempt('adding to the digest', () =>
      this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: digestEntryItem(digestKey, item),
        })
      )
    );
    const result = await this.#attempt('adding to the digest', () =>
      this.#db.send(
        new UpdateCommand({
          ...digestVersionUpdate(input),
          TableName: this.#table,
          ReturnValues: 'ALL_NEW',
        })
      )
    );
    return toCard(digestKey, result.Attributes ?? {});
  }

  public async addToDigest(input: {
    digestKey: string;
    channel: string;
    minuteStart: string;
    item: DigestItem;
    from: { updatedAt: string; count: number };
  }): Promise<boolean> {
    const { item, from } = input;
    // One transaction: the entry, the digest's version and the entry recorded with the finding
    // move together, and only while `from` is the finding's latest version (the save's ordering:
    // updatedAt, then count). A slow delivery of an older version writes nothing.
    const outcome = await this.#transact(
      [
        {
          Put: {
            TableName: this.#table,
            Item: digestEntryItem(input.digestKey, item),
          },
        },
        { Update: { ...digestVersionUpdate(input), TableName: this.#table } },
        {
          Update: {
            TableName: this.#table,
            Key: { pk: findingPk(item.findingId), sk: STATE },
            UpdateExpression: 'SET digestEntry = :entry',
            ConditionExpression: 'findingUpdatedAtMs = :u AND findingCount = :c',
            ExpressionAttributeValues: {
              ':entry': item,
              ':u': Date.parse(from.updatedAt),
              ':c': from.count,
            },
          },
        },
      ],
      'adding to the digest'
    );
    return outcome === 'written';
  }

  public async getDigest(digestKey: string): Promise<DigestState | undefined> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': digestKey },
    });
    const state = items.find((item) => item.sk === STATE);
    if (!state) return undefined;
    return {
      card: toCard(digestKey, state),
      minuteStart: String(state.minuteStart),
      items: items
        .filter((item) => String(item.sk).startsWith('ITEM#'))
        .map((item) => ({
          findingId: String(item.findingId),
          type: String(item.type),
          severity: num(item.severity),
          resource: String(item.resource),
          title: String(item.title),
        })),
    };
  }

  public async digestHolding(
    findingId: string,
    digestKeys: readonly string[]
  ): Promise<string | undefined> {
    const entries = await Promise.all(
      digestKeys.map((digestKey) => this.#get(digestKey, digestEntrySk(findingId)))
    );
    return digestKeys.findLast((_, index) => entries[index] !== undefined);
  }

  public async takeToken(
    bucket: string,
    now: Date,
    budget: TokenBudget,
    options: { takeTurn?: boolean; maxRetryInMs?: number } = {}
  ): Promise<TokenGrant> {
    const key = { pk: `BUCKET#${bucket}`, sk: 'TOKENS' };
    const nowMs = now.getTime();
    const known = `${bucket}|${budget.perSecond}|${budget.burst}`;
    const refused = (tokenAt: number): TokenGrant => {
      let retryAt = tokenAt;
      if (options.takeTurn) {
        // The line reaches no further than the callers can wait: turns beyond it would be held
        // for callers that come back sooner, and push everyone after them back for nothing.
        const latest = nowMs + (options.maxRetryInMs ?? Number.POSITIVE_INFINITY);
        retryAt = Math.min(latest, Math.max(tokenAt, this.#nextTurn.get(known) ?? 0));
        this.#nextTurn.set(known, Math.min(latest, retryAt + 1000 / budget.perSecond));
      }
      return { taken: false, retryInMs: Math.ceil(retryAt - nowMs) };
    };
    const emptyUntil = this.#emptyUntil.get(known) ?? 0;
    if (nowMs < emptyUntil) return refused(emptyUntil);
    let tokens = 0;
    for (let attempt = 0; attempt < OPTIMISTIC_RETRIES; attempt += 1) {
      const item = await this.#get(key.pk, key.sk);
      const refilledAt = num(item?.refilledAt, nowMs);
      const elapsedSeconds = Math.max(0, nowMs - refilledAt) / 1000;
      tokens = Math.min(
        budget.burst,
        num(item?.tokens, budget.burst) + elapsedSeconds * budget.perSecond
      );
      if (tokens < 1) break;
      // Optimistic concurrency: the write only lands if nobody took a token since our read.
      const written = await this.#conditionalPut(
        { ...key, tokens: tokens - 1, refilledAt: Math.max(nowMs, refilledAt) },
        item === undefined ? 'attribute_not_exists(pk)' : 'refilledAt = :seen AND tokens = :tokens',
        item === undefined ? undefined : { ':seen': item.refilledAt, ':tokens': item.tokens }
      );
      if (written) return { taken: true, retryInMs: 0 };
    }
    const untilNext = (Math.max(0, 1 - tokens) / budget.perSecond) * 1000;
    if (tokens < 1) this.#emptyUntil.set(known, nowMs + untilNext);
    return refused(nowMs + untilNext);
  }

  public async scheduleRefresh(key: string, dueAt: number, now: Date): Promise<boolean> {
    return this.#conditionalUpdate({
      Key: { pk: key, sk: STATE },
      UpdateExpression: 'SET refreshDueAt = :due',
      // A queued edit that has not started yet (due after now, with a margin for clock skew
      // between invocations) renders whatever is latest when it runs.
      ConditionExpression:
        'attribute_exists(ts) AND (attribute_not_exists(refreshDueAt) OR refreshDueAt <= :soon)',
      ExpressionAttributeValues: { ':due': dueAt, ':soon': now.getTime() + REFRESH_SKEW_MS },
    });
  }

  public async unscheduleRefresh(key: string, dueAt: number): Promise<void> {
    await this.#conditionalUpdate({
      Key: { pk: key, sk: STATE },
      UpdateExpression: 'REMOVE refreshDueAt',
      ConditionExpression: 'refreshDueAt = :due',
      ExpressionAttributeValues: { ':due': dueAt },
    });
  }

  public async appendAudit(
    findingId: string,
    entry: AuditEntry,
    options: { once?: boolean } = {}
  ): Promise<'appended' | 'duplicate'> {
    const [put, marker] = this.#auditPuts(findingId, entry);
    if (options.once) {
      const written = await this.#conditionalPut(
        put.Put.Item,
        put.Put.ConditionExpression,
        undefined
      );
      return written ? 'appended' : 'duplicate';
    }
    const outcome = await this.#transact([put, marker], 'appending to the audit stream');
    return outcome === 'written' ? 'appended' : 'duplicate';
  }

  /** The two writes of one audit entry: the entry, and the marker that makes it unique. */
  #auditPuts(findingId: string, entry: AuditEntry): [{ Put: AuditPut }, { Put: AuditPut }] {
    const pk = findingPk(findingId);
    const actorIndex =
      entry.actor === 'system'
        ? {}
        : { gsi2pk: `ACTOR#${entry.actor}`, gsi2sk: `${entry.at}#${findingId}` };
    return [
      {
        Put: {
          TableName: this.#table,
          Item: {
            pk,
            sk: `AUDIT#${entry.at}#${entry.kind}#${entry.dedupeKey}`,
            findingId,
            ...entry,
            ...actorIndex,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        // The marker makes a logical event unique even when a retry records it at another time.
        Put: {
          TableName: this.#table,
          Item: { pk, sk: `AUDITKEY#${entry.kind}#${entry.dedupeKey}`, at: entry.at },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  public async listAudit(findingId: string): Promise<AuditEntry[]> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
      ExpressionAttributeValues: { ':pk': findingPk(findingId), ':audit': 'AUDIT#' },
    });
    return items.map(toAuditEntry);
  }

  /**
   * One TransactWriteItems: 'condition-failed' when a condition did not hold (nothing written).
   * Concurrent transactions on the same item (a storm's digest, a finding being tapped while it is
   * updated) cancel each other with TransactionConflict, which the SDK does not retry: retried here
   * a few times with jitter, then thrown (or answered as `options.conflict`).
   */
  async #transact(
    items: NonNullable<TransactWriteCommandInput['TransactItems']>,
    what: string,
    options: { conflict?: 'condition-failed' } = {}
  ): Promise<'written' | 'condition-failed'> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
        return 'written';
      } catch (error) {
        if (isTransactionConditionFailure(error)) return 'condition-failed';
        if (!isTransactionConflict(error)) {
          throw new StoreError(`${what} failed`, { cause: error });
        }
        if (attempt >= TRANSACTION_ATTEMPTS) {
          if (options.conflict !== undefined) return options.conflict;
          throw new StoreError(`${what} failed: conflicting writes`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, attempt * (10 + Math.random() * 40)));
      }
    }
  }

  async #get(pk: string, sk: string): Promise<Item | undefined> {
    const result = await this.#attempt('reading an item', () =>
      this.#db.send(
        new GetCommand({ TableName: this.#table, Key: { pk, sk }, ConsistentRead: true })
      )
    );
    return result.Item;
  }

  async #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const exclusiveStartKey = startKey;
      const page = await this.#attempt('querying', () =>
        this.#db.send(
          new QueryCommand({
            ...input,
            TableName: this.#table,
            ConsistentRead: true,
            ExclusiveStartKey: exclusiveStartKey,
          })
        )
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  async #update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<void> {
    await this.#attempt('updating an item', () =>
      this.#db.send(new UpdateCommand({ ...input, TableName: this.#table }))
    );
  }

  /** An update that may lose a race: false when its condition fails. */
  async #conditionalUpdate(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.#db.send(new UpdateCommand({ ...input, TableName: this.#table }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new StoreError('updating an item failed', { cause: error });
    }
  }

  async #conditionalPut(
    item: Item,
    condition: string,
    values: Record<string, unknown> | undefined
  ): Promise<boolean> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        })
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new StoreError('writing an item failed', { cause: error });
    }
  }

  /** Runs one call and turns any failure into a StoreError saying what was being done. */
  async #attempt<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new StoreError(`${what} failed`, { cause: error });
    }
  }
}
