import { describe, expect, it, vi } from 'vitest';
import {
  type IsolationOptions,
  type IsolationRequest,
  IsolationService,
} from '../../../../src/app/isolation/IsolationService';
import type {
  IsolationOutcome,
  IsolationReport,
  ReleaseOutcome,
} from '../../../../src/domain/isolation';
import type { ContainmentTarget } from '../../../../src/ports/Containment';
import {
  containmentError,
  FakeAuditLog,
  FakeClock,
  FakeEc2Containment,
  FakeFindingStatus,
  findingFor,
  InMemoryIsolationStateStore,
} from '../../../fakes/FakeEc2Containment';
import { silentLogger } from '../../../fakes/silentLogger';

const FINDING_ID = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';
const ISO = 'sg-iso-vpc-a';
const UNTRACK = 'sg-untrack-vpc-a';
const ALICE = { userId: 'U0ALICE', userName: 'alice' };
const BOB = { userId: 'U0BOB', userName: 'bob' };

const setup = (
  options: Partial<IsolationOptions> = {},
  account: FakeEc2Containment = FakeEc2Containment.webAccount()
) => {
  const clock = new FakeClock();
  const state = new InMemoryIsolationStateStore();
  const audit = new FakeAuditLog();
  const status = new FakeFindingStatus();
  const targets: ContainmentTarget[] = [];
  const service = new IsolationService({
    containment: (target) => {
      targets.push(target);
      return account;
    },
    findingStatus: (target) => status.forTarget(target),
    state,
    audit: audit.append,
    clock,
    logger: silentLogger,
    options: { evidenceSnapshots: true, dryRun: false, tempGroupHoldMs: 5000, ...options },
  });
  const request = (overrides: Partial<IsolationRequest> = {}): IsolationRequest => ({
    finding: findingFor(account, 'i-0web'),
    instanceId: 'i-0web',
    target: { accountId: '123456789012', region: 'us-west-2' },
    requestedBy: ALICE,
    jobId: 'job-1',
    ...overrides,
  });
  return { service, account, clock, state, audit, status, targets, request };
};

const reportOf = (outcome: IsolationOutcome): IsolationReport => {
  if (!('report' in outcome) || outcome.report === undefined) {
    throw new Error(`no report in ${outcome.kind}`);
  }
  return outcome.report;
};

const kindOf = (outcome: IsolationOutcome | ReleaseOutcome): string => outcome.kind;

