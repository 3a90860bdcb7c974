import { randomUUID } from 'node:crypto';
import { BotError } from '../../domain/errors';
import { type Finding, findingInstanceId } from '../../domain/Finding';
import {
  type AutoScalingAction,
  type AwsCallRecord,
  buildIsolationPlan,
  ContainmentError,
  cardEnisOf,
  connectionCutOf,
  DEFAULT_QUARANTINE_TAG,
  DEFAULT_QUARANTINED_BY_TAG,
  detectDrift,
  emptyProgress,
  type FindingLiveStatus,
  findStaleReasons,
  guardDutyRefOf,
  hasMutated,
  type InstanceProtections,
  type InstanceView,
  ISOLATION_STEPS,
  IsolationLeaseLostError,
  type IsolationOutcome,
  type IsolationPlan,
  type IsolationPreview,
  type IsolationRecord,
  type IsolationReport,
  type IsolationStepName,
  isolationReportOf,
  isRetryableCode,
  type LoadBalancerAction,
  type LoadBalancerMemberships,
  type PlanStep,
  type ReleaseOutcome,
  type ReleaseReport,
  type ReleaseStepName,
  type Requester,
  type StepFailure,
  sameGroups,
  settledIsolationStatus,
} from '../../domain/isolation';
import type { Clock } from '../../ports/Clock';
import type {
  ContainmentTarget,
  Ec2Containment,
  FindingStatusReader,
  IsolationStateStore,
  LeaseResult,
  Traced,
} from '../../ports/Containment';
import type { AuditEntry } from '../../ports/FindingStore';
import type { Logger } from '../../ports/Logger';

/** Isolate the instance of a finding. */
export interface IsolationRequest {
  finding: Finding;
  /** The instance to isolate: the finding's instance, or `resource.sourceInstanceId` for credential findings. */
  instanceId: string;
  /** The finding's account and region (`AwsTarget` fits); `actor` is set from `requestedBy`. */
  target: ContainmentTarget;
  requestedBy: Requester;
  /** The queue job's id (the same on every redelivery). */
  jobId: string;
}

/** Release an isolated finding's instance. It acts where the isolation acted (account and region from the record). */
export interface ReleaseRequest {
  findingId: string;
  requestedBy: Requester;
  jobId: string;
}

/** How long a run of isolate or release holds the finding's isolation lease without renewing it. */
export const ISOLATION_LEASE_MS = 120_000;

/** Settings of {@link IsolationService}. */
export interface IsolationOptions {
  /** Snapshot every EBS volume before changing anything (the configuration should default it to on). */
  evidenceSnapshots: boolean;
  /** Plan and check permissions (EC2 DryRun) instead of acting (default off). */
  dryRun: boolean;
  /** How long interfaces stay in the temporary allow-all group before the isolation group (5000 is a good default). */
  tempGroupHoldMs: number;
  /** Move interfaces through the allow-all group first, so tracked flows are cut. @default true */
  untrackConnections?: boolean;
  /** Tag key naming the finding the instance is quarantined for. @default 'guardduty-bot:quarantine' */
  quarantineTagKey?: string;
  /** Tag key naming the Slack user who quarantined it. @default 'guardduty-bot:quarantined-by' */
  quarantinedByTagKey?: string;
  /** Put the instance in Standby (kept in its group) or detach it. @default 'standby' */
  autoScalingAction?: AutoScalingAction;
  /** Lease on the finding's isolation item, renewed at every save. Keep it above one step's duration. @default {@link ISOLATION_LEASE_MS} */
  leaseMs?: number;
  /** Target groups scanned at most when looking for registrations. @default 100 */
  maxTargetGroups?: number;
  /** Target groups scanned at most by {@link IsolationService.preview}. @default 20 */
  previewMaxTargetGroups?: number;
}

/** What {@link IsolationService} needs. */
export interface IsolationServiceDeps {
  /** EC2/ASG/ELB operations in a target account and region (e.g. `AwsEc2Containment.forTarget`). */
  containment: (target: ContainmentTarget) => Ec2Containment;
  /** GuardDuty `GetFindings` in the detector's account, for the stale-button guard. */
  findingStatus: (target: ContainmentTarget) => FindingStatusReader;
  state: IsolationStateStore;
  /** Appends to the finding's audit stream (`FindingStore.appendAudit`); repeated (kind, dedupeKey) are kept once. */
  audit: (findingId: string, entry: AuditEntry) => Promise<unknown>;
  clock: Clock;
  logger: Logger;
  options: IsolationOptions;
  /** Unique ids for runs (lease owners). @default crypto.randomUUID */
  newId?: () => string;
}

/** Resolved settings. */
interface Settings {
  evidenceSnapshots: boolean;
  dryRun: boolean;
  holdMs: number;
  untrack: boolean;
  quarantineTagKey: string;
  quarantinedByTagKey: string;
  autoScalingAction: AutoScalingAction;
  leaseMs: number;
  maxTargetGroups: number;
  previewMaxTargetGroups: number;
}

/** One run of isolate or release: who, where, and a counter for the audit's dedupe keys. */
interface Run {
  id: string;
  findingId: string;
  jobId: string;
  requestedBy: Requester;
  accountId: string;
  roleArn: string | undefined;
  startedMs: number;
  generation: number;
  attempt: number;
  /** True when this run continues a record an earlier run created. */
  resumed: boolean;
  seq: number;
}

const FINAL_KIND = {
  isolated: 'isolation.completed',
  partial: 'isolation.partial',
  failed: 'isolation.failed',
} as const;

const codeOf = (error: unknown): string => (error instanceof BotError ? error.code : 'UNEXPECTED');

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * Isolates the EC2 instance of a finding and releases it again (DESIGN.md §5 "Isolation"):
 * stale-button guard, record of every interface's original groups before any change, evidence
 * snapshots, protections and quarantine tags, per-VPC isolation group, connection cut through a
 * temporary allow-all group, Auto Scaling Standby/detach and load-balancer deregistration.
 *
 * Idempotent end to end: one lease per finding (a concurrent run gets `in-progress`), a record
 * saved after every step (a retry resumes it and never re-records isolated groups as original),
 * and audit entries with dedupe keys (one `isolation.completed` per isolation generation).
 * Failures are reported as `partial` or `failed`, never as success.
 */
export class IsolationService {
  readonly #deps: IsolationServiceDeps;
  readonly #settings: Settings;
  readonly #newId: () => string;

