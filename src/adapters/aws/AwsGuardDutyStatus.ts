import { GetFindingsCommand, type GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { AwsCallRecord, FindingLiveStatus } from '../../domain/isolation';
import type { FindingStatusReader, Traced } from '../../ports/Containment';
import type { AwsClientFactory, AwsTarget } from './AwsClientFactory';
import { callAws, type ThrottleRetry } from './AwsEc2Containment';

/**
 * {@link FindingStatusReader} on GuardDuty `GetFindings`: `archived` when the finding is archived,
 * `not-found` when the detector does not return it. Errors become `ContainmentError`s.
 */
export class AwsGuardDutyStatus implements FindingStatusReader {
  readonly #client: () => Promise<GuardDutyClient>;
  readonly #retry: ThrottleRetry;

  public constructor(
    client: () => Promise<GuardDutyClient>,
    options: { retry?: ThrottleRetry } = {}
  ) {
    this.#client = client;
    this.#retry = options.retry ?? {};
  }

  /** The reader for the detector's account and region (`guardDutyRefOf(finding)` says which). */
  public static forTarget(
    factory: AwsClientFactory,
    target: AwsTarget,
    options: { retry?: ThrottleRetry } = {}
  ): AwsGuardDutyStatus {
    return new AwsGuardDutyStatus(() => factory.guardDuty(target), options);
  }

  public async findingStatus(input: {
    detectorId: string;
    findingId: string;
  }): Promise<Traced<FindingLiveStatus>> {
    const calls: AwsCallRecord[] = [];
    const client = await this.#client();
    const output = await callAws(
      calls,
      'guardduty:GetFindings',
      input.findingId,
      () =>
        client.send(
          new GetFindingsCommand({ DetectorId: input.detectorId, FindingIds: [input.findingId] })
        ),
      this.#retry
    );
    const finding = output?.Findings?.find((candidate) => candidate.Id === input.findingId);
    if (!finding) return { value: 'not-found', calls };
    return { value: finding.Service?.Archived === true ? 'archived' : 'open', calls };
  }
}
