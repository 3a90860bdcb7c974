import {
  AccessDeniedException,
  CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  InvalidParameterException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeInstancesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  GetFindingsCommand as GetGuardDutyFindingsCommand,
  AccessDeniedException as GuardDutyAccessDenied,
  GuardDutyClient,
  type Finding as GuardDutyFinding,
  ListDetectorsCommand,
  ListFindingsCommand,
} from '@aws-sdk/client-guardduty';
import {
  type AwsSecurityFinding,
  GetFindingsCommand as GetHubFindingsCommand,
  InvalidAccessException,
  LimitExceededException,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { CrossAccountError } from '../../../src/adapters/aws/AwsClientFactory';
import {
  AwsInstanceLookup,
  AwsLogSearch,
  AwsRelatedFindings,
  AwsSecurityHubSource,
  type InvestigationClients,
} from '../../../src/adapters/aws/AwsInvestigationSources';
import { InvestigationSourceError } from '../../../src/domain/investigation';
import type { LogQuery } from '../../../src/ports/Investigation';
import { FakeClock } from '../../fakes/investigationSources';

const TARGET = { accountId: '123456789012', region: 'us-west-2' };
const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
const ACTOR = '203.0.113.45';
const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };

const logs = mockClient(CloudWatchLogsClient);
const ec2 = mockClient(EC2Client);
const guardDuty = mockClient(GuardDutyClient);
const securityHub = mockClient(SecurityHubClient);

const clients: InvestigationClients = {
  logs: async (target) => new CloudWatchLogsClient({ region: target.region, credentials }),
  ec2: async (target) => new EC2Client({ region: target.region, credentials }),
  guardDuty: async (target) => new GuardDutyClient({ region: target.region, credentials }),
  securityHub: async (target) => new SecurityHubClient({ region: target.region, credentials }),
};

beforeEach(() => {
  logs.reset();
  ec2.reset();
  guardDuty.reset();
  securityHub.reset();
});

/** The error a test expects, with its code and the SDK error kept as cause. */
const rejection = async (promise: Promise<unknown>): Promise<InvestigationSourceError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvestigationSourceError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
};

