import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StoreError } from '../../domain/errors';
import { resourceLabel } from '../../domain/Finding';
import type { AuditEntry, FindingRecord, Placement } from '../../ports/FindingStore';
import { documentClientFor } from './documentClient';
import { type Item, toAuditEntry, toRecord } from './itemMappers';

/** A time window, ISO-8601 bounds, both inclusive; either may be left open. */
export interface TimeWindow {
  from?: string;
  to?: string;
}

/** Options shared by the index queries. */
export interface QueryOptions {
  /** Newest first instead of oldest first. @default false */
  newestFirst?: boolean;
  /** Stop after this many results. @default unlimited */
  limit?: number;
}

/** An audit entry found through its actor, with the finding it belongs to. */
export interface ActorAuditEntry extends AuditEntry {
  findingId: string;
}

/** A finding in a list of recent incidents. */
export interface IncidentSummary {
  findingId: string;
  type: string;
  title: string;
  severity: number;
  accountId: string;
  region: string;
  resource: string;
  channel: string;
  /** When the bot first received it (the `byTime` index key). */
  receivedAt: string;
  lastReceivedAt: string;
  archived: boolean;
  placement?: Placement['kind'];
}

/** Longest window {@link DynamoAuditQueries.recentIncidents} accepts (one query per day). */
const MAX_WINDOW_DAYS = 400;
const DAY_MS = 86_400_000;
/** Sorts after `#` and every character of an id: `<iso>~` bounds all keys `<iso>#<id>`. */
const AFTER = '~';

