import { describe, expect, it } from 'vitest';
import type {
  IsolationOutcome,
  IsolationPlan,
  IsolationReport,
  ReleaseOutcome,
  ReleaseReport,
} from '../../../../src/domain/isolation';
import type { SlackMessage } from '../../../../src/ports/SlackGateway';
import {
  isolationStatusLine,
  releaseStatusLine,
  renderIsolationPlan,
  renderIsolationReport,
  renderReleaseReport,
} from '../../../../src/slack/cards/isolationReport';
import { findBlockKitViolations } from '../../../support/blockKitLimits';
import { mrkdwnTexts } from './blockKit';
import { HOSTILE, HUGE } from './findings';

const report = (overrides: Partial<IsolationReport> = {}): IsolationReport => ({
  findingId: '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
  instanceId: 'i-0web',
  accountId: '123456789012',
  region: 'us-west-2',
  generation: 1,
  status: 'isolated',
  requestedBy: { userId: 'U0ALICE', userName: 'alice' },
  enis: [
    {
      id: 'eni-0primary',
      vpcId: 'vpc-a',
      subnetId: 'subnet-a1',
      before: ['sg-web', 'sg-ssh'],
      after: ['sg-iso'],
      phase: 'isolated',
      cut: 'untrack-then-isolate',
    },
    {
      id: 'eni-0second',
      vpcId: 'vpc-a',
      subnetId: 'subnet-a2',
      before: ['sg-db'],
      after: ['sg-iso'],
      phase: 'isolated',
      cut: 'untrack-then-isolate',
    },
  ],
  evidenceSnapshots: true,
  snapshots: [
    { volumeId: 'vol-root', snapshotId: 'snap-1', device: '/dev/xvda' },
    { volumeId: 'vol-data', snapshotId: 'snap-2', device: '/dev/xvdf' },
  ],
  protections: { before: { disableApiTermination: false, disableApiStop: false }, applied: true },
  quarantineTagged: true,
  isolationGroups: [{ vpcId: 'vpc-a', groupId: 'sg-iso' }],
  autoScaling: {
    groupName: 'web-asg',
    action: 'standby',
    lifecycleStateBefore: 'InService',
    done: true,
  },
  loadBalancers: [
    {
      kind: 'target-group',
      id: 'arn:tg/web',
      name: 'web-tg',
      targetId: 'i-0web',
      port: 80,
      done: true,
    },
    { kind: 'classic', id: 'legacy-elb', name: 'legacy-elb', targetId: 'i-0web', done: true },
  ],
  connectionCut: 'untrack-then-isolate',
  naclSubnets: ['subnet-a1', 'subnet-a2'],
  failures: [],
  warnings: [],
  elapsedMs: 7240,
  ...overrides,
});

const releaseReport = (overrides: Partial<ReleaseReport> = {}): ReleaseReport => ({
  findingId: '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
  instanceId: 'i-0web',
  accountId: '123456789012',
  region: 'us-west-2',
  generation: 1,
  requestedBy: { userId: 'U0BOB', userName: 'bob' },
  forced: false,
  drift: [],
  enis: [{ id: 'eni-0primary', before: ['sg-iso'], after: ['sg-web', 'sg-ssh'], restored: true }],
  autoScaling: { groupName: 'web-asg', action: 'exit-standby', done: true },
  loadBalancers: [{ kind: 'target-group', id: 'arn:tg/web', name: 'web-tg', done: true }],
  quarantineTagsRemoved: true,
  protectionsRestored: true,
  snapshotsKept: ['snap-1'],
  failures: [],
  elapsedMs: 2100,
  ...overrides,
});

const allText = (message: SlackMessage): string => mrkdwnTexts(message).join('\n');

/** Our own mentions are the only `<…>` tokens allowed; whatever else is left must not contain `<` or `>`. */
const injectionFree = (message: SlackMessage): boolean =>
  !/[<>]/.test(allText(message).replace(/<@U0(ALICE|BOB)>/g, ''));