describe('Class: AwsLogSearch', () => {
  const START = Date.parse('2025-03-01T09:00:00.000Z');
  const END = Date.parse('2025-03-11T14:05:12.870Z');
  const query = (overrides: Partial<LogQuery> = {}): LogQuery => ({
    logGroupName: '/var/log/secure',
    logStreamNamePrefix: INSTANCE_ID,
    filterPattern: '?"Invalid user" ?"Failed password"',
    start: new Date(START),
    end: new Date(END),
    budget: { maxEvents: 10_000, maxPages: 20, maxMs: 20_000 },
    ...overrides,
  });
  const event = (n: number, message?: string): FilteredLogEvent => ({
    logStreamName: `${INSTANCE_ID}/ssh`,
    timestamp: START + n * 1000,
    ingestionTime: START + n * 1000 + 500,
    eventId: `3790${n}`,
    message:
      message ??
      `Mar  1 09:00:${String(n % 60).padStart(2, '0')} ip-10-0-1-15 sshd[${1000 + n}]: Invalid user admin from ${ACTOR} port ${51734 + n}`,
  });

  it('pages through empty pages until the token ends', async () => {
    // Prepare
    const clock = new FakeClock();
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [], nextToken: 't1' })
      .resolvesOnce({ events: [], nextToken: 't2' })
      .resolvesOnce({ events: [event(1), event(2)], nextToken: 't3' })
      .resolvesOnce({ events: [event(3)] });
    const search = new AwsLogSearch(clients, clock);

    // Act
    const result = await search.search(query(), TARGET);

    // Assess
    expect(result).toEqual({
      events: [1, 2, 3].map((n) => ({
        timestamp: START + n * 1000,
        message: event(n).message,
        logStreamName: `${INSTANCE_ID}/ssh`,
        eventId: `3790${n}`,
      })),
      pages: 4,
      throttleRetries: 0,
    });
    expect(logs).toReceiveCommandTimes(FilterLogEventsCommand, 4);
    expect(logs).toReceiveCommandWith(FilterLogEventsCommand, {
      logGroupName: '/var/log/secure',
      logStreamNamePrefix: INSTANCE_ID,
      startTime: START,
      endTime: END,
      filterPattern: '?"Invalid user" ?"Failed password"',
      limit: 10_000,
    });
    expect(logs).toReceiveNthCommandWith(FilterLogEventsCommand, 3, { nextToken: 't2' });
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input.nextToken).toBeUndefined();
  });

  it('paces its calls at least 200 ms apart on the injected clock', async () => {
    // Prepare
    const clock = new FakeClock();
    const calledAt: number[] = [];
    let page = 0;
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      calledAt.push(clock.now().getTime());
      page += 1;
      return page < 5 ? { events: [], nextToken: `t${page}` } : { events: [event(1)] };
    });
    const search = new AwsLogSearch(clients, clock);

    // Act
    await search.search(query(), TARGET);

    // Assess
    expect(calledAt).toHaveLength(5);
    const gaps = calledAt.slice(1).map((at, index) => at - (calledAt[index] ?? 0));
    expect(gaps.every((gap) => gap >= 200)).toBe(true);
  });

  it('shares the pace between concurrent searches in one account and region', async () => {
    // Prepare
    const clock = new FakeClock();
    const started = clock.now().getTime();
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const search = new AwsLogSearch(clients, clock);

    // Act
    await Promise.all([
      search.search(query(), TARGET),
      search.search(query({ logGroupName: '/ec2/secure' }), TARGET),
      search.search(query({ filterPattern: '"Accepted password"' }), TARGET),
      search.search(query(), { ...TARGET, region: 'eu-west-1' }),
    ]);

    // Assess: the second and third calls wait for their 200 ms slots; another region does not
    expect(clock.sleeps).toEqual([200, 200]);
    expect(clock.now().getTime() - started).toBe(400);
    expect(logs).toReceiveCommandTimes(FilterLogEventsCommand, 4);
  });

  it('stops at the page limit and says so', async () => {
    // Prepare
    const clock = new FakeClock();
    let page = 0;
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      page += 1;
      return { events: [], nextToken: `token-${page}` };
    });
    const search = new AwsLogSearch(clients, clock);

    // Act
    const result = await search.search(
      query({ budget: { maxEvents: 100, maxPages: 3, maxMs: 60_000 } }),
      TARGET
    );

    // Assess
    expect(result).toMatchObject({ events: [], pages: 3, truncated: 'maxPages' });
    expect(logs).toReceiveCommandTimes(FilterLogEventsCommand, 3);
  });

  it('asks for no more events than the budget allows and stops there', async () => {
    // Prepare
    const clock = new FakeClock();
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event(1), event(2)], nextToken: 't1' })
      .resolvesOnce({ events: [event(3)], nextToken: 't2' });
    const search = new AwsLogSearch(clients, clock);

    // Act
    const result = await search.search(
      query({ budget: { maxEvents: 3, maxPages: 20, maxMs: 60_000 } }),
      TARGET
    );

    // Assess
    expect(result.events).toHaveLength(3);
    expect(result.truncated).toBe('maxEvents');
    expect(logs).toReceiveNthCommandWith(FilterLogEventsCommand, 1, { limit: 3 });
    expect(logs).toReceiveNthCommandWith(FilterLogEventsCommand, 2, { limit: 1, nextToken: 't1' });
    expect(logs).toReceiveCommandTimes(FilterLogEventsCommand, 2);
  });

  it('stops when its time budget is spent', async () => {
    // Prepare
    const clock = new FakeClock();
    let page = 0;
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      clock.advance(4000);
      page += 1;
      return { events: [event(page)], nextToken: `t${page}` };
    });
    const search = new AwsLogSearch(clients, clock);

    // Act
    const result = await search.search(
      query({ budget: { maxEvents: 100, maxPages: 100, maxMs: 10_000 } }),
      TARGET
    );

    // Assess
    expect(result).toMatchObject({ pages: 3, truncated: 'maxMs' });
    expect(result.events).toHaveLength(3);
  });

  it('retries a throttled call after a back-off, then carries on', async () => {
    // Prepare
    const clock = new FakeClock();
    logs
      .on(FilterLogEventsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolvesOnce({ events: [event(1)], nextToken: 't1' })
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolvesOnce({ events: [event(2)] });
    const search = new AwsLogSearch(clients, clock);

    // Act
    const result = await search.search(query(), TARGET);

    // Assess
    expect(result.events).toHaveLength(2);
    expect(result).toMatchObject({ pages: 2, throttleRetries: 2 });
    expect(result.truncated).toBeUndefined();
    expect(clock.sleeps).toContain(1000);
    expect(logs).toReceiveNthCommandWith(FilterLogEventsCommand, 4, { nextToken: 't1' });
  });

  it('ends early with what it has when throttling outlasts the retries', async () => {
    // Prepare
    const clock = new FakeClock();
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event(1)], nextToken: 't1' })
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const search = new AwsLogSearch(clients, clock, { maxThrottleRetries: 2 });

    // Act
    const result = await search.search(query(), TARGET);

    // Assess
    expect(result).toMatchObject({ pages: 1, truncated: 'throttled', throttleRetries: 2 });
    expect(result.events).toHaveLength(1);
    expect(clock.sleeps.filter((ms) => ms >= 1000)).toEqual([1000, 2000]);
  });

  it('fails with THROTTLED when no page could be read', async () => {
    // Prepare
    const clock = new FakeClock();
    const throttled = new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
    logs.on(FilterLogEventsCommand).rejects(throttled);
    const search = new AwsLogSearch(clients, clock);

    // Act
    const error = await rejection(search.search(query(), TARGET));

    // Assess
    expect(error.code).toBe('THROTTLED');
    expect(error.cause).toBe(throttled);
    expect(logs).toReceiveCommandTimes(FilterLogEventsCommand, 4);
  });

  it('does not retry past its time budget', async () => {
    // Prepare
    const clock = new FakeClock();
    logs
      .on(FilterLogEventsCommand)
      .rejects(new ThrottlingException({ message: 'x', $metadata: {} }));
    const search = new AwsLogSearch(clients, clock);

    // Act
    const error = await rejection(
      search.search(query({ budget: { maxEvents: 10, maxPages: 10, maxMs: 2500 } }), TARGET)
    );

    // Assess
    expect(error.code).toBe('THROTTLED');
    expect(logs).toReceiveCommandTimes(FilterLogEventsCommand, 2);
  });

  it('reports a missing log group as NOT_FOUND, keeping the SDK error', async () => {
    // Prepare
    const missing = new ResourceNotFoundException({
      message: 'The specified log group does not exist.',
      $metadata: { httpStatusCode: 400 },
    });
    logs.on(FilterLogEventsCommand).rejects(missing);
    const search = new AwsLogSearch(clients, new FakeClock());

    // Act
    const error = await rejection(search.search(query(), TARGET));

    // Assess
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe(
      'Log group /var/log/secure does not exist in 123456789012/us-west-2.'
    );
    expect(error.cause).toBe(missing);
  });

  it('reports a denied call as ACCESS_DENIED without the role ARN', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).rejects(
      new AccessDeniedException({
        message:
          'User: arn:aws:sts::123456789012:assumed-role/worker/session is not authorized to perform: logs:FilterLogEvents',
        $metadata: { httpStatusCode: 400 },
      })
    );
    const search = new AwsLogSearch(clients, new FakeClock());

    // Act
    const error = await rejection(search.search(query(), TARGET));

    // Assess
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toBe(
      'No permission for logs:FilterLogEvents on log group /var/log/secure in 123456789012/us-west-2.'
    );
    expect(error.message).not.toContain('assumed-role');
  });

  it('reports a rejected filter pattern as INVALID_REQUEST', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .rejects(new InvalidParameterException({ message: 'Invalid filter pattern', $metadata: {} }));
    const search = new AwsLogSearch(clients, new FakeClock());

    // Act
    const error = await rejection(search.search(query({ filterPattern: '[a' }), TARGET));

    // Assess
    expect(error.code).toBe('INVALID_REQUEST');
  });

  it('treats a token it has already seen as the end', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event(1)], nextToken: 'same' })
      .resolves({ events: [], nextToken: 'same' });
    const search = new AwsLogSearch(clients, new FakeClock());

    // Act
    const result = await search.search(query(), TARGET);

    // Assess
    expect(result.pages).toBe(2);
    expect(result.truncated).toBeUndefined();
  });

  it('searches a log group given by ARN through logGroupIdentifier', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const search = new AwsLogSearch(clients, new FakeClock());
    const arn = 'arn:aws:logs:us-west-2:210987654321:log-group:/var/log/secure';

    // Act
    await search.search(query({ logGroupName: arn }), TARGET);

    // Assess
    expect(logs).toReceiveCommandWith(FilterLogEventsCommand, { logGroupIdentifier: arn });
    expect(
      logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input.logGroupName
    ).toBeUndefined();
  });

  it('passes a failed role assumption through unchanged', async () => {
    // Prepare
    const failing: InvestigationClients = {
      ...clients,
      logs: async () => {
        throw new CrossAccountError('could not assume the member role');
      },
    };
    const search = new AwsLogSearch(failing, new FakeClock());

    // Act & Assess
    await expect(search.search(query(), TARGET)).rejects.toMatchObject({ code: 'CROSS_ACCOUNT' });
  });
});

