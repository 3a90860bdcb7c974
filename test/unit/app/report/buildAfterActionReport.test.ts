import { describe, expect, it } from 'vitest';
import {
  buildAfterActionReport,
  isValidTimeZone,
} from '../../../../src/app/report/buildAfterActionReport';
import type { Finding } from '../../../../src/domain/Finding';
import type { AuditEntry, FindingRecord } from '../../../../src/ports/FindingStore';
import { HOSTILE, sshBruteForceFinding } from '../../slack/cards/findings';

/** The finding record of the workshop's SSH brute force incident. */
const incidentRecord = (finding: Finding = sshBruteForceFinding()): FindingRecord => ({
  finding,
  channel: 'C0INCIDENTS',
  version: 3,
  firstReceivedAt: '2025-03-11T14:00:02.000Z',
  lastReceivedAt: '2025-03-11T14:05:30.000Z',
  placement: { kind: 'card' },
  actions: {},
});

const entry = (
  at: string,
  kind: string,
  actor: string,
  detail?: Record<string, unknown>,
  result = 'ok'
): AuditEntry => ({
  at,
  kind,
  actor,
  dedupeKey: `${kind}@${at}`,
  result,
  ...(detail === undefined ? {} : { detail }),
});

const ENI = 'eni-0a1a1a1a1a1a1a1a1';
const ORIGINAL_GROUPS = ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'];
const ISOLATION_GROUP = 'sg-0isolation0000001';

/** The audit stream as recorded: received → posted → isolate requested → approved → steps → completed → investigation → release. */
const incidentAudit = (): AuditEntry[] => [
  entry(
    '2025-03-11T14:00:02.000Z',
    'finding.received',
    'system',
    {
      eventId: 'ev-1',
      eventTime: '2025-03-11T13:59:58Z',
      count: 37,
      updatedAt: '2025-03-11T14:05:12.870Z',
    },
    'created'
  ),
  entry('2025-03-11T14:00:03.000Z', 'card.posted', 'system', {
    channel: 'C0INCIDENTS',
    ts: '1741701603.000100',
  }),
  entry(
    '2025-03-11T14:05:30.000Z',
    'finding.received',
    'system',
    { eventId: 'ev-2', count: 412 },
    'updated'
  ),
  entry('2025-03-11T14:05:31.000Z', 'card.updated', 'system', {
    channel: 'C0INCIDENTS',
    version: 2,
  }),
  entry(
    '2025-03-11T14:05:59.000Z',
    'action.denied',
    'U0MALLORY',
    { action: 'isolate', reason: 'not an approver', userName: 'mallory' },
    'denied'
  ),
  entry('2025-03-11T14:06:10.000Z', 'action.requested', 'U0ALICE', {
    action: 'isolate',
    userName: 'alice',
  }),
  entry('2025-03-11T14:07:40.000Z', 'action.approved', 'U0BOB', {
    action: 'isolate',
    userName: 'bob',
    requestedBy: 'alice',
  }),
  entry('2025-03-11T14:07:41.000Z', 'isolation.step', 'system', {
    step: 'record-enis',
    call: 'DescribeNetworkInterfaces',
    requestId: 'req-1',
    result: 'ok',
    accountId: '123456789012',
  }),
  entry('2025-03-11T14:07:45.000Z', 'isolation.step', 'system', {
    step: 'snapshot',
    call: 'CreateSnapshots',
    requestId: 'req-2',
    result: 'ok',
  }),
  entry('2025-03-11T14:07:52.000Z', 'isolation.step', 'system', {
    step: 'swap-groups',
    call: 'ModifyNetworkInterfaceAttribute',
    requestId: 'req-3',
    result: 'ok',
  }),
  entry('2025-03-11T14:08:00.000Z', 'isolation.completed', 'system', {
    enis: [{ id: ENI, before: ORIGINAL_GROUPS, after: [ISOLATION_GROUP] }],
    snapshots: ['snap-0aaa111122223333a'],
    connectionCut: 'two-step',
    elapsedMs: 18_950,
  }),
  entry('2025-03-11T14:12:00.000Z', 'investigation.completed', 'U0ALICE', {
    userName: 'alice',
    summary: {
      failedLogins: 1204,
      acceptedLogins: [{ user: 'ec2-user', ip: '198.51.100.77', at: '2025-03-11T13:52:10Z' }],
      relatedFindings: 2,
      securityHubFindings: 3,
    },
  }),
  entry('2025-03-11T14:15:00.000Z', 'command.run', 'U0BOB', {
    command: 'logs i-0a1b2c3d4e5f60718 Accepted',
    userName: 'bob',
    results: { matches: 1 },
  }),
  entry('2025-03-11T15:30:00.000Z', 'release.completed', 'U0BOB', {
    userName: 'bob',
    enis: [{ id: ENI, before: [ISOLATION_GROUP], after: ORIGINAL_GROUPS }],
  }),
];

