import type { Finding } from '../../src/domain/Finding';
import {
  type AutoScalingMembership,
  type AwsCallRecord,
  ContainmentError,
  type ContainmentErrorCode,
  type DryRunRequest,
  type FindingLiveStatus,
  type InstanceProtections,
  type InstanceView,
  ISOLATION_GROUP_TAG,
  IsolationLeaseLostError,
  type IsolationRecord,
  isolationGroupName,
  type LoadBalancerMemberships,
  SNAPSHOT_TAGS,
  type SnapshotRef,
  type TargetGroupMembership,
  UNTRACK_GROUP_TAG,
  untrackGroupName,
} from '../../src/domain/isolation';
import type {
  ContainmentTarget,
  Ec2Containment,
  FindingStatusReader,
  IsolationStateStore,
  LeaseResult,
  Traced,
} from '../../src/ports/Containment';
import type { AuditEntry } from '../../src/ports/FindingStore';

/** A ContainmentError as the adapter would raise it. */
export const containmentError = (
  code: ContainmentErrorCode,
  call = 'ec2:ModifyNetworkInterfaceAttribute',
  awsCode = code === 'THROTTLED'
    ? 'RequestLimitExceeded'
    : code === 'ACCESS_DENIED'
      ? 'UnauthorizedOperation'
      : code
): ContainmentError =>
  new ContainmentError({
    code,
    call,
    awsCode,
    message: `${awsCode} (fake)`,
    requestId: `req-failed-${awsCode}`,
  });

/** A network interface of the fake account. */
export interface FakeEni {
  id: string;
  vpcId: string;
  subnetId: string;
  groups: string[];
  deviceIndex: number;
  privateIps: string[];
}

/** An instance of the fake account. */
export interface FakeInstance {
  instanceId: string;
  state: string;
  enis: FakeEni[];
  volumes: { volumeId: string; device: string }[];
  tags: Record<string, string>;
  protections: InstanceProtections;
}

/** A security group of the fake account; rules are "all traffic" CIDRs. */
export interface FakeGroup {
  id: string;
  vpcId: string;
  name: string;
  tags: Record<string, string>;
  ingress: string[];
  egress: string[];
}

type Method = Exclude<keyof Ec2Containment, 'roleArn'>;

const MUTATIONS: ReadonlySet<Method> = new Set<Method>([
  'createSnapshot',
  'setProtections',
  'tagInstance',
  'untagInstance',
  'ensureIsolationGroup',
  'ensureUntrackGroup',
  'setEniGroups',
  'enterStandby',
  'exitStandby',
  'detachFromAutoScaling',
  'attachToAutoScaling',
  'deregisterTarget',
  'registerTarget',
  'deregisterFromClassic',
  'registerWithClassic',
]);

const CALL_NAMES: Record<Method, string> = {
  describeInstance: 'ec2:DescribeInstances',
  describeProtections: 'ec2:DescribeInstanceAttribute',
  describeAutoScaling: 'autoscaling:DescribeAutoScalingInstances',
  findLoadBalancers: 'elasticloadbalancing:DescribeTargetHealth',
  findGroups: 'ec2:DescribeSecurityGroups',
  findEvidenceSnapshots: 'ec2:DescribeSnapshots',
  createSnapshot: 'ec2:CreateSnapshot',
  setProtections: 'ec2:ModifyInstanceAttribute',
  tagInstance: 'ec2:CreateTags',
  untagInstance: 'ec2:DeleteTags',
  ensureIsolationGroup: 'ec2:CreateSecurityGroup',
  ensureUntrackGroup: 'ec2:CreateSecurityGroup',
  setEniGroups: 'ec2:ModifyNetworkInterfaceAttribute',
  enterStandby: 'autoscaling:EnterStandby',
  exitStandby: 'autoscaling:ExitStandby',
  detachFromAutoScaling: 'autoscaling:DetachInstances',
  attachToAutoScaling: 'autoscaling:AttachInstances',
  deregisterTarget: 'elasticloadbalancing:DeregisterTargets',
  registerTarget: 'elasticloadbalancing:RegisterTargets',
  deregisterFromClassic: 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
  registerWithClassic: 'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
  checkPermission: 'ec2:DryRun',
};

