import type { InputBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { SuppressionRule } from '../../../../src/ports/Dismissal';
import {
  buildDismissModal,
  buildSuppressionConfirmation,
  DISMISS_ACTION_IDS,
  DISMISS_BLOCK_IDS,
  type DismissStateValues,
  parseDismissSubmission,
  renderSuppressionList,
  SUPPRESS_OPTION_VALUE,
  SUPPRESSION_ACTION_IDS,
  SUPPRESSION_DELETE_ACTION_PATTERN,
} from '../../../../src/slack/views/dismissModal';
import { findBlockKitViolations, findViewViolations } from '../../../support/blockKitLimits';
import { HOSTILE, HUGE, sshBruteForceFinding } from '../cards/findings';

const values = (input: {
  reason?: string;
  note?: string | null;
  suppress?: boolean;
}): DismissStateValues => ({
  [DISMISS_BLOCK_IDS.reason]: {
    [DISMISS_ACTION_IDS.reason]: {
      selected_option: input.reason === undefined ? null : { value: input.reason },
    },
  },
  [DISMISS_BLOCK_IDS.note]: { [DISMISS_ACTION_IDS.note]: { value: input.note ?? null } },
  [DISMISS_BLOCK_IDS.suppress]: {
    [DISMISS_ACTION_IDS.suppress]: {
      selected_options: input.suppress ? [{ value: SUPPRESS_OPTION_VALUE }] : [],
    },
  },
});

const rule = (name: string, overrides: Partial<SuppressionRule> = {}): SuppressionRule => ({
  name,
  description: 'Created from Slack by alice for finding f1: False positive',
  action: 'ARCHIVE',
  criteria: {
    findingType: 'UnauthorizedAccess:EC2/SSHBruteForce',
    conditions: [{ field: 'resource.instanceDetails.instanceId', value: 'i-0a1b2c3d4e5f60718' }],
  },
  rawCriteria: '{}',
  tags: {},
  ...overrides,
});

const textOf = (block: unknown): string => JSON.stringify(block);

describe('Function: buildDismissModal', () => {
  it('asks for one of the five reasons and a note of at most 1000 characters', () => {
    // Act
    const view = buildDismissModal({
      finding: sshBruteForceFinding(),
      callbackId: 'dismiss_submit',
      privateMetadata: '{"findingId":"f1"}',
      allowSuppression: false,
    });

    // Assess
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'dismiss_submit',
      private_metadata: '{"findingId":"f1"}',
    });
    const reason = view.blocks.find(
      (block) => block.block_id === DISMISS_BLOCK_IDS.reason
    ) as InputBlock;
    expect(reason.element).toMatchObject({
      type: 'static_select',
      action_id: DISMISS_ACTION_IDS.reason,
    });
    const options = (reason.element as { options: { value: string }[] }).options;
    expect(options.map((option) => option.value)).toStrictEqual([
      'false_positive',
      'expected_activity',
      'duplicate',
      'accepted_risk',
      'other',
    ]);
    const note = view.blocks.find(
      (block) => block.block_id === DISMISS_BLOCK_IDS.note
    ) as InputBlock;
    expect(note.element).toMatchObject({
      type: 'plain_text_input',
      multiline: true,
      max_length: 1000,
    });
    expect(view.blocks.some((block) => block.block_id === DISMISS_BLOCK_IDS.suppress)).toBe(false);
    expect(findViewViolations(view)).toStrictEqual([]);
  });

  it('offers "also suppress similar findings" with the proposed rule, escaped', () => {
    // Act
    const view = buildDismissModal({
      finding: sshBruteForceFinding(),
      privateMetadata: 'm',
      allowSuppression: true,
      suppressionPreview: `Automatically archive ${HOSTILE}`,
    });

    // Assess
    const checkbox = view.blocks.find(
      (block) => block.block_id === DISMISS_BLOCK_IDS.suppress
    ) as InputBlock;
    expect(checkbox).toMatchObject({
      optional: true,
      element: {
        type: 'checkboxes',
        action_id: DISMISS_ACTION_IDS.suppress,
        options: [
          { value: SUPPRESS_OPTION_VALUE, text: { text: 'Also suppress similar findings' } },
        ],
      },
    });
    const preview = textOf(
      view.blocks.find((block) => block.block_id === DISMISS_BLOCK_IDS.suppressPreview)
    );
    expect(preview).toContain('&lt;!channel&gt;');
    expect(preview).not.toContain('<!channel>');
    expect(findViewViolations(view)).toStrictEqual([]);
  });

  it('stays within Block Kit limits with hostile and huge finding text', () => {
    // Prepare
    const finding = sshBruteForceFinding();
    finding.type = HOSTILE;
    finding.resource = { kind: 'Other', resourceType: HUGE, details: [] };

    // Act
    const view = buildDismissModal({
      finding,
      privateMetadata: 'x'.repeat(3000),
      allowSuppression: true,
      suppressionPreview: HUGE,
    });

    // Assess
    expect(findViewViolations(view)).toStrictEqual([]);
    const intro = view.blocks[0] as SectionBlock;
    expect(intro.text?.text).not.toContain('<@U123>');
  });

  it('refuses private metadata Slack would reject', () => {
    // Assess
    expect(() =>
      buildDismissModal({
        finding: sshBruteForceFinding(),
        privateMetadata: 'x'.repeat(3001),
        allowSuppression: false,
      })
    ).toThrow(RangeError);
  });
});

