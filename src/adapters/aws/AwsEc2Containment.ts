import {
  AttachInstancesCommand,
  type AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Instance,
  type IpPermission,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  type AutoScalingMembership,
  type AwsCallRecord,
  ContainmentError,
  type ContainmentErrorCode,
  type DryRunRequest,
  type InstanceProtections,
  type InstanceView,
  ISOLATION_GROUP_TAG,
  isolationGroupName,
  type LoadBalancerMemberships,
  SNAPSHOT_TAGS,
  type SnapshotRef,
  type TargetGroupMembership,
  UNTRACK_GROUP_TAG,
  untrackGroupName,
} from '../../domain/isolation';
import type { Ec2Containment, Traced } from '../../ports/Containment';
import type { AwsClientFactory, AwsTarget } from './AwsClientFactory';

// ---------------------------------------------------------------------------------------------
// Error translation and traced calls (shared with AwsGuardDutyStatus)
// ---------------------------------------------------------------------------------------------

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
]);
const DENIED = new Set([
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'UnauthorizedException',
]);
const INVALID_STATE = new Set([
  'IncorrectInstanceState',
  'IncorrectState',
  'ValidationError',
  'ScalingActivityInProgress',
  'ScalingActivityInProgressFault',
  'ResourceContention',
  'ResourceContentionFault',
  'UnsupportedOperation',
  'OperationNotPermitted',
  'InvalidParameterCombination',
]);

interface AwsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { requestId?: string };
}

/** The AWS error code of an SDK error (`UnauthorizedOperation`, `InvalidGroup.NotFound`…). */
export const awsErrorCode = (error: unknown): string => {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  return shape.Code ?? shape.name ?? 'Unknown';
};

const requestIdOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null
    ? (value as AwsErrorShape).$metadata?.requestId
    : undefined;

/** Maps an AWS error code to a stable {@link ContainmentErrorCode}. */
export const containmentCodeOf = (awsCode: string): ContainmentErrorCode => {
  if (THROTTLING.has(awsCode)) return 'THROTTLED';
  if (DENIED.has(awsCode)) return 'ACCESS_DENIED';
  if (/NotFound|^InvalidTarget|^InvalidEndPoint/.test(awsCode)) return 'NOT_FOUND';
  if (INVALID_STATE.has(awsCode)) return 'INVALID_STATE';
  return 'AWS_ERROR';
};

