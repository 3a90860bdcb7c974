import {
  ArchiveFindingsCommand,
  type Condition,
  CreateFilterCommand,
  DeleteFilterCommand,
  GetFilterCommand,
  type GuardDutyClient,
  ListDetectorsCommand,
  ListFiltersCommand,
  UnarchiveFindingsCommand,
  UpdateFindingsFeedbackCommand,
} from '@aws-sdk/client-guardduty';
import { BatchUpdateFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import {
  isBotSuppressionRule,
  SUPPRESSION_RULE_PREFIX,
  suppressionCriteriaFromEquals,
  suppressionCriteriaProblem,
  suppressionCriteriaToEquals,
} from '../../domain/dismissal';
import { BotError } from '../../domain/errors';
import { BOT_NOTE_AUTHOR } from '../../events/parseEvent';
import {
  type AccountTarget,
  type BatchFailure,
  type BatchResult,
  DismissalError,
  type DismissalErrorCode,
  type FindingFeedback,
  GUARDDUTY_BATCH_LIMIT,
  type GuardDutyDismissal,
  SECURITY_HUB_BATCH_LIMIT,
  type SecurityHubFindingRef,
  type SecurityHubWorkflow,
  type SuppressionRule,
  type SuppressionRuleInput,
  type WorkflowStatus,
} from '../../ports/Dismissal';

/** Where {@link AwsDismissal} gets its clients (the `AwsClientFactory` satisfies it). */
export interface AwsDismissalClients {
  guardDuty(target: AccountTarget): Promise<GuardDutyClient>;
  securityHub(target: AccountTarget): Promise<SecurityHubClient>;
}

/** Security Hub's limit on `Note.Text`. */
const NOTE_MAX_LENGTH = 512;
/** ListFilters page size (GuardDuty's maximum). */
const LIST_PAGE_SIZE = 50;

type Service = 'guardduty' | 'securityhub';

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

const ERROR_CODES: ReadonlyMap<string, { code: DismissalErrorCode; retryable: boolean }> = new Map([
  ['AccessDeniedException', { code: 'DISMISS_ACCESS_DENIED', retryable: false }],
  ['AccessDenied', { code: 'DISMISS_ACCESS_DENIED', retryable: false }],
  ['UnrecognizedClientException', { code: 'DISMISS_ACCESS_DENIED', retryable: false }],
  ['ExpiredTokenException', { code: 'DISMISS_ACCESS_DENIED', retryable: true }],
  ['InvalidAccessException', { code: 'DISMISS_NOT_ENABLED', retryable: false }],
  ['ResourceNotFoundException', { code: 'DISMISS_NOT_FOUND', retryable: false }],
  ['BadRequestException', { code: 'DISMISS_INVALID_REQUEST', retryable: false }],
  ['InvalidInputException', { code: 'DISMISS_INVALID_REQUEST', retryable: false }],
  ['ValidationException', { code: 'DISMISS_INVALID_REQUEST', retryable: false }],
  ['ThrottlingException', { code: 'DISMISS_THROTTLED', retryable: true }],
  ['TooManyRequestsException', { code: 'DISMISS_THROTTLED', retryable: true }],
  ['LimitExceededException', { code: 'DISMISS_THROTTLED', retryable: true }],
  ['ConflictException', { code: 'DISMISS_CONFLICT', retryable: true }],
  ['InternalServerErrorException', { code: 'DISMISS_UNAVAILABLE', retryable: true }],
  ['InternalServerException', { code: 'DISMISS_UNAVAILABLE', retryable: true }],
  ['InternalException', { code: 'DISMISS_UNAVAILABLE', retryable: true }],
]);

/**
 * Turns anything a GuardDuty / Security Hub call threw into a `BotError`: `BotError`s (such as a
 * failed role assumption) pass through; SDK errors become a {@link DismissalError} with a stable
 * code and the SDK error as `cause`.
 */
export const toDismissalError = (service: Service, operation: string, error: unknown): BotError => {
  if (error instanceof BotError) return error;
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? error : {};
  const name = typeof shape.name === 'string' ? shape.name : undefined;
  const known = name === undefined ? undefined : ERROR_CODES.get(name);
  const serverSide = shape.$fault === 'server' || (shape.$metadata?.httpStatusCode ?? 0) >= 500;
  const mapped = known ?? {
    code: serverSide ? ('DISMISS_UNAVAILABLE' as const) : ('DISMISS_FAILED' as const),
    retryable: serverSide || name === 'TimeoutError',
  };
  const detail = typeof shape.message === 'string' && shape.message !== '' ? shape.message : name;
  return new DismissalError(
    {
      ...mapped,
      service,
      operation,
      message: `${service === 'guardduty' ? 'GuardDuty' : 'Security Hub'} ${operation} failed${
        detail === undefined ? '' : `: ${detail}`
      }`,
      ...(name === undefined ? {} : { awsError: name }),
    },
    { cause: error }
  );
};

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
};