describe('Class: AwsInstanceLookup', () => {
  it('describes the instance: state, network, groups of every interface, profile, tags', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: INSTANCE_ID,
              InstanceType: 't3.small',
              State: { Name: 'running', Code: 16 },
              Placement: { AvailabilityZone: 'us-west-2a' },
              VpcId: 'vpc-0abc1234def567890',
              SubnetId: 'subnet-0aa11bb22cc33dd44',
              PrivateIpAddress: '10.0.1.15',
              PublicIpAddress: '198.51.100.10',
              ImageId: 'ami-0d1e2f3a4b5c6d7e8',
              PlatformDetails: 'Linux/UNIX',
              LaunchTime: new Date('2025-03-02T08:15:27.000Z'),
              IamInstanceProfile: {
                Arn: 'arn:aws:iam::123456789012:instance-profile/web-tier-profile',
                Id: 'AIPAEXAMPLE',
              },
              MetadataOptions: { HttpTokens: 'optional' },
              SecurityGroups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'web-tier-sg' }],
              NetworkInterfaces: [
                {
                  NetworkInterfaceId: 'eni-0a1a1a1a1a1a1a1a1',
                  Groups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'web-tier-sg' }],
                },
                {
                  NetworkInterfaceId: 'eni-0b2b2b2b2b2b2b2b2',
                  Groups: [{ GroupId: 'sg-0fedcba9876543210', GroupName: 'ssh-admin-sg' }],
                },
              ],
              Tags: [
                { Key: 'Name', Value: 'web-01' },
                { Key: '__proto__', Value: 'polluted?' },
              ],
            },
          ],
        },
      ],
    });
    const lookup = new AwsInstanceLookup(clients);

    // Act
    const instance = await lookup.describe(INSTANCE_ID, TARGET);

    // Assess
    expect(instance).toEqual({
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
      imageId: 'ami-0d1e2f3a4b5c6d7e8',
      platform: 'Linux/UNIX',
      launchTime: '2025-03-02T08:15:27.000Z',
      imdsV2Required: false,
      networkInterfaceCount: 2,
      tags: [
        { key: 'Name', value: 'web-01' },
        { key: '__proto__', value: 'polluted?' },
      ],
    });
    expect(ec2).toReceiveCommandWith(DescribeInstancesCommand, { InstanceIds: [INSTANCE_ID] });
  });

  it('reports an instance EC2 does not know as NOT_FOUND', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).rejects(
      new EC2ServiceException({
        name: 'InvalidInstanceID.NotFound',
        $fault: 'client',
        message: `The instance ID '${INSTANCE_ID}' does not exist`,
        $metadata: { httpStatusCode: 400 },
      })
    );
    const lookup = new AwsInstanceLookup(clients);

    // Act
    const error = await rejection(lookup.describe(INSTANCE_ID, TARGET));

    // Assess
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(
      `Instance ${INSTANCE_ID} was not found in 123456789012/us-west-2`
    );
  });

  it('reports an empty answer as NOT_FOUND too', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    // Act
    const error = await rejection(new AwsInstanceLookup(clients).describe(INSTANCE_ID, TARGET));

    // Assess
    expect(error.code).toBe('NOT_FOUND');
  });

  it('reports UnauthorizedOperation as ACCESS_DENIED', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).rejects(
      new EC2ServiceException({
        name: 'UnauthorizedOperation',
        $fault: 'client',
        message: 'You are not authorized to perform this operation.',
        $metadata: { httpStatusCode: 403 },
      })
    );

    // Act
    const error = await rejection(new AwsInstanceLookup(clients).describe(INSTANCE_ID, TARGET));

    // Assess
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toContain('ec2:DescribeInstances');
  });
});

