import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/domain/Finding';
import {
  buildIsolationPlan,
  type ContainmentError,
  cardEnisOf,
  connectionCutOf,
  detectDrift,
  emptyProgress,
  findStaleReasons,
  guardDutyRefOf,
  hasMutated,
  type InstanceView,
  type IsolationRecord,
  isolationGroupName,
  isolationReportOf,
  isRetryableCode,
  type PlanInput,
  sameGroups,
  settledIsolationStatus,
  untrackGroupName,
} from '../../../src/domain/isolation';
import { containmentError } from '../../fakes/FakeEc2Containment';
import { credentialExfiltrationFinding, sshBruteForceFinding } from '../slack/cards/findings';

const instance = (overrides: Partial<InstanceView> = {}): InstanceView => ({
  instanceId: 'i-0web',
  state: 'running',
  enis: [
    {
      id: 'eni-1',
      vpcId: 'vpc-a',
      subnetId: 'subnet-1',
      groups: ['sg-web', 'sg-ssh'],
      deviceIndex: 0,
      privateIps: ['10.0.1.15'],
    },
    {
      id: 'eni-2',
      vpcId: 'vpc-b',
      subnetId: 'subnet-2',
      groups: ['sg-db'],
      deviceIndex: 1,
      privateIps: ['10.1.0.7'],
    },
  ],
  volumes: [{ volumeId: 'vol-1', device: '/dev/xvda' }],
  tags: { Name: 'web-01' },
  ...overrides,
});

const cardEnis = [
  { id: 'eni-1', groups: ['sg-ssh', 'sg-web'] },
  { id: 'eni-2', groups: ['sg-db'] },
];

const record = (overrides: Partial<IsolationRecord> = {}): IsolationRecord => {
  const enis = instance().enis.map((eni) => ({ ...eni }));
  const progress = emptyProgress(enis);
  progress.enis['eni-1'] = {
    phase: 'isolated',
    applied: ['sg-iso-a'],
    cut: 'untrack-then-isolate',
  };
  progress.enis['eni-2'] = {
    phase: 'isolated',
    applied: ['sg-iso-b'],
    cut: 'untrack-then-isolate',
  };
  return {
    findingId: 'f-1',
    generation: 1,
    status: 'isolated',
    instanceId: 'i-0web',
    accountId: '123456789012',
    region: 'us-west-2',
    requestedBy: { userId: 'U0ALICE', userName: 'alice' },
    jobId: 'job-1',
    startedAt: '2025-03-11T15:00:00.000Z',
    updatedAt: '2025-03-11T15:00:07.000Z',
    original: { enis, volumes: [{ volumeId: 'vol-1' }], gaps: [] },
    progress,
    ...overrides,
  };
};

describe('Function: findStaleReasons', () => {
  const check = (overrides: Partial<Parameters<typeof findStaleReasons>[0]> = {}) =>
    findStaleReasons({
      findingId: 'f-1',
      findingStatus: 'open',
      instance: instance(),
      cardEnis,
      quarantineTagKey: 'guardduty-bot:quarantine',
      ...overrides,
    });

  it('finds nothing stale when the card matches reality, whatever the group order', () => {
    // Act
    const reasons = check();

    // Assess
    expect(reasons).toEqual([]);
  });

  it('stops on an archived or vanished finding', () => {
    // Act
    const archived = check({ findingStatus: 'archived' });
    const missing = check({ findingStatus: 'not-found' });

    // Assess
    expect(archived).toEqual([{ kind: 'finding-archived' }]);
    expect(missing).toEqual([{ kind: 'finding-not-found' }]);
  });

  it('stops when the instance is gone, terminating or not running', () => {
    // Act
    const gone = check({ instance: undefined });
    const terminated = check({ instance: instance({ state: 'terminated' }) });
    const stopped = check({ instance: instance({ state: 'stopped' }) });

    // Assess
    expect(gone).toEqual([{ kind: 'instance-missing' }]);
    expect(terminated).toEqual([{ kind: 'instance-missing' }]);
    expect(stopped).toEqual([{ kind: 'instance-not-running', state: 'stopped' }]);
  });

  it('stops when interfaces or their groups differ from the card', () => {
    // Prepare
    const now = instance();
    now.enis[0] = { ...(now.enis[0] as InstanceView['enis'][number]), groups: ['sg-web'] };
    now.enis.push({ id: 'eni-3', vpcId: 'vpc-a', groups: ['sg-x'], privateIps: [] });
    now.enis.splice(1, 1);

    // Act
    const reasons = check({ instance: now });

    // Assess
    expect(reasons).toEqual([
      {
        kind: 'groups-changed',
        eniId: 'eni-1',
        expected: ['sg-ssh', 'sg-web'],
        actual: ['sg-web'],
      },
      { kind: 'eni-missing', eniId: 'eni-2' },
      { kind: 'eni-added', eniId: 'eni-3' },
    ]);
  });

  it('stops when another finding already quarantined the instance, but not for its own tag', () => {
    // Act
    const other = check({ instance: instance({ tags: { 'guardduty-bot:quarantine': 'f-0' } }) });
    const own = check({ instance: instance({ tags: { 'guardduty-bot:quarantine': 'f-1' } }) });

    // Assess
    expect(other).toEqual([{ kind: 'quarantined-for-other-finding', findingId: 'f-0' }]);
    expect(own).toEqual([]);
  });

  it('skips the group comparison when the card showed no interfaces', () => {
    // Act
    const reasons = check({ cardEnis: [] });

    // Assess
    expect(reasons).toEqual([]);
  });
});

