import type { Finding, InstanceResource } from '../../../../src/domain/Finding';

/**
 * Hand-built findings for the renderer tests, modelled on the event fixtures. Each builder returns
 * a fresh object, so a test may change it freely.
 */

/** Strings an attacker controls (titles, user agents, tags) trying to ping, phish or fake markup. */
export const HOSTILE = '<!channel> <@U123> <https://evil.example|click> &lt; *bold* `code`';

/** A string far beyond every Block Kit limit. */
export const HUGE = 'x'.repeat(10_000);

const webInstance = (): InstanceResource => ({
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

/** Fixture 01: SSH brute force against web-01, Low (2.0), 37 times. */
export const sshBruteForceFinding = (): Finding => ({
  id: '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
  source: 'guardduty',
  arn: 'arn:aws:guardduty:us-west-2:123456789012:detector/6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c/finding/8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
  type: 'UnauthorizedAccess:EC2/SSHBruteForce',
  title: '203.0.113.45 is performing SSH brute force attacks against i-0a1b2c3d4e5f60718.',
  description:
    '203.0.113.45 is performing SSH brute force attacks against i-0a1b2c3d4e5f60718. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.',
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
  resource: webInstance(),
  actor: {
    actionType: 'NETWORK_CONNECTION',
    ip: '203.0.113.45',
    port: 51734,
    localPort: 22,
    direction: 'INBOUND',
    protocol: 'TCP',
    country: 'Netherlands',
    city: 'Amsterdam',
    organization: 'Example Hosting Ltd',
    asn: '64501',
  },
  threatListNames: [],
});

/** Fixture 03: batch-03's role credentials used from outside AWS, High (8.0). */
export const credentialExfiltrationFinding = (): Finding => ({
  id: '5e7f9a1b3c5d4e6f8a0b2c4d6e8f0a14',
  source: 'guardduty',
  arn: 'arn:aws:guardduty:us-west-2:123456789012:detector/6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c/finding/5e7f9a1b3c5d4e6f8a0b2c4d6e8f0a14',
  type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  title: 'Credentials for instance role batch-ec2-role used from external IP address.',
  description:
    'Credentials created exclusively for an EC2 instance using instance role batch-ec2-role have been used from external IP address 198.51.100.23.',
  severity: 8,
  accountId: '123456789012',
  region: 'us-west-2',
  partition: 'aws',
  detectorId: '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c',
  createdAt: '2025-03-11T16:03:26.004Z',
  updatedAt: '2025-03-11T16:03:26.004Z',
  firstSeen: '2025-03-11T15:57:48.000Z',
  lastSeen: '2025-03-11T15:59:02.000Z',
  count: 3,
  archived: false,
  sample: false,
  resourceRole: 'TARGET',
  resource: {
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
      instanceType: 'c6i.xlarge',
      state: 'running',
      tags: { Name: 'batch-03', Environment: 'prod' },
      networkInterfaces: [],
    },
  },
  actor: {
    actionType: 'AWS_API_CALL',
    ip: '198.51.100.23',
    country: 'Brazil',
    city: 'Sao Paulo',
    organization: 'Example Residential ISP',
    asn: '64503',
    apiService: 'dynamodb.amazonaws.com',
    api: 'ListTables',
    userAgent:
      'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/dynamodb.list-tables',
  },
  threatListNames: [],
});

/** An S3 finding: server access logging turned off on a bucket, Low (2.0). */
export const s3Finding = (): Finding => ({
  id: '9a8b7c6d5e4f30211203f4e5d6c7b8a9',
  source: 'guardduty',
  arn: 'arn:aws:guardduty:us-west-2:123456789012:detector/6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c/finding/9a8b7c6d5e4f30211203f4e5d6c7b8a9',
  type: 'Stealth:S3/ServerAccessLoggingDisabled',
  title: 'S3 server access logging was disabled for bucket prod-audit-logs.',
  description: 'An IAM entity invoked an API used to disable S3 server access logging.',
  severity: 2,
  accountId: '123456789012',
  region: 'us-west-2',
  partition: 'aws',
  createdAt: '2025-03-11T17:00:00.000Z',
  updatedAt: '2025-03-11T17:00:00.000Z',
  count: 1,
  archived: false,
  sample: false,
  resourceRole: 'TARGET',
  resource: {
    kind: 'S3Bucket',
    buckets: [{ name: 'prod-audit-logs', arn: 'arn:aws:s3:::prod-audit-logs' }],
  },
  actor: {
    actionType: 'AWS_API_CALL',
    ip: '198.51.100.99',
    apiService: 's3.amazonaws.com',
    api: 'PutBucketLogging',
  },
  threatListNames: [],
});

/** An EKS finding (resource type `EKSCluster`), Medium (5.0): shown, never isolated. */
export const eksFinding = (): Finding => ({
  id: 'e1f2a3b4c5d6e7f8091a2b3c4d5e6f70',
  source: 'guardduty',
  type: 'Discovery:Kubernetes/SuccessfulAnonymousAccess',
  title: 'An API commonly used to discover resources was invoked by an unauthenticated user.',
  description: 'system:anonymous listed secrets in the kube-system namespace of prod-cluster.',
  severity: 5,
  accountId: '123456789012',
  region: 'eu-central-1',
  partition: 'aws',
  detectorId: '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c',
  createdAt: '2025-03-12T09:00:00.000Z',
  updatedAt: '2025-03-12T09:10:00.000Z',
  count: 4,
  archived: false,
  sample: false,
  resourceRole: 'TARGET',
  resource: {
    kind: 'Other',
    resourceType: 'EKSCluster',
    id: 'prod-cluster',
    details: [
      { label: 'Namespace', value: 'kube-system' },
      { label: 'User', value: 'system:anonymous' },
    ],
  },
  threatListNames: [],
});

/** A finding of a type no table knows, on an unfamiliar resource, Critical (9.5). */
export const unknownTypeFinding = (): Finding => ({
  id: 'f00dfeedf00dfeedf00dfeedf00dfeed',
  source: 'guardduty',
  type: 'Impact:Quantum/EntangledPacketStorm.Custom!Beta',
  title: 'Something new happened.',
  description: 'A finding type released after this bot was written.',
  severity: 9.5,
  accountId: '210987654321',
  region: 'ap-southeast-2',
  partition: 'aws',
  createdAt: '2025-03-13T00:00:00.000Z',
  updatedAt: '2025-03-13T00:00:00.000Z',
  count: 1,
  archived: false,
  sample: false,
  resource: { kind: 'Other', resourceType: 'QuantumWidget', details: [] },
  threatListNames: [],
});
