import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../src/domain/errors';
import type { Finding, FindingResource, InstanceResource } from '../../../src/domain/Finding';
import {
  BOT_NOTE_AUTHOR,
  type ParsedEvent,
  type ParseEventOptions,
  parseEvent,
} from '../../../src/events/parseEvent';
import { MAX_STRING_LENGTH } from '../../../src/events/schemas';

type JsonObject = { [key: string]: unknown };

const FIXTURES_DIR = new URL('../../fixtures/events/', import.meta.url);
const fixtureCache = new Map<string, JsonObject>();

/** A fresh, mutable copy of a fixture event. */
const fixture = (name: string): JsonObject => {
  let event = fixtureCache.get(name);
  if (event === undefined) {
    event = JSON.parse(readFileSync(new URL(name, FIXTURES_DIR), 'utf8')) as JsonObject;
    fixtureCache.set(name, event);
  }
  return structuredClone(event);
};

const SSH_BRUTE_FORCE = '01-ec2-sshbruteforce.json';
const MALICIOUS_IP_CALLER = '02-ec2-maliciousipcaller-custom.json';
const CREDENTIAL_EXFILTRATION = '03-iam-instancecredentialexfiltration-outsideaws.json';
const IAM_MALICIOUS_IP_CALLER = '04-iam-maliciousipcaller-custom.json';
const IAM_RECON = '05-iam-recon-maliciousipcaller-custom.json';
const MALWARE = '06-ec2-malware-maliciousfile.json';
const SECURITY_HUB_SSH = '07-securityhub-imported-guardduty-sshbruteforce.json';
const SSH_BRUTE_FORCE_UPDATE = 'variants/01b-ec2-sshbruteforce-update.json';

const DIRECT: ParseEventOptions = { skipSecurityHubGuardDuty: true };
const ALL: ParseEventOptions = { skipSecurityHubGuardDuty: false };

const REMOVE = Symbol('remove');

/** Sets (or, with {@link REMOVE}, deletes) the value at a dotted path such as `detail.findings.0.Id`. */
const setAt = (root: JsonObject, path: string, value: unknown): JsonObject => {
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  let node: unknown = root;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null) throw new Error(`no object at ${key}`);
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null) throw new Error(`no object at ${path}`);
  const target = node as Record<string, unknown>;
  if (value === REMOVE) delete target[last];
  else target[last] = value;
  return root;
};

const parsedFinding = (parsed: ParsedEvent): Finding => {
  if (parsed.kind !== 'finding')
    throw new Error(`expected a finding, got skipped: ${parsed.reason}`);
  return parsed.finding;
};

const findingOf = (event: unknown, options: ParseEventOptions = DIRECT): Finding =>
  parsedFinding(parseEvent(event, options));

/** The resource of a finding, asserting it is an instance. */
const instanceOf = (finding: Finding): InstanceResource => {
  if (finding.resource.kind !== 'Instance')
    throw new Error(`expected an Instance, got ${finding.resource.kind}`);
  return finding.resource;
};

const errorOf = (action: () => unknown): unknown => {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
};

/** A GuardDuty event with only the fields the schema requires, around the given resource. */
const minimalGuardDutyEvent = (resource: JsonObject, service: JsonObject = {}): JsonObject => ({
  version: '0',
  id: '11111111-2222-4333-8444-555555555555',
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  time: '2025-03-12T09:00:00Z',
  detail: {
    id: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    type: 'Execution:Runtime/NewBinaryExecuted',
    severity: 5.5,
    accountId: '123456789012',
    region: 'us-west-2',
    title: 'Synthetic finding',
    createdAt: '2025-03-12T08:59:00.000Z',
    updatedAt: '2025-03-12T08:59:30.000Z',
    resource,
    service,
  },
});

const resourceOf = (resource: JsonObject, service?: JsonObject): FindingResource =>
  findingOf(minimalGuardDutyEvent(resource, service)).resource;