/** GuardDuty's wording when a filter is missing varies between BadRequest and ResourceNotFound. */
const isMissingFilter = (error: BotError): boolean =>
  error.code === 'DISMISS_NOT_FOUND' ||
  (error.code === 'DISMISS_INVALID_REQUEST' &&
    /not (exist|found)|does not exist/i.test(error.message));

/** The Equals values of a criterion (deprecated `Eq` included); `undefined` if any other operator is used. */
const equalsOnly = (condition: Condition): string[] | undefined => {
  const { Equals, Eq, ...others } = condition;
  const used = Object.values(others).some((value) => value !== undefined);
  if (used) return undefined;
  return Equals ?? Eq;
};

/**
 * {@link GuardDutyDismissal} and {@link SecurityHubWorkflow} on the AWS SDK. GuardDuty calls go to
 * the target given (the administrator account for archive and filters); each batch is split into
 * calls of ≤ 50 (GuardDuty) or ≤ 100 (Security Hub) findings and a failing chunk does not stop the
 * others. Errors become {@link DismissalError}s.
 */
export class AwsDismissal implements GuardDutyDismissal, SecurityHubWorkflow {
  readonly #clients: AwsDismissalClients;
  readonly #detectors = new Map<string, string>();

  public constructor(options: { clients: AwsDismissalClients }) {
    this.#clients = options.clients;
  }