const expectWithinLimits = (message: SlackMessage) => {
  expect(findBlockKitViolations(message)).toEqual([]);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
};

describe('Function: renderIsolationReport', () => {
  it('shows each interface with its groups before → after', () => {
    // Act
    const message = renderIsolationReport({ kind: 'isolated', report: report() });

    // Assess
    const text = allText(message);
    expect(text).toContain('`eni-0primary` sg-web, sg-ssh → sg-iso');
    expect(text).toContain('`eni-0second` sg-db → sg-iso');
    expect(message.text).toBe('Instance isolated: i-0web (2/2 interfaces isolated)');
    expectWithinLimits(message);
  });

  it('lists the snapshots, Auto Scaling and load-balancer actions and the elapsed time', () => {
    // Act
    const text = allText(renderIsolationReport({ kind: 'isolated', report: report() }));

    // Assess
    expect(text).toContain('`snap-1` of `vol-root` (/dev/xvda)');
    expect(text).toContain('`web-asg`: put in Standby');
    expect(text).toContain('target group `web-tg`');
    expect(text).toContain('classic `legacy-elb`');
    expect(text).toContain('7.2 s');
  });

  it('says how live connections were cut and offers the subnet NACL for flows that stay tracked', () => {
    // Act
    const untracked = allText(renderIsolationReport({ kind: 'isolated', report: report() }));
    const direct = allText(
      renderIsolationReport({
        kind: 'isolated',
        report: report({ connectionCut: 'isolate-only' }),
      })
    );

    // Assess
    expect(untracked).toContain('temporary allow-all group');
    expect(untracked).toContain('NAT gateways, load balancers');
    expect(untracked).toContain('network ACL deny on `subnet-a1`, `subnet-a2`');
    expect(direct).toContain('connections that were already open may continue');
  });

  it('reports a partial isolation as such, listing what failed', () => {
    // Prepare
    const partial = report({
      status: 'partial',
      enis: [
        { ...(report().enis[0] as IsolationReport['enis'][number]) },
        {
          id: 'eni-0second',
          vpcId: 'vpc-a',
          before: ['sg-db'],
          after: ['sg-db'],
          phase: 'original',
        },
      ],
      failures: [
        {
          step: 'isolate-enis',
          resource: 'eni-0second',
          code: 'ACCESS_DENIED',
          message: 'ec2:ModifyNetworkInterfaceAttribute failed: UnauthorizedOperation',
          requestId: 'req-9',
        },
      ],
    });

    // Act
    const message = renderIsolationReport({ kind: 'partial', report: partial });

    // Assess
    expect(message.text).toBe('Isolation incomplete: i-0web (1/2 interfaces isolated)');
    const text = allText(message);
    expect(text).toContain('❌ `eni-0second` sg-db → sg-db _(not isolated)_');
    expect(text).toContain('*What failed (1)*');
    expect(text).toContain('isolate-enis `eni-0second`: *ACCESS_DENIED*');
    expect(text).toContain('request req-9');
    expectWithinLimits(message);
  });

  it('explains a stale request without claiming any change', () => {
    // Act
    const message = renderIsolationReport({
      kind: 'stale',
      findingId: 'f',
      instanceId: 'i-0web',
      reasons: [
        { kind: 'finding-archived' },
        { kind: 'groups-changed', eniId: 'eni-0primary', expected: ['sg-web'], actual: ['sg-x'] },
      ],
      elapsedMs: 300,
    });

    // Assess
    const text = allText(message);
    expect(text).toContain('Nothing was changed');
    expect(text).toContain('archived in GuardDuty');
    expect(text).toContain('`eni-0primary` has sg-x now, the card showed sg-web');
    expectWithinLimits(message);
  });

  it('renders a failure, an in-progress answer and an already-isolated answer', () => {
    // Act
    const outcomes: IsolationOutcome[] = [
      {
        kind: 'failed',
        findingId: 'f',
        instanceId: 'i-0web',
        code: 'CROSS_ACCOUNT',
        message: 'could not assume the role',
        retryable: false,
        elapsedMs: 10,
      },
      { kind: 'in-progress', findingId: 'f', instanceId: 'i-0web' },
      { kind: 'already-isolated', report: report() },
    ];

    // Assess
    for (const outcome of outcomes) expectWithinLimits(renderIsolationReport(outcome));
    expect(allText(renderIsolationReport(outcomes[0] as IsolationOutcome))).toContain(
      'Nothing was isolated. *CROSS_ACCOUNT*'
    );
  });

  it('summarises an instance with many interfaces and failures within Block Kit limits', () => {
    // Prepare
    const many = report({
      status: 'partial',
      enis: Array.from({ length: 120 }, (_, index) => ({
        id: `eni-${index}-${HUGE.slice(0, 200)}`,
        vpcId: 'vpc-a',
        before: Array.from({ length: 5 }, (__, g) => `sg-${g}-${'x'.repeat(60)}`),
        after: ['sg-iso'],
        phase: 'isolated' as const,
        cut: 'untrack-then-isolate' as const,
      })),
      snapshots: Array.from({ length: 60 }, (_, index) => ({
        volumeId: `vol-${index}`,
        snapshotId: `snap-${index}`,
      })),
      failures: Array.from({ length: 80 }, (_, index) => ({
        step: 'snapshots' as const,
        resource: `vol-${index}`,
        code: 'THROTTLED',
        message: HUGE,
      })),
      warnings: Array.from({ length: 30 }, () => HUGE),
      naclSubnets: Array.from({ length: 120 }, (_, index) => `subnet-${index}`),
    });

    // Act
    const message = renderIsolationReport({ kind: 'partial', report: many });

    // Assess
    expectWithinLimits(message);
    const text = allText(message);
    const shownEnis = text.split('\n').filter((line) => line.startsWith('✅ `eni-')).length;
    expect(shownEnis).toBeGreaterThan(0);
    expect(text).toContain(`…and ${120 - shownEnis} more interfaces`);
    const shownFailures = text.split('\n').filter((line) => line.startsWith('• snapshots')).length;
    expect(text).toContain(`…and ${80 - shownFailures} more failures`);
  });

  it('keeps AWS-sourced and user-sourced text inert', () => {
    // Prepare
    const hostile = report({
      instanceId: HOSTILE,
      region: HOSTILE,
      roleArn: HOSTILE,
      requestedBy: { userId: 'not-a-slack-id', userName: HOSTILE },
      enis: [
        {
          id: HOSTILE,
          vpcId: HOSTILE,
          before: [HOSTILE],
          after: [HOSTILE],
          phase: 'isolated',
          cut: 'isolate-only',
        },
      ],
      snapshots: [{ volumeId: HOSTILE, snapshotId: HOSTILE, device: HOSTILE }],
      autoScaling: {
        groupName: HOSTILE,
        action: 'none',
        lifecycleStateBefore: HOSTILE,
        done: true,
      },
      loadBalancers: [
        { kind: 'classic', id: HOSTILE, name: HOSTILE, targetId: HOSTILE, done: false },
      ],
      naclSubnets: [HOSTILE],
      failures: [
        {
          step: 'snapshots',
          resource: HOSTILE,
          code: HOSTILE,
          message: HOSTILE,
          requestId: HOSTILE,
        },
      ],
      warnings: [HOSTILE],
    });

    // Act
    const messages = [
      renderIsolationReport({ kind: 'partial', report: hostile }),
      renderIsolationReport({
        kind: 'stale',
        findingId: HOSTILE,
        instanceId: HOSTILE,
        reasons: [
          { kind: 'instance-not-running', state: HOSTILE },
          { kind: 'quarantined-for-other-finding', findingId: HOSTILE },
          { kind: 'groups-changed', eniId: HOSTILE, expected: [HOSTILE], actual: [HOSTILE] },
        ],
        elapsedMs: 1,
      }),
      renderIsolationReport({
        kind: 'failed',
        findingId: HOSTILE,
        instanceId: HOSTILE,
        code: HOSTILE,
        message: HOSTILE,
        retryable: true,
        elapsedMs: 1,
      }),
    ];

    // Assess
    for (const message of messages) {
      expect(injectionFree(message)).toBe(true);
      expect(allText(message)).not.toContain('<!channel>');
      expectWithinLimits(message);
    }
  });
});

