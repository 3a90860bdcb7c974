import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { SEVERITY_BANDS, type SeverityBand, severityBand } from '../../domain/Finding';
import { dateToken, escapeAndTruncate, truncate } from '../mrkdwn';
import { friendlyFindingType, type SlackMessage, severityEmoji } from './findingCard';

/**
 * The storm digest: when many findings reach one channel within a minute, one message sums them
 * up instead of one card each. It stays within Slack's limits (50 blocks, 3000 characters a
 * section, 10 context elements) for any number of entries.
 */

/** One finding gathered into a digest. Every string is untrusted (it came from the finding). */
export interface DigestEntry {
  findingId: string;
  type: string;
  severity: number;
  /** A short label of the resource, e.g. from `resourceLabel`. */
  resource: string;
  title: string;
}

/** What the digest shows. */
export interface DigestView {
  /** Start of the minute the findings arrived in, ISO-8601. */
  minuteStart: string;
  entries: DigestEntry[];
}

const SECTION_MAX = 3000;
/** Type lines shown at most; the rest are summed up in one line. */
const MAX_TYPE_LINES = 40;
/** Sections the type lines may fill (header + summary + these + 2 contexts ≤ 50 blocks). */
const MAX_TYPE_SECTIONS = 12;
const MAX_IDS = 10;
const RESOURCES_PER_TYPE = 3;

interface TypeGroup {
  type: string;
  maxSeverity: number;
  count: number;
  resources: string[];
  /** Every distinct resource seen, to count the ones not shown. */
  distinct: Set<string>;
}

/** A severity that sorts and bands safely (NaN and out-of-range values count as 0). */
const safeSeverity = (severity: number): number => (Number.isFinite(severity) ? severity : 0);

const bandLabel = (band: SeverityBand): string => `${severityEmoji(band)} *${band}*`;

const plural = (count: number, word: string): string =>
  `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;

const groupByType = (entries: readonly DigestEntry[]): TypeGroup[] => {
  const groups = new Map<string, TypeGroup>();
  for (const entry of entries) {
    let group = groups.get(entry.type);
    if (!group) {
      group = { type: entry.type, maxSeverity: -1, count: 0, resources: [], distinct: new Set() };
      groups.set(entry.type, group);
    }
    group.count += 1;
    group.maxSeverity = Math.max(group.maxSeverity, safeSeverity(entry.severity));
    if (!group.distinct.has(entry.resource)) {
      group.distinct.add(entry.resource);
      if (group.resources.length < RESOURCES_PER_TYPE) group.resources.push(entry.resource);
    }
  }
  return [...groups.values()].sort(
    (a, b) => b.maxSeverity - a.maxSeverity || b.count - a.count || a.type.localeCompare(b.type)
  );
};

const typeLine = (group: TypeGroup): string => {
  const resources = group.resources.map((resource) => escapeAndTruncate(resource, 60));
  const more = group.distinct.size - resources.length;
  const where =
    resources.length > 0
      ? ` — ${resources.join(', ')}${more > 0 ? ` +${more.toLocaleString('en-US')} more` : ''}`
      : '';
  const name = escapeAndTruncate(friendlyFindingType(group.type), 100);
  return `${bandLabel(severityBand(group.maxSeverity))} · ${name} · ${group.count.toLocaleString('en-US')}×${where}`;
};

/** Packs lines into section texts of at most 3000 characters each. */
const packLines = (lines: readonly string[]): string[] => {
  const texts: string[] = [];
  let current = '';
  for (const line of lines) {
    const safe = truncate(line, SECTION_MAX);
    if (current && current.length + 1 + safe.length > SECTION_MAX) {
      texts.push(current);
      current = safe;
    } else {
      current = current ? `${current}\n${safe}` : safe;
    }
  }
  if (current) texts.push(current);
  return texts;
};

const section = (blockId: string, text: string): SectionBlock => ({
  type: 'section',
  block_id: blockId,
  text: { type: 'mrkdwn', text },
});

const countsByBand = (entries: readonly DigestEntry[]): Map<SeverityBand, number> => {
  const counts = new Map<SeverityBand, number>();
  for (const entry of entries) {
    const band = severityBand(safeSeverity(entry.severity));
    counts.set(band, (counts.get(band) ?? 0) + 1);
  }
  return counts;
};

/** Renders the storm digest of one minute. */
export const renderDigestCard = (view: DigestView): SlackMessage => {
  const { entries } = view;
  const bands = [...SEVERITY_BANDS].reverse();
  const counts = countsByBand(entries);
  const present = bands.filter((band) => (counts.get(band) ?? 0) > 0);

  const summary = [
    `Minute starting ${dateToken(view.minuteStart)}`,
    ...present.map(
      (band) => `${bandLabel(band)}: ${(counts.get(band) ?? 0).toLocaleString('en-US')}`
    ),
  ].join('\n');

  const groups = groupByType(entries);
  const shown = groups.slice(0, MAX_TYPE_LINES);
  const hidden = groups.slice(MAX_TYPE_LINES);
  const lines = shown.map(typeLine);
  if (hidden.length > 0) {
    const hiddenCount = hidden.reduce((sum, group) => sum + group.count, 0);
    lines.push(`…and ${plural(hidden.length, 'more type')} (${plural(hiddenCount, 'finding')})`);
  }
  const typeSections = packLines(lines)
    .slice(0, MAX_TYPE_SECTIONS)
    .map((text, index) => section(`digest_types_${index}`, text));

  const mostSevere = entries
    .map((entry, index) => ({ entry, index }))
    .sort(
      (a, b) => safeSeverity(b.entry.severity) - safeSeverity(a.entry.severity) || a.index - b.index
    )
    .slice(0, MAX_IDS)
    .map(({ entry }) => `\`${escapeAndTruncate(entry.findingId, 80)}\``);
  const ids: ContextBlock | undefined =
    mostSevere.length > 0
      ? {
          type: 'context',
          block_id: 'digest_ids',
          elements: [
            { type: 'mrkdwn', text: `Most severe: ${mostSevere.join(', ')}` },
            { type: 'mrkdwn', text: '`/guardduty finding &lt;id&gt;` shows any of them' },
          ],
        }
      : undefined;

  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: 'digest_header',
      text: {
        type: 'plain_text',
        text: `🌩️ ${plural(entries.length, 'finding')} in one minute`,
        emoji: true,
      },
    },
    section('digest_summary', summary),
    ...typeSections,
    ...(ids ? [ids] : []),
  ];
  const breakdown = present
    .map((band) => `${(counts.get(band) ?? 0).toLocaleString('en-US')} ${band}`)
    .join(', ');
  return {
    text: `Storm digest: ${plural(entries.length, 'finding')} in one minute${breakdown ? ` (${breakdown})` : ''}`,
    blocks,
  };
};