describe('Class: IsolationService', () => {
  describe('Method: isolate', () => {
    it('moves every interface through the allow-all group, then into the isolation group', async () => {
      // Prepare
      const { service, account, clock, request } = setup();

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('isolated');
      expect(account.eni('eni-0primary').groups).toEqual([ISO]);
      expect(account.eni('eni-0second').groups).toEqual([ISO]);
      const moves = account.log
        .filter((entry) => entry.method === 'setEniGroups')
        .map((entry) => entry.args);
      expect(moves).toEqual([
        ['eni-0primary', [UNTRACK]],
        ['eni-0second', [UNTRACK]],
        ['eni-0primary', [ISO]],
        ['eni-0second', [ISO]],
      ]);
      expect(clock.sleeps).toEqual([5000]);
      expect(reportOf(outcome).connectionCut).toBe('untrack-then-isolate');
      expect(reportOf(outcome).enis.map((eni) => [eni.id, eni.before, eni.after])).toEqual([
        ['eni-0primary', ['sg-web', 'sg-ssh'], [ISO]],
        ['eni-0second', ['sg-db'], [ISO]],
      ]);
    });

    it('keeps the original groups for release', async () => {
      // Prepare
      const { service, state, request } = setup();

      // Act
      await service.isolate(request());

      // Assess
      const record = state.peek(FINDING_ID);
      expect(record?.status).toBe('isolated');
      expect(record?.original.enis).toEqual([
        expect.objectContaining({
          id: 'eni-0primary',
          vpcId: 'vpc-a',
          subnetId: 'subnet-a1',
          groups: ['sg-web', 'sg-ssh'],
        }),
        expect.objectContaining({ id: 'eni-0second', subnetId: 'subnet-a2', groups: ['sg-db'] }),
      ]);
      expect(record?.original.autoScaling).toEqual({
        groupName: 'web-asg',
        lifecycleState: 'InService',
      });
      expect(record?.original.loadBalancers?.classic).toEqual(['legacy-elb']);
    });

    it('records the original state before the first change', async () => {
      // Prepare
      const { service, account, state, request } = setup();
      const seenAtFirstMutation: unknown[] = [];
      account.beforeMutation = () => {
        if (seenAtFirstMutation.length === 0) {
          seenAtFirstMutation.push(state.peek(FINDING_ID)?.original.enis.map((eni) => eni.groups));
        }
      };

      // Act
      await service.isolate(request());

      // Assess
      expect(seenAtFirstMutation).toEqual([[['sg-web', 'sg-ssh'], ['sg-db']]]);
    });

    it('snapshots every volume, tagged with the finding, before touching the network', async () => {
      // Prepare
      const { service, account, request } = setup();

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(account.snapshots.map((snapshot) => snapshot.volumeId)).toEqual([
        'vol-root',
        'vol-data',
      ]);
      expect(account.snapshots[0]?.tags).toMatchObject({
        'guardduty-bot:finding': FINDING_ID,
        'guardduty-bot:instance': 'i-0web',
      });
      const order = account.mutations().map((entry) => entry.method);
      expect(order.indexOf('createSnapshot')).toBeLessThan(order.indexOf('setEniGroups'));
      expect(reportOf(outcome).snapshots.map((snapshot) => snapshot.volumeId)).toEqual([
        'vol-root',
        'vol-data',
      ]);
    });

    it('takes no snapshot when evidence snapshots are turned off', async () => {
      // Prepare
      const { service, account, request } = setup({ evidenceSnapshots: false });

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('isolated');
      expect(account.snapshots).toEqual([]);
      expect(reportOf(outcome).evidenceSnapshots).toBe(false);
    });

    it('turns termination and stop protection on and tags the instance as quarantined', async () => {
      // Prepare
      const { service, account, request } = setup();

      // Act
      await service.isolate(request());

      // Assess
      const instance = account.instances.get('i-0web');
      expect(instance?.protections).toEqual({ disableApiTermination: true, disableApiStop: true });
      expect(instance?.tags).toMatchObject({
        'guardduty-bot:quarantine': FINDING_ID,
        'guardduty-bot:quarantined-by': 'U0ALICE',
      });
    });

    it('creates one empty isolation group per VPC of a multi-VPC instance', async () => {
      // Prepare
      const account = FakeEc2Containment.webAccount();
      const web = account.instances.get('i-0web');
      if (web?.enis[1]) web.enis[1].vpcId = 'vpc-b';
      const { service, request } = setup({}, account);

      // Act
      const outcome = await service.isolate(request({ finding: findingFor(account, 'i-0web') }));

      // Assess
      expect(outcome.kind).toBe('isolated');
      expect(account.eni('eni-0primary').groups).toEqual(['sg-iso-vpc-a']);
      expect(account.eni('eni-0second').groups).toEqual(['sg-iso-vpc-b']);
      expect(account.groupNamed('guardduty-isolation-vpc-b')).toMatchObject({
        ingress: [],
        egress: [],
        tags: { 'guardduty-bot:isolation': 'true' },
      });
    });

    it('puts an Auto Scaling member in Standby without a replacement', async () => {
      // Prepare
      const { service, account, request } = setup();

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(account.autoScaling.get('i-0web')?.lifecycleState).toBe('Standby');
      expect(account.desiredCapacity.get('web-asg')).toBe(2);
      expect(reportOf(outcome).autoScaling).toEqual({
        groupName: 'web-asg',
        action: 'standby',
        lifecycleStateBefore: 'InService',
        done: true,
      });
    });

    it('detaches the instance from its Auto Scaling group when configured to', async () => {
      // Prepare
      const { service, account, request } = setup({ autoScalingAction: 'detach' });

      // Act
      await service.isolate(request());

      // Assess
      expect(account.autoScaling.has('i-0web')).toBe(false);
      expect(account.desiredCapacity.get('web-asg')).toBe(2);
    });

    it('deregisters the instance from its target groups and classic load balancers', async () => {
      // Prepare
      const { service, account, request } = setup();

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(account.targetGroups[0]?.targets).toEqual([]);
      expect(account.classic[0]?.instances).toEqual([]);
      expect(reportOf(outcome).loadBalancers.map((lb) => [lb.kind, lb.name, lb.done])).toEqual([
        ['target-group', 'web-tg', true],
        ['classic', 'legacy-elb', true],
      ]);
    });

    it('audits every AWS call with its request id, the Slack user and the account', async () => {
      // Prepare
      const { service, audit, request } = setup();

      // Act
      await service.isolate(request());

      // Assess
      const steps = audit.ofKind('isolation.step');
      const moves = steps.filter(
        (entry) => entry.detail?.call === 'ec2:ModifyNetworkInterfaceAttribute'
      );
      expect(moves).toHaveLength(4);
      for (const entry of steps) {
        expect(entry.actor).toBe('U0ALICE');
        expect(entry.detail).toMatchObject({
          userName: 'alice',
          accountId: '123456789012',
          result: expect.any(String),
        });
      }
      expect(moves[0]?.detail).toMatchObject({
        step: 'isolate-enis',
        resource: 'eni-0primary',
        requestId: expect.stringMatching(/^req-/),
        result: 'ok',
      });
      const completed = audit.ofKind('isolation.completed');
      expect(completed).toHaveLength(1);
      expect(completed[0]?.detail).toMatchObject({
        enis: [
          { id: 'eni-0primary', before: ['sg-web', 'sg-ssh'], after: [ISO] },
          { id: 'eni-0second', before: ['sg-db'], after: [ISO] },
        ],
        snapshots: ['snap-1', 'snap-2'],
        connectionCut: 'untrack-then-isolate',
        elapsedMs: 5000,
      });
    });

    it('reports a failing interface as partial and completes it on retry without re-recording originals', async () => {
      // Prepare
      const { service, account, state, audit, request } = setup();
      account.failNext('setEniGroups', containmentError('ACCESS_DENIED'), {
        when: ([eniId, groups]) => eniId === 'eni-0second' && (groups as string[])[0] === ISO,
      });

      // Act
      const first = await service.isolate(request());
      const second = await service.isolate(request({ jobId: 'job-2' }));

      // Assess
      expect(first.kind).toBe('partial');
      expect(reportOf(first).failures).toEqual([
        expect.objectContaining({
          step: 'isolate-enis',
          resource: 'eni-0second',
          code: 'ACCESS_DENIED',
        }),
      ]);
      expect(second.kind).toBe('isolated');
      expect(account.eni('eni-0second').groups).toEqual([ISO]);
      expect(state.creates).toBe(1);
      expect(state.peek(FINDING_ID)?.original.enis.map((eni) => eni.groups)).toEqual([
        ['sg-web', 'sg-ssh'],
        ['sg-db'],
      ]);
      expect(audit.ofKind('isolation.partial')).toHaveLength(1);
      expect(audit.ofKind('isolation.completed')).toHaveLength(1);
      // The retry only redid what failed.
      expect(account.snapshots).toHaveLength(2);
    });

    it('never leaves an interface in the allow-all group when isolating it fails', async () => {
      // Prepare
      const { service, account, request } = setup();
      account.failNext('setEniGroups', containmentError('THROTTLED'), {
        when: ([eniId, groups]) => eniId === 'eni-0primary' && (groups as string[])[0] === ISO,
      });

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('partial');
      expect(account.eni('eni-0primary').groups).toEqual(['sg-web', 'sg-ssh']);
      expect(reportOf(outcome).enis[0]).toMatchObject({
        phase: 'original',
        after: ['sg-web', 'sg-ssh'],
      });
    });

    it('says so when an interface could not be taken out of the allow-all group', async () => {
      // Prepare
      const { service, account, request } = setup();
      account.failNext('setEniGroups', containmentError('AWS_ERROR'), {
        times: 2,
        when: ([eniId, groups]) => eniId === 'eni-0primary' && (groups as string[])[0] !== UNTRACK,
      });

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('partial');
      expect(reportOf(outcome).failures.map((failure) => failure.code)).toContain(
        'LEFT_IN_ALLOW_ALL_GROUP'
      );
      expect(reportOf(outcome).enis[0]).toMatchObject({ phase: 'untracked', after: [UNTRACK] });
    });

    it('reports a throttled snapshot as partial, not as success', async () => {
      // Prepare
      const { service, account, request } = setup();
      account.failNext('createSnapshot', containmentError('THROTTLED', 'ec2:CreateSnapshot'), {
        when: ([input]) => (input as { volumeId: string }).volumeId === 'vol-data',
      });

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('partial');
      expect(reportOf(outcome).failures).toEqual([
        expect.objectContaining({ step: 'snapshots', resource: 'vol-data', code: 'THROTTLED' }),
      ]);
      expect(account.eni('eni-0primary').groups).toEqual([ISO]);
    });

    it('reports a denied Auto Scaling call as partial', async () => {
      // Prepare
      const { service, account, audit, request } = setup();
      account.failNext(
        'enterStandby',
        containmentError('ACCESS_DENIED', 'autoscaling:EnterStandby', 'AccessDenied')
      );

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('partial');
      expect(reportOf(outcome).autoScaling?.done).toBe(false);
      expect(reportOf(outcome).failures).toEqual([
        expect.objectContaining({ step: 'auto-scaling', code: 'ACCESS_DENIED' }),
      ]);
      expect(audit.ofKind('isolation.completed')).toHaveLength(0);
      expect(audit.ofKind('isolation.partial')[0]?.result).toBe('partial');
    });

    it('fails without isolating anything when no isolation group can be made', async () => {
      // Prepare
      const { service, account, request } = setup();
      account.failNext(
        'ensureIsolationGroup',
        containmentError('ACCESS_DENIED', 'ec2:CreateSecurityGroup')
      );

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome).toMatchObject({ kind: 'failed', code: 'ACCESS_DENIED', retryable: false });
      // Nothing was opened up: interfaces never went to the allow-all group.
      expect(account.eni('eni-0primary').groups).toEqual(['sg-web', 'sg-ssh']);
      expect(account.eni('eni-0second').groups).toEqual(['sg-db']);
    });

    it('resumes after a crash mid-isolation and completes exactly once', async () => {
      // Prepare
      const { service, account, clock, state, audit, request } = setup();
      account.crashOn('setEniGroups', ([, groups]) => (groups as string[])[0] === ISO);
      void service.isolate(request());
      await vi.waitFor(() =>
        expect(
          account.log.some(
            (entry) => entry.method === 'setEniGroups' && (entry.args[1] as string[])[0] === ISO
          )
        ).toBe(true)
      );
      const stuck = await service.isolate(request({ jobId: 'job-1' }));
      clock.advance(120_001);

      // Act
      const resumed = await service.isolate(request({ jobId: 'job-1' }));
      const redelivered = await service.isolate(request({ jobId: 'job-1' }));

      // Assess
      expect(stuck.kind).toBe('in-progress');
      expect(resumed.kind).toBe('isolated');
      expect(redelivered.kind).toBe('already-isolated');
      expect(account.eni('eni-0primary').groups).toEqual([ISO]);
      expect(account.eni('eni-0second').groups).toEqual([ISO]);
      expect(state.creates).toBe(1);
      expect(state.peek(FINDING_ID)?.original.enis.map((eni) => eni.groups)).toEqual([
        ['sg-web', 'sg-ssh'],
        ['sg-db'],
      ]);
      expect(audit.ofKind('isolation.completed')).toHaveLength(1);
      expect(audit.ofKind('isolation.recorded')).toHaveLength(1);
      expect(account.snapshots).toHaveLength(2);
    });

    it('takes no second snapshot when it crashed between the snapshot and saving it', async () => {
      // Prepare
      const { service, account, clock, state, request } = setup();
      state.crashOnSave((record) => record.progress.snapshots.length === 1);
      void service.isolate(request());
      await vi.waitFor(() => expect(account.snapshots).toHaveLength(1));
      await vi.waitFor(() => expect(account.log.at(-1)?.method).toBe('createSnapshot'));
      clock.advance(120_001);

      // Act
      const outcome = await service.isolate(request({ jobId: 'job-1' }));

      // Assess
      expect(outcome.kind).toBe('isolated');
      expect(account.snapshots.map((snapshot) => snapshot.volumeId)).toEqual([
        'vol-root',
        'vol-data',
      ]);
      expect(reportOf(outcome).snapshots.map((snapshot) => snapshot.snapshotId)).toEqual([
        'snap-1',
        'snap-2',
      ]);
    });

    it('answers a redelivered job without touching AWS again', async () => {
      // Prepare
      const { service, account, audit, request } = setup();
      await service.isolate(request());
      const callsBefore = account.log.length;

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('already-isolated');
      expect(account.log.length).toBe(callsBefore);
      expect(audit.ofKind('isolation.completed')).toHaveLength(1);
    });

    it('lets only one of two concurrent runs act', async () => {
      // Prepare
      const { service, account, state, request } = setup();

      // Act
      const outcomes = await Promise.all([
        service.isolate(request({ jobId: 'job-1' })),
        service.isolate(request({ jobId: 'job-2' })),
      ]);

      // Assess
      expect(outcomes.map(kindOf).sort()).toEqual(['in-progress', 'isolated']);
      expect(state.creates).toBe(1);
      expect(account.snapshots).toHaveLength(2);
      expect(account.log.filter((entry) => entry.method === 'setEniGroups')).toHaveLength(4);
    });

    it('stops before any change when the finding was archived', async () => {
      // Prepare
      const { service, account, state, status, audit, request } = setup();
      status.statuses.set(FINDING_ID, 'archived');

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome).toMatchObject({ kind: 'stale', reasons: [{ kind: 'finding-archived' }] });
      expect(account.mutations()).toEqual([]);
      expect(state.creates).toBe(0);
      expect(audit.ofKind('isolation.stale')).toHaveLength(1);
    });

    it('stops before any change when the instance is stopped', async () => {
      // Prepare
      const { service, account, request } = setup();
      const instance = account.instances.get('i-0web');
      if (instance) instance.state = 'stopped';

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome).toMatchObject({
        kind: 'stale',
        reasons: [{ kind: 'instance-not-running', state: 'stopped' }],
      });
      expect(account.mutations()).toEqual([]);
    });

    it('stops before any change when the groups differ from those the card showed', async () => {
      // Prepare
      const { service, account, request } = setup();
      const shown = request();
      account.eni('eni-0primary').groups = ['sg-web'];

      // Act
      const outcome = await service.isolate(shown);

      // Assess
      expect(outcome).toMatchObject({
        kind: 'stale',
        reasons: [
          {
            kind: 'groups-changed',
            eniId: 'eni-0primary',
            expected: ['sg-web', 'sg-ssh'],
            actual: ['sg-web'],
          },
        ],
      });
      expect(account.mutations()).toEqual([]);
    });

    it('fails without changes when GuardDuty cannot be asked', async () => {
      // Prepare
      const { service, account, status, request } = setup();
      status.failNext(
        containmentError('ACCESS_DENIED', 'guardduty:GetFindings', 'AccessDeniedException')
      );

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome).toMatchObject({ kind: 'failed', code: 'ACCESS_DENIED' });
      expect(account.mutations()).toEqual([]);
    });

    it('acts in the finding’s member account and audits the role it used', async () => {
      // Prepare
      const role = 'arn:aws:iam::210987654321:role/GuardDutyBotContainment';
      const account = FakeEc2Containment.webAccount(role);
      const { service, targets, status, audit, request } = setup({}, account);
      const finding = findingFor(account, 'i-0web', { accountId: '210987654321' });

      // Act
      const outcome = await service.isolate(
        request({ finding, target: { accountId: '210987654321', region: 'us-west-2' } })
      );

      // Assess
      expect(outcome.kind).toBe('isolated');
      expect(targets).toEqual([
        { accountId: '210987654321', region: 'us-west-2', actor: 'U0ALICE' },
      ]);
      expect(status.asked[0]).toMatchObject({
        target: { accountId: '210987654321', region: 'us-west-2' },
        detectorId: '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c',
      });
      expect(reportOf(outcome).roleArn).toBe(role);
      for (const entry of audit.entries) {
        expect(entry.detail).toMatchObject({ accountId: '210987654321', roleArn: role });
      }
    });

    it('isolates the source instance of a credential finding', async () => {
      // Prepare
      const { service, account, request } = setup();
      const base = findingFor(account, 'i-0web');
      const finding = {
        ...base,
        type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        resource: {
          kind: 'AccessKey' as const,
          principalId: 'AROAEXAMPLE:i-0web',
          sourceInstanceId: 'i-0web',
        },
      };

      // Act
      const outcome = await service.isolate(request({ finding }));

      // Assess
      expect(outcome.kind).toBe('isolated');
      expect(account.eni('eni-0primary').groups).toEqual([ISO]);
    });
  });

  describe('Method: isolate (dry run)', () => {
    it('lists every call and checks EC2 permissions with DryRun, changing nothing', async () => {
      // Prepare
      const { service, account, state, audit, request } = setup({ dryRun: true });
      account.deniedDryRuns.push((check) => check.op === 'ModifyNetworkInterfaceAttribute');

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind).toBe('planned');
      if (outcome.kind !== 'planned') return;
      const { plan } = outcome;
      expect(account.mutations()).toEqual([]);
      expect(state.creates).toBe(0);
      expect(account.dryRuns.map((check) => check.op)).toEqual([
        'CreateSnapshot',
        'CreateSnapshot',
        'ModifyInstanceAttribute',
        'ModifyInstanceAttribute',
        'CreateTags',
        'CreateSecurityGroup',
        'CreateSecurityGroup',
        'ModifyNetworkInterfaceAttribute',
        'ModifyNetworkInterfaceAttribute',
        'ModifyNetworkInterfaceAttribute',
        'ModifyNetworkInterfaceAttribute',
      ]);
      const denied = plan.steps.filter((step) => step.permission === 'denied');
      expect(denied.map((step) => step.resource)).toEqual([
        'eni-0primary',
        'eni-0primary',
        'eni-0second',
        'eni-0second',
      ]);
      expect(plan.steps.map((step) => step.call)).toEqual(
        expect.arrayContaining([
          'autoscaling:EnterStandby',
          'elasticloadbalancing:DeregisterTargets',
          'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
        ])
      );
      expect(plan.steps.find((step) => step.call === 'autoscaling:EnterStandby')?.permission).toBe(
        'not-checked'
      );
      expect(audit.ofKind('isolation.planned')).toEqual([
        expect.objectContaining({ result: 'denied' }),
      ]);
    });

    it('shows why a real run would stop', async () => {
      // Prepare
      const { service, status, request } = setup({ dryRun: true });
      status.statuses.set(FINDING_ID, 'archived');

      // Act
      const outcome = await service.isolate(request());

      // Assess
      expect(outcome.kind === 'planned' && outcome.plan.staleReasons).toEqual([
        { kind: 'finding-archived' },
      ]);
    });
  });

  describe('Method: release', () => {
    const isolated = async (
      options: Partial<IsolationOptions> = {},
      account?: FakeEc2Containment
    ) => {
      const context = setup(options, account);
      const outcome = await context.service.isolate(context.request());
      expect(outcome.kind).toBe('isolated');
      return context;
    };

    it('restores the recorded groups, Auto Scaling, load balancers, tags and protection', async () => {
      // Prepare
      const { service, account, audit } = await isolated();

      // Act
      const outcome = await service.release({
        findingId: FINDING_ID,
        requestedBy: BOB,
        jobId: 'job-r1',
        force: false,
      });

      // Assess
      expect(outcome.kind).toBe('released');
      expect(account.eni('eni-0primary').groups).toEqual(['sg-web', 'sg-ssh']);
      expect(account.eni('eni-0second').groups).toEqual(['sg-db']);
      expect(account.autoScaling.get('i-0web')?.lifecycleState).toBe('InService');
      expect(account.desiredCapacity.get('web-asg')).toBe(3);
      expect(account.targetGroups[0]?.targets).toEqual([{ id: 'i-0web', port: 80 }]);
      expect(account.classic[0]?.instances).toEqual(['i-0web']);
      const instance = account.instances.get('i-0web');
      expect(instance?.tags).not.toHaveProperty('guardduty-bot:quarantine');
      expect(instance?.protections).toEqual({
        disableApiTermination: false,
        disableApiStop: false,
      });
      expect(account.snapshots).toHaveLength(2);
      if (outcome.kind === 'released') {
        expect(outcome.report.enis.map((eni) => [eni.before, eni.after])).toEqual([
          [[ISO], ['sg-web', 'sg-ssh']],
          [[ISO], ['sg-db']],
        ]);
        expect(outcome.report.snapshotsKept).toEqual(['snap-1', 'snap-2']);
      }
      const completed = audit.ofKind('release.completed');
      expect(completed).toEqual([expect.objectContaining({ actor: 'U0BOB' })]);
    });

    it('keeps protection that was on before isolation', async () => {
      // Prepare
      const account = FakeEc2Containment.webAccount();
      const web = account.instances.get('i-0web');
      if (web) web.protections.disableApiTermination = true;
      const { service } = await isolated({}, account);

      // Act
      await service.release({ findingId: FINDING_ID, requestedBy: BOB, jobId: 'r', force: false });

      // Assess
      expect(web?.protections).toEqual({ disableApiTermination: true, disableApiStop: false });
    });

    it('changes nothing and reports drift when an interface changed since isolation', async () => {
      // Prepare
      const { service, account, audit } = await isolated();
      account.eni('eni-0primary').groups = ['sg-someone-else'];
      const mutationsBefore = account.mutations().length;

      // Act
      const outcome = await service.release({
        findingId: FINDING_ID,
        requestedBy: BOB,
        jobId: 'job-r1',
        force: false,
      });

      // Assess
      expect(outcome).toMatchObject({
        kind: 'drift',
        drift: [
          {
            kind: 'groups-changed',
            eniId: 'eni-0primary',
            expected: [ISO],
            actual: ['sg-someone-else'],
          },
        ],
      });
      expect(account.mutations().length).toBe(mutationsBefore);
      expect(audit.ofKind('release.drift')).toHaveLength(1);
    });

    it('restores the recorded groups anyway when forced, leaving new interfaces alone', async () => {
      // Prepare
      const { service, account } = await isolated();
      account.eni('eni-0primary').groups = ['sg-someone-else'];
      account.instances.get('i-0web')?.enis.push({
        id: 'eni-0new',
        vpcId: 'vpc-a',
        subnetId: 'subnet-a1',
        groups: ['sg-new'],
        deviceIndex: 2,
        privateIps: ['10.0.1.99'],
      });

      // Act
      const outcome = await service.release({
        findingId: FINDING_ID,
        requestedBy: BOB,
        jobId: 'job-r2',
        force: true,
      });

      // Assess
      expect(outcome.kind).toBe('released');
      expect(account.eni('eni-0primary').groups).toEqual(['sg-web', 'sg-ssh']);
      expect(account.eni('eni-0new').groups).toEqual(['sg-new']);
      if (outcome.kind === 'released') {
        expect(outcome.report.forced).toBe(true);
        expect(outcome.report.drift.map((item) => item.kind)).toEqual([
          'groups-changed',
          'eni-added',
        ]);
      }
    });

    it('reports a failed restore as partial and finishes it on retry', async () => {
      // Prepare
      const { service, account, audit } = await isolated();
      account.failNext(
        'exitStandby',
        containmentError('THROTTLED', 'autoscaling:ExitStandby', 'Throttling')
      );

      // Act
      const first = await service.release({
        findingId: FINDING_ID,
        requestedBy: BOB,
        jobId: 'a',
        force: false,
      });
      const second = await service.release({
        findingId: FINDING_ID,
        requestedBy: BOB,
        jobId: 'b',
        force: false,
      });

      // Assess
      expect(first.kind).toBe('partial');
      expect(second.kind).toBe('released');
      expect(account.autoScaling.get('i-0web')?.lifecycleState).toBe('InService');
      expect(account.log.filter((entry) => entry.method === 'setEniGroups')).toHaveLength(6);
      expect(audit.ofKind('release.completed')).toHaveLength(1);
    });

    it('says there is nothing to release for a finding never isolated', async () => {
      // Prepare
      const { service } = setup();

      // Act
      const outcome = await service.release({
        findingId: 'other',
        requestedBy: BOB,
        jobId: 'r',
        force: false,
      });

      // Assess
      expect(outcome).toEqual({ kind: 'not-isolated', findingId: 'other' });
    });

    it('answers already-released the second time', async () => {
      // Prepare
      const { service } = await isolated();
      await service.release({ findingId: FINDING_ID, requestedBy: BOB, jobId: 'r', force: false });

      // Act
      const outcome = await service.release({
        findingId: FINDING_ID,
        requestedBy: BOB,
        jobId: 'r',
        force: false,
      });

      // Assess
      expect(outcome.kind).toBe('already-released');
    });

    it('allows a new isolation after a release, recording the groups again', async () => {
      // Prepare
      const { service, state, audit, request } = await isolated();
      await service.release({ findingId: FINDING_ID, requestedBy: BOB, jobId: 'r', force: false });

      // Act
      const outcome = await service.isolate(request({ jobId: 'job-again' }));

      // Assess
      expect(outcome.kind).toBe('isolated');
      expect(state.peek(FINDING_ID)?.generation).toBe(2);
      expect(audit.ofKind('isolation.completed')).toHaveLength(2);
    });
  });

  describe('Method: preview', () => {
    it('shows the Auto Scaling group and load balancers before the click', async () => {
      // Prepare
      const { service, account } = setup();

      // Act
      const preview = await service.preview(findingFor(account, 'i-0web'), {
        accountId: '123456789012',
        region: 'us-west-2',
      });

      // Assess
      expect(preview).toEqual({
        instanceId: 'i-0web',
        autoScalingGroup: 'web-asg',
        targetGroups: [
          {
            arn: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-tg/0123456789abcdef',
            name: 'web-tg',
          },
        ],
        classicLoadBalancers: ['legacy-elb'],
        truncated: false,
        errors: [],
      });
      expect(account.mutations()).toEqual([]);
    });

    it('says which lookups failed instead of claiming there is nothing', async () => {
      // Prepare
      const { service, account } = setup();
      account.failNext(
        'describeAutoScaling',
        containmentError('ACCESS_DENIED', 'autoscaling:DescribeAutoScalingInstances')
      );

      // Act
      const preview = await service.preview(findingFor(account, 'i-0web'), {
        accountId: '123456789012',
        region: 'us-west-2',
      });

      // Assess
      expect(preview.errors).toEqual(['Auto Scaling: ACCESS_DENIED']);
      expect(preview.autoScalingGroup).toBe('web-asg');
    });
  });
});
