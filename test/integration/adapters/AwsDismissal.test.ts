import { readFileSync } from 'node:fs';
import {
  AccessDeniedException,
  ArchiveFindingsCommand,
  BadRequestException,
  CreateFilterCommand,
  DeleteFilterCommand,
  GetFilterCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListFiltersCommand,
  UnarchiveFindingsCommand,
  UpdateFindingsFeedbackCommand,
} from '@aws-sdk/client-guardduty';
import {
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
  InvalidAccessException,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CrossAccountError } from '../../../src/adapters/aws/AwsClientFactory';
import { AwsDismissal, toDismissalError } from '../../../src/adapters/aws/AwsDismissal';
import { buildSuppressionCriteria, type SuppressionCriteria } from '../../../src/domain/dismissal';
import { BOT_NOTE_AUTHOR, parseEvent } from '../../../src/events/parseEvent';
import { DismissalError } from '../../../src/ports/Dismissal';
import { sshBruteForceFinding } from '../../unit/slack/cards/findings';

const TARGET = { accountId: '210987654321', region: 'us-west-2', actor: 'U0ALICE' };
const DETECTOR = 'aaaabbbbccccddddeeeeffff00001111';
const GUARDDUTY_PRODUCT = 'arn:aws:securityhub:us-west-2::product/aws/guardduty';
const FIXTURE = new URL(
  '../../fixtures/events/07-securityhub-imported-guardduty-sshbruteforce.json',
  import.meta.url
);

