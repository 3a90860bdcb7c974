/**
 * Isolation of an EC2 instance (DESIGN.md §5 "Isolation"): the record kept in DynamoDB, the pure
 * rules that decide whether a request is stale, whether an isolated instance drifted, what a dry
 * run would call, and the outcomes the Slack reports are rendered from.
 *
 * Nothing here talks to AWS: the app layer (`IsolationService`) gathers the facts through
 * the ports and asks these functions what they mean. Every id and name in here came from AWS or
 * from a finding: renderers escape them.
 *
 * @module
 */
import { BotError } from './errors';
import type { Finding } from './Finding';

// ---------------------------------------------------------------------------------------------
// Names and tags
// ---------------------------------------------------------------------------------------------

/** Tag that marks the per-VPC isolation group (`guardduty-bot:isolation=true`). */
export const ISOLATION_GROUP_TAG = 'guardduty-bot:isolation';
/** Tag that marks the per-VPC temporary allow-all group (`guardduty-bot:untrack=true`). */
export const UNTRACK_GROUP_TAG = 'guardduty-bot:untrack';
/** Default tag key naming the finding an instance is quarantined for. */
export const DEFAULT_QUARANTINE_TAG = 'guardduty-bot:quarantine';
/** Default tag key naming the Slack user who quarantined an instance. */
export const DEFAULT_QUARANTINED_BY_TAG = 'guardduty-bot:quarantined-by';
/** Tags put on evidence snapshots. */
export const SNAPSHOT_TAGS = {
  finding: 'guardduty-bot:finding',
  instance: 'guardduty-bot:instance',
  device: 'guardduty-bot:device',
  generation: 'guardduty-bot:generation',
} as const;

/** Name of the isolation group of a VPC (group names are unique per VPC). */
export const isolationGroupName = (vpcId: string): string => `guardduty-isolation-${vpcId}`;

/** Name of the temporary allow-all ("untrack") group of a VPC. */
export const untrackGroupName = (vpcId: string): string => `guardduty-untrack-${vpcId}`;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * Stable codes of {@link ContainmentError}: `ACCESS_DENIED` (IAM or SCP refused), `THROTTLED`
 * (still throttled after retries), `NOT_FOUND` (the resource is gone), `INVALID_STATE` (the
 * resource cannot take the change now, e.g. an ASG below its minimum), `AWS_ERROR` (anything else).
 */
export type ContainmentErrorCode =
  | 'ACCESS_DENIED'
  | 'THROTTLED'
  | 'NOT_FOUND'
  | 'INVALID_STATE'
  | 'AWS_ERROR';

/** One AWS API call as the audit stream records it. */
export interface AwsCallRecord {
  /** `service:Operation`, e.g. `ec2:ModifyNetworkInterfaceAttribute`. */
  call: string;
  /** What the call acted on (ENI, group, volume, ASG name, target group ARN…). */
  resource?: string;
  /** AWS's request id (`$metadata.requestId`), when the call reached AWS. */
  requestId?: string;
  /** `ok`, `dry-run-permitted`, or the code the call failed with (`THROTTLED`, `ACCESS_DENIED`…). */
  result: string;
}

/** An AWS call failed; adapters translate SDK errors into it, keeping the SDK error as `cause`. */
export class ContainmentError extends BotError {
  public override readonly code: ContainmentErrorCode;
  /** `service:Operation` that failed. */
  public readonly call: string;
  /** The error code AWS answered with, e.g. `UnauthorizedOperation`. */
  public readonly awsCode: string;
  public readonly requestId: string | undefined;
  /** Every attempt made, the failed one included (for the audit stream). */
  public readonly calls: AwsCallRecord[];

  public constructor(
    input: {
      code: ContainmentErrorCode;
      call: string;
      awsCode: string;
      message: string;
      requestId?: string;
      calls?: AwsCallRecord[];
    },
    options?: ErrorOptions
  ) {
    super(input.code, `${input.call} failed: ${input.awsCode}: ${input.message}`, options);
    this.name = 'ContainmentError';
    this.code = input.code;
    this.call = input.call;
    this.awsCode = input.awsCode;
    this.requestId = input.requestId;
    this.calls = input.calls ?? [];
  }
}

/** Another worker took over the isolation item (our lease expired); this run must stop. */
export class IsolationLeaseLostError extends BotError {
  public constructor(findingId: string, options?: ErrorOptions) {
    super(
      'LEASE_LOST',
      `the isolation lease of finding ${findingId} is held by another run`,
      options
    );
    this.name = 'IsolationLeaseLostError';
  }
}

