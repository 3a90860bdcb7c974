import 'aws-sdk-client-mock-vitest/extend';
import {
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingInstancesCommand,
  EnterStandbyCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetFindingsCommand, GuardDutyClient } from '@aws-sdk/client-guardduty';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../src/adapters/aws/AwsClientFactory';
import { AwsEc2Containment } from '../../../src/adapters/aws/AwsEc2Containment';
import { AwsGuardDutyStatus } from '../../../src/adapters/aws/AwsGuardDutyStatus';
import { ContainmentError } from '../../../src/domain/isolation';

const ec2Mock = mockClient(EC2Client);
const asgMock = mockClient(AutoScalingClient);
const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const elbMock = mockClient(ElasticLoadBalancingClient);
const gdMock = mockClient(GuardDutyClient);
const stsMock = mockClient(STSClient);

const meta = (requestId: string) => ({ $metadata: { httpStatusCode: 200, requestId } });

const ec2Error = (name: string, requestId = `req-${name}`) =>
  new EC2ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId },
    message: `${name}: simulated`,
  });

const sleeps: number[] = [];
const fastRetry = {
  sleep: async (ms: number) => {
    sleeps.push(ms);
  },
};

const containment = () =>
  new AwsEc2Containment(
    {
      ec2: async () => new EC2Client({ region: 'us-west-2' }),
      autoScaling: async () => new AutoScalingClient({ region: 'us-west-2' }),
      elbv2: async () => new ElasticLoadBalancingV2Client({ region: 'us-west-2' }),
      elb: async () => new ElasticLoadBalancingClient({ region: 'us-west-2' }),
    },
    { retry: fastRetry }
  );

