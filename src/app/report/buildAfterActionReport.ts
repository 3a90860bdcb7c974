import { dismissReasonLabel } from '../../domain/dismissal';
import { type Finding, resourceLabel, severityBand } from '../../domain/Finding';
import type { AuditEntry, FindingRecord } from '../../ports/FindingStore';

/** Input of {@link buildAfterActionReport}. */
export interface AfterActionReportInput {
  record: FindingRecord;
  /** The finding's audit stream, in any order (it is sorted by time). */
  audit: AuditEntry[];
  /** Shown in the footer when given; leave unset for byte-identical reports of the same record. */
  generatedAt?: string;
  /** IANA time zone (e.g. `Europe/Berlin`): local times are shown next to UTC. Ignored if unknown. */
  timeZone?: string;
}

/** The report. */
export interface AfterActionReport {
  /** The whole report as GitHub-flavoured Markdown; finding- and user-sourced text is neutralized. */
  markdown: string;
  /**
   * One line for the Slack message that carries the file. Already escaped for mrkdwn (`&`, `<`,
   * `>`): do not escape it again.
   */
  summary: string;
}

type Detail = Record<string, unknown> | undefined;

interface TimelineRow {
  at: string;
  event: string;
  by: string;
}

interface Milestones {
  detected?: string;
  received?: string;
  posted?: string;
  firstHumanAction?: string;
  contained?: string;
  resolved?: string;
}

/** Longest untrusted value kept in one place of the report. */
const MAX_VALUE = 300;
/** Kinds left out of the timeline (they are counted instead). */
const QUIET_KINDS = new Set(['card.updated', 'finding.ignored']);
/** Results that need no mention in the timeline. */
const PLAIN_RESULTS = new Set(['ok', 'created', 'updated', 'unchanged', '']);
const ISOLATION_KINDS = [
  'isolation.completed',
  'isolation.partial',
  'isolation.failed',
  'isolation.stale',
  'isolation.planned',
];
const RELEASE_KINDS = ['release.completed', 'release.drift', 'release.partial', 'release.failed'];
/** Not a response to the incident, even when a person triggers them. */
const NON_RESPONSE_KINDS = new Set(['action.denied', 'report.generated']);

// ---------------------------------------------------------------------------------------------
// Markdown safety
// ---------------------------------------------------------------------------------------------

/**
 * Neutralizes untrusted text for Markdown: one line, at most `max` characters, HTML control
 * characters as entities, and every character with Markdown meaning inline (emphasis, code, links,
 * tables, headings, strike-through) backslash-escaped. Safe inside table cells.
 */
const md = (value: unknown, max = MAX_VALUE): string => {
  const text = String(value ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~#])/g, '\\$1');
};

/** A table cell: neutralized text, or an em dash when empty. */
const cell = (value: unknown, max = MAX_VALUE): string => {
  const text = md(value, max);
  return text === '' ? '—' : text;
};

const table = (headers: string[], rows: string[][]): string[] => [
  `| ${headers.join(' | ')} |`,
  `| ${headers.map(() => '---').join(' | ')} |`,
  ...rows.map((row) => `| ${row.join(' | ')} |`),
];

/** Escapes Slack's mrkdwn control characters. */
const mrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// ---------------------------------------------------------------------------------------------
// Reading details
// ---------------------------------------------------------------------------------------------

const str = (detail: Detail, key: string): string | undefined => {
  const value = detail?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const numberOf = (detail: Detail, key: string): number | undefined => {
  const value = detail?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

const list = (detail: Detail, key: string): unknown[] | undefined => {
  const value = detail?.[key];
  return Array.isArray(value) ? value : undefined;
};

const record = (value: unknown): Detail =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** Any JSON value as short, neutralized text (objects as `key: value; …`). */
const renderValue = (value: unknown, max = MAX_VALUE): string => {
  const flatten = (item: unknown): string => {
    if (item === null || item === undefined) return '';
    if (Array.isArray(item)) return item.map(flatten).join(', ');
    if (typeof item === 'object') {
      return Object.entries(item as Record<string, unknown>)
        .map(([key, entry]) => `${key}: ${flatten(entry)}`)
        .join('; ');
    }
    return String(item);
  };
  return md(flatten(value), max);
};

/** A count from a number or from the length of a list. */
const countOf = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.length;
  return undefined;
};

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

const ms = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));

/** `2025-03-11 14:05:12` (UTC), or the neutralized input when it is not a date. */
const utc = (iso: string): string => {
  const time = ms(iso);
  if (Number.isNaN(time)) return md(iso, 40);
  return new Date(time).toISOString().slice(0, 19).replace('T', ' ');
};