  public async detectorId(target: AccountTarget): Promise<string> {
    const key = `${target.accountId}|${target.region}`;
    const cached = this.#detectors.get(key);
    if (cached !== undefined) return cached;
    const result = await this.#guardDuty(target, 'ListDetectors', (client) =>
      client.send(new ListDetectorsCommand({ MaxResults: 1 }))
    );
    const [detectorId] = result.DetectorIds ?? [];
    if (detectorId === undefined) {
      throw new DismissalError({
        code: 'DISMISS_NOT_FOUND',
        service: 'guardduty',
        operation: 'ListDetectors',
        message: `GuardDuty has no detector in account ${target.accountId}, ${target.region}`,
        retryable: false,
      });
    }
    this.#detectors.set(key, detectorId);
    return detectorId;
  }

  public archive(
    target: AccountTarget,
    detectorId: string,
    findingIds: string[]
  ): Promise<BatchResult> {
    return this.#guardDutyBatch(target, 'ArchiveFindings', findingIds, (client, ids) =>
      client.send(new ArchiveFindingsCommand({ DetectorId: detectorId, FindingIds: ids }))
    );
  }

  public unarchive(
    target: AccountTarget,
    detectorId: string,
    findingIds: string[]
  ): Promise<BatchResult> {
    return this.#guardDutyBatch(target, 'UnarchiveFindings', findingIds, (client, ids) =>
      client.send(new UnarchiveFindingsCommand({ DetectorId: detectorId, FindingIds: ids }))
    );
  }

  public feedback(
    target: AccountTarget,
    detectorId: string,
    findingIds: string[],
    feedback: FindingFeedback,
    comments?: string
  ): Promise<BatchResult> {
    return this.#guardDutyBatch(target, 'UpdateFindingsFeedback', findingIds, (client, ids) =>
      client.send(
        new UpdateFindingsFeedbackCommand({
          DetectorId: detectorId,
          FindingIds: ids,
          Feedback: feedback,
          ...(comments === undefined || comments === '' ? {} : { Comments: comments }),
        })
      )
    );
  }

  public async createSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    rule: SuppressionRuleInput
  ): Promise<void> {
    const problem = suppressionCriteriaProblem(rule.criteria);
    if (problem !== undefined || !rule.name.startsWith(SUPPRESSION_RULE_PREFIX)) {
      throw new DismissalError({
        code: 'DISMISS_INVALID_REQUEST',
        service: 'guardduty',
        operation: 'CreateFilter',
        message: `refusing to create suppression rule ${rule.name}: ${problem ?? 'not a bot rule name'}`,
        retryable: false,
      });
    }
    const criterion = Object.fromEntries(
      Object.entries(suppressionCriteriaToEquals(rule.criteria)).map(([field, values]) => [
        field,
        { Equals: values },
      ])
    );
    await this.#guardDuty(target, 'CreateFilter', (client) =>
      client.send(
        new CreateFilterCommand({
          DetectorId: detectorId,
          Name: rule.name,
          Description: rule.description,
          Action: 'ARCHIVE',
          FindingCriteria: { Criterion: criterion },
          Tags: rule.tags,
          ...(rule.rank === undefined ? {} : { Rank: rule.rank }),
          ...(rule.clientToken === undefined ? {} : { ClientToken: rule.clientToken }),
        })
      )
    );
  }

  public async getSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    name: string
  ): Promise<SuppressionRule | undefined> {
    try {
      const result = await this.#guardDuty(target, 'GetFilter', (client) =>
        client.send(new GetFilterCommand({ DetectorId: detectorId, FilterName: name }))
      );
      const criterion = result.FindingCriteria?.Criterion ?? {};
      const equals: Record<string, string[]> = {};
      let onlyEquals = true;
      for (const [field, condition] of Object.entries(criterion)) {
        const values = equalsOnly(condition);
        if (values === undefined) onlyEquals = false;
        else equals[field] = values;
      }
      const criteria = onlyEquals ? suppressionCriteriaFromEquals(equals) : undefined;
      return {
        name: result.Name ?? name,
        description: result.Description ?? '',
        action: result.Action ?? 'NOOP',
        ...(result.Rank === undefined ? {} : { rank: result.Rank }),
        ...(criteria === undefined ? {} : { criteria }),
        rawCriteria: JSON.stringify(criterion),
        tags: result.Tags ?? {},
      };
    } catch (error) {
      if (error instanceof BotError && isMissingFilter(error)) return undefined;
      throw error;
    }
  }

  public async deleteSuppressionRule(
    target: AccountTarget,
    detectorId: string,
    name: string
  ): Promise<'deleted' | 'absent'> {
    if (!name.startsWith(SUPPRESSION_RULE_PREFIX)) {
      throw new DismissalError({
        code: 'DISMISS_INVALID_REQUEST',
        service: 'guardduty',
        operation: 'DeleteFilter',
        message: `refusing to delete ${name}: only rules named ${SUPPRESSION_RULE_PREFIX}… are the bot's`,
        retryable: false,
      });
    }
    try {
      await this.#guardDuty(target, 'DeleteFilter', (client) =>
        client.send(new DeleteFilterCommand({ DetectorId: detectorId, FilterName: name }))
      );
      return 'deleted';
    } catch (error) {
      if (error instanceof BotError && isMissingFilter(error)) return 'absent';
      throw error;
    }
  }

  public async listSuppressionRules(
    target: AccountTarget,
    detectorId: string
  ): Promise<SuppressionRule[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.#guardDuty(target, 'ListFilters', (client) =>
        client.send(
          new ListFiltersCommand({
            DetectorId: detectorId,
            MaxResults: LIST_PAGE_SIZE,
            ...(token === undefined ? {} : { NextToken: token }),
          })
        )
      );
      names.push(
        ...(page.FilterNames ?? []).filter((name) => name.startsWith(SUPPRESSION_RULE_PREFIX))
      );
      nextToken = page.NextToken === '' ? undefined : page.NextToken;
    } while (nextToken !== undefined);
    const rules: SuppressionRule[] = [];
    // One at a time: at most 100 filters per detector, and GuardDuty throttles bursts.
    for (const name of [...new Set(names)].sort()) {
      const rule = await this.getSuppressionRule(target, detectorId, name);
      if (rule !== undefined && isBotSuppressionRule(rule)) rules.push(rule);
    }
    return rules;
  }

  public async setWorkflow(
    target: AccountTarget,
    findings: SecurityHubFindingRef[],
    status: WorkflowStatus,
    note: string
  ): Promise<BatchResult> {
    const text = note.trim() === '' ? `Workflow set to ${status} from Slack` : note.trim();
    const result: BatchResult = { succeeded: [], failed: [] };
    for (const refs of chunk(findings, SECURITY_HUB_BATCH_LIMIT)) {
      try {
        const client = await this.#clients.securityHub(target);
        const response = await client.send(
          new BatchUpdateFindingsCommand({
            FindingIdentifiers: refs.map((ref) => ({ Id: ref.id, ProductArn: ref.productArn })),
            Workflow: { Status: status },
            // UpdatedBy marks the echo Security Hub sends back, so ingestion skips it.
            Note: {
              Text: text.length > NOTE_MAX_LENGTH ? `${text.slice(0, NOTE_MAX_LENGTH - 1)}…` : text,
              UpdatedBy: BOT_NOTE_AUTHOR,
            },
          })
        );
        const unprocessed = response.UnprocessedFindings ?? [];
        const failedIds = new Set<string>();
        for (const item of unprocessed) {
          const id = item.FindingIdentifier?.Id;
          if (id === undefined) continue;
          failedIds.add(id);
          result.failed.push({
            ids: [id],
            error: new DismissalError({
              code: 'DISMISS_UNPROCESSED',
              service: 'securityhub',
              operation: 'BatchUpdateFindings',
              message: `Security Hub did not update finding ${id}: ${item.ErrorCode ?? 'unknown'}${
                item.ErrorMessage ? ` (${item.ErrorMessage})` : ''
              }`,
              ...(item.ErrorCode === undefined ? {} : { awsError: item.ErrorCode }),
              retryable: item.ErrorCode === 'ConcurrentUpdateError',
            }),
          });
        }
        result.succeeded.push(...refs.map((ref) => ref.id).filter((id) => !failedIds.has(id)));
      } catch (error) {
        result.failed.push({
          ids: refs.map((ref) => ref.id),
          error: toDismissalError('securityhub', 'BatchUpdateFindings', error),
        });
      }
    }
    return result;
  }

  async #guardDuty<T>(
    target: AccountTarget,
    operation: string,
    call: (client: GuardDutyClient) => Promise<T>
  ): Promise<T> {
    try {
      return await call(await this.#clients.guardDuty(target));
    } catch (error) {
      throw toDismissalError('guardduty', operation, error);
    }
  }

  async #guardDutyBatch(
    target: AccountTarget,
    operation: string,
    findingIds: string[],
    call: (client: GuardDutyClient, ids: string[]) => Promise<unknown>
  ): Promise<BatchResult> {
    const succeeded: string[] = [];
    const failed: BatchFailure[] = [];
    for (const ids of chunk([...new Set(findingIds)], GUARDDUTY_BATCH_LIMIT)) {
      try {
        await this.#guardDuty(target, operation, (client) => call(client, ids));
        succeeded.push(...ids);
      } catch (error) {
        failed.push({ ids, error: toDismissalError('guardduty', operation, error) });
      }
    }
    return { succeeded, failed };
  }
}
