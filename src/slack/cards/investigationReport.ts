import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { resourceLabel, severityBand } from '../../domain/Finding';
import {
  type HubFinding,
  type HubProductGroup,
  type HubResult,
  type HubSubject,
  type HubSummary,
  type InstanceContext,
  type InvestigationReport,
  isActiveHubFinding,
  LOG_PRESETS,
  type LogGroupOutcome,
  type LogSearchResult,
  type LogSearchSummary,
  type PivotFailure,
  type RelatedFindingsSummary,
  type Section,
} from '../../domain/investigation';
import type { SshAcceptedLogin, SshAnalysis } from '../../domain/sshLogAnalysis';
import type { SlackMessage } from '../../ports/SlackGateway';
import { type ConsoleScope, findingConsoleLinks, securityHubResourceUrl } from '../consoleLinks';
import { logsConsoleUrl } from '../logsConsoleLink';
import { dateToken, escapeAndTruncate, escapeMrkdwn, link, truncate } from '../mrkdwn';
import { friendlyFindingType, severityEmoji } from './findingCard';

/**
 * Renderers of the Investigate report (a compact, phone-readable summary for the card's thread,
 * plus a details message) and of the `/guardduty logs` and `/guardduty hub` answers. Pure. Every
 * string from AWS or a log line is escaped; every message stays within Block Kit's limits (50
 * blocks, 3000 characters a section) whatever the input size.
 */

/** Block ids of the summary; stable, unique within a message. */
export const INVESTIGATION_BLOCK_IDS = {
  title: 'investigation_title',
  logs: 'investigation_logs',
  instance: 'investigation_instance',
  related: 'investigation_related',
  hub: 'investigation_hub',
  links: 'investigation_links',
  meta: 'investigation_meta',
} as const;

const SECTION_MAX = 3000;
const MAX_BLOCKS = 50;
const TEXT_MAX = 300;
/** Longest untrusted item inside a line (user names, titles, tags…). */
const ITEM = 100;

const HUB_EMOJI: Record<string, string> = {
  CRITICAL: '🔴',
  HIGH: '🟠',
  MEDIUM: '🟡',
  LOW: '🟢',
  INFORMATIONAL: '⚪',
};

const LOG_TRUNCATION: Record<string, string> = {
  maxEvents: 'event limit reached',
  maxPages: 'page limit reached',
  maxMs: 'time limit reached',
  throttled: 'throttled by AWS',
};

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Untrusted text as one escaped, shortened line. */
const item = (text: string, max = ITEM): string =>
  escapeAndTruncate(text.replace(/\s+/g, ' ').trim(), max) || '—';

/** Untrusted text inside an inline code span (no backtick can close it). */
const code = (text: string, max = ITEM): string => `\`${item(text.replace(/`/g, 'ˋ'), max)}\``;

const count = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

const when = (iso: string | undefined): string => (iso ? dateToken(iso) : 'an unknown time');

const section = (text: string, blockId?: string): SectionBlock => ({
  type: 'section',
  ...(blockId === undefined ? {} : { block_id: blockId }),
  text: { type: 'mrkdwn', text: truncate(text.trim() || '—', SECTION_MAX) },
});

const context = (texts: string[], blockId?: string): ContextBlock => ({
  type: 'context',
  ...(blockId === undefined ? {} : { block_id: blockId }),
  elements: texts
    .filter((text) => text.trim() !== '')
    .slice(0, 10)
    .map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, SECTION_MAX) })),
});

/**
 * Packs lines into as few sections as fit, never splitting a line (so no link or date token is
 * cut); a line longer than a section is shortened on its own (lines are built from bounded
 * items, so this only ever cuts plain escaped text).
 */