/** True when `timeZone` is an IANA zone this runtime knows. */
export const isValidTimeZone = (timeZone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
};

/** `2025-03-11 15:05:12 (+01:00)` in `timeZone`. */
const local = (iso: string, timeZone: string): string => {
  const time = ms(iso);
  if (Number.isNaN(time)) return '—';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(time))
      .map((part) => [part.type, part.value])
  );
  const wall = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
  const offsetMinutes = Math.round(
    (Date.parse(`${wall.replace(' ', 'T')}Z`) - Math.floor(time / 1000) * 1000) / 60_000
  );
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
  return `${wall} (${offset})`;
};

/** `45 s`, `4 min 10 s`, `2 h 05 min`, `3 d 4 h`; negative spans keep their sign. */
const duration = (millis: number): string => {
  const sign = millis < 0 ? '-' : '';
  const seconds = Math.round(Math.abs(millis) / 1000);
  if (seconds < 60) return `${sign}${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${sign}${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${sign}${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${sign}${Math.floor(hours / 24)} d ${hours % 24} h`;
};

const span = (from: string | undefined, to: string | undefined): string | undefined => {
  const start = ms(from);
  const end = ms(to);
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : duration(end - start);
};

// ---------------------------------------------------------------------------------------------
// The audit stream
// ---------------------------------------------------------------------------------------------

/** Chronological, then by kind and dedupe key: the same entries always give the same order. */
const sortEntries = (entries: readonly AuditEntry[]): AuditEntry[] =>
  [...entries].sort((a, b) => {
    const byTime = (ms(a.at) || 0) - (ms(b.at) || 0);
    if (byTime !== 0) return byTime;
    if (a.at !== b.at) return a.at < b.at ? -1 : 1;
    if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
    return a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0;
  });

const isHuman = (entry: AuditEntry): boolean => entry.actor !== 'system' && entry.actor !== '';

/** `@name (U123)`, neutralized. */
const person = (entry: AuditEntry): string => {
  if (!isHuman(entry)) return 'system';
  const name = str(entry.detail, 'userName');
  return name === undefined ? md(entry.actor, 40) : `@${md(name, 80)} (${md(entry.actor, 40)})`;
};

const first = (entries: readonly AuditEntry[], test: (entry: AuditEntry) => boolean) =>
  entries.find(test)?.at;

const milestones = (
  finding: Finding,
  entries: readonly AuditEntry[],
  receivedAt: string
): Milestones => {
  const posted =
    first(entries, (e) => e.kind === 'card.posted') ??
    first(entries, (e) => e.kind === 'card.digested');
  const contained = first(entries, (e) => e.kind === 'isolation.completed');
  const firstHumanAction = first(entries, (e) => isHuman(e) && !NON_RESPONSE_KINDS.has(e.kind));
  const resolvedAt = first(
    entries,
    (e) =>
      e.kind === 'release.completed' || (e.kind === 'dismiss.completed' && e.result !== 'failed')
  );
  return {
    detected: finding.firstSeen ?? finding.createdAt,
    received: first(entries, (e) => e.kind === 'finding.received') ?? receivedAt,
    ...(posted === undefined ? {} : { posted }),
    ...(firstHumanAction === undefined ? {} : { firstHumanAction }),
    ...(contained === undefined ? {} : { contained }),
    ...(resolvedAt === undefined ? {} : { resolved: resolvedAt }),
  };
};

const plural = (count: number, word: string, words = `${word}s`): string =>
  `${count} ${count === 1 ? word : words}`;

const enisOf = (detail: Detail): { id: string; before: string[]; after: string[] }[] =>
  (list(detail, 'enis') ?? []).flatMap((item) => {
    const eni = record(item);
    const id = str(eni, 'id');
    return id === undefined
      ? []
      : [{ id, before: strings(eni?.before), after: strings(eni?.after) }];
  });