/** A running instance with two interfaces (the second in another subnet) and two volumes. */
const multiEniInstance = {
  ...meta('req-describe'),
  Reservations: [
    {
      ReservationId: 'r-0123456789abcdef0',
      Instances: [
        {
          InstanceId: 'i-0a1b2c3d4e5f60718',
          State: { Code: 16, Name: 'running' as const },
          VpcId: 'vpc-0abc1234def567890',
          SubnetId: 'subnet-0aa11bb22cc33dd44',
          Tags: [
            { Key: 'Name', Value: 'web-01' },
            { Key: 'aws:autoscaling:groupName', Value: 'web-asg' },
          ],
          BlockDeviceMappings: [
            {
              DeviceName: '/dev/xvda',
              Ebs: { VolumeId: 'vol-0root', Status: 'attached' as const },
            },
            { DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-0data', Status: 'attached' as const } },
          ],
          NetworkInterfaces: [
            {
              NetworkInterfaceId: 'eni-0b2b2b2b2b2b2b2b2',
              SubnetId: 'subnet-0bb22cc33dd44ee55',
              VpcId: 'vpc-0abc1234def567890',
              Attachment: { DeviceIndex: 1, Status: 'attached' as const },
              Groups: [{ GroupId: 'sg-0db0db0db0db0db00', GroupName: 'db-clients' }],
              PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.20', Primary: true }],
            },
            {
              NetworkInterfaceId: 'eni-0a1a1a1a1a1a1a1a1',
              SubnetId: 'subnet-0aa11bb22cc33dd44',
              VpcId: 'vpc-0abc1234def567890',
              Attachment: { DeviceIndex: 0, Status: 'attached' as const },
              Groups: [
                { GroupId: 'sg-0123456789abcdef0', GroupName: 'web-tier-sg' },
                { GroupId: 'sg-0fedcba9876543210', GroupName: 'ssh-admin-sg' },
              ],
              PrivateIpAddresses: [
                { PrivateIpAddress: '10.0.1.15', Primary: true },
                { PrivateIpAddress: '10.0.1.16', Primary: false },
              ],
            },
          ],
        },
      ],
    },
  ],
};

describe('Class: AwsEc2Containment', () => {
  beforeEach(() => {
    for (const mock of [ec2Mock, asgMock, elbv2Mock, elbMock, gdMock, stsMock]) mock.reset();
    sleeps.length = 0;
  });
  afterAll(() => {
    for (const mock of [ec2Mock, asgMock, elbv2Mock, elbMock, gdMock, stsMock]) mock.restore();
  });

  describe('Method: describeInstance', () => {
    it('reads every interface with its groups, subnet and IPs, primary first', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves(multiEniInstance);

      // Act
      const { value, calls } = await containment().describeInstance('i-0a1b2c3d4e5f60718');

      // Assess
      expect(value).toEqual({
        instanceId: 'i-0a1b2c3d4e5f60718',
        state: 'running',
        enis: [
          {
            id: 'eni-0a1a1a1a1a1a1a1a1',
            vpcId: 'vpc-0abc1234def567890',
            subnetId: 'subnet-0aa11bb22cc33dd44',
            groups: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
            deviceIndex: 0,
            privateIps: ['10.0.1.15', '10.0.1.16'],
          },
          {
            id: 'eni-0b2b2b2b2b2b2b2b2',
            vpcId: 'vpc-0abc1234def567890',
            subnetId: 'subnet-0bb22cc33dd44ee55',
            groups: ['sg-0db0db0db0db0db00'],
            deviceIndex: 1,
            privateIps: ['10.0.2.20'],
          },
        ],
        volumes: [
          { volumeId: 'vol-0root', device: '/dev/xvda' },
          { volumeId: 'vol-0data', device: '/dev/sdf' },
        ],
        tags: { Name: 'web-01', 'aws:autoscaling:groupName': 'web-asg' },
      });
      expect(calls).toEqual([
        {
          call: 'ec2:DescribeInstances',
          resource: 'i-0a1b2c3d4e5f60718',
          requestId: 'req-describe',
          result: 'ok',
        },
      ]);
    });

    it('returns nothing for an instance EC2 does not know', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound'));

      // Act
      const { value, calls } = await containment().describeInstance('i-0gone');

      // Assess
      expect(value).toBeUndefined();
      expect(calls[0]).toMatchObject({
        result: 'NOT_FOUND',
        requestId: 'req-InvalidInstanceID.NotFound',
      });
    });
  });

  describe('Method: describeProtections', () => {
    it('reads termination and stop protection', async () => {
      // Prepare
      ec2Mock
        .on(DescribeInstanceAttributeCommand, { Attribute: 'disableApiTermination' })
        .resolves({ ...meta('r1'), DisableApiTermination: { Value: true } })
        .on(DescribeInstanceAttributeCommand, { Attribute: 'disableApiStop' })
        .resolves({ ...meta('r2'), DisableApiStop: { Value: false } });

      // Act
      const { value } = await containment().describeProtections('i-0web');

      // Assess
      expect(value).toEqual({ disableApiTermination: true, disableApiStop: false });
    });
  });

  describe('Method: setEniGroups', () => {
    it('replaces the groups of one interface', async () => {
      // Prepare
      ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).resolves(meta('req-move'));

      // Act
      const { calls } = await containment().setEniGroups('eni-0a1a1a1a1a1a1a1a1', [
        'sg-0iso00000000000000',
      ]);

      // Assess
      expect(ec2Mock).toReceiveCommandWith(ModifyNetworkInterfaceAttributeCommand, {
        NetworkInterfaceId: 'eni-0a1a1a1a1a1a1a1a1',
        Groups: ['sg-0iso00000000000000'],
      });
      expect(calls).toEqual([
        {
          call: 'ec2:ModifyNetworkInterfaceAttribute',
          resource: 'eni-0a1a1a1a1a1a1a1a1',
          requestId: 'req-move',
          result: 'ok',
        },
      ]);
    });

    it('retries a throttled call with backoff, recording every attempt', async () => {
      // Prepare
      ec2Mock
        .on(ModifyNetworkInterfaceAttributeCommand)
        .rejectsOnce(ec2Error('RequestLimitExceeded', 'req-throttled-1'))
        .rejectsOnce(ec2Error('RequestLimitExceeded', 'req-throttled-2'))
        .resolves(meta('req-ok'));

      // Act
      const { calls } = await containment().setEniGroups('eni-0a1', ['sg-0iso']);

      // Assess
      expect(calls.map((call) => [call.requestId, call.result])).toEqual([
        ['req-throttled-1', 'THROTTLED'],
        ['req-throttled-2', 'THROTTLED'],
        ['req-ok', 'ok'],
      ]);
      expect(sleeps).toHaveLength(2);
      expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? 0);
    });

    it('gives up after its bounded retries with THROTTLED, keeping the cause', async () => {
      // Prepare
      const throttled = ec2Error('RequestLimitExceeded');
      ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).rejects(throttled);

      // Act
      const failure = await containment()
        .setEniGroups('eni-0a1', ['sg-0iso'])
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(ContainmentError);
      expect(failure).toMatchObject({
        code: 'THROTTLED',
        awsCode: 'RequestLimitExceeded',
        call: 'ec2:ModifyNetworkInterfaceAttribute',
        cause: throttled,
      });
      expect((failure as ContainmentError).calls).toHaveLength(4);
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
    });

    it('translates a denial into ACCESS_DENIED without retrying', async () => {
      // Prepare
      ec2Mock
        .on(ModifyNetworkInterfaceAttributeCommand)
        .rejects(ec2Error('UnauthorizedOperation', 'req-denied'));

      // Act
      const failure = await containment()
        .setEniGroups('eni-0a1', ['sg-0iso'])
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toMatchObject({ code: 'ACCESS_DENIED', requestId: 'req-denied' });
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(1);
    });
  });

  describe('Method: ensureIsolationGroup', () => {
    it('creates a tagged group and revokes its default IPv4 and IPv6 egress', async () => {
      // Prepare
      ec2Mock
        .on(DescribeSecurityGroupsCommand)
        .resolves({ ...meta('r-describe'), SecurityGroups: [] })
        .on(CreateSecurityGroupCommand)
        .resolves({ ...meta('r-create'), GroupId: 'sg-0iso00000000000000' })
        .on(RevokeSecurityGroupEgressCommand, {
          IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        })
        .resolves({ ...meta('r-revoke-v4'), Return: true })
        .on(RevokeSecurityGroupEgressCommand, {
          IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
        })
        .rejects(ec2Error('InvalidPermission.NotFound', 'r-revoke-v6'));

      // Act
      const { value, calls } = await containment().ensureIsolationGroup('vpc-0abc1234def567890');

      // Assess
      expect(value).toEqual({ groupId: 'sg-0iso00000000000000', created: true });
      expect(ec2Mock).toReceiveCommandWith(DescribeSecurityGroupsCommand, {
        Filters: [
          { Name: 'vpc-id', Values: ['vpc-0abc1234def567890'] },
          { Name: 'group-name', Values: ['guardduty-isolation-vpc-0abc1234def567890'] },
        ],
      });
      expect(ec2Mock).toReceiveCommandWith(CreateSecurityGroupCommand, {
        GroupName: 'guardduty-isolation-vpc-0abc1234def567890',
        VpcId: 'vpc-0abc1234def567890',
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              { Key: 'Name', Value: 'guardduty-isolation-vpc-0abc1234def567890' },
              { Key: 'guardduty-bot:isolation', Value: 'true' },
            ],
          },
        ],
      });
      expect(ec2Mock.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(2);
      expect(calls.map((call) => call.result)).toEqual([
        'ok',
        'ok',
        'ok',
        'ok (InvalidPermission.NotFound)',
      ]);
    });

    it('reuses the existing group and empties rules someone added', async () => {
      // Prepare
      const sshIn = [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] },
      ];
      ec2Mock
        .on(DescribeSecurityGroupsCommand)
        .resolves({
          ...meta('r-describe'),
          SecurityGroups: [
            {
              GroupId: 'sg-0iso00000000000000',
              GroupName: 'guardduty-isolation-vpc-0abc1234def567890',
              VpcId: 'vpc-0abc1234def567890',
              IpPermissions: sshIn,
              IpPermissionsEgress: [],
            },
          ],
        })
        .on(RevokeSecurityGroupIngressCommand)
        .resolves(meta('r-revoke-in'));

      // Act
      const { value } = await containment().ensureIsolationGroup('vpc-0abc1234def567890');

      // Assess
      expect(value).toEqual({ groupId: 'sg-0iso00000000000000', created: false });
      expect(ec2Mock.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
      expect(ec2Mock).toReceiveCommandWith(RevokeSecurityGroupIngressCommand, {
        GroupId: 'sg-0iso00000000000000',
        IpPermissions: sshIn,
      });
      expect(ec2Mock.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(0);
    });

    it('uses the group another worker created a moment earlier', async () => {
      // Prepare
      ec2Mock
        .on(DescribeSecurityGroupsCommand)
        .resolvesOnce({ ...meta('r1'), SecurityGroups: [] })
        .resolves({
          ...meta('r2'),
          SecurityGroups: [
            {
              GroupId: 'sg-0theirs000000000000',
              GroupName: 'guardduty-isolation-vpc-0abc',
              IpPermissions: [],
              IpPermissionsEgress: [],
            },
          ],
        })
        .on(CreateSecurityGroupCommand)
        .rejects(ec2Error('InvalidGroup.Duplicate'));

      // Act
      const { value } = await containment().ensureIsolationGroup('vpc-0abc');

      // Assess
      expect(value).toEqual({ groupId: 'sg-0theirs000000000000', created: false });
    });
  });

  describe('Method: ensureUntrackGroup', () => {
    it('creates the allow-all group: all traffic in and out, IPv4 and IPv6', async () => {
      // Prepare
      ec2Mock
        .on(DescribeSecurityGroupsCommand)
        .resolves({ ...meta('r-describe'), SecurityGroups: [] })
        .on(CreateSecurityGroupCommand)
        .resolves({ ...meta('r-create'), GroupId: 'sg-0untrack0000000000' })
        .on(AuthorizeSecurityGroupIngressCommand)
        .resolves({ ...meta('r-in'), Return: true })
        .on(AuthorizeSecurityGroupEgressCommand)
        .resolves({ ...meta('r-out'), Return: true });

      // Act
      const { value } = await containment().ensureUntrackGroup('vpc-0abc');

      // Assess
      expect(value).toEqual({ groupId: 'sg-0untrack0000000000', created: true });
      expect(ec2Mock).toReceiveCommandWith(CreateSecurityGroupCommand, {
        GroupName: 'guardduty-untrack-vpc-0abc',
      });
      expect(ec2Mock).toReceiveCommandWith(AuthorizeSecurityGroupIngressCommand, {
        GroupId: 'sg-0untrack0000000000',
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      });
      expect(ec2Mock).toReceiveCommandWith(AuthorizeSecurityGroupIngressCommand, {
        GroupId: 'sg-0untrack0000000000',
        IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
      });
      // The default IPv4 egress stays; IPv6 egress is added.
      expect(ec2Mock.commandCalls(AuthorizeSecurityGroupEgressCommand)).toHaveLength(1);
      expect(ec2Mock).toReceiveCommandWith(AuthorizeSecurityGroupEgressCommand, {
        IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
      });
    });
  });

  describe('Method: checkPermission', () => {
    it('reads DryRunOperation as permitted and sends DryRun: true', async () => {
      // Prepare
      ec2Mock
        .on(ModifyNetworkInterfaceAttributeCommand)
        .rejects(ec2Error('DryRunOperation', 'req-dry'));

      // Act
      const { value, calls } = await containment().checkPermission({
        op: 'ModifyNetworkInterfaceAttribute',
        eniId: 'eni-0a1',
        groups: ['sg-0web'],
      });

      // Assess
      expect(value).toBe('permitted');
      expect(ec2Mock).toReceiveCommandWith(ModifyNetworkInterfaceAttributeCommand, {
        NetworkInterfaceId: 'eni-0a1',
        Groups: ['sg-0web'],
        DryRun: true,
      });
      expect(calls).toEqual([
        expect.objectContaining({ requestId: 'req-dry', result: 'dry-run-permitted' }),
      ]);
    });

    it('reads UnauthorizedOperation as not permitted', async () => {
      // Prepare
      ec2Mock.on(CreateSnapshotCommand).rejects(ec2Error('UnauthorizedOperation'));

      // Act
      const { value } = await containment().checkPermission({
        op: 'CreateSnapshot',
        volumeId: 'vol-0root',
        instanceId: 'i-0web',
      });

      // Assess
      expect(value).toBe('denied');
      expect(ec2Mock).toReceiveCommandWith(CreateSnapshotCommand, {
        VolumeId: 'vol-0root',
        DryRun: true,
      });
    });

    it('throws other errors', async () => {
      // Prepare
      ec2Mock.on(ModifyInstanceAttributeCommand).rejects(ec2Error('InvalidInstanceID.NotFound'));

      // Act
      const failure = await containment()
        .checkPermission({
          op: 'ModifyInstanceAttribute',
          instanceId: 'i-0gone',
          attribute: 'disableApiStop',
          value: true,
        })
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('Evidence, protection and tags', () => {
    it('snapshots a volume tagged with the finding, instance, device and generation', async () => {
      // Prepare
      ec2Mock.on(CreateSnapshotCommand).resolves({ ...meta('r-snap'), SnapshotId: 'snap-0abc' });

      // Act
      const { value } = await containment().createSnapshot({
        volumeId: 'vol-0root',
        device: '/dev/xvda',
        instanceId: 'i-0web',
        findingId: 'f-123',
        generation: 1,
      });

      // Assess
      expect(value).toEqual({
        volumeId: 'vol-0root',
        snapshotId: 'snap-0abc',
        device: '/dev/xvda',
      });
      expect(ec2Mock).toReceiveCommandWith(CreateSnapshotCommand, {
        VolumeId: 'vol-0root',
        TagSpecifications: [
          {
            ResourceType: 'snapshot',
            Tags: [
              { Key: 'Name', Value: 'guardduty-evidence-i-0web' },
              { Key: 'guardduty-bot:finding', Value: 'f-123' },
              { Key: 'guardduty-bot:instance', Value: 'i-0web' },
              { Key: 'guardduty-bot:generation', Value: '1' },
              { Key: 'guardduty-bot:device', Value: '/dev/xvda' },
            ],
          },
        ],
      });
    });

    it('sets termination and stop protection with one call each', async () => {
      // Prepare
      ec2Mock.on(ModifyInstanceAttributeCommand).resolves(meta('r-mod'));

      // Act
      const { calls } = await containment().setProtections('i-0web', {
        disableApiTermination: true,
        disableApiStop: true,
      });

      // Assess
      expect(calls).toHaveLength(2);
      expect(ec2Mock).toReceiveCommandWith(ModifyInstanceAttributeCommand, {
        InstanceId: 'i-0web',
        DisableApiTermination: { Value: true },
      });
      expect(ec2Mock).toReceiveCommandWith(ModifyInstanceAttributeCommand, {
        InstanceId: 'i-0web',
        DisableApiStop: { Value: true },
      });
    });

    it('removes quarantine tags only where they still carry its values', async () => {
      // Prepare
      ec2Mock.on(DeleteTagsCommand).resolves(meta('r-untag'));

      // Act
      await containment().untagInstance('i-0web', { 'guardduty-bot:quarantine': 'f-123' });

      // Assess
      expect(ec2Mock).toReceiveCommandWith(DeleteTagsCommand, {
        Resources: ['i-0web'],
        Tags: [{ Key: 'guardduty-bot:quarantine', Value: 'f-123' }],
      });
    });
  });

  describe('Auto Scaling and load balancers', () => {
    it('finds the Auto Scaling group and enters Standby without a replacement', async () => {
      // Prepare
      asgMock
        .on(DescribeAutoScalingInstancesCommand)
        .resolves({
          ...meta('r-asg'),
          AutoScalingInstances: [
            {
              InstanceId: 'i-0web',
              AutoScalingGroupName: 'web-asg',
              LifecycleState: 'InService',
              AvailabilityZone: 'us-west-2a',
              HealthStatus: 'HEALTHY',
              ProtectedFromScaleIn: false,
            },
          ],
        })
        .on(EnterStandbyCommand)
        .resolves(meta('r-standby'));
      const adapter = containment();

      // Act
      const { value } = await adapter.describeAutoScaling('i-0web');
      await adapter.enterStandby('web-asg', 'i-0web');

      // Assess
      expect(value).toEqual({ groupName: 'web-asg', lifecycleState: 'InService' });
      expect(asgMock).toReceiveCommandWith(EnterStandbyCommand, {
        AutoScalingGroupName: 'web-asg',
        InstanceIds: ['i-0web'],
        ShouldDecrementDesiredCapacity: true,
      });
    });

    it('translates an Auto Scaling denial', async () => {
      // Prepare
      asgMock.on(EnterStandbyCommand).rejects(
        new AutoScalingServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403, requestId: 'r-denied' },
          message: 'User is not authorized to perform: autoscaling:EnterStandby',
        })
      );

      // Act
      const failure = await containment()
        .enterStandby('web-asg', 'i-0web')
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toMatchObject({ code: 'ACCESS_DENIED', call: 'autoscaling:EnterStandby' });
    });

    it('finds target groups by instance and IP in the instance’s VPC, within its bound', async () => {
      // Prepare
      const group = (name: string, vpc: string, type: 'instance' | 'ip' | 'lambda') => ({
        TargetGroupArn: `arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/${name}/0123456789abcdef`,
        TargetGroupName: name,
        VpcId: vpc,
        TargetType: type,
      });
      elbv2Mock
        .on(DescribeTargetGroupsCommand)
        .resolvesOnce({
          ...meta('r-tg1'),
          TargetGroups: [
            group('web-tg', 'vpc-a', 'instance'),
            group('other-vpc-tg', 'vpc-z', 'instance'),
            group('fn-tg', 'vpc-a', 'lambda'),
          ],
          NextMarker: 'page-2',
        })
        .resolves({
          ...meta('r-tg2'),
          TargetGroups: [group('ip-tg', 'vpc-a', 'ip'), group('drain-tg', 'vpc-a', 'instance')],
        })
        .on(DescribeTargetHealthCommand, {
          TargetGroupArn: group('web-tg', '', 'ip').TargetGroupArn,
        })
        .resolves({
          ...meta('r-h1'),
          TargetHealthDescriptions: [
            { Target: { Id: 'i-0web', Port: 80 }, TargetHealth: { State: 'healthy' } },
            { Target: { Id: 'i-0other', Port: 80 }, TargetHealth: { State: 'healthy' } },
          ],
        })
        .on(DescribeTargetHealthCommand, {
          TargetGroupArn: group('ip-tg', '', 'ip').TargetGroupArn,
        })
        .resolves({
          ...meta('r-h2'),
          TargetHealthDescriptions: [
            {
              Target: { Id: '10.0.1.15', Port: 8080, AvailabilityZone: 'us-west-2a' },
              TargetHealth: { State: 'unhealthy' },
            },
          ],
        })
        .on(DescribeTargetHealthCommand, {
          TargetGroupArn: group('drain-tg', '', 'ip').TargetGroupArn,
        })
        .resolves({
          ...meta('r-h3'),
          TargetHealthDescriptions: [
            { Target: { Id: 'i-0web', Port: 80 }, TargetHealth: { State: 'draining' } },
          ],
        });
      elbMock.on(DescribeLoadBalancersCommand).resolves({
        ...meta('r-clb'),
        LoadBalancerDescriptions: [
          { LoadBalancerName: 'legacy-elb', Instances: [{ InstanceId: 'i-0web' }] },
          { LoadBalancerName: 'unrelated-elb', Instances: [{ InstanceId: 'i-0other' }] },
        ],
      });

      // Act
      const { value } = await containment().findLoadBalancers({
        instanceId: 'i-0web',
        vpcIds: ['vpc-a'],
        privateIps: ['10.0.1.15'],
        maxTargetGroups: 10,
      });

      // Assess
      expect(value).toEqual({
        targetGroups: [
          {
            targetGroupArn: group('web-tg', '', 'ip').TargetGroupArn,
            targetGroupName: 'web-tg',
            targetId: 'i-0web',
            port: 80,
          },
          {
            targetGroupArn: group('ip-tg', '', 'ip').TargetGroupArn,
            targetGroupName: 'ip-tg',
            targetId: '10.0.1.15',
            port: 8080,
            availabilityZone: 'us-west-2a',
          },
        ],
        classic: ['legacy-elb'],
        truncated: false,
      });
    });

    it('stops at its bound and says the scan was truncated', async () => {
      // Prepare
      const group = (name: string) => ({
        TargetGroupArn: `arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/${name}/0123456789abcdef`,
        TargetGroupName: name,
        VpcId: 'vpc-a',
        TargetType: 'instance' as const,
      });
      elbv2Mock
        .on(DescribeTargetGroupsCommand)
        .resolves({
          ...meta('r-tg'),
          TargetGroups: [group('a-tg'), group('b-tg')],
          NextMarker: 'more',
        })
        .on(DescribeTargetHealthCommand)
        .resolves({
          ...meta('r-h'),
          TargetHealthDescriptions: [
            { Target: { Id: 'i-0web', Port: 80 }, TargetHealth: { State: 'healthy' } },
          ],
        });
      elbMock
        .on(DescribeLoadBalancersCommand)
        .resolves({ ...meta('r-clb'), LoadBalancerDescriptions: [] });

      // Act
      const { value } = await containment().findLoadBalancers({
        instanceId: 'i-0web',
        vpcIds: ['vpc-a'],
        privateIps: [],
        maxTargetGroups: 1,
      });

      // Assess
      expect(value.truncated).toBe(true);
      expect(value.targetGroups.map((tg) => tg.targetGroupName)).toEqual(['a-tg']);
      expect(elbv2Mock.commandCalls(DescribeTargetGroupsCommand)).toHaveLength(1);
      expect(elbv2Mock.commandCalls(DescribeTargetHealthCommand)).toHaveLength(1);
    });

    it('counts a target that is no longer registered as deregistered', async () => {
      // Prepare
      elbv2Mock.on(DeregisterTargetsCommand).rejects(
        new ElasticLoadBalancingV2ServiceException({
          name: 'InvalidTargetException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400, requestId: 'r-inv' },
          message: 'The following targets are not registered',
        })
      );

      // Act
      const { calls } = await containment().deregisterTarget({
        targetGroupArn: 'arn:tg',
        targetGroupName: 'web-tg',
        targetId: 'i-0web',
        port: 80,
      });

      // Assess
      expect(elbv2Mock).toReceiveCommandWith(DeregisterTargetsCommand, {
        TargetGroupArn: 'arn:tg',
        Targets: [{ Id: 'i-0web', Port: 80 }],
      });
      expect(calls[0]?.result).toBe('ok (InvalidTargetException)');
    });
  });

  describe('Member accounts', () => {
    it('acts through the member role the factory assumes, and reports that role', async () => {
      // Prepare
      stsMock.on(AssumeRoleCommand).resolves({
        Credentials: {
          AccessKeyId: 'ASIAEXAMPLE',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(Date.now() + 900_000),
        },
      });
      ec2Mock.on(DescribeInstancesCommand).resolves(multiEniInstance);
      const factory = new AwsClientFactory({
        homeAccountId: '123456789012',
        memberRoleName: 'GuardDutyBotContainment',
      });
      const target = { accountId: '210987654321', region: 'eu-west-1', actor: 'U0ALICE' };

      // Act
      const adapter = AwsEc2Containment.forTarget(factory, target, { retry: fastRetry });
      await adapter.describeInstance('i-0a1b2c3d4e5f60718');

      // Assess
      expect(adapter.roleArn).toBe('arn:aws:iam::210987654321:role/GuardDutyBotContainment');
      expect(stsMock).toReceiveCommandWith(AssumeRoleCommand, {
        RoleArn: 'arn:aws:iam::210987654321:role/GuardDutyBotContainment',
        SourceIdentity: 'U0ALICE',
      });
    });
  });
});

