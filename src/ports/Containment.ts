import type {
  AutoScalingMembership,
  AwsCallRecord,
  DryRunRequest,
  FindingLiveStatus,
  InstanceProtections,
  InstanceView,
  IsolationRecord,
  LoadBalancerMemberships,
  SnapshotRef,
  TargetGroupMembership,
} from '../domain/isolation';

/**
 * Ports of the isolation use case. Every AWS method returns its value with the calls it made
 * (request ids included) so the audit stream can record each one; on failure it throws a
 * `ContainmentError` (stable `code`, the attempts in `calls`). Adapters retry throttling.
 *
 * @module
 */

/** Where containment acts: the finding's account and region, on behalf of a Slack user. */
export interface ContainmentTarget {
  accountId: string;
  region: string;
  /** Slack user id of the person acting (becomes the role session's SourceIdentity). */
  actor?: string;
}

/** A value and the AWS calls that produced it. */
export interface Traced<T> {
  value: T;
  calls: AwsCallRecord[];
}

/** The EC2, Auto Scaling and Elastic Load Balancing operations isolation needs, in one account and region. */
export interface Ec2Containment {
  /** The role acted through (member accounts), for the audit; undefined for the bot's own role. */
  readonly roleArn: string | undefined;

  /** The instance now (`DescribeInstances`); undefined when EC2 does not know it. */
  describeInstance(instanceId: string): Promise<Traced<InstanceView | undefined>>;

  /** Termination and stop protection (`DescribeInstanceAttribute`, twice). */
  describeProtections(instanceId: string): Promise<Traced<InstanceProtections>>;

  /** The instance's Auto Scaling group, if any (`DescribeAutoScalingInstances`). */
  describeAutoScaling(instanceId: string): Promise<Traced<AutoScalingMembership | undefined>>;

  /**
   * Target groups and classic load balancers the instance is registered with. Scans at most
   * `maxTargetGroups` target groups of the instance's VPCs (`DescribeTargetGroups` +
   * `DescribeTargetHealth` per group) and one page of classic load balancers; `truncated` says so
   * when the bound was hit.
   */
  findLoadBalancers(input: {
    instanceId: string;
    vpcIds: string[];
    privateIps: string[];
    maxTargetGroups: number;
  }): Promise<Traced<LoadBalancerMemberships>>;

  /** The isolation and allow-all groups of a VPC, when they exist (read only). */
  findGroups(vpcId: string): Promise<Traced<{ isolation?: string; untrack?: string }>>;

  /** Evidence snapshots already taken for this finding, instance and generation (`DescribeSnapshots`). */
  findEvidenceSnapshots(input: {
    findingId: string;
    instanceId: string;
    generation: number;
  }): Promise<Traced<SnapshotRef[]>>;

  /** Starts a snapshot of one volume, tagged with the finding; does not wait for it to complete. */
  createSnapshot(input: {
    volumeId: string;
    device?: string;
    instanceId: string;
    findingId: string;
    generation: number;
  }): Promise<Traced<SnapshotRef>>;

  /** Sets termination and/or stop protection (`ModifyInstanceAttribute`, one call per attribute). */
  setProtections(
    instanceId: string,
    protections: Partial<InstanceProtections>
  ): Promise<Traced<void>>;

  /** Adds or overwrites tags on the instance (`CreateTags`). */
  tagInstance(instanceId: string, tags: Record<string, string>): Promise<Traced<void>>;

  /** Removes tags, only where they still have the given values (`DeleteTags`). */
  untagInstance(instanceId: string, tags: Record<string, string>): Promise<Traced<void>>;

  /**
   * Finds or creates the VPC's isolation group (`guardduty-isolation-<vpcId>`, tagged
   * `guardduty-bot:isolation=true`) and makes sure it has no rule in either direction.
   */
  ensureIsolationGroup(vpcId: string): Promise<Traced<{ groupId: string; created: boolean }>>;

