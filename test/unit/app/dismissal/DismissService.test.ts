import { describe, expect, it } from 'vitest';
import {
  DismissService,
  type DismissServiceOptions,
} from '../../../../src/app/dismissal/DismissService';
import { buildSuppressionCriteria, SUPPRESSION_FIELDS } from '../../../../src/domain/dismissal';
import type { Finding } from '../../../../src/domain/Finding';
import type { AuditEntry } from '../../../../src/ports/FindingStore';
import {
  dismissalError,
  FakeGuardDutyDismissal,
  FakeSecurityHubWorkflow,
} from '../../../fakes/FakeDismissal';
import { credentialExfiltrationFinding, sshBruteForceFinding } from '../../slack/cards/findings';

const NOW = new Date('2025-03-11T14:20:00.000Z');
const ALICE = { userId: 'U0ALICE', userName: 'alice' };
const BOB = { userId: 'U0BOB', userName: 'bob' };
const MEMBER = '123456789012';
const ADMIN = '210987654321';
const REGION = 'us-west-2';
const MEMBER_DETECTOR = '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c';
const ADMIN_DETECTOR = 'aaaabbbbccccddddeeeeffff00001111';
const TARGET = { accountId: MEMBER, region: REGION };

/** An Inspector finding in Security Hub: no GuardDuty side at all. */
const inspectorFinding = (): Finding => ({
  ...sshBruteForceFinding(),
  id: 'arn:aws:inspector2:us-west-2:123456789012:finding/0f1e2d3c4b5a',
  source: 'securityhub',
  arn: 'arn:aws:inspector2:us-west-2:123456789012:finding/0f1e2d3c4b5a',
  type: 'Software and Configuration Checks/Vulnerabilities/CVE',
  productName: 'Inspector',
  productArn: 'arn:aws:securityhub:us-west-2::product/aws/inspector',
  detectorId: undefined,
});

/** The Security Hub copy of the SSH brute force finding. */
const securityHubCopyOfGuardDuty = (): Finding => {
  const original = sshBruteForceFinding();
  return {
    ...original,
    id: original.arn ?? '',
    source: 'securityhub',
    type: 'TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce',
    productName: 'GuardDuty',
    productArn: 'arn:aws:securityhub:us-west-2::product/aws/guardduty',
  };
};

/** An audit stream with the store's de-duplication on (kind, dedupeKey). */
class MemoryAudit {
  readonly entries: { findingId: string; entry: AuditEntry }[] = [];
  readonly #keys = new Set<string>();

