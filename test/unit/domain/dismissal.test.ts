import { describe, expect, it } from 'vitest';
import {
  buildSuppressionCriteria,
  DISMISS_REASON_LABELS,
  DISMISS_REASONS,
  describeSuppressionCriteria,
  dismissReasonLabel,
  isBotSuppressionRule,
  isDismissReason,
  isSuppressionCriteriaFor,
  SUPPRESSION_FIELDS,
  type SuppressionCriteria,
  suppressionCriteriaFromEquals,
  suppressionCriteriaProblem,
  suppressionCriteriaToEquals,
  suppressionRuleDescription,
  suppressionRuleName,
} from '../../../src/domain/dismissal';
import type { Finding } from '../../../src/domain/Finding';
import {
  credentialExfiltrationFinding,
  eksFinding,
  s3Finding,
  sshBruteForceFinding,
} from '../slack/cards/findings';

const SSH_TYPE = 'UnauthorizedAccess:EC2/SSHBruteForce';
const INSTANCE = 'i-0a1b2c3d4e5f60718';

const accepted = (finding: Finding, scope?: Parameters<typeof buildSuppressionCriteria>[1]) => {
  const proposal = buildSuppressionCriteria(finding, scope);
  if (!proposal.ok) throw new Error(`expected a proposal, got: ${proposal.reason}`);
  return proposal;
};

describe('Dismiss reasons', () => {
  it('offers the five reasons in order, each with a short label', () => {
    // Assess
    expect(DISMISS_REASONS).toStrictEqual([
      'false_positive',
      'expected_activity',
      'duplicate',
      'accepted_risk',
      'other',
    ]);
    for (const reason of DISMISS_REASONS) {
      expect(DISMISS_REASON_LABELS[reason].length).toBeLessThanOrEqual(75);
    }
  });

  it('recognizes reasons and labels unknown ones as they are', () => {
    // Assess
    expect(isDismissReason('duplicate')).toBe(true);
    expect(isDismissReason('because')).toBe(false);
    expect(isDismissReason(undefined)).toBe(false);
    expect(dismissReasonLabel('false_positive')).toBe('False positive');
    expect(dismissReasonLabel('legacy')).toBe('legacy');
  });
});