describe('Function: cardEnisOf', () => {
  it('reads the interfaces and groups an instance finding showed', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const enis = cardEnisOf(finding, 'i-0a1b2c3d4e5f60718');

    // Assess
    expect(enis).toEqual([
      { id: 'eni-0a1a1a1a1a1a1a1a1', groups: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'] },
    ]);
  });

  it('returns nothing for another instance, or a credential finding without interfaces', () => {
    // Act
    const other = cardEnisOf(sshBruteForceFinding(), 'i-other');
    const credentials = cardEnisOf(credentialExfiltrationFinding(), 'i-0c3d4e5f607182930');

    // Assess
    expect(other).toEqual([]);
    expect(credentials).toEqual([]);
  });
});

describe('Function: guardDutyRefOf', () => {
  it('takes the detector account and id from the finding ARN', () => {
    // Prepare
    const finding: Finding = {
      ...sshBruteForceFinding(),
      accountId: '210987654321',
      arn: 'arn:aws:guardduty:eu-west-1:111122223333:detector/det-admin/finding/abc',
    };

    // Act
    const ref = guardDutyRefOf(finding);

    // Assess
    expect(ref).toEqual({
      accountId: '111122223333',
      region: 'eu-west-1',
      detectorId: 'det-admin',
      findingId: 'abc',
    });
  });

  it('falls back to the finding’s fields, and gives up without a detector', () => {
    // Prepare
    const withoutArn: Finding = { ...sshBruteForceFinding(), arn: undefined };
    const securityHub: Finding = { ...sshBruteForceFinding(), source: 'securityhub' };
    const noDetector: Finding = { ...withoutArn, detectorId: undefined };

    // Act
    const fallback = guardDutyRefOf(withoutArn);

    // Assess
    expect(fallback).toMatchObject({ accountId: '123456789012', detectorId: expect.any(String) });
    expect(guardDutyRefOf(securityHub)).toBeUndefined();
    expect(guardDutyRefOf(noDetector)).toBeUndefined();
  });
});

describe('Function: detectDrift', () => {
  it('finds no drift when every interface still has the group isolation left', () => {
    // Prepare
    const now = instance();
    now.enis[0] = { ...(now.enis[0] as InstanceView['enis'][number]), groups: ['sg-iso-a'] };
    now.enis[1] = { ...(now.enis[1] as InstanceView['enis'][number]), groups: ['sg-iso-b'] };

    // Act
    const drift = detectDrift(record(), now);

    // Assess
    expect(drift).toEqual([]);
  });

  it('expects the original groups on interfaces isolation could not move', () => {
    // Prepare
    const partial = record();
    partial.progress.enis['eni-2'] = { phase: 'original', applied: ['sg-db'] };
    const now = instance();
    now.enis[0] = { ...(now.enis[0] as InstanceView['enis'][number]), groups: ['sg-iso-a'] };

    // Act
    const drift = detectDrift(partial, now);

    // Assess
    expect(drift).toEqual([]);
  });

  it('lists changed, missing and added interfaces, and a missing instance', () => {
    // Prepare
    const now = instance({
      enis: [
        { id: 'eni-1', vpcId: 'vpc-a', groups: ['sg-web'], privateIps: [] },
        { id: 'eni-9', vpcId: 'vpc-a', groups: ['sg-new'], privateIps: [] },
      ],
    });

    // Act
    const drift = detectDrift(record(), now);
    const gone = detectDrift(record(), undefined);

    // Assess
    expect(drift).toEqual([
      { kind: 'groups-changed', eniId: 'eni-1', expected: ['sg-iso-a'], actual: ['sg-web'] },
      { kind: 'eni-missing', eniId: 'eni-2' },
      { kind: 'eni-added', eniId: 'eni-9', groups: ['sg-new'] },
    ]);
    expect(gone).toEqual([{ kind: 'instance-missing' }]);
  });
});