/** Retry settings for throttled calls, on top of the SDK's own `maxAttempts`. */
export interface ThrottleRetry {
  /** Extra attempts after a throttled call. @default 3 */
  retries?: number;
  /** First backoff; doubled each attempt, with jitter. @default 250 */
  baseDelayMs?: number;
  /** How to wait (tests pass an instant one). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one AWS call, records it in `calls` (request id and result), retries throttling with
 * bounded exponential backoff, and turns failures into {@link ContainmentError}. `tolerate` lists
 * AWS error codes that count as success (e.g. `InvalidPermission.NotFound` on a revoke): the
 * call then resolves to undefined.
 */
export const callAws = async <T>(
  calls: AwsCallRecord[],
  call: string,
  resource: string | undefined,
  send: () => Promise<T>,
  retry: ThrottleRetry = {},
  tolerate: readonly string[] = []
): Promise<T | undefined> => {
  const retries = retry.retries ?? 3;
  const base = retry.baseDelayMs ?? 250;
  const sleep = retry.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const output = await send();
      const requestId = requestIdOf(output);
      calls.push({
        call,
        ...(resource === undefined ? {} : { resource }),
        ...(requestId === undefined ? {} : { requestId }),
        result: 'ok',
      });
      return output;
    } catch (error) {
      const awsCode = awsErrorCode(error);
      const code = containmentCodeOf(awsCode);
      const requestId = requestIdOf(error);
      const tolerated = tolerate.includes(awsCode);
      calls.push({
        call,
        ...(resource === undefined ? {} : { resource }),
        ...(requestId === undefined ? {} : { requestId }),
        result: tolerated ? `ok (${awsCode})` : code,
      });
      if (tolerated) return undefined;
      if (code === 'THROTTLED' && attempt < retries) {
        // Full jitter keeps many workers from retrying in lockstep.
        await sleep(Math.round(base * 2 ** attempt * (0.5 + Math.random() / 2)));
        continue;
      }
      throw new ContainmentError(
        {
          code,
          call,
          awsCode,
          message: error instanceof Error ? error.message : String(error),
          ...(requestId === undefined ? {} : { requestId }),
          calls: [...calls],
        },
        { cause: error }
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// The adapter
// ---------------------------------------------------------------------------------------------

/** The clients the adapter uses, created lazily (assuming a member role only when needed). */
export interface AwsEc2ContainmentClients {
  ec2: () => Promise<EC2Client>;
  autoScaling: () => Promise<AutoScalingClient>;
  elbv2: () => Promise<ElasticLoadBalancingV2Client>;
  elb: () => Promise<ElasticLoadBalancingClient>;
}

/** Options of {@link AwsEc2Containment}. */
export interface AwsEc2ContainmentOptions {
  /** The role the clients act through, reported to the audit. */
  roleArn?: string;
  retry?: ThrottleRetry;
}

const ALL_TRAFFIC_V4: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const ALL_TRAFFIC_V6: IpPermission = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

const hasAllTraffic = (permissions: IpPermission[] | undefined, cidr: string): boolean =>
  (permissions ?? []).some(
    (permission) =>
      permission.IpProtocol === '-1' &&
      ((permission.IpRanges ?? []).some((range) => range.CidrIp === cidr) ||
        (permission.Ipv6Ranges ?? []).some((range) => range.CidrIpv6 === cidr))
  );

const tagsToRecord = (tags: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries(
    (tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']]))
  ) as Record<string, string>;

const toTags = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

const ISOLATION_DESCRIPTION =
  'GuardDuty bot isolation group: no inbound and no outbound rules. Do not add rules.';
const UNTRACK_DESCRIPTION =
  'GuardDuty bot temporary allow-all group: interfaces pass through it for seconds so tracked connections become untracked, then move to the isolation group.';

/** Page size for DescribeTargetGroups (the API's maximum is 400). */
const TARGET_GROUP_PAGE = 100;
/** Pages of target groups read at most, in scope or not: the scan stays bounded in big accounts. */
const MAX_TARGET_GROUP_PAGES = 20;

/**
 * {@link Ec2Containment} on the AWS SDK: EC2, Auto Scaling, ELBv2 and classic ELB in one account
 * and region. SDK errors become {@link ContainmentError} (`ACCESS_DENIED`, `THROTTLED`, `NOT_FOUND`,
 * `INVALID_STATE`, `AWS_ERROR`) with the SDK error as `cause`; throttling is retried with backoff
 * on top of the SDK's own retries.
 *
 * Groups it manages, per VPC: `guardduty-isolation-<vpcId>` (tag `guardduty-bot:isolation=true`,
 * no rules at all) and `guardduty-untrack-<vpcId>` (tag `guardduty-bot:untrack=true`, all traffic
 * in and out, IPv4 and IPv6). Both are kept and reused; interfaces stay in the allow-all group only
 * for the service's hold, and no interface is in it between isolations.
 */
export class AwsEc2Containment implements Ec2Containment {
  public readonly roleArn: string | undefined;
  readonly #clients: AwsEc2ContainmentClients;
  readonly #retry: ThrottleRetry;

  public constructor(clients: AwsEc2ContainmentClients, options: AwsEc2ContainmentOptions = {}) {
    this.#clients = clients;
    this.roleArn = options.roleArn;
    this.#retry = options.retry ?? {};
  }

  /** The adapter for a finding's account and region, on the factory's (possibly assumed-role) clients. */
  public static forTarget(
    factory: AwsClientFactory,
    target: AwsTarget,
    options: Omit<AwsEc2ContainmentOptions, 'roleArn'> = {}
  ): AwsEc2Containment {
    const roleArn = factory.roleArnFor(target);
    return new AwsEc2Containment(
      {
        ec2: () => factory.ec2(target),
        autoScaling: () => factory.autoScaling(target),
        elbv2: () => factory.elbv2(target),
        elb: () => factory.elb(target),
      },
      { ...options, ...(roleArn === undefined ? {} : { roleArn }) }
    );
  }

  public async describeInstance(instanceId: string): Promise<Traced<InstanceView | undefined>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    let output: DescribeInstancesCommandOutput | undefined;
    try {
      output = await this.#call(calls, 'ec2:DescribeInstances', instanceId, () =>
        ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
      );
    } catch (error) {
      if (error instanceof ContainmentError && error.code === 'NOT_FOUND') {
        return { value: undefined, calls };
      }
      throw error;
    }
    const instance: Instance | undefined = (output?.Reservations ?? [])
      .flatMap((reservation) => reservation.Instances ?? [])
      .find((candidate) => candidate.InstanceId === instanceId);
    if (!instance) return { value: undefined, calls };
    const enis = (instance.NetworkInterfaces ?? [])
      .flatMap((eni) => {
        const id = eni.NetworkInterfaceId;
        const vpcId = eni.VpcId ?? instance.VpcId;
        if (id === undefined || vpcId === undefined) return [];
        return [
          {
            id,
            vpcId,
            ...(eni.SubnetId === undefined ? {} : { subnetId: eni.SubnetId }),
            groups: (eni.Groups ?? []).flatMap((group) =>
              group.GroupId === undefined ? [] : [group.GroupId]
            ),
            ...(eni.Attachment?.DeviceIndex === undefined
              ? {}
              : { deviceIndex: eni.Attachment.DeviceIndex }),
            privateIps: (eni.PrivateIpAddresses ?? []).flatMap((ip) =>
              ip.PrivateIpAddress === undefined ? [] : [ip.PrivateIpAddress]
            ),
          },
        ];
      })
      .sort((a, b) => (a.deviceIndex ?? 99) - (b.deviceIndex ?? 99));
    return {
      value: {
        instanceId,
        state: instance.State?.Name ?? 'unknown',
        enis,
        volumes: (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
          mapping.Ebs?.VolumeId === undefined
            ? []
            : [
                {
                  volumeId: mapping.Ebs.VolumeId,
                  ...(mapping.DeviceName === undefined ? {} : { device: mapping.DeviceName }),
                },
              ]
        ),
        tags: tagsToRecord(instance.Tags),
      },
      calls,
    };
  }

  public async describeProtections(instanceId: string): Promise<Traced<InstanceProtections>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    const termination = await this.#call(calls, 'ec2:DescribeInstanceAttribute', instanceId, () =>
      ec2.send(
        new DescribeInstanceAttributeCommand({
          InstanceId: instanceId,
          Attribute: 'disableApiTermination',
        })
      )
    );
    const stop = await this.#call(calls, 'ec2:DescribeInstanceAttribute', instanceId, () =>
      ec2.send(
        new DescribeInstanceAttributeCommand({
          InstanceId: instanceId,
          Attribute: 'disableApiStop',
        })
      )
    );
    return {
      value: {
        disableApiTermination: termination?.DisableApiTermination?.Value === true,
        disableApiStop: stop?.DisableApiStop?.Value === true,
      },
      calls,
    };
  }