describe('Function: buildSuppressionCriteria', () => {
  it('scopes an instance finding to its type and instance', () => {
    // Act
    const proposal = accepted(sshBruteForceFinding());

    // Assess
    expect(proposal.criteria).toStrictEqual({
      findingType: SSH_TYPE,
      conditions: [{ field: 'resource.instanceDetails.instanceId', value: INSTANCE }],
    });
    expect(proposal.name).toMatch(/^guardduty-bot-[0-9a-f]{12}$/);
    expect(proposal.description).toBe(
      `Automatically archive new ${SSH_TYPE} findings on instance ${INSTANCE}.`
    );
  });

  it('scopes to the remote IP of a network connection when asked for the actor', () => {
    // Act
    const proposal = accepted(sshBruteForceFinding(), 'actor');

    // Assess
    expect(proposal.criteria.conditions).toStrictEqual([
      {
        field: 'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4',
        value: '203.0.113.45',
      },
    ]);
  });

  it('narrows to both resource and actor when asked', () => {
    // Act
    const proposal = accepted(sshBruteForceFinding(), 'resource-and-actor');

    // Assess
    expect(proposal.criteria.conditions.map((condition) => condition.field)).toStrictEqual([
      SUPPRESSION_FIELDS.instanceId,
      SUPPRESSION_FIELDS.networkRemoteIp,
    ]);
    expect(proposal.description).toContain('and with network connections to or from 203.0.113.45');
  });

  it('scopes credential exfiltration to the API caller IP, not the rotating session key', () => {
    // Act
    const proposal = accepted(credentialExfiltrationFinding());

    // Assess
    expect(proposal.criteria.conditions).toStrictEqual([
      {
        field: 'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4',
        value: '198.51.100.23',
      },
    ]);
  });

  it("uses the session's instance, not an ASIA key, as the resource of role credentials", () => {
    // Act
    const proposal = accepted(credentialExfiltrationFinding(), 'resource');

    // Assess
    expect(proposal.criteria.conditions).toStrictEqual([
      { field: SUPPRESSION_FIELDS.instanceId, value: 'i-0c3d4e5f607182930' },
    ]);
  });

  it('uses a long-term access key id as the resource of IAM user findings', () => {
    // Prepare
    const finding = credentialExfiltrationFinding();
    finding.resource = {
      kind: 'AccessKey',
      accessKeyId: 'AKIAEXAMPLEUSERKEY01',
      userType: 'IAMUser',
    };

    // Act
    const proposal = accepted(finding, 'resource');

    // Assess
    expect(proposal.criteria.conditions).toStrictEqual([
      { field: SUPPRESSION_FIELDS.accessKeyId, value: 'AKIAEXAMPLEUSERKEY01' },
    ]);
  });

  it('never proposes a rule on the type alone', () => {
    // Prepare
    const finding = s3Finding();
    finding.actor = undefined;

    // Act
    const proposal = buildSuppressionCriteria(finding);

    // Assess
    expect(proposal).toStrictEqual({
      ok: false,
      reason: 'the finding names no instance, long-term access key or actor IP to narrow the rule',
    });
  });

  it('refuses Security Hub findings, sample findings and odd types', () => {
    // Prepare
    const fromHub: Finding = { ...sshBruteForceFinding(), source: 'securityhub' };
    const sample: Finding = { ...sshBruteForceFinding(), sample: true };
    const odd: Finding = { ...sshBruteForceFinding(), type: 'not a type' };

    // Assess
    expect(buildSuppressionCriteria(fromHub)).toMatchObject({ ok: false });
    expect(buildSuppressionCriteria(sample)).toMatchObject({ ok: false });
    expect(buildSuppressionCriteria(odd)).toMatchObject({ ok: false });
  });

  it('refuses an actor IP that is not an IPv4 address', () => {
    // Prepare
    const finding = eksFinding();
    finding.actor = { actionType: 'AWS_API_CALL', ip: '203.0.113.999' };

    // Act
    const proposal = buildSuppressionCriteria(finding, 'actor');

    // Assess
    expect(proposal.ok).toBe(false);
  });

  it('names the same criteria the same way whatever the order of conditions', () => {
    // Prepare
    const criteria = accepted(sshBruteForceFinding(), 'resource-and-actor').criteria;
    const reversed: SuppressionCriteria = {
      ...criteria,
      conditions: [...criteria.conditions].reverse(),
    };

    // Assess
    expect(suppressionRuleName(reversed)).toBe(suppressionRuleName(criteria));
    expect(suppressionRuleName(accepted(sshBruteForceFinding()).criteria)).not.toBe(
      suppressionRuleName(criteria)
    );
  });
});

describe('Function: suppressionCriteriaProblem', () => {
  it('accepts a type and one narrowing condition', () => {
    // Assess
    expect(
      suppressionCriteriaProblem({
        findingType: SSH_TYPE,
        conditions: [{ field: SUPPRESSION_FIELDS.instanceId, value: INSTANCE }],
      })
    ).toBeUndefined();
  });

  it('rejects no conditions, duplicate fields and malformed values', () => {
    // Assess
    expect(suppressionCriteriaProblem({ findingType: SSH_TYPE, conditions: [] })).toMatch(/alone/);
    expect(
      suppressionCriteriaProblem({
        findingType: SSH_TYPE,
        conditions: [
          { field: SUPPRESSION_FIELDS.instanceId, value: INSTANCE },
          { field: SUPPRESSION_FIELDS.instanceId, value: 'i-0fffffffffffffff0' },
        ],
      })
    ).toMatch(/twice/);
    expect(
      suppressionCriteriaProblem({
        findingType: SSH_TYPE,
        conditions: [{ field: SUPPRESSION_FIELDS.instanceId, value: '*' }],
      })
    ).toMatch(/malformed/);
  });
});