interface Trap {
  when: (args: unknown[]) => boolean;
  error?: ContainmentError;
  hang?: boolean;
  times: number;
}

/**
 * An in-memory model of one account and region behind the {@link Ec2Containment} port: instances
 * with interfaces, groups and volumes, security groups, snapshots, Auto Scaling groups, target
 * groups and classic load balancers. Every call is logged; `failNext` makes matching calls throw a
 * ContainmentError and `crashOn` makes one never return (a worker that died mid-call).
 */
export class FakeEc2Containment implements Ec2Containment {
  public roleArn: string | undefined;
  readonly instances = new Map<string, FakeInstance>();
  readonly groups = new Map<string, FakeGroup>();
  readonly snapshots: { snapshotId: string; volumeId: string; tags: Record<string, string> }[] = [];
  readonly autoScaling = new Map<string, AutoScalingMembership>();
  readonly desiredCapacity = new Map<string, number>();
  readonly targetGroups: {
    arn: string;
    name: string;
    vpcId: string;
    targets: { id: string; port: number }[];
  }[] = [];
  readonly classic: { name: string; instances: string[] }[] = [];
  /** Every call, in order. */
  readonly log: { method: Method; args: unknown[] }[] = [];
  /** Permission checks the dry run sent. */
  readonly dryRuns: DryRunRequest[] = [];
  /** Permission checks to answer `denied`. */
  readonly deniedDryRuns: ((request: DryRunRequest) => boolean)[] = [];
  /** Called before every mutation (tests assert what was recorded by then). */
  beforeMutation: ((method: Method) => void) | undefined;
  #traps = new Map<Method, Trap[]>();
  #ids = 0;
  #requests = 0;

  public constructor(roleArn?: string) {
    this.roleArn = roleArn;
  }

  /** A web server in vpc-a: two interfaces, two volumes, in an ASG, a target group and a classic LB. */
  public static webAccount(roleArn?: string): FakeEc2Containment {
    const account = new FakeEc2Containment(roleArn);
    account.addInstance({
      instanceId: 'i-0web',
      state: 'running',
      enis: [
        {
          id: 'eni-0primary',
          vpcId: 'vpc-a',
          subnetId: 'subnet-a1',
          groups: ['sg-web', 'sg-ssh'],
          deviceIndex: 0,
          privateIps: ['10.0.1.15'],
        },
        {
          id: 'eni-0second',
          vpcId: 'vpc-a',
          subnetId: 'subnet-a2',
          groups: ['sg-db'],
          deviceIndex: 1,
          privateIps: ['10.0.2.20'],
        },
      ],
      volumes: [
        { volumeId: 'vol-root', device: '/dev/xvda' },
        { volumeId: 'vol-data', device: '/dev/xvdf' },
      ],
      tags: { Name: 'web-01', 'aws:autoscaling:groupName': 'web-asg' },
      protections: { disableApiTermination: false, disableApiStop: false },
    });
    account.autoScaling.set('i-0web', { groupName: 'web-asg', lifecycleState: 'InService' });
    account.desiredCapacity.set('web-asg', 3);
    account.targetGroups.push({
      arn: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-tg/0123456789abcdef',
      name: 'web-tg',
      vpcId: 'vpc-a',
      targets: [{ id: 'i-0web', port: 80 }],
    });
    account.classic.push({ name: 'legacy-elb', instances: ['i-0web'] });
    return account;
  }

  public addInstance(instance: FakeInstance): this {
    this.instances.set(instance.instanceId, instance);
    return this;
  }

  /** The instance's interface, for assertions. */
  public eni(eniId: string): FakeEni {
    for (const instance of this.instances.values()) {
      const eni = instance.enis.find((candidate) => candidate.id === eniId);
      if (eni) return eni;
    }
    throw new Error(`no interface ${eniId}`);
  }

  /** Makes the next `times` calls of `method` (matching `when`) throw `error`. */
  public failNext(
    method: Method,
    error: ContainmentError,
    options: { times?: number; when?: (args: unknown[]) => boolean } = {}
  ): this {
    this.#trap(method, { error, times: options.times ?? 1, when: options.when ?? (() => true) });
    return this;
  }