// ---------------------------------------------------------------------------------------------
// Live facts (what the ports report)
// ---------------------------------------------------------------------------------------------

/** One network interface attached to an instance, as EC2 describes it now. */
export interface LiveEni {
  id: string;
  vpcId: string;
  subnetId?: string;
  /** Security group ids, in EC2's order. */
  groups: string[];
  /** 0 for the primary interface (eth0). */
  deviceIndex?: number;
  privateIps: string[];
}

/** An instance as EC2 describes it now. */
export interface InstanceView {
  instanceId: string;
  /** `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`. */
  state: string;
  enis: LiveEni[];
  volumes: { volumeId: string; device?: string }[];
  tags: Record<string, string>;
}

/** Termination and stop protection of an instance. */
export interface InstanceProtections {
  disableApiTermination: boolean;
  disableApiStop: boolean;
}

/** The instance's Auto Scaling group, from `DescribeAutoScalingInstances`. */
export interface AutoScalingMembership {
  groupName: string;
  /** e.g. `InService`, `Standby`, `Pending`. */
  lifecycleState: string;
}

/** A target group the instance (or one of its private IPs) is registered in. */
export interface TargetGroupMembership {
  targetGroupArn: string;
  targetGroupName: string;
  /** The registered target id: the instance id, or a private IP for `ip` target groups. */
  targetId: string;
  port?: number;
  availabilityZone?: string;
}

/** Load balancers the instance is registered with. */
export interface LoadBalancerMemberships {
  targetGroups: TargetGroupMembership[];
  /** Classic load balancer names. */
  classic: string[];
  /** True when the scan stopped at its bound and may have missed some. */
  truncated: boolean;
}

/** A snapshot taken as evidence. */
export interface SnapshotRef {
  volumeId: string;
  snapshotId: string;
  device?: string;
}

/** GuardDuty's view of a finding now. */
export type FindingLiveStatus = 'open' | 'archived' | 'not-found';

// ---------------------------------------------------------------------------------------------
// The record
// ---------------------------------------------------------------------------------------------

/**
 * Where an isolation stands: `recording` (originals written, nothing changed yet), `isolating`
 * (changes under way, or interrupted), `isolated`, `partial` (some steps failed: a retry
 * resumes), `failed` (no interface could be isolated), `releasing`, `released`.
 */
export type IsolationStatus =
  | 'recording'
  | 'isolating'
  | 'isolated'
  | 'partial'
  | 'failed'
  | 'releasing'
  | 'released';

/** The steps of an isolation, in the order they run. */
export type IsolationStepName =
  | 'snapshots'
  | 'protections'
  | 'quarantine-tags'
  | 'isolation-groups'
  | 'isolate-enis'
  | 'auto-scaling'
  | 'load-balancers';

/** Every isolation step, in order. */
export const ISOLATION_STEPS: readonly IsolationStepName[] = [
  'snapshots',
  'protections',
  'quarantine-tags',
  'isolation-groups',
  'isolate-enis',
  'auto-scaling',
  'load-balancers',
];

/** The steps of a release, in the order they run. */
export type ReleaseStepName =
  | 'restore-groups'
  | 'auto-scaling'
  | 'load-balancers'
  | 'quarantine-tags'
  | 'protections';

/** Every release step, in order. */
export const RELEASE_STEPS: readonly ReleaseStepName[] = [
  'restore-groups',
  'auto-scaling',
  'load-balancers',
  'quarantine-tags',
  'protections',
];

/** Who asked. */
export interface Requester {
  userId: string;
  userName: string;
}

/** An interface as recorded before any change. */
export interface RecordedEni {
  id: string;
  vpcId: string;
  subnetId?: string;
  /** The groups to restore on release. */
  groups: string[];
  deviceIndex?: number;
  privateIps: string[];
}

/** What the instance looked like before the bot touched it. Written once, never changed. */
export interface OriginalState {
  enis: RecordedEni[];
  volumes: { volumeId: string; device?: string }[];
  /** Undefined when they could not be read (release then leaves protection on). */
  protections?: InstanceProtections;
  /** Undefined when not a member, or when the lookup failed (see `gaps`). */
  autoScaling?: AutoScalingMembership;
  loadBalancers?: LoadBalancerMemberships;
  /** Facts that could not be read while recording; the step that needs them looks again. */
  gaps: ('auto-scaling' | 'load-balancers' | 'protections')[];
}

/**
 * Where an interface is: `original` (its own groups), `untracked` (in the temporary allow-all
 * group, waiting for the hold to end), `isolated` (in the isolation group).
 */
export type EniPhase = 'original' | 'untracked' | 'isolated';

