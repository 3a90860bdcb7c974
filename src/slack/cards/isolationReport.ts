import type { KnownBlock } from '@slack/types';
import type {
  DriftItem,
  EniChange,
  IsolationOutcome,
  IsolationPlan,
  IsolationReport,
  PlanStep,
  ReleaseOutcome,
  ReleaseReport,
  StaleReason,
  StepFailure,
} from '../../domain/isolation';
import type { SlackMessage } from '../../ports/SlackGateway';
import { escapeAndTruncate, escapeMrkdwn, truncate } from '../mrkdwn';

/**
 * Thread reports of isolation and release (pure renderers). Every id, name and message in an
 * outcome came from AWS or a finding: it is escaped before it enters mrkdwn. Messages stay within
 * Block Kit's limits (≤ 50 blocks, ≤ 3000 characters a section) however many interfaces, volumes
 * or failures there are: long lists are cut with a "…and N more" line.
 */

const SECTION_MAX = 3000;
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
/** Lines of one list at most (interfaces, snapshots, failures, plan calls). */
const MAX_LINES = 25;
/** Sections one list may fill. */
const MAX_LIST_SECTIONS = 3;
/** Characters of one list line at most. */
const LINE_MAX = 600;

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

const plural = (count: number, word: string): string =>
  `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;

/** `3 more interfaces`. */
const moreOf = (count: number, word: string): string =>
  `${count.toLocaleString('en-US')} more ${word}${count === 1 ? '' : 's'}`;

/** `7.2 s`, `1 min 5 s`. */
export const formatElapsed = (ms: number): string => {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (safe < 60_000) return `${(safe / 1000).toFixed(1)} s`;
  const minutes = Math.floor(safe / 60_000);
  return `${minutes} min ${Math.round((safe % 60_000) / 1000)} s`;
};

const who = (user: { userId: string; userName: string }): string =>
  SLACK_USER.test(user.userId) ? `<@${user.userId}>` : escapeAndTruncate(user.userName, 80);

const code = (text: string, max = 120): string =>
  `\`${escapeAndTruncate(text.replace(/`/g, "'"), max)}\``;

const groups = (ids: readonly string[]): string =>
  ids.length === 0 ? '(none)' : ids.map((id) => escapeAndTruncate(id, 64)).join(', ');

/** The top-level `text` (notifications parse it too): escaped whole, there are no tokens in it. */
const fallback = (text: string, max: number): string => escapeAndTruncate(text, max);

const header = (text: string, blockId: string): KnownBlock => ({
  type: 'header',
  block_id: blockId,
  text: { type: 'plain_text', text: truncate(text, HEADER_MAX), emoji: true },
});

const section = (text: string, blockId: string): KnownBlock => ({
  type: 'section',
  block_id: blockId,
  text: { type: 'mrkdwn', text: truncate(text, SECTION_MAX) },
});

const context = (texts: readonly string[], blockId: string): KnownBlock => ({
  type: 'context',
  block_id: blockId,
  elements: texts.slice(0, 10).map((text) => ({ type: 'mrkdwn', text: truncate(text, TEXT_MAX) })),
});

/**
 * A titled list as one or more sections (each within 3000 characters, at most
 * {@link MAX_LIST_SECTIONS}), showing at most {@link MAX_LINES} lines and summing up the rest in a
 * "…and N more" line. Lines must be escaped already.
 */
const listBlocks = (
  title: string,
  lines: readonly string[],
  blockId: string,
  noun: string
): KnownBlock[] => {
  // Room kept in the last section for the "…and N more" line.
  const reserve = 80;
  const sections: string[] = [];
  let current = `*${title}*`;
  let shown = 0;
  for (const raw of lines) {
    if (shown >= MAX_LINES) break;
    const line = truncate(raw, LINE_MAX);
    if (current.length + 1 + line.length > SECTION_MAX - reserve) {
      if (sections.length + 1 >= MAX_LIST_SECTIONS) break;
      sections.push(current);
      current = line;
    } else {
      current = `${current}\n${line}`;
    }
    shown += 1;
  }
  const hidden = lines.length - shown;
  if (hidden > 0) current = `${current}\n_…and ${moreOf(hidden, noun)}_`;
  sections.push(current);
  return sections.map((text, index) => section(text, `${blockId}_${index}`));
};

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

const PHASE_MARK = { isolated: '✅', untracked: '⚠️', original: '❌' } as const;