  /** Makes the next call of `method` (matching `when`) never return: the worker "crashes" there. */
  public crashOn(method: Method, when: (args: unknown[]) => boolean = () => true): this {
    this.#trap(method, { hang: true, times: 1, when });
    return this;
  }

  /** Mutating calls made so far. */
  public mutations(): { method: Method; args: unknown[] }[] {
    return this.log.filter((entry) => MUTATIONS.has(entry.method));
  }

  /** The isolation group of a VPC, if it exists. */
  public groupNamed(name: string): FakeGroup | undefined {
    return [...this.groups.values()].find((group) => group.name === name);
  }

  // --- the port ---------------------------------------------------------------------------

  public async describeInstance(instanceId: string): Promise<Traced<InstanceView | undefined>> {
    const calls = await this.#enter('describeInstance', [instanceId], instanceId);
    const instance = this.instances.get(instanceId);
    if (!instance) return { value: undefined, calls };
    return {
      value: {
        instanceId,
        state: instance.state,
        enis: instance.enis.map((eni) => ({
          ...eni,
          groups: [...eni.groups],
          privateIps: [...eni.privateIps],
        })),
        volumes: instance.volumes.map((volume) => ({ ...volume })),
        tags: { ...instance.tags },
      },
      calls,
    };
  }

  public async describeProtections(instanceId: string): Promise<Traced<InstanceProtections>> {
    const calls = await this.#enter('describeProtections', [instanceId], instanceId);
    return { value: { ...this.#instance(instanceId).protections }, calls };
  }

  public async describeAutoScaling(
    instanceId: string
  ): Promise<Traced<AutoScalingMembership | undefined>> {
    const calls = await this.#enter('describeAutoScaling', [instanceId], instanceId);
    const membership = this.autoScaling.get(instanceId);
    return { value: membership ? { ...membership } : undefined, calls };
  }

  public async findLoadBalancers(input: {
    instanceId: string;
    vpcIds: string[];
    privateIps: string[];
    maxTargetGroups: number;
  }): Promise<Traced<LoadBalancerMemberships>> {
    const calls = await this.#enter('findLoadBalancers', [input], input.instanceId);
    const ids = new Set([input.instanceId, ...input.privateIps]);
    const scoped = this.targetGroups.filter(
      (group) => input.vpcIds.length === 0 || input.vpcIds.includes(group.vpcId)
    );
    const scanned = scoped.slice(0, input.maxTargetGroups);
    const targetGroups: TargetGroupMembership[] = scanned.flatMap((group) =>
      group.targets
        .filter((target) => ids.has(target.id))
        .map((target) => ({
          targetGroupArn: group.arn,
          targetGroupName: group.name,
          targetId: target.id,
          port: target.port,
        }))
    );
    return {
      value: {
        targetGroups,
        classic: this.classic
          .filter((lb) => lb.instances.includes(input.instanceId))
          .map((lb) => lb.name),
        truncated: scoped.length > scanned.length,
      },
      calls,
    };
  }

  public async findGroups(
    vpcId: string
  ): Promise<Traced<{ isolation?: string; untrack?: string }>> {
    const calls = await this.#enter('findGroups', [vpcId], vpcId);
    const isolation = this.groupNamed(isolationGroupName(vpcId))?.id;
    const untrack = this.groupNamed(untrackGroupName(vpcId))?.id;
    return {
      value: {
        ...(isolation === undefined ? {} : { isolation }),
        ...(untrack === undefined ? {} : { untrack }),
      },
      calls,
    };
  }

  public async findEvidenceSnapshots(input: {
    findingId: string;
    instanceId: string;
    generation: number;
  }): Promise<Traced<SnapshotRef[]>> {
    const calls = await this.#enter('findEvidenceSnapshots', [input], input.instanceId);
    const value = this.snapshots
      .filter(
        (snapshot) =>
          snapshot.tags[SNAPSHOT_TAGS.finding] === input.findingId &&
          snapshot.tags[SNAPSHOT_TAGS.instance] === input.instanceId &&
          snapshot.tags[SNAPSHOT_TAGS.generation] === String(input.generation)
      )
      .map((snapshot) => ({
        volumeId: snapshot.volumeId,
        snapshotId: snapshot.snapshotId,
        ...(snapshot.tags[SNAPSHOT_TAGS.device] === undefined
          ? {}
          : { device: snapshot.tags[SNAPSHOT_TAGS.device] }),
      }));
    return { value, calls };
  }

  public async createSnapshot(input: {
    volumeId: string;
    device?: string;
    instanceId: string;
    findingId: string;
    generation: number;
  }): Promise<Traced<SnapshotRef>> {
    const calls = await this.#enter('createSnapshot', [input], input.volumeId);
    const snapshotId = `snap-${++this.#ids}`;
    this.snapshots.push({
      snapshotId,
      volumeId: input.volumeId,
      tags: {
        [SNAPSHOT_TAGS.finding]: input.findingId,
        [SNAPSHOT_TAGS.instance]: input.instanceId,
        [SNAPSHOT_TAGS.generation]: String(input.generation),
        ...(input.device === undefined ? {} : { [SNAPSHOT_TAGS.device]: input.device }),
      },
    });
    return {
      value: {
        volumeId: input.volumeId,
        snapshotId,
        ...(input.device === undefined ? {} : { device: input.device }),
      },
      calls,
    };
  }

  public async setProtections(
    instanceId: string,
    protections: Partial<InstanceProtections>
  ): Promise<Traced<void>> {
    const calls = await this.#enter('setProtections', [instanceId, protections], instanceId);
    Object.assign(this.#instance(instanceId).protections, protections);
    return { value: undefined, calls };
  }

  public async tagInstance(
    instanceId: string,
    tags: Record<string, string>
  ): Promise<Traced<void>> {
    const calls = await this.#enter('tagInstance', [instanceId, tags], instanceId);
    Object.assign(this.#instance(instanceId).tags, tags);
    return { value: undefined, calls };
  }

  public async untagInstance(
    instanceId: string,
    tags: Record<string, string>
  ): Promise<Traced<void>> {
    const calls = await this.#enter('untagInstance', [instanceId, tags], instanceId);
    const current = this.#instance(instanceId).tags;
    for (const [key, value] of Object.entries(tags)) {
      if (current[key] === value) delete current[key];
    }
    return { value: undefined, calls };
  }

  public async ensureIsolationGroup(
    vpcId: string
  ): Promise<Traced<{ groupId: string; created: boolean }>> {
    const calls = await this.#enter('ensureIsolationGroup', [vpcId], vpcId);
    const name = isolationGroupName(vpcId);
    let group = this.groupNamed(name);
    const created = group === undefined;
    if (!group) {
      group = {
        id: `sg-iso-${vpcId}`,
        vpcId,
        name,
        tags: { [ISOLATION_GROUP_TAG]: 'true' },
        ingress: [],
        egress: ['0.0.0.0/0'],
      };
      this.groups.set(group.id, group);
    }
    group.ingress = [];
    group.egress = [];
    return { value: { groupId: group.id, created }, calls };
  }

  public async ensureUntrackGroup(
    vpcId: string
  ): Promise<Traced<{ groupId: string; created: boolean }>> {
    const calls = await this.#enter('ensureUntrackGroup', [vpcId], vpcId);
    const name = untrackGroupName(vpcId);
    let group = this.groupNamed(name);
    const created = group === undefined;
    if (!group) {
      group = {
        id: `sg-untrack-${vpcId}`,
        vpcId,
        name,
        tags: { [UNTRACK_GROUP_TAG]: 'true' },
        ingress: [],
        egress: [],
      };
      this.groups.set(group.id, group);
    }
    group.ingress = ['0.0.0.0/0', '::/0'];
    group.egress = ['0.0.0.0/0', '::/0'];
    return { value: { groupId: group.id, created }, calls };
  }

  public async setEniGroups(eniId: string, groups: string[]): Promise<Traced<void>> {
    const calls = await this.#enter('setEniGroups', [eniId, groups], eniId);
    this.eni(eniId).groups = [...groups];
    return { value: undefined, calls };
  }

  public async enterStandby(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = await this.#enter('enterStandby', [groupName, instanceId], groupName);
    const membership = this.#membership(groupName, instanceId, 'enterStandby');
    if (membership.lifecycleState !== 'InService') {
      throw containmentError('INVALID_STATE', 'autoscaling:EnterStandby', 'ValidationError');
    }
    membership.lifecycleState = 'Standby';
    this.desiredCapacity.set(groupName, (this.desiredCapacity.get(groupName) ?? 1) - 1);
    return { value: undefined, calls };
  }

  public async exitStandby(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = await this.#enter('exitStandby', [groupName, instanceId], groupName);
    const membership = this.#membership(groupName, instanceId, 'exitStandby');
    if (membership.lifecycleState !== 'Standby') {
      throw containmentError('INVALID_STATE', 'autoscaling:ExitStandby', 'ValidationError');
    }
    membership.lifecycleState = 'InService';
    this.desiredCapacity.set(groupName, (this.desiredCapacity.get(groupName) ?? 0) + 1);
    return { value: undefined, calls };
  }

  public async detachFromAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = await this.#enter('detachFromAutoScaling', [groupName, instanceId], groupName);
    this.#membership(groupName, instanceId, 'detachFromAutoScaling');
    this.autoScaling.delete(instanceId);
    this.desiredCapacity.set(groupName, (this.desiredCapacity.get(groupName) ?? 1) - 1);
    return { value: undefined, calls };
  }

  public async attachToAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = await this.#enter('attachToAutoScaling', [groupName, instanceId], groupName);
    this.autoScaling.set(instanceId, { groupName, lifecycleState: 'InService' });
    this.desiredCapacity.set(groupName, (this.desiredCapacity.get(groupName) ?? 0) + 1);
    return { value: undefined, calls };
  }

  public async deregisterTarget(membership: TargetGroupMembership): Promise<Traced<void>> {
    const calls = await this.#enter('deregisterTarget', [membership], membership.targetGroupArn);
    const group = this.targetGroups.find(
      (candidate) => candidate.arn === membership.targetGroupArn
    );
    if (group) group.targets = group.targets.filter((target) => target.id !== membership.targetId);
    return { value: undefined, calls };
  }

  public async registerTarget(membership: TargetGroupMembership): Promise<Traced<void>> {
    const calls = await this.#enter('registerTarget', [membership], membership.targetGroupArn);
    const group = this.targetGroups.find(
      (candidate) => candidate.arn === membership.targetGroupArn
    );
    if (group && !group.targets.some((target) => target.id === membership.targetId)) {
      group.targets.push({ id: membership.targetId, port: membership.port ?? 80 });
    }
    return { value: undefined, calls };
  }

  public async deregisterFromClassic(
    loadBalancerName: string,
    instanceId: string
  ): Promise<Traced<void>> {
    const calls = await this.#enter(
      'deregisterFromClassic',
      [loadBalancerName, instanceId],
      loadBalancerName
    );
    const lb = this.classic.find((candidate) => candidate.name === loadBalancerName);
    if (lb) lb.instances = lb.instances.filter((id) => id !== instanceId);
    return { value: undefined, calls };
  }

  public async registerWithClassic(
    loadBalancerName: string,
    instanceId: string
  ): Promise<Traced<void>> {
    const calls = await this.#enter(
      'registerWithClassic',
      [loadBalancerName, instanceId],
      loadBalancerName
    );
    const lb = this.classic.find((candidate) => candidate.name === loadBalancerName);
    if (lb && !lb.instances.includes(instanceId)) lb.instances.push(instanceId);
    return { value: undefined, calls };
  }