  public constructor(deps: IsolationServiceDeps) {
    this.#deps = deps;
    const options = deps.options;
    this.#settings = {
      evidenceSnapshots: options.evidenceSnapshots,
      dryRun: options.dryRun,
      holdMs: Math.max(0, options.tempGroupHoldMs),
      untrack: options.untrackConnections ?? true,
      quarantineTagKey: options.quarantineTagKey ?? DEFAULT_QUARANTINE_TAG,
      quarantinedByTagKey: options.quarantinedByTagKey ?? DEFAULT_QUARANTINED_BY_TAG,
      autoScalingAction: options.autoScalingAction ?? 'standby',
      leaseMs: options.leaseMs ?? ISOLATION_LEASE_MS,
      maxTargetGroups: options.maxTargetGroups ?? 100,
      previewMaxTargetGroups: options.previewMaxTargetGroups ?? 20,
    };
    this.#newId = deps.newId ?? randomUUID;
  }

  /**
   * Isolates `request.instanceId` for `request.finding`, or resumes an interrupted isolation of
   * that finding. In dry-run mode, returns the plan instead (`planned`) and changes nothing.
   */
  public async isolate(request: IsolationRequest): Promise<IsolationOutcome> {
    const findingId = request.finding.id;
    const target: ContainmentTarget = {
      accountId: request.target.accountId,
      region: request.target.region,
      actor: request.requestedBy.userId,
    };
    const started = this.#now().getTime();
    const failed = (error: unknown): IsolationOutcome => ({
      kind: 'failed',
      findingId,
      instanceId: request.instanceId,
      code: codeOf(error),
      message: messageOf(error),
      retryable: isRetryableCode(codeOf(error)),
      elapsedMs: this.#now().getTime() - started,
    });
    let containment: Ec2Containment;
    try {
      containment = this.#deps.containment(target);
    } catch (error) {
      return failed(error);
    }
    const run: Run = {
      id: `${request.jobId}#${this.#newId()}`,
      findingId,
      jobId: request.jobId,
      requestedBy: request.requestedBy,
      accountId: target.accountId,
      roleArn: containment.roleArn,
      startedMs: started,
      generation: 0,
      attempt: 0,
      resumed: false,
      seq: 0,
    };
    if (this.#settings.dryRun) {
      try {
        return await this.#plan(request, containment, run);
      } catch (error) {
        return failed(error);
      }
    }
    const lease = await this.#acquireLease(run);
    if ('failure' in lease) return failed(lease.failure);
    if (!lease.acquired) {
      this.#deps.logger.info('isolation already in progress', { findingId, jobId: request.jobId });
      return {
        kind: 'in-progress',
        findingId,
        instanceId: request.instanceId,
        ...(lease.heldUntil === undefined ? {} : { heldUntil: lease.heldUntil }),
      };
    }
    try {
      return await this.#isolateHoldingLease(request, containment, run, lease.record);
    } catch (error) {
      if (error instanceof IsolationLeaseLostError) {
        this.#deps.logger.warn('isolation lease lost mid-run', { findingId, runId: run.id });
        return { kind: 'in-progress', findingId, instanceId: request.instanceId };
      }
      this.#deps.logger.error('isolation failed', { findingId, code: codeOf(error), error });
      await this.#audit(run, {
        kind: 'isolation.failed',
        dedupeKey: run.id,
        result: codeOf(error),
        detail: { instanceId: request.instanceId, code: codeOf(error), message: messageOf(error) },
      });
      return failed(error);
    } finally {
      await this.#releaseLease(findingId, run.id);
    }
  }

  /**
   * Gives the instance back its recorded groups, Auto Scaling and load-balancer registrations,
   * removes the quarantine tags and restores the protections recorded before isolation. Checks for
   * drift first: when something changed since isolation, returns `drift` and touches nothing,
   * unless `force` is true. Evidence snapshots stay.
   */
  public async release(request: ReleaseRequest & { force: boolean }): Promise<ReleaseOutcome> {
    const { findingId } = request;
    const started = this.#now().getTime();
    const failed = (error: unknown, instanceId?: string): ReleaseOutcome => ({
      kind: 'failed',
      findingId,
      ...(instanceId === undefined ? {} : { instanceId }),
      code: codeOf(error),
      message: messageOf(error),
      retryable: isRetryableCode(codeOf(error)),
      elapsedMs: this.#now().getTime() - started,
    });
    const run: Run = {
      id: `${request.jobId}#${this.#newId()}`,
      findingId,
      jobId: request.jobId,
      requestedBy: request.requestedBy,
      accountId: '',
      roleArn: undefined,
      startedMs: started,
      generation: 0,
      attempt: 0,
      resumed: true,
      seq: 0,
    };
    const lease = await this.#acquireLease(run);
    if ('failure' in lease) return failed(lease.failure);
    if (!lease.acquired) {
      return {
        kind: 'in-progress',
        findingId,
        ...(lease.heldUntil === undefined ? {} : { heldUntil: lease.heldUntil }),
      };
    }
    const record = lease.record;
    try {
      if (!record) return { kind: 'not-isolated', findingId };
      if (record.status === 'released') {
        return {
          kind: 'already-released',
          findingId,
          instanceId: record.instanceId,
          ...(record.release?.completedAt === undefined
            ? {}
            : { releasedAt: record.release.completedAt }),
        };
      }
      if (record.status !== 'releasing' && !hasMutated(record)) {
        return { kind: 'not-isolated', findingId, status: record.status };
      }
      return await this.#releaseHoldingLease(request, run, record);
    } catch (error) {
      if (error instanceof IsolationLeaseLostError) return { kind: 'in-progress', findingId };
      this.#deps.logger.error('release failed', { findingId, code: codeOf(error), error });
      await this.#audit(run, {
        kind: 'release.failed',
        dedupeKey: run.id,
        result: codeOf(error),
        detail: { instanceId: record?.instanceId, code: codeOf(error), message: messageOf(error) },
      });
      return failed(error, record?.instanceId);
    } finally {
      await this.#releaseLease(findingId, run.id);
    }
  }

  /**
   * What the confirm dialog should know before the click: the instance's Auto Scaling group and
   * load-balancer registrations (a small, bounded scan) and any isolation already recorded.
   * Read-only and cheap; lookups that fail are listed in `errors` rather than thrown.
   */
  public async preview(finding: Finding, target: ContainmentTarget): Promise<IsolationPreview> {
    const instanceId = findingInstanceId(finding) ?? '';
    const errors: string[] = [];
    const enis =
      finding.resource.kind === 'Instance'
        ? finding.resource.networkInterfaces
        : finding.resource.kind === 'AccessKey'
          ? (finding.resource.sourceInstance?.networkInterfaces ?? [])
          : [];
    let containment: Ec2Containment;
    try {
      containment = this.#deps.containment(target);
    } catch (error) {
      return {
        instanceId,
        targetGroups: [],
        classicLoadBalancers: [],
        truncated: false,
        errors: [codeOf(error)],
      };
    }
    const note =
      (what: string) =>
      (error: unknown): undefined => {
        errors.push(`${what}: ${codeOf(error)}`);
        return undefined;
      };
    const [record, autoScaling, loadBalancers] = await Promise.all([
      this.#deps.state.get(finding.id).catch(note('isolation record')),
      instanceId
        ? containment.describeAutoScaling(instanceId).catch(note('Auto Scaling'))
        : undefined,
      instanceId
        ? containment
            .findLoadBalancers({
              instanceId,
              vpcIds: unique(enis.flatMap((eni) => (eni.vpcId ? [eni.vpcId] : []))),
              privateIps: enis.flatMap((eni) => (eni.privateIp ? [eni.privateIp] : [])),
              maxTargetGroups: this.#settings.previewMaxTargetGroups,
            })
            .catch(note('load balancers'))
        : undefined,
    ]);
    const autoScalingGroup =
      autoScaling?.value?.groupName ??
      (finding.resource.kind === 'Instance' ? finding.resource.autoScalingGroup : undefined);
    return {
      instanceId,
      ...(record === undefined ? {} : { isolationStatus: record.status }),
      ...(autoScalingGroup === undefined ? {} : { autoScalingGroup }),
      targetGroups: (loadBalancers?.value.targetGroups ?? []).map((group) => ({
        arn: group.targetGroupArn,
        name: group.targetGroupName,
      })),
      classicLoadBalancers: loadBalancers?.value.classic ?? [],
      truncated: loadBalancers?.value.truncated ?? false,
      errors,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Isolation
  // -------------------------------------------------------------------------------------------

  async #isolateHoldingLease(
    request: IsolationRequest,
    containment: Ec2Containment,
    run: Run,
    existing: IsolationRecord | undefined
  ): Promise<IsolationOutcome> {
    const findingId = request.finding.id;
    if (existing?.status === 'isolated') {
      this.#deps.logger.info('finding already isolated', { findingId, jobId: request.jobId });
      return {
        kind: 'already-isolated',
        report: isolationReportOf(existing, {
          elapsedMs: this.#elapsed(run),
          evidenceSnapshots: this.#settings.evidenceSnapshots,
        }),
      };
    }
    if (existing?.status === 'releasing') {
      return {
        kind: 'failed',
        findingId,
        instanceId: existing.instanceId,
        code: 'RELEASE_UNFINISHED',
        message: 'a release of this isolation is unfinished: finish the release first',
        retryable: false,
        elapsedMs: this.#elapsed(run),
      };
    }
    let record: IsolationRecord;
    if (existing === undefined || existing.status === 'released') {
      const started = await this.#start(request, containment, run, existing?.generation ?? 0);
      if ('kind' in started) return started;
      record = started;
    } else {
      record = existing;
      run.generation = record.generation;
      run.resumed = true;
      if (record.instanceId !== request.instanceId) {
        this.#deps.logger.warn('resuming the recorded instance, not the requested one', {
          findingId,
          recorded: record.instanceId,
          requested: request.instanceId,
        });
      }
      this.#deps.logger.info('resuming isolation', {
        findingId,
        status: record.status,
        stepsDone: record.progress.stepsDone,
      });
    }

    record.progress.failures = [];
    record.status = 'isolating';
    await this.#save(record, run);
    for (const step of ISOLATION_STEPS) {
      if (record.progress.stepsDone.includes(step)) continue;
      const done = await this.#runStep(step, record, containment, run);
      if (done) record.progress.stepsDone.push(step);
      await this.#save(record, run);
    }
    record.status = settledIsolationStatus(record);
    if (record.status === 'isolated') record.completedAt = this.#now().toISOString();
    await this.#save(record, run);

    const report = isolationReportOf(record, {
      elapsedMs: this.#elapsed(run),
      evidenceSnapshots: this.#settings.evidenceSnapshots,
    });
    const status =
      record.status === 'isolated' || record.status === 'partial' ? record.status : 'failed';
    await this.#audit(run, {
      kind: FINAL_KIND[status],
      dedupeKey:
        status === 'isolated' ? `g${record.generation}` : `g${record.generation}:a${run.attempt}`,
      result: status === 'isolated' ? 'ok' : status,
      detail: this.#reportDetail(report),
    });
    this.#deps.logger.info('isolation finished', {
      findingId,
      status,
      failures: report.failures.length,
      elapsedMs: report.elapsedMs,
    });
    if (status === 'isolated') return { kind: 'isolated', report };
    if (status === 'partial') return { kind: 'partial', report };
    const first = report.failures[0];
    return {
      kind: 'failed',
      findingId,
      instanceId: record.instanceId,
      code: first?.code ?? 'UNEXPECTED',
      message: first?.message ?? 'no interface could be isolated',
      retryable: report.failures.every((failure) => isRetryableCode(failure.code)),
      report,
      elapsedMs: report.elapsedMs,
    };
  }

  /** Stale guard and recording of the original state; returns the created record or an outcome. */
  async #start(
    request: IsolationRequest,
    containment: Ec2Containment,
    run: Run,
    previousGeneration: number
  ): Promise<IsolationRecord | IsolationOutcome> {
    const { finding, instanceId } = request;
    run.generation = previousGeneration + 1;
    const warnings: string[] = [];
    const guard = await this.#guard(request, containment, run, warnings);
    if (guard.reasons.length > 0) {
      const elapsedMs = this.#elapsed(run);
      await this.#audit(run, {
        kind: 'isolation.stale',
        dedupeKey: `${request.jobId}:a${run.attempt}`,
        result: 'stale',
        detail: { instanceId, reasons: guard.reasons, elapsedMs },
      });
      return {
        kind: 'stale',
        findingId: finding.id,
        instanceId,
        reasons: guard.reasons,
        elapsedMs,
      };
    }
    const instance = guard.instance as InstanceView;
    const gaps: IsolationRecord['original']['gaps'] = [];
    const protections = await this.#tryRead(run, 'record', () =>
      containment.describeProtections(instanceId)
    );
    if (!protections.ok) gaps.push('protections');
    const autoScaling = await this.#tryRead(run, 'record', () =>
      containment.describeAutoScaling(instanceId)
    );
    if (!autoScaling.ok) gaps.push('auto-scaling');
    const loadBalancers = await this.#tryRead(run, 'record', () =>
      containment.findLoadBalancers(this.#lbQuery(instance, this.#settings.maxTargetGroups))
    );
    if (!loadBalancers.ok) gaps.push('load-balancers');
    if (loadBalancers.ok && loadBalancers.value.truncated) warnings.push(this.#truncatedWarning());

    const now = this.#now().toISOString();
    const enis = instance.enis.map((eni) => ({
      id: eni.id,
      vpcId: eni.vpcId,
      ...(eni.subnetId === undefined ? {} : { subnetId: eni.subnetId }),
      groups: [...eni.groups],
      ...(eni.deviceIndex === undefined ? {} : { deviceIndex: eni.deviceIndex }),
      privateIps: [...eni.privateIps],
    }));
    const record: IsolationRecord = {
      findingId: finding.id,
      generation: run.generation,
      status: 'recording',
      instanceId,
      accountId: run.accountId,
      region: request.target.region,
      ...(run.roleArn === undefined ? {} : { roleArn: run.roleArn }),
      requestedBy: request.requestedBy,
      jobId: request.jobId,
      startedAt: now,
      updatedAt: now,
      original: {
        enis,
        volumes: instance.volumes.map((volume) => ({ ...volume })),
        ...(protections.ok ? { protections: protections.value } : {}),
        ...(autoScaling.ok && autoScaling.value ? { autoScaling: autoScaling.value } : {}),
        ...(loadBalancers.ok ? { loadBalancers: loadBalancers.value } : {}),
        gaps,
      },
      progress: {
        ...emptyProgress(enis),
        loadBalancers: loadBalancers.ok ? actionsOf(loadBalancers.value, instanceId) : [],
        warnings,
      },
    };
    const created = await this.#deps.state.create(
      record,
      run.id,
      this.#now(),
      this.#settings.leaseMs
    );
    if (created === 'conflict') {
      return { kind: 'in-progress', findingId: finding.id, instanceId };
    }
    await this.#audit(run, {
      kind: 'isolation.recorded',
      dedupeKey: `g${run.generation}`,
      result: 'ok',
      detail: {
        instanceId,
        enis: enis.map((eni) => ({
          id: eni.id,
          vpcId: eni.vpcId,
          subnetId: eni.subnetId,
          groups: eni.groups,
        })),
        volumes: record.original.volumes.map((volume) => volume.volumeId),
        protections: record.original.protections,
        autoScaling: record.original.autoScaling,
        loadBalancers: record.original.loadBalancers && {
          targetGroups: record.original.loadBalancers.targetGroups.map((g) => g.targetGroupArn),
          classic: record.original.loadBalancers.classic,
        },
        gaps,
      },
    });
    return record;
  }

  /** Step 0: the finding is open, the instance runs, and its groups are those the card showed. */
  async #guard(
    request: IsolationRequest,
    containment: Ec2Containment,
    run: Run,
    warnings: string[]
  ): Promise<{ reasons: ReturnType<typeof findStaleReasons>; instance?: InstanceView }> {
    const { finding, instanceId } = request;
    const ref = guardDutyRefOf(finding);
    let findingStatus: FindingLiveStatus | 'unchecked' = 'unchecked';
    if (ref) {
      const reader = this.#deps.findingStatus({
        accountId: ref.accountId,
        region: ref.region,
        actor: request.requestedBy.userId,
      });
      findingStatus = await this.#traced(run, 'guard', () =>
        reader.findingStatus({ detectorId: ref.detectorId, findingId: ref.findingId })
      );
    } else {
      warnings.push('GuardDuty was not asked whether the finding is still open (no detector id).');
    }
    const instance = await this.#traced(run, 'guard', () =>
      containment.describeInstance(instanceId)
    );
    const reasons = findStaleReasons({
      findingId: finding.id,
      findingStatus,
      instance,
      cardEnis: cardEnisOf(finding, instanceId),
      quarantineTagKey: this.#settings.quarantineTagKey,
    });
    return { reasons, ...(instance === undefined ? {} : { instance }) };
  }

  #runStep(
    step: IsolationStepName,
    record: IsolationRecord,
    containment: Ec2Containment,
    run: Run
  ): Promise<boolean> {
    switch (step) {
      case 'snapshots':
        return this.#snapshots(record, containment, run);
      case 'protections':
        return this.#protections(record, containment, run);
      case 'quarantine-tags':
        return this.#quarantineTags(record, containment, run);
      case 'isolation-groups':
        return this.#isolationGroups(record, containment, run);
      case 'isolate-enis':
        return this.#isolateEnis(record, containment, run);
      case 'auto-scaling':
        return this.#autoScaling(record, containment, run);
      case 'load-balancers':
        return this.#loadBalancers(record, containment, run);
    }
  }

  /** Step 2: one snapshot per volume, never two (a resumed run first looks for earlier ones). */
  async #snapshots(record: IsolationRecord, c: Ec2Containment, run: Run): Promise<boolean> {
    if (!this.#settings.evidenceSnapshots) return true;
    const { progress } = record;
    const missing = () =>
      record.original.volumes.filter(
        (volume) => !progress.snapshots.some((s) => s.volumeId === volume.volumeId)
      );
    if (run.resumed && missing().length > 0) {
      // A crash between CreateSnapshot and the save would otherwise snapshot the volume twice.
      const found = await this.#tryRead(run, 'snapshots', () =>
        c.findEvidenceSnapshots({
          findingId: record.findingId,
          instanceId: record.instanceId,
          generation: record.generation,
        })
      );
      if (found.ok) {
        for (const snapshot of found.value) {
          if (missing().some((volume) => volume.volumeId === snapshot.volumeId)) {
            progress.snapshots.push(snapshot);
          }
        }
      }
    }
    let ok = true;
    for (const volume of missing()) {
      try {
        const snapshot = await this.#traced(run, 'snapshots', () =>
          c.createSnapshot({
            volumeId: volume.volumeId,
            ...(volume.device === undefined ? {} : { device: volume.device }),
            instanceId: record.instanceId,
            findingId: record.findingId,
            generation: record.generation,
          })
        );
        progress.snapshots.push(snapshot);
        await this.#save(record, run);
      } catch (error) {
        this.#fail(record, 'snapshots', volume.volumeId, error);
        ok = false;
      }
    }
    return ok;
  }

  /** Step 3a: termination and stop protection on. */
  async #protections(record: IsolationRecord, c: Ec2Containment, run: Run): Promise<boolean> {
    let ok = true;
    for (const attribute of ['disableApiTermination', 'disableApiStop'] as const) {
      try {
        await this.#traced(run, 'protections', () =>
          c.setProtections(record.instanceId, { [attribute]: true })
        );
      } catch (error) {
        this.#fail(record, 'protections', `${record.instanceId} ${attribute}`, error);
        ok = false;
      }
    }
    record.progress.protectionsApplied = ok;
    return ok;
  }

  /** Step 3b: quarantine tags on the instance. */
  async #quarantineTags(record: IsolationRecord, c: Ec2Containment, run: Run): Promise<boolean> {
    const tags = {
      [this.#settings.quarantineTagKey]: record.findingId,
      [this.#settings.quarantinedByTagKey]: record.requestedBy.userId,
    };
    try {
      await this.#traced(run, 'quarantine-tags', () => c.tagInstance(record.instanceId, tags));
      record.progress.quarantineTags = tags;
      return true;
    } catch (error) {
      this.#fail(record, 'quarantine-tags', record.instanceId, error);
      return false;
    }
  }

  /** Step 4: the isolation group (and the temporary allow-all group) of every VPC. */
  async #isolationGroups(record: IsolationRecord, c: Ec2Containment, run: Run): Promise<boolean> {
    const { progress } = record;
    let ok = true;
    for (const vpcId of unique(record.original.enis.map((eni) => eni.vpcId))) {
      if (progress.isolationGroups[vpcId] === undefined) {
        try {
          const group = await this.#traced(run, 'isolation-groups', () =>
            c.ensureIsolationGroup(vpcId)
          );
          progress.isolationGroups[vpcId] = group.groupId;
        } catch (error) {
          this.#fail(record, 'isolation-groups', vpcId, error);
          ok = false;
        }
      }
      if (this.#settings.untrack && progress.untrackGroups[vpcId] === undefined) {
        try {
          const group = await this.#traced(run, 'isolation-groups', () =>
            c.ensureUntrackGroup(vpcId)
          );
          progress.untrackGroups[vpcId] = group.groupId;
        } catch (error) {
          this.#fail(record, 'isolation-groups', vpcId, error);
          ok = false;
        }
      }
    }
    return ok;
  }

  /**
   * Step 5: every interface to the allow-all group (tracked flows become untracked), a hold of
   * seconds, then every interface to the isolation group (untracked flows drop). An interface is
   * never left in the allow-all group: if isolating it fails, it gets its original groups back.
   */
  async #isolateEnis(record: IsolationRecord, c: Ec2Containment, run: Run): Promise<boolean> {
    const { progress } = record;
    const pending = record.original.enis.filter(
      (eni) => progress.enis[eni.id]?.phase !== 'isolated'
    );
    const state = (eniId: string) => {
      let eni = progress.enis[eniId];
      if (!eni) {
        const original = record.original.enis.find((e) => e.id === eniId);
        eni = { phase: 'original', applied: [...(original?.groups ?? [])] };
        progress.enis[eniId] = eni;
      }
      return eni;
    };
    if (this.#settings.untrack) {
      let moved = false;
      for (const eni of pending) {
        const untrackGroup = progress.untrackGroups[eni.vpcId];
        // Never open an interface up when there is no isolation group to move it to afterwards.
        if (state(eni.id).phase !== 'original' || !untrackGroup) continue;
        if (progress.isolationGroups[eni.vpcId] === undefined) continue;
        try {
          await this.#traced(run, 'isolate-enis', () => c.setEniGroups(eni.id, [untrackGroup]));
          Object.assign(state(eni.id), {
            phase: 'untracked',
            applied: [untrackGroup],
            untrackedAt: this.#now().toISOString(),
          });
          moved = true;
        } catch (error) {
          this.#fail(record, 'isolate-enis', eni.id, error);
        }
      }
      // Saved before the hold, so a crash during it resumes straight into the isolation group.
      if (moved) await this.#save(record, run);
      const since = pending
        .map((eni) => state(eni.id))
        .filter((eni) => eni.phase === 'untracked' && eni.untrackedAt !== undefined)
        .map((eni) => Date.parse(eni.untrackedAt as string));
      if (since.length > 0) {
        const wait = Math.max(...since) + this.#settings.holdMs - this.#now().getTime();
        if (wait > 0) await this.#deps.clock.sleep(wait);
      }
    }
    let ok = true;
    for (const eni of pending) {
      const current = state(eni.id);
      const isolationGroup = progress.isolationGroups[eni.vpcId];
      if (!isolationGroup) {
        ok = false;
        this.#failWith(record, {
          step: 'isolate-enis',
          resource: eni.id,
          code: 'NO_ISOLATION_GROUP',
          message: `no isolation group in ${eni.vpcId}`,
        });
        continue;
      }
      const wasUntracked = current.phase === 'untracked';
      try {
        await this.#traced(run, 'isolate-enis', () => c.setEniGroups(eni.id, [isolationGroup]));
        current.phase = 'isolated';
        current.applied = [isolationGroup];
        current.cut = wasUntracked ? 'untrack-then-isolate' : 'isolate-only';
        delete current.untrackedAt;
      } catch (error) {
        ok = false;
        this.#fail(record, 'isolate-enis', eni.id, error);
        if (wasUntracked) await this.#rollBackUntracked(record, c, run, eni.id);
      }
    }
    return ok;
  }

  async #rollBackUntracked(
    record: IsolationRecord,
    c: Ec2Containment,
    run: Run,
    eniId: string
  ): Promise<void> {
    const original = record.original.enis.find((eni) => eni.id === eniId);
    const state = record.progress.enis[eniId];
    if (!original || !state) return;
    try {
      await this.#traced(run, 'isolate-enis', () => c.setEniGroups(eniId, original.groups));
      state.phase = 'original';
      state.applied = [...original.groups];
      delete state.untrackedAt;
    } catch (error) {
      this.#deps.logger.error('interface left in the allow-all group', { eniId, error });
      this.#failWith(record, {
        step: 'isolate-enis',
        resource: eniId,
        code: 'LEFT_IN_ALLOW_ALL_GROUP',
        message: `${eniId} is still in the temporary allow-all group: ${messageOf(error)}`,
      });
    }
  }

  /** Step 6a: Standby (or detach) so the group neither replaces nor terminates the instance. */
  async #autoScaling(record: IsolationRecord, c: Ec2Containment, run: Run): Promise<boolean> {
    const { progress } = record;
    if (!progress.autoScaling) {
      let membership = record.original.autoScaling;
      if (record.original.gaps.includes('auto-scaling')) {
        try {
          membership = await this.#traced(run, 'auto-scaling', () =>
            c.describeAutoScaling(record.instanceId)
          );
        } catch (error) {
          this.#fail(record, 'auto-scaling', record.instanceId, error);
          return false;
        }
      }
      if (!membership) return true;
      const inService = membership.lifecycleState === 'InService';
      progress.autoScaling = {
        groupName: membership.groupName,
        action: inService ? this.#settings.autoScalingAction : 'none',
        lifecycleStateBefore: membership.lifecycleState,
        done: !inService,
      };
      if (!inService) {
        this.#warn(
          record,
          `The instance was ${membership.lifecycleState} in Auto Scaling group ${membership.groupName}: left as it was.`
        );
      }
    }
    const asg = progress.autoScaling;
    if (asg.done || asg.action === 'none') return true;
    const action = asg.action;
    try {
      await this.#traced(run, 'auto-scaling', () =>
        action === 'standby'
          ? c.enterStandby(asg.groupName, record.instanceId)
          : c.detachFromAutoScaling(asg.groupName, record.instanceId)
      );
      asg.done = true;
      return true;
    } catch (error) {
      // A retry after a crash may find the change already made.
      if (run.resumed && (await this.#autoScalingAlready(record, c, run, action))) {
        asg.done = true;
        return true;
      }
      this.#fail(record, 'auto-scaling', asg.groupName, error);
      return false;
    }
  }

  async #autoScalingAlready(
    record: IsolationRecord,
    c: Ec2Containment,
    run: Run,
    action: AutoScalingAction
  ): Promise<boolean> {
    const now = await this.#tryRead(run, 'auto-scaling', () =>
      c.describeAutoScaling(record.instanceId)
    );
    if (!now.ok) return false;
    return action === 'standby'
      ? now.value?.lifecycleState.startsWith('Standby') === true ||
          now.value?.lifecycleState === 'EnteringStandby'
      : now.value === undefined || now.value.lifecycleState.startsWith('Detach');
  }

  /** Step 6b: deregister from target groups and classic load balancers. */
  async #loadBalancers(record: IsolationRecord, c: Ec2Containment, run: Run): Promise<boolean> {
    const { progress } = record;
    // Known memberships were turned into actions when the record was created.
    if (!record.original.loadBalancers && progress.loadBalancers.length === 0) {
      const found = await this.#tryRead(run, 'load-balancers', () =>
        c.findLoadBalancers(
          this.#lbQuery(
            { instanceId: record.instanceId, enis: record.original.enis },
            this.#settings.maxTargetGroups
          )
        )
      );
      if (!found.ok) {
        this.#failWith(record, {
          step: 'load-balancers',
          resource: record.instanceId,
          code: found.code,
          message: found.message,
        });
        return false;
      }
      if (found.value.truncated) this.#warn(record, this.#truncatedWarning());
      progress.loadBalancers = actionsOf(found.value, record.instanceId);
    }
    let ok = true;
    for (const action of progress.loadBalancers) {
      if (action.done) continue;
      try {
        await this.#traced(run, 'load-balancers', () =>
          action.kind === 'target-group'
            ? c.deregisterTarget(membershipOf(action))
            : c.deregisterFromClassic(action.id, record.instanceId)
        );
        action.done = true;
      } catch (error) {
        this.#fail(record, 'load-balancers', action.id, error);
        ok = false;
      }
    }
    return ok;
  }

  // -------------------------------------------------------------------------------------------
  // Dry run
  // -------------------------------------------------------------------------------------------

  /**
   * Takes the finding's isolation lease for this run (one run at a time per finding) and numbers
   * the run's attempt; a store error is returned, not thrown, so each caller reports it its way.
   */
  async #acquireLease(run: Run): Promise<LeaseResult | { failure: unknown }> {
    try {
      const lease = await this.#deps.state.acquireLease(
        run.findingId,
        run.id,
        this.#now(),
        this.#settings.leaseMs
      );
      if (lease.acquired) run.attempt = lease.attempt;
      return lease;
    } catch (error) {
      return { failure: error };
    }
  }

  async #plan(
    request: IsolationRequest,
    containment: Ec2Containment,
    run: Run
  ): Promise<IsolationOutcome> {
    const { finding, instanceId } = request;
    const warnings: string[] = [];
    const guard = await this.#guard(request, containment, run, warnings);
    const instance = guard.instance;
    let steps: PlanStep[] = [];
    if (instance) {
      const autoScaling = await this.#tryRead(run, 'record', () =>
        containment.describeAutoScaling(instanceId)
      );
      if (!autoScaling.ok) warnings.push(`Auto Scaling lookup failed: ${autoScaling.code}`);
      const loadBalancers = await this.#tryRead(run, 'record', () =>
        containment.findLoadBalancers(this.#lbQuery(instance, this.#settings.maxTargetGroups))
      );
      if (!loadBalancers.ok) warnings.push(`Load-balancer lookup failed: ${loadBalancers.code}`);
      else if (loadBalancers.value.truncated) warnings.push(this.#truncatedWarning());
      const existingGroups: Record<string, { isolation?: string; untrack?: string }> = {};
      for (const vpcId of unique(instance.enis.map((eni) => eni.vpcId))) {
        const groups = await this.#tryRead(run, 'isolation-groups', () =>
          containment.findGroups(vpcId)
        );
        if (groups.ok) existingGroups[vpcId] = groups.value;
        else warnings.push(`Group lookup in ${vpcId} failed: ${groups.code}`);
      }
      const calls = buildIsolationPlan({
        findingId: finding.id,
        instance,
        ...(autoScaling.ok && autoScaling.value ? { autoScaling: autoScaling.value } : {}),
        loadBalancers: loadBalancers.ok
          ? loadBalancers.value
          : { targetGroups: [], classic: [], truncated: false },
        existingGroups,
        options: {
          evidenceSnapshots: this.#settings.evidenceSnapshots,
          untrackConnections: this.#settings.untrack,
          autoScalingAction: this.#settings.autoScalingAction,
          quarantineTags: {
            [this.#settings.quarantineTagKey]: finding.id,
            [this.#settings.quarantinedByTagKey]: request.requestedBy.userId,
          },
        },
      });
      steps = [];
      for (const call of calls) {
        const dryRun = call.dryRun;
        if (!dryRun) {
          steps.push({ ...call, permission: 'not-checked' });
          continue;
        }
        try {
          const checked = await containment.checkPermission(dryRun);
          await this.#auditCalls(run, call.step, checked.calls);
          const requestId = checked.calls.at(-1)?.requestId;
          steps.push({
            ...call,
            permission: checked.value,
            ...(requestId === undefined ? {} : { requestId }),
          });
        } catch (error) {
          await this.#auditError(run, call.step, error);
          steps.push({
            ...call,
            permission: 'error',
            note: codeOf(error),
            ...(error instanceof ContainmentError && error.requestId !== undefined
              ? { requestId: error.requestId }
              : {}),
          });
        }
      }
    }
    const plan: IsolationPlan = {
      findingId: finding.id,
      instanceId,
      accountId: request.target.accountId,
      region: request.target.region,
      ...(run.roleArn === undefined ? {} : { roleArn: run.roleArn }),
      steps,
      staleReasons: guard.reasons,
      connectionCut: instance
        ? this.#settings.untrack
          ? 'untrack-then-isolate'
          : 'isolate-only'
        : 'none',
      naclSubnets: unique(
        (instance?.enis ?? []).flatMap((eni) => (eni.subnetId === undefined ? [] : [eni.subnetId]))
      ),
      warnings,
      elapsedMs: this.#elapsed(run),
    };
    await this.#audit(run, {
      kind: 'isolation.planned',
      dedupeKey: run.id,
      result: steps.some((step) => step.permission === 'denied' || step.permission === 'error')
        ? 'denied'
        : 'ok',
      detail: {
        instanceId,
        calls: steps.map((step) => ({
          call: step.call,
          resource: step.resource,
          permission: step.permission,
        })),
        staleReasons: guard.reasons,
        connectionCut: plan.connectionCut,
        elapsedMs: plan.elapsedMs,
      },
    });
    return { kind: 'planned', plan };
  }

  // -------------------------------------------------------------------------------------------
  // Release
  // -------------------------------------------------------------------------------------------

  async #releaseHoldingLease(
    request: ReleaseRequest & { force: boolean },
    run: Run,
    record: IsolationRecord
  ): Promise<ReleaseOutcome> {
    const target: ContainmentTarget = {
      accountId: record.accountId,
      region: record.region,
      actor: request.requestedBy.userId,
    };
    const c = this.#deps.containment(target);
    run.accountId = record.accountId;
    run.roleArn = c.roleArn;
    run.generation = record.generation;
    const instance = await this.#traced(run, 'guard', () => c.describeInstance(record.instanceId));
    if (record.status !== 'releasing' || !record.release) {
      const drift = detectDrift(record, instance);
      if (drift.length > 0 && !request.force) {
        const elapsedMs = this.#elapsed(run);
        await this.#audit(run, {
          kind: 'release.drift',
          dedupeKey: `g${record.generation}:a${run.attempt}`,
          result: 'drift',
          detail: { instanceId: record.instanceId, drift, elapsedMs },
        });
        return {
          kind: 'drift',
          findingId: record.findingId,
          instanceId: record.instanceId,
          drift,
          elapsedMs,
        };
      }
      record.release = {
        requestedBy: request.requestedBy,
        jobId: request.jobId,
        startedAt: this.#now().toISOString(),
        forced: request.force && drift.length > 0,
        drift,
        stepsDone: [],
        enisRestored: [],
        enisSkipped: [],
        failures: [],
      };
      record.status = 'releasing';
    }
    const release = record.release;
    release.failures = [];
    await this.#save(record, run);

    const lbRestored = new Set<string>();
    for (const step of [
      'restore-groups',
      'auto-scaling',
      'load-balancers',
      'quarantine-tags',
      'protections',
    ] as const) {
      if (release.stepsDone.includes(step)) continue;
      const done = await this.#releaseStep(step, record, c, run, instance, lbRestored);
      if (done) release.stepsDone.push(step);
      await this.#save(record, run);
    }
    const complete = release.failures.length === 0;
    if (complete) {
      record.status = 'released';
      release.completedAt = this.#now().toISOString();
    }
    await this.#save(record, run);
    const report = this.#releaseReport(record, lbRestored, run);
    const progressed = release.stepsDone.length > 0 || release.enisRestored.length > 0;
    const result = complete ? 'completed' : progressed ? 'partial' : 'failed';
    await this.#audit(run, {
      kind: `release.${result}`,
      dedupeKey: complete ? `g${record.generation}` : `g${record.generation}:a${run.attempt}`,
      result: complete ? 'ok' : result,
      detail: {
        instanceId: record.instanceId,
        forced: report.forced,
        drift: report.drift,
        enis: report.enis.map((eni) => ({ id: eni.id, before: eni.before, after: eni.after })),
        autoScaling: report.autoScaling,
        loadBalancers: report.loadBalancers,
        failures: report.failures,
        elapsedMs: report.elapsedMs,
      },
    });
    if (complete) return { kind: 'released', report };
    if (progressed) return { kind: 'partial', report };
    const first = report.failures[0];
    return {
      kind: 'failed',
      findingId: record.findingId,
      instanceId: record.instanceId,
      code: first?.code ?? 'UNEXPECTED',
      message: first?.message ?? 'nothing could be released',
      retryable: report.failures.every((failure) => isRetryableCode(failure.code)),
      report,
      elapsedMs: report.elapsedMs,
    };
  }

  async #releaseStep(
    step: ReleaseStepName,
    record: IsolationRecord,
    c: Ec2Containment,
    run: Run,
    instance: InstanceView | undefined,
    lbRestored: Set<string>
  ): Promise<boolean> {
    const release = record.release;
    if (!release) return false;
    const fail = (resource: string, error: unknown): false => {
      release.failures.push(failureOf(step, resource, error));
      return false;
    };
    switch (step) {
      case 'restore-groups': {
        const live = new Map((instance?.enis ?? []).map((eni) => [eni.id, eni]));
        let ok = true;
        for (const eni of record.original.enis) {
          if (release.enisRestored.includes(eni.id)) continue;
          if (release.enisSkipped.some((skipped) => skipped.id === eni.id)) continue;
          const now = live.get(eni.id);
          if (!now) {
            release.enisSkipped.push({ id: eni.id, reason: 'no longer attached to the instance' });
            continue;
          }
          if (sameGroups(now.groups, eni.groups)) {
            release.enisRestored.push(eni.id);
            continue;
          }
          try {
            await this.#traced(run, step, () => c.setEniGroups(eni.id, eni.groups));
            release.enisRestored.push(eni.id);
          } catch (error) {
            ok = fail(eni.id, error);
          }
        }
        return ok;
      }
      case 'auto-scaling': {
        const asg = record.progress.autoScaling;
        if (!asg?.done || asg.action === 'none') return true;
        const action = asg.action;
        try {
          await this.#traced(run, step, () =>
            action === 'standby'
              ? c.exitStandby(asg.groupName, record.instanceId)
              : c.attachToAutoScaling(asg.groupName, record.instanceId)
          );
          return true;
        } catch (error) {
          const now = await this.#tryRead(run, step, () =>
            c.describeAutoScaling(record.instanceId)
          );
          if (now.ok && now.value?.lifecycleState === 'InService') return true;
          return fail(asg.groupName, error);
        }
      }
      case 'load-balancers': {
        let ok = true;
        for (const action of record.progress.loadBalancers) {
          if (!action.done) continue;
          try {
            await this.#traced(run, step, () =>
              action.kind === 'target-group'
                ? c.registerTarget(membershipOf(action))
                : c.registerWithClassic(action.id, record.instanceId)
            );
            lbRestored.add(action.id);
          } catch (error) {
            ok = fail(action.id, error);
          }
        }
        return ok;
      }
      case 'quarantine-tags': {
        const tags = record.progress.quarantineTags;
        if (Object.keys(tags).length === 0) return true;
        try {
          await this.#traced(run, step, () => c.untagInstance(record.instanceId, tags));
          return true;
        } catch (error) {
          return fail(record.instanceId, error);
        }
      }
      case 'protections': {
        const before = record.original.protections;
        if (!before) return true;
        const restore: Partial<InstanceProtections> = {};
        if (!before.disableApiTermination) restore.disableApiTermination = false;
        if (!before.disableApiStop) restore.disableApiStop = false;
        if (Object.keys(restore).length === 0) return true;
        try {
          await this.#traced(run, step, () => c.setProtections(record.instanceId, restore));
          return true;
        } catch (error) {
          return fail(record.instanceId, error);
        }
      }
    }
  }

  #releaseReport(record: IsolationRecord, lbRestored: Set<string>, run: Run): ReleaseReport {
    const release = record.release;
    const restored = new Set(release?.enisRestored ?? []);
    const asg = record.progress.autoScaling;
    const protectionsBefore = record.original.protections;
    return {
      findingId: record.findingId,
      instanceId: record.instanceId,
      accountId: record.accountId,
      region: record.region,
      ...(record.roleArn === undefined ? {} : { roleArn: record.roleArn }),
      generation: record.generation,
      requestedBy: release?.requestedBy ?? record.requestedBy,
      forced: release?.forced ?? false,
      drift: release?.drift ?? [],
      enis: record.original.enis.map((eni) => {
        const before = record.progress.enis[eni.id]?.applied ?? eni.groups;
        const skipped = release?.enisSkipped.find((s) => s.id === eni.id)?.reason;
        return {
          id: eni.id,
          before: [...before],
          after: restored.has(eni.id) ? [...eni.groups] : [...before],
          restored: restored.has(eni.id),
          ...(skipped === undefined ? {} : { skipped }),
        };
      }),
      ...(asg?.done && asg.action !== 'none'
        ? {
            autoScaling: {
              groupName: asg.groupName,
              action: asg.action === 'standby' ? ('exit-standby' as const) : ('attach' as const),
              done: release?.stepsDone.includes('auto-scaling') ?? false,
            },
          }
        : {}),
      loadBalancers: record.progress.loadBalancers
        .filter((action) => action.done)
        .map((action) => ({
          kind: action.kind,
          id: action.id,
          name: action.name,
          done:
            lbRestored.has(action.id) || (release?.stepsDone.includes('load-balancers') ?? false),
        })),
      quarantineTagsRemoved: release?.stepsDone.includes('quarantine-tags') ?? false,
      protectionsRestored:
        protectionsBefore !== undefined && (release?.stepsDone.includes('protections') ?? false),
      ...(protectionsBefore === undefined
        ? { protectionsNote: 'left on: the protection before isolation could not be read' }
        : {}),
      snapshotsKept: record.progress.snapshots.map((snapshot) => snapshot.snapshotId),
      failures: [...(release?.failures ?? [])],
      elapsedMs: this.#elapsed(run),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing
  // -------------------------------------------------------------------------------------------

  #now(): Date {
    return this.#deps.clock.now();
  }

  #elapsed(run: Run): number {
    return this.#now().getTime() - run.startedMs;
  }

  #lbQuery(
    instance: { instanceId: string; enis: readonly { vpcId: string; privateIps: string[] }[] },
    maxTargetGroups: number
  ) {
    return {
      instanceId: instance.instanceId,
      vpcIds: unique(instance.enis.map((eni) => eni.vpcId)),
      privateIps: instance.enis.flatMap((eni) => eni.privateIps),
      maxTargetGroups,
    };
  }

  #truncatedWarning(): string {
    return `Load-balancer scan stopped after ${this.#settings.maxTargetGroups} target groups: registrations beyond them were not checked.`;
  }

  async #save(record: IsolationRecord, run: Run): Promise<void> {
    record.updatedAt = this.#now().toISOString();
    await this.#deps.state.save(record, run.id, this.#now(), this.#settings.leaseMs);
  }

  async #releaseLease(findingId: string, owner: string): Promise<void> {
    try {
      await this.#deps.state.releaseLease(findingId, owner);
    } catch (error) {
      // The lease expires on its own; a retry waits at most leaseMs.
      this.#deps.logger.warn('could not give up the isolation lease', { findingId, error });
    }
  }

  #fail(record: IsolationRecord, step: IsolationStepName, resource: string, error: unknown): void {
    this.#failWith(record, failureOf(step, resource, error));
  }

  #failWith(record: IsolationRecord, failure: StepFailure): void {
    this.#deps.logger.warn('isolation step failed', { findingId: record.findingId, ...failure });
    record.progress.failures.push(failure);
  }

  #warn(record: IsolationRecord, warning: string): void {
    if (!record.progress.warnings.includes(warning)) record.progress.warnings.push(warning);
  }

  /** Runs a port call, audits its AWS calls (failed ones too), returns its value or throws. */
  async #traced<T>(run: Run, step: string, call: () => Promise<Traced<T>>): Promise<T> {
    let result: Traced<T>;
    try {
      result = await call();
    } catch (error) {
      await this.#auditError(run, step, error);
      throw error;
    }
    await this.#auditCalls(run, step, result.calls);
    return result.value;
  }

  /** Like {@link #traced} for reads whose failure is not fatal. */
  async #tryRead<T>(
    run: Run,
    step: string,
    call: () => Promise<Traced<T>>
  ): Promise<{ ok: true; value: T } | { ok: false; code: string; message: string }> {
    try {
      return { ok: true, value: await this.#traced(run, step, call) };
    } catch (error) {
      this.#deps.logger.warn('lookup failed', { step, code: codeOf(error) });
      return { ok: false, code: codeOf(error), message: messageOf(error) };
    }
  }

  async #auditError(run: Run, step: string, error: unknown): Promise<void> {
    if (error instanceof ContainmentError) {
      const calls: AwsCallRecord[] =
        error.calls.length > 0
          ? error.calls
          : [
              {
                call: error.call,
                result: error.code,
                ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
              },
            ];
      await this.#auditCalls(run, step, calls);
      return;
    }
    await this.#auditCalls(run, step, [{ call: 'unknown', result: codeOf(error) }]);
  }

  async #auditCalls(run: Run, step: string, calls: readonly AwsCallRecord[]): Promise<void> {
    for (const call of calls) {
      run.seq += 1;
      await this.#audit(run, {
        kind: 'isolation.step',
        dedupeKey: `${run.id}:${run.seq}`,
        result: call.result,
        detail: {
          step,
          call: call.call,
          ...(call.resource === undefined ? {} : { resource: call.resource }),
          ...(call.requestId === undefined ? {} : { requestId: call.requestId }),
          result: call.result,
        },
      });
    }
  }

  /** Appends to the audit stream; a failed append is logged and never stops containment. */
  async #audit(
    run: Run,
    entry: { kind: string; dedupeKey: string; result: string; detail: Record<string, unknown> }
  ): Promise<void> {
    try {
      await this.#deps.audit(run.findingId, {
        at: this.#now().toISOString(),
        kind: entry.kind,
        actor: run.requestedBy.userId,
        dedupeKey: entry.dedupeKey,
        result: entry.result,
        detail: {
          ...entry.detail,
          userName: run.requestedBy.userName,
          accountId: run.accountId,
          ...(run.roleArn === undefined ? {} : { roleArn: run.roleArn }),
          ...(run.generation > 0 ? { generation: run.generation } : {}),
          jobId: run.jobId,
        },
      });
    } catch (error) {
      this.#deps.logger.error('audit append failed', {
        findingId: run.findingId,
        kind: entry.kind,
        error,
      });
    }
  }

  #reportDetail(report: IsolationReport): Record<string, unknown> {
    return {
      instanceId: report.instanceId,
      enis: report.enis.map((eni) => ({ id: eni.id, before: eni.before, after: eni.after })),
      snapshots: report.snapshots.map((snapshot) => snapshot.snapshotId),
      ...(report.autoScaling === undefined ? {} : { autoScaling: report.autoScaling }),
      loadBalancers: report.loadBalancers.map((action) => ({
        kind: action.kind,
        id: action.id,
        done: action.done,
      })),
      connectionCut: connectionCutOf(report.enis),
      failures: report.failures,
      elapsedMs: report.elapsedMs,
    };
  }
}

