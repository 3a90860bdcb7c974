import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StoreError } from '../../domain/errors';
import {
  IsolationLeaseLostError,
  type IsolationProgress,
  type IsolationRecord,
  type IsolationStatus,
  type OriginalState,
  type ReleaseProgress,
  type Requester,
} from '../../domain/isolation';
import type { IsolationStateStore, LeaseResult } from '../../ports/Containment';
import { documentClientFor, isConditionFailure } from './documentClient';

const SK = 'ISOLATION';
const key = (findingId: string) => ({ pk: `FINDING#${findingId}`, sk: SK });

type Item = Record<string, unknown>;

/** The identity of an isolation, written with the original state and never changed. */
interface Meta {
  findingId: string;
  instanceId: string;
  accountId: string;
  region: string;
  roleArn?: string;
  requestedBy: Requester;
  jobId: string;
  startedAt: string;
}

/**
 * {@link IsolationStateStore} on the bot's single table: one item per finding, pk
 * `FINDING#<findingId>`, sk `ISOLATION`, with
 * - `leaseOwner` / `leaseUntil` (epoch ms) / `attempts`: the lease, taken with a conditional update;
 * - `meta` and `original`: written only by {@link create} (condition: no record yet, or the last
 *   one released with a lower generation), so the original groups are recorded once per isolation;
 * - `generation`, `status`, `updatedAt`, `completedAt`, `progress`, `release`: saved by the lease
 *   holder only (condition on `leaseOwner` and `generation`).
 */
export class DynamoIsolationStateStore implements IsolationStateStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  public constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#db = documentClientFor(options.client);
    this.#table = options.tableName;
  }

  public async get(findingId: string): Promise<IsolationRecord | undefined> {
    const item = await this.#getItem(findingId);
    return item ? toRecord(item) : undefined;
  }

  public async acquireLease(
    findingId: string,
    owner: string,
    now: Date,
    leaseMs: number
  ): Promise<LeaseResult> {
    try {
      const result = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key(findingId),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until ADD attempts :one',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': now.getTime() + leaseMs,
            ':now': now.getTime(),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        })
      );
      const item = result.Attributes ?? {};
      const record = toRecord(item);
      return {
        acquired: true,
        attempt: typeof item.attempts === 'number' ? item.attempts : 1,
        ...(record === undefined ? {} : { record }),
      };
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw new StoreError('taking the isolation lease failed', { cause: error });
      }
    }
    const item = await this.#getItem(findingId);
    const until = item?.leaseUntil;
    return {
      acquired: false,
      ...(typeof until === 'number' ? { heldUntil: new Date(until).toISOString() } : {}),
    };
  }

  public async releaseLease(findingId: string, owner: string): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key(findingId),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        })
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw new StoreError('giving up the isolation lease failed', { cause: error });
    }
  }

  public async create(
    record: IsolationRecord,
    owner: string,
    now: Date,
    leaseMs: number
  ): Promise<'created' | 'conflict'> {
    const meta: Meta = {
      findingId: record.findingId,
      instanceId: record.instanceId,
      accountId: record.accountId,
      region: record.region,
      ...(record.roleArn === undefined ? {} : { roleArn: record.roleArn }),
      requestedBy: record.requestedBy,
      jobId: record.jobId,
      startedAt: record.startedAt,
    };
    const written = await this.#conditionalUpdate({
      Key: key(record.findingId),
      UpdateExpression: [
        'SET meta = :meta, original = :original, progress = :progress, generation = :gen,',
        '#status = :status, updatedAt = :updatedAt, leaseUntil = :until',
        'REMOVE #release, completedAt',
      ].join(' '),
      ConditionExpression:
        'leaseOwner = :owner AND (attribute_not_exists(generation) OR (generation < :gen AND #status = :released))',
      ExpressionAttributeNames: { '#status': 'status', '#release': 'release' },
      ExpressionAttributeValues: {
        ':meta': meta,
        ':original': record.original,
        ':progress': record.progress,
        ':gen': record.generation,
        ':status': record.status,
        ':updatedAt': record.updatedAt,
        ':until': now.getTime() + leaseMs,
        ':owner': owner,
        ':released': 'released',
      },
    });
    return written ? 'created' : 'conflict';
  }

  public async save(
    record: IsolationRecord,
    owner: string,
    now: Date,
    leaseMs: number
  ): Promise<void> {
    const set = [
      '#status = :status',
      'updatedAt = :updatedAt',
      'progress = :progress',
      'leaseUntil = :until',
    ];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':status': record.status,
      ':updatedAt': record.updatedAt,
      ':progress': record.progress,
      ':until': now.getTime() + leaseMs,
      ':owner': owner,
      ':gen': record.generation,
    };
    if (record.completedAt === undefined) remove.push('completedAt');
    else {
      set.push('completedAt = :completedAt');
      values[':completedAt'] = record.completedAt;
    }
    if (record.release === undefined) remove.push('#release');
    else {
      set.push('#release = :release');
      values[':release'] = record.release;
    }
    const written = await this.#conditionalUpdate({
      Key: key(record.findingId),
      UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: 'leaseOwner = :owner AND generation = :gen',
      ExpressionAttributeNames: { '#status': 'status', '#release': 'release' },
      ExpressionAttributeValues: values,
    });
    if (!written) throw new IsolationLeaseLostError(record.findingId);
  }

  async #getItem(findingId: string): Promise<Item | undefined> {
    try {
      const result = await this.#db.send(
        new GetCommand({ TableName: this.#table, Key: key(findingId), ConsistentRead: true })
      );
      return result.Item;
    } catch (error) {
      throw new StoreError('reading the isolation record failed', { cause: error });
    }
  }

  async #conditionalUpdate(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.#db.send(new UpdateCommand({ ...input, TableName: this.#table }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new StoreError('writing the isolation record failed', { cause: error });
    }
  }
}

/** The record in an item, or undefined when the item holds only a lease. */
const toRecord = (item: Item): IsolationRecord | undefined => {
  if (item.meta === undefined || item.original === undefined) return undefined;
  const meta = item.meta as Meta;
  return {
    ...meta,
    generation: typeof item.generation === 'number' ? item.generation : 1,
    status: item.status as IsolationStatus,
    updatedAt: String(item.updatedAt),
    ...(typeof item.completedAt === 'string' ? { completedAt: item.completedAt } : {}),
    original: item.original as OriginalState,
    progress: item.progress as IsolationProgress,
    ...(item.release === undefined ? {} : { release: item.release as ReleaseProgress }),
  };
};
