import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../src/domain/Finding';
import {
  type HubFinding,
  type HubResult,
  type HubSummary,
  type InstanceContext,
  type InvestigationReport,
  LOG_PRESETS,
  type LogSearchResult,
  type LogSearchSummary,
  type RelatedFindingsSummary,
  SSH_ACCEPTED_PATTERN,
  SSH_FAILED_PATTERN,
  summarizeHubFindings,
  summarizeRelatedFindings,
} from '../../../../src/domain/investigation';
import { analyzeSshLog } from '../../../../src/domain/sshLogAnalysis';
import type { SlackMessage } from '../../../../src/ports/SlackGateway';
import {
  INVESTIGATION_BLOCK_IDS,
  renderHubResult,
  renderInvestigation,
  renderLogSearch,
} from '../../../../src/slack/cards/investigationReport';
import { logsConsoleUrl } from '../../../../src/slack/logsConsoleLink';
import { findBlockKitViolations } from '../../../support/blockKitLimits';
import { blockById, blockText, linkUrls, mrkdwnTexts, mrkdwnWithoutOwnTokens } from './blockKit';
import { HOSTILE, HUGE, sshBruteForceFinding } from './findings';

const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
const ACTOR = '203.0.113.45';
const NOW = '2025-03-11T14:05:12.870Z';
const REFERENCE = Date.parse(NOW);