describe('Function: renderIsolationPlan', () => {
  const plan = (overrides: Partial<IsolationPlan> = {}): IsolationPlan => ({
    findingId: 'f',
    instanceId: 'i-0web',
    accountId: '123456789012',
    region: 'us-west-2',
    steps: [
      {
        step: 'snapshots',
        call: 'ec2:CreateSnapshot',
        resource: 'vol-root',
        summary: 'snapshot vol-root (/dev/xvda), tagged with the finding id',
        permission: 'permitted',
        requestId: 'req-1',
      },
      {
        step: 'isolate-enis',
        call: 'ec2:ModifyNetworkInterfaceAttribute',
        resource: 'eni-0primary',
        summary: 'groups sg-web, sg-ssh → sg-iso',
        permission: 'denied',
      },
      {
        step: 'auto-scaling',
        call: 'autoscaling:EnterStandby',
        resource: 'web-asg',
        summary: 'EnterStandby i-0web, ShouldDecrementDesiredCapacity = true',
        uncheckedBecause: 'Auto Scaling has no DryRun',
        permission: 'not-checked',
      },
    ],
    staleReasons: [],
    connectionCut: 'untrack-then-isolate',
    naclSubnets: ['subnet-a1'],
    warnings: [],
    elapsedMs: 900,
    ...overrides,
  });

  it('lists every call with its permission check and says nothing changed', () => {
    // Act
    const message = renderIsolationPlan(plan());

    // Assess
    const text = allText(message);
    expect(message.text).toBe('Dry run for i-0web: 3 calls, 1 not permitted');
    expect(text).toContain('Nothing was changed.');
    expect(text).toContain('✅ `ec2:CreateSnapshot` `vol-root`');
    expect(text).toContain(
      '⛔ `ec2:ModifyNetworkInterfaceAttribute` `eni-0primary` groups sg-web, sg-ssh → sg-iso *not permitted*'
    );
    expect(text).toContain('➖ `autoscaling:EnterStandby` `web-asg`');
    expect(text).toContain('not checked: Auto Scaling has no DryRun');
    expectWithinLimits(message);
  });

  it('says why a real run would stop', () => {
    // Act
    const text = allText(
      renderIsolationPlan(plan({ staleReasons: [{ kind: 'instance-missing' }] }))
    );

    // Assess
    expect(text).toContain('A real run would stop before any change');
    expect(text).toContain('The instance no longer exists');
  });

  it('stays within limits and inert for a huge, hostile plan', () => {
    // Prepare
    const huge = plan({
      instanceId: HOSTILE,
      steps: Array.from({ length: 300 }, (_, index) => ({
        step: 'isolate-enis' as const,
        call: HOSTILE,
        resource: `${HOSTILE}-${index}`,
        summary: HUGE,
        permission: 'error' as const,
        note: HOSTILE,
      })),
      warnings: [HOSTILE],
    });

    // Act
    const message = renderIsolationPlan(huge);

    // Assess
    expectWithinLimits(message);
    expect(injectionFree(message)).toBe(true);
    const shown = allText(message)
      .split('\n')
      .filter((line) => line.startsWith('⚠️ `')).length;
    expect(allText(message)).toContain(`…and ${300 - shown} more calls`);
  });
});