  public async checkPermission(request: DryRunRequest): Promise<Traced<'permitted' | 'denied'>> {
    const calls = await this.#enter('checkPermission', [request], request.op);
    this.dryRuns.push(request);
    const denied = this.deniedDryRuns.some((matches) => matches(request));
    const last = calls.at(-1);
    if (last) {
      last.call = `ec2:${request.op}`;
      last.result = denied ? 'dry-run-denied' : 'dry-run-permitted';
    }
    return { value: denied ? 'denied' : 'permitted', calls };
  }

  // --- plumbing -----------------------------------------------------------------------------

  #trap(method: Method, trap: Trap): void {
    const traps = this.#traps.get(method) ?? [];
    traps.push(trap);
    this.#traps.set(method, traps);
  }

  async #enter(method: Method, args: unknown[], resource: string): Promise<AwsCallRecord[]> {
    this.log.push({ method, args });
    if (MUTATIONS.has(method)) this.beforeMutation?.(method);
    const traps = this.#traps.get(method) ?? [];
    const trap = traps.find((candidate) => candidate.times > 0 && candidate.when(args));
    if (trap) {
      trap.times -= 1;
      if (trap.hang) await new Promise<never>(() => undefined);
      if (trap.error) throw trap.error;
    }
    this.#requests += 1;
    return [
      { call: CALL_NAMES[method], resource, requestId: `req-${this.#requests}`, result: 'ok' },
    ];
  }

  #instance(instanceId: string): FakeInstance {
    const instance = this.instances.get(instanceId);
    if (!instance) throw containmentError('NOT_FOUND', 'ec2:DescribeInstances');
    return instance;
  }

  #membership(groupName: string, instanceId: string, method: Method): AutoScalingMembership {
    const membership = this.autoScaling.get(instanceId);
    if (!membership || membership.groupName !== groupName) {
      throw containmentError('INVALID_STATE', CALL_NAMES[method], 'ValidationError');
    }
    return membership;
  }
}