const normalizeIso = (value: string, what: string): string => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new StoreError(`${what} is not a date: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
};

/**
 * The audit trail's query paths on the bot's single table (layout in `tableDefinition.ts`):
 * by finding (the stream itself), by resource (index `byResource`), by Slack user (index
 * `byActor`) and by time (index `byTime`, one partition per UTC day). Every query follows
 * `LastEvaluatedKey` to the end (or to `limit`). Index reads are eventually consistent.
 */
export class DynamoAuditQueries {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #pageSize: number | undefined;

  /**
   * @param options.pageSize - DynamoDB `Limit` per page (tests use it to force pagination);
   *   default: DynamoDB's 1 MB pages
   */
  public constructor(options: { client: DynamoDBClient; tableName: string; pageSize?: number }) {
    this.#db = documentClientFor(options.client);
    this.#table = options.tableName;
    this.#pageSize = options.pageSize;
  }

  /** A finding's audit stream, oldest first (the same order as `FindingStore.listAudit`). */
  public async byFinding(findingId: string): Promise<AuditEntry[]> {
    const items = await this.#query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
        ExpressionAttributeValues: { ':pk': `FINDING#${findingId}`, ':audit': 'AUDIT#' },
        ConsistentRead: true,
      },
      {}
    );
    return items.map(toAuditEntry);
  }

  /**
   * The findings recorded for a resource: an instance id (also for credentials of an instance's
   * role), an access key id, or the resource label of other findings. `window` applies to the
   * finding's `updatedAt`.
   */
  public async byResource(
    resourceId: string,
    window: TimeWindow = {},
    options: QueryOptions = {}
  ): Promise<FindingRecord[]> {
    const items = await this.#indexQuery(
      'byResource',
      'gsi1',
      `RESOURCE#${resourceId}`,
      window,
      options
    );
    return items.filter((item) => item.sk === 'STATE').map(toRecord);
  }

  /** What a Slack user did, across findings; `window` applies to the entries' `at`. */
  public async byActor(
    slackUserId: string,
    window: TimeWindow = {},
    options: QueryOptions = {}
  ): Promise<ActorAuditEntry[]> {
    const items = await this.#indexQuery(
      'byActor',
      'gsi2',
      `ACTOR#${slackUserId}`,
      window,
      options
    );
    return items.map((item) => ({ ...toAuditEntry(item), findingId: String(item.findingId) }));
  }

  /**
   * The findings first received between `fromIso` and `toIso` (inclusive), one query per UTC day
   * of the window (at most 400 days).
   */
  public async recentIncidents(
    fromIso: string,
    toIso: string,
    options: QueryOptions = {}
  ): Promise<IncidentSummary[]> {
    const from = normalizeIso(fromIso, 'fromIso');
    const to = normalizeIso(toIso, 'toIso');
    if (from > to) return [];
    const firstDay = Date.parse(`${from.slice(0, 10)}T00:00:00.000Z`);
    const lastDay = Date.parse(`${to.slice(0, 10)}T00:00:00.000Z`);
    const days = (lastDay - firstDay) / DAY_MS + 1;
    if (days > MAX_WINDOW_DAYS) {
      throw new StoreError(`the window spans ${days} days; at most ${MAX_WINDOW_DAYS} are queried`);
    }
    const dayKeys = Array.from(
      { length: days },
      (_, index) => `DAY#${new Date(firstDay + index * DAY_MS).toISOString().slice(0, 10)}`
    );
    if (options.newestFirst) dayKeys.reverse();
    const results: IncidentSummary[] = [];
    for (const dayKey of dayKeys) {
      const remaining = options.limit === undefined ? undefined : options.limit - results.length;
      if (remaining !== undefined && remaining <= 0) break;
      const items = await this.#indexQuery(
        'byTime',
        'gsi3',
        dayKey,
        { from, to },
        { ...options, ...(remaining === undefined ? {} : { limit: remaining }) }
      );
      results.push(...items.filter((item) => item.sk === 'STATE').map(toSummary));
    }
    return results;
  }

  async #indexQuery(
    indexName: string,
    prefix: 'gsi1' | 'gsi2' | 'gsi3',
    partition: string,
    window: TimeWindow,
    options: QueryOptions
  ): Promise<Item[]> {
    const from = window.from === undefined ? undefined : normalizeIso(window.from, 'window.from');
    const to = window.to === undefined ? undefined : normalizeIso(window.to, 'window.to');
    const values: Record<string, unknown> = { ':pk': partition };
    let range = '';
    if (from !== undefined && to !== undefined) {
      range = ` AND ${prefix}sk BETWEEN :from AND :to`;
      values[':from'] = from;
      values[':to'] = `${to}${AFTER}`;
    } else if (from !== undefined) {
      range = ` AND ${prefix}sk >= :from`;
      values[':from'] = from;
    } else if (to !== undefined) {
      range = ` AND ${prefix}sk <= :to`;
      values[':to'] = `${to}${AFTER}`;
    }
    return this.#query(
      {
        IndexName: indexName,
        KeyConditionExpression: `${prefix}pk = :pk${range}`,
        ExpressionAttributeValues: values,
        ScanIndexForward: !options.newestFirst,
      },
      options
    );
  }

  async #query(
    input: Omit<QueryCommandInput, 'TableName'>,
    options: QueryOptions
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const exclusiveStartKey = startKey;
      let page: { Items?: Item[]; LastEvaluatedKey?: Record<string, unknown> };
      try {
        page = await this.#db.send(
          new QueryCommand({
            ...input,
            TableName: this.#table,
            ...(this.#pageSize === undefined ? {} : { Limit: this.#pageSize }),
            ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
          })
        );
      } catch (error) {
        throw new StoreError(`querying ${input.IndexName ?? 'the table'} failed`, { cause: error });
      }
      items.push(...(page.Items ?? []));
      if (options.limit !== undefined && items.length >= options.limit) {
        return items.slice(0, options.limit);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

const toSummary = (item: Item): IncidentSummary => {
  const { finding, channel, firstReceivedAt, lastReceivedAt, placement } = toRecord(item);
  return {
    findingId: finding.id,
    type: finding.type,
    title: finding.title,
    severity: finding.severity,
    accountId: finding.accountId,
    region: finding.region,
    resource: resourceLabel(finding.resource),
    channel,
    receivedAt: firstReceivedAt,
    lastReceivedAt,
    archived: finding.archived,
    ...(placement === undefined ? {} : { placement: placement.kind }),
  };
};