describe('Function: buildIsolationPlan', () => {
  const input = (overrides: Partial<PlanInput> = {}): PlanInput => ({
    findingId: 'f-1',
    instance: instance(),
    autoScaling: { groupName: 'web-asg', lifecycleState: 'InService' },
    loadBalancers: {
      targetGroups: [
        {
          targetGroupArn: 'arn:tg/web',
          targetGroupName: 'web-tg',
          targetId: 'i-0web',
          port: 80,
        },
      ],
      classic: ['legacy-elb'],
      truncated: false,
    },
    existingGroups: { 'vpc-a': { isolation: 'sg-iso-a', untrack: 'sg-untrack-a' } },
    options: {
      evidenceSnapshots: true,
      untrackConnections: true,
      autoScalingAction: 'standby',
      quarantineTags: { 'guardduty-bot:quarantine': 'f-1' },
    },
    ...overrides,
  });

  it('lists the calls in the order isolation makes them', () => {
    // Act
    const calls = buildIsolationPlan(input());

    // Assess
    expect(calls.map((call) => `${call.step} ${call.call} ${call.resource}`)).toEqual([
      'snapshots ec2:CreateSnapshot vol-1',
      'protections ec2:ModifyInstanceAttribute i-0web',
      'protections ec2:ModifyInstanceAttribute i-0web',
      'quarantine-tags ec2:CreateTags i-0web',
      'isolation-groups ec2:CreateSecurityGroup vpc-b',
      'isolation-groups ec2:RevokeSecurityGroupEgress guardduty-isolation-vpc-b',
      'isolation-groups ec2:RevokeSecurityGroupEgress guardduty-isolation-vpc-b',
      'isolation-groups ec2:CreateSecurityGroup vpc-b',
      'isolation-groups ec2:AuthorizeSecurityGroupIngress guardduty-untrack-vpc-b',
      'isolate-enis ec2:ModifyNetworkInterfaceAttribute eni-1',
      'isolate-enis ec2:ModifyNetworkInterfaceAttribute eni-1',
      'isolate-enis ec2:ModifyNetworkInterfaceAttribute eni-2',
      'isolate-enis ec2:ModifyNetworkInterfaceAttribute eni-2',
      'auto-scaling autoscaling:EnterStandby web-asg',
      'load-balancers elasticloadbalancing:DeregisterTargets arn:tg/web',
      'load-balancers elasticloadbalancing:DeregisterInstancesFromLoadBalancer legacy-elb',
    ]);
  });

  it('checks interface moves with the real group when it exists, else with the current groups', () => {
    // Act
    const calls = buildIsolationPlan(input());

    // Assess
    const moves = calls.filter((call) => call.call === 'ec2:ModifyNetworkInterfaceAttribute');
    expect(moves.map((call) => call.dryRun)).toEqual([
      { op: 'ModifyNetworkInterfaceAttribute', eniId: 'eni-1', groups: ['sg-untrack-a'] },
      { op: 'ModifyNetworkInterfaceAttribute', eniId: 'eni-1', groups: ['sg-iso-a'] },
      { op: 'ModifyNetworkInterfaceAttribute', eniId: 'eni-2', groups: ['sg-db'] },
      { op: 'ModifyNetworkInterfaceAttribute', eniId: 'eni-2', groups: ['sg-db'] },
    ]);
  });

  it('marks calls without DryRun as not checkable, with the reason', () => {
    // Act
    const calls = buildIsolationPlan(input());

    // Assess
    const unchecked = calls.filter((call) => call.dryRun === undefined);
    expect(unchecked.map((call) => call.uncheckedBecause)).toEqual([
      'the group does not exist yet',
      'the group does not exist yet',
      'the group does not exist yet',
      'Auto Scaling has no DryRun',
      'Elastic Load Balancing has no DryRun',
      'Elastic Load Balancing has no DryRun',
    ]);
  });

  it('leaves out snapshots, the allow-all group and Auto Scaling when they do not apply', () => {
    // Prepare
    const plain = input({
      autoScaling: undefined,
      options: {
        evidenceSnapshots: false,
        untrackConnections: false,
        autoScalingAction: 'detach',
        quarantineTags: {},
      },
    });

    // Act
    const calls = buildIsolationPlan(plain);

    // Assess
    expect(calls.some((call) => call.call === 'ec2:CreateSnapshot')).toBe(false);
    expect(calls.some((call) => call.summary.includes('untrack'))).toBe(false);
    expect(calls.some((call) => call.step === 'auto-scaling')).toBe(false);
    expect(
      calls.filter((call) => call.call === 'ec2:ModifyNetworkInterfaceAttribute')
    ).toHaveLength(2);
  });
});