const packLines = (lines: string[], maxBlocks: number): SectionBlock[] => {
  const blocks: SectionBlock[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > SECTION_MAX ? truncate(raw, SECTION_MAX) : raw;
    if (current && current.length + 1 + line.length > SECTION_MAX) {
      blocks.push(section(current));
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push(section(current));
  if (blocks.length <= maxBlocks) return blocks;
  const kept = blocks.slice(0, Math.max(0, maxBlocks - 1));
  kept.push(section(`_…${count(blocks.length - kept.length, 'more part')} left out._`));
  return kept;
};

const failureLine = (label: string, failure: PivotFailure): string =>
  `*${label}* ❌ ${item(failure.message, 400)}`;

const plainSummary = (text: string): string =>
  truncate(escapeMrkdwn(text.replace(/\s+/g, ' ')), TEXT_MAX);

// ---------------------------------------------------------------------------------------------
// Logs

const loginLine = (login: SshAcceptedLogin, prefix: string): string => {
  const times =
    login.count > 1 ? ` (${count(login.count, 'time')}, last ${when(login.lastSeen)})` : '';
  const after =
    login.failedBefore > 0 ? ` after ${count(login.failedBefore, 'failed attempt')}` : '';
  return `${prefix} *Accepted ${item(login.method, 40)} for ${item(login.user, 64)} from ${item(login.ip, 64)}* at ${when(login.firstSeen)}${times}${after}`;
};

const groupOutcomeLine = (outcome: LogGroupOutcome): string | undefined => {
  if (!outcome.ok) return `❌ ${code(outcome.logGroupName)}: ${item(outcome.message, 300)}`;
  if (outcome.truncated) {
    return `✂️ ${code(outcome.logGroupName)}: stopped early (${LOG_TRUNCATION[outcome.truncated] ?? 'limit reached'}) after ${count(outcome.events, 'line')}; counts are lower bounds.`;
  }
  return undefined;
};

/**
 * Logins that look like a successful brute force: from the finding's actor, or from any address
 * that failed before it got in (a re-published finding names only its latest actor, so the first
 * attacker's success must not hide behind "other IPs").
 */
const suspiciousLogins = (analysis: LogSearchSummary['analysis']) => [
  ...analysis.acceptedFromActor,
  ...analysis.accepted.filter(
    (login) => login.failedBefore > 0 && !analysis.acceptedFromActor.includes(login)
  ),
];

/** The verdict lines: who got in, the brute-force counts, and whether it succeeded. */
const sshVerdict = (
  summary: LogSearchSummary,
  actorIp?: string,
  /** False when the search's pattern excluded failed attempts (e.g. the `ssh-accepted` preset). */
  failuresSearched = true
): string[] => {
  const analysis = summary.analysis;
  const lines: string[] = [];
  const fromActor = suspiciousLogins(analysis);
  for (const login of fromActor.slice(0, 3)) lines.push(loginLine(login, '⚠️'));
  if (fromActor.length > 3) lines.push(`⚠️ …and ${count(fromActor.length - 3, 'more account')}`);

  const attempts = analysis.failedAttempts;
  const lowerBound = summary.truncated ? 'at least ' : '';
  let headline =
    attempts > 0
      ? `*Brute force:* ${lowerBound}${count(attempts, 'failed attempt')} from ${count(analysis.failingSourceIps, 'IP')}`
      : failuresSearched
        ? '*SSH:* no failed attempts'
        : '*SSH:* failed attempts not searched';
  if (fromActor.length === 0) {
    const who = actorIp ? ` from ${item(actorIp, 64)}` : '';
    const othersAccepted = analysis.accepted.length > 0;
    if (!summary.acceptedSearchComplete) {
      headline += `; ❔ could not confirm whether anyone logged in${who} (search incomplete)`;
    } else if (actorIp || !othersAccepted) {
      headline += `; ✅ no successful login${who}`;
    }
  }
  lines.push(headline);
  const others = analysis.accepted.filter((login) => !fromActor.includes(login));
  if (others.length > 0) {
    const shown = others
      .slice(0, 2)
      .map(
        (login) => `${item(login.user, 40)} from ${item(login.ip, 64)} (${item(login.method, 30)})`
      )
      .join(', ');
    const more = others.length > 2 ? ` +${others.length - 2}` : '';
    lines.push(
      `ℹ️ ${count(others.length, 'accepted login')}${actorIp ? ' from other IPs' : ''}: ${shown}${more}`
    );
  }
  const top = analysis.topSourceIps.filter((source) => source.failedAttempts > 0).slice(0, 3);
  if (top.length > 0) {
    lines.push(
      `Top sources: ${top.map((source) => `${item(source.ip, 64)} (${source.failedAttempts.toLocaleString('en-US')})`).join(', ')}`
    );
  }
  return lines;
};

const logsSummaryText = (
  logs: Section<LogSearchSummary>,
  actorIp: string | undefined,
  instanceId: string | undefined
): string => {
  if (!logs.ok) return failureLine('Logs', logs);
  const summary = logs.value;
  const lines = ['*Logs*'];
  if (summary.matchedEvents === 0 && summary.groups.every((group) => group.ok)) {
    lines.push(
      `No sshd login lines${instanceId ? ` for ${code(instanceId)}` : ''} in ${summary.groups
        .map((group) => code(group.logGroupName))
        .join(
          ', '
        )} since ${when(summary.window.start)}. Streams are found by the instance id prefix.`
    );
  } else {
    lines.push(...sshVerdict(summary, actorIp));
  }
  for (const group of summary.groups) {
    const line = groupOutcomeLine(group);
    if (line) lines.push(line);
  }
  return lines.join('\n');
};

const analysisDetails = (analysis: SshAnalysis): string[] => {
  const lines: string[] = [];
  lines.push(
    `${count(analysis.linesMatched, 'sshd line')}: ${count(analysis.invalidUserLines, '`Invalid user`', '`Invalid user`')} · ${count(analysis.failedPasswordLines, '`Failed password`', '`Failed password`')} · ${count(analysis.failedOtherLines, 'other failure')} · ${count(analysis.acceptedLogins, 'accepted login')}`
  );
  if (analysis.firstSeen) {
    lines.push(`From ${when(analysis.firstSeen)} to ${when(analysis.lastSeen)}`);
  }
  if (analysis.topSourceIps.length > 0) {
    lines.push(`*Top sources* (of ${analysis.distinctSourceIps}):`);
    for (const source of analysis.topSourceIps) {
      lines.push(
        `• ${item(source.ip, 64)}: ${count(source.failedAttempts, 'failed attempt')}, ${count(source.accepted, 'accepted login')}${source.firstSeen ? `, ${when(source.firstSeen)} – ${when(source.lastSeen)}` : ''}`
      );
    }
  }
  if (analysis.usernamesTried.length > 0) {
    lines.push(`*User names tried* (of ${analysis.distinctUsernames}):`);
    lines.push(
      analysis.usernamesTried
        .map(
          (user) =>
            `${code(user.user, 40)} ×${user.failedAttempts}${user.invalid ? ' (no such user)' : ''}${user.accepted > 0 ? ` ✔︎${user.accepted}` : ''}`
        )
        .join(', ')
    );
  }
  if (analysis.accepted.length > 0) {
    lines.push('*Accepted logins*:');
    for (const login of analysis.accepted.slice(0, 10)) lines.push(loginLine(login, '•'));
    if (analysis.accepted.length > 10) lines.push(`…and ${analysis.accepted.length - 10} more`);
  }
  return lines;
};

/** Log lines in a code block: escaped, backticks neutralized, bounded. */
const logBlock = (summary: LogSearchSummary, max: number): string | undefined => {
  if (summary.recent.length === 0) return undefined;
  const budget = SECTION_MAX - 40;
  const lines: string[] = [];
  let used = 0;
  for (const line of summary.recent.slice(0, max)) {
    const text = escapeAndTruncate(
      `${line.timestamp.replace('.000Z', 'Z')} ${line.message.replace(/\s+/g, ' ')}`.replace(
        /`/g,
        'ˋ'
      ),
      300
    );
    if (used + text.length + 1 > budget) break;
    lines.push(text);
    used += text.length + 1;
  }
  return `*Latest lines* (newest first):\n\`\`\`${lines.join('\n')}\`\`\``;
};

// ---------------------------------------------------------------------------------------------
// Instance, related findings, Security Hub

const instanceSummaryText = (
  instance: Section<InstanceContext>,
  fromPrincipal: boolean
): string => {
  if (!instance.ok) return failureLine('Instance', instance);
  const i = instance.value;
  const origin = fromPrincipal ? ' (whose role session the credentials are)' : '';
  const first = [
    `*Instance* ${code(i.instanceId, 40)}${i.name ? ` ${item(i.name, 60)}` : ''}${origin}`,
    i.state ? item(i.state, 30) : undefined,
    i.instanceType ? item(i.instanceType, 30) : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const groups = i.securityGroups
    .slice(0, 3)
    .map((group) => `${item(group.id, 30)}${group.name ? ` (${item(group.name, 40)})` : ''}`)
    .join(', ');
  const moreGroups = i.securityGroups.length > 3 ? ` +${i.securityGroups.length - 3}` : '';
  const second = [
    i.vpcId ? `${item(i.vpcId, 40)} / ${item(i.subnetId ?? '—', 40)}` : undefined,
    groups ? `SG ${groups}${moreGroups}` : undefined,
    i.publicIp ? `public IP ${item(i.publicIp, 45)}` : 'no public IP',
  ]
    .filter(Boolean)
    .join(' · ');
  const profile = i.instanceProfileArn?.split('/').pop();
  const third = [
    profile ? `profile ${item(profile, 64)}` : 'no instance profile',
    i.launchTime ? `launched ${when(i.launchTime)}` : undefined,
    i.imdsV2Required === undefined
      ? undefined
      : i.imdsV2Required
        ? 'IMDSv2 required'
        : 'IMDSv1 allowed',
  ]
    .filter(Boolean)
    .join(' · ');
  return [first, second, third].join('\n');
};

const instanceDetails = (instance: InstanceContext): string[] => {
  const lines = [`*Instance ${code(instance.instanceId, 40)}*`];
  const facts = [
    instance.availabilityZone ? `AZ ${item(instance.availabilityZone, 30)}` : undefined,
    instance.imageId ? `AMI ${item(instance.imageId, 40)}` : undefined,
    instance.platform ? item(instance.platform, 60) : undefined,
    instance.privateIp ? `private IP ${item(instance.privateIp, 45)}` : undefined,
    `${count(instance.networkInterfaceCount, 'network interface')}`,
  ].filter(Boolean);
  lines.push(facts.join(' · '));
  if (instance.instanceProfileArn)
    lines.push(`Instance profile ${code(instance.instanceProfileArn, 200)}`);
  if (instance.securityGroups.length > 0) {
    lines.push(
      `Security groups: ${instance.securityGroups
        .slice(0, 20)
        .map((group) => `${item(group.id, 30)}${group.name ? ` (${item(group.name, 60)})` : ''}`)
        .join(
          ', '
        )}${instance.securityGroups.length > 20 ? ` +${instance.securityGroups.length - 20}` : ''}`
    );
  }
  if (instance.tags.length > 0) {
    lines.push(
      `Tags: ${instance.tags
        .slice(0, 20)
        .map((tag) => `${item(tag.key, 60)}=${item(tag.value, 80)}`)
        .join(', ')}${instance.tags.length > 20 ? ` +${instance.tags.length - 20}` : ''}`
    );
  }
  return lines;
};

const relatedLine = (group: RelatedFindingsSummary['groups'][number]): string => {
  const band = severityBand(group.maxSeverity);
  const occurrences =
    group.occurrences > group.findings
      ? `, seen ${group.occurrences.toLocaleString('en-US')}×`
      : '';
  return `• ${severityEmoji(band)} ${band} ${code(group.type, 90)} ×${group.findings}${occurrences}`;
};

const relatedSummaryText = (related: Section<RelatedFindingsSummary>, days: string): string => {
  if (!related.ok) return failureLine('Related GuardDuty findings', related);
  const summary = related.value;
  if (summary.total === 0) return `*Related GuardDuty findings* (${days}): none`;
  const lines = [
    `*Related GuardDuty findings* (${days}): ${summary.truncated ? 'at least ' : ''}${count(summary.total, 'finding')} in ${count(summary.groups.length, 'type')}`,
    ...summary.groups.slice(0, 3).map(relatedLine),
  ];
  if (summary.groups.length > 3)
    lines.push(`…and ${count(summary.groups.length - 3, 'more type')}`);
  return lines.join('\n');
};

const hubFindingLine = (finding: HubFinding): string => {
  const label = finding.severityLabel.toUpperCase();
  const state = isActiveHubFinding(finding)
    ? (finding.workflowStatus ?? 'active')
    : finding.recordState === 'ARCHIVED'
      ? 'archived'
      : (finding.workflowStatus ?? 'closed');
  const compliance = finding.complianceStatus ? ` · ${item(finding.complianceStatus, 20)}` : '';
  return `• ${HUB_EMOJI[label] ?? '⚪'} ${item(label, 15)} ${item(finding.title, 150)} · ${item(state, 20).toLowerCase()}${compliance}${finding.updatedAt ? ` · ${when(finding.updatedAt)}` : ''}`;
};

const productCounts = (groups: HubProductGroup[], max: number): string => {
  const shown = groups
    .slice(0, max)
    .map(
      (group) =>
        `${item(group.productName, 40)} ${group.active}${group.total > group.active ? `/${group.total}` : ''}`
    )
    .join(', ');
  return groups.length > max ? `${shown}, +${groups.length - max} more` : shown;
};

const hubSummaryText = (hub: Section<HubSummary>): string => {
  if (!hub.ok) return failureLine('Security Hub', hub);
  const summary = hub.value;
  if (summary.total === 0) return '*Security Hub*: no findings for this resource';
  const lines = [
    `*Security Hub*: ${summary.truncated ? 'at least ' : ''}${count(summary.total, 'finding')}, ${summary.active} active — ${productCounts(summary.groups, 5)}`,
  ];
  // The most severe active findings, whatever their product (e.g. Inspector's SSH password finding).
  const worst = summary.groups
    .flatMap((group) => group.findings.filter(isActiveHubFinding).slice(0, 3))
    .sort((a, b) => (HUB_ORDER[b.severityLabel] ?? 0) - (HUB_ORDER[a.severityLabel] ?? 0))
    .slice(0, 2);
  for (const finding of worst) {
    lines.push(`${hubFindingLine(finding).replace(/^• /, `• ${item(finding.productName, 30)}: `)}`);
  }
  return lines.join('\n');
};

const HUB_ORDER: Record<string, number> = {
  CRITICAL: 5,
  HIGH: 4,
  MEDIUM: 3,
  LOW: 2,
  INFORMATIONAL: 1,
};

const hubDetails = (summary: HubSummary, maxGroups: number, perGroup: number): string[] => {
  const lines: string[] = [];
  for (const group of summary.groups.slice(0, maxGroups)) {
    lines.push(`*${item(group.productName, 60)}* — ${group.active} active of ${group.total}`);
    for (const finding of group.findings.slice(0, perGroup)) lines.push(hubFindingLine(finding));
    if (group.findings.length > perGroup)
      lines.push(`…and ${group.findings.length - perGroup} more`);
  }
  if (summary.groups.length > maxGroups) {
    lines.push(`…and ${count(summary.groups.length - maxGroups, 'more product')}`);
  }
  return lines;
};

// ---------------------------------------------------------------------------------------------
// Investigation

const verdictText = (report: InvestigationReport): string => {
  const logs = report.logs;
  if (!logs?.ok) return '';
  const analysis = logs.value.analysis;
  const login = suspiciousLogins(analysis)[0];
  if (login) {
    return `⚠️ accepted ${login.method} for ${login.user} from ${login.ip}`;
  }
  if (analysis.failedAttempts > 0) {
    const success =
      logs.value.acceptedSearchComplete && report.subject.actorIp ? '; ✅ no successful login' : '';
    return `${analysis.failedAttempts} failed SSH attempts${success}`;
  }
  return '';
};

const linksFor = (report: InvestigationReport): string[] => {
  const { finding } = report;
  const links = findingConsoleLinks(finding);
  const parts: string[] = [];
  if (links.guardDuty) parts.push(link(links.guardDuty, 'GuardDuty'));
  if (links.detective) parts.push(link(links.detective, 'Detective'));
  if (links.detectiveInstance) parts.push(link(links.detectiveInstance, 'Detective: instance'));
  if (links.detectiveIp) parts.push(link(links.detectiveIp, 'Detective: IP'));
  if (links.securityHubInstance)
    parts.push(link(links.securityHubInstance, 'Security Hub: instance'));
  else if (report.subject.accessKeyId) {
    parts.push(
      link(
        securityHubResourceUrl(finding, `AWS::IAM::AccessKey:${report.subject.accessKeyId}`),
        'Security Hub: key'
      )
    );
  }
  const search = report.logSearch;
  if (search) {
    for (const logGroupName of search.logGroups.slice(0, 2)) {
      parts.push(
        link(
          logsConsoleUrl(finding, {
            logGroupName,
            filterPattern: LOG_PRESETS.ssh.pattern,
            start: Date.parse(search.start),
            end: Date.parse(search.end),
          }),
          `Logs: ${logGroupName}`
        )
      );
    }
  }
  return parts;
};

/**
 * The Investigate report as a compact summary for the card's thread (verdict first: who got in,
 * or that nobody did), and a details message (sources, user names, every related type, Security
 * Hub findings by product, the instance's tags) when there is more to show.
 */
export const renderInvestigation = (
  report: InvestigationReport
): { summary: SlackMessage; details?: SlackMessage } => {
  const { finding, subject } = report;
  const label = resourceLabel(finding.resource);
  const type = friendlyFindingType(finding.type, finding.resourceRole);
  const blocks: KnownBlock[] = [];

  const subjectBits = [
    subject.instanceId
      ? `instance ${code(subject.instanceId, 40)}${subject.instanceIdFrom === 'principal' ? ' (from the role session)' : ''}`
      : undefined,
    subject.accessKeyId ? `key ${code(subject.accessKeyId, 40)}` : undefined,
    subject.userName ? `principal ${item(subject.userName, 64)}` : undefined,
    subject.actorIp ? `actor ${item(subject.actorIp, 64)}` : undefined,
  ].filter(Boolean);
  blocks.push(
    section(
      `🔎 *Investigation* · ${item(type, 150)}\n${subjectBits.join(' · ') || item(label, 150)}`,
      INVESTIGATION_BLOCK_IDS.title
    )
  );
  if (report.logs) {
    blocks.push(
      section(
        logsSummaryText(report.logs, subject.actorIp, subject.instanceId),
        INVESTIGATION_BLOCK_IDS.logs
      )
    );
  }
  if (report.instance) {
    blocks.push(
      section(
        instanceSummaryText(report.instance, subject.instanceIdFrom === 'principal'),
        INVESTIGATION_BLOCK_IDS.instance
      )
    );
  }
  const days =
    report.relatedFindings?.ok === true
      ? `since ${dateToken(report.relatedFindings.value.since, '{date_short}')}`
      : 'recent';
  if (report.relatedFindings) {
    blocks.push(
      section(relatedSummaryText(report.relatedFindings, days), INVESTIGATION_BLOCK_IDS.related)
    );
  }
  if (report.securityHub) {
    blocks.push(section(hubSummaryText(report.securityHub), INVESTIGATION_BLOCK_IDS.hub));
  }
  const links = linksFor(report);
  if (links.length > 0) blocks.push(context([links.join(' · ')], INVESTIGATION_BLOCK_IDS.links));
  const meta = [
    `Gathered ${when(report.generatedAt)} in ${item(report.target.accountId, 20)}/${item(report.target.region, 30)}`,
    ...(report.truncated ? ['✂️ some answers are partial (limits reached)'] : []),
    ...report.skipped.map((line) => escapeMrkdwn(line)),
  ];
  blocks.push(context([meta.join(' · ')], INVESTIGATION_BLOCK_IDS.meta));

  const verdict = verdictText(report);
  const summary: SlackMessage = {
    text: plainSummary(`Investigation of ${label}${verdict ? `: ${verdict}` : ''}`),
    blocks,
  };

  const details = investigationDetails(report);
  return details ? { summary, details } : { summary };
};

const investigationDetails = (report: InvestigationReport): SlackMessage | undefined => {
  const parts: { title: string; lines: string[] }[] = [];
  const logs = report.logs;
  if (logs?.ok) {
    const summary = logs.value;
    const lines = [
      `Window ${when(summary.window.start)} – ${when(summary.window.end)} · streams ${code(summary.logStreamNamePrefix ?? '(all)', 40)}`,
      ...summary.groups.map((group) =>
        group.ok
          ? `${code(group.logGroupName)}: ${count(group.events, 'line')} in ${count(group.pages, 'page')}${group.truncated ? ` (stopped: ${LOG_TRUNCATION[group.truncated] ?? 'limit'})` : ''}`
          : `${code(group.logGroupName)}: ❌ ${item(group.message, 300)}`
      ),
      ...analysisDetails(summary.analysis),
    ];
    if (summary.analysis.linesMatched > 0) parts.push({ title: 'Logs', lines });
  }
  if (report.relatedFindings?.ok && report.relatedFindings.value.groups.length > 3) {
    parts.push({
      title: 'Related GuardDuty findings by type',
      lines: report.relatedFindings.value.groups.slice(0, 30).map(relatedLine),
    });
  }
  if (report.securityHub?.ok && report.securityHub.value.total > 0) {
    parts.push({
      title: 'Security Hub by product',
      lines: hubDetails(report.securityHub.value, 8, 5),
    });
  }
  if (report.instance?.ok) {
    parts.push({ title: 'Instance', lines: instanceDetails(report.instance.value) });
  }
  if (logs?.ok) {
    const block = logBlock(logs.value, 10);
    if (block) parts.push({ title: '', lines: [block] });
  }
  if (parts.length === 0) return undefined;
  const blocks: KnownBlock[] = [];
  for (const part of parts) {
    const room = MAX_BLOCKS - blocks.length;
    if (room <= 0) break;
    const lines = part.title ? [`*${part.title}*`, ...part.lines] : part.lines;
    blocks.push(...packLines(lines, Math.min(room, 12)));
  }
  const label = resourceLabel(report.finding.resource);
  return {
    text: plainSummary(`Investigation details for ${label}`),
    blocks: blocks.slice(0, MAX_BLOCKS),
  };
};

// ---------------------------------------------------------------------------------------------
// /guardduty logs

/** The answer to `/guardduty logs`: verdict, counts, latest lines and console links. */
export const renderLogSearch = (result: LogSearchResult): SlackMessage => {
  const { request } = result;
  const filter =
    request.filter.type === 'preset'
      ? `\`${request.filter.preset}\``
      : code(request.filter.pattern, 200);
  const where =
    request.target.type === 'instance'
      ? `${code(request.target.instanceId, 40)} in ${result.logGroups.map((group) => code(group)).join(', ') || '—'}`
      : code(request.target.logGroupName);
  const blocks: KnownBlock[] = [
    section(`🔎 *Logs* ${where} · ${filter} · last ${item(request.since.text, 10)}`, 'logs_title'),
  ];
  const outcome = result.outcome;
  let text: string;
  if (!outcome.ok) {
    blocks.push(section(`❌ ${item(outcome.message, 1000)}`, 'logs_error'));
    text = `Logs search failed: ${outcome.message}`;
  } else {
    const summary = outcome.value;
    const lines = [
      `${summary.truncated ? 'At least ' : ''}${count(summary.matchedEvents, 'matching line')}`,
    ];
    const failuresSearched = !(
      request.filter.type === 'preset' && request.filter.preset === 'ssh-accepted'
    );
    if (summary.analysis.linesMatched > 0) {
      lines.push(...sshVerdict(summary, undefined, failuresSearched));
    }
    for (const group of summary.groups) {
      const line = groupOutcomeLine(group);
      if (line) lines.push(line);
    }
    blocks.push(...packLines(lines, 3));
    if (summary.analysis.linesMatched > 0)
      blocks.push(...packLines(analysisDetails(summary.analysis), 3));
    const block = logBlock(summary, 15);
    if (block) blocks.push(section(block, 'logs_lines'));
    text = `Logs search: ${summary.matchedEvents} matching lines`;
  }
  const windowStart = result.outcome.ok ? Date.parse(result.outcome.value.window.start) : undefined;
  const windowEnd = result.outcome.ok ? Date.parse(result.outcome.value.window.end) : undefined;
  const links = result.logGroups.slice(0, 3).map((logGroupName) =>
    link(
      logsConsoleUrl(result.target, {
        logGroupName,
        filterPattern: result.filterPattern,
        ...(windowStart === undefined ? {} : { start: windowStart }),
        ...(windowEnd === undefined ? {} : { end: windowEnd }),
      }),
      `Open ${logGroupName} in CloudWatch`
    )
  );
  if (links.length > 0 && (result.outcome.ok || result.outcome.code !== 'NOT_ALLOWED')) {
    blocks.push(context([links.join(' · ')], 'logs_links'));
  }
  return { text: plainSummary(text), blocks: blocks.slice(0, MAX_BLOCKS) };
};

// ---------------------------------------------------------------------------------------------
// /guardduty hub

const subjectText = (subject: HubSubject): string => {
  switch (subject.type) {
    case 'instance':
      return code(subject.instanceId, 40);
    case 'arn':
      return code(subject.arn, 300);
    case 'accessKey':
      return code(subject.accessKeyId, 40);
    case 'ip':
      return code(subject.ip, 64);
  }
};

const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

const hubConsoleLink = (
  subject: HubSubject,
  target: { accountId: string; region: string }
): string | undefined => {
  const scope: ConsoleScope = { region: target.region, partition: partitionOf(target.region) };
  switch (subject.type) {
    case 'instance':
      return securityHubResourceUrl(
        scope,
        `arn:${scope.partition}:ec2:${target.region}:${target.accountId}:instance/${subject.instanceId}`
      );
    case 'arn':
      return securityHubResourceUrl(scope, subject.arn);
    case 'accessKey':
      return securityHubResourceUrl(scope, `AWS::IAM::AccessKey:${subject.accessKeyId}`);
    case 'ip':
      return undefined;
  }
};

/** The answer to `/guardduty hub`: findings by product, active first, most severe first. */
export const renderHubResult = (result: HubResult): SlackMessage => {
  const subject = subjectText(result.request.subject);
  const blocks: KnownBlock[] = [];
  let text: string;
  if (!result.outcome.ok) {
    blocks.push(
      section(
        `🔎 *Security Hub* for ${subject}\n❌ ${item(result.outcome.message, 1000)}`,
        'hub_title'
      )
    );
    text = `Security Hub lookup failed: ${result.outcome.message}`;
  } else {
    const summary = result.outcome.value;
    blocks.push(
      section(
        `🔎 *Security Hub* for ${subject}: ${summary.truncated ? 'at least ' : ''}${count(summary.total, 'finding')}, ${summary.active} active${summary.total > 0 ? ` — ${productCounts(summary.groups, 6)}` : ''}`,
        'hub_title'
      )
    );
    if (summary.total > 0) blocks.push(...packLines(hubDetails(summary, 10, 5), 40));
    text = `Security Hub: ${summary.total} findings, ${summary.active} active`;
  }
  const url = hubConsoleLink(result.request.subject, result.target);
  if (url) blocks.push(context([link(url, 'Open in Security Hub')], 'hub_links'));
  return { text: plainSummary(text), blocks: blocks.slice(0, MAX_BLOCKS) };
};