  public readonly write = async (findingId: string, entry: AuditEntry) => {
    const key = `${findingId}|${entry.kind}|${entry.dedupeKey}`;
    if (this.#keys.has(key)) return 'duplicate' as const;
    this.#keys.add(key);
    this.entries.push({ findingId, entry });
    return 'appended' as const;
  };

  public kinds(): string[] {
    return this.entries.map(({ entry }) => entry.kind);
  }
}

const setup = (options: DismissServiceOptions = {}) => {
  const guardDuty = new FakeGuardDutyDismissal()
    .withDetector(MEMBER, REGION, MEMBER_DETECTOR)
    .withDetector(ADMIN, REGION, ADMIN_DETECTOR);
  const securityHub = new FakeSecurityHubWorkflow();
  const audit = new MemoryAudit();
  const service = new DismissService({
    guardDuty,
    securityHub,
    audit: audit.write,
    now: () => NOW,
    options,
  });
  return { guardDuty, securityHub, audit, service };
};

const dismissInput = (
  finding: Finding,
  overrides: Partial<Parameters<DismissService['dismiss']>[0]> = {}
) => ({
  finding,
  reason: 'false_positive' as const,
  note: 'Our own scanner',
  actor: ALICE,
  target: TARGET,
  jobId: 'dismiss:job-1',
  ...overrides,
});

describe('Class: DismissService', () => {
  describe('Method: dismiss', () => {
    it('archives the finding with its own detector when no administrator account is set', async () => {
      // Prepare
      const { guardDuty, service } = setup();
      const finding = sshBruteForceFinding();

      // Act
      const outcome = await service.dismiss(dismissInput(finding));

      // Assess
      expect(outcome.status).toBe('dismissed');
      expect(guardDuty.callsOf('archive')).toStrictEqual([
        {
          operation: 'archive',
          target: { accountId: MEMBER, region: REGION, actor: ALICE.userId },
          args: [MEMBER_DETECTOR, [finding.id]],
        },
      ]);
      expect(guardDuty.callsOf('detectorId')).toHaveLength(0);
      expect(guardDuty.archived.has(finding.id)).toBe(true);
    });

    it('archives in the administrator account with the administrator detector', async () => {
      // Prepare
      const { guardDuty, service } = setup({ adminTarget: { accountId: ADMIN } });
      const finding = sshBruteForceFinding();

      // Act
      await service.dismiss(dismissInput(finding));

      // Assess
      const [archive] = guardDuty.callsOf('archive');
      expect(archive?.target).toStrictEqual({
        accountId: ADMIN,
        region: REGION,
        actor: ALICE.userId,
      });
      expect(archive?.args).toStrictEqual([ADMIN_DETECTOR, [finding.id]]);
    });

    it('sends NOT_USEFUL feedback with the note for a false positive', async () => {
      // Prepare
      const { guardDuty, service } = setup();
      const finding = sshBruteForceFinding();

      // Act
      const outcome = await service.dismiss(dismissInput(finding));

      // Assess
      expect(guardDuty.feedbackGiven.get(finding.id)).toStrictEqual({
        feedback: 'NOT_USEFUL',
        comments: 'Our own scanner',
      });
      expect(outcome.steps.feedback).toStrictEqual({ status: 'done', ids: [finding.id] });
    });

    it('sends no feedback for other reasons', async () => {
      // Prepare
      const { guardDuty, service } = setup();

      // Act
      const outcome = await service.dismiss(
        dismissInput(sshBruteForceFinding(), { reason: 'accepted_risk' })
      );

      // Assess
      expect(outcome.status).toBe('dismissed');
      expect(guardDuty.callsOf('feedback')).toHaveLength(0);
      expect(outcome.steps.feedback.status).toBe('skipped');
    });

    it('leaves Security Hub alone for a GuardDuty finding by default', async () => {
      // Prepare
      const { securityHub, service } = setup();

      // Act
      const outcome = await service.dismiss(dismissInput(sshBruteForceFinding()));

      // Assess
      expect(securityHub.calls).toHaveLength(0);
      expect(outcome.steps.securityHub.status).toBe('skipped');
    });

    it("also suppresses a GuardDuty finding's Security Hub copy when configured", async () => {
      // Prepare
      const { securityHub, service } = setup({ securityHubForGuardDutyFindings: true });
      const finding = sshBruteForceFinding();

      // Act
      await service.dismiss(dismissInput(finding));

      // Assess
      expect(securityHub.calls[0]?.findings).toStrictEqual([
        { id: finding.arn, productArn: 'arn:aws:securityhub:us-west-2::product/aws/guardduty' },
      ]);
      expect(securityHub.calls[0]?.status).toBe('SUPPRESSED');
    });

    it('suppresses a Security Hub finding with a note naming the user and reason', async () => {
      // Prepare
      const { guardDuty, securityHub, service } = setup();
      const finding = inspectorFinding();

      // Act
      const outcome = await service.dismiss(
        dismissInput(finding, { reason: 'expected_activity', note: 'patched next week' })
      );

      // Assess
      expect(outcome.status).toBe('dismissed');
      expect(securityHub.calls).toStrictEqual([
        {
          target: { ...TARGET, actor: ALICE.userId },
          findings: [{ id: finding.id, productArn: finding.productArn }],
          status: 'SUPPRESSED',
          note: 'Dismissed in Slack by alice: Expected activity. patched next week',
        },
      ]);
      expect(guardDuty.calls).toHaveLength(0);
      expect(outcome.steps.archive.status).toBe('skipped');
    });

    it('archives the GuardDuty finding behind a Security Hub copy and suppresses the copy', async () => {
      // Prepare
      const { guardDuty, securityHub, service } = setup();
      const finding = securityHubCopyOfGuardDuty();

      // Act
      const outcome = await service.dismiss(dismissInput(finding));

      // Assess
      expect(outcome.status).toBe('dismissed');
      expect(guardDuty.archived).toStrictEqual(new Set(['8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12']));
      expect(securityHub.workflow.get(finding.id)).toBe('SUPPRESSED');
    });

    it('reports a partial dismissal when feedback fails after the archive, never success', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup();
      guardDuty.failNext(
        'feedback',
        dismissalError('DISMISS_THROTTLED', 'UpdateFindingsFeedback', true)
      );

      // Act
      const outcome = await service.dismiss(dismissInput(sshBruteForceFinding()));

      // Assess
      expect(outcome.status).toBe('partial');
      expect(outcome.status !== 'dismissed' && outcome.failed).toStrictEqual(['feedback']);
      expect(outcome.steps.feedback).toMatchObject({
        status: 'failed',
        code: 'DISMISS_THROTTLED',
        retryable: true,
      });
      expect(audit.entries[0]?.entry).toMatchObject({
        kind: 'dismiss.completed',
        result: 'partial',
        detail: { archived: 1, feedback: 'DISMISS_THROTTLED', failed: ['feedback'] },
      });
    });

    it('reports failure when GuardDuty refuses the archive', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup();
      const finding = sshBruteForceFinding();
      guardDuty.failingIds.set(finding.id, dismissalError('DISMISS_ACCESS_DENIED'));

      // Act
      const outcome = await service.dismiss(dismissInput(finding, { reason: 'duplicate' }));

      // Assess
      expect(outcome).toMatchObject({
        status: 'failed',
        failed: ['archive'],
        steps: {
          archive: { status: 'failed', code: 'DISMISS_ACCESS_DENIED', failedIds: [finding.id] },
        },
      });
      expect(audit.kinds()).toStrictEqual(['dismiss.failed']);
    });

    it('reports failure when the administrator detector cannot be found', async () => {
      // Prepare
      const { service } = setup({ adminTarget: { accountId: '999999999999' } });

      // Act
      const outcome = await service.dismiss(dismissInput(sshBruteForceFinding()));

      // Assess
      expect(outcome.status).toBe('failed');
      expect(outcome.steps.archive).toMatchObject({ status: 'failed', code: 'DISMISS_NOT_FOUND' });
    });

    it('reports failure when Security Hub leaves its finding unprocessed', async () => {
      // Prepare
      const { securityHub, service } = setup();
      const finding = inspectorFinding();
      securityHub.unprocessed.add(finding.id);

      // Act
      const outcome = await service.dismiss(dismissInput(finding));

      // Assess
      expect(outcome).toMatchObject({ status: 'failed', failed: ['securityHub'] });
      expect(outcome.steps.securityHub).toMatchObject({ code: 'DISMISS_UNPROCESSED' });
    });

    it('records the dismissal once in the audit stream with what was done', async () => {
      // Prepare
      const { audit, service } = setup();
      const finding = sshBruteForceFinding();

      // Act
      await service.dismiss(dismissInput(finding));

      // Assess
      expect(audit.entries).toStrictEqual([
        {
          findingId: finding.id,
          entry: {
            at: NOW.toISOString(),
            kind: 'dismiss.completed',
            actor: ALICE.userId,
            dedupeKey: 'dismiss:job-1#dismissed',
            result: 'ok',
            detail: {
              reason: 'false_positive',
              note: 'Our own scanner',
              userName: 'alice',
              archived: 1,
              feedback: 'ok',
              securityHub: 'skipped',
            },
          },
        },
      ]);
    });

    it('is idempotent: a redelivered job archives again harmlessly and is recorded once', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup();
      const finding = sshBruteForceFinding();

      // Act
      const first = await service.dismiss(dismissInput(finding));
      const second = await service.dismiss(dismissInput(finding));

      // Assess
      expect(first.status).toBe('dismissed');
      expect(second.status).toBe('dismissed');
      expect(guardDuty.callsOf('archive')).toHaveLength(2);
      expect(audit.kinds()).toStrictEqual(['dismiss.completed']);
    });
  });

  describe('Method: reopen', () => {
    it('unarchives a GuardDuty finding in the administrator account', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup({ adminTarget: { accountId: ADMIN } });
      const finding = sshBruteForceFinding();
      await service.dismiss(dismissInput(finding));

      // Act
      const outcome = await service.reopen({
        finding,
        actor: BOB,
        target: TARGET,
        jobId: 'reopen:1',
      });

      // Assess
      expect(outcome.status).toBe('reopened');
      expect(guardDuty.archived.has(finding.id)).toBe(false);
      expect(guardDuty.callsOf('unarchive')[0]?.args).toStrictEqual([ADMIN_DETECTOR, [finding.id]]);
      expect(audit.entries.at(-1)?.entry).toMatchObject({
        kind: 'reopen.completed',
        actor: BOB.userId,
        result: 'ok',
        detail: { userName: 'bob', unarchived: 1, securityHub: 'skipped' },
      });
    });

    it('sets a Security Hub finding back to NEW', async () => {
      // Prepare
      const { securityHub, service } = setup();
      const finding = inspectorFinding();
      await service.dismiss(dismissInput(finding));

      // Act
      const outcome = await service.reopen({
        finding,
        actor: BOB,
        target: TARGET,
        jobId: 'reopen:1',
        note: 'not fixed after all',
      });

      // Assess
      expect(outcome.status).toBe('reopened');
      expect(securityHub.workflow.get(finding.id)).toBe('NEW');
      expect(securityHub.calls.at(-1)?.note).toBe('Reopened in Slack by bob: not fixed after all');
    });

    it('reports failure when GuardDuty refuses to unarchive', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup();
      guardDuty.failNext('unarchive', dismissalError('DISMISS_ACCESS_DENIED', 'UnarchiveFindings'));

      // Act
      const outcome = await service.reopen({
        finding: sshBruteForceFinding(),
        actor: BOB,
        target: TARGET,
        jobId: 'reopen:1',
      });

      // Assess
      expect(outcome).toMatchObject({ status: 'failed', failed: ['unarchive'] });
      expect(audit.kinds()).toStrictEqual(['reopen.failed']);
    });
  });

  describe('Method: proposeSuppression', () => {
    it('proposes a rule on the type and instance and records the proposal', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup();
      const finding = sshBruteForceFinding();

      // Act
      const outcome = await service.proposeSuppression({
        finding,
        actor: ALICE,
        jobId: 'dismiss:1',
      });

      // Assess
      expect(outcome).toMatchObject({
        status: 'proposed',
        criteria: {
          findingType: 'UnauthorizedAccess:EC2/SSHBruteForce',
          conditions: [{ field: SUPPRESSION_FIELDS.instanceId, value: 'i-0a1b2c3d4e5f60718' }],
        },
      });
      expect(audit.kinds()).toStrictEqual(['suppression.proposed']);
      expect(guardDuty.calls).toHaveLength(0);
    });

    it('says why no rule can be proposed for a Security Hub finding', async () => {
      // Prepare
      const { audit, service } = setup();

      // Act
      const outcome = await service.proposeSuppression({
        finding: inspectorFinding(),
        actor: ALICE,
        jobId: 'dismiss:1',
      });

      // Assess
      expect(outcome).toMatchObject({
        status: 'unavailable',
        reason: expect.stringMatching(/Security Hub/),
      });
      expect(audit.entries).toHaveLength(0);
    });
  });

  describe('Method: createSuppression', () => {
    const createInput = (finding: Finding, approvers = [BOB]) => {
      const proposal = buildSuppressionCriteria(finding);
      if (!proposal.ok) throw new Error(proposal.reason);
      return {
        finding,
        criteria: proposal.criteria,
        reason: 'expected_activity' as const,
        note: 'bastion host',
        actor: BOB,
        approvers,
        target: TARGET,
        jobId: 'suppression-create:1',
      };
    };

    it('creates an ARCHIVE rule in the administrator account, named after its criteria', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup({ adminTarget: { accountId: ADMIN } });
      const finding = sshBruteForceFinding();
      const input = createInput(finding);

      // Act
      const outcome = await service.createSuppression(input);

      // Assess
      expect(outcome).toMatchObject({
        status: 'created',
        rule: { accountId: ADMIN, region: REGION, detectorId: ADMIN_DETECTOR },
      });
      const [create] = guardDuty.callsOf('create');
      expect(create?.target.accountId).toBe(ADMIN);
      expect(create?.args[1]).toMatchObject({
        name: expect.stringMatching(/^guardduty-bot-[0-9a-f]{12}$/),
        description: `Created from Slack by bob for finding ${finding.id}: Expected activity (bastion host)`,
        criteria: input.criteria,
        tags: {
          ManagedBy: 'guardduty-slack-responder',
          FindingId: finding.id,
          CreatedBy: BOB.userId,
        },
      });
      expect(audit.entries[0]).toMatchObject({
        findingId: finding.id,
        entry: {
          kind: 'suppression.created',
          result: 'ok',
          detail: { filterName: expect.stringMatching(/^guardduty-bot-/), approvers: ['bob'] },
        },
      });
    });

    it('treats a rule that already exists with the same criteria as done', async () => {
      // Prepare
      const { guardDuty, service } = setup();
      const input = createInput(sshBruteForceFinding());
      await service.createSuppression(input);

      // Act
      const outcome = await service.createSuppression({ ...input, jobId: 'suppression-create:2' });

      // Assess
      expect(outcome.status).toBe('exists');
      expect(guardDuty.filters.size).toBe(1);
    });

    it('refuses criteria that were not proposed for this finding', async () => {
      // Prepare
      const { guardDuty, service } = setup();
      const input = createInput(sshBruteForceFinding());

      // Act
      const outcome = await service.createSuppression({
        ...input,
        criteria: {
          ...input.criteria,
          conditions: [{ field: SUPPRESSION_FIELDS.instanceId, value: 'i-0fffffffffffffff0' }],
        },
      });

      // Assess
      expect(outcome).toMatchObject({
        status: 'refused',
        problem: expect.stringMatching(/proposed/),
      });
      expect(guardDuty.calls).toHaveLength(0);
    });

    it('refuses a rule on the finding type alone', async () => {
      // Prepare
      const { guardDuty, service } = setup();
      const input = createInput(sshBruteForceFinding());

      // Act
      const outcome = await service.createSuppression({
        ...input,
        criteria: { ...input.criteria, conditions: [] },
      });

      // Assess
      expect(outcome.status).toBe('refused');
      expect(guardDuty.calls).toHaveLength(0);
    });

    it('needs two distinct approvers under the two-person rule', async () => {
      // Prepare
      const { guardDuty, service } = setup({ suppressionApprovals: 2 });
      const finding = sshBruteForceFinding();

      // Act
      const refused = await service.createSuppression(createInput(finding, [BOB, BOB]));
      const created = await service.createSuppression(createInput(finding, [BOB, ALICE]));

      // Assess
      expect(refused).toStrictEqual({
        status: 'refused',
        problem: 'a suppression rule needs 2 approvers, got 1',
      });
      expect(created.status).toBe('created');
      expect(guardDuty.callsOf('create')).toHaveLength(1);
    });

    it('reports GuardDuty refusing the rule and records the failure', async () => {
      // Prepare
      const { guardDuty, audit, service } = setup();
      guardDuty.failNext('create', dismissalError('DISMISS_ACCESS_DENIED', 'CreateFilter'));

      // Act
      const outcome = await service.createSuppression(createInput(sshBruteForceFinding()));

      // Assess
      expect(outcome).toStrictEqual({
        status: 'failed',
        code: 'DISMISS_ACCESS_DENIED',
        message: 'CreateFilter failed: DISMISS_ACCESS_DENIED',
        retryable: false,
      });
      expect(audit.kinds()).toStrictEqual(['suppression.failed']);
    });

    it('scopes a credential finding to the API caller IP', async () => {
      // Prepare
      const { guardDuty, service } = setup();

      // Act
      await service.createSuppression(createInput(credentialExfiltrationFinding()));

      // Assess
      const [create] = guardDuty.callsOf('create');
      expect(create?.args[1]).toMatchObject({
        criteria: {
          conditions: [{ field: SUPPRESSION_FIELDS.apiCallRemoteIp, value: '198.51.100.23' }],
        },
      });
    });
  });

  describe('Method: deleteSuppression', () => {
    const created = async (service: DismissService) => {
      const finding = sshBruteForceFinding();
      const proposal = buildSuppressionCriteria(finding);
      if (!proposal.ok) throw new Error(proposal.reason);
      await service.createSuppression({
        finding,
        criteria: proposal.criteria,
        reason: 'false_positive',
        note: '',
        actor: BOB,
        approvers: [BOB],
        target: TARGET,
        jobId: 'create:1',
      });
      return { finding, name: proposal.name };
    };

    it("deletes a bot rule and records it in the origin finding's stream", async () => {
      // Prepare
      const { guardDuty, audit, service } = setup();
      const { finding, name } = await created(service);

      // Act
      const outcome = await service.deleteSuppression({
        filterName: name,
        actor: ALICE,
        target: TARGET,
        jobId: 'delete:1',
      });

      // Assess
      expect(outcome).toStrictEqual({ status: 'deleted', name, findingId: finding.id });
      expect(guardDuty.filters.has(name)).toBe(false);
      expect(audit.entries.at(-1)).toMatchObject({
        findingId: finding.id,
        entry: { kind: 'suppression.deleted', actor: ALICE.userId, detail: { filterName: name } },
      });
    });

    it('answers absent for a rule that is already gone', async () => {
      // Prepare
      const { service } = setup();

      // Act
      const outcome = await service.deleteSuppression({
        filterName: 'guardduty-bot-000000000000',
        actor: ALICE,
        target: TARGET,
        jobId: 'delete:1',
      });

      // Assess
      expect(outcome).toStrictEqual({ status: 'absent', name: 'guardduty-bot-000000000000' });
    });

    it('refuses to delete a filter the bot did not create', async () => {
      // Prepare
      const { guardDuty, service } = setup();
      guardDuty.filters.set('guardduty-bot-handmade', {
        detectorId: MEMBER_DETECTOR,
        name: 'guardduty-bot-handmade',
        description: 'made in the console',
        action: 'ARCHIVE',
        rawCriteria: '{}',
        tags: {},
      });

      // Act
      const outcome = await service.deleteSuppression({
        filterName: 'guardduty-bot-handmade',
        actor: ALICE,
        target: TARGET,
        jobId: 'delete:1',
      });

      // Assess
      expect(outcome.status).toBe('refused');
      expect(guardDuty.callsOf('delete')).toHaveLength(0);
    });
  });

  describe('Method: listSuppressions', () => {
    it("lists the bot's rules of the account's detector", async () => {
      // Prepare
      const { service } = setup();
      const finding = sshBruteForceFinding();
      const proposal = buildSuppressionCriteria(finding);
      if (!proposal.ok) throw new Error(proposal.reason);
      await service.createSuppression({
        finding,
        criteria: proposal.criteria,
        reason: 'false_positive',
        note: '',
        actor: BOB,
        approvers: [BOB],
        target: TARGET,
        jobId: 'create:1',
      });

      // Act
      const outcome = await service.listSuppressions(TARGET);

      // Assess
      expect(outcome).toMatchObject({
        status: 'ok',
        accountId: MEMBER,
        rules: [{ name: proposal.name, criteria: proposal.criteria }],
      });
    });

    it('reports a failure to list instead of throwing', async () => {
      // Prepare
      const { guardDuty, service } = setup();
      guardDuty.failNext('list', dismissalError('DISMISS_ACCESS_DENIED', 'ListFilters'));

      // Act
      const outcome = await service.listSuppressions(TARGET);

      // Assess
      expect(outcome).toMatchObject({ status: 'failed', code: 'DISMISS_ACCESS_DENIED' });
    });
  });
});