describe('Function: isSuppressionCriteriaFor', () => {
  it('accepts only criteria the builder proposes for that finding', () => {
    // Prepare
    const finding = sshBruteForceFinding();
    const criteria = accepted(finding, 'actor').criteria;

    // Assess
    expect(isSuppressionCriteriaFor(finding, criteria)).toBe(true);
    expect(isSuppressionCriteriaFor(credentialExfiltrationFinding(), criteria)).toBe(false);
  });
});

describe('Function: suppressionCriteriaToEquals', () => {
  it('writes the type and each condition as Equals values and reads them back', () => {
    // Prepare
    const criteria = accepted(sshBruteForceFinding(), 'resource-and-actor').criteria;

    // Act
    const equals = suppressionCriteriaToEquals(criteria);

    // Assess
    expect(equals).toStrictEqual({
      type: [SSH_TYPE],
      'resource.instanceDetails.instanceId': [INSTANCE],
      'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4': ['203.0.113.45'],
    });
    expect(suppressionCriteriaFromEquals(equals)).toStrictEqual(criteria);
  });

  it('does not read back criteria edited beyond what the bot writes', () => {
    // Assess
    expect(suppressionCriteriaFromEquals({ type: [SSH_TYPE] })).toBeUndefined();
    expect(
      suppressionCriteriaFromEquals({
        type: [SSH_TYPE],
        'resource.instanceDetails.imageId': ['ami-1'],
      })
    ).toBeUndefined();
    expect(
      suppressionCriteriaFromEquals({
        type: [SSH_TYPE, 'Recon:EC2/Portscan'],
        'resource.instanceDetails.instanceId': [INSTANCE],
      })
    ).toBeUndefined();
  });
});

describe('Function: suppressionRuleDescription', () => {
  it('starts with the marker, names user, finding and reason, and fits GuardDuty', () => {
    // Act
    const description = suppressionRuleDescription({
      userName: 'alice',
      findingId: 'abc',
      reason: 'expected_activity',
      note: 'bastion\nhost',
    });
    const long = suppressionRuleDescription({
      userName: 'alice',
      findingId: 'abc',
      reason: 'other',
      note: 'x'.repeat(2000),
    });

    // Assess
    expect(description).toBe(
      'Created from Slack by alice for finding abc: Expected activity (bastion host)'
    );
    expect(long).toHaveLength(512);
    expect(isBotSuppressionRule({ name: 'guardduty-bot-0123456789ab', description })).toBe(true);
  });

  it('recognizes only rules with both the name prefix and the description marker', () => {
    // Assess
    expect(isBotSuppressionRule({ name: 'guardduty-bot-x', description: 'hand made' })).toBe(false);
    expect(
      isBotSuppressionRule({ name: 'bastion', description: 'Created from Slack by alice' })
    ).toBe(false);
  });
});

describe('Function: describeSuppressionCriteria', () => {
  it('describes API-call and access-key conditions in words', () => {
    // Assess
    expect(
      describeSuppressionCriteria({
        findingType: 'Recon:IAMUser/MaliciousIPCaller.Custom',
        conditions: [
          { field: SUPPRESSION_FIELDS.apiCallRemoteIp, value: '198.51.100.7' },
          { field: SUPPRESSION_FIELDS.accessKeyId, value: 'AKIAEXAMPLEUSERKEY01' },
        ],
      })
    ).toBe(
      'Automatically archive new Recon:IAMUser/MaliciousIPCaller.Custom findings for access key AKIAEXAMPLEUSERKEY01 and with API calls from 198.51.100.7.'
    );
  });
});