const failureOf = (step: StepFailure['step'], resource: string, error: unknown): StepFailure => ({
  step,
  resource,
  code: codeOf(error),
  message: messageOf(error),
  ...(error instanceof ContainmentError && error.requestId !== undefined
    ? { requestId: error.requestId }
    : {}),
});

const actionsOf = (
  memberships: LoadBalancerMemberships,
  instanceId: string
): LoadBalancerAction[] => [
  ...memberships.targetGroups.map(
    (group): LoadBalancerAction => ({
      kind: 'target-group',
      id: group.targetGroupArn,
      name: group.targetGroupName,
      targetId: group.targetId,
      ...(group.port === undefined ? {} : { port: group.port }),
      ...(group.availabilityZone === undefined ? {} : { availabilityZone: group.availabilityZone }),
      done: false,
    })
  ),
  ...memberships.classic.map(
    (name): LoadBalancerAction => ({
      kind: 'classic',
      id: name,
      name,
      targetId: instanceId,
      done: false,
    })
  ),
];

const membershipOf = (action: LoadBalancerAction) => ({
  targetGroupArn: action.id,
  targetGroupName: action.name,
  targetId: action.targetId,
  ...(action.port === undefined ? {} : { port: action.port }),
  ...(action.availabilityZone === undefined ? {} : { availabilityZone: action.availabilityZone }),
});