/** What one audit entry means, in one neutralized line. */
const describeEntry = (entry: AuditEntry, isFirstReceived: boolean): string => {
  const { detail } = entry;
  const who = person(entry);
  const action = md(str(detail, 'action') ?? 'an action', 60);
  const status = entry.kind.slice(entry.kind.indexOf('.') + 1);
  switch (entry.kind) {
    case 'finding.received': {
      const count = numberOf(detail, 'count');
      const suffix = count === undefined ? '' : ` (count ${count})`;
      return isFirstReceived ? `Finding received by the bot${suffix}` : `Update received${suffix}`;
    }
    case 'finding.recorded':
      return `Recorded without a card: ${md(str(detail, 'reason') ?? entry.result)}`;
    case 'card.posted':
      return `Card posted in channel ${md(str(detail, 'channel') ?? 'unknown', 40)}`;
    case 'card.digested':
      return `Shown in a storm digest in channel ${md(str(detail, 'channel') ?? 'unknown', 40)}`;
    case 'action.requested':
      return `${who} requested ${action}`;
    case 'action.denied':
      return `${action} refused for ${who}: ${md(str(detail, 'reason') ?? 'not allowed')}`;
    case 'action.approved': {
      const requestedBy = str(detail, 'requestedBy');
      return `${who} approved ${action}${requestedBy === undefined ? '' : ` requested by ${md(requestedBy, 80)}`}`;
    }
    case 'isolation.step': {
      const call = str(detail, 'call');
      const requestId = str(detail, 'requestId');
      const info = [call, requestId === undefined ? undefined : `request ${requestId}`]
        .filter((part) => part !== undefined)
        .join(', ');
      return `Step ${md(str(detail, 'step') ?? '?', 80)}: ${md(str(detail, 'result') ?? entry.result, 80)}${
        info === '' ? '' : ` (${md(info, 200)})`
      }`;
    }
    case 'isolation.recorded':
      return `Original security groups recorded (${plural(enisOf(detail).length, 'network interface')})`;
    case 'investigation.completed': {
      const summary = record(detail?.summary);
      const failed = countOf(summary?.failedLogins);
      const accepted = countOf(summary?.acceptedLogins);
      const parts = [
        failed === undefined ? undefined : plural(failed, 'failed login'),
        accepted === undefined ? undefined : plural(accepted, 'accepted login'),
      ].filter((part) => part !== undefined);
      return `Investigation completed${parts.length === 0 ? '' : `: ${parts.join(', ')}`}`;
    }
    case 'command.run':
      return `${who} ran ${md(str(detail, 'command') ?? 'a command', 120)}`;
    case 'dismiss.completed': {
      const reason = dismissReasonLabel(str(detail, 'reason') ?? 'no reason');
      const partial = entry.result === 'partial' ? ' (partially; see the steps)' : '';
      return `Dismissed by ${who}: ${md(reason, 80)}${partial}`;
    }
    case 'dismiss.failed':
      return `Dismiss by ${who} failed`;
    case 'reopen.completed':
      return `Reopened by ${who}`;
    case 'reopen.failed':
      return `Reopen by ${who} failed`;
    case 'suppression.proposed':
      return `Suppression rule proposed by ${who}`;
    case 'suppression.created':
      return `Suppression rule ${md(str(detail, 'filterName') ?? '?', 64)} created by ${who}`;
    case 'suppression.failed':
      return `Suppression rule ${md(str(detail, 'filterName') ?? '?', 64)} could not be created`;
    case 'suppression.deleted':
      return `Suppression rule ${md(str(detail, 'filterName') ?? '?', 64)} deleted by ${who}`;
    case 'report.generated':
      return 'After-action report generated';
    default:
      break;
  }
  if (ISOLATION_KINDS.includes(entry.kind)) {
    const enis = enisOf(detail);
    const snapshots = strings(detail?.snapshots);
    const cut = detail?.connectionCut;
    const elapsed = numberOf(detail, 'elapsedMs');
    const parts = [
      enis.length > 0 ? `${plural(enis.length, 'network interface')} moved` : undefined,
      snapshots.length > 0 ? plural(snapshots.length, 'snapshot') : undefined,
      cut === undefined ? undefined : `connections cut: ${renderValue(cut, 60)}`,
      elapsed === undefined ? undefined : `took ${duration(elapsed)}`,
    ].filter((part) => part !== undefined);
    return `Isolation ${md(status, 20)}${parts.length === 0 ? '' : `: ${parts.join(', ')}`}`;
  }
  if (RELEASE_KINDS.includes(entry.kind)) {
    return `Release ${md(status, 20)}${isHuman(entry) ? ` by ${who}` : ''}`;
  }
  return md(entry.kind, 60);
};

const outcomeOf = (entries: readonly AuditEntry[]): string => {
  let outcome = 'Open: no containment or dismissal recorded';
  let isolated = false;
  for (const entry of entries) {
    switch (entry.kind) {
      case 'isolation.completed':
        isolated = true;
        outcome = 'Contained: instance isolated';
        break;
      case 'isolation.partial':
        outcome = 'Partially contained: isolation incomplete';
        break;
      case 'isolation.failed':
        if (!isolated) outcome = 'Containment failed';
        break;
      case 'release.completed':
        outcome = isolated ? 'Contained, then released' : 'Released';
        break;
      case 'release.partial':
      case 'release.failed':
      case 'release.drift':
        outcome = `Release ${entry.kind.slice('release.'.length)}: check the instance`;
        break;
      case 'dismiss.completed':
        outcome = `Dismissed: ${dismissReasonLabel(str(entry.detail, 'reason') ?? 'no reason')}${
          entry.result === 'partial' ? ' (partially)' : ''
        }`;
        break;
      case 'reopen.completed':
        outcome = 'Reopened after dismissal';
        break;
      default:
        break;
    }
  }
  return outcome;
};

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