describe('Function: parseDismissSubmission', () => {
  it('accepts a reason with a note and the suppression choice', () => {
    // Act
    const parsed = parseDismissSubmission(
      values({ reason: 'false_positive', note: '  scanner  ', suppress: true })
    );

    // Assess
    expect(parsed).toStrictEqual({
      ok: true,
      reason: 'false_positive',
      note: 'scanner',
      suppress: true,
    });
  });

  it('accepts a reason without a note or a suppression block', () => {
    // Prepare
    const state = values({ reason: 'duplicate' });
    delete state[DISMISS_BLOCK_IDS.suppress];

    // Act
    const parsed = parseDismissSubmission(state);

    // Assess
    expect(parsed).toStrictEqual({ ok: true, reason: 'duplicate', note: '', suppress: false });
  });

  it('requires a reason', () => {
    // Act
    const parsed = parseDismissSubmission(values({ note: 'why not' }));

    // Assess
    expect(parsed).toStrictEqual({
      ok: false,
      errors: { [DISMISS_BLOCK_IDS.reason]: 'Choose a reason.' },
    });
  });

  it('refuses a reason that is not offered', () => {
    // Act
    const parsed = parseDismissSubmission(values({ reason: 'because' }));

    // Assess
    expect(parsed.ok).toBe(false);
  });

  it('requires a note when the reason is Other', () => {
    // Act
    const parsed = parseDismissSubmission(values({ reason: 'other', note: '   ' }));

    // Assess
    expect(parsed).toStrictEqual({
      ok: false,
      errors: {
        [DISMISS_BLOCK_IDS.note]: 'Say why: a note is required when the reason is "Other".',
      },
    });
  });

  it('refuses a note over 1000 characters', () => {
    // Act
    const parsed = parseDismissSubmission(values({ reason: 'duplicate', note: 'n'.repeat(1001) }));

    // Assess
    expect(parsed).toMatchObject({
      ok: false,
      errors: { [DISMISS_BLOCK_IDS.note]: expect.stringMatching(/1000/) },
    });
  });
});