/** How live connections were cut on an interface. */
export type EniCut = 'untrack-then-isolate' | 'isolate-only';

/** Progress of one interface. */
export interface EniProgress {
  phase: EniPhase;
  /** The groups the bot last put on the interface (what it should have now). */
  applied: string[];
  cut?: EniCut;
  /** When it entered the allow-all group (ISO), to honour the hold across a crash. */
  untrackedAt?: string;
}

/** The Auto Scaling action taken (or to take). */
export type AutoScalingAction = 'standby' | 'detach';

/** A load-balancer registration the bot removed (or must remove). */
export interface LoadBalancerAction {
  kind: 'target-group' | 'classic';
  /** Target group ARN or classic load balancer name. */
  id: string;
  /** Short name for people. */
  name: string;
  targetId: string;
  port?: number;
  availabilityZone?: string;
  /** True once deregistered. */
  done: boolean;
}

/** A step that did not succeed. */
export interface StepFailure {
  step: IsolationStepName | ReleaseStepName | 'guard' | 'record';
  resource?: string;
  /** A {@link ContainmentErrorCode} or another stable code. */
  code: string;
  message: string;
  requestId?: string;
}

/** What the isolation has done so far; saved after every step. */
export interface IsolationProgress {
  stepsDone: IsolationStepName[];
  enis: Record<string, EniProgress>;
  /** Isolation group id per VPC id. */
  isolationGroups: Record<string, string>;
  /** Temporary allow-all group id per VPC id. */
  untrackGroups: Record<string, string>;
  snapshots: SnapshotRef[];
  /** Protections the bot turned on (release turns off only these, and only if they were off). */
  protectionsApplied: boolean;
  /** Tags the bot put on the instance. */
  quarantineTags: Record<string, string>;
  autoScaling?: {
    groupName: string;
    /** `none`: the instance was not InService (already in Standby…): nothing to undo. */
    action: AutoScalingAction | 'none';
    lifecycleStateBefore: string;
    done: boolean;
  };
  loadBalancers: LoadBalancerAction[];
  /** Failures of the latest attempt (cleared when an attempt starts). */
  failures: StepFailure[];
  warnings: string[];
}

/** Progress of a release. */
export interface ReleaseProgress {
  requestedBy: Requester;
  jobId: string;
  startedAt: string;
  completedAt?: string;
  forced: boolean;
  /** The drift found when the release started (forced releases proceed anyway). */
  drift: DriftItem[];
  stepsDone: ReleaseStepName[];
  /** Interfaces given back their recorded groups. */
  enisRestored: string[];
  /** Interfaces left alone, with the reason. */
  enisSkipped: { id: string; reason: string }[];
  failures: StepFailure[];
}

/** The isolation of one finding's instance, as stored (pk `FINDING#<id>`, sk `ISOLATION`). */
export interface IsolationRecord {
  findingId: string;
  /** 1 for the first isolation; a new isolation after a release is the next generation. */
  generation: number;
  status: IsolationStatus;
  instanceId: string;
  accountId: string;
  region: string;
  /** The role acted through in a member account; undefined for the bot's own account. */
  roleArn?: string;
  requestedBy: Requester;
  jobId: string;
  startedAt: string;
  updatedAt: string;
  completedAt?: string;
  original: OriginalState;
  progress: IsolationProgress;
  release?: ReleaseProgress;
}

/** A fresh progress object, nothing done. */
export const emptyProgress = (enis: readonly RecordedEni[]): IsolationProgress => ({
  stepsDone: [],
  enis: Object.fromEntries(
    enis.map((eni) => [eni.id, { phase: 'original', applied: [...eni.groups] } as EniProgress])
  ),
  isolationGroups: {},
  untrackGroups: {},
  snapshots: [],
  protectionsApplied: false,
  quarantineTags: {},
  loadBalancers: [],
  failures: [],
  warnings: [],
});

/** True when the record says the bot changed something on the instance. */
export const hasMutated = (record: IsolationRecord): boolean =>
  record.progress.stepsDone.length > 0 ||
  record.progress.snapshots.length > 0 ||
  Object.values(record.progress.enis).some((eni) => eni.phase !== 'original');

/** The status an isolation ends an attempt with. */
export const settledIsolationStatus = (record: IsolationRecord): IsolationStatus => {
  const enis = record.original.enis.map((eni) => record.progress.enis[eni.id]);
  const allDone = ISOLATION_STEPS.every((step) => record.progress.stepsDone.includes(step));
  if (allDone && record.progress.failures.length === 0) return 'isolated';
  return enis.some((eni) => eni?.phase === 'isolated') ? 'partial' : 'failed';
};