const summarySection = (
  input: AfterActionReportInput,
  outcome: string,
  entryCount: number
): string[] => {
  const { finding } = input.record;
  const source =
    finding.source === 'guardduty'
      ? 'GuardDuty'
      : `Security Hub${finding.productName === undefined ? '' : ` (${finding.productName})`}`;
  const rows: [string, string][] = [
    ['Finding', cell(finding.id)],
    ['Type', cell(finding.type)],
    ['Title', cell(finding.title)],
    ['Severity', `${cell(finding.severity.toFixed(1))} (${severityBand(finding.severity)})`],
    ['Account / Region', `${cell(finding.accountId, 20)} / ${cell(finding.region, 30)}`],
    ['Resource', cell(resourceLabel(finding.resource))],
    ['Source', cell(source)],
    ['Occurrences', cell(finding.count)],
    ['Channel', cell(input.record.channel, 40)],
    ['Outcome', md(outcome)],
  ];
  if (finding.sample) rows.push(['Sample', 'yes: generated by CreateSampleFindings']);
  return [
    `# After-action report: ${md(finding.type, 150)}`,
    '',
    // A label first, so untrusted text never starts a line (no lists, quotes or headings).
    `**What happened:** ${md(finding.description || finding.title, 500)}`,
    '',
    ...table(
      ['Field', 'Value'],
      rows.map(([label, value]) => [`**${label}**`, value])
    ),
    '',
    `Built from the finding record and ${plural(entryCount, 'audit entry', 'audit entries')}.`,
  ];
};

const timelineSection = (
  input: AfterActionReportInput,
  entries: readonly AuditEntry[],
  marks: Milestones,
  timeZone: string | undefined
): string[] => {
  const { finding } = input.record;
  const rows: TimelineRow[] = [];
  if (finding.firstSeen !== undefined) {
    rows.push({
      at: finding.firstSeen,
      event: 'Activity first seen by GuardDuty',
      by: 'GuardDuty',
    });
  }
  rows.push({ at: finding.createdAt, event: 'GuardDuty created the finding', by: 'GuardDuty' });
  if (finding.lastSeen !== undefined && finding.lastSeen !== finding.firstSeen) {
    rows.push({
      at: finding.lastSeen,
      event: `Activity last seen by GuardDuty (${plural(finding.count, 'occurrence')} in all)`,
      by: 'GuardDuty',
    });
  }
  if (!entries.some((entry) => entry.kind === 'finding.received')) {
    rows.push({
      at: input.record.firstReceivedAt,
      event: 'Finding received by the bot',
      by: 'system',
    });
  }
  let receivedSeen = false;
  let firstHumanMarked = false;
  let quiet = 0;
  for (const entry of entries) {
    if (QUIET_KINDS.has(entry.kind)) {
      quiet += 1;
      continue;
    }
    let event = describeEntry(entry, entry.kind === 'finding.received' && !receivedSeen);
    if (entry.kind === 'finding.received') receivedSeen = true;
    if (!PLAIN_RESULTS.has(entry.result) && entry.kind !== 'isolation.step') {
      event += ` (result: ${md(entry.result, 40)})`;
    }
    if (!firstHumanMarked && entry.at === marks.firstHumanAction && isHuman(entry)) {
      event += ' **(first human action)**';
      firstHumanMarked = true;
    }
    rows.push({ at: entry.at, event, by: person(entry) });
  }
  const ordered = rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => (ms(a.row.at) || 0) - (ms(b.row.at) || 0) || a.index - b.index)
    .map(({ row }) => row);
  const start = ordered[0]?.at;
  const headers = [
    'Time (UTC)',
    ...(timeZone === undefined ? [] : [`Local (${md(timeZone, 60)})`]),
    'Since start',
    'Event',
    'By',
  ];
  const lines = table(
    headers,
    ordered.map((row) => [
      utc(row.at),
      ...(timeZone === undefined ? [] : [local(row.at, timeZone)]),
      span(start, row.at) ?? '—',
      row.event,
      row.by,
    ])
  );
  const measures: [string, string | undefined, string][] = [
    [
      'Time to notify',
      span(marks.detected, marks.received),
      'first seen by GuardDuty → received by the bot',
    ],
    ['Time to post', span(marks.received, marks.posted), 'received → card posted'],
    [
      'Time to first action (MTTA)',
      span(marks.posted, marks.firstHumanAction),
      'card posted → first human action',
    ],
    ['Time to contain', span(marks.posted, marks.contained), 'card posted → isolation completed'],
    ['Time to resolve', span(marks.posted, marks.resolved), 'card posted → released or dismissed'],
  ];
  return [
    '## Timeline',
    '',
    ...lines,
    ...(quiet === 0
      ? []
      : [
          '',
          `${plural(quiet, 'routine entry', 'routine entries')} (card refreshes, repeated deliveries) not shown.`,
        ]),
    '',
    '### Durations',
    '',
    ...table(
      ['Measure', 'Value', 'Between'],
      measures.map(([label, value, between]) => [label, value ?? 'not recorded', between])
    ),
  ];
};