const guardDutyClient = new GuardDutyClient({
  region: 'us-west-2',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const securityHubClient = new SecurityHubClient({
  region: 'us-west-2',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const guardDuty = mockClient(guardDutyClient);
const securityHub = mockClient(securityHubClient);

const ids = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => index.toString(16).padStart(32, '0'));

const criteria = (): SuppressionCriteria => {
  const proposal = buildSuppressionCriteria(sshBruteForceFinding());
  if (!proposal.ok) throw new Error(proposal.reason);
  return proposal.criteria;
};

const adapter = (): AwsDismissal =>
  new AwsDismissal({
    clients: {
      guardDuty: async () => guardDutyClient,
      securityHub: async () => securityHubClient,
    },
  });

const errorOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

describe('Class: AwsDismissal', () => {
  beforeEach(() => {
    guardDuty.reset();
    securityHub.reset();
  });

  describe('GuardDuty findings', () => {
    it('archives in chunks of fifty', async () => {
      // Prepare
      guardDuty.on(ArchiveFindingsCommand).resolves({});
      const findingIds = ids(120);

      // Act
      const result = await adapter().archive(TARGET, DETECTOR, findingIds);

      // Assess
      const calls = guardDuty.commandCalls(ArchiveFindingsCommand);
      expect(calls.map((call) => call.args[0].input.FindingIds?.length)).toStrictEqual([
        50, 50, 20,
      ]);
      expect(calls.flatMap((call) => call.args[0].input.FindingIds)).toStrictEqual(findingIds);
      expect(guardDuty).toReceiveCommandWith(ArchiveFindingsCommand, {
        DetectorId: DETECTOR,
        FindingIds: findingIds.slice(100),
      });
      expect(result).toStrictEqual({ succeeded: findingIds, failed: [] });
    });

    it('keeps archiving the other chunks when one is refused, and reports it', async () => {
      // Prepare
      const denied = new AccessDeniedException({ message: 'not the administrator', $metadata: {} });
      guardDuty.on(ArchiveFindingsCommand).resolvesOnce({}).rejectsOnce(denied).resolves({});
      const findingIds = ids(120);

      // Act
      const result = await adapter().archive(TARGET, DETECTOR, findingIds);

      // Assess
      expect(result.succeeded).toStrictEqual([
        ...findingIds.slice(0, 50),
        ...findingIds.slice(100),
      ]);
      expect(result.failed).toHaveLength(1);
      expect(result.failed[0]?.ids).toStrictEqual(findingIds.slice(50, 100));
      const error = result.failed[0]?.error;
      expect(error).toBeInstanceOf(DismissalError);
      expect(error).toMatchObject({
        code: 'DISMISS_ACCESS_DENIED',
        operation: 'ArchiveFindings',
        awsError: 'AccessDeniedException',
        retryable: false,
        cause: denied,
      });
    });

    it('sends each id once', async () => {
      // Prepare
      guardDuty.on(ArchiveFindingsCommand).resolves({});

      // Act
      await adapter().archive(TARGET, DETECTOR, ['a', 'a', 'b']);

      // Assess
      expect(guardDuty).toReceiveCommandWith(ArchiveFindingsCommand, { FindingIds: ['a', 'b'] });
    });

    it('unarchives in chunks of fifty', async () => {
      // Prepare
      guardDuty.on(UnarchiveFindingsCommand).resolves({});

      // Act
      const result = await adapter().unarchive(TARGET, DETECTOR, ids(51));

      // Assess
      expect(guardDuty.commandCalls(UnarchiveFindingsCommand)).toHaveLength(2);
      expect(result.succeeded).toHaveLength(51);
    });

    it('sends NOT_USEFUL feedback with the comment', async () => {
      // Prepare
      guardDuty.on(UpdateFindingsFeedbackCommand).resolves({});
      const findingId = sshBruteForceFinding().id;

      // Act
      const result = await adapter().feedback(
        TARGET,
        DETECTOR,
        [findingId],
        'NOT_USEFUL',
        'our scanner'
      );

      // Assess
      expect(guardDuty).toReceiveCommandWith(UpdateFindingsFeedbackCommand, {
        DetectorId: DETECTOR,
        FindingIds: [findingId],
        Feedback: 'NOT_USEFUL',
        Comments: 'our scanner',
      });
      expect(result.failed).toStrictEqual([]);
    });

    it('finds the detector once per account and region', async () => {
      // Prepare
      guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
      const dismissal = adapter();

      // Act
      const first = await dismissal.detectorId(TARGET);
      const second = await dismissal.detectorId(TARGET);

      // Assess
      expect([first, second]).toStrictEqual([DETECTOR, DETECTOR]);
      expect(guardDuty.commandCalls(ListDetectorsCommand)).toHaveLength(1);
    });

    it('reports a region without a detector as not found', async () => {
      // Prepare
      guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });

      // Act
      const error = await errorOf(adapter().detectorId(TARGET));

      // Assess
      expect(error).toMatchObject({ name: 'DismissalError', code: 'DISMISS_NOT_FOUND' });
    });
  });

  describe('Security Hub workflow', () => {
    const ref = { id: sshBruteForceFinding().arn ?? '', productArn: GUARDDUTY_PRODUCT };

    it('suppresses with a note written as the bot', async () => {
      // Prepare
      securityHub.on(BatchUpdateFindingsCommand).resolves({
        ProcessedFindings: [{ Id: ref.id, ProductArn: ref.productArn }],
        UnprocessedFindings: [],
      });

      // Act
      const result = await adapter().setWorkflow(TARGET, [ref], 'SUPPRESSED', 'Dismissed by alice');

      // Assess
      expect(securityHub).toReceiveCommandWith(BatchUpdateFindingsCommand, {
        FindingIdentifiers: [{ Id: ref.id, ProductArn: ref.productArn }],
        Workflow: { Status: 'SUPPRESSED' },
        Note: { Text: 'Dismissed by alice', UpdatedBy: BOT_NOTE_AUTHOR },
      });
      expect(result).toStrictEqual({ succeeded: [ref.id], failed: [] });
    });

    it('cuts the note to the 512 characters Security Hub accepts', async () => {
      // Prepare
      securityHub.on(BatchUpdateFindingsCommand).resolves({ UnprocessedFindings: [] });

      // Act
      await adapter().setWorkflow(TARGET, [ref], 'SUPPRESSED', 'n'.repeat(2000));

      // Assess
      const input = securityHub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input;
      expect(input?.Note?.Text).toHaveLength(512);
    });

    it('does not ingest the "Imported" event its own update produces', async () => {
      // Prepare
      securityHub.on(BatchUpdateFindingsCommand).resolves({ UnprocessedFindings: [] });
      await adapter().setWorkflow(TARGET, [ref], 'SUPPRESSED', 'Dismissed in Slack by alice');
      const sent = securityHub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0]
        .input as BatchUpdateFindingsCommandInput;
      // Security Hub echoes the finding with our note and workflow, and its own UpdatedAt on the note.
      const echo = JSON.parse(readFileSync(FIXTURE, 'utf8'));
      const asff = echo.detail.findings[0];
      asff.Note = { ...sent.Note, UpdatedAt: '2025-03-11T14:30:00.000Z' };
      asff.Workflow = { Status: sent.Workflow?.Status };

      // Act
      const parsed = parseEvent(echo, { skipSecurityHubGuardDuty: false });

      // Assess
      expect(parsed).toMatchObject({ kind: 'skipped', reason: 'update made by the bot itself' });
    });

    it('reports unprocessed findings as failures, never as success', async () => {
      // Prepare
      const other = { id: 'arn:aws:inspector2:us-west-2:123456789012:finding/1', productArn: 'p' };
      securityHub.on(BatchUpdateFindingsCommand).resolves({
        ProcessedFindings: [{ Id: other.id, ProductArn: other.productArn }],
        UnprocessedFindings: [
          {
            FindingIdentifier: { Id: ref.id, ProductArn: ref.productArn },
            ErrorCode: 'ConcurrentUpdateError',
            ErrorMessage: 'try again',
          },
        ],
      });

      // Act
      const result = await adapter().setWorkflow(TARGET, [ref, other], 'SUPPRESSED', 'note');

      // Assess
      expect(result.succeeded).toStrictEqual([other.id]);
      expect(result.failed[0]?.ids).toStrictEqual([ref.id]);
      expect(result.failed[0]?.error).toMatchObject({
        code: 'DISMISS_UNPROCESSED',
        awsError: 'ConcurrentUpdateError',
        retryable: true,
      });
    });

    it('reports Security Hub not being enabled for every finding of the call', async () => {
      // Prepare
      const notEnabled = new InvalidAccessException({
        message: 'Account is not subscribed to AWS Security Hub',
        $metadata: {},
      });
      securityHub.on(BatchUpdateFindingsCommand).rejects(notEnabled);

      // Act
      const result = await adapter().setWorkflow(TARGET, [ref], 'NEW', 'Reopened');

      // Assess
      expect(result.succeeded).toStrictEqual([]);
      expect(result.failed[0]).toMatchObject({
        ids: [ref.id],
        error: { code: 'DISMISS_NOT_ENABLED', service: 'securityhub', cause: notEnabled },
      });
    });
  });

  describe('Suppression rules', () => {
    it('creates a filter with action ARCHIVE and Equals criteria', async () => {
      // Prepare
      guardDuty.on(CreateFilterCommand).resolves({ Name: 'guardduty-bot-0123456789ab' });

      // Act
      await adapter().createSuppressionRule(TARGET, DETECTOR, {
        name: 'guardduty-bot-0123456789ab',
        description: 'Created from Slack by alice for finding f1: False positive',
        criteria: criteria(),
        clientToken: 'guardduty-bot-0123456789ab-1234abcd',
        tags: { ManagedBy: 'guardduty-slack-responder', FindingId: 'f1' },
      });

      // Assess
      expect(guardDuty).toReceiveCommandWith(CreateFilterCommand, {
        DetectorId: DETECTOR,
        Name: 'guardduty-bot-0123456789ab',
        Action: 'ARCHIVE',
        Description: 'Created from Slack by alice for finding f1: False positive',
        ClientToken: 'guardduty-bot-0123456789ab-1234abcd',
        FindingCriteria: {
          Criterion: {
            type: { Equals: ['UnauthorizedAccess:EC2/SSHBruteForce'] },
            'resource.instanceDetails.instanceId': { Equals: ['i-0a1b2c3d4e5f60718'] },
          },
        },
        Tags: { ManagedBy: 'guardduty-slack-responder', FindingId: 'f1' },
      });
    });

    it('refuses to create a rule on the finding type alone without calling GuardDuty', async () => {
      // Act
      const error = await errorOf(
        adapter().createSuppressionRule(TARGET, DETECTOR, {
          name: 'guardduty-bot-0123456789ab',
          description: 'Created from Slack by alice',
          criteria: { ...criteria(), conditions: [] },
          tags: {},
        })
      );

      // Assess
      expect(error).toMatchObject({ code: 'DISMISS_INVALID_REQUEST' });
      expect(guardDuty.commandCalls(CreateFilterCommand)).toHaveLength(0);
    });

    it('translates a refused creation, keeping the SDK error', async () => {
      // Prepare
      const badRequest = new BadRequestException({
        message: 'The request is rejected because a filter with the same name already exists.',
        $metadata: {},
      });
      guardDuty.on(CreateFilterCommand).rejects(badRequest);

      // Act
      const error = await errorOf(
        adapter().createSuppressionRule(TARGET, DETECTOR, {
          name: 'guardduty-bot-0123456789ab',
          description: 'Created from Slack by alice',
          criteria: criteria(),
          tags: {},
        })
      );

      // Assess
      expect(error).toBeInstanceOf(DismissalError);
      expect(error).toMatchObject({
        code: 'DISMISS_INVALID_REQUEST',
        operation: 'CreateFilter',
        cause: badRequest,
      });
    });

    it('deletes a filter, and answers absent for one that does not exist', async () => {
      // Prepare
      guardDuty
        .on(DeleteFilterCommand)
        .resolvesOnce({})
        .rejects(
          new BadRequestException({
            message: 'The request is rejected since the filter does not exist.',
            $metadata: {},
          })
        );
      const dismissal = adapter();

      // Act
      const first = await dismissal.deleteSuppressionRule(TARGET, DETECTOR, 'guardduty-bot-1');
      const second = await dismissal.deleteSuppressionRule(TARGET, DETECTOR, 'guardduty-bot-1');

      // Assess
      expect([first, second]).toStrictEqual(['deleted', 'absent']);
      expect(guardDuty).toReceiveCommandWith(DeleteFilterCommand, {
        DetectorId: DETECTOR,
        FilterName: 'guardduty-bot-1',
      });
    });

    it('refuses to delete a filter without the bot prefix', async () => {
      // Act
      const error = await errorOf(adapter().deleteSuppressionRule(TARGET, DETECTOR, 'bastions'));

      // Assess
      expect(error).toMatchObject({ code: 'DISMISS_INVALID_REQUEST' });
      expect(guardDuty.commandCalls(DeleteFilterCommand)).toHaveLength(0);
    });

    it("lists only the bot's rules across pages, with their criteria", async () => {
      // Prepare
      guardDuty
        .on(ListFiltersCommand)
        .resolvesOnce({ FilterNames: ['bastions', 'guardduty-bot-bbb'], NextToken: 'page-2' })
        .resolvesOnce({ FilterNames: ['guardduty-bot-aaa', 'guardduty-bot-ccc'] });
      guardDuty.on(GetFilterCommand, { FilterName: 'guardduty-bot-aaa' }).resolves({
        Name: 'guardduty-bot-aaa',
        Action: 'ARCHIVE',
        Description: 'Created from Slack by alice for finding f1: False positive',
        FindingCriteria: {
          Criterion: {
            type: { Equals: ['UnauthorizedAccess:EC2/SSHBruteForce'] },
            'resource.instanceDetails.instanceId': { Equals: ['i-0a1b2c3d4e5f60718'] },
          },
        },
        Tags: { FindingId: 'f1' },
      });
      guardDuty.on(GetFilterCommand, { FilterName: 'guardduty-bot-bbb' }).resolves({
        Name: 'guardduty-bot-bbb',
        Action: 'ARCHIVE',
        Description: 'Created from Slack by bob for finding f2: Duplicate',
        FindingCriteria: {
          Criterion: {
            type: { Equals: ['UnauthorizedAccess:EC2/SSHBruteForce'] },
            severity: { GreaterThanOrEqual: 2 },
          },
        },
      });
      guardDuty.on(GetFilterCommand, { FilterName: 'guardduty-bot-ccc' }).resolves({
        Name: 'guardduty-bot-ccc',
        Action: 'ARCHIVE',
        Description: 'someone else’s rule',
        FindingCriteria: { Criterion: {} },
      });

      // Act
      const rules = await adapter().listSuppressionRules(TARGET, DETECTOR);

      // Assess
      expect(guardDuty).toReceiveCommandWith(ListFiltersCommand, {
        DetectorId: DETECTOR,
        NextToken: 'page-2',
      });
      expect(
        guardDuty.commandCalls(GetFilterCommand).map((call) => call.args[0].input.FilterName)
      ).toStrictEqual(['guardduty-bot-aaa', 'guardduty-bot-bbb', 'guardduty-bot-ccc']);
      expect(rules.map((rule) => rule.name)).toStrictEqual([
        'guardduty-bot-aaa',
        'guardduty-bot-bbb',
      ]);
      expect(rules[0]).toMatchObject({ criteria: criteria(), tags: { FindingId: 'f1' } });
      expect(rules[1]?.criteria).toBeUndefined();
      expect(rules[1]?.rawCriteria).toContain('GreaterThanOrEqual');
    });
  });

  describe('Function: toDismissalError', () => {
    it('marks throttling and server faults as retryable', () => {
      // Prepare
      const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      const serverFault = Object.assign(new Error('boom'), { name: 'Whatever', $fault: 'server' });

      // Assess
      expect(toDismissalError('guardduty', 'ArchiveFindings', throttled)).toMatchObject({
        code: 'DISMISS_THROTTLED',
        retryable: true,
      });
      expect(toDismissalError('guardduty', 'ArchiveFindings', serverFault)).toMatchObject({
        code: 'DISMISS_UNAVAILABLE',
        retryable: true,
      });
    });

    it('passes errors that are already BotErrors through', () => {
      // Prepare
      const crossAccount = new CrossAccountError('could not assume the member role');

      // Assess
      expect(toDismissalError('guardduty', 'ArchiveFindings', crossAccount)).toBe(crossAccount);
    });
  });
});
