import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Investigator,
  type InvestigatorOptions,
} from '../../../../src/app/investigation/Investigator';
import type { Finding } from '../../../../src/domain/Finding';
import {
  AccessDeniedError,
  type HubCommand,
  type InstanceContext,
  LOG_PRESETS,
  type LogsCommand,
  NotEnabledError,
  NotFoundError,
  SSH_ACCEPTED_PATTERN,
  SSH_FAILED_PATTERN,
} from '../../../../src/domain/investigation';
import {
  FakeClock,
  FakeInstanceLookup,
  FakeLogSearch,
  FakeRelatedFindings,
  FakeSecurityHub,
  RecordingLogger,
  syslogEvents,
} from '../../../fakes/investigationSources';
import {
  credentialExfiltrationFinding,
  s3Finding,
  sshBruteForceFinding,
} from '../../slack/cards/findings';

const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
const OTHER_INSTANCE = 'i-0ffffffffffffffff';
const ACTOR = '203.0.113.45';
const TARGET = { accountId: '123456789012', region: 'us-west-2', actor: 'U0ALICE' };
const NOW = '2025-03-11T14:05:12.870Z';

const fixtureLines = (): string[] =>
  readFileSync(new URL('../../../fixtures/logs/secure-bruteforce.log', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '');

const webInstance = (): InstanceContext => ({
  instanceId: INSTANCE_ID,
  name: 'web-01',
  state: 'running',
  instanceType: 't3.small',
  vpcId: 'vpc-0abc1234def567890',
  subnetId: 'subnet-0aa11bb22cc33dd44',
  securityGroups: [{ id: 'sg-0123456789abcdef0', name: 'web-tier-sg' }],
  instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/web-tier-profile',
  publicIp: '198.51.100.10',
  tags: [{ key: 'Name', value: 'web-01' }],
  launchTime: '2025-03-02T08:15:27.000Z',
  networkInterfaceCount: 1,
});

/** The brute force finding, first seen when the workshop's hydra started (fixture time). */
const bruteForce = (): Finding => ({
  ...sshBruteForceFinding(),
  firstSeen: '2025-03-01T10:00:00.000Z',
});

const setup = (options: Partial<InvestigatorOptions> = {}) => {
  const clock = new FakeClock(NOW);
  const instances = new FakeInstanceLookup();
  instances.instances.set(INSTANCE_ID, webInstance());
  const relatedFindings = new FakeRelatedFindings();
  const securityHub = new FakeSecurityHub();
  const logs = new FakeLogSearch();
  logs.groups.set('/var/log/secure', [
    ...syslogEvents(fixtureLines(), `${INSTANCE_ID}/ssh`),
    // Another instance's stream, in the same group: never counted for web-01.
    ...syslogEvents(
      [
        'Mar  5 08:00:00 ip-10-0-9-9 sshd[1]: Accepted password for root from 203.0.113.45 port 1 ssh2',
      ],
      `${OTHER_INSTANCE}/ssh`
    ),
  ]);
  const logger = new RecordingLogger();
  const investigator = new Investigator({
    instances,
    relatedFindings,
    securityHub,
    logs,
    clock,
    logger,
    options: { secureLogGroups: ['/var/log/secure'], ...options },
  });
  return { investigator, clock, instances, relatedFindings, securityHub, logs, logger };
};

describe('Class: Investigator', () => {
  describe('Method: investigate', () => {
    it('reports accepted logins from the actor IP', async () => {
      // Prepare
      const { investigator } = setup();

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess
      expect(report.logs?.ok).toBe(true);
      if (!report.logs?.ok) return;
      const { analysis } = report.logs.value;
      expect(analysis.acceptedFromActor).toEqual([
        expect.objectContaining({
          user: 'ec2-user',
          ip: ACTOR,
          method: 'password',
          firstSeen: '2025-03-01T10:14:09.000Z',
          failedBefore: 185,
        }),
      ]);
      expect(report.logs.value.acceptedSearchComplete).toBe(true);
    });

    it('counts only the instance stream, within the window from first sighting minus the margin', async () => {
      // Prepare
      const { investigator, logs } = setup();

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess: Feb 28 (before the window) and the other instance are left out
      if (!report.logs?.ok) throw new Error('logs failed');
      expect(report.logs.value.analysis).toMatchObject({
        invalidUserLines: 51,
        failedPasswordLines: 181,
        failedAttempts: 186,
        acceptedLogins: 1,
        distinctSourceIps: 2,
      });
      expect(report.logs.value.window).toEqual({
        start: '2025-03-01T09:00:00.000Z',
        end: NOW,
      });
      expect(logs.queries.map(({ query }) => query)).toEqual([
        expect.objectContaining({
          logGroupName: '/var/log/secure',
          logStreamNamePrefix: INSTANCE_ID,
          filterPattern: SSH_ACCEPTED_PATTERN,
          start: new Date('2025-03-01T09:00:00.000Z'),
          end: new Date(NOW),
        }),
        expect.objectContaining({ filterPattern: SSH_FAILED_PATTERN }),
      ]);
      expect(report.counts.logEvents).toBe(report.logs.value.matchedEvents);
    });

    it("runs every pivot in the finding's target, keeping who acted", async () => {
      // Prepare
      const { investigator, instances, relatedFindings, securityHub, logs } = setup();

      // Act
      await investigator.investigate(bruteForce(), TARGET);

      // Assess
      expect(instances.calls).toEqual([{ instanceId: INSTANCE_ID, target: TARGET }]);
      expect(relatedFindings.queries[0]?.target).toBe(TARGET);
      expect(securityHub.queries[0]?.target).toBe(TARGET);
      expect(logs.queries.every(({ target }) => target === TARGET)).toBe(true);
    });

    it('groups related findings by type and leaves the finding itself out', async () => {
      // Prepare
      const { investigator, relatedFindings } = setup();
      const finding = bruteForce();
      relatedFindings.stored.push(
        {
          finding: { id: finding.id, type: finding.type, severity: 2, count: 37, archived: false },
          instanceId: INSTANCE_ID,
          remoteIp: ACTOR,
        },
        {
          finding: {
            id: 'r1',
            type: 'Recon:EC2/PortProbeUnprotectedPort',
            severity: 2,
            count: 10,
            archived: false,
            updatedAt: '2025-03-10T00:00:00.000Z',
          },
          instanceId: INSTANCE_ID,
        },
        {
          finding: {
            id: 'r2',
            type: 'Recon:EC2/PortProbeUnprotectedPort',
            severity: 5,
            count: 1,
            archived: true,
            updatedAt: '2025-03-09T00:00:00.000Z',
          },
          instanceId: INSTANCE_ID,
          remoteIp: ACTOR,
        },
        {
          finding: {
            id: 'r3',
            type: 'UnauthorizedAccess:EC2/TorClient',
            severity: 8,
            count: 3,
            archived: false,
          },
          remoteIp: ACTOR,
        },
        {
          finding: {
            id: 'old',
            type: 'Backdoor:EC2/C&CActivity.B',
            severity: 8,
            count: 1,
            archived: false,
            updatedAt: '2025-02-01T00:00:00.000Z',
          },
          instanceId: INSTANCE_ID,
        }
      );

      // Act
      const report = await investigator.investigate(finding, TARGET);

      // Assess
      expect(relatedFindings.queries[0]?.query).toMatchObject({
        criteria: [
          { match: 'instance', value: INSTANCE_ID },
          { match: 'remoteIp', value: ACTOR },
        ],
        updatedSince: new Date('2025-03-04T14:05:12.870Z'),
        excludeFindingIds: [finding.id],
      });
      expect(report.relatedFindings).toEqual({
        ok: true,
        value: expect.objectContaining({
          total: 3,
          truncated: false,
          groups: [
            {
              type: 'UnauthorizedAccess:EC2/TorClient',
              findings: 1,
              occurrences: 3,
              maxSeverity: 8,
              archived: 0,
              matchedBy: ['remoteIp'],
            },
            {
              type: 'Recon:EC2/PortProbeUnprotectedPort',
              findings: 2,
              occurrences: 11,
              maxSeverity: 5,
              archived: 1,
              lastUpdated: '2025-03-10T00:00:00.000Z',
              matchedBy: ['instance', 'remoteIp'],
            },
          ],
        }),
      });
      expect(report.counts.relatedFindings).toBe(3);
    });

    it('asks Security Hub for the instance ARN and the actor IP, by product, active first', async () => {
      // Prepare
      const { investigator, securityHub } = setup();
      const arn = `arn:aws:ec2:us-west-2:123456789012:instance/${INSTANCE_ID}`;
      const finding = bruteForce();
      securityHub.stored.push(
        {
          finding: {
            id: finding.arn ?? '',
            productName: 'GuardDuty',
            title: 'the finding itself, through Security Hub',
            severityLabel: 'LOW',
            recordState: 'ACTIVE',
            types: [],
          },
          resourceIds: [arn],
        },
        {
          finding: {
            id: 'insp-1',
            productName: 'Inspector',
            title: 'Password authentication over SSH',
            severityLabel: 'MEDIUM',
            recordState: 'ACTIVE',
            workflowStatus: 'NEW',
            types: [],
          },
          resourceIds: [arn],
        },
        {
          finding: {
            id: 'cfg-1',
            productName: 'Config',
            title: 'restricted-ssh',
            severityLabel: 'HIGH',
            recordState: 'ARCHIVED',
            types: [],
          },
          resourceIds: [arn],
        },
        {
          finding: {
            id: 'gd-ip',
            productName: 'GuardDuty',
            title: 'Tor client',
            severityLabel: 'HIGH',
            recordState: 'ACTIVE',
            workflowStatus: 'NEW',
            types: [],
          },
          resourceIds: ['arn:aws:ec2:us-west-2:123456789012:instance/i-other'],
          sourceIp: ACTOR,
        }
      );

      // Act
      const report = await investigator.investigate(finding, TARGET);

      // Assess
      expect(securityHub.queries[0]?.query).toMatchObject({
        resourceIds: [{ value: arn, comparison: 'EQUALS' }],
        ip: ACTOR,
      });
      if (!report.securityHub?.ok) throw new Error('hub failed');
      expect(report.securityHub.value).toMatchObject({ total: 3, active: 2 });
      expect(
        report.securityHub.value.groups.map((g) => [g.productName, g.active, g.total])
      ).toEqual([
        ['GuardDuty', 1, 1],
        ['Inspector', 1, 1],
        ['Config', 0, 1],
      ]);
    });

    it('follows a credential finding back to its instance through the principal id', async () => {
      // Prepare
      const { investigator, instances, relatedFindings, securityHub, logs } = setup();
      const finding = credentialExfiltrationFinding();
      instances.instances.set('i-0c3d4e5f607182930', {
        ...webInstance(),
        instanceId: 'i-0c3d4e5f607182930',
      });

      // Act
      const report = await investigator.investigate(finding, TARGET);

      // Assess
      expect(report.subject).toEqual({
        instanceId: 'i-0c3d4e5f607182930',
        instanceIdFrom: 'principal',
        accessKeyId: 'ASIAEXAMPLE7QZ4XK2NB',
        principalId: 'AROAEXAMPLEBATCHROLE1:i-0c3d4e5f607182930',
        userName: 'batch-ec2-role',
        actorIp: '198.51.100.23',
      });
      expect(instances.calls[0]?.instanceId).toBe('i-0c3d4e5f607182930');
      expect(relatedFindings.queries[0]?.query.criteria.map((c) => c.match)).toEqual([
        'instance',
        'accessKey',
        'principal',
        'user',
        'remoteIp',
      ]);
      expect(securityHub.queries[0]?.query.resourceIds).toEqual([
        {
          value: 'arn:aws:ec2:us-west-2:123456789012:instance/i-0c3d4e5f607182930',
          comparison: 'EQUALS',
        },
        { value: 'AWS::IAM::AccessKey:ASIAEXAMPLE7QZ4XK2NB', comparison: 'EQUALS' },
      ]);
      expect(logs.queries[0]?.query.logStreamNamePrefix).toBe('i-0c3d4e5f607182930');
    });

    it('reports each failing pivot on its own line while the others still answer', async () => {
      // Prepare
      const { investigator, instances, securityHub, logs, relatedFindings } = setup();
      instances.failure = new AccessDeniedError(
        'ec2',
        'No permission for ec2:DescribeInstances on instance i-0a1b2c3d4e5f60718 in 123456789012/us-west-2.'
      );
      securityHub.failure = new NotEnabledError('securityhub', 'Security Hub is not enabled.');
      logs.failures.set(
        '/var/log/secure',
        new NotFoundError(
          'logs',
          'Log group /var/log/secure does not exist in 123456789012/us-west-2.'
        )
      );
      relatedFindings.stored.push({
        finding: { id: 'r1', type: 'Recon:EC2/Portscan', severity: 2, count: 1, archived: false },
        instanceId: INSTANCE_ID,
      });

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess
      expect(report.instance).toEqual({
        ok: false,
        code: 'ACCESS_DENIED',
        message: expect.stringContaining('ec2:DescribeInstances'),
      });
      expect(report.securityHub).toMatchObject({ ok: false, code: 'NOT_ENABLED' });
      expect(report.logs).toEqual({
        ok: false,
        code: 'NOT_FOUND',
        message: 'Log group /var/log/secure does not exist in 123456789012/us-west-2.',
      });
      expect(report.relatedFindings).toMatchObject({ ok: true, value: { total: 1 } });
      expect(report.logSearch?.logGroups).toEqual(['/var/log/secure']);
    });

    it('keeps the answer of one log group when another fails', async () => {
      // Prepare
      const { investigator, logs } = setup({ secureLogGroups: ['/var/log/secure', '/ec2/secure'] });
      logs.failures.set(
        '/ec2/secure',
        new AccessDeniedError('logs', 'No permission for logs:FilterLogEvents.')
      );

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess
      if (!report.logs?.ok) throw new Error('logs failed');
      expect(report.logs.value.groups).toEqual([
        { ok: true, logGroupName: '/var/log/secure', events: 233, pages: 2 },
        {
          ok: false,
          logGroupName: '/ec2/secure',
          code: 'ACCESS_DENIED',
          message: 'No permission for logs:FilterLogEvents.',
        },
      ]);
      expect(report.logs.value.acceptedSearchComplete).toBe(false);
      expect(report.logs.value.truncated).toBe(true);
      expect(report.truncated).toBe(true);
    });

    it('never claims "no successful login" when the accepted-login search stopped early', async () => {
      // Prepare
      const { investigator, logs } = setup();
      logs.truncations.set(SSH_ACCEPTED_PATTERN, 'throttled');

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess
      if (!report.logs?.ok) throw new Error('logs failed');
      expect(report.logs.value.acceptedSearchComplete).toBe(false);
      expect(report.logs.value.groups[0]).toMatchObject({ truncated: 'throttled' });
      expect(report.truncated).toBe(true);
    });

    it('answers an unexpected error with a generic line and logs the detail', async () => {
      // Prepare
      const { investigator, instances, logger } = setup();
      instances.failure = new TypeError('secret internals at 0xdeadbeef');

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess
      expect(report.instance).toEqual({
        ok: false,
        code: 'UNAVAILABLE',
        message: 'The instance details could not be read.',
      });
      expect(logger.calls).toContainEqual({
        level: 'error',
        message: 'investigation pivot failed unexpectedly',
        extra: expect.objectContaining({ pivot: 'instance' }),
      });
    });

    it('skips the instance and logs for a finding without an instance', async () => {
      // Prepare
      const { investigator, instances, logs, securityHub } = setup();

      // Act
      const report = await investigator.investigate(s3Finding(), TARGET);

      // Assess
      expect(report.instance).toBeUndefined();
      expect(report.logs).toBeUndefined();
      expect(report.logSearch).toBeUndefined();
      expect(instances.calls).toEqual([]);
      expect(logs.queries).toEqual([]);
      expect(securityHub.queries[0]?.query).toMatchObject({ resourceIds: [], ip: '198.51.100.99' });
      expect(report.skipped).toEqual([
        'Logs: the finding names no instance, so no log stream to search.',
      ]);
    });

    it('says the secure-log groups are not configured rather than searching nothing', async () => {
      // Prepare
      const { investigator, logs } = setup({ secureLogGroups: [] });

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess
      expect(report.logs).toMatchObject({ ok: false, code: 'NOT_CONFIGURED' });
      expect(logs.queries).toEqual([]);
    });

    it('logs the counts for the audit, and no log line content', async () => {
      // Prepare
      const { investigator, logger } = setup();

      // Act
      const report = await investigator.investigate(bruteForce(), TARGET);

      // Assess
      expect(logger.calls).toContainEqual({
        level: 'info',
        message: 'investigation finished',
        extra: expect.objectContaining({ counts: report.counts, failed: [] }),
      });
      expect(logger.everything()).not.toContain('Accepted password');
    });
  });

  describe('Method: searchLogs', () => {
    const logsCommand = (overrides: Partial<LogsCommand> = {}): LogsCommand => ({
      kind: 'logs',
      target: { type: 'instance', instanceId: INSTANCE_ID },
      filter: { type: 'preset', preset: 'ssh-accepted' },
      since: { text: '30d', ms: 30 * 86_400_000 },
      share: false,
      ...overrides,
    });

    it('searches the secure-log groups by the instance stream prefix with the preset pattern', async () => {
      // Prepare
      const { investigator, logs } = setup();

      // Act
      const result = await investigator.searchLogs(logsCommand(), TARGET);

      // Assess
      expect(logs.queries.map(({ query }) => query)).toEqual([
        expect.objectContaining({
          logGroupName: '/var/log/secure',
          logStreamNamePrefix: INSTANCE_ID,
          filterPattern: LOG_PRESETS['ssh-accepted'].pattern,
          start: new Date('2025-02-09T14:05:12.870Z'),
          end: new Date(NOW),
        }),
      ]);
      expect(result.count).toBe(2);
      expect(result.filterPattern).toBe(LOG_PRESETS['ssh-accepted'].pattern);
      if (!result.outcome.ok) throw new Error('search failed');
      expect(result.outcome.value.analysis.acceptedLogins).toBe(2);
      expect(result.outcome.value.acceptedSearchComplete).toBe(true);
      expect(result.outcome.value.recent[0]).toMatchObject({
        logGroupName: '/var/log/secure',
        logStreamName: `${INSTANCE_ID}/ssh`,
        timestamp: '2025-03-01T10:14:09.000Z',
      });
    });

    it('refuses a log group that is not on the allow-list, without asking AWS', async () => {
      // Prepare
      const { investigator, logs } = setup({ logGroupAllowList: ['/var/log/secure'] });

      // Act
      const result = await investigator.searchLogs(
        logsCommand({ target: { type: 'logGroup', logGroupName: '/aws/lambda/payroll' } }),
        TARGET
      );

      // Assess
      expect(result.outcome).toEqual({
        ok: false,
        code: 'NOT_ALLOWED',
        message:
          'Log group /aws/lambda/payroll is not on the allow-list. Allowed: /var/log/secure.',
      });
      expect(result.count).toBe(0);
      expect(logs.queries).toEqual([]);
    });

    it('searches an allow-listed group with a custom pattern over every stream', async () => {
      // Prepare
      const { investigator, logs } = setup();

      // Act
      const result = await investigator.searchLogs(
        logsCommand({
          target: { type: 'logGroup', logGroupName: '/var/log/secure' },
          filter: { type: 'pattern', pattern: '"Accepted password"' },
          since: { text: '24h', ms: 86_400_000 },
        }),
        TARGET
      );

      // Assess
      expect(logs.queries[0]?.query).toMatchObject({
        filterPattern: '"Accepted password"',
        start: new Date('2025-03-10T14:05:12.870Z'),
      });
      expect(logs.queries[0]?.query.logStreamNamePrefix).toBeUndefined();
      expect(result.count).toBe(0);
      expect(result.outcome).toMatchObject({ ok: true, value: { acceptedSearchComplete: false } });
    });

    it('defaults the allow-list to the secure-log groups', async () => {
      // Prepare
      const { investigator } = setup({ secureLogGroups: ['/var/log/secure'] });

      // Act
      const result = await investigator.searchLogs(
        logsCommand({ target: { type: 'logGroup', logGroupName: '/var/log/messages' } }),
        TARGET
      );

      // Assess
      expect(result.outcome).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    });

    it('reports a missing log group as its own error', async () => {
      // Prepare
      const { investigator, logs } = setup();
      logs.failures.set(
        '/var/log/secure',
        new NotFoundError('logs', 'Log group /var/log/secure does not exist.')
      );

      // Act
      const result = await investigator.searchLogs(logsCommand(), TARGET);

      // Assess
      expect(result.outcome).toEqual({
        ok: false,
        code: 'NOT_FOUND',
        message: 'Log group /var/log/secure does not exist.',
      });
      expect(result.count).toBe(0);
    });
  });

  describe('Method: securityHub', () => {
    const hub = (subject: HubCommand['subject']): HubCommand => ({ kind: 'hub', subject });

    it.each([
      [
        hub({ type: 'instance', instanceId: INSTANCE_ID }),
        { resourceIds: [{ value: `:instance/${INSTANCE_ID}`, comparison: 'CONTAINS' }] },
      ],
      [
        hub({ type: 'arn', arn: 'arn:aws:s3:::example-bucket' }),
        { resourceIds: [{ value: 'arn:aws:s3:::example-bucket', comparison: 'EQUALS' }] },
      ],
      [
        hub({ type: 'accessKey', accessKeyId: 'AKIAEXAMPLE000000000' }),
        {
          resourceIds: [
            { value: 'AWS::IAM::AccessKey:AKIAEXAMPLE000000000', comparison: 'EQUALS' },
          ],
        },
      ],
      [hub({ type: 'ip', ip: '2001:db8::1', version: 6 }), { resourceIds: [], ip: '2001:db8::1' }],
    ])('asks Security Hub about %o', async (command, expected) => {
      // Prepare
      const { investigator, securityHub } = setup();

      // Act
      await investigator.securityHub(command, TARGET);

      // Assess
      expect(securityHub.queries[0]?.query).toEqual({ ...expected, maxFindings: 100 });
    });

    it('counts the findings for the audit', async () => {
      // Prepare
      const { investigator, securityHub } = setup();
      securityHub.stored.push({
        finding: {
          id: 'insp-1',
          productName: 'Inspector',
          title: 'Password authentication over SSH',
          severityLabel: 'MEDIUM',
          recordState: 'ACTIVE',
          types: [],
        },
        resourceIds: [`arn:aws:ec2:us-west-2:210987654321:instance/${INSTANCE_ID}`],
      });

      // Act
      const result = await investigator.securityHub(
        hub({ type: 'instance', instanceId: INSTANCE_ID }),
        TARGET
      );

      // Assess
      expect(result.count).toBe(1);
      expect(result.outcome).toMatchObject({ ok: true, value: { total: 1, active: 1 } });
    });

    it('answers a failure as a line, not an exception', async () => {
      // Prepare
      const { investigator, securityHub } = setup();
      securityHub.failure = new AccessDeniedError(
        'securityhub',
        'No permission for securityhub:GetFindings.'
      );

      // Act
      const result = await investigator.securityHub(
        hub({ type: 'ip', ip: ACTOR, version: 4 }),
        TARGET
      );

      // Assess
      expect(result).toMatchObject({
        count: 0,
        outcome: { ok: false, code: 'ACCESS_DENIED' },
      });
    });
  });
});