const peopleSection = (entries: readonly AuditEntry[]): string[] => {
  const people = new Map<string, { name?: string; actions: string[] }>();
  for (const entry of entries) {
    // Individual AWS calls made on someone's behalf are in the timeline, not a person's actions.
    if (!isHuman(entry) || entry.kind === 'isolation.step') continue;
    const current = people.get(entry.actor) ?? { actions: [] };
    current.name = str(entry.detail, 'userName') ?? current.name;
    const action = str(entry.detail, 'action');
    current.actions.push(
      `${md(entry.kind, 60)}${action === undefined ? '' : ` (${md(action, 40)})`} at ${utc(entry.at)}`
    );
    people.set(entry.actor, current);
  }
  if (people.size === 0) return ['## People', '', 'No one acted on this finding in Slack.'];
  return [
    '## People',
    '',
    ...table(
      ['Person', 'Slack id', 'Actions (UTC)'],
      [...people.entries()].map(([id, { name, actions }]) => [
        name === undefined ? '—' : `@${md(name, 80)}`,
        md(id, 40),
        actions.join('; '),
      ])
    ),
  ];
};

const resourcesSection = (finding: Finding, entries: readonly AuditEntry[]): string[] => {
  const lines = ['## Affected resources', ''];
  const { resource } = finding;
  lines.push(
    `- **${md(resource.kind === 'Other' ? resource.resourceType : resource.kind, 60)}**: ${md(resourceLabel(resource))}`
  );
  const instance =
    resource.kind === 'Instance'
      ? resource
      : resource.kind === 'AccessKey'
        ? resource.sourceInstance
        : undefined;
  if (resource.kind === 'AccessKey') {
    if (resource.principalId !== undefined) lines.push(`- Principal: ${md(resource.principalId)}`);
    if (resource.userType !== undefined)
      lines.push(`- Principal type: ${md(resource.userType, 60)}`);
    if (resource.sourceInstanceId !== undefined)
      lines.push(`- Credentials of instance: ${md(resource.sourceInstanceId, 40)}`);
  }
  if (instance !== undefined) {
    const facts = [
      instance.instanceType,
      instance.availabilityZone,
      instance.state === undefined ? undefined : `state ${instance.state}`,
      instance.autoScalingGroup === undefined
        ? undefined
        : `Auto Scaling group ${instance.autoScalingGroup}`,
    ].filter((fact) => fact !== undefined);
    if (facts.length > 0)
      lines.push(`- Instance ${md(instance.instanceId, 40)}: ${md(facts.join(', '))}`);
    if (instance.networkInterfaces.length > 0) {
      lines.push('', 'Network interfaces when the finding was made:', '');
      lines.push(
        ...table(
          ['ENI', 'VPC / subnet', 'Private / public IP', 'Security groups'],
          instance.networkInterfaces.map((eni) => [
            cell(eni.id, 40),
            cell([eni.vpcId, eni.subnetId].filter(Boolean).join(' / ')),
            cell([eni.privateIp, eni.publicIp].filter(Boolean).join(' / ')),
            cell(
              eni.securityGroups
                .map((group) => (group.name ? `${group.id} (${group.name})` : group.id))
                .join(', ')
            ),
          ])
        )
      );
    }
  }
  for (const entry of entries) {
    if (!ISOLATION_KINDS.includes(entry.kind) && !RELEASE_KINDS.includes(entry.kind)) continue;
    const enis = enisOf(entry.detail);
    const snapshots = strings(entry.detail?.snapshots);
    const autoScaling = entry.detail?.autoScaling;
    const loadBalancers = entry.detail?.loadBalancers;
    if (
      enis.length === 0 &&
      snapshots.length === 0 &&
      autoScaling === undefined &&
      loadBalancers === undefined
    )
      continue;
    const title = entry.kind.replace('.', ' ');
    lines.push(
      '',
      `### ${md(title.charAt(0).toUpperCase() + title.slice(1), 40)} at ${utc(entry.at)} UTC`,
      ''
    );
    if (enis.length > 0) {
      lines.push(
        ...table(
          ['ENI', 'Security groups before', 'Security groups after'],
          enis.map((eni) => [
            cell(eni.id, 40),
            cell(eni.before.join(', ')),
            cell(eni.after.join(', ')),
          ])
        ),
        ''
      );
    }
    if (ISOLATION_KINDS.includes(entry.kind)) {
      lines.push(
        `- Snapshots taken: ${snapshots.length === 0 ? 'none' : snapshots.map((id) => md(id, 40)).join(', ')}`
      );
    }
    if (autoScaling !== undefined) lines.push(`- Auto Scaling: ${renderValue(autoScaling)}`);
    if (loadBalancers !== undefined) lines.push(`- Load balancers: ${renderValue(loadBalancers)}`);
    const cut = entry.detail?.connectionCut;
    if (cut !== undefined) lines.push(`- Existing connections cut: ${renderValue(cut, 80)}`);
  }
  return lines;
};