describe('Function: settledIsolationStatus', () => {
  it('is isolated only when every step is done and nothing failed', () => {
    // Prepare
    const done = record({ status: 'isolating' });
    done.progress.stepsDone = [
      'snapshots',
      'protections',
      'quarantine-tags',
      'isolation-groups',
      'isolate-enis',
      'auto-scaling',
      'load-balancers',
    ];
    const partial = structuredClone(done);
    partial.progress.stepsDone.pop();
    partial.progress.failures.push({ step: 'load-balancers', code: 'THROTTLED', message: 'x' });
    const failed = structuredClone(partial);
    for (const eni of Object.values(failed.progress.enis)) eni.phase = 'original';

    // Act / Assess
    expect(settledIsolationStatus(done)).toBe('isolated');
    expect(settledIsolationStatus(partial)).toBe('partial');
    expect(settledIsolationStatus(failed)).toBe('failed');
  });
});

describe('Function: isolationReportOf', () => {
  it('pairs each interface’s recorded groups with the groups it has now', () => {
    // Prepare
    const isolated = record();

    // Act
    const report = isolationReportOf(isolated, { elapsedMs: 7200, evidenceSnapshots: true });

    // Assess
    expect(report.enis.map((eni) => [eni.id, eni.before, eni.after])).toEqual([
      ['eni-1', ['sg-web', 'sg-ssh'], ['sg-iso-a']],
      ['eni-2', ['sg-db'], ['sg-iso-b']],
    ]);
    expect(report.connectionCut).toBe('untrack-then-isolate');
    expect(report.naclSubnets).toEqual(['subnet-1', 'subnet-2']);
    expect(report.elapsedMs).toBe(7200);
  });
});

describe('Helpers', () => {
  it('compares groups as sets', () => {
    expect(sameGroups(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameGroups(['a'], ['a', 'b'])).toBe(false);
  });

  it('sums up how connections were cut', () => {
    expect(connectionCutOf([])).toBe('none');
    expect(connectionCutOf([{ phase: 'isolated', cut: 'isolate-only' }])).toBe('isolate-only');
    expect(
      connectionCutOf([
        { phase: 'isolated', cut: 'isolate-only' },
        { phase: 'isolated', cut: 'untrack-then-isolate' },
      ])
    ).toBe('mixed');
  });

  it('names the groups per VPC', () => {
    expect(isolationGroupName('vpc-1')).toBe('guardduty-isolation-vpc-1');
    expect(untrackGroupName('vpc-1')).toBe('guardduty-untrack-vpc-1');
  });

  it('knows a record that changed nothing yet', () => {
    const fresh = record();
    fresh.progress = emptyProgress(fresh.original.enis);
    expect(hasMutated(fresh)).toBe(false);
    expect(hasMutated(record())).toBe(true);
  });

  it('treats throttling and storage errors as retryable, denials not', () => {
    const denied: ContainmentError = containmentError('ACCESS_DENIED');
    expect(isRetryableCode('THROTTLED')).toBe(true);
    expect(isRetryableCode(denied.code)).toBe(false);
    expect(denied.message).toContain('UnauthorizedOperation');
  });
});