/** GuardDuty's view of findings: open unless archived or unknown. Records the targets asked. */
export class FakeFindingStatus implements FindingStatusReader {
  readonly statuses = new Map<string, FindingLiveStatus>();
  readonly asked: { target?: ContainmentTarget; detectorId: string; findingId: string }[] = [];
  #target: ContainmentTarget | undefined;
  #error: ContainmentError | undefined;

  /** A reader bound to a target, sharing this fake's state (what the service's factory returns). */
  public forTarget(target: ContainmentTarget): FindingStatusReader {
    return {
      findingStatus: (input) => {
        this.#target = target;
        return this.findingStatus(input);
      },
    };
  }

  /** Makes the next call fail. */
  public failNext(error: ContainmentError): this {
    this.#error = error;
    return this;
  }

  public async findingStatus(input: {
    detectorId: string;
    findingId: string;
  }): Promise<Traced<FindingLiveStatus>> {
    this.asked.push({ ...input, ...(this.#target ? { target: this.#target } : {}) });
    const error = this.#error;
    this.#error = undefined;
    if (error) throw error;
    return {
      value: this.statuses.get(input.findingId) ?? 'open',
      calls: [
        {
          call: 'guardduty:GetFindings',
          resource: input.findingId,
          requestId: 'req-gd',
          result: 'ok',
        },
      ],
    };
  }
}

interface StoredItem {
  leaseOwner?: string;
  leaseUntil?: number;
  attempts: number;
  record?: IsolationRecord;
}

/**
 * The isolation state store in memory, with the DynamoDB adapter's conditions: lease with expiry,
 * originals written once per generation, saves only by the lease holder. Records are cloned on the
 * way in and out, as a database would.
 */
export class InMemoryIsolationStateStore implements IsolationStateStore {
  readonly items = new Map<string, StoredItem>();
  /** How many times `create` wrote a record. */
  creates = 0;
  #crashOnSave: ((record: IsolationRecord) => boolean) | undefined;

  /** Makes the first save matching `when` never return: the worker "crashes" before saving. */
  public crashOnSave(when: (record: IsolationRecord) => boolean): this {
    this.#crashOnSave = when;
    return this;
  }

  /** The stored record, for assertions (a clone). */
  public peek(findingId: string): IsolationRecord | undefined {
    const record = this.items.get(findingId)?.record;
    return record ? structuredClone(record) : undefined;
  }

  public async get(findingId: string): Promise<IsolationRecord | undefined> {
    return this.peek(findingId);
  }

  public async acquireLease(
    findingId: string,
    owner: string,
    now: Date,
    leaseMs: number
  ): Promise<LeaseResult> {
    const item = this.items.get(findingId) ?? { attempts: 0 };
    if (item.leaseUntil !== undefined && item.leaseUntil >= now.getTime()) {
      return { acquired: false, heldUntil: new Date(item.leaseUntil).toISOString() };
    }
    item.leaseOwner = owner;
    item.leaseUntil = now.getTime() + leaseMs;
    item.attempts += 1;
    this.items.set(findingId, item);
    return {
      acquired: true,
      attempt: item.attempts,
      ...(item.record ? { record: structuredClone(item.record) } : {}),
    };
  }

  public async releaseLease(findingId: string, owner: string): Promise<void> {
    const item = this.items.get(findingId);
    if (item?.leaseOwner !== owner) return;
    delete item.leaseOwner;
    delete item.leaseUntil;
  }

  public async create(
    record: IsolationRecord,
    owner: string,
    now: Date,
    leaseMs: number
  ): Promise<'created' | 'conflict'> {
    const item = this.items.get(record.findingId);
    if (!item || item.leaseOwner !== owner) return 'conflict';
    const previous = item.record;
    if (previous && !(previous.generation < record.generation && previous.status === 'released')) {
      return 'conflict';
    }
    item.record = structuredClone(record);
    item.leaseUntil = now.getTime() + leaseMs;
    this.creates += 1;
    return 'created';
  }

  public async save(
    record: IsolationRecord,
    owner: string,
    now: Date,
    leaseMs: number
  ): Promise<void> {
    if (this.#crashOnSave?.(record)) {
      this.#crashOnSave = undefined;
      await new Promise<never>(() => undefined);
    }
    const item = this.items.get(record.findingId);
    const stored = item?.record;
    if (!item || !stored || item.leaseOwner !== owner || stored.generation !== record.generation) {
      throw new IsolationLeaseLostError(record.findingId);
    }
    // The original state and identity are immutable: only the mutable parts are taken.
    item.record = structuredClone({
      ...stored,
      status: record.status,
      updatedAt: record.updatedAt,
      progress: record.progress,
      ...(record.completedAt === undefined ? {} : { completedAt: record.completedAt }),
      ...(record.release === undefined ? {} : { release: record.release }),
    });
    if (record.completedAt === undefined) delete item.record.completedAt;
    item.leaseUntil = now.getTime() + leaseMs;
  }
}

/** The audit stream in memory: a repeated (kind, dedupeKey) of a finding is kept once. */
export class FakeAuditLog {
  readonly entries: (AuditEntry & { findingId: string })[] = [];

  /** The function the service takes as `audit`. */
  public readonly append = async (
    findingId: string,
    entry: AuditEntry
  ): Promise<'appended' | 'duplicate'> => {
    const duplicate = this.entries.some(
      (existing) =>
        existing.findingId === findingId &&
        existing.kind === entry.kind &&
        existing.dedupeKey === entry.dedupeKey
    );
    if (duplicate) return 'duplicate';
    this.entries.push({ ...structuredClone(entry), findingId });
    return 'appended';
  };

  public ofKind(kind: string): (AuditEntry & { findingId: string })[] {
    return this.entries.filter((entry) => entry.kind === kind);
  }
}

export { FakeClock } from './FakeClock';

/** A GuardDuty instance finding for an instance of the fake account, showing its groups now. */
export const findingFor = (
  account: FakeEc2Containment,
  instanceId: string,
  overrides: Partial<Finding> = {}
): Finding => {
  const instance = account.instances.get(instanceId);
  if (!instance) throw new Error(`no instance ${instanceId}`);
  const accountId = overrides.accountId ?? '123456789012';
  const id = overrides.id ?? '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';
  return {
    id,
    source: 'guardduty',
    arn: `arn:aws:guardduty:us-west-2:${accountId}:detector/6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c/finding/${id}`,
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    title: `203.0.113.45 is performing SSH brute force attacks against ${instanceId}.`,
    description: 'SSH brute force.',
    severity: 5,
    accountId,
    region: 'us-west-2',
    partition: 'aws',
    detectorId: '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c',
    createdAt: '2025-03-11T13:58:40.113Z',
    updatedAt: '2025-03-11T14:05:12.870Z',
    count: 37,
    archived: false,
    sample: false,
    resource: {
      kind: 'Instance',
      instanceId,
      state: instance.state,
      ...(instance.tags['aws:autoscaling:groupName'] === undefined
        ? {}
        : { autoScalingGroup: instance.tags['aws:autoscaling:groupName'] }),
      tags: { ...instance.tags },
      networkInterfaces: instance.enis.map((eni) => ({
        id: eni.id,
        vpcId: eni.vpcId,
        subnetId: eni.subnetId,
        privateIp: eni.privateIps[0],
        securityGroups: eni.groups.map((group) => ({ id: group })),
      })),
    },
    threatListNames: [],
    ...overrides,
  };
};