describe('Function: buildSuppressionConfirmation', () => {
  it('shows the rule with Create and Cancel buttons carrying the request value', () => {
    // Act
    const message = buildSuppressionConfirmation({
      finding: sshBruteForceFinding(),
      ruleName: 'guardduty-bot-0123456789ab',
      description:
        'Automatically archive new UnauthorizedAccess:EC2/SSHBruteForce findings on instance i-0a1b2c3d4e5f60718.',
      requestedBy: 'U0ALICE',
      approvalsRequired: 2,
      value: 'pending:42',
    });

    // Assess
    const json = textOf(message.blocks);
    expect(json).toContain('<@U0ALICE>');
    expect(json).toContain('2 different approvers must confirm');
    const actions = message.blocks.at(-1) as {
      elements: { action_id: string; value: string; confirm?: unknown }[];
    };
    expect(actions.elements.map((element) => [element.action_id, element.value])).toStrictEqual([
      [SUPPRESSION_ACTION_IDS.create, 'pending:42'],
      [SUPPRESSION_ACTION_IDS.cancel, 'pending:42'],
    ]);
    expect(actions.elements[0]?.confirm).toBeDefined();
    expect(message.text).toMatch(/^Suppression rule proposed/);
    expect(findBlockKitViolations(message)).toStrictEqual([]);
  });

  it('escapes a hostile description and stays within limits', () => {
    // Act
    const message = buildSuppressionConfirmation({
      finding: sshBruteForceFinding(),
      ruleName: 'guardduty-bot-0123456789ab',
      description: `${HOSTILE} ${HUGE}`,
      requestedBy: 'U0ALICE',
      approvalsRequired: 1,
      value: 'pending:42',
    });

    // Assess
    expect(textOf(message.blocks[0])).not.toContain('<!channel>');
    expect(findBlockKitViolations(message)).toStrictEqual([]);
  });
});

describe('Function: renderSuppressionList', () => {
  it('lists each rule with a Delete button that confirms and carries the filter name', () => {
    // Act
    const message = renderSuppressionList([rule('guardduty-bot-aaa'), rule('guardduty-bot-bbb')], {
      scope: '210987654321 us-west-2',
    });

    // Assess
    expect(message.text).toBe('2 suppression rules created by the bot');
    const buttons = message.blocks
      .map(
        (block) =>
          (block as SectionBlock).accessory as
            | { action_id: string; value: string; confirm?: unknown }
            | undefined
      )
      .filter((button) => button !== undefined);
    expect(buttons.map((button) => button.value)).toStrictEqual([
      'guardduty-bot-aaa',
      'guardduty-bot-bbb',
    ]);
    for (const button of buttons) {
      expect(button.action_id).toMatch(SUPPRESSION_DELETE_ACTION_PATTERN);
      expect(button.confirm).toBeDefined();
    }
    expect(textOf(message.blocks[1])).toContain('on instance i-0a1b2c3d4e5f60718');
    expect(findBlockKitViolations(message)).toStrictEqual([]);
  });

  it('shows criteria edited outside the bot as they are, escaped', () => {
    // Act
    const message = renderSuppressionList([
      rule('guardduty-bot-ccc', {
        criteria: undefined,
        rawCriteria: `{"x":"${HOSTILE}"}`,
        description: HOSTILE,
      }),
    ]);

    // Assess
    const json = textOf(message.blocks[1]);
    expect(json).toContain('Criteria changed outside the bot');
    expect(json).not.toContain('<!channel>');
  });

  it('says when there are no rules', () => {
    // Act
    const message = renderSuppressionList([]);

    // Assess
    expect(message.text).toBe('No suppression rules created by the bot.');
    expect(findBlockKitViolations(message)).toStrictEqual([]);
  });

  it('stays within 50 blocks for a full detector', () => {
    // Prepare
    const rules = Array.from({ length: 100 }, (_, index) =>
      rule(`guardduty-bot-${String(index).padStart(3, '0')}`)
    );

    // Act
    const message = renderSuppressionList(rules);

    // Assess
    expect(findBlockKitViolations(message)).toStrictEqual([]);
    expect(textOf(message.blocks.at(-1))).toContain('55 more');
  });
});