describe('Function: renderReleaseReport', () => {
  it('shows the groups given back per interface and what else was restored', () => {
    // Act
    const message = renderReleaseReport({ kind: 'released', report: releaseReport() });

    // Assess
    const text = allText(message);
    expect(message.text).toBe('Instance released: i-0web');
    expect(text).toContain('✅ `eni-0primary` sg-iso → sg-web, sg-ssh');
    expect(text).toContain('`web-asg`: back from Standby');
    expect(text).toContain('target group `web-tg`');
    expect(text).toContain('Quarantine tags removed');
    expect(text).toContain('Evidence snapshots kept: `snap-1`');
    expect(text).toContain('released by <@U0BOB>');
    expectWithinLimits(message);
  });

  it('explains drift and points to the force release', () => {
    // Act
    const message = renderReleaseReport({
      kind: 'drift',
      findingId: 'f',
      instanceId: 'i-0web',
      drift: [
        { kind: 'groups-changed', eniId: 'eni-0primary', expected: ['sg-iso'], actual: ['sg-x'] },
        { kind: 'eni-added', eniId: 'eni-0new', groups: ['sg-new'] },
      ],
      elapsedMs: 400,
    });

    // Assess
    const text = allText(message);
    expect(text).toContain('Nothing was changed');
    expect(text).toContain('`eni-0primary` has sg-x; isolation left sg-iso');
    expect(text).toContain('`eni-0new` was attached since isolation (sg-new)');
    expect(text).toContain('*Force release*');
    expectWithinLimits(message);
  });

  it('lists the drift a forced release went past', () => {
    // Act
    const text = allText(
      renderReleaseReport({
        kind: 'released',
        report: releaseReport({
          forced: true,
          drift: [{ kind: 'eni-missing', eniId: 'eni-0gone' }],
        }),
      })
    );

    // Assess
    expect(text).toContain('Forced despite these changes since isolation');
    expect(text).toContain('`eni-0gone` is no longer attached');
  });

  it('renders every other outcome within limits and inert', () => {
    // Prepare
    const outcomes: ReleaseOutcome[] = [
      {
        kind: 'partial',
        report: releaseReport({
          failures: [
            { step: 'auto-scaling', resource: HOSTILE, code: 'THROTTLED', message: HOSTILE },
          ],
          autoScaling: { groupName: HOSTILE, action: 'attach', done: false },
        }),
      },
      {
        kind: 'failed',
        findingId: HOSTILE,
        instanceId: HOSTILE,
        code: HOSTILE,
        message: HUGE,
        retryable: false,
        elapsedMs: 1,
      },
      { kind: 'already-released', findingId: 'f', instanceId: HOSTILE },
      { kind: 'not-isolated', findingId: HOSTILE, status: 'recording' },
      { kind: 'in-progress', findingId: 'f' },
    ];

    // Act
    const messages = outcomes.map(renderReleaseReport);

    // Assess
    for (const message of messages) {
      expectWithinLimits(message);
      expect(injectionFree(message)).toBe(true);
    }
  });
});

describe('Functions: isolationStatusLine, releaseStatusLine', () => {
  it('sums up an outcome in one line for the card', () => {
    // Act
    const isolated = isolationStatusLine({ kind: 'isolated', report: report() });
    const partial = isolationStatusLine({
      kind: 'partial',
      report: report({ failures: [{ step: 'snapshots', code: 'THROTTLED', message: 'x' }] }),
    });
    const released = releaseStatusLine({ kind: 'released', report: releaseReport() });

    // Assess
    expect(isolated).toBe('🔒 Isolated by <@U0ALICE> · 2/2 interfaces');
    expect(partial).toBe('⚠️ Partly isolated by <@U0ALICE> · 2/2 interfaces · 1 failure');
    expect(released).toBe('🔓 Released by <@U0BOB>');
  });
});