// ---------------------------------------------------------------------------------------------
// Group comparisons
// ---------------------------------------------------------------------------------------------

/** True when both lists hold the same group ids, in any order. */
export const sameGroups = (a: readonly string[], b: readonly string[]): boolean => {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((id, index) => id === right[index]);
};

// ---------------------------------------------------------------------------------------------
// Stale guard
// ---------------------------------------------------------------------------------------------

/** Why an isolation request no longer matches reality. */
export type StaleReason =
  | { kind: 'finding-archived' }
  | { kind: 'finding-not-found' }
  | { kind: 'instance-missing' }
  | { kind: 'instance-not-running'; state: string }
  | { kind: 'eni-missing'; eniId: string }
  | { kind: 'eni-added'; eniId: string }
  | { kind: 'groups-changed'; eniId: string; expected: string[]; actual: string[] }
  | { kind: 'quarantined-for-other-finding'; findingId: string };

/**
 * Checks an isolation request against the live facts: GuardDuty still has the finding open, the
 * instance exists and runs, no other finding quarantined it, and its interfaces and groups are the
 * ones the card showed. An empty list means "go".
 *
 * @param input.cardEnis - the interfaces the card showed (from the finding); when empty (e.g.
 *   credential findings that carry no interface details) the group comparison is skipped.
 */
export const findStaleReasons = (input: {
  findingId: string;
  findingStatus: FindingLiveStatus | 'unchecked';
  instance: InstanceView | undefined;
  cardEnis: readonly { id: string; groups: readonly string[] }[];
  quarantineTagKey: string;
}): StaleReason[] => {
  const reasons: StaleReason[] = [];
  if (input.findingStatus === 'archived') reasons.push({ kind: 'finding-archived' });
  if (input.findingStatus === 'not-found') reasons.push({ kind: 'finding-not-found' });
  const instance = input.instance;
  if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') {
    reasons.push({ kind: 'instance-missing' });
    return reasons;
  }
  if (instance.state !== 'running') {
    reasons.push({ kind: 'instance-not-running', state: instance.state });
  }
  const quarantinedFor = instance.tags[input.quarantineTagKey];
  if (quarantinedFor !== undefined && quarantinedFor !== input.findingId) {
    reasons.push({ kind: 'quarantined-for-other-finding', findingId: quarantinedFor });
  }
  if (input.cardEnis.length === 0) return reasons;
  const live = new Map(instance.enis.map((eni) => [eni.id, eni]));
  for (const shown of input.cardEnis) {
    const now = live.get(shown.id);
    if (!now) {
      reasons.push({ kind: 'eni-missing', eniId: shown.id });
    } else if (!sameGroups(shown.groups, now.groups)) {
      reasons.push({
        kind: 'groups-changed',
        eniId: shown.id,
        expected: [...shown.groups],
        actual: [...now.groups],
      });
    }
  }
  const shownIds = new Set(input.cardEnis.map((eni) => eni.id));
  for (const eni of instance.enis) {
    if (!shownIds.has(eni.id)) reasons.push({ kind: 'eni-added', eniId: eni.id });
  }
  return reasons;
};

/** The interfaces and groups a finding showed for an instance (empty when it carries none). */
export const cardEnisOf = (
  finding: Finding,
  instanceId: string
): { id: string; groups: string[] }[] => {
  const resource = finding.resource;
  const instance =
    resource.kind === 'Instance'
      ? resource
      : resource.kind === 'AccessKey'
        ? resource.sourceInstance
        : undefined;
  if (!instance || instance.instanceId !== instanceId) return [];
  return instance.networkInterfaces.map((eni) => ({
    id: eni.id,
    groups: eni.securityGroups.map((group) => group.id),
  }));
};

/**
 * Where to ask GuardDuty about a finding: the detector's account and id come from the finding's
 * ARN (`arn:aws:guardduty:<region>:<account>:detector/<id>/finding/<id>`), falling back to the
 * finding's own fields. Undefined when the finding did not come from GuardDuty or names no detector.
 */
export const guardDutyRefOf = (
  finding: Finding
): { accountId: string; region: string; detectorId: string; findingId: string } | undefined => {
  if (finding.source !== 'guardduty') return undefined;
  const match = /^arn:[^:]+:guardduty:([^:]+):(\d{12}):detector\/([^/]+)\/finding\/(.+)$/.exec(
    finding.arn ?? ''
  );
  if (match?.[1] && match[2] && match[3] && match[4]) {
    return { region: match[1], accountId: match[2], detectorId: match[3], findingId: match[4] };
  }
  if (!finding.detectorId) return undefined;
  return {
    accountId: finding.accountId,
    region: finding.region,
    detectorId: finding.detectorId,
    findingId: finding.id,
  };
};