  public async describeAutoScaling(
    instanceId: string
  ): Promise<Traced<AutoScalingMembership | undefined>> {
    const calls: AwsCallRecord[] = [];
    const autoScaling = await this.#clients.autoScaling();
    const output = await this.#call(
      calls,
      'autoscaling:DescribeAutoScalingInstances',
      instanceId,
      () => autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }))
    );
    const found = output?.AutoScalingInstances?.find((entry) => entry.InstanceId === instanceId);
    if (!found?.AutoScalingGroupName) return { value: undefined, calls };
    return {
      value: {
        groupName: found.AutoScalingGroupName,
        lifecycleState: found.LifecycleState ?? 'unknown',
      },
      calls,
    };
  }

  public async findLoadBalancers(input: {
    instanceId: string;
    vpcIds: string[];
    privateIps: string[];
    maxTargetGroups: number;
  }): Promise<Traced<LoadBalancerMemberships>> {
    const calls: AwsCallRecord[] = [];
    const elbv2 = await this.#clients.elbv2();
    const inScope = (group: TargetGroup): boolean =>
      (input.vpcIds.length === 0 || input.vpcIds.includes(group.VpcId ?? '')) &&
      (group.TargetType === 'instance' || group.TargetType === 'ip');
    const candidates: TargetGroup[] = [];
    let truncated = false;
    let marker: string | undefined;
    let pages = 0;
    do {
      pages += 1;
      const page = await this.#call(
        calls,
        'elasticloadbalancing:DescribeTargetGroups',
        undefined,
        () =>
          elbv2.send(
            new DescribeTargetGroupsCommand({
              PageSize: TARGET_GROUP_PAGE,
              ...(marker === undefined ? {} : { Marker: marker }),
            })
          )
      );
      for (const group of page?.TargetGroups ?? []) {
        if (!inScope(group)) continue;
        if (candidates.length >= input.maxTargetGroups) {
          truncated = true;
          break;
        }
        candidates.push(group);
      }
      marker = page?.NextMarker;
      if (marker !== undefined && candidates.length >= input.maxTargetGroups) truncated = true;
      if (marker !== undefined && pages >= MAX_TARGET_GROUP_PAGES) truncated = true;
    } while (marker !== undefined && !truncated);

    const targetIds = new Set([input.instanceId, ...input.privateIps]);
    const targetGroups: TargetGroupMembership[] = [];
    for (const group of candidates) {
      const arn = group.TargetGroupArn;
      if (arn === undefined) continue;
      const health = await this.#call(calls, 'elasticloadbalancing:DescribeTargetHealth', arn, () =>
        elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))
      );
      for (const description of health?.TargetHealthDescriptions ?? []) {
        const target = description.Target;
        if (!target?.Id || !targetIds.has(target.Id)) continue;
        // Already on its way out: nothing to deregister, nothing to restore.
        if (description.TargetHealth?.State === 'draining') continue;
        targetGroups.push({
          targetGroupArn: arn,
          targetGroupName: group.TargetGroupName ?? arn,
          targetId: target.Id,
          ...(target.Port === undefined ? {} : { port: target.Port }),
          ...(target.AvailabilityZone === undefined
            ? {}
            : { availabilityZone: target.AvailabilityZone }),
        });
      }
    }

    const elb = await this.#clients.elb();
    const classicPage = await this.#call(
      calls,
      'elasticloadbalancing:DescribeLoadBalancers',
      undefined,
      () => elb.send(new DescribeLoadBalancersCommand({ PageSize: 400 }))
    );
    if (classicPage?.NextMarker !== undefined) truncated = true;
    const classic = (classicPage?.LoadBalancerDescriptions ?? [])
      .filter((lb) => (lb.Instances ?? []).some((i) => i.InstanceId === input.instanceId))
      .flatMap((lb) => (lb.LoadBalancerName === undefined ? [] : [lb.LoadBalancerName]));
    return { value: { targetGroups, classic, truncated }, calls };
  }

  public async findGroups(
    vpcId: string
  ): Promise<Traced<{ isolation?: string; untrack?: string }>> {
    const calls: AwsCallRecord[] = [];
    const groups = await this.#describeGroups(calls, vpcId, [
      isolationGroupName(vpcId),
      untrackGroupName(vpcId),
    ]);
    const idOf = (name: string) => groups.find((group) => group.GroupName === name)?.GroupId;
    const isolation = idOf(isolationGroupName(vpcId));
    const untrack = idOf(untrackGroupName(vpcId));
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
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    const output = await this.#call(calls, 'ec2:DescribeSnapshots', input.instanceId, () =>
      ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [
            { Name: `tag:${SNAPSHOT_TAGS.finding}`, Values: [input.findingId] },
            { Name: `tag:${SNAPSHOT_TAGS.instance}`, Values: [input.instanceId] },
            { Name: `tag:${SNAPSHOT_TAGS.generation}`, Values: [String(input.generation)] },
          ],
        })
      )
    );
    const value = (output?.Snapshots ?? []).flatMap((snapshot) => {
      if (snapshot.SnapshotId === undefined || snapshot.VolumeId === undefined) return [];
      const device = tagsToRecord(snapshot.Tags)[SNAPSHOT_TAGS.device];
      return [
        {
          volumeId: snapshot.VolumeId,
          snapshotId: snapshot.SnapshotId,
          ...(device === undefined ? {} : { device }),
        },
      ];
    });
    return { value, calls };
  }

  public async createSnapshot(input: {
    volumeId: string;
    device?: string;
    instanceId: string;
    findingId: string;
    generation: number;
  }): Promise<Traced<SnapshotRef>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    const output = await this.#call(calls, 'ec2:CreateSnapshot', input.volumeId, () =>
      ec2.send(new CreateSnapshotCommand(this.#snapshotRequest(input)))
    );
    if (!output?.SnapshotId) {
      throw new ContainmentError({
        code: 'AWS_ERROR',
        call: 'ec2:CreateSnapshot',
        awsCode: 'NoSnapshotId',
        message: 'CreateSnapshot returned no snapshot id',
        calls,
      });
    }
    return {
      value: {
        volumeId: input.volumeId,
        snapshotId: output.SnapshotId,
        ...(input.device === undefined ? {} : { device: input.device }),
      },
      calls,
    };
  }

  public async setProtections(
    instanceId: string,
    protections: Partial<InstanceProtections>
  ): Promise<Traced<void>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    // ModifyInstanceAttribute takes one attribute per call.
    if (protections.disableApiTermination !== undefined) {
      const Value = protections.disableApiTermination;
      await this.#call(calls, 'ec2:ModifyInstanceAttribute', instanceId, () =>
        ec2.send(
          new ModifyInstanceAttributeCommand({
            InstanceId: instanceId,
            DisableApiTermination: { Value },
          })
        )
      );
    }
    if (protections.disableApiStop !== undefined) {
      const Value = protections.disableApiStop;
      await this.#call(calls, 'ec2:ModifyInstanceAttribute', instanceId, () =>
        ec2.send(
          new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiStop: { Value } })
        )
      );
    }
    return { value: undefined, calls };
  }

  public tagInstance(instanceId: string, tags: Record<string, string>): Promise<Traced<void>> {
    return this.#act(this.#clients.ec2, 'ec2:CreateTags', instanceId, (ec2) =>
      ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: toTags(tags) }))
    );
  }

  public async untagInstance(
    instanceId: string,
    tags: Record<string, string>
  ): Promise<Traced<void>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    // With a value, DeleteTags removes the tag only where it still has that value.
    await this.#call(calls, 'ec2:DeleteTags', instanceId, () =>
      ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: toTags(tags) }))
    );
    return { value: undefined, calls };
  }

  public async ensureIsolationGroup(
    vpcId: string
  ): Promise<Traced<{ groupId: string; created: boolean }>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    const { group, created } = await this.#findOrCreateGroup(calls, vpcId, 'isolation');
    const groupId = group.GroupId as string;
    if (created) {
      // A new group starts with an allow-all egress rule (IPv4, and IPv6 in dual-stack VPCs).
      for (const permission of [ALL_TRAFFIC_V4, ALL_TRAFFIC_V6]) {
        await this.#call(
          calls,
          'ec2:RevokeSecurityGroupEgress',
          groupId,
          () =>
            ec2.send(
              new RevokeSecurityGroupEgressCommand({
                GroupId: groupId,
                IpPermissions: [permission],
              })
            ),
          ['InvalidPermission.NotFound']
        );
      }
    } else {
      // Someone may have added rules to a reused group: it must stay empty both ways.
      if ((group.IpPermissionsEgress ?? []).length > 0) {
        await this.#call(
          calls,
          'ec2:RevokeSecurityGroupEgress',
          groupId,
          () =>
            ec2.send(
              new RevokeSecurityGroupEgressCommand({
                GroupId: groupId,
                IpPermissions: group.IpPermissionsEgress,
              })
            ),
          ['InvalidPermission.NotFound']
        );
      }
      if ((group.IpPermissions ?? []).length > 0) {
        await this.#call(
          calls,
          'ec2:RevokeSecurityGroupIngress',
          groupId,
          () =>
            ec2.send(
              new RevokeSecurityGroupIngressCommand({
                GroupId: groupId,
                IpPermissions: group.IpPermissions,
              })
            ),
          ['InvalidPermission.NotFound']
        );
      }
    }
    return { value: { groupId, created }, calls };
  }

  public async ensureUntrackGroup(
    vpcId: string
  ): Promise<Traced<{ groupId: string; created: boolean }>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    const { group, created } = await this.#findOrCreateGroup(calls, vpcId, 'untrack');
    const groupId = group.GroupId as string;
    // A new group has the default IPv4 egress rule only.
    const egress = created ? [ALL_TRAFFIC_V4] : (group.IpPermissionsEgress ?? []);
    const ingress = created ? [] : (group.IpPermissions ?? []);
    for (const [permission, cidr] of [
      [ALL_TRAFFIC_V4, '0.0.0.0/0'],
      [ALL_TRAFFIC_V6, '::/0'],
    ] as const) {
      if (!hasAllTraffic(ingress, cidr)) {
        await this.#call(
          calls,
          'ec2:AuthorizeSecurityGroupIngress',
          groupId,
          () =>
            ec2.send(
              new AuthorizeSecurityGroupIngressCommand({
                GroupId: groupId,
                IpPermissions: [permission],
              })
            ),
          ['InvalidPermission.Duplicate']
        );
      }
      if (!hasAllTraffic(egress, cidr)) {
        await this.#call(
          calls,
          'ec2:AuthorizeSecurityGroupEgress',
          groupId,
          () =>
            ec2.send(
              new AuthorizeSecurityGroupEgressCommand({
                GroupId: groupId,
                IpPermissions: [permission],
              })
            ),
          ['InvalidPermission.Duplicate']
        );
      }
    }
    return { value: { groupId, created }, calls };
  }

  public setEniGroups(eniId: string, groups: string[]): Promise<Traced<void>> {
    return this.#act(this.#clients.ec2, 'ec2:ModifyNetworkInterfaceAttribute', eniId, (ec2) =>
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: groups })
      )
    );
  }

  public enterStandby(groupName: string, instanceId: string): Promise<Traced<void>> {
    return this.#act(
      this.#clients.autoScaling,
      'autoscaling:EnterStandby',
      groupName,
      (autoScaling) =>
        autoScaling.send(
          new EnterStandbyCommand({
            AutoScalingGroupName: groupName,
            InstanceIds: [instanceId],
            ShouldDecrementDesiredCapacity: true,
          })
        )
    );
  }

  public exitStandby(groupName: string, instanceId: string): Promise<Traced<void>> {
    return this.#act(
      this.#clients.autoScaling,
      'autoscaling:ExitStandby',
      groupName,
      (autoScaling) =>
        autoScaling.send(
          new ExitStandbyCommand({ AutoScalingGroupName: groupName, InstanceIds: [instanceId] })
        )
    );
  }

  public detachFromAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>> {
    return this.#act(
      this.#clients.autoScaling,
      'autoscaling:DetachInstances',
      groupName,
      (autoScaling) =>
        autoScaling.send(
          new DetachInstancesCommand({
            AutoScalingGroupName: groupName,
            InstanceIds: [instanceId],
            ShouldDecrementDesiredCapacity: true,
          })
        )
    );
  }

  public attachToAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>> {
    return this.#act(
      this.#clients.autoScaling,
      'autoscaling:AttachInstances',
      groupName,
      (autoScaling) =>
        autoScaling.send(
          new AttachInstancesCommand({ AutoScalingGroupName: groupName, InstanceIds: [instanceId] })
        )
    );
  }

  public async deregisterTarget(membership: TargetGroupMembership): Promise<Traced<void>> {
    const calls: AwsCallRecord[] = [];
    const elbv2 = await this.#clients.elbv2();
    await this.#call(
      calls,
      'elasticloadbalancing:DeregisterTargets',
      membership.targetGroupArn,
      () =>
        elbv2.send(
          new DeregisterTargetsCommand({
            TargetGroupArn: membership.targetGroupArn,
            Targets: [targetOf(membership)],
          })
        ),
      ['InvalidTarget', 'InvalidTargetException']
    );
    return { value: undefined, calls };
  }

  public registerTarget(membership: TargetGroupMembership): Promise<Traced<void>> {
    return this.#act(
      this.#clients.elbv2,
      'elasticloadbalancing:RegisterTargets',
      membership.targetGroupArn,
      (elbv2) =>
        elbv2.send(
          new RegisterTargetsCommand({
            TargetGroupArn: membership.targetGroupArn,
            Targets: [targetOf(membership)],
          })
        )
    );
  }

  public async deregisterFromClassic(
    loadBalancerName: string,
    instanceId: string
  ): Promise<Traced<void>> {
    const calls: AwsCallRecord[] = [];
    const elb = await this.#clients.elb();
    await this.#call(
      calls,
      'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
      loadBalancerName,
      () =>
        elb.send(
          new DeregisterInstancesFromLoadBalancerCommand({
            LoadBalancerName: loadBalancerName,
            Instances: [{ InstanceId: instanceId }],
          })
        ),
      ['InvalidInstance', 'InvalidEndPointException']
    );
    return { value: undefined, calls };
  }

  public async registerWithClassic(
    loadBalancerName: string,
    instanceId: string
  ): Promise<Traced<void>> {
    const calls: AwsCallRecord[] = [];
    const elb = await this.#clients.elb();
    await this.#call(
      calls,
      'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
      loadBalancerName,
      () =>
        elb.send(
          new RegisterInstancesWithLoadBalancerCommand({
            LoadBalancerName: loadBalancerName,
            Instances: [{ InstanceId: instanceId }],
          })
        )
    );
    return { value: undefined, calls };
  }

  public async checkPermission(request: DryRunRequest): Promise<Traced<'permitted' | 'denied'>> {
    const calls: AwsCallRecord[] = [];
    const ec2 = await this.#clients.ec2();
    const { call, resource, send } = this.#dryRunCall(ec2, request);
    try {
      await this.#call(calls, call, resource, send);
      // EC2 always answers a DryRun with an error; success would mean DryRun was ignored.
      return { value: 'permitted', calls };
    } catch (error) {
      if (!(error instanceof ContainmentError)) throw error;
      const last = calls.at(-1);
      if (error.awsCode === 'DryRunOperation') {
        if (last) last.result = 'dry-run-permitted';
        return { value: 'permitted', calls };
      }
      if (error.awsCode === 'UnauthorizedOperation') {
        if (last) last.result = 'dry-run-denied';
        return { value: 'denied', calls };
      }
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------

  /** One call that returns nothing of use: traced (request id, result) like every other. */
  async #act<C>(
    client: () => Promise<C>,
    call: string,
    resource: string | undefined,
    send: (client: C) => Promise<unknown>
  ): Promise<Traced<void>> {
    const calls: AwsCallRecord[] = [];
    const resolved = await client();
    await this.#call(calls, call, resource, () => send(resolved));
    return { value: undefined, calls };
  }

  #call<T>(
    calls: AwsCallRecord[],
    call: string,
    resource: string | undefined,
    send: () => Promise<T>,
    tolerate: readonly string[] = []
  ): Promise<T | undefined> {
    return callAws(calls, call, resource, send, this.#retry, tolerate);
  }

  #snapshotRequest(input: {
    volumeId: string;
    device?: string;
    instanceId: string;
    findingId: string;
    generation: number;
  }) {
    const tags: Record<string, string> = {
      Name: `guardduty-evidence-${input.instanceId}`,
      [SNAPSHOT_TAGS.finding]: input.findingId,
      [SNAPSHOT_TAGS.instance]: input.instanceId,
      [SNAPSHOT_TAGS.generation]: String(input.generation),
      ...(input.device === undefined ? {} : { [SNAPSHOT_TAGS.device]: input.device }),
    };
    return {
      VolumeId: input.volumeId,
      Description:
        `GuardDuty finding ${input.findingId}: evidence of ${input.instanceId} ${input.device ?? ''}`
          .trim()
          .slice(0, 255),
      TagSpecifications: [{ ResourceType: 'snapshot' as const, Tags: toTags(tags) }],
    };
  }

  async #describeGroups(
    calls: AwsCallRecord[],
    vpcId: string,
    names: string[]
  ): Promise<SecurityGroup[]> {
    const ec2 = await this.#clients.ec2();
    const output = await this.#call(calls, 'ec2:DescribeSecurityGroups', vpcId, () =>
      ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: names },
          ],
        })
      )
    );
    return output?.SecurityGroups ?? [];
  }

  async #findOrCreateGroup(
    calls: AwsCallRecord[],
    vpcId: string,
    purpose: 'isolation' | 'untrack'
  ): Promise<{ group: SecurityGroup; created: boolean }> {
    const name = purpose === 'isolation' ? isolationGroupName(vpcId) : untrackGroupName(vpcId);
    const existing = (await this.#describeGroups(calls, vpcId, [name])).find(
      (group) => group.GroupName === name && group.GroupId !== undefined
    );
    if (existing) return { group: existing, created: false };
    const ec2 = await this.#clients.ec2();
    try {
      const output = await this.#call(calls, 'ec2:CreateSecurityGroup', vpcId, () =>
        ec2.send(new CreateSecurityGroupCommand(groupRequest(vpcId, purpose)))
      );
      if (output?.GroupId) return { group: { GroupId: output.GroupId }, created: true };
    } catch (error) {
      // Another worker created it between our describe and our create: use theirs.
      if (!(error instanceof ContainmentError) || error.awsCode !== 'InvalidGroup.Duplicate') {
        throw error;
      }
    }
    const raced = (await this.#describeGroups(calls, vpcId, [name])).find(
      (group) => group.GroupName === name && group.GroupId !== undefined
    );
    if (!raced) {
      throw new ContainmentError({
        code: 'NOT_FOUND',
        call: 'ec2:DescribeSecurityGroups',
        awsCode: 'GroupMissing',
        message: `${name} exists according to EC2 but could not be described`,
        calls,
      });
    }
    return { group: raced, created: false };
  }

  #dryRunCall(
    ec2: EC2Client,
    request: DryRunRequest
  ): { call: string; resource: string; send: () => Promise<unknown> } {
    const DryRun = true;
    switch (request.op) {
      case 'CreateSnapshot':
        return {
          call: 'ec2:CreateSnapshot',
          resource: request.volumeId,
          send: () =>
            ec2.send(
              new CreateSnapshotCommand({
                ...this.#snapshotRequest({
                  volumeId: request.volumeId,
                  instanceId: request.instanceId,
                  findingId: 'dry-run',
                  generation: 0,
                  ...(request.device === undefined ? {} : { device: request.device }),
                }),
                DryRun,
              })
            ),
        };
      case 'ModifyInstanceAttribute':
        return {
          call: 'ec2:ModifyInstanceAttribute',
          resource: request.instanceId,
          send: () =>
            ec2.send(
              new ModifyInstanceAttributeCommand({
                InstanceId: request.instanceId,
                ...(request.attribute === 'disableApiTermination'
                  ? { DisableApiTermination: { Value: request.value } }
                  : { DisableApiStop: { Value: request.value } }),
                DryRun,
              })
            ),
        };
      case 'CreateTags':
        return {
          call: 'ec2:CreateTags',
          resource: request.resourceId,
          send: () =>
            ec2.send(
              new CreateTagsCommand({
                Resources: [request.resourceId],
                Tags: toTags(request.tags),
                DryRun,
              })
            ),
        };
      case 'CreateSecurityGroup':
        return {
          call: 'ec2:CreateSecurityGroup',
          resource: request.vpcId,
          send: () =>
            ec2.send(
              new CreateSecurityGroupCommand({
                ...groupRequest(request.vpcId, request.purpose),
                DryRun,
              })
            ),
        };
      case 'RevokeSecurityGroupEgress':
        return {
          call: 'ec2:RevokeSecurityGroupEgress',
          resource: request.groupId,
          send: () =>
            ec2.send(
              new RevokeSecurityGroupEgressCommand({
                GroupId: request.groupId,
                IpPermissions: [request.cidr === '::/0' ? ALL_TRAFFIC_V6 : ALL_TRAFFIC_V4],
                DryRun,
              })
            ),
        };
      case 'AuthorizeSecurityGroupIngress':
        return {
          call: 'ec2:AuthorizeSecurityGroupIngress',
          resource: request.groupId,
          send: () =>
            ec2.send(
              new AuthorizeSecurityGroupIngressCommand({
                GroupId: request.groupId,
                IpPermissions: [ALL_TRAFFIC_V4],
                DryRun,
              })
            ),
        };
      case 'ModifyNetworkInterfaceAttribute':
        return {
          call: 'ec2:ModifyNetworkInterfaceAttribute',
          resource: request.eniId,
          send: () =>
            ec2.send(
              new ModifyNetworkInterfaceAttributeCommand({
                NetworkInterfaceId: request.eniId,
                Groups: request.groups,
                DryRun,
              })
            ),
        };
    }
  }
}

const groupRequest = (vpcId: string, purpose: 'isolation' | 'untrack') => {
  const name = purpose === 'isolation' ? isolationGroupName(vpcId) : untrackGroupName(vpcId);
  const tag = purpose === 'isolation' ? ISOLATION_GROUP_TAG : UNTRACK_GROUP_TAG;
  return {
    GroupName: name,
    Description: purpose === 'isolation' ? ISOLATION_DESCRIPTION : UNTRACK_DESCRIPTION,
    VpcId: vpcId,
    TagSpecifications: [
      {
        ResourceType: 'security-group' as const,
        Tags: [
          { Key: 'Name', Value: name },
          { Key: tag, Value: 'true' },
        ],
      },
    ],
  };
};

const targetOf = (membership: TargetGroupMembership) => ({
  Id: membership.targetId,
  ...(membership.port === undefined ? {} : { Port: membership.port }),
  ...(membership.availabilityZone === undefined
    ? {}
    : { AvailabilityZone: membership.availabilityZone }),
});