describe('Class: AwsRelatedFindings', () => {
  const DETECTOR = '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c';
  const SELF = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';
  const SINCE = new Date('2025-03-04T14:05:12.870Z');

  const gdFinding = (id: string, type: string, severity: number, count = 1): GuardDutyFinding => ({
    AccountId: '123456789012',
    Arn: `arn:aws:guardduty:us-west-2:123456789012:detector/${DETECTOR}/finding/${id}`,
    CreatedAt: '2025-03-09T10:00:00.000Z',
    Id: id,
    Region: 'us-west-2',
    Resource: {
      ResourceType: 'Instance',
      InstanceDetails: { InstanceId: INSTANCE_ID },
    },
    SchemaVersion: '2.0',
    Severity: severity,
    Title: `${type} on ${INSTANCE_ID}`,
    Type: type,
    UpdatedAt: '2025-03-10T10:00:00.000Z',
    Service: { Count: count, Archived: false, ServiceName: 'guardduty', DetectorId: DETECTOR },
  });

  it('lists findings per criterion, merges them, skips the finding itself and fetches them', async () => {
    // Prepare
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    guardDuty.on(ListFindingsCommand).callsFake(async (input) => {
      const fields = Object.keys(input.FindingCriteria?.Criterion ?? {});
      if (fields.includes('resource.instanceDetails.instanceId')) {
        return input.NextToken === 'p2'
          ? { FindingIds: ['f-probe'] }
          : { FindingIds: [SELF, 'f-recon'], NextToken: 'p2' };
      }
      if (
        fields.includes(
          'service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4'
        )
      ) {
        return { FindingIds: ['f-probe', 'f-tor'] };
      }
      return { FindingIds: [] };
    });
    guardDuty.on(GetGuardDutyFindingsCommand).resolves({
      Findings: [
        gdFinding('f-recon', 'Recon:EC2/Portscan', 2),
        gdFinding('f-probe', 'Recon:EC2/PortProbeUnprotectedPort', 2, 14),
        gdFinding('f-tor', 'UnauthorizedAccess:EC2/TorClient', 8),
      ],
    });
    const source = new AwsRelatedFindings(clients);

    // Act
    const result = await source.find(
      {
        criteria: [
          { match: 'instance', value: INSTANCE_ID },
          { match: 'remoteIp', value: ACTOR },
        ],
        updatedSince: SINCE,
        excludeFindingIds: [SELF],
        maxFindings: 200,
      },
      TARGET
    );

    // Assess
    expect(result.truncated).toBe(false);
    expect(result.findings).toEqual([
      {
        id: 'f-recon',
        type: 'Recon:EC2/Portscan',
        severity: 2,
        title: `Recon:EC2/Portscan on ${INSTANCE_ID}`,
        updatedAt: '2025-03-10T10:00:00.000Z',
        count: 1,
        archived: false,
        matchedBy: ['instance'],
      },
      expect.objectContaining({ id: 'f-probe', count: 14, matchedBy: ['instance', 'remoteIp'] }),
      expect.objectContaining({ id: 'f-tor', severity: 8, matchedBy: ['remoteIp'] }),
    ]);
    expect(guardDuty).toReceiveCommandWith(ListFindingsCommand, {
      DetectorId: DETECTOR,
      FindingCriteria: {
        Criterion: {
          'resource.instanceDetails.instanceId': { Equals: [INSTANCE_ID] },
          updatedAt: { GreaterThanOrEqual: SINCE.getTime() },
        },
      },
      SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'DESC' },
      MaxResults: 50,
    });
    expect(guardDuty).toReceiveCommandWith(ListFindingsCommand, {
      FindingCriteria: {
        Criterion: {
          'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4': { Equals: [ACTOR] },
          updatedAt: { GreaterThanOrEqual: SINCE.getTime() },
        },
      },
    });
    // One instance field (two pages) and five remote-IP fields.
    expect(guardDuty).toReceiveCommandTimes(ListFindingsCommand, 7);
    expect(guardDuty).toReceiveCommandWith(GetGuardDutyFindingsCommand, {
      DetectorId: DETECTOR,
      FindingIds: ['f-recon', 'f-probe', 'f-tor'],
    });
  });

  it('fetches findings in chunks of at most 50', async () => {
    // Prepare
    const ids = Array.from({ length: 120 }, (_, i) => `f-${String(i).padStart(3, '0')}`);
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    guardDuty
      .on(ListFindingsCommand)
      .resolvesOnce({ FindingIds: ids.slice(0, 50), NextToken: 'a' })
      .resolvesOnce({ FindingIds: ids.slice(50, 100), NextToken: 'b' })
      .resolvesOnce({ FindingIds: ids.slice(100) });
    guardDuty.on(GetGuardDutyFindingsCommand).callsFake(async (input) => ({
      Findings: (input.FindingIds ?? []).map((id: string) =>
        gdFinding(id, 'Recon:EC2/Portscan', 2)
      ),
    }));
    const source = new AwsRelatedFindings(clients);

    // Act
    const result = await source.find(
      {
        criteria: [{ match: 'instance', value: INSTANCE_ID }],
        updatedSince: SINCE,
        excludeFindingIds: [],
        maxFindings: 500,
      },
      TARGET
    );

    // Assess
    expect(result.findings).toHaveLength(120);
    const chunks = guardDuty
      .commandCalls(GetGuardDutyFindingsCommand)
      .map((call) => call.args[0].input.FindingIds?.length);
    expect(chunks).toEqual([50, 50, 20]);
  });

  it('stops at the finding limit and says the answer is partial', async () => {
    // Prepare
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    guardDuty.on(ListFindingsCommand).resolves({ FindingIds: ['a', 'b', 'c'], NextToken: 'more' });
    guardDuty.on(GetGuardDutyFindingsCommand).callsFake(async (input) => ({
      Findings: (input.FindingIds ?? []).map((id: string) =>
        gdFinding(id, 'Recon:EC2/Portscan', 2)
      ),
    }));
    const source = new AwsRelatedFindings(clients);

    // Act
    const result = await source.find(
      {
        criteria: [{ match: 'accessKey', value: 'ASIAEXAMPLE7QZ4XK2NB' }],
        updatedSince: SINCE,
        excludeFindingIds: [],
        maxFindings: 2,
      },
      TARGET
    );

    // Assess
    expect(result.truncated).toBe(true);
    expect(result.findings.map((f) => f.id)).toEqual(['a', 'b']);
    expect(guardDuty).toReceiveCommandWith(ListFindingsCommand, {
      FindingCriteria: {
        Criterion: {
          'resource.accessKeyDetails.accessKeyId': { Equals: ['ASIAEXAMPLE7QZ4XK2NB'] },
          updatedAt: { GreaterThanOrEqual: SINCE.getTime() },
        },
      },
    });
  });

  it('reports a region without a detector as NOT_ENABLED', async () => {
    // Prepare
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    const source = new AwsRelatedFindings(clients);

    // Act
    const error = await rejection(
      source.find(
        {
          criteria: [{ match: 'instance', value: INSTANCE_ID }],
          updatedSince: SINCE,
          excludeFindingIds: [],
          maxFindings: 10,
        },
        TARGET
      )
    );

    // Assess
    expect(error.code).toBe('NOT_ENABLED');
    expect(guardDuty).not.toReceiveCommand(ListFindingsCommand);
  });

  it('reports a denied ListFindings as ACCESS_DENIED and remembers the detector', async () => {
    // Prepare
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    guardDuty
      .on(ListFindingsCommand)
      .rejects(
        new GuardDutyAccessDenied({ message: 'denied', $metadata: { httpStatusCode: 403 } })
      );
    const source = new AwsRelatedFindings(clients);
    const query = {
      criteria: [{ match: 'instance' as const, value: INSTANCE_ID }],
      updatedSince: SINCE,
      excludeFindingIds: [],
      maxFindings: 10,
    };

    // Act
    const first = await rejection(source.find(query, TARGET));
    await rejection(source.find(query, TARGET));

    // Assess
    expect(first.code).toBe('ACCESS_DENIED');
    expect(first.message).toContain('guardduty:ListFindings');
    expect(guardDuty).toReceiveCommandTimes(ListDetectorsCommand, 1);
  });
});