const eniLine = (eni: EniChange): string => {
  const cut =
    eni.phase !== 'isolated'
      ? eni.phase === 'untracked'
        ? ' _(still in the temporary allow-all group)_'
        : ' _(not isolated)_'
      : eni.cut === 'untrack-then-isolate'
        ? ' _(untracked first)_'
        : ' _(live connections not cut)_';
  return `${PHASE_MARK[eni.phase]} ${code(eni.id, 40)} ${groups(eni.before)} → ${groups(eni.after)}${cut}`;
};

const failureLine = (failure: StepFailure): string => {
  const where = failure.resource ? ` ${code(failure.resource, 200)}` : '';
  const request = failure.requestId ? ` (request ${escapeAndTruncate(failure.requestId, 64)})` : '';
  return `• ${escapeMrkdwn(failure.step)}${where}: *${escapeAndTruncate(failure.code, 40)}* ${escapeAndTruncate(failure.message, 300)}${request}`;
};

/** What the report says about tracked flows and the NACL alternative. */
export const trackedConnectionNote = (
  cut: IsolationReport['connectionCut'],
  naclSubnets: readonly string[]
): string => {
  const how =
    cut === 'untrack-then-isolate'
      ? 'Live connections were cut: the interfaces went through a temporary allow-all group for a few seconds (their flows became untracked), then into the isolation group.'
      : cut === 'mixed'
        ? 'Live connections were cut on some interfaces only (see the marks above): the others went straight into the isolation group, so their already-open connections may continue until they time out.'
        : cut === 'isolate-only'
          ? 'The interfaces went straight into the isolation group: connections that were already open may continue until they time out.'
          : 'No interface was isolated.';
  const subnets =
    naclSubnets.length === 0
      ? 'the instance’s subnet'
      : naclSubnets.map((subnet) => code(subnet, 40)).join(', ');
  return [
    `*Connections* ${how}`,
    `Flows through NAT gateways, load balancers (NLB, GWLB), Transit Gateway, PrivateLink endpoints and ICMP stay tracked whatever the security groups say. To cut those at once, a network ACL deny on ${subnets} works — but it affects every instance in the subnet.`,
  ].join('\n');
};

const accountLine = (report: {
  instanceId: string;
  accountId: string;
  region: string;
  roleArn?: string;
}): string => {
  const role = report.roleArn ? ` via ${code(report.roleArn, 200)}` : '';
  return `${code(report.instanceId, 40)} in account ${escapeAndTruncate(report.accountId, 20)} (${escapeAndTruncate(report.region, 30)})${role}`;
};

// ---------------------------------------------------------------------------------------------
// Isolation
// ---------------------------------------------------------------------------------------------

const reportBlocks = (report: IsolationReport, intro: string): KnownBlock[] => {
  const blocks: KnownBlock[] = [
    section(
      `${intro}\n${accountLine(report)} · requested by ${who(report.requestedBy)}`,
      'iso_summary'
    ),
  ];
  blocks.push(
    ...listBlocks(
      `Network interfaces (${report.enis.length}): before → after`,
      report.enis.map(eniLine),
      'iso_enis',
      'interface'
    )
  );
  const snapshotLines = !report.evidenceSnapshots
    ? ['Evidence snapshots are turned off.']
    : report.snapshots.length === 0
      ? ['No snapshot was taken.']
      : report.snapshots.map(
          (snapshot) =>
            `• ${code(snapshot.snapshotId, 40)} of ${code(snapshot.volumeId, 40)}${snapshot.device ? ` (${escapeAndTruncate(snapshot.device, 40)})` : ''}`
        );
  blocks.push(
    ...listBlocks('Evidence snapshots (kept)', snapshotLines, 'iso_snapshots', 'snapshot')
  );

  const containment: string[] = [
    report.protections.applied
      ? '• Termination and stop protection: on'
      : '• Termination and stop protection: *not applied*',
    report.quarantineTagged
      ? `• Tagged as quarantined for this finding`
      : '• Quarantine tags: *not applied*',
  ];
  const asg = report.autoScaling;
  if (asg) {
    const name = code(asg.groupName, 120);
    containment.push(
      asg.action === 'none'
        ? `• Auto Scaling group ${name}: left as it was (${escapeAndTruncate(asg.lifecycleStateBefore, 40)})`
        : `• Auto Scaling group ${name}: ${asg.action === 'standby' ? 'put in Standby' : 'detached'} (desired capacity decremented, no replacement)${asg.done ? '' : ' — *failed*'}`
    );
  } else {
    containment.push('• Auto Scaling: not a member');
  }
  if (report.loadBalancers.length === 0) {
    containment.push('• Load balancers: not registered');
  }
  blocks.push(section(`*Containment*\n${containment.join('\n')}`, 'iso_containment'));
  if (report.loadBalancers.length > 0) {
    blocks.push(
      ...listBlocks(
        'Load balancers: deregistered',
        report.loadBalancers.map(
          (lb) =>
            `${lb.done ? '✅' : '❌'} ${lb.kind === 'classic' ? 'classic' : 'target group'} ${code(lb.name, 120)}`
        ),
        'iso_lbs',
        'load balancer'
      )
    );
  }
  blocks.push(
    section(trackedConnectionNote(report.connectionCut, report.naclSubnets), 'iso_connections')
  );
  if (report.failures.length > 0) {
    blocks.push(
      ...listBlocks(
        `What failed (${report.failures.length})`,
        report.failures.map(failureLine),
        'iso_failures',
        'failure'
      )
    );
  }
  if (report.warnings.length > 0) {
    blocks.push(
      context(
        report.warnings.slice(0, 5).map((warning) => `⚠️ ${escapeAndTruncate(warning, 500)}`),
        'iso_warnings'
      )
    );
  }
  blocks.push(
    context(
      [
        `⏱️ ${formatElapsed(report.elapsedMs)} · finding ${code(report.findingId, 80)} · isolation #${report.generation}`,
      ],
      'iso_footer'
    )
  );
  return blocks;
};

