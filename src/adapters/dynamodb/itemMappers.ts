import type { Finding } from '../../domain/Finding';
import type {
  ActionState,
  AuditEntry,
  CardState,
  DigestItem,
  FindingRecord,
  Placement,
} from '../../ports/FindingStore';

/** A DynamoDB item as the document client returns it. */
export type Item = Record<string, unknown>;

/** A number attribute, or `fallback` when absent. */
export const num = (value: unknown, fallback = 0): number =>
  typeof value === 'number' ? value : fallback;

/** A finding item (`FINDING#<id>` / `STATE`) as a {@link FindingRecord}. */
export const toRecord = (item: Item): FindingRecord => ({
  finding: JSON.parse(String(item.findingJson)) as Finding,
  channel: String(item.channel),
  version: num(item.version),
  firstReceivedAt: String(item.firstReceivedAt),
  lastReceivedAt: String(item.lastReceivedAt),
  ...(item.placement === undefined ? {} : { placement: item.placement as Placement }),
  actions: (item.actions ?? {}) as Record<string, ActionState>,
  ...(typeof item.pk === 'string' ? { card: toCard(item.pk, item) } : {}),
  ...(item.digestEntry === undefined ? {} : { digestEntry: item.digestEntry as DigestItem }),
  ...(typeof item.placementLeaseHolder === 'string'
    ? {
        placementLease: {
          holder: item.placementLeaseHolder,
          until: num(item.placementLockUntil),
        },
      }
    : {}),
});

/** A card item (a finding's own card or a digest) as a {@link CardState}. */
export const toCard = (key: string, item: Item): CardState => ({
  key,
  channel: String(item.channel),
  ...(typeof item.ts === 'string' ? { ts: item.ts } : {}),
  version: num(item.version),
  renderedVersion: num(item.renderedVersion),
  lastRenderedAt: num(item.lastRenderedAt),
  ...(typeof item.refreshDueAt === 'number' ? { refreshDueAt: item.refreshDueAt } : {}),
  ...(typeof item.postLockUntil === 'number' ? { postLockUntil: item.postLockUntil } : {}),
});

/** An audit item (`AUDIT#…`) as an {@link AuditEntry}. */
export const toAuditEntry = (item: Item): AuditEntry => ({
  at: String(item.at),
  kind: String(item.kind),
  actor: String(item.actor),
  dedupeKey: String(item.dedupeKey),
  result: String(item.result),
  ...(item.detail === undefined ? {} : { detail: item.detail as Record<string, unknown> }),
});