// ---------------------------------------------------------------------------------------------
// Drift (release)
// ---------------------------------------------------------------------------------------------

/** Something that changed on an isolated instance since the bot isolated it. */
export type DriftItem =
  | { kind: 'instance-missing' }
  | { kind: 'eni-missing'; eniId: string }
  | { kind: 'eni-added'; eniId: string; groups: string[] }
  | { kind: 'groups-changed'; eniId: string; expected: string[]; actual: string[] };

/**
 * Compares the record with the instance now: the same interfaces, each with exactly the groups the
 * bot last applied (the isolation group, or the original groups where isolation failed). An empty
 * list means a release can restore the recorded groups without overwriting anyone's change.
 */
export const detectDrift = (
  record: IsolationRecord,
  instance: InstanceView | undefined
): DriftItem[] => {
  if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') {
    return [{ kind: 'instance-missing' }];
  }
  const drift: DriftItem[] = [];
  const live = new Map(instance.enis.map((eni) => [eni.id, eni]));
  for (const eni of record.original.enis) {
    const now = live.get(eni.id);
    const expected = record.progress.enis[eni.id]?.applied ?? eni.groups;
    if (!now) drift.push({ kind: 'eni-missing', eniId: eni.id });
    else if (!sameGroups(expected, now.groups)) {
      drift.push({
        kind: 'groups-changed',
        eniId: eni.id,
        expected: [...expected],
        actual: [...now.groups],
      });
    }
  }
  const recorded = new Set(record.original.enis.map((eni) => eni.id));
  for (const eni of instance.enis) {
    if (!recorded.has(eni.id))
      drift.push({ kind: 'eni-added', eniId: eni.id, groups: [...eni.groups] });
  }
  return drift;
};

// ---------------------------------------------------------------------------------------------
// Dry run
// ---------------------------------------------------------------------------------------------

/** An EC2 mutation that accepts `DryRun: true`, as the adapter will send it. */
export type DryRunRequest =
  | { op: 'CreateSnapshot'; volumeId: string; instanceId: string; device?: string }
  | {
      op: 'ModifyInstanceAttribute';
      instanceId: string;
      attribute: 'disableApiTermination' | 'disableApiStop';
      value: boolean;
    }
  | { op: 'CreateTags'; resourceId: string; tags: Record<string, string> }
  | { op: 'CreateSecurityGroup'; vpcId: string; purpose: 'isolation' | 'untrack' }
  | { op: 'RevokeSecurityGroupEgress'; groupId: string; cidr: '0.0.0.0/0' | '::/0' }
  | { op: 'AuthorizeSecurityGroupIngress'; groupId: string }
  | { op: 'ModifyNetworkInterfaceAttribute'; eniId: string; groups: string[] };

/** The result of a permission check. */
export type PermissionCheck = 'permitted' | 'denied' | 'not-checked' | 'error';

/** One call a real isolation would make. */
export interface PlannedCall {
  step: IsolationStepName;
  /** `service:Operation`. */
  call: string;
  /** What it acts on. */
  resource: string;
  /** The parameters, for people. */
  summary: string;
  /** The permission check to send; absent when the call has no DryRun or its target does not exist yet. */
  dryRun?: DryRunRequest;
  /** Why it was not checked, when it was not. */
  uncheckedBecause?: string;
}

/** A planned call and its permission check. */
export interface PlanStep extends PlannedCall {
  permission: PermissionCheck;
  requestId?: string;
  /** The error code when the check itself failed, or the denial's detail. */
  note?: string;
}

/** Inputs of {@link buildIsolationPlan}: everything a dry run could read. */
export interface PlanInput {
  findingId: string;
  instance: InstanceView;
  autoScaling?: AutoScalingMembership;
  loadBalancers: LoadBalancerMemberships;
  /** Existing isolation / allow-all groups per VPC id. */
  existingGroups: Record<string, { isolation?: string; untrack?: string }>;
  options: {
    evidenceSnapshots: boolean;
    untrackConnections: boolean;
    autoScalingAction: AutoScalingAction;
    quarantineTags: Record<string, string>;
  };
}

const vpcIdsOf = (enis: readonly { vpcId: string }[]): string[] => [
  ...new Set(enis.map((eni) => eni.vpcId)),
];

/**
 * Lists, in order, every call an isolation would make for this instance, with the EC2 permission
 * checks (DryRun) that can be sent now. Pure: the service sends the checks.
 */