const staleLine = (reason: StaleReason): string => {
  switch (reason.kind) {
    case 'finding-archived':
      return '• The finding was archived in GuardDuty.';
    case 'finding-not-found':
      return '• GuardDuty no longer returns this finding.';
    case 'instance-missing':
      return '• The instance no longer exists (or is terminating).';
    case 'instance-not-running':
      return `• The instance is ${escapeAndTruncate(reason.state, 40)}, not running.`;
    case 'eni-missing':
      return `• Interface ${code(reason.eniId, 40)} is no longer attached.`;
    case 'eni-added':
      return `• Interface ${code(reason.eniId, 40)} was attached since the card was posted.`;
    case 'groups-changed':
      return `• ${code(reason.eniId, 40)} has ${groups(reason.actual)} now, the card showed ${groups(reason.expected)}.`;
    case 'quarantined-for-other-finding':
      return `• The instance is already quarantined for finding ${code(reason.findingId, 80)}.`;
  }
};

/**
 * The thread report of an isolation: per interface `sg-a, sg-b → sg-iso`, snapshots, protection and
 * tags, Auto Scaling and load-balancer actions, how live connections were cut (and the NACL offer
 * for flows that stay tracked), failures, elapsed time.
 */
export const renderIsolationReport = (outcome: IsolationOutcome): SlackMessage => {
  switch (outcome.kind) {
    case 'isolated':
    case 'already-isolated':
    case 'partial': {
      const { report } = outcome;
      const title =
        outcome.kind === 'isolated'
          ? '🔒 Instance isolated'
          : outcome.kind === 'already-isolated'
            ? '🔒 Instance already isolated'
            : '⚠️ Isolation incomplete';
      const intro =
        outcome.kind === 'partial'
          ? `*Partly isolated:* ${plural(report.failures.length, 'step')} failed (listed below). Retrying resumes where it stopped.`
          : outcome.kind === 'already-isolated'
            ? 'This finding’s instance was isolated earlier; nothing was changed now.'
            : `*Isolated* ${plural(report.enis.length, 'network interface')}.`;
      const isolated = report.enis.filter((eni) => eni.phase === 'isolated').length;
      return {
        text: fallback(
          `${title.slice(2).trim()}: ${report.instanceId} (${isolated}/${report.enis.length} interfaces isolated)`,
          TEXT_MAX
        ),
        blocks: [header(title, 'iso_header'), ...reportBlocks(report, intro)].slice(0, 50),
      };
    }
    case 'failed': {
      const blocks: KnownBlock[] = [header('❌ Isolation failed', 'iso_header')];
      const message = `*${escapeAndTruncate(outcome.code, 40)}* ${escapeAndTruncate(outcome.message, 1000)}${outcome.retryable ? '\nA retry may succeed.' : ''}`;
      if (outcome.report) {
        blocks.push(...reportBlocks(outcome.report, `Nothing was isolated. ${message}`));
      } else {
        blocks.push(
          section(
            `Nothing was isolated. ${message}\nInstance ${code(outcome.instanceId, 40)}`,
            'iso_summary'
          ),
          context([`⏱️ ${formatElapsed(outcome.elapsedMs)}`], 'iso_footer')
        );
      }
      return {
        text: fallback(`Isolation of ${outcome.instanceId} failed: ${outcome.code}`, TEXT_MAX),
        blocks: blocks.slice(0, 50),
      };
    }
    case 'stale':
      return {
        text: fallback(
          `Isolation of ${outcome.instanceId} stopped: the card is out of date`,
          TEXT_MAX
        ),
        blocks: [
          header('⏸️ Isolation stopped: the card is out of date', 'iso_header'),
          ...listBlocks(
            `Nothing was changed on ${code(outcome.instanceId, 40)}, because:`,
            outcome.reasons.map(staleLine),
            'iso_stale',
            'reason'
          ),
          context([`⏱️ ${formatElapsed(outcome.elapsedMs)}`], 'iso_footer'),
        ],
      };
    case 'in-progress':
      return {
        text: fallback(`Isolation of ${outcome.instanceId} is already in progress`, TEXT_MAX),
        blocks: [
          section(
            `⏳ An isolation of ${code(outcome.instanceId, 40)} is already running; this request will be retried.`,
            'iso_summary'
          ),
        ],
      };
    case 'planned':
      return renderIsolationPlan(outcome.plan);
  }
};

