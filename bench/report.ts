import { buildAfterActionReport } from '../src/app/report/buildAfterActionReport';
import type { AuditEntry } from '../src/ports/FindingStore';
import { findingId } from './environment';
import { forEachConcurrently, type tableAccess } from './seed';
import { rssSampler, type Summary, summarize } from './stats';

/** Results of the report scenario. */
export interface ReportResult {
  entries: number;
  repetitions: number;
  build: Summary;
  listAudit: Summary;
  markdownBytes: number;
  peakRssBytes: number;
}

/** A realistic incident's audit stream: re-publications, a few people acting, containment. */
const auditEntry = (index: number, start: number): AuditEntry => {
  const at = new Date(start + index * 7_000).toISOString();
  const person = index % 3 === 0 ? 'U0ALICE' : 'U0BOB';
  const cycle = index % 10;
  if (index === 0) {
    return {
      at,
      kind: 'card.posted',
      actor: 'system',
      dedupeKey: 'posted',
      result: 'ok',
      detail: { channel: 'C0INCIDENTS', ts: '1731000000.000100' },
    };
  }
  if (cycle < 5) {
    return {
      at,
      kind: 'finding.received',
      actor: 'system',
      dedupeKey: `event-${index}`,
      result: 'updated',
      detail: { eventId: `event-${index}`, count: 37 + index, updatedAt: at },
    };
  }
  if (cycle < 7) {
    return {
      at,
      kind: 'card.updated',
      actor: 'system',
      dedupeKey: `v${index}`,
      result: 'ok',
      detail: { channel: 'C0INCIDENTS', ts: '1731000000.000100', version: index },
    };
  }
  if (cycle === 7) {
    return {
      at,
      kind: 'action.denied',
      actor: 'U0MALLORY',
      dedupeKey: `denied-${index}`,
      result: 'denied',
      detail: { action: 'isolate', reason: 'not on the approvers list', userName: 'mallory' },
    };
  }
  if (cycle === 8) {
    return {
      at,
      kind: 'investigation.completed',
      actor: person,
      dedupeKey: `investigation-${index}`,
      result: 'ok',
      detail: { summary: `${index} failed logins from 203.0.113.${index % 250}`, userName: person },
    };
  }
  const kinds = ['action.requested', 'isolation.completed', 'release.completed'];
  return {
    at,
    kind: kinds[Math.floor(index / 10) % kinds.length] as string,
    actor: person,
    dedupeKey: `action-${index}`,
    result: 'ok',
    detail: { action: 'isolate', userName: person === 'U0ALICE' ? 'alice' : 'bob' },
  };
};

/**
 * Time to build the after-action report of one incident with `entries` audit entries, and the
 * baseline: reading those entries back from DynamoDB Local (`DynamoFindingStore.listAudit`, the
 * query the report job runs first). Both repeated `repetitions` times.
 */
export const measureReport = async (
  table: ReturnType<typeof tableAccess>,
  options: { entries: number; repetitions: number }
): Promise<ReportResult> => {
  const id = findingId('report', 1);
  await table.saveFindings([id]);
  const start = Date.parse('2025-03-11T14:05:12.870Z');
  const seeded = Array.from({ length: options.entries }, (_, index) => auditEntry(index, start));
  await forEachConcurrently(seeded, 10, async (entry) => {
    await table.store.appendAudit(id, entry);
  });
  const record = await table.store.getFinding(id);
  if (record === undefined) throw new Error('report: the incident was not recorded');

  const reads: number[] = [];
  const builds: number[] = [];
  let markdownBytes = 0;
  const sampler = rssSampler();
  for (let repetition = 0; repetition < options.repetitions; repetition += 1) {
    const readStarted = performance.now();
    const audit = await table.store.listAudit(id);
    reads.push(performance.now() - readStarted);
    if (audit.length !== options.entries) {
      throw new Error(`report: read ${audit.length} audit entries, seeded ${options.entries}`);
    }
    const buildStarted = performance.now();
    const report = buildAfterActionReport({ record, audit, timeZone: 'Europe/Berlin' });
    builds.push(performance.now() - buildStarted);
    markdownBytes = Buffer.byteLength(report.markdown);
  }
  return {
    entries: options.entries,
    repetitions: options.repetitions,
    build: summarize(builds),
    listAudit: summarize(reads),
    markdownBytes,
    peakRssBytes: sampler.stop(),
  };
};