export const buildIsolationPlan = (input: PlanInput): PlannedCall[] => {
  const { instance, options } = input;
  const calls: PlannedCall[] = [];
  if (options.evidenceSnapshots) {
    for (const volume of instance.volumes) {
      calls.push({
        step: 'snapshots',
        call: 'ec2:CreateSnapshot',
        resource: volume.volumeId,
        summary: `snapshot ${volume.volumeId}${volume.device ? ` (${volume.device})` : ''}, tagged with the finding id`,
        dryRun: {
          op: 'CreateSnapshot',
          volumeId: volume.volumeId,
          instanceId: instance.instanceId,
          ...(volume.device === undefined ? {} : { device: volume.device }),
        },
      });
    }
  }
  for (const attribute of ['disableApiTermination', 'disableApiStop'] as const) {
    calls.push({
      step: 'protections',
      call: 'ec2:ModifyInstanceAttribute',
      resource: instance.instanceId,
      summary: `${attribute} = true`,
      dryRun: {
        op: 'ModifyInstanceAttribute',
        instanceId: instance.instanceId,
        attribute,
        value: true,
      },
    });
  }
  calls.push({
    step: 'quarantine-tags',
    call: 'ec2:CreateTags',
    resource: instance.instanceId,
    summary: Object.entries(options.quarantineTags)
      .map(([key, value]) => `${key}=${value}`)
      .join(', '),
    dryRun: { op: 'CreateTags', resourceId: instance.instanceId, tags: options.quarantineTags },
  });
  for (const vpcId of vpcIdsOf(instance.enis)) {
    const existing = input.existingGroups[vpcId] ?? {};
    const purposes = options.untrackConnections
      ? (['isolation', 'untrack'] as const)
      : (['isolation'] as const);
    for (const purpose of purposes) {
      const groupId = purpose === 'isolation' ? existing.isolation : existing.untrack;
      const name = purpose === 'isolation' ? isolationGroupName(vpcId) : untrackGroupName(vpcId);
      if (groupId !== undefined) continue;
      calls.push({
        step: 'isolation-groups',
        call: 'ec2:CreateSecurityGroup',
        resource: vpcId,
        summary: `create ${name}`,
        dryRun: { op: 'CreateSecurityGroup', vpcId, purpose },
      });
      if (purpose === 'isolation') {
        for (const cidr of ['0.0.0.0/0', '::/0'] as const) {
          calls.push({
            step: 'isolation-groups',
            call: 'ec2:RevokeSecurityGroupEgress',
            resource: name,
            summary: `revoke the default all-traffic egress to ${cidr}`,
            uncheckedBecause: 'the group does not exist yet',
          });
        }
      } else {
        calls.push({
          step: 'isolation-groups',
          call: 'ec2:AuthorizeSecurityGroupIngress',
          resource: name,
          summary: 'allow all traffic in from 0.0.0.0/0 and ::/0 (and out to ::/0)',
          uncheckedBecause: 'the group does not exist yet',
        });
      }
    }
  }
  for (const eni of instance.enis) {
    const existing = input.existingGroups[eni.vpcId] ?? {};
    const steps: { groupId: string | undefined; name: string }[] = [
      ...(options.untrackConnections
        ? [{ groupId: existing.untrack, name: untrackGroupName(eni.vpcId) }]
        : []),
      { groupId: existing.isolation, name: isolationGroupName(eni.vpcId) },
    ];
    for (const { groupId, name } of steps) {
      calls.push({
        step: 'isolate-enis',
        call: 'ec2:ModifyNetworkInterfaceAttribute',
        resource: eni.id,
        summary: `groups ${eni.groups.join(', ') || '(none)'} → ${groupId ?? name}`,
        // A group that does not exist yet cannot be named: check the interface with its own groups.
        dryRun: {
          op: 'ModifyNetworkInterfaceAttribute',
          eniId: eni.id,
          groups: groupId === undefined ? [...eni.groups] : [groupId],
        },
      });
    }
  }
  if (input.autoScaling) {
    const action = options.autoScalingAction === 'standby' ? 'EnterStandby' : 'DetachInstances';
    calls.push({
      step: 'auto-scaling',
      call: `autoscaling:${action}`,
      resource: input.autoScaling.groupName,
      summary: `${action} ${instance.instanceId}, ShouldDecrementDesiredCapacity = true`,
      uncheckedBecause: 'Auto Scaling has no DryRun',
    });
  }
  for (const group of input.loadBalancers.targetGroups) {
    calls.push({
      step: 'load-balancers',
      call: 'elasticloadbalancing:DeregisterTargets',
      resource: group.targetGroupArn,
      summary: `deregister ${group.targetId}${group.port === undefined ? '' : `:${group.port}`} from ${group.targetGroupName}`,
      uncheckedBecause: 'Elastic Load Balancing has no DryRun',
    });
  }
  for (const name of input.loadBalancers.classic) {
    calls.push({
      step: 'load-balancers',
      call: 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
      resource: name,
      summary: `deregister ${instance.instanceId} from ${name}`,
      uncheckedBecause: 'Elastic Load Balancing has no DryRun',
    });
  }
  return calls;
};