// ---------------------------------------------------------------------------------------------
// Dry run
// ---------------------------------------------------------------------------------------------

const PERMISSION_MARK = {
  permitted: '✅',
  denied: '⛔',
  'not-checked': '➖',
  error: '⚠️',
} as const;

const planLine = (step: PlanStep): string => {
  const why =
    step.permission === 'not-checked' && step.uncheckedBecause
      ? ` _(not checked: ${escapeAndTruncate(step.uncheckedBecause, 80)})_`
      : step.permission === 'denied'
        ? ' *not permitted*'
        : step.permission === 'error'
          ? ` _(check failed: ${escapeAndTruncate(step.note ?? 'error', 40)})_`
          : '';
  return `${PERMISSION_MARK[step.permission]} ${code(step.call, 80)} ${code(step.resource, 200)} ${escapeAndTruncate(step.summary, 300)}${why}`;
};

/** The dry-run report: every call a real isolation would make and whether it is permitted. */
export const renderIsolationPlan = (plan: IsolationPlan): SlackMessage => {
  const denied = plan.steps.filter((step) => step.permission === 'denied').length;
  const blocks: KnownBlock[] = [
    header('🧪 Dry run: isolation plan', 'plan_header'),
    section(
      `Nothing was changed. ${plural(plan.steps.length, 'call')} planned for ${accountLine(plan)}; ${denied === 0 ? 'every checked call is permitted' : `*${plural(denied, 'call')} not permitted*`}.`,
      'plan_summary'
    ),
  ];
  if (plan.staleReasons.length > 0) {
    blocks.push(
      ...listBlocks(
        'A real run would stop before any change, because:',
        plan.staleReasons.map(staleLine),
        'plan_stale',
        'reason'
      )
    );
  }
  if (plan.steps.length > 0) {
    blocks.push(...listBlocks('Calls, in order', plan.steps.map(planLine), 'plan_calls', 'call'));
  }
  blocks.push(
    section(trackedConnectionNote(plan.connectionCut, plan.naclSubnets), 'plan_connections')
  );
  if (plan.warnings.length > 0) {
    blocks.push(
      context(
        plan.warnings.slice(0, 5).map((warning) => `⚠️ ${escapeAndTruncate(warning, 500)}`),
        'plan_warnings'
      )
    );
  }
  blocks.push(
    context(
      [
        `✅ permitted · ⛔ not permitted · ➖ not checkable (no DryRun, or the group does not exist yet) · ⏱️ ${formatElapsed(plan.elapsedMs)}`,
      ],
      'plan_footer'
    )
  );
  return {
    text: fallback(
      `Dry run for ${plan.instanceId}: ${plan.steps.length} calls, ${denied} not permitted`,
      TEXT_MAX
    ),
    blocks: blocks.slice(0, 50),
  };
};

// ---------------------------------------------------------------------------------------------
// Release
// ---------------------------------------------------------------------------------------------