describe('Function: parseEvent', () => {
  describe('GuardDuty fixtures', () => {
    it('normalizes the SSH brute force finding (01) with its instance, ENI and groups', () => {
      // Prepare
      const event = fixture(SSH_BRUTE_FORCE);

      // Act
      const parsed = parseEvent(event, DIRECT);

      // Assess
      expect(parsed).toMatchObject({
        kind: 'finding',
        eventId: '3f1c6a52-8e0d-4b7a-9c21-5d4e7f8a9b01',
        eventTime: '2025-03-11T14:05:13Z',
      });
      const finding = parsedFinding(parsed);
      expect(finding).toMatchObject({
        id: '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
        source: 'guardduty',
        type: 'UnauthorizedAccess:EC2/SSHBruteForce',
        severity: 2,
        accountId: '123456789012',
        region: 'us-west-2',
        partition: 'aws',
        detectorId: '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c',
        createdAt: '2025-03-11T13:58:40.113Z',
        updatedAt: '2025-03-11T14:05:12.870Z',
        firstSeen: '2025-03-11T13:41:05.000Z',
        lastSeen: '2025-03-11T14:02:51.000Z',
        count: 37,
        archived: false,
        sample: false,
        resourceRole: 'TARGET',
        threatListNames: [],
      });
      expect(finding.resource).toStrictEqual({
        kind: 'Instance',
        instanceId: 'i-0a1b2c3d4e5f60718',
        name: 'web-01',
        instanceType: 't3.small',
        state: 'running',
        availabilityZone: 'us-west-2a',
        imageId: 'ami-0d1e2f3a4b5c6d7e8',
        launchTime: '2025-03-02T08:15:27.000Z',
        instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/web-tier-profile',
        tags: { Name: 'web-01', Environment: 'prod', Owner: 'platform-team' },
        networkInterfaces: [
          {
            id: 'eni-0a1a1a1a1a1a1a1a1',
            subnetId: 'subnet-0aa11bb22cc33dd44',
            vpcId: 'vpc-0abc1234def567890',
            privateIp: '10.0.1.15',
            publicIp: '198.51.100.10',
            securityGroups: [
              { id: 'sg-0123456789abcdef0', name: 'web-tier-sg' },
              { id: 'sg-0fedcba9876543210', name: 'ssh-admin-sg' },
            ],
          },
        ],
      });
      expect(finding.actor).toStrictEqual({
        actionType: 'NETWORK_CONNECTION',
        ip: '203.0.113.45',
        port: 51734,
        localPort: 22,
        direction: 'INBOUND',
        protocol: 'TCP',
        country: 'Netherlands',
        city: 'Amsterdam',
        organization: 'EXAMPLE-HOSTING-LTD',
        asn: '64501',
      });
      expect(finding.malware).toBeUndefined();
    });

    it('keeps both ENIs of the malicious IP caller (02) with their own groups, and its ASG', () => {
      // Prepare
      const event = fixture(MALICIOUS_IP_CALLER);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding).toMatchObject({
        id: '2ab5d7e9f1c34b6a8d0e2f4a6c8e0b13',
        type: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
        severity: 5,
        count: 12,
        resourceRole: 'ACTOR',
        threatListNames: ['Example-Threat-List'],
        resource: {
          kind: 'Instance',
          instanceId: 'i-0b2c3d4e5f6071829',
          name: 'app-02',
          autoScalingGroup: 'app-tier-asg',
        },
      });
      expect(instanceOf(finding).networkInterfaces).toStrictEqual([
        {
          id: 'eni-0b2b2b2b2b2b2b2b2',
          subnetId: 'subnet-0bb22cc33dd44ee55',
          vpcId: 'vpc-0abc1234def567890',
          privateIp: '10.0.2.31',
          publicIp: '198.51.100.11',
          securityGroups: [{ id: 'sg-0aa11bb22cc33dd44', name: 'app-tier-sg' }],
        },
        {
          id: 'eni-0c3c3c3c3c3c3c3c3',
          subnetId: 'subnet-0cc33dd44ee55ff66',
          vpcId: 'vpc-0abc1234def567890',
          privateIp: '10.0.3.31',
          securityGroups: [
            { id: 'sg-0bb22cc33dd44ee55', name: 'mgmt-eni-sg' },
            { id: 'sg-0cc33dd44ee55ff66', name: 'monitoring-agent-sg' },
          ],
        },
      ]);
      expect(finding.actor).toMatchObject({
        ip: '203.0.113.200',
        port: 443,
        localPort: 48212,
        direction: 'OUTBOUND',
        country: 'Romania',
        organization: 'EXAMPLE-BULLETPROOF-NET',
        asn: '64502',
      });
    });

    it('points the exfiltrated instance credentials (03) back to their instance', () => {
      // Prepare
      const event = fixture(CREDENTIAL_EXFILTRATION);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding).toMatchObject({
        id: '5e7f9a1b3c5d4e6f8a0b2c4d6e8f0a14',
        type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        severity: 8,
        count: 3,
        threatListNames: [],
      });
      expect(finding.resource).toMatchObject({
        kind: 'AccessKey',
        accessKeyId: 'ASIAEXAMPLE7QZ4XK2NB',
        principalId: 'AROAEXAMPLEBATCHROLE1:i-0c3d4e5f607182930',
        userName: 'batch-ec2-role',
        userType: 'AssumedRole',
        sourceInstanceId: 'i-0c3d4e5f607182930',
        sourceInstance: {
          kind: 'Instance',
          instanceId: 'i-0c3d4e5f607182930',
          name: 'batch-03',
          networkInterfaces: [
            {
              id: 'eni-0d4d4d4d4d4d4d4d4',
              securityGroups: [{ id: 'sg-0dd44ee55ff66aa77', name: 'batch-workers-sg' }],
            },
          ],
        },
      });
      expect(finding.actor).toStrictEqual({
        actionType: 'AWS_API_CALL',
        ip: '198.51.100.23',
        country: 'Brazil',
        city: 'Sao Paulo',
        organization: 'EXAMPLE-RESIDENTIAL-ISP',
        asn: '64503',
        apiService: 'dynamodb.amazonaws.com',
        api: 'ListTables',
        userAgent:
          'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/dynamodb.list-tables',
      });
    });

    it('reads the IAM user key, the failed API call and the unpacked threat list of 04', () => {
      // Prepare
      const event = fixture(IAM_MALICIOUS_IP_CALLER);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding).toMatchObject({
        id: '7a9b1c3d5e7f4a6b8c0d2e4f6a8b0c15',
        type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
        severity: 5,
        threatListNames: ['Example-Threat-List'],
      });
      expect(finding.resource).toStrictEqual({
        kind: 'AccessKey',
        accessKeyId: 'AKIAEXAMPLE2MNB7QWER',
        principalId: 'AIDAEXAMPLEREPORTING1',
        userName: 'svc-reporting',
        userType: 'IAMUser',
      });
      expect(finding.actor).toMatchObject({
        actionType: 'AWS_API_CALL',
        ip: '198.51.100.77',
        api: 'CreateUser',
        apiService: 'iam.amazonaws.com',
        errorCode: 'AccessDenied',
        country: 'Germany',
        organization: 'EXAMPLE-VPS-PROVIDER',
      });
    });

    it('normalizes the recon finding (05) with its API call', () => {
      // Prepare
      const event = fixture(IAM_RECON);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding).toMatchObject({
        id: '9c1d3e5f7a9b4c6d8e0f2a4b6c8d0e16',
        type: 'Recon:IAMUser/MaliciousIPCaller.Custom',
        count: 4,
        threatListNames: ['Example-Threat-List'],
        resource: { kind: 'AccessKey', userName: 'svc-reporting' },
        actor: { api: 'DescribeParameters', apiService: 'ssm.amazonaws.com', ip: '198.51.100.77' },
      });
      expect(finding.actor?.errorCode).toBeUndefined();
    });

    it('keeps the malware finding (06) an Instance and reads threat names and file paths', () => {
      // Prepare
      const event = fixture(MALWARE);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding).toMatchObject({
        id: 'b1d3f5a7c9e14b3d5f7a9c1e3b5d7f17',
        type: 'Execution:EC2/MaliciousFile',
        severity: 8,
        resource: { kind: 'Instance', instanceId: 'i-0b2c3d4e5f6071829' },
      });
      expect(finding.malware).toStrictEqual({
        threatNames: ['EICAR-Test-File (not a virus)'],
        filePaths: ['tmp/.cache/eicar.com', 'srv/uploads/invoice.pdf.com'],
        scanId: '4f1e2d3c5b6a79880f1e2d3c4b5a6978',
        triggerFindingId: '2ab5d7e9f1c34b6a8d0e2f4a6c8e0b13',
      });
      expect(finding.actor).toBeUndefined();
    });

    it('reads the update (01b) as the same finding with a higher count and later updatedAt', () => {
      // Prepare
      const original = findingOf(fixture(SSH_BRUTE_FORCE));

      // Act
      const parsed = parseEvent(fixture(SSH_BRUTE_FORCE_UPDATE), DIRECT);

      // Assess
      expect(parsed).toMatchObject({
        kind: 'finding',
        eventId: '7e6d5c4b-3a29-4817-8f6e-5d4c3b2a1908',
      });
      const update = parsedFinding(parsed);
      expect(update.id).toBe(original.id);
      expect(update.count).toBe(412);
      expect(update.count).toBeGreaterThan(original.count);
      expect(Date.parse(update.updatedAt)).toBeGreaterThan(Date.parse(original.updatedAt));
      expect(update.lastSeen).toBe('2025-03-11T19:58:30.000Z');
      expect(update.actor).toMatchObject({ ip: '203.0.113.91', country: 'Singapore' });
    });
  });

  describe('Security Hub fixture', () => {
    it('skips the GuardDuty ASFF copy (07) when GuardDuty is ingested directly', () => {
      // Prepare
      const event = fixture(SECURITY_HUB_SSH);

      // Act
      const parsed = parseEvent(event, DIRECT);

      // Assess
      expect(parsed).toStrictEqual({
        kind: 'skipped',
        eventId: '4d5e6f70-8192-4a3b-bc4d-5e6f708192a3',
        reason: 'GuardDuty is ingested directly',
      });
    });

    it('normalizes the GuardDuty ASFF copy (07) when Security Hub is the only feed', () => {
      // Prepare
      const event = fixture(SECURITY_HUB_SSH);

      // Act
      const parsed = parseEvent(event, ALL);

      // Assess
      expect(parsed).toMatchObject({ kind: 'finding', eventTime: '2025-03-11T14:06:02Z' });
      const finding = parsedFinding(parsed);
      expect(finding).toMatchObject({
        id: 'arn:aws:guardduty:us-west-2:123456789012:detector/6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c/finding/8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
        source: 'securityhub',
        type: 'TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce',
        severity: 2,
        accountId: '123456789012',
        region: 'us-west-2',
        partition: 'aws',
        detectorId: '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c',
        createdAt: '2025-03-11T13:58:40.113Z',
        updatedAt: '2025-03-11T14:05:12.870Z',
        firstSeen: '2025-03-11T13:41:05.000Z',
        lastSeen: '2025-03-11T14:02:51.000Z',
        count: 37,
        archived: false,
        sample: false,
        resourceRole: 'TARGET',
        productName: 'GuardDuty',
        productArn: 'arn:aws:securityhub:us-west-2::product/aws/guardduty',
      });
      expect(finding.resource).toStrictEqual({
        kind: 'Instance',
        instanceId: 'i-0a1b2c3d4e5f60718',
        name: 'web-01',
        instanceType: 't3.small',
        imageId: 'ami-0d1e2f3a4b5c6d7e8',
        launchTime: '2025-03-02T08:15:27.000Z',
        instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/web-tier-profile',
        tags: { Name: 'web-01', Environment: 'prod', Owner: 'platform-team' },
        networkInterfaces: [
          {
            id: 'eni-0a1a1a1a1a1a1a1a1',
            subnetId: 'subnet-0aa11bb22cc33dd44',
            vpcId: 'vpc-0abc1234def567890',
            privateIp: '10.0.1.15',
            publicIp: '198.51.100.10',
            securityGroups: [],
          },
        ],
      });
      expect(finding.actor).toStrictEqual({
        actionType: 'NETWORK_CONNECTION',
        ip: '203.0.113.45',
        port: 51734,
        localPort: 22,
        direction: 'INBOUND',
        protocol: 'TCP',
        country: 'Netherlands',
        city: 'Amsterdam',
        organization: 'EXAMPLE-HOSTING-LTD',
        asn: '64501',
      });
    });

    it('recognises GuardDuty by its product ARN when ProductName is absent', () => {
      // Prepare
      const event = setAt(fixture(SECURITY_HUB_SSH), 'detail.findings.0.ProductName', REMOVE);

      // Act
      const skipped = parseEvent(event, DIRECT);
      const finding = findingOf(event, ALL);

      // Assess
      expect(skipped).toMatchObject({ kind: 'skipped', reason: 'GuardDuty is ingested directly' });
      expect(finding.productName).toBe('aws/guardduty');
    });

    it('skips the echo of the bot’s own BatchUpdateFindings', () => {
      // Prepare
      const event = setAt(fixture(SECURITY_HUB_SSH), 'detail.findings.0.Note', {
        Text: 'Dismissed from Slack by @alice',
        UpdatedBy: BOT_NOTE_AUTHOR,
        UpdatedAt: '2025-03-11T14:30:00.000Z',
      });

      // Act
      const parsed = parseEvent(event, ALL);

      // Assess
      expect(parsed).toStrictEqual({
        kind: 'skipped',
        eventId: '4d5e6f70-8192-4a3b-bc4d-5e6f708192a3',
        reason: 'update made by the bot itself',
      });
    });

    it('processes a product update that arrives after the bot’s note', () => {
      // Prepare
      const event = fixture(SECURITY_HUB_SSH);
      setAt(event, 'detail.findings.0.Note', {
        Text: 'Dismissed from Slack by @alice',
        UpdatedBy: BOT_NOTE_AUTHOR,
        UpdatedAt: '2025-03-11T14:30:00.000Z',
      });
      setAt(event, 'detail.findings.0.UpdatedAt', '2025-03-11T20:05:13.402Z');

      // Act
      const parsed = parseEvent(event, ALL);

      // Assess
      expect(parsed.kind).toBe('finding');
    });

    it('processes findings whose note was written by someone else', () => {
      // Prepare
      const event = setAt(fixture(SECURITY_HUB_SSH), 'detail.findings.0.Note', {
        Text: 'looking into it',
        UpdatedBy: 'arn:aws:iam::123456789012:user/alice',
        UpdatedAt: '2025-03-11T14:30:00.000Z',
      });

      // Act
      const parsed = parseEvent(event, ALL);

      // Assess
      expect(parsed.kind).toBe('finding');
    });
  });

  describe('Security Hub findings of other products', () => {
    /** An Inspector-like ASFF event on the given resources. */
    const asffEvent = (finding: JsonObject): JsonObject => {
      const event = fixture(SECURITY_HUB_SSH);
      const base = (event.detail as { findings: JsonObject[] }).findings[0] ?? {};
      for (const key of [
        'Network',
        'Action',
        'ProductFields',
        'FirstObservedAt',
        'LastObservedAt',
      ]) {
        delete base[key];
      }
      Object.assign(base, {
        Id: 'arn:aws:inspector2:us-west-2:123456789012:finding/0123456789abcdef0123456789abcdef',
        ProductArn: 'arn:aws:securityhub:us-west-2::product/aws/inspector',
        ProductName: 'Inspector',
        GeneratorId: 'AWSInspector',
        Types: ['Software and Configuration Checks/Vulnerabilities/CVE'],
        Severity: { Label: 'HIGH', Normalized: 70 },
        ...finding,
      });
      return event;
    };

    it('maps Normalized severity to the 1–10 scale and RecordState ARCHIVED to archived', () => {
      // Prepare
      const event = asffEvent({ RecordState: 'ARCHIVED' });

      // Act
      const finding = findingOf(event, DIRECT);

      // Assess
      expect(finding).toMatchObject({
        source: 'securityhub',
        type: 'Software and Configuration Checks/Vulnerabilities/CVE',
        severity: 7,
        archived: true,
        count: 1,
        productName: 'Inspector',
        productArn: 'arn:aws:securityhub:us-west-2::product/aws/inspector',
        resource: { kind: 'Instance', instanceId: 'i-0a1b2c3d4e5f60718' },
      });
      expect(finding.detectorId).toBeUndefined();
      expect(finding.actor).toBeUndefined();
    });

    it.each([
      [{ Label: 'CRITICAL' }, 9],
      [{ Label: 'HIGH' }, 7],
      [{ Label: 'MEDIUM' }, 4],
      [{ Label: 'LOW' }, 1],
      [{ Label: 'INFORMATIONAL' }, 1],
      [{ Normalized: 0 }, 1],
      [{ Normalized: 100, Label: 'CRITICAL' }, 10],
      [{ Normalized: 45 }, 4.5],
      [{ Product: 99, Label: 'LOW' }, 1],
    ])('derives severity %j as %d', (severity, expected) => {
      // Prepare
      const event = asffEvent({ Severity: severity });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.severity).toBe(expected);
    });

    it('uses the GuardDuty product severity, clamped to 1–10', () => {
      // Prepare
      const event = setAt(fixture(SECURITY_HUB_SSH), 'detail.findings.0.Severity', {
        Product: 0.5,
        Label: 'INFORMATIONAL',
        Normalized: 5,
      });

      // Act
      const finding = findingOf(event, ALL);

      // Assess
      expect(finding.severity).toBe(1);
    });

    it('normalizes an AwsIamAccessKey resource and its role session instance', () => {
      // Prepare
      const event = asffEvent({
        Resources: [
          {
            Type: 'AwsIamAccessKey',
            Id: 'AWS::IAM::AccessKey:ASIAEXAMPLE7QZ4XK2NB',
            Details: {
              AwsIamAccessKey: {
                PrincipalId: 'AROAEXAMPLEBATCHROLE1:i-0c3d4e5f607182930',
                PrincipalName: 'batch-ec2-role',
                PrincipalType: 'AssumedRole',
              },
            },
          },
        ],
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.resource).toStrictEqual({
        kind: 'AccessKey',
        accessKeyId: 'ASIAEXAMPLE7QZ4XK2NB',
        principalId: 'AROAEXAMPLEBATCHROLE1:i-0c3d4e5f607182930',
        userName: 'batch-ec2-role',
        userType: 'AssumedRole',
        sourceInstanceId: 'i-0c3d4e5f607182930',
      });
    });

    it('lists every AwsS3Bucket resource', () => {
      // Prepare
      const event = asffEvent({
        Resources: [
          { Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::finance-exports' },
          { Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::finance-archive' },
        ],
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.resource).toStrictEqual({
        kind: 'S3Bucket',
        buckets: [
          { name: 'finance-exports', arn: 'arn:aws:s3:::finance-exports' },
          { name: 'finance-archive', arn: 'arn:aws:s3:::finance-archive' },
        ],
      });
    });

    it('shows any other resource type with its id', () => {
      // Prepare
      const arn = 'arn:aws:lambda:us-west-2:123456789012:function:image-resizer';
      const event = asffEvent({ Resources: [{ Type: 'AwsLambdaFunction', Id: arn }] });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.resource).toStrictEqual({
        kind: 'Other',
        resourceType: 'AwsLambdaFunction',
        id: arn,
        details: [],
      });
    });

    it('takes the region from the product ARN when Region is absent', () => {
      // Prepare
      const event = asffEvent({
        ProductArn: 'arn:aws-us-gov:securityhub:us-gov-west-1::product/aws/inspector',
      });
      setAt(event, 'detail.findings.0.Region', REMOVE);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding).toMatchObject({ region: 'us-gov-west-1', partition: 'aws-us-gov' });
    });

    it('reads the remote side of an outbound Network block', () => {
      // Prepare
      const event = asffEvent({
        Network: {
          Direction: 'OUT',
          Protocol: 'TCP',
          SourceIpV4: '10.0.2.31',
          SourcePort: 48212,
          DestinationIpV4: '203.0.113.200',
          DestinationPort: 443,
        },
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.actor).toStrictEqual({
        direction: 'OUTBOUND',
        protocol: 'TCP',
        ip: '203.0.113.200',
        port: 443,
        localPort: 48212,
      });
    });

    it('reads an AwsApiCallAction as the actor', () => {
      // Prepare
      const event = asffEvent({
        Action: {
          ActionType: 'AWS_API_CALL',
          AwsApiCallAction: {
            Api: 'CreateUser',
            ServiceName: 'iam.amazonaws.com',
            RemoteIpDetails: {
              IpAddressV4: '198.51.100.77',
              Organization: { Asn: 64504, Isp: 'Example VPS Provider' },
            },
          },
        },
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.actor).toStrictEqual({
        actionType: 'AWS_API_CALL',
        ip: '198.51.100.77',
        organization: 'Example VPS Provider',
        asn: '64504',
        api: 'CreateUser',
        apiService: 'iam.amazonaws.com',
      });
    });
  });

  describe('other resource types', () => {
    it('normalizes an EKSCluster finding with its workload', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'EKSCluster',
        eksClusterDetails: {
          name: 'prod-cluster',
          arn: 'arn:aws:eks:us-west-2:123456789012:cluster/prod-cluster',
          status: 'ACTIVE',
        },
        kubernetesDetails: {
          kubernetesUserDetails: { username: 'system:serviceaccount:default:runner' },
          kubernetesWorkloadDetails: {
            name: 'miner-7d9f',
            type: 'pods',
            namespace: 'default',
            containers: [{ name: 'miner', image: 'registry.example.com/miner:latest' }],
          },
        },
      });

      // Assess
      expect(resource).toStrictEqual({
        kind: 'Other',
        resourceType: 'EKSCluster',
        id: 'prod-cluster',
        details: [
          { label: 'Namespace', value: 'default' },
          { label: 'Workload', value: 'pods/miner-7d9f' },
          { label: 'Kubernetes user', value: 'system:serviceaccount:default:runner' },
          { label: 'Image', value: 'registry.example.com/miner:latest' },
        ],
      });
    });

    it('normalizes a Lambda finding by function name', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'Lambda',
        lambdaDetails: {
          functionName: 'image-resizer',
          functionArn: 'arn:aws:lambda:us-west-2:123456789012:function:image-resizer',
          functionVersion: '$LATEST',
        },
      });

      // Assess
      expect(resource).toStrictEqual({
        kind: 'Other',
        resourceType: 'Lambda',
        id: 'image-resizer',
        details: [
          {
            label: 'Function ARN',
            value: 'arn:aws:lambda:us-west-2:123456789012:function:image-resizer',
          },
          { label: 'Version', value: '$LATEST' },
        ],
      });
    });

    it('normalizes an RDSDBInstance finding with engine and database user', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'RDSDBInstance',
        rdsDbInstanceDetails: {
          dbInstanceIdentifier: 'orders-db-1',
          dbClusterIdentifier: 'orders-cluster',
          engine: 'aurora-postgresql',
          engineVersion: '15.4',
        },
        rdsDbUserDetails: { user: 'admin', database: 'orders', application: 'psql' },
      });

      // Assess
      expect(resource).toStrictEqual({
        kind: 'Other',
        resourceType: 'RDSDBInstance',
        id: 'orders-db-1',
        details: [
          { label: 'Engine', value: 'aurora-postgresql 15.4' },
          { label: 'Cluster', value: 'orders-cluster' },
          { label: 'Database user', value: 'admin' },
          { label: 'Database', value: 'orders' },
          { label: 'Application', value: 'psql' },
        ],
      });
    });

    it('normalizes an RDSLimitlessDB finding by shard group', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'RDSLimitlessDB',
        rdsLimitlessDbDetails: { dbShardGroupIdentifier: 'orders-shards', engine: 'postgres' },
      });

      // Assess
      expect(resource).toMatchObject({ kind: 'Other', id: 'orders-shards' });
    });

    it('normalizes a Container finding with image and cluster', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'Container',
        containerDetails: {
          id: '3b1f0c9e8d7a',
          name: 'web',
          image: 'nginx:1.25',
          containerRuntime: 'containerd',
        },
        ecsClusterDetails: { name: 'shop-cluster' },
      });

      // Assess
      expect(resource).toStrictEqual({
        kind: 'Other',
        resourceType: 'Container',
        id: 'web',
        details: [
          { label: 'Image', value: 'nginx:1.25' },
          { label: 'Container id', value: '3b1f0c9e8d7a' },
          { label: 'Runtime', value: 'containerd' },
          { label: 'ECS cluster', value: 'shop-cluster' },
        ],
      });
    });

    it('normalizes an ECSCluster finding with its task definition', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'ECSCluster',
        ecsClusterDetails: {
          name: 'shop-cluster',
          taskDetails: {
            definitionArn: 'arn:aws:ecs:us-west-2:123456789012:task-definition/shop:7',
            containers: [{ name: 'app', image: 'shop:7' }],
          },
        },
      });

      // Assess
      expect(resource).toMatchObject({
        kind: 'Other',
        id: 'shop-cluster',
        details: [
          {
            label: 'Task definition',
            value: 'arn:aws:ecs:us-west-2:123456789012:task-definition/shop:7',
          },
          { label: 'Image', value: 'shop:7' },
        ],
      });
    });

    it('normalizes an S3Bucket finding into its buckets', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'S3Bucket',
        s3BucketDetails: [
          { name: 'finance-exports', arn: 'arn:aws:s3:::finance-exports', type: 'Destination' },
        ],
      });

      // Assess
      expect(resource).toStrictEqual({
        kind: 'S3Bucket',
        buckets: [{ name: 'finance-exports', arn: 'arn:aws:s3:::finance-exports' }],
      });
    });

    it('still produces a finding for an unknown resource type, with the id it can find', () => {
      // Act
      const resource = resourceOf({
        resourceType: 'QuantumComputer',
        quantumComputerDetails: { name: 'qc-01', qubits: 1024 },
      });

      // Assess
      expect(resource).toStrictEqual({
        kind: 'Other',
        resourceType: 'QuantumComputer',
        id: 'qc-01',
        details: [],
      });
    });

    it('shows an Instance finding without instance details (terminated instance) as Other', () => {
      // Act
      const resource = resourceOf({ resourceType: 'Instance' });

      // Assess
      expect(resource).toStrictEqual({ kind: 'Other', resourceType: 'Instance', details: [] });
    });
  });

  describe('GuardDuty details', () => {
    it('fills defaults from a minimal event', () => {
      // Act
      const finding = findingOf(minimalGuardDutyEvent({ resourceType: 'Lambda' }));

      // Assess
      expect(finding).toMatchObject({
        partition: 'aws',
        description: '',
        count: 1,
        archived: false,
        sample: false,
        threatListNames: [],
      });
      expect(finding.actor).toBeUndefined();
      expect(finding.firstSeen).toBeUndefined();
    });

    it('accepts an unknown finding type verbatim', () => {
      // Prepare
      const event = setAt(
        fixture(SSH_BRUTE_FORCE),
        'detail.type',
        'NewTactic:EC2/NeverSeenBefore!7'
      );

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.type).toBe('NewTactic:EC2/NeverSeenBefore!7');
    });

    it.each([
      ['epoch milliseconds', 1492735675000, '2017-04-21T00:47:55.000Z'],
      ['epoch seconds', 1492735675, '2017-04-21T00:47:55.000Z'],
      ['an ISO string without milliseconds', '2017-04-21T00:47:55Z', '2017-04-21T00:47:55.000Z'],
      ['an unreadable string', 'last Tuesday', undefined],
    ])('normalizes a launchTime given as %s to ISO', (_case, launchTime, expected) => {
      // Prepare
      const event = setAt(
        fixture(SSH_BRUTE_FORCE),
        'detail.resource.instanceDetails.launchTime',
        launchTime
      );

      // Act
      const finding = findingOf(event);

      // Assess
      expect(instanceOf(finding).launchTime).toBe(expected);
    });

    it('reads the threat list name and the sample flag packed in additionalInfo.value', () => {
      // Prepare
      const event = setAt(fixture(SSH_BRUTE_FORCE), 'detail.service.additionalInfo', {
        value: '{"threatListName":"Packed-List","sample":true}',
        type: 'default',
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.threatListNames).toStrictEqual(['Packed-List']);
      expect(finding.sample).toBe(true);
    });

    it('merges threat list names from every place, without duplicates', () => {
      // Prepare
      const event = fixture(MALICIOUS_IP_CALLER);
      setAt(event, 'detail.service.additionalInfo', {
        threatListName: 'Unpacked-List',
        value: '{"threatListName":"Example-Threat-List"}',
        sample: true,
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.threatListNames).toStrictEqual(['Example-Threat-List', 'Unpacked-List']);
      expect(finding.sample).toBe(true);
    });

    it('ignores an additionalInfo.value that is not JSON', () => {
      // Prepare
      const event = setAt(fixture(SSH_BRUTE_FORCE), 'detail.service.additionalInfo', {
        value: '{"threatListName": "unterminated',
        type: 'default',
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.threatListNames).toStrictEqual([]);
      expect(finding.sample).toBe(false);
    });

    it('reads the first prober of a PORT_PROBE action', () => {
      // Prepare
      const event = setAt(fixture(SSH_BRUTE_FORCE), 'detail.service.action', {
        actionType: 'PORT_PROBE',
        portProbeAction: {
          blocked: false,
          portProbeDetails: [
            {
              localPortDetails: { port: 3389, portName: 'RDP' },
              remoteIpDetails: { ipAddressV4: '203.0.113.7', country: { countryName: 'Chile' } },
            },
            { localPortDetails: { port: 22 }, remoteIpDetails: { ipAddressV4: '203.0.113.8' } },
          ],
        },
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.actor).toStrictEqual({
        actionType: 'PORT_PROBE',
        ip: '203.0.113.7',
        country: 'Chile',
        localPort: 3389,
      });
    });

    it('reads the domain of a DNS_REQUEST action', () => {
      // Prepare
      const event = setAt(fixture(MALICIOUS_IP_CALLER), 'detail.service.action', {
        actionType: 'DNS_REQUEST',
        dnsRequestAction: { domain: 'pool.miner.example', protocol: 'UDP', blocked: false },
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.actor).toStrictEqual({
        actionType: 'DNS_REQUEST',
        domain: 'pool.miner.example',
        protocol: 'UDP',
      });
    });

    it('keeps only the action type of actions it does not know', () => {
      // Prepare
      const event = setAt(fixture(SSH_BRUTE_FORCE), 'detail.service.action', {
        actionType: 'KUBERNETES_API_CALL',
        kubernetesApiCallAction: { verb: 'create' },
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.actor).toStrictEqual({ actionType: 'KUBERNETES_API_CALL' });
    });

    it('does not take a non-instance session name for an instance id', () => {
      // Prepare
      const event = setAt(
        fixture(CREDENTIAL_EXFILTRATION),
        'detail.resource.accessKeyDetails.principalId',
        'AROAEXAMPLEBATCHROLE1:botocore-session-1741700000'
      );

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.resource).toMatchObject({ kind: 'AccessKey', userName: 'batch-ec2-role' });
      expect(finding.resource).not.toHaveProperty('sourceInstanceId');
    });

    it('treats null optional fields as absent', () => {
      // Prepare
      const event = fixture(SSH_BRUTE_FORCE);
      setAt(event, 'detail.service.count', null);
      setAt(event, 'detail.service.archived', null);
      setAt(event, 'detail.resource.instanceDetails.networkInterfaces.0.publicIp', null);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding).toMatchObject({ count: 1, archived: false });
      expect(instanceOf(finding).networkInterfaces[0]?.publicIp).toBeUndefined();
    });

    it('tolerates display-only fields of the wrong type', () => {
      // Prepare
      const event = fixture(SSH_BRUTE_FORCE);
      setAt(event, 'detail.service.action.networkConnectionAction.remoteIpDetails.country', 'NL');
      setAt(event, 'detail.resource.instanceDetails.instanceType', 42);
      setAt(event, 'detail.service.evidence', 'not an object');

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.actor?.country).toBeUndefined();
      expect(finding.actor?.ip).toBe('203.0.113.45');
      expect(instanceOf(finding).instanceType).toBeUndefined();
    });

    it('marks archived findings', () => {
      // Prepare
      const event = setAt(fixture(SSH_BRUTE_FORCE), 'detail.service.archived', true);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.archived).toBe(true);
    });
  });

  describe('untrusted text', () => {
    const HOSTILE =
      '<!channel> *bold* _it_ ~s~ `code` ```block``` <https://evil.example|click> & &amp; </script>\n\u202e\u0000 @here';

    it('keeps hostile strings verbatim for the renderer to escape', () => {
      // Prepare
      const event = fixture(SSH_BRUTE_FORCE);
      setAt(event, 'detail.title', HOSTILE);
      setAt(event, 'detail.description', HOSTILE);
      setAt(event, 'detail.resource.instanceDetails.tags', [
        { key: 'Name', value: HOSTILE },
        { key: HOSTILE, value: 'x' },
      ]);
      setAt(event, 'detail.service.action.networkConnectionAction.remoteIpDetails.organization', {
        asnOrg: HOSTILE,
      });

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.title).toBe(HOSTILE);
      expect(finding.description).toBe(HOSTILE);
      expect(finding.actor?.organization).toBe(HOSTILE);
      expect(finding.resource).toMatchObject({
        kind: 'Instance',
        name: HOSTILE,
        tags: { Name: HOSTILE, [HOSTILE]: 'x' },
      });
    });

    it('keeps a __proto__ tag as a plain tag', () => {
      // Prepare
      const event = fixture(SSH_BRUTE_FORCE);
      setAt(event, 'detail.resource.instanceDetails.tags', [{ key: '__proto__', value: 'evil' }]);

      // Act
      const finding = findingOf(event);

      // Assess
      const { tags } = instanceOf(finding);
      expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value).toBe('evil');
      expect(finding.resource).toMatchObject({ kind: 'Instance' });
    });

    it('treats a resource type named like an Object.prototype member as unknown', () => {
      // Act
      const resource = resourceOf({ resourceType: 'constructor' });

      // Assess
      expect(resource).toStrictEqual({ kind: 'Other', resourceType: 'constructor', details: [] });
    });

    it(`caps every string at ${MAX_STRING_LENGTH} characters`, () => {
      // Prepare
      const event = fixture(SSH_BRUTE_FORCE);
      setAt(event, 'detail.title', 'A'.repeat(1_000_000));
      setAt(event, 'detail.description', `${'B'.repeat(MAX_STRING_LENGTH - 1)}😀 tail`);

      // Act
      const finding = findingOf(event);

      // Assess
      expect(finding.title).toBe('A'.repeat(MAX_STRING_LENGTH));
      // The emoji straddles the limit: it is dropped whole rather than cut in half.
      expect(finding.description).toBe('B'.repeat(MAX_STRING_LENGTH - 1));
    });
  });

  describe('events that are not findings', () => {
    it('skips other GuardDuty detail-types with a reason', () => {
      // Prepare
      const event = fixture(SSH_BRUTE_FORCE);
      setAt(event, 'detail-type', 'GuardDuty Malware Protection Object Scan Result');
      setAt(event, 'detail', { scanStatus: 'COMPLETED' });

      // Act
      const parsed = parseEvent(event, DIRECT);

      // Assess
      expect(parsed).toStrictEqual({
        kind: 'skipped',
        eventId: '3f1c6a52-8e0d-4b7a-9c21-5d4e7f8a9b01',
        reason:
          'GuardDuty detail-type "GuardDuty Malware Protection Object Scan Result" is not a finding',
      });
    });

    it('skips other Security Hub detail-types', () => {
      // Prepare
      const event = setAt(
        fixture(SECURITY_HUB_SSH),
        'detail-type',
        'Security Hub Findings - Custom Action'
      );

      // Act
      const parsed = parseEvent(event, ALL);

      // Assess
      expect(parsed).toMatchObject({ kind: 'skipped' });
    });

    it('rejects an unknown source', () => {
      // Prepare
      const event = setAt(fixture(SSH_BRUTE_FORCE), 'source', 'aws.ec2');

      // Act
      const error = errorOf(() => parseEvent(event, DIRECT));

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({
        path: 'source',
        code: 'INVALID_EVENT',
        message: 'invalid event at source: unsupported source "aws.ec2"',
      });
    });
  });

  describe('malformed events', () => {
    it.each([
      ['detail.severity', 'HIGH', 'expected number, got string'],
      ['detail.severity', REMOVE, 'expected number, but it is missing'],
      ['detail.severity', 11, 'expected a number from 0 to 10'],
      ['detail.severity', -1, 'expected a number from 0 to 10'],
      ['detail.id', '', 'expected a non-empty string'],
      ['detail.id', 12345, 'expected string, got number'],
      ['detail.type', REMOVE, 'expected string, but it is missing'],
      ['detail.accountId', '12345', 'expected a 12-digit AWS account id'],
      ['detail.accountId', 123456789012, 'expected string, got number'],
      ['detail.region', 'Mars-1', 'expected an AWS Region name'],
      ['detail.createdAt', 'yesterday', 'expected an ISO 8601 date-time'],
      ['detail.updatedAt', 1741701912870, 'expected string, got number'],
      ['detail.resource', REMOVE, 'expected object, but it is missing'],
      ['detail.resource.resourceType', REMOVE, 'expected string, but it is missing'],
      ['detail.service', [], 'expected object, got array'],
      ['detail.service.count', '37', 'expected number, got string'],
      ['detail.service.count', 1.5, 'expected an integer'],
      ['detail.service.archived', 'false', 'expected boolean, got string'],
      ['detail.service.eventLastSeen', 'soon', 'expected an ISO 8601 date-time'],
      [
        'detail.resource.instanceDetails.instanceId',
        'i-; rm -rf /',
        'expected an EC2 instance id (i-…)',
      ],
      [
        'detail.resource.instanceDetails.networkInterfaces.0.networkInterfaceId',
        'eni-XYZ',
        'expected a network interface id (eni-…)',
      ],
      [
        'detail.resource.instanceDetails.networkInterfaces.0.securityGroups.1.groupId',
        REMOVE,
        'expected string, but it is missing',
      ],
      ['detail.resource.instanceDetails.tags.0.key', null, 'expected string, got null'],
      [
        'detail.service.action.networkConnectionAction.remotePortDetails.port',
        70000,
        'Too big: expected number to be <=65535',
      ],
      ['id', REMOVE, 'expected string, but it is missing'],
      ['time', 'now', 'expected an ISO 8601 date-time'],
      ['detail', REMOVE, 'expected object, but it is missing'],
      ['detail', 'a string', 'expected object, got string'],
    ])('rejects a GuardDuty event whose %s is %j', (path, value, message) => {
      // Prepare
      const event = setAt(fixture(SSH_BRUTE_FORCE), path, value);

      // Act
      const error = errorOf(() => parseEvent(event, DIRECT));

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({ path, message: `invalid event at ${path}: ${message}` });
    });

    it.each([
      ['detail.findings', [], 'expected exactly one finding'],
      ['detail.findings', 'x', 'expected array, got string'],
      ['detail.findings.0', null, 'expected object, got null'],
      ['detail.findings.0.Id', REMOVE, 'expected string, but it is missing'],
      ['detail.findings.0.AwsAccountId', 'acct', 'expected a 12-digit AWS account id'],
      ['detail.findings.0.ProductArn', 'arn:aws:guardduty', 'expected a Security Hub product ARN'],
      ['detail.findings.0.Resources', [], 'expected at least one resource'],
      ['detail.findings.0.Resources.0.Type', 7, 'expected string, got number'],
      [
        'detail.findings.0.Severity',
        REMOVE,
        'expected Severity.Product, Severity.Normalized or a known Severity.Label',
      ],
      ['detail.findings.0.UpdatedAt', 'later', 'expected an ISO 8601 date-time'],
    ])('rejects a Security Hub event whose %s is %j', (path, value, message) => {
      // Prepare
      const event = setAt(fixture(SECURITY_HUB_SSH), path, value);

      // Act
      const error = errorOf(() => parseEvent(event, ALL));

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({ path, message: `invalid event at ${path}: ${message}` });
    });

    it('rejects a second finding in one Security Hub event', () => {
      // Prepare
      const event = fixture(SECURITY_HUB_SSH);
      const findings = (event.detail as { findings: unknown[] }).findings;
      findings.push(structuredClone(findings[0]));

      // Act
      const error = errorOf(() => parseEvent(event, ALL));

      // Assess
      expect(error).toMatchObject({
        path: 'detail.findings',
        message: expect.stringContaining('exactly one'),
      });
    });

    it.each([
      ['null', null, 'expected object, got null'],
      ['undefined', undefined, 'expected object, but it is missing'],
      ['a number', 42, 'expected object, got number'],
      ['a boolean', true, 'expected object, got boolean'],
      ['a string', 'GuardDuty Finding', 'expected object, got string'],
      ['a huge string', 'x'.repeat(5_000_000), 'expected object, got string'],
      ['an array', [fixture(SSH_BRUTE_FORCE)], 'expected object, got array'],
      ['an empty object', {}, 'expected string, but it is missing'],
    ])('rejects %s as input', (_case, input, message) => {
      // Act
      const error = errorOf(() => parseEvent(input, DIRECT));

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as InvalidEventError).message).toContain(message);
    });
  });

  describe('fuzzing', () => {
    /** Deterministic PRNG (mulberry32), so a failure can be replayed. */
    const random = (seed: number): (() => number) => {
      let state = seed;
      return () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    };

    const JUNK: unknown[] = [
      REMOVE,
      null,
      0,
      -1,
      1e308,
      3.5,
      true,
      '',
      'x'.repeat(100_000),
      '2025-03-11T14:05:13Z',
      '__proto__',
      [],
      [null],
      {},
      { __proto__: { polluted: true } },
      JSON.parse('{"__proto__": {"polluted": true}}'),
    ];

    const paths = (node: unknown, prefix = ''): string[] => {
      if (typeof node !== 'object' || node === null) return [];
      return Object.entries(node).flatMap(([key, value]) => {
        const path = prefix === '' ? key : `${prefix}.${key}`;
        return [path, ...paths(value, path)];
      });
    };

    it.each([
      SSH_BRUTE_FORCE,
      MALICIOUS_IP_CALLER,
      CREDENTIAL_EXFILTRATION,
      IAM_MALICIOUS_IP_CALLER,
      IAM_RECON,
      MALWARE,
      SECURITY_HUB_SSH,
    ])('returns a result or throws InvalidEventError for mutations of %s', (name) => {
      // Prepare
      const next = random(name.length * 7919);
      const candidates = paths(fixture(name));

      for (let round = 0; round < 300; round += 1) {
        const event = fixture(name);
        for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits -= 1) {
          const path = candidates[Math.floor(next() * candidates.length)] ?? 'id';
          const junk = JUNK[Math.floor(next() * JUNK.length)];
          try {
            setAt(event, path, junk);
          } catch {
            // An earlier edit removed the parent: nothing to mutate.
          }
        }

        // Act
        let outcome: unknown;
        try {
          outcome = parseEvent(event, next() < 0.5 ? DIRECT : ALL);
        } catch (error) {
          outcome = error;
        }

        // Assess
        if (outcome instanceof InvalidEventError) continue;
        expect(outcome).toMatchObject({ kind: expect.stringMatching(/^(finding|skipped)$/) });
      }
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  });
});