const fixtureLines = (): string[] =>
  readFileSync(new URL('../../../fixtures/logs/secure-bruteforce.log', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '');

const logSummary = (
  lines: string[],
  overrides: Partial<LogSearchSummary> = {}
): LogSearchSummary => ({
  window: { start: '2025-02-28T21:00:00.000Z', end: NOW },
  filterPatterns: [SSH_ACCEPTED_PATTERN, SSH_FAILED_PATTERN],
  logStreamNamePrefix: INSTANCE_ID,
  groups: [{ ok: true, logGroupName: '/var/log/secure', events: lines.length, pages: 2 }],
  matchedEvents: lines.length,
  analysis: analyzeSshLog(lines, { referenceTime: REFERENCE, actorIp: ACTOR }),
  recent: lines
    .slice(-3)
    .reverse()
    .map((message) => ({
      timestamp: '2025-03-01T10:14:09.000Z',
      logGroupName: '/var/log/secure',
      logStreamName: `${INSTANCE_ID}/ssh`,
      message,
    })),
  truncated: false,
  acceptedSearchComplete: true,
  ...overrides,
});

const instance = (): InstanceContext => ({
  instanceId: INSTANCE_ID,
  name: 'web-01',
  state: 'running',
  instanceType: 't3.small',
  availabilityZone: 'us-west-2a',
  vpcId: 'vpc-0abc1234def567890',
  subnetId: 'subnet-0aa11bb22cc33dd44',
  securityGroups: [
    { id: 'sg-0123456789abcdef0', name: 'web-tier-sg' },
    { id: 'sg-0fedcba9876543210', name: 'ssh-admin-sg' },
  ],
  instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/web-tier-profile',
  publicIp: '198.51.100.10',
  privateIp: '10.0.1.15',
  launchTime: '2025-03-02T08:15:27.000Z',
  imdsV2Required: false,
  networkInterfaceCount: 1,
  tags: [
    { key: 'Name', value: 'web-01' },
    { key: 'Environment', value: 'prod' },
  ],
});

const hubFinding = (overrides: Partial<HubFinding>): HubFinding => ({
  id: 'insp-1',
  productName: 'Inspector',
  title: 'Password authentication over SSH is enabled',
  severityLabel: 'MEDIUM',
  workflowStatus: 'NEW',
  recordState: 'ACTIVE',
  updatedAt: '2025-03-10T08:20:00.000Z',
  types: [],
  matchedBy: ['resource'],
  ...overrides,
});

const hubSummary = (findings: HubFinding[]): HubSummary => {
  const groups = summarizeHubFindings(findings);
  return {
    resourceIds: [`arn:aws:ec2:us-west-2:123456789012:instance/${INSTANCE_ID}`],
    ip: ACTOR,
    total: findings.length,
    active: groups.reduce((sum, group) => sum + group.active, 0),
    groups,
    truncated: false,
  };
};

const related = (): RelatedFindingsSummary => {
  const findings = [
    {
      id: 'r1',
      type: 'Recon:EC2/PortProbeUnprotectedPort',
      severity: 2,
      count: 10,
      archived: false,
      matchedBy: ['instance' as const],
    },
    {
      id: 'r2',
      type: 'UnauthorizedAccess:EC2/TorClient',
      severity: 8,
      count: 1,
      archived: false,
      matchedBy: ['remoteIp' as const],
    },
  ];
  return {
    since: '2025-03-04T14:05:12.870Z',
    criteria: [
      { match: 'instance', value: INSTANCE_ID },
      { match: 'remoteIp', value: ACTOR },
    ],
    total: findings.length,
    groups: summarizeRelatedFindings(findings),
    truncated: false,
  };
};

/** The workshop's incident: the brute force worked. */
const compromisedReport = (): InvestigationReport => {
  const finding = sshBruteForceFinding();
  return {
    finding,
    target: { accountId: '123456789012', region: 'us-west-2' },
    generatedAt: NOW,
    subject: { instanceId: INSTANCE_ID, instanceIdFrom: 'resource', actorIp: ACTOR },
    instance: { ok: true, value: instance() },
    relatedFindings: { ok: true, value: related() },
    securityHub: {
      ok: true,
      value: hubSummary([
        hubFinding({}),
        hubFinding({
          id: 'gd-1',
          productName: 'GuardDuty',
          title: 'Tor client',
          severityLabel: 'HIGH',
        }),
        hubFinding({
          id: 'cfg-1',
          productName: 'Config',
          title: 'restricted-ssh',
          recordState: 'ARCHIVED',
        }),
      ]),
    },
    logs: { ok: true, value: logSummary(fixtureLines()) },
    logSearch: {
      logGroups: ['/var/log/secure'],
      filterPatterns: [SSH_ACCEPTED_PATTERN, SSH_FAILED_PATTERN],
      logStreamNamePrefix: INSTANCE_ID,
      start: '2025-02-28T21:00:00.000Z',
      end: NOW,
    },
    skipped: [],
    truncated: false,
    counts: { relatedFindings: 2, securityHubFindings: 3, logEvents: 379 },
  };
};

const section = (message: SlackMessage, id: string): string =>
  blockText(blockById(message, id, 'section'));

const everyText = (message: SlackMessage): string => mrkdwnTexts(message).join('\n');

describe('Function: renderInvestigation', () => {
  it('flags a login that followed failed attempts even when the finding now names another actor', () => {
    // Prepare: a re-published finding names only its latest actor, not the first attacker.
    const report = compromisedReport();
    const lines = fixtureLines();
    report.subject = { ...report.subject, actorIp: '203.0.113.91' };
    report.logs = {
      ok: true,
      value: logSummary(lines, {
        analysis: analyzeSshLog(lines, { referenceTime: REFERENCE, actorIp: '203.0.113.91' }),
      }),
    };

    // Act
    const { summary } = renderInvestigation(report);

    // Assess
    const logs = section(summary, INVESTIGATION_BLOCK_IDS.logs);
    expect(logs).toContain('Accepted password for ec2-user from 203.0.113.45');
    expect(logs).not.toContain('no successful login');
    expect(summary.text).toContain('accepted password for ec2-user from 203.0.113.45');
  });

  it('leads with who got in, from where, when, and after how many attempts', () => {
    // Act
    const { summary } = renderInvestigation(compromisedReport());

    // Assess
    const logs = section(summary, INVESTIGATION_BLOCK_IDS.logs);
    expect(logs).toContain(
      '⚠️ *Accepted password for ec2-user from 203.0.113.45* at <!date^1740824049^'
    );
    expect(logs).toContain('after 185 failed attempts');
    expect(logs).toContain('*Brute force:* 193 failed attempts from 3 IPs');
    expect(logs).not.toContain('no successful login');
    expect(logs).toContain(
      'ℹ️ 1 accepted login from other IPs: ec2-user from 198.51.100.200 (publickey)'
    );
    expect(logs).toContain('Top sources: 203.0.113.45 (185), 198.51.100.7 (7), 2001:db8::1 (1)');
    expect(summary.text).toBe(
      'Investigation of i-0a1b2c3d4e5f60718 (web-01): ⚠️ accepted password for ec2-user from 203.0.113.45'
    );
  });

  it('says the brute force failed when no login was accepted from the actor', () => {
    // Prepare
    const report = compromisedReport();
    report.logs = {
      ok: true,
      value: logSummary(fixtureLines().filter((line) => !line.includes('Accepted password'))),
    };

    // Act
    const { summary } = renderInvestigation(report);

    // Assess
    expect(section(summary, INVESTIGATION_BLOCK_IDS.logs)).toContain(
      '*Brute force:* 193 failed attempts from 3 IPs; ✅ no successful login from 203.0.113.45'
    );
    expect(summary.text).toContain('193 failed SSH attempts; ✅ no successful login');
  });

  it('does not claim "no successful login" when the accepted-login search was incomplete', () => {
    // Prepare
    const report = compromisedReport();
    const lines = fixtureLines().filter((line) => !line.includes('Accepted password'));
    report.logs = {
      ok: true,
      value: logSummary(lines, {
        truncated: true,
        acceptedSearchComplete: false,
        groups: [
          {
            ok: true,
            logGroupName: '/var/log/secure',
            events: 10_000,
            pages: 20,
            truncated: 'maxPages',
          },
        ],
      }),
    };

    // Act
    const { summary } = renderInvestigation(report);

    // Assess
    const logs = section(summary, INVESTIGATION_BLOCK_IDS.logs);
    expect(logs).not.toContain('no successful login');
    expect(logs).toContain('at least 193 failed attempts');
    expect(logs).toContain('❔ could not confirm whether anyone logged in from 203.0.113.45');
    expect(logs).toContain('stopped early (page limit reached)');
    expect(summary.text).not.toContain('no successful login');
  });

  it('shows the instance, related finding counts and Security Hub counts by product', () => {
    // Act
    const { summary } = renderInvestigation(compromisedReport());

    // Assess
    const instanceText = section(summary, INVESTIGATION_BLOCK_IDS.instance);
    expect(instanceText).toContain('*Instance* `i-0a1b2c3d4e5f60718` web-01 · running · t3.small');
    expect(instanceText).toContain('vpc-0abc1234def567890 / subnet-0aa11bb22cc33dd44');
    expect(instanceText).toContain(
      'SG sg-0123456789abcdef0 (web-tier-sg), sg-0fedcba9876543210 (ssh-admin-sg)'
    );
    expect(instanceText).toContain('public IP 198.51.100.10');
    expect(instanceText).toContain('profile web-tier-profile');
    expect(instanceText).toContain('IMDSv1 allowed');
    const relatedText = section(summary, INVESTIGATION_BLOCK_IDS.related);
    expect(relatedText).toContain('2 findings in 2 types');
    expect(relatedText).toContain('🟠 High `UnauthorizedAccess:EC2/TorClient` ×1');
    expect(relatedText).toContain('🟢 Low `Recon:EC2/PortProbeUnprotectedPort` ×1, seen 10×');
    const hub = section(summary, INVESTIGATION_BLOCK_IDS.hub);
    expect(hub).toContain('3 findings, 2 active — GuardDuty 1, Inspector 1, Config 0/1');
    expect(hub).toContain('Inspector: 🟡 MEDIUM Password authentication over SSH is enabled');
  });

  it('links to GuardDuty, Detective, Security Hub and the CloudWatch Logs search', () => {
    // Act
    const { summary } = renderInvestigation(compromisedReport());

    // Assess
    const urls = linkUrls(summary);
    const finding = sshBruteForceFinding();
    expect(urls).toEqual(
      expect.arrayContaining([
        `https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/findings?macros=current&amp;fId=${finding.id}`,
        `https://us-west-2.console.aws.amazon.com/detective/home?region=us-west-2#entities/Ec2Instance/${INSTANCE_ID}`,
        'https://us-west-2.console.aws.amazon.com/detective/home?region=us-west-2#entities/IpAddress/203.0.113.45',
      ])
    );
    expect(urls.some((url) => url.includes('securityhub/home') && url.includes('ResourceId'))).toBe(
      true
    );
    const logs = urls.find((url) => url.includes('/cloudwatch/home'));
    expect(logs).toContain(
      '#logsV2:log-groups/log-group/$252Fvar$252Flog$252Fsecure/log-events$3FfilterPattern$3D'
    );
    expect(logs).toContain(
      `$26start$3D${Date.parse('2025-02-28T21:00:00.000Z')}$26end$3D${REFERENCE}`
    );
  });

  it('reports each failed pivot on its own line while the others still answer', () => {
    // Prepare
    const report = compromisedReport();
    report.instance = {
      ok: false,
      code: 'ACCESS_DENIED',
      message: 'No permission for ec2:DescribeInstances.',
    };
    report.securityHub = {
      ok: false,
      code: 'NOT_ENABLED',
      message: 'Security Hub is not enabled in 123456789012/us-west-2.',
    };
    report.logs = {
      ok: false,
      code: 'NOT_FOUND',
      message: 'Log group /var/log/secure does not exist.',
    };

    // Act
    const { summary } = renderInvestigation(report);

    // Assess
    expect(section(summary, INVESTIGATION_BLOCK_IDS.instance)).toBe(
      '*Instance* ❌ No permission for ec2:DescribeInstances.'
    );
    expect(section(summary, INVESTIGATION_BLOCK_IDS.hub)).toContain(
      '*Security Hub* ❌ Security Hub is not enabled'
    );
    expect(section(summary, INVESTIGATION_BLOCK_IDS.logs)).toBe(
      '*Logs* ❌ Log group /var/log/secure does not exist.'
    );
    expect(section(summary, INVESTIGATION_BLOCK_IDS.related)).toContain('2 findings in 2 types');
    expect(linkUrls(summary).some((url) => url.includes('/cloudwatch/home'))).toBe(true);
  });

  it('says when the instance stream had no sshd lines', () => {
    // Prepare
    const report = compromisedReport();
    report.logs = {
      ok: true,
      value: logSummary([], {
        groups: [{ ok: true, logGroupName: '/var/log/secure', events: 0, pages: 1 }],
      }),
    };

    // Act
    const { summary } = renderInvestigation(report);

    // Assess
    expect(section(summary, INVESTIGATION_BLOCK_IDS.logs)).toContain(
      'No sshd login lines for `i-0a1b2c3d4e5f60718` in `/var/log/secure` since'
    );
  });

  it('puts sources, user names, tags and Security Hub findings in the details', () => {
    // Act
    const { details } = renderInvestigation(compromisedReport());

    // Assess
    expect(details).toBeDefined();
    const text = everyText(details as SlackMessage);
    expect(text).toContain('• 203.0.113.45: 185 failed attempts, 1 accepted login');
    expect(text).toContain('`admin` ×50 (no such user)');
    expect(text).toContain('`ec2-user` ×45 ✔︎2');
    expect(text).toContain('Tags: Name=web-01, Environment=prod');
    expect(text).toContain('*Config* — 0 active of 1');
    expect(text).toContain('*Latest lines* (newest first):\n```');
  });

  it('keeps every AWS- and log-sourced string inert', () => {
    // Prepare
    const report = compromisedReport();
    const hostileLines = [
      `Mar  1 10:00:00 h sshd[1]: Failed password for invalid user ${HOSTILE} from ${ACTOR} port 1 ssh2`,
      `Mar  1 10:00:05 h sshd[2]: Accepted password for ${HOSTILE} from ${ACTOR} port 2 ssh2`,
    ];
    report.logs = {
      ok: true,
      value: logSummary(hostileLines, {
        groups: [{ ok: false, logGroupName: '/var/log/secure', code: 'X', message: HOSTILE }],
      }),
    };
    report.instance = {
      ok: true,
      value: {
        ...instance(),
        name: HOSTILE,
        state: HOSTILE,
        securityGroups: [{ id: HOSTILE, name: HOSTILE }],
        tags: [{ key: HOSTILE, value: HOSTILE }],
        instanceProfileArn: `arn:aws:iam::1:instance-profile/${HOSTILE}`,
      },
    };
    report.securityHub = {
      ok: true,
      value: hubSummary([
        hubFinding({
          productName: HOSTILE,
          title: HOSTILE,
          severityLabel: HOSTILE,
          workflowStatus: HOSTILE,
        }),
      ]),
    };
    report.relatedFindings = {
      ok: true,
      value: {
        ...related(),
        groups: summarizeRelatedFindings(
          Array.from({ length: 5 }, (_, i) => ({
            id: `h${i}`,
            type: `${HOSTILE}${i}`,
            severity: 5,
            count: 1,
            archived: false,
            matchedBy: [],
          }))
        ),
      },
    };
    report.finding = { ...report.finding, title: HOSTILE, type: HOSTILE };
    report.skipped = [HOSTILE];

    // Act
    const { summary, details } = renderInvestigation(report);

    // Assess
    for (const message of [summary, details as SlackMessage]) {
      expect(mrkdwnWithoutOwnTokens(message)).not.toMatch(/[<>]/);
      expect(findBlockKitViolations(message)).toEqual([]);
    }
    expect(everyText(details as SlackMessage)).toContain('&lt;!channel&gt;');
  });

  it('stays within Block Kit limits for any size of input', () => {
    // Prepare
    const report = compromisedReport();
    const many = Array.from(
      { length: 3000 },
      (_, i) =>
        `Mar  1 10:00:00 h sshd[1]: Accepted password for u${i}${HUGE.slice(0, 90)} from 198.51.${Math.floor(i / 250)}.${i % 250} port ${i} ssh2`
    );
    report.logs = {
      ok: true,
      value: logSummary(many, {
        groups: Array.from({ length: 60 }, (_, i) => ({
          ok: false as const,
          logGroupName: `/g/${i}${'x'.repeat(400)}`,
          code: 'ACCESS_DENIED',
          message: HUGE,
        })),
        recent: Array.from({ length: 50 }, () => ({
          timestamp: NOW,
          logGroupName: HUGE,
          message: HUGE,
        })),
      }),
    };
    report.relatedFindings = {
      ok: true,
      value: {
        ...related(),
        total: 5000,
        groups: summarizeRelatedFindings(
          Array.from({ length: 5000 }, (_, i) => ({
            id: `r${i}`,
            type: `Type${i}:${HUGE.slice(0, 500)}`,
            severity: (i % 10) + 1,
            count: i,
            archived: false,
            matchedBy: ['instance' as const],
          }))
        ),
      },
    };
    report.securityHub = {
      ok: true,
      value: hubSummary(
        Array.from({ length: 3000 }, (_, i) =>
          hubFinding({
            id: `h${i}`,
            productName: `Product${i % 500}${HUGE.slice(0, 300)}`,
            title: HUGE,
          })
        )
      ),
    };
    report.instance = {
      ok: true,
      value: {
        ...instance(),
        name: HUGE,
        securityGroups: Array.from({ length: 500 }, (_, i) => ({ id: `sg-${i}`, name: HUGE })),
        tags: Array.from({ length: 500 }, (_, i) => ({ key: `k${i}${HUGE}`, value: HUGE })),
      },
    };
    report.skipped = [HUGE, HUGE];

    // Act
    const { summary, details } = renderInvestigation(report);

    // Assess
    expect(findBlockKitViolations(summary)).toEqual([]);
    expect(findBlockKitViolations(details as SlackMessage)).toEqual([]);
    expect(summary.blocks.length).toBeLessThanOrEqual(8);
    expect(summary.text.length).toBeLessThanOrEqual(300);
  });

  it('renders a finding without instance, logs or hub answers', () => {
    // Prepare
    const finding: Finding = {
      ...sshBruteForceFinding(),
      resource: { kind: 'S3Bucket', buckets: [{ name: 'payroll' }] },
    };
    const report: InvestigationReport = {
      finding,
      target: { accountId: '123456789012', region: 'us-west-2' },
      generatedAt: NOW,
      subject: {},
      skipped: ['Logs: the finding names no instance, so no log stream to search.'],
      truncated: false,
      counts: { relatedFindings: 0, securityHubFindings: 0, logEvents: 0 },
    };

    // Act
    const { summary, details } = renderInvestigation(report);

    // Assess
    expect(details).toBeUndefined();
    expect(findBlockKitViolations(summary)).toEqual([]);
    expect(blockText(blockById(summary, INVESTIGATION_BLOCK_IDS.meta, 'context'))).toContain(
      'the finding names no instance'
    );
  });
});

describe('Function: renderLogSearch', () => {
  const result = (overrides: Partial<LogSearchResult> = {}): LogSearchResult => {
    const lines = fixtureLines().filter((line) => line.includes('Accepted'));
    return {
      request: {
        kind: 'logs',
        target: { type: 'instance', instanceId: INSTANCE_ID },
        filter: { type: 'preset', preset: 'ssh-accepted' },
        since: { text: '30d', ms: 30 * 86_400_000 },
        share: false,
      },
      target: { accountId: '123456789012', region: 'us-west-2' },
      logGroups: ['/var/log/secure'],
      filterPattern: LOG_PRESETS['ssh-accepted'].pattern,
      outcome: {
        ok: true,
        value: logSummary(lines, { filterPatterns: [LOG_PRESETS['ssh-accepted'].pattern] }),
      },
      count: lines.length,
      ...overrides,
    };
  };

  it('shows the counts, the accepted logins and the latest lines', () => {
    // Act
    const message = renderLogSearch(result());

    // Assess
    const text = everyText(message);
    expect(text).toContain(
      '🔎 *Logs* `i-0a1b2c3d4e5f60718` in `/var/log/secure` · `ssh-accepted` · last 30d'
    );
    expect(text).toContain('2 matching lines');
    expect(text).toContain('*Accepted password for ec2-user from 203.0.113.45*');
    expect(text).toContain('```');
    expect(message.text).toBe('Logs search: 2 matching lines');
    expect(linkUrls(message)[0]).toContain('$2522Accepted$2520password$2522');
    expect(findBlockKitViolations(message)).toEqual([]);
  });

  it('answers a refused log group with the reason and no console link', () => {
    // Act
    const message = renderLogSearch(
      result({
        request: {
          kind: 'logs',
          target: { type: 'logGroup', logGroupName: '/aws/lambda/payroll' },
          filter: { type: 'pattern', pattern: '"password"' },
          since: { text: '24h', ms: 86_400_000 },
          share: true,
        },
        logGroups: ['/aws/lambda/payroll'],
        outcome: {
          ok: false,
          code: 'NOT_ALLOWED',
          message: 'Log group /aws/lambda/payroll is not on the allow-list.',
        },
        count: 0,
      })
    );

    // Assess
    expect(everyText(message)).toContain(
      '❌ Log group /aws/lambda/payroll is not on the allow-list.'
    );
    expect(linkUrls(message)).toEqual([]);
  });

  it('keeps log lines inert, even with backticks and mentions, within the limits', () => {
    // Prepare
    const hostile = [
      `Mar  1 10:00:05 h sshd[2]: Accepted password for ${HOSTILE} from ${ACTOR} port 2 ssh2 \`\`\` <!here>`,
    ];
    const huge = Array.from({ length: 5000 }, () => `${HUGE}\`\`\`<!channel>`);
    const message = renderLogSearch(
      result({
        request: { ...result().request, filter: { type: 'pattern', pattern: `"${HOSTILE}"` } },
        outcome: {
          ok: true,
          value: logSummary([...hostile, ...huge], {
            recent: [...hostile, ...huge]
              .slice(0, 100)
              .map((m) => ({ timestamp: NOW, logGroupName: '/var/log/secure', message: m })),
          }),
        },
      })
    );

    // Assess
    expect(mrkdwnWithoutOwnTokens(message)).not.toMatch(/[<>]/);
    const lines = blockText(blockById(message, 'logs_lines', 'section'));
    expect(lines.match(/```/g)).toHaveLength(2);
    expect(findBlockKitViolations(message)).toEqual([]);
  });
});

describe('Function: renderHubResult', () => {
  const hubResult = (overrides: Partial<HubResult> = {}): HubResult => ({
    request: { kind: 'hub', subject: { type: 'instance', instanceId: INSTANCE_ID } },
    target: { accountId: '123456789012', region: 'us-west-2' },
    outcome: {
      ok: true,
      value: hubSummary([
        hubFinding({
          id: 'cfg-1',
          productName: 'Config',
          title: 'restricted-ssh',
          recordState: 'ARCHIVED',
        }),
        hubFinding({}),
        hubFinding({
          id: 'gd-1',
          productName: 'GuardDuty',
          title: 'SSH brute force',
          severityLabel: 'LOW',
        }),
        hubFinding({
          id: 'gd-2',
          productName: 'GuardDuty',
          title: 'Tor client',
          severityLabel: 'HIGH',
          workflowStatus: 'RESOLVED',
        }),
      ]),
    },
    count: 4,
    ...overrides,
  });

  it('groups findings by product, active products and findings first', () => {
    // Act
    const message = renderHubResult(hubResult());

    // Assess
    const text = everyText(message);
    expect(text).toContain(
      '🔎 *Security Hub* for `i-0a1b2c3d4e5f60718`: 4 findings, 2 active — GuardDuty 1/2, Inspector 1, Config 0/1'
    );
    expect(text.indexOf('*GuardDuty* — 1 active of 2')).toBeLessThan(
      text.indexOf('*Inspector* — 1 active of 1')
    );
    expect(text.indexOf('*Inspector*')).toBeLessThan(text.indexOf('*Config* — 0 active of 1'));
    expect(text.indexOf('SSH brute force')).toBeLessThan(text.indexOf('Tor client'));
    expect(text).toContain('🟠 HIGH Tor client · resolved');
    expect(linkUrls(message)[0]).toContain(
      'securityhub/home?region=us-west-2#/findings?search=ResourceId'
    );
    expect(message.text).toBe('Security Hub: 4 findings, 2 active');
  });

  it('answers an IP without a console link, and a failure as one line', () => {
    // Act
    const ip = renderHubResult(
      hubResult({
        request: { kind: 'hub', subject: { type: 'ip', ip: '2001:db8::1', version: 6 } },
      })
    );
    const failed = renderHubResult(
      hubResult({
        outcome: {
          ok: false,
          code: 'NOT_ENABLED',
          message: 'Security Hub is not enabled in 123456789012/us-west-2.',
        },
        count: 0,
      })
    );

    // Assess
    expect(linkUrls(ip)).toEqual([]);
    expect(everyText(failed)).toContain(
      '❌ Security Hub is not enabled in 123456789012/us-west-2.'
    );
    expect(failed.text).toContain('Security Hub lookup failed');
  });

  it('stays inert and within the limits for hundreds of hostile products', () => {
    // Prepare
    const findings = Array.from({ length: 2000 }, (_, i) =>
      hubFinding({ id: `h${i}`, productName: `${HOSTILE}${i % 300}`, title: `${HOSTILE}${HUGE}` })
    );

    // Act
    const message = renderHubResult(
      hubResult({ outcome: { ok: true, value: hubSummary(findings) }, count: 2000 })
    );

    // Assess
    expect(findBlockKitViolations(message)).toEqual([]);
    expect(mrkdwnWithoutOwnTokens(message)).not.toMatch(/[<>]/);
  });
});

describe('Function: logsConsoleUrl', () => {
  it('encodes the group and the pattern as the CloudWatch console expects', () => {
    // Act
    const url = logsConsoleUrl(
      { region: 'us-west-2' },
      {
        logGroupName: '/var/log/secure',
        filterPattern: '[Mon, day, timestamp, ip, id, msg1= Invalid, msg2 = user, ...]',
        start: 1_740_790_800_000,
        end: new Date(REFERENCE),
      }
    );

    // Assess
    expect(url).toBe(
      'https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#logsV2:log-groups/log-group/$252Fvar$252Flog$252Fsecure/log-events$3FfilterPattern$3D$255BMon$252C$2520day$252C$2520timestamp$252C$2520ip$252C$2520id$252C$2520msg1$253D$2520Invalid$252C$2520msg2$2520$253D$2520user$252C$2520...$255D$26start$3D1740790800000$26end$3D1741701912870'
    );
  });
});