const driftLine = (drift: DriftItem): string => {
  switch (drift.kind) {
    case 'instance-missing':
      return '• The instance no longer exists.';
    case 'eni-missing':
      return `• Interface ${code(drift.eniId, 40)} is no longer attached.`;
    case 'eni-added':
      return `• Interface ${code(drift.eniId, 40)} was attached since isolation (${groups(drift.groups)}).`;
    case 'groups-changed':
      return `• ${code(drift.eniId, 40)} has ${groups(drift.actual)}; isolation left ${groups(drift.expected)}.`;
  }
};

const releaseBlocks = (report: ReleaseReport, intro: string): KnownBlock[] => {
  const blocks: KnownBlock[] = [
    section(
      `${intro}\n${accountLine(report)} · released by ${who(report.requestedBy)}`,
      'rel_summary'
    ),
  ];
  if (report.forced && report.drift.length > 0) {
    blocks.push(
      ...listBlocks(
        'Forced despite these changes since isolation:',
        report.drift.map(driftLine),
        'rel_drift',
        'change'
      )
    );
  }
  blocks.push(
    ...listBlocks(
      `Network interfaces (${report.enis.length}): before → after`,
      report.enis.map(
        (eni) =>
          `${eni.restored ? '✅' : eni.skipped ? '➖' : '❌'} ${code(eni.id, 40)} ${groups(eni.before)} → ${groups(eni.after)}${eni.skipped ? ` _(${escapeAndTruncate(eni.skipped, 80)})_` : ''}`
      ),
      'rel_enis',
      'interface'
    )
  );
  const lines: string[] = [];
  if (report.autoScaling) {
    lines.push(
      `${report.autoScaling.done ? '✅' : '❌'} Auto Scaling group ${code(report.autoScaling.groupName, 120)}: ${report.autoScaling.action === 'exit-standby' ? 'back from Standby' : 'attached again'}`
    );
  }
  for (const lb of report.loadBalancers.slice(0, 10)) {
    lines.push(
      `${lb.done ? '✅' : '❌'} registered again with ${lb.kind === 'classic' ? 'classic load balancer' : 'target group'} ${code(lb.name, 120)}`
    );
  }
  if (report.loadBalancers.length > 10) {
    lines.push(`_…and ${moreOf(report.loadBalancers.length - 10, 'load balancer')}_`);
  }
  lines.push(
    report.quarantineTagsRemoved ? '✅ Quarantine tags removed' : '❌ Quarantine tags still on'
  );
  lines.push(
    report.protectionsRestored
      ? '✅ Termination and stop protection as before isolation'
      : `➖ Termination and stop protection left on${report.protectionsNote ? ` (${escapeAndTruncate(report.protectionsNote, 120)})` : ''}`
  );
  lines.push(
    report.snapshotsKept.length > 0
      ? `📦 Evidence snapshots kept: ${report.snapshotsKept
          .slice(0, 10)
          .map((id) => code(id, 40))
          .join(
            ', '
          )}${report.snapshotsKept.length > 10 ? ` and ${report.snapshotsKept.length - 10} more` : ''}`
      : '📦 No evidence snapshots'
  );
  blocks.push(section(`*Also*\n${lines.join('\n')}`, 'rel_also'));
  if (report.failures.length > 0) {
    blocks.push(
      ...listBlocks(
        `What failed (${report.failures.length})`,
        report.failures.map(failureLine),
        'rel_failures',
        'failure'
      )
    );
  }
  blocks.push(
    context(
      [
        `⏱️ ${formatElapsed(report.elapsedMs)} · finding ${code(report.findingId, 80)} · isolation #${report.generation}`,
      ],
      'rel_footer'
    )
  );
  return blocks;
};