const actorsSection = (finding: Finding, entries: readonly AuditEntry[]): string[] => {
  const lines = ['## Actors and threat intelligence', ''];
  const { actor } = finding;
  if (actor === undefined) {
    lines.push('- The finding names no remote actor.');
  } else {
    const facts: [string, string | undefined][] = [
      ['Remote IP', actor.ip],
      ['Action', actor.actionType],
      ['Direction', actor.direction],
      ['Remote port', actor.port === undefined ? undefined : String(actor.port)],
      ['Local port', actor.localPort === undefined ? undefined : String(actor.localPort)],
      ['Protocol', actor.protocol],
      ['Location', [actor.city, actor.country].filter(Boolean).join(', ') || undefined],
      [
        'Organization',
        [actor.organization, actor.asn === undefined ? undefined : `AS${actor.asn}`]
          .filter(Boolean)
          .join(', ') || undefined,
      ],
      ['Domain', actor.domain],
      ['API call', [actor.apiService, actor.api].filter(Boolean).join(' ') || undefined],
      ['Error code', actor.errorCode],
      ['User agent', actor.userAgent],
    ];
    for (const [label, value] of facts) {
      if (value !== undefined && value !== '') lines.push(`- ${label}: ${md(value)}`);
    }
  }
  lines.push(
    `- Threat lists: ${finding.threatListNames.length === 0 ? 'none named in the finding' : finding.threatListNames.map((name) => md(name, 100)).join(', ')}`
  );
  if (finding.malware !== undefined) {
    lines.push(
      `- Malware: ${finding.malware.threatNames.map((name) => md(name, 100)).join(', ') || 'unnamed'}`
    );
    if (finding.malware.filePaths.length > 0) {
      lines.push(
        `- Files: ${finding.malware.filePaths
          .slice(0, 20)
          .map((path) => md(path, 200))
          .join(', ')}`
      );
    }
  }
  const ips = new Set<string>();
  for (const entry of entries) {
    if (entry.kind !== 'investigation.completed') continue;
    for (const login of list(record(entry.detail?.summary), 'acceptedLogins') ?? []) {
      const ip = str(record(login), 'ip');
      if (ip !== undefined && ip !== actor?.ip) ips.add(ip);
    }
  }
  if (ips.size > 0) {
    lines.push(
      `- Other IPs with accepted logins (from the investigation): ${[...ips].map((ip) => md(ip, 60)).join(', ')}`
    );
  }
  return lines;
};

const investigationSection = (entries: readonly AuditEntry[]): string[] => {
  const lines = ['## Investigation', ''];
  const investigations = entries.filter((entry) => entry.kind === 'investigation.completed');
  const commands = entries.filter((entry) => entry.kind === 'command.run');
  if (investigations.length === 0 && commands.length === 0) {
    return [...lines, 'No investigation was recorded.'];
  }
  for (const entry of investigations) {
    const summary = record(entry.detail?.summary);
    lines.push(`Investigation at ${utc(entry.at)} UTC (${person(entry)}):`, '');
    const failed = countOf(summary?.failedLogins);
    const related = countOf(summary?.relatedFindings);
    const securityHub = countOf(summary?.securityHubFindings);
    lines.push(`- Failed logins: ${failed ?? 'not searched'}`);
    const accepted = (list(summary, 'acceptedLogins') ?? []).map(record);
    lines.push(`- Accepted logins: ${accepted.length}`);
    lines.push(`- Related GuardDuty findings: ${related ?? 'not searched'}`);
    lines.push(`- Security Hub findings for the resource: ${securityHub ?? 'not searched'}`);
    if (accepted.length > 0) {
      lines.push(
        '',
        ...table(
          ['User', 'From IP', 'At'],
          accepted
            .slice(0, 50)
            .map((login) => [
              cell(str(login, 'user'), 80),
              cell(str(login, 'ip'), 60),
              cell(str(login, 'at'), 40),
            ])
        )
      );
    }
    lines.push('');
  }
  for (const entry of commands) {
    const results = entry.detail?.results;
    lines.push(
      `- ${person(entry)} ran ${md(str(entry.detail, 'command') ?? 'a command', 120)} at ${utc(entry.at)} UTC${
        results === undefined ? '' : `: ${renderValue(results)}`
      }`
    );
  }
  return lines;
};