const HEADINGS = [
  '## Timeline',
  '## People',
  '## Affected resources',
  '## Actors and threat intelligence',
  '## Investigation',
  '## Suppression rules',
  '## Open questions',
];

/** The text of one `## ` section, up to the next. */
const section = (markdown: string, heading: string): string => {
  const start = markdown.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const next = markdown.indexOf('\n## ', start + heading.length);
  return markdown.slice(start, next < 0 ? undefined : next);
};

/** The rows (cells) of the first table in `text` whose header starts with `firstHeader`. */
const tableRows = (text: string, firstHeader: string): string[][] => {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${firstHeader} |`));
  if (start < 0) throw new Error(`no table ${firstHeader}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(2, -2).split(/(?<!\\) \| /));
  }
  return rows;
};

const report = (overrides: Partial<Parameters<typeof buildAfterActionReport>[0]> = {}) =>
  buildAfterActionReport({ record: incidentRecord(), audit: incidentAudit(), ...overrides });

describe('Function: buildAfterActionReport', () => {
  describe('a full incident', () => {
    it('starts with a title and a summary of what, where, how bad and the outcome', () => {
      // Act
      const { markdown } = report();

      // Assess
      expect(
        markdown.startsWith('# After-action report: UnauthorizedAccess:EC2/SSHBruteForce\n')
      ).toBe(true);
      const summary = Object.fromEntries(
        tableRows(markdown, 'Field').map(([label, value]) => [label, value])
      );
      expect(summary).toMatchObject({
        '**Finding**': '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
        '**Severity**': '2.0 (Low)',
        '**Account / Region**': '123456789012 / us-west-2',
        '**Resource**': 'i-0a1b2c3d4e5f60718 (web-01)',
        '**Source**': 'GuardDuty',
        '**Outcome**': 'Contained, then released',
      });
    });

    it('has its sections in order', () => {
      // Act
      const { markdown } = report();

      // Assess
      const positions = HEADINGS.map((heading) => markdown.indexOf(`\n${heading}\n`));
      expect(positions.every((position) => position > 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toStrictEqual(positions);
    });

    it('tells the timeline in order, from first seen to release, marking the first human action', () => {
      // Act
      const timeline = section(report().markdown, '## Timeline');

      // Assess
      const rows = tableRows(timeline, 'Time (UTC)');
      const times = rows.map(([time]) => time ?? '');
      expect([...times].sort()).toStrictEqual(times);
      expect(rows.map((row) => row[2])).toStrictEqual([
        'Activity first seen by GuardDuty',
        'GuardDuty created the finding',
        'Finding received by the bot (count 37)',
        'Card posted in channel C0INCIDENTS',
        'Activity last seen by GuardDuty (37 occurrences in all)',
        'Update received (count 412)',
        'isolate refused for @mallory (U0MALLORY): not an approver (result: denied)',
        '@alice (U0ALICE) requested isolate **(first human action)**',
        '@bob (U0BOB) approved isolate requested by alice',
        'Step record-enis: ok (DescribeNetworkInterfaces, request req-1)',
        'Step snapshot: ok (CreateSnapshots, request req-2)',
        'Step swap-groups: ok (ModifyNetworkInterfaceAttribute, request req-3)',
        'Isolation completed: 1 network interface moved, 1 snapshot, connections cut: two-step, took 19 s',
        'Investigation completed: 1204 failed logins, 1 accepted login',
        '@bob (U0BOB) ran logs i-0a1b2c3d4e5f60718 Accepted',
        'Release completed by @bob (U0BOB)',
      ]);
      expect(rows[0]?.slice(0, 2)).toStrictEqual(['2025-03-11 13:41:05', '0 s']);
      expect(timeline).toContain(
        '1 routine entry (card refreshes, repeated deliveries) not shown.'
      );
    });

    it('measures time to notify, to first action, to contain and to resolve', () => {
      // Act
      const timeline = section(report().markdown, '## Timeline');

      // Assess
      const durations = Object.fromEntries(
        tableRows(timeline, 'Measure').map(([label, value]) => [label, value])
      );
      expect(durations).toStrictEqual({
        'Time to notify': '18 min 57 s',
        'Time to post': '1 s',
        'Time to first action (MTTA)': '6 min 07 s',
        'Time to contain': '7 min 57 s',
        'Time to resolve': '1 h 29 min',
      });
    });

    it('lists the people involved and what each did', () => {
      // Act
      const people = section(report().markdown, '## People');

      // Assess
      expect(tableRows(people, 'Person')).toStrictEqual([
        ['@mallory', 'U0MALLORY', 'action.denied (isolate) at 2025-03-11 14:05:59'],
        [
          '@alice',
          'U0ALICE',
          'action.requested (isolate) at 2025-03-11 14:06:10; investigation.completed at 2025-03-11 14:12:00',
        ],
        [
          '@bob',
          'U0BOB',
          'action.approved (isolate) at 2025-03-11 14:07:40; command.run at 2025-03-11 14:15:00; release.completed at 2025-03-11 15:30:00',
        ],
      ]);
    });

    it('shows the security groups of each ENI before and after, and the snapshots', () => {
      // Act
      const resources = section(report().markdown, '## Affected resources');

      // Assess
      expect(resources).toContain('- **Instance**: i-0a1b2c3d4e5f60718 (web-01)');
      expect(tableRows(resources, 'ENI')[0]?.[3]).toBe(
        'sg-0123456789abcdef0 (web-tier-sg), sg-0fedcba9876543210 (ssh-admin-sg)'
      );
      const [isolation, release] = resources.split('### ').slice(1);
      expect(isolation).toMatch(/^Isolation completed at 2025-03-11 14:08:00 UTC/);
      expect(tableRows(isolation ?? '', 'ENI')).toStrictEqual([
        [ENI, ORIGINAL_GROUPS.join(', '), ISOLATION_GROUP],
      ]);
      expect(isolation).toContain('- Snapshots taken: snap-0aaa111122223333a');
      expect(isolation).toContain('- Existing connections cut: two-step');
      expect(release).toMatch(/^Release completed at 2025-03-11 15:30:00 UTC/);
      expect(tableRows(release ?? '', 'ENI')).toStrictEqual([
        [ENI, ISOLATION_GROUP, ORIGINAL_GROUPS.join(', ')],
      ]);
    });

    it('names the actor, its network and threat lists, and IPs seen by the investigation', () => {
      // Prepare
      const finding = sshBruteForceFinding();
      finding.threatListNames = ['ProofPoint'];

      // Act
      const actors = section(
        buildAfterActionReport({ record: incidentRecord(finding), audit: incidentAudit() })
          .markdown,
        '## Actors and threat intelligence'
      );

      // Assess
      expect(actors).toContain('- Remote IP: 203.0.113.45');
      expect(actors).toContain('- Organization: Example Hosting Ltd, AS64501');
      expect(actors).toContain('- Location: Amsterdam, Netherlands');
      expect(actors).toContain('- Threat lists: ProofPoint');
      expect(actors).toContain(
        '- Other IPs with accepted logins (from the investigation): 198.51.100.77'
      );
    });

    it('sums up the investigation and the commands run', () => {
      // Act
      const investigation = section(report().markdown, '## Investigation');

      // Assess
      expect(investigation).toContain('- Failed logins: 1204');
      expect(investigation).toContain('- Related GuardDuty findings: 2');
      expect(investigation).toContain('- Security Hub findings for the resource: 3');
      expect(tableRows(investigation, 'User')).toStrictEqual([
        ['ec2-user', '198.51.100.77', '2025-03-11T13:52:10Z'],
      ]);
      expect(investigation).toContain(
        'ran logs i-0a1b2c3d4e5f60718 Accepted at 2025-03-11 14:15:00 UTC: matches: 1'
      );
    });

    it('says when no suppression rule was involved', () => {
      // Act
      const suppression = section(report().markdown, '## Suppression rules');

      // Assess
      expect(suppression).toContain(
        'No suppression rule was proposed or created for this finding.'
      );
    });

    it("answers the workshop's open questions where the record knows", () => {
      // Act
      const questions = section(report().markdown, '## Open questions');

      // Assess
      expect(questions).toContain('1. **Which data source detected it?**\n   VPC Flow Logs');
      expect(questions).toContain(
        'Unknown: record what users saw (no Auto Scaling or load balancer action was recorded).'
      );
      expect(questions).toContain(
        '   - Responders looked these up by hand: logs i-0a1b2c3d4e5f60718 Accepted. Consider showing them on the card.'
      );
      expect(questions).toContain('Someone was refused an action');
    });

    it('gives a one-line summary for Slack', () => {
      // Act
      const { summary } = report();

      // Assess
      expect(summary).toBe(
        'After-action report: UnauthorizedAccess:EC2/SSHBruteForce on i-0a1b2c3d4e5f60718 (web-01) (Low 2.0, 123456789012 us-west-2). Contained, then released; contained in 7 min 57 s, resolved in 1 h 29 min.'
      );
      expect(summary).not.toContain('\n');
    });
  });

  describe('determinism', () => {
    it('produces the same report twice, whatever the order of the audit entries', () => {
      // Act
      const first = report();
      const second = report();
      const shuffled = report({ audit: [...incidentAudit()].reverse() });

      // Assess
      expect(second).toStrictEqual(first);
      expect(shuffled).toStrictEqual(first);
      expect(first.markdown).not.toContain('Generated');
    });

    it('shows the generation time only when given', () => {
      // Act
      const { markdown } = report({ generatedAt: '2025-03-12T08:00:00.000Z' });

      // Assess
      expect(markdown).toContain('Generated 2025-03-12 08:00:00 UTC.');
    });

    it('adds local times in the channel time zone when asked', () => {
      // Act
      const timeline = section(report({ timeZone: 'Europe/Berlin' }).markdown, '## Timeline');

      // Assess
      expect(timeline).toContain('| Time (UTC) | Local (Europe/Berlin) | Since start |');
      expect(tableRows(timeline, 'Time (UTC)')[0]?.slice(0, 2)).toStrictEqual([
        '2025-03-11 13:41:05',
        '2025-03-11 14:41:05 (+01:00)',
      ]);
    });

    it('ignores an unknown time zone and says so', () => {
      // Act
      const { markdown } = report({ timeZone: 'Mars/Olympus_Mons' });

      // Assess
      expect(markdown).not.toContain('Local (');
      expect(markdown).toContain('Unknown time zone Mars/Olympus\\_Mons ignored.');
      expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
      expect(isValidTimeZone('America/New_York')).toBe(true);
    });
  });

  describe('other outcomes', () => {
    it('measures resolution from a dismissal and lists the suppression rule', () => {
      // Prepare
      const audit = [
        ...incidentAudit().slice(0, 4),
        entry('2025-03-11T14:10:03.000Z', 'dismiss.completed', 'U0ALICE', {
          reason: 'expected_activity',
          note: 'bastion',
          userName: 'alice',
          archived: 1,
          feedback: 'skipped',
          securityHub: 'skipped',
        }),
        entry('2025-03-11T14:10:04.000Z', 'suppression.proposed', 'U0ALICE', {
          userName: 'alice',
          filterName: 'guardduty-bot-0123456789ab',
          description:
            'Automatically archive new UnauthorizedAccess:EC2/SSHBruteForce findings on instance i-0a1b2c3d4e5f60718.',
        }),
        entry('2025-03-11T14:20:00.000Z', 'suppression.created', 'U0BOB', {
          userName: 'bob',
          filterName: 'guardduty-bot-0123456789ab',
          description:
            'Automatically archive new UnauthorizedAccess:EC2/SSHBruteForce findings on instance i-0a1b2c3d4e5f60718.',
        }),
      ];

      // Act
      const { markdown, summary } = report({ audit });

      // Assess
      expect(summary).toContain('Dismissed: Expected activity; resolved in 10 min 00 s.');
      const durations = Object.fromEntries(
        tableRows(section(markdown, '## Timeline'), 'Measure').map(([label, value]) => [
          label,
          value,
        ])
      );
      expect(durations['Time to contain']).toBe('not recorded');
      expect(durations['Time to first action (MTTA)']).toBe('10 min 00 s');
      const rules = tableRows(section(markdown, '## Suppression rules'), 'Time (UTC)');
      expect(rules.map((row) => [row[1], row[2], row[4]])).toStrictEqual([
        ['proposed', 'guardduty-bot-0123456789ab', '@alice (U0ALICE)'],
        ['created', 'guardduty-bot-0123456789ab', '@bob (U0BOB)'],
      ]);
      expect(section(markdown, '## Open questions')).toContain('No isolation was performed.');
    });

    it('tells the effect on the application when Auto Scaling and load balancers were handled', () => {
      // Prepare
      const audit = incidentAudit().map((item) =>
        item.kind === 'isolation.completed'
          ? {
              ...item,
              detail: {
                ...item.detail,
                autoScaling: { group: 'web-asg', action: 'detached' },
                loadBalancers: ['targetgroup/web/1a2b: deregistered'],
              },
            }
          : item
      );

      // Act
      const questions = section(report({ audit }).markdown, '## Open questions');

      // Assess
      expect(questions).toContain(
        'Auto Scaling: group: web-asg; action: detached; load balancers: targetgroup/web/1a2b: deregistered. Confirm with the application owners what users saw.'
      );
    });

    it('reports an open finding with nothing recorded', () => {
      // Act
      const { markdown, summary } = report({ audit: [] });

      // Assess
      expect(summary).toContain('Open: no containment or dismissal recorded.');
      expect(section(markdown, '## People')).toContain('No one acted on this finding in Slack.');
      expect(section(markdown, '## Investigation')).toContain('No investigation was recorded.');
      expect(section(markdown, '## Timeline')).toContain(
        '| Finding received by the bot | system |'
      );
    });

    it.each([
      ['Execution:EC2/MaliciousFile', 'EBS Malware Protection'],
      [
        'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        'CloudTrail management events',
      ],
      ['Exfiltration:S3/AnomalousBehavior', 'CloudTrail S3 data events'],
      [
        'Policy:S3/BucketBlockPublicAccessDisabled',
        'CloudTrail management events (bucket configuration)',
      ],
      ['Execution:Runtime/NewBinaryExecuted', 'Runtime Monitoring'],
      ['Backdoor:EC2/C&CActivity.B!DNS', 'DNS logs'],
      ['Trojan:EC2/DNSDataExfiltration', 'DNS logs'],
      ['Recon:EC2/Portscan', 'VPC Flow Logs'],
      ['PrivilegeEscalation:Kubernetes/PrivilegedContainer', 'EKS audit logs'],
    ])('names the data source of %s', (type, source) => {
      // Prepare
      const finding = { ...sshBruteForceFinding(), type };

      // Act
      const questions = section(
        buildAfterActionReport({ record: incidentRecord(finding), audit: [] }).markdown,
        '## Open questions'
      );

      // Assess
      expect(questions).toContain(`1. **Which data source detected it?**\n   ${source}`);
    });
  });

  describe('hostile strings', () => {
    const ATTACK = `<script>alert(1)</script> | x \`code\` [click](https://evil.example) *bold* ~~gone~~\n# Heading\n| a | b |`;

    const hostileReport = () => {
      const finding = sshBruteForceFinding();
      finding.title = ATTACK;
      finding.type = `${HOSTILE} ${ATTACK}`;
      finding.resource = { ...finding.resource, name: ATTACK } as Finding['resource'];
      finding.actor = { ...finding.actor, userAgent: ATTACK, organization: '`Evil | Org`' };
      finding.threatListNames = [ATTACK];
      const audit = [
        ...incidentAudit(),
        entry('2025-03-11T14:16:00.000Z', 'command.run', 'U0EVE', {
          command: ATTACK,
          userName: `eve|${ATTACK}`,
          results: { text: ATTACK },
        }),
        entry('2025-03-11T14:17:00.000Z', 'investigation.completed', 'U0EVE', {
          summary: { acceptedLogins: [{ user: ATTACK, ip: ATTACK, at: ATTACK }] },
        }),
      ];
      return buildAfterActionReport({ record: incidentRecord(finding), audit });
    };

    it('neutralizes HTML, links, code and emphasis from the finding and from users', () => {
      // Act
      const { markdown } = hostileReport();

      // Assess
      expect(markdown).not.toContain('<script>');
      expect(markdown).not.toContain('<!channel>');
      expect(markdown).not.toMatch(/(?<!\\)\[click(?<!\\)\]/);
      expect(markdown).not.toMatch(/(?<!\\)`/);
      expect(markdown).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(markdown).toContain('\\[click\\](https://evil.example) \\*bold\\* \\~\\~gone\\~\\~');
    });

    it('keeps every table row to its columns and adds no headings', () => {
      // Act
      const { markdown } = hostileReport();

      // Assess
      const lines = markdown.split('\n');
      const headings = lines.filter((line) => line.startsWith('#'));
      expect(headings.every((line) => /^#{1,3} [A-Z]/.test(line))).toBe(true);
      expect(headings.filter((line) => line.startsWith('## '))).toStrictEqual(HEADINGS);
      let columns = 0;
      for (const line of lines) {
        if (!line.startsWith('|')) {
          columns = 0;
          continue;
        }
        const count = line.match(/(?<!\\)\|/g)?.length ?? 0;
        if (columns === 0) columns = count;
        expect(count, line).toBe(columns);
      }
    });

    it('escapes the Slack summary', () => {
      // Act
      const { summary } = hostileReport();

      // Assess
      expect(summary).not.toContain('<!channel>');
      expect(summary).toContain('&lt;!channel&gt;');
      expect(summary).not.toContain('\n');
    });
  });
});