/** A dry run's result: every call a real run would make, and whether it is permitted. */
export interface IsolationPlan {
  findingId: string;
  instanceId: string;
  accountId: string;
  region: string;
  roleArn?: string;
  steps: PlanStep[];
  /** Why a real run would stop at the stale guard (empty: it would go ahead). */
  staleReasons: StaleReason[];
  connectionCut: ConnectionCut;
  /** Subnets a NACL block would affect, for the tracked-flows offer. */
  naclSubnets: string[];
  warnings: string[];
  elapsedMs: number;
}

// ---------------------------------------------------------------------------------------------
// Reports and outcomes
// ---------------------------------------------------------------------------------------------

/** How live connections were cut across the instance's interfaces. */
export type ConnectionCut = 'untrack-then-isolate' | 'isolate-only' | 'mixed' | 'none';

/** One interface before and after. */
export interface EniChange {
  id: string;
  vpcId: string;
  subnetId?: string;
  before: string[];
  after: string[];
  phase: EniPhase;
  cut?: EniCut;
}

/** What an isolation did, for the thread report and the audit. */
export interface IsolationReport {
  findingId: string;
  instanceId: string;
  accountId: string;
  region: string;
  roleArn?: string;
  generation: number;
  status: IsolationStatus;
  requestedBy: Requester;
  enis: EniChange[];
  /** Whether evidence snapshots were asked for. */
  evidenceSnapshots: boolean;
  snapshots: SnapshotRef[];
  protections: { before?: InstanceProtections; applied: boolean };
  quarantineTagged: boolean;
  isolationGroups: { vpcId: string; groupId: string }[];
  autoScaling?: {
    groupName: string;
    action: AutoScalingAction | 'none';
    lifecycleStateBefore: string;
    done: boolean;
  };
  loadBalancers: LoadBalancerAction[];
  connectionCut: ConnectionCut;
  /** Subnets of the interfaces: where a NACL block would cut tracked flows (and the whole subnet). */
  naclSubnets: string[];
  failures: StepFailure[];
  warnings: string[];
  /** Milliseconds this run took. */
  elapsedMs: number;
}

/** Sums up how connections were cut on the interfaces that were isolated. */
export const connectionCutOf = (
  enis: readonly { phase: EniPhase; cut?: EniCut }[]
): ConnectionCut => {
  const cuts = new Set(enis.filter((eni) => eni.phase === 'isolated').map((eni) => eni.cut));
  if (cuts.size === 0) return 'none';
  if (cuts.size > 1) return 'mixed';
  return cuts.has('untrack-then-isolate') ? 'untrack-then-isolate' : 'isolate-only';
};

/** The report of a record, as it stands. */
export const isolationReportOf = (
  record: IsolationRecord,
  input: { elapsedMs: number; evidenceSnapshots: boolean }
): IsolationReport => {
  const { original, progress } = record;
  const enis: EniChange[] = original.enis.map((eni) => {
    const now = progress.enis[eni.id] ?? { phase: 'original' as const, applied: eni.groups };
    return {
      id: eni.id,
      vpcId: eni.vpcId,
      ...(eni.subnetId === undefined ? {} : { subnetId: eni.subnetId }),
      before: [...eni.groups],
      after: [...now.applied],
      phase: now.phase,
      ...(now.cut === undefined ? {} : { cut: now.cut }),
    };
  });
  return {
    findingId: record.findingId,
    instanceId: record.instanceId,
    accountId: record.accountId,
    region: record.region,
    ...(record.roleArn === undefined ? {} : { roleArn: record.roleArn }),
    generation: record.generation,
    status: record.status,
    requestedBy: record.requestedBy,
    enis,
    evidenceSnapshots: input.evidenceSnapshots,
    snapshots: [...progress.snapshots],
    protections: {
      ...(original.protections === undefined ? {} : { before: original.protections }),
      applied: progress.protectionsApplied,
    },
    quarantineTagged: progress.stepsDone.includes('quarantine-tags'),
    isolationGroups: Object.entries(progress.isolationGroups).map(([vpcId, groupId]) => ({
      vpcId,
      groupId,
    })),
    ...(progress.autoScaling === undefined ? {} : { autoScaling: { ...progress.autoScaling } }),
    loadBalancers: progress.loadBalancers.map((action) => ({ ...action })),
    connectionCut: connectionCutOf(enis),
    naclSubnets: [
      ...new Set(
        original.enis.flatMap((eni) => (eni.subnetId === undefined ? [] : [eni.subnetId]))
      ),
    ],
    failures: [...progress.failures],
    warnings: [...progress.warnings],
    elapsedMs: input.elapsedMs,
  };
};