const suppressionSection = (entries: readonly AuditEntry[]): string[] => {
  const rules = entries.filter((entry) => entry.kind.startsWith('suppression.'));
  if (rules.length === 0) {
    return [
      '## Suppression rules',
      '',
      'No suppression rule was proposed or created for this finding.',
    ];
  }
  return [
    '## Suppression rules',
    '',
    ...table(
      ['Time (UTC)', 'Event', 'Rule', 'What it does', 'By'],
      rules.map((entry) => [
        utc(entry.at),
        md(entry.kind.slice('suppression.'.length), 20) +
          (PLAIN_RESULTS.has(entry.result) ? '' : ` (${md(entry.result, 20)})`),
        cell(str(entry.detail, 'filterName'), 64),
        cell(str(entry.detail, 'description'), 400),
        person(entry),
      ])
    ),
  ];
};

/** The GuardDuty data source behind a finding type (`Purpose:Resource/Family.Mechanism!Artifact`). */
const dataSource = (finding: Finding): string => {
  if (finding.sample) return 'None: this is a sample finding generated by CreateSampleFindings.';
  const fromGuardDuty =
    finding.source === 'guardduty' || finding.productArn?.endsWith('/aws/guardduty') === true;
  if (!fromGuardDuty) {
    return `Security Hub product ${md(finding.productName ?? 'unknown', 80)} (see the product's own documentation).`;
  }
  // Security Hub copies carry ASFF types such as `TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce`.
  const raw = finding.type.slice(finding.type.lastIndexOf('/', finding.type.indexOf(':')) + 1);
  const type =
    finding.source === 'guardduty' ? finding.type : raw.replace(/^([^:]+:[^-/]+)-/, '$1/');
  const parsed = /^([^:]+):([^/]+)\/(.+)$/.exec(type);
  const answer = (text: string): string =>
    `${text} (from the finding type ${md(finding.type, 150)}).`;
  if (!parsed)
    return `Unknown: check the finding's data source in the GuardDuty console (type ${md(finding.type, 150)}).`;
  const [, purpose = '', resource = '', rest = ''] = parsed;
  if (/MaliciousFile/.test(rest)) {
    return answer(
      resource === 'S3'
        ? 'Malware Protection for S3'
        : 'EBS Malware Protection (a scan of the EBS volumes)'
    );
  }
  if (resource === 'Runtime') return answer('Runtime Monitoring (the GuardDuty security agent)');
  if (/!DNS$|DNS|DGADomain/.test(rest))
    return answer('DNS logs (Route 53 Resolver queries from the VPC)');
  switch (resource) {
    case 'EC2':
      return answer("VPC Flow Logs (the instance's network traffic)");
    case 'IAMUser':
      return answer('CloudTrail management events');
    case 'S3':
      return answer(
        purpose === 'Policy' || /Disabled|Logging|Public/.test(rest)
          ? 'CloudTrail management events (bucket configuration)'
          : 'CloudTrail S3 data events'
      );
    case 'Kubernetes':
      return answer('EKS audit logs');
    case 'Lambda':
      return answer('Lambda network activity monitoring');
    case 'RDS':
      return answer('RDS login activity monitoring');
    default:
      return `Unknown: check the finding's data source in the GuardDuty console (type ${md(finding.type, 150)}).`;
  }
};