/** The thread report of a release, or of why it did not happen (drift, not isolated…). */
export const renderReleaseReport = (outcome: ReleaseOutcome): SlackMessage => {
  switch (outcome.kind) {
    case 'released':
    case 'partial': {
      const { report } = outcome;
      const title = outcome.kind === 'released' ? '🔓 Instance released' : '⚠️ Release incomplete';
      const intro =
        outcome.kind === 'released'
          ? 'The recorded security groups are back on every interface.'
          : `*Partly released:* ${plural(report.failures.length, 'step')} failed (listed below). Retrying resumes where it stopped.`;
      return {
        text: fallback(`${title.slice(2).trim()}: ${report.instanceId}`, TEXT_MAX),
        blocks: [header(title, 'rel_header'), ...releaseBlocks(report, intro)].slice(0, 50),
      };
    }
    case 'drift':
      return {
        text: fallback(
          `Release of ${outcome.instanceId} stopped: the instance changed since isolation`,
          TEXT_MAX
        ),
        blocks: [
          header('✋ Release stopped: changed since isolation', 'rel_header'),
          ...listBlocks(
            `Nothing was changed on ${code(outcome.instanceId, 40)}. Since isolation:`,
            outcome.drift.map(driftLine),
            'rel_drift',
            'change'
          ),
          section(
            'Check who changed it. *Force release* restores the recorded groups on the interfaces still attached and leaves new interfaces alone.',
            'rel_force'
          ),
          context([`⏱️ ${formatElapsed(outcome.elapsedMs)}`], 'rel_footer'),
        ],
      };
    case 'failed': {
      const message = `*${escapeAndTruncate(outcome.code, 40)}* ${escapeAndTruncate(outcome.message, 1000)}${outcome.retryable ? '\nA retry may succeed.' : ''}`;
      const blocks: KnownBlock[] = [header('❌ Release failed', 'rel_header')];
      if (outcome.report)
        blocks.push(...releaseBlocks(outcome.report, `Nothing was released. ${message}`));
      else {
        blocks.push(
          section(
            `Nothing was released. ${message}${outcome.instanceId ? `\nInstance ${code(outcome.instanceId, 40)}` : ''}`,
            'rel_summary'
          ),
          context([`⏱️ ${formatElapsed(outcome.elapsedMs)}`], 'rel_footer')
        );
      }
      return {
        text: fallback(`Release failed: ${outcome.code}`, TEXT_MAX),
        blocks: blocks.slice(0, 50),
      };
    }
    case 'already-released':
      return {
        text: fallback(`${outcome.instanceId} was already released`, TEXT_MAX),
        blocks: [
          section(
            `🔓 ${code(outcome.instanceId, 40)} was already released; nothing to do.`,
            'rel_summary'
          ),
        ],
      };
    case 'not-isolated':
      return {
        text: 'Nothing to release: this finding’s instance is not isolated',
        blocks: [
          section(
            `Nothing to release: no isolation is recorded for finding ${code(outcome.findingId, 80)}${outcome.status ? ` (status ${escapeAndTruncate(outcome.status, 20)})` : ''}.`,
            'rel_summary'
          ),
        ],
      };
    case 'in-progress':
      return {
        text: 'Another isolation or release of this finding is running',
        blocks: [
          section(
            '⏳ Another isolation or release of this finding is running; this request will be retried.',
            'rel_summary'
          ),
        ],
      };
  }
};

// ---------------------------------------------------------------------------------------------
// Status line
// ---------------------------------------------------------------------------------------------

/**
 * One mrkdwn line for the finding card (the lead composes it in): `🔒 Isolated by @user · 2/2
 * interfaces`, `⚠️ Partly isolated by @user · 1/2 interfaces · 1 failure`…
 */
export const isolationStatusLine = (outcome: IsolationOutcome): string => {
  switch (outcome.kind) {
    case 'isolated':
    case 'already-isolated':
    case 'partial': {
      const { report } = outcome;
      const isolated = report.enis.filter((eni) => eni.phase === 'isolated').length;
      const label = outcome.kind === 'partial' ? '⚠️ Partly isolated' : '🔒 Isolated';
      const failures =
        report.failures.length > 0 ? ` · ${plural(report.failures.length, 'failure')}` : '';
      return `${label} by ${who(report.requestedBy)} · ${isolated}/${report.enis.length} interfaces${failures}`;
    }
    case 'stale':
      return '⏸️ Isolation stopped: the card is out of date';
    case 'planned':
      return `🧪 Dry run: ${plural(outcome.plan.steps.length, 'call')} planned`;
    case 'failed':
      return `❌ Isolation failed: ${escapeAndTruncate(outcome.code, 40)}`;
    case 'in-progress':
      return '⏳ Isolation in progress';
  }
};

/** One mrkdwn line for the finding card after a release request. */
export const releaseStatusLine = (outcome: ReleaseOutcome): string => {
  switch (outcome.kind) {
    case 'released':
      return `🔓 Released by ${who(outcome.report.requestedBy)}`;
    case 'partial':
      return `⚠️ Partly released by ${who(outcome.report.requestedBy)} · ${plural(outcome.report.failures.length, 'failure')}`;
    case 'drift':
      return '✋ Release stopped: the instance changed since isolation';
    case 'failed':
      return `❌ Release failed: ${escapeAndTruncate(outcome.code, 40)}`;
    case 'already-released':
      return '🔓 Released';
    case 'not-isolated':
      return 'Not isolated';
    case 'in-progress':
      return '⏳ Release in progress';
  }
};