/** The result of `IsolationService.isolate`. */
export type IsolationOutcome =
  /** Every step succeeded (this run, or this run finishing an earlier one). */
  | { kind: 'isolated'; report: IsolationReport }
  /** Nothing to do: the finding's instance was isolated before (a redelivery or a second click). */
  | { kind: 'already-isolated'; report: IsolationReport }
  /** Some interfaces are isolated, something failed: `report.failures` says what. A retry resumes. */
  | { kind: 'partial'; report: IsolationReport }
  /** The stale-button guard stopped the isolation before any change. */
  | {
      kind: 'stale';
      findingId: string;
      instanceId: string;
      reasons: StaleReason[];
      elapsedMs: number;
    }
  /** Dry run: nothing changed; the plan lists every call and its permission check. */
  | { kind: 'planned'; plan: IsolationPlan }
  /** Nothing was isolated. `retryable` when a retry may succeed (throttling, storage, races). */
  | {
      kind: 'failed';
      findingId: string;
      instanceId: string;
      code: string;
      message: string;
      retryable: boolean;
      report?: IsolationReport;
      elapsedMs: number;
    }
  /** Another run holds the finding's isolation lease: retry later. */
  | { kind: 'in-progress'; findingId: string; instanceId: string; heldUntil?: string };

/** What a release did. */
export interface ReleaseReport {
  findingId: string;
  instanceId: string;
  accountId: string;
  region: string;
  roleArn?: string;
  generation: number;
  requestedBy: Requester;
  forced: boolean;
  /** Drift found at the start (a forced release went ahead anyway). */
  drift: DriftItem[];
  enis: {
    id: string;
    before: string[];
    after: string[];
    restored: boolean;
    skipped?: string;
  }[];
  autoScaling?: { groupName: string; action: 'exit-standby' | 'attach'; done: boolean };
  loadBalancers: { kind: 'target-group' | 'classic'; id: string; name: string; done: boolean }[];
  quarantineTagsRemoved: boolean;
  /** Protections turned back off (only those that were off before isolation). */
  protectionsRestored: boolean;
  /** Why protection was left on, when it was. */
  protectionsNote?: string;
  /** Evidence snapshots stay. */
  snapshotsKept: string[];
  failures: StepFailure[];
  elapsedMs: number;
}

/** The result of `IsolationService.release`. */
export type ReleaseOutcome =
  | { kind: 'released'; report: ReleaseReport }
  | { kind: 'already-released'; findingId: string; instanceId: string; releasedAt?: string }
  /** Something changed since isolation: nothing was touched. A forced release overrides. */
  | { kind: 'drift'; findingId: string; instanceId: string; drift: DriftItem[]; elapsedMs: number }
  | { kind: 'partial'; report: ReleaseReport }
  | {
      kind: 'failed';
      findingId: string;
      instanceId?: string;
      code: string;
      message: string;
      retryable: boolean;
      report?: ReleaseReport;
      elapsedMs: number;
    }
  /** There is no isolation to release (never isolated, or nothing was changed). */
  | { kind: 'not-isolated'; findingId: string; status?: IsolationStatus }
  | { kind: 'in-progress'; findingId: string; heldUntil?: string };

/** What the confirm dialog can show before the click. */
export interface IsolationPreview {
  instanceId: string;
  /** The current isolation status of the finding, when there is a record. */
  isolationStatus?: IsolationStatus;
  autoScalingGroup?: string;
  targetGroups: { arn: string; name: string }[];
  classicLoadBalancers: string[];
  /** True when the load-balancer scan stopped at its bound. */
  truncated: boolean;
  /** Lookups that failed (codes), so the dialog can say "unknown" instead of "none". */
  errors: string[];
}

/** Stable codes that a retry may clear. */
export const isRetryableCode = (code: string): boolean =>
  code === 'THROTTLED' || code === 'STORE' || code === 'LEASE_LOST' || code === 'AWS_ERROR';