  /**
   * Finds or creates the VPC's temporary allow-all group (`guardduty-untrack-<vpcId>`): all
   * traffic in and out, IPv4 and IPv6. It is kept and reused; interfaces only stay in it for the hold.
   */
  ensureUntrackGroup(vpcId: string): Promise<Traced<{ groupId: string; created: boolean }>>;

  /** Replaces an interface's groups (`ModifyNetworkInterfaceAttribute`). */
  setEniGroups(eniId: string, groups: string[]): Promise<Traced<void>>;

  /** Puts the instance in Standby, decrementing the desired capacity so it is not replaced. */
  enterStandby(groupName: string, instanceId: string): Promise<Traced<void>>;

  /** Returns the instance from Standby to service. */
  exitStandby(groupName: string, instanceId: string): Promise<Traced<void>>;

  /** Detaches the instance from its group, decrementing the desired capacity. */
  detachFromAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>>;

  /** Attaches the instance to a group again (raises the desired capacity by one). */
  attachToAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>>;

  /** Deregisters a target; a target that is not registered counts as done. */
  deregisterTarget(membership: TargetGroupMembership): Promise<Traced<void>>;

  /** Registers a target again. */
  registerTarget(membership: TargetGroupMembership): Promise<Traced<void>>;

  /** Deregisters the instance from a classic load balancer. */
  deregisterFromClassic(loadBalancerName: string, instanceId: string): Promise<Traced<void>>;

  /** Registers the instance with a classic load balancer again. */
  registerWithClassic(loadBalancerName: string, instanceId: string): Promise<Traced<void>>;

  /**
   * Sends an EC2 mutation with `DryRun: true`: `permitted` for `DryRunOperation`, `denied` for
   * `UnauthorizedOperation`; other errors are thrown. Nothing changes.
   */
  checkPermission(request: DryRunRequest): Promise<Traced<'permitted' | 'denied'>>;
}

/** GuardDuty's view of a finding (`GetFindings`), for the stale-button guard. */
export interface FindingStatusReader {
  findingStatus(input: {
    detectorId: string;
    findingId: string;
  }): Promise<Traced<FindingLiveStatus>>;
}

/** The result of taking the lease. */
export type LeaseResult =
  | {
      acquired: true;
      /** A number no other run of this finding's isolation item got (counts every run). */
      attempt: number;
      /** The isolation record, when there is one. */
      record?: IsolationRecord;
    }
  | { acquired: false; heldUntil?: string };

/**
 * Persistence of the isolation record (one item per finding) and of the lease that lets only one
 * run act on it at a time. Writes are conditional: the original state is written once per
 * generation and never changed, and only the lease holder can save.
 */
export interface IsolationStateStore {
  /** The record, or undefined when the finding was never isolated. */
  get(findingId: string): Promise<IsolationRecord | undefined>;

  /**
   * Takes the finding's lease for `leaseMs` unless another run holds an unexpired one, and returns
   * the record in the same round trip.
   */
  acquireLease(findingId: string, owner: string, now: Date, leaseMs: number): Promise<LeaseResult>;

  /** Gives the lease up (no-op when `owner` no longer holds it). */
  releaseLease(findingId: string, owner: string): Promise<void>;

  /**
   * Writes a new record with its original state. Succeeds only while `owner` holds the lease and
   * there is no record, or the last one is `released` with a lower generation. Returns `conflict`
   * otherwise (nothing written).
   */
  create(
    record: IsolationRecord,
    owner: string,
    now: Date,
    leaseMs: number
  ): Promise<'created' | 'conflict'>;

  /**
   * Saves `status`, `updatedAt`, `completedAt`, `progress` and `release` (never the original state)
   * and extends the lease. Throws `IsolationLeaseLostError` when `owner` lost the lease.
   */
  save(record: IsolationRecord, owner: string, now: Date, leaseMs: number): Promise<void>;
}