const openQuestionsSection = (
  finding: Finding,
  entries: readonly AuditEntry[],
  marks: Milestones
): string[] => {
  const isolations = entries.filter(
    (entry) => ISOLATION_KINDS.includes(entry.kind) && entry.kind !== 'isolation.planned'
  );
  let effect: string;
  if (isolations.length === 0) {
    effect = 'No isolation was performed.';
  } else {
    const known = isolations.flatMap((entry) => {
      const parts: string[] = [];
      if (entry.detail?.autoScaling !== undefined)
        parts.push(`Auto Scaling: ${renderValue(entry.detail.autoScaling)}`);
      if (entry.detail?.loadBalancers !== undefined)
        parts.push(`load balancers: ${renderValue(entry.detail.loadBalancers)}`);
      return parts;
    });
    effect =
      known.length > 0
        ? `${known.join('; ')}. Confirm with the application owners what users saw.`
        : 'Unknown: record what users saw (no Auto Scaling or load balancer action was recorded).';
  }
  const asg =
    finding.resource.kind === 'Instance' && finding.resource.autoScalingGroup !== undefined
      ? ` The instance belongs to Auto Scaling group ${md(finding.resource.autoScalingGroup, 100)}.`
      : '';
  const suggestions: string[] = [];
  const delivery = ms(marks.received) - ms(finding.createdAt);
  if (!Number.isNaN(delivery) && delivery > 10 * 60_000) {
    suggestions.push(
      `The finding reached the bot ${duration(delivery)} after GuardDuty created it: check the EventBridge rule, the notify function's errors and its dead-letter queue.`
    );
  }
  if (
    entries.some((entry) => entry.kind === 'card.digested') &&
    !entries.some((entry) => entry.kind === 'card.posted')
  ) {
    suggestions.push(
      'The finding was only shown in a storm digest: consider routing this type to its own card.'
    );
  }
  const commands = [
    ...new Set(
      entries
        .filter((entry) => entry.kind === 'command.run')
        .map((entry) => str(entry.detail, 'command'))
        .filter((command) => command !== undefined)
    ),
  ];
  if (commands.length > 0) {
    suggestions.push(
      `Responders looked these up by hand: ${commands.map((command) => md(command, 120)).join(', ')}. Consider showing them on the card.`
    );
  }
  if (entries.some((entry) => entry.kind === 'investigation.completed')) {
    suggestions.push(
      'An investigation was run: consider attaching its results to the card automatically for this finding type.'
    );
  }
  if (entries.some((entry) => entry.kind === 'action.denied')) {
    suggestions.push('Someone was refused an action: check that the right people are approvers.');
  }
  suggestions.push('Ask the responders what else they had to look up outside Slack.');
  return [
    '## Open questions',
    '',
    '1. **Which data source detected it?**',
    `   ${dataSource(finding)}`,
    '2. **What did isolation do to the running application?**',
    `   ${effect}${asg}`,
    '3. **What should be added to notifications?**',
    ...suggestions.map((suggestion) => `   - ${suggestion}`),
  ];
};

/**
 * Builds the after-action report of one finding from its record and audit stream: summary,
 * timeline with durations, people, affected resources (security groups per ENI before and after,
 * snapshots), actors and threat intelligence, investigation, suppression rules and the workshop's
 * open questions. Pure and deterministic: the same input gives byte-identical output (times in
 * UTC, optionally also in `timeZone`; `generatedAt` only when given). Every finding- or
 * user-sourced string is neutralized for Markdown (no HTML, links, emphasis or table breaks).
 */
export const buildAfterActionReport = (input: AfterActionReportInput): AfterActionReport => {
  const { finding } = input.record;
  const entries = sortEntries(input.audit);
  const timeZone =
    input.timeZone !== undefined && isValidTimeZone(input.timeZone) ? input.timeZone : undefined;
  const marks = milestones(finding, entries, input.record.firstReceivedAt);
  const outcome = outcomeOf(entries);
  const footer = [
    '---',
    '',
    `Times are UTC${timeZone === undefined ? '' : `; local times are ${md(timeZone, 60)}`}.${
      input.timeZone !== undefined && timeZone === undefined
        ? ` Unknown time zone ${md(input.timeZone, 60)} ignored.`
        : ''
    }${input.generatedAt === undefined ? '' : ` Generated ${utc(input.generatedAt)} UTC.`}`,
  ];
  const sections = [
    summarySection(input, outcome, entries.length),
    timelineSection(input, entries, marks, timeZone),
    peopleSection(entries),
    resourcesSection(finding, entries),
    actorsSection(finding, entries),
    investigationSection(entries),
    suppressionSection(entries),
    openQuestionsSection(finding, entries, marks),
    footer,
  ];
  const markdown = `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
  const contain = span(marks.posted, marks.contained);
  const resolve = span(marks.posted, marks.resolved);
  const times = [
    contain === undefined ? undefined : `contained in ${contain}`,
    resolve === undefined ? undefined : `resolved in ${resolve}`,
  ].filter((part) => part !== undefined);
  const oneLine = (text: string, max: number): string => {
    const flat = text.replace(/\s+/g, ' ').trim();
    return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  };
  const summary = mrkdwn(
    `After-action report: ${oneLine(finding.type, 120)} on ${oneLine(resourceLabel(finding.resource), 120)} (${severityBand(
      finding.severity
    )} ${finding.severity.toFixed(1)}, ${finding.accountId} ${finding.region}). ${outcome}${
      times.length === 0 ? '' : `; ${times.join(', ')}`
    }.`
  );
  return { markdown, summary };
};