describe('Class: AwsSecurityHubSource', () => {
  const ARN = `arn:aws:ec2:us-west-2:123456789012:instance/${INSTANCE_ID}`;
  const hubFinding = (
    id: string,
    overrides: Partial<AwsSecurityFinding> = {}
  ): AwsSecurityFinding => ({
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: 'arn:aws:securityhub:us-west-2::product/aws/inspector',
    ProductName: 'Inspector',
    CompanyName: 'Amazon',
    GeneratorId: 'inspector',
    AwsAccountId: '123456789012',
    CreatedAt: '2025-03-02T08:20:00.000Z',
    UpdatedAt: '2025-03-10T08:20:00.000Z',
    Title: 'Password authentication over SSH is enabled',
    Description: 'sshd allows password authentication',
    Severity: { Label: 'MEDIUM', Normalized: 40 },
    Workflow: { Status: 'NEW' },
    RecordState: 'ACTIVE',
    Types: ['Software and Configuration Checks/Vulnerabilities'],
    Resources: [{ Type: 'AwsEc2Instance', Id: ARN }],
    ...overrides,
  });

  it('matches the resource, then the IP as source and as destination, and merges the answers', async () => {
    // Prepare
    securityHub.on(GetHubFindingsCommand).callsFake(async (input) => {
      const filters = input.Filters ?? {};
      if (filters.ResourceId) {
        return input.NextToken === 'next'
          ? {
              Findings: [
                hubFinding('config-1', {
                  ProductName: undefined,
                  ProductArn: 'arn:aws:securityhub:us-west-2::product/aws/config',
                  RecordState: 'ARCHIVED',
                }),
              ],
            }
          : { Findings: [hubFinding('insp-1')], NextToken: 'next' };
      }
      if (filters.NetworkSourceIpV4) {
        return {
          Findings: [hubFinding('gd-1', { ProductName: 'GuardDuty', Severity: { Label: 'HIGH' } })],
        };
      }
      return { Findings: [hubFinding('gd-1', { ProductName: 'GuardDuty' })] };
    });
    const source = new AwsSecurityHubSource(clients);

    // Act
    const result = await source.findings(
      { resourceIds: [{ value: ARN, comparison: 'EQUALS' }], ip: ACTOR, maxFindings: 100 },
      TARGET
    );

    // Assess
    expect(result.truncated).toBe(false);
    expect(result.findings).toEqual([
      {
        id: 'insp-1',
        productName: 'Inspector',
        title: 'Password authentication over SSH is enabled',
        severityLabel: 'MEDIUM',
        workflowStatus: 'NEW',
        recordState: 'ACTIVE',
        updatedAt: '2025-03-10T08:20:00.000Z',
        types: ['Software and Configuration Checks/Vulnerabilities'],
        matchedBy: ['resource'],
      },
      expect.objectContaining({ id: 'config-1', productName: 'config', recordState: 'ARCHIVED' }),
      expect.objectContaining({
        id: 'gd-1',
        productName: 'GuardDuty',
        severityLabel: 'HIGH',
        matchedBy: ['destinationIp', 'sourceIp'],
      }),
    ]);
    expect(securityHub).toReceiveCommandWith(GetHubFindingsCommand, {
      Filters: { ResourceId: [{ Value: ARN, Comparison: 'EQUALS' }] },
      SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'desc' }],
      MaxResults: 100,
    });
    expect(securityHub).toReceiveCommandWith(GetHubFindingsCommand, {
      Filters: { NetworkSourceIpV4: [{ Cidr: `${ACTOR}/32` }] },
    });
    expect(securityHub).toReceiveCommandWith(GetHubFindingsCommand, {
      Filters: { NetworkDestinationIpV4: [{ Cidr: `${ACTOR}/32` }] },
    });
  });

  it('uses the IPv6 filters for an IPv6 address', async () => {
    // Prepare
    securityHub.on(GetHubFindingsCommand).resolves({ Findings: [] });
    const source = new AwsSecurityHubSource(clients);

    // Act
    await source.findings({ resourceIds: [], ip: '2001:db8::1', maxFindings: 10 }, TARGET);

    // Assess
    expect(securityHub).toReceiveCommandTimes(GetHubFindingsCommand, 2);
    expect(securityHub).toReceiveCommandWith(GetHubFindingsCommand, {
      Filters: { NetworkSourceIpV6: [{ Cidr: '2001:db8::1/128' }] },
    });
    expect(securityHub).toReceiveCommandWith(GetHubFindingsCommand, {
      Filters: { NetworkDestinationIpV6: [{ Cidr: '2001:db8::1/128' }] },
    });
  });

  it.each([
    [
      new InvalidAccessException({
        message: 'Account is not subscribed to AWS Security Hub',
        $metadata: {},
      }),
      'NOT_ENABLED',
    ],
    [new LimitExceededException({ message: 'Rate exceeded', $metadata: {} }), 'THROTTLED'],
    [Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), 'TIMEOUT'],
    [Object.assign(new Error('boom'), { name: 'InternalException' }), 'UNAVAILABLE'],
  ])('translates %s into %s', async (sdkError, code) => {
    // Prepare
    securityHub.on(GetHubFindingsCommand).rejects(sdkError);
    const source = new AwsSecurityHubSource(clients);

    // Act
    const error = await rejection(
      source.findings(
        { resourceIds: [{ value: ARN, comparison: 'EQUALS' }], maxFindings: 10 },
        TARGET
      )
    );

    // Assess
    expect(error.code).toBe(code);
    expect(error.cause).toBe(sdkError);
  });
});