describe('Class: AwsGuardDutyStatus', () => {
  const reader = () =>
    new AwsGuardDutyStatus(async () => new GuardDutyClient({ region: 'us-west-2' }), {
      retry: fastRetry,
    });

  beforeEach(() => {
    gdMock.reset();
  });

  it('reads an archived finding as archived, and an open one as open', async () => {
    // Prepare
    gdMock
      .on(GetFindingsCommand, { FindingIds: ['f-archived'] })
      .resolves({
        ...meta('r-gd1'),
        Findings: [{ Id: 'f-archived', Service: { Archived: true } } as never],
      })
      .on(GetFindingsCommand, { FindingIds: ['f-open'] })
      .resolves({
        ...meta('r-gd2'),
        Findings: [{ Id: 'f-open', Service: { Archived: false } } as never],
      });

    // Act
    const archived = await reader().findingStatus({ detectorId: 'det', findingId: 'f-archived' });
    const open = await reader().findingStatus({ detectorId: 'det', findingId: 'f-open' });

    // Assess
    expect(archived.value).toBe('archived');
    expect(open.value).toBe('open');
    expect(gdMock).toReceiveCommandWith(GetFindingsCommand, {
      DetectorId: 'det',
      FindingIds: ['f-open'],
    });
    expect(open.calls).toEqual([
      { call: 'guardduty:GetFindings', resource: 'f-open', requestId: 'r-gd2', result: 'ok' },
    ]);
  });

  it('reads a finding the detector does not return as not found', async () => {
    // Prepare
    gdMock.on(GetFindingsCommand).resolves({ ...meta('r-gd3'), Findings: [] });

    // Act
    const { value } = await reader().findingStatus({ detectorId: 'det', findingId: 'f-gone' });

    // Assess
    expect(value).toBe('not-found');
  });
});
