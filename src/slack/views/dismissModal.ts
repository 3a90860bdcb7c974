import type {
  ActionsBlock,
  Button,
  ConfirmationDialog,
  ContextBlock,
  InputBlock,
  KnownBlock,
  ModalView,
  PlainTextOption,
  SectionBlock,
} from '@slack/types';
import {
  DISMISS_NOTE_MAX_LENGTH,
  DISMISS_REASON_LABELS,
  DISMISS_REASONS,
  type DismissReason,
  describeSuppressionCriteria,
  isDismissReason,
} from '../../domain/dismissal';
import { type Finding, resourceLabel } from '../../domain/Finding';
import type { SuppressionRule } from '../../ports/Dismissal';
import type { SlackMessage } from '../../ports/SlackGateway';
import { friendlyFindingType } from '../cards/findingCard';
import { escapeAndTruncate, escapeMrkdwn, truncate } from '../mrkdwn';

/**
 * The Dismiss modal, its submission parser, the suppression-rule confirmation message and the
 * list of the bot's suppression rules. Pure: same input, same view.
 */

/** The modal's `callback_id` (the lead's `view_submission` listener matches it). */
export const DISMISS_CALLBACK_ID = 'dismiss_submit';

/** Block ids of the modal's inputs (keys of `view.state.values` and of `response_action: errors`). */
export const DISMISS_BLOCK_IDS = {
  intro: 'dismiss_intro',
  reason: 'dismiss_reason',
  note: 'dismiss_note',
  suppress: 'dismiss_suppress',
  suppressPreview: 'dismiss_suppress_preview',
} as const;

/** Action ids of the modal's inputs. */
export const DISMISS_ACTION_IDS = {
  reason: 'dismiss_reason_select',
  note: 'dismiss_note_input',
  suppress: 'dismiss_suppress_checkbox',
} as const;

/** The value of the "Also suppress similar findings" checkbox option. */
export const SUPPRESS_OPTION_VALUE = 'suppress_similar';

/** Action ids of the suppression messages. */
export const SUPPRESSION_ACTION_IDS = {
  create: 'suppression_create',
  cancel: 'suppression_cancel',
  /**
   * Prefix of each Delete button's action id: `suppression_delete:<filter name>` (action ids must
   * be unique in a message); match with {@link SUPPRESSION_DELETE_ACTION_PATTERN}. The button's
   * value is the filter name.
   */
  delete: 'suppression_delete',
} as const;

/** Matches every Delete button of {@link renderSuppressionList} (for `app.action(pattern)`). */
export const SUPPRESSION_DELETE_ACTION_PATTERN = /^suppression_delete(:[A-Za-z0-9._-]{1,64})?$/;

/** Block ids of the suppression messages. */
export const SUPPRESSION_BLOCK_IDS = {
  confirmation: 'suppression_confirmation',
  confirmationContext: 'suppression_confirmation_context',
  confirmationActions: 'suppression_confirmation_actions',
  listHeader: 'suppression_list_header',
  listFooter: 'suppression_list_footer',
  /** Prefix: `suppression_rule:<filter name>`. */
  rule: 'suppression_rule',
} as const;

const LIMITS = {
  intro: 1000,
  preview: 1000,
  topLevelText: 300,
  sectionText: 3000,
  confirmText: 300,
  buttonValue: 2000,
  privateMetadata: 3000,
  /** At most this many rules are listed (one block each, within the 50 blocks of a message). */
  listedRules: 45,
} as const;

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

/** Input of {@link buildDismissModal}. */
export interface DismissModalInput {
  finding: Finding;
  /** @default 'dismiss_submit' */
  callbackId?: string;
  /** Opaque state for the submission listener (finding id, channel, ts…), ≤ 3000 characters. */
  privateMetadata: string;
  /** Offer "Also suppress similar findings" (GuardDuty findings the bot can scope a rule for). */
  allowSuppression: boolean;
  /** Plain-text description of the rule that would be proposed (escaped here). */
  suppressionPreview?: string;
}

/**
 * The Dismiss modal: a required reason (five options), a note (multi-line, ≤ 1000; required for
 * "Other", which {@link parseDismissSubmission} enforces) and, when allowed, the "Also suppress
 * similar findings" checkbox with the rule's description.
 *
 * @throws RangeError when `privateMetadata` exceeds Slack's 3000 characters (it must not be cut).
 */
export const buildDismissModal = (input: DismissModalInput): ModalView => {
  if (input.privateMetadata.length > LIMITS.privateMetadata) {
    throw new RangeError(
      `private_metadata is ${input.privateMetadata.length} characters, Slack allows ${LIMITS.privateMetadata}`
    );
  }
  const { finding } = input;
  const what = friendlyFindingType(finding.type, finding.resourceRole);
  const intro: SectionBlock = {
    type: 'section',
    block_id: DISMISS_BLOCK_IDS.intro,
    text: {
      type: 'mrkdwn',
      text: truncate(
        `*${escapeAndTruncate(what, 200)}*\n${escapeAndTruncate(resourceLabel(finding.resource), 200)} · ${escapeAndTruncate(
          `${finding.accountId} ${finding.region}`,
          100
        )}\nDismissing ${
          finding.source === 'securityhub'
            ? 'sets its Security Hub workflow to Suppressed'
            : 'archives the finding in GuardDuty'
        }. It can be reopened from the card.`,
        LIMITS.intro
      ),
    },
  };
  const reason: InputBlock = {
    type: 'input',
    block_id: DISMISS_BLOCK_IDS.reason,
    label: plain('Reason'),
    element: {
      type: 'static_select',
      action_id: DISMISS_ACTION_IDS.reason,
      placeholder: plain('Choose a reason'),
      options: DISMISS_REASONS.map(reasonOption),
    },
  };
  const note: InputBlock = {
    type: 'input',
    block_id: DISMISS_BLOCK_IDS.note,
    optional: true,
    label: plain('Note'),
    hint: plain('What made you decide? Required when the reason is "Other".'),
    element: {
      type: 'plain_text_input',
      action_id: DISMISS_ACTION_IDS.note,
      multiline: true,
      max_length: DISMISS_NOTE_MAX_LENGTH,
      placeholder: plain('e.g. scanner run by the platform team'),
    },
  };
  const blocks: KnownBlock[] = [intro, reason, note];
  if (input.allowSuppression) {
    blocks.push({
      type: 'input',
      block_id: DISMISS_BLOCK_IDS.suppress,
      optional: true,
      label: plain('Suppression'),
      element: {
        type: 'checkboxes',
        action_id: DISMISS_ACTION_IDS.suppress,
        options: [{ text: plain('Also suppress similar findings'), value: SUPPRESS_OPTION_VALUE }],
      },
    });
    const preview =
      input.suppressionPreview === undefined
        ? ''
        : `*Proposed rule:* ${escapeAndTruncate(input.suppressionPreview, LIMITS.preview)}\n`;
    const context: ContextBlock = {
      type: 'context',
      block_id: DISMISS_BLOCK_IDS.suppressPreview,
      elements: [
        {
          type: 'mrkdwn',
          text: `${preview}A suppression rule archives matching findings for everyone. It is shown for confirmation and needs approval before it is created.`,
        },
      ],
    };
    blocks.push(context);
  }
  return {
    type: 'modal',
    callback_id: input.callbackId ?? DISMISS_CALLBACK_ID,
    private_metadata: input.privateMetadata,
    title: plain('Dismiss finding'),
    submit: plain('Dismiss'),
    close: plain('Cancel'),
    blocks,
  };
};

const reasonOption = (reason: DismissReason): PlainTextOption => ({
  text: plain(DISMISS_REASON_LABELS[reason]),
  value: reason,
});

/** One input's state in `view.state.values` (Bolt's `ViewStateValue` fits). */
export interface DismissStateValue {
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: { value: string }[];
}

/** `view.state.values`: block id → action id → state. */
export type DismissStateValues = Record<string, Record<string, DismissStateValue>>;

/** The result of {@link parseDismissSubmission}. */
export type DismissSubmission =
  | { ok: true; reason: DismissReason; note: string; suppress: boolean }
  | { ok: false; errors: Record<string, string> };

/**
 * Reads a Dismiss modal submission. A reason is required; the note is required for "Other" and at
 * most 1000 characters (it is trimmed). Errors are keyed by block id, ready for
 * `ack({ response_action: 'errors', errors })`.
 */
export const parseDismissSubmission = (values: DismissStateValues): DismissSubmission => {
  const errors: Record<string, string> = {};
  const reason =
    values[DISMISS_BLOCK_IDS.reason]?.[DISMISS_ACTION_IDS.reason]?.selected_option?.value;
  const note = (values[DISMISS_BLOCK_IDS.note]?.[DISMISS_ACTION_IDS.note]?.value ?? '').trim();
  const suppress = (
    values[DISMISS_BLOCK_IDS.suppress]?.[DISMISS_ACTION_IDS.suppress]?.selected_options ?? []
  ).some((option) => option.value === SUPPRESS_OPTION_VALUE);
  if (!isDismissReason(reason)) errors[DISMISS_BLOCK_IDS.reason] = 'Choose a reason.';
  if (note.length > DISMISS_NOTE_MAX_LENGTH) {
    errors[DISMISS_BLOCK_IDS.note] =
      `Keep the note under ${DISMISS_NOTE_MAX_LENGTH} characters (it has ${note.length}).`;
  } else if (reason === 'other' && note === '') {
    errors[DISMISS_BLOCK_IDS.note] = 'Say why: a note is required when the reason is "Other".';
  }
  if (!isDismissReason(reason) || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, reason, note, suppress };
};

/** Input of {@link buildSuppressionConfirmation}. */
export interface SuppressionConfirmationInput {
  finding: Finding;
  /** The rule's name (`guardduty-bot-…`). */
  ruleName: string;
  /** Plain-text description of the rule (escaped here). */
  description: string;
  /** Slack user id of whoever asked for the rule. */
  requestedBy: string;
  /** Distinct approvers needed (2 under the two-person rule). */
  approvalsRequired: number;
  /** Opaque button value for both buttons (e.g. the pending request's id), ≤ 2000 characters. */
  value: string;
}

/**
 * The message that shows a proposed suppression rule for confirmation, with Create (confirm
 * dialog) and Cancel buttons. Nothing is created until an approver presses Create.
 *
 * @throws RangeError when `value` exceeds Slack's 2000 characters.
 */
export const buildSuppressionConfirmation = (input: SuppressionConfirmationInput): SlackMessage => {
  if (input.value.length > LIMITS.buttonValue) {
    throw new RangeError(`button value is ${input.value.length} characters, Slack allows 2000`);
  }
  const approvals =
    input.approvalsRequired > 1
      ? `${input.approvalsRequired} different approvers must confirm`
      : 'an approver must confirm';
  const description = escapeAndTruncate(input.description, 1500);
  const section: SectionBlock = {
    type: 'section',
    block_id: SUPPRESSION_BLOCK_IDS.confirmation,
    text: {
      type: 'mrkdwn',
      text: truncate(
        `:mute: *Suppression rule proposed* by <@${escapeMrkdwn(input.requestedBy)}>\n${description}\nRule \`${escapeAndTruncate(
          input.ruleName,
          64
        )}\` (GuardDuty filter, action ARCHIVE) in account ${escapeAndTruncate(input.finding.accountId, 20)}, ${escapeAndTruncate(
          input.finding.region,
          30
        )}.`,
        LIMITS.sectionText
      ),
    },
  };
  const context: ContextBlock = {
    type: 'context',
    block_id: SUPPRESSION_BLOCK_IDS.confirmationContext,
    elements: [
      {
        type: 'mrkdwn',
        text: `Matching findings will be archived automatically for everyone and no longer reach Security Hub or this channel. Before it is created ${approvals}.`,
      },
    ],
  };
  const create: Button = {
    type: 'button',
    action_id: SUPPRESSION_ACTION_IDS.create,
    text: plain('Create rule'),
    style: 'danger',
    value: input.value,
    confirm: confirmDialog(
      'Create suppression rule?',
      `New findings matching the rule are archived for everyone: ${input.description}`,
      'Create'
    ),
  };
  const cancel: Button = {
    type: 'button',
    action_id: SUPPRESSION_ACTION_IDS.cancel,
    text: plain('Cancel'),
    value: input.value,
  };
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: SUPPRESSION_BLOCK_IDS.confirmationActions,
    elements: [create, cancel],
  };
  return {
    text: truncate(`Suppression rule proposed: ${input.description}`, LIMITS.topLevelText),
    blocks: [section, context, actions],
  };
};

/** Options of {@link renderSuppressionList}. */
export interface SuppressionListOptions {
  /** Shown in the header line, e.g. `123456789012 us-west-2`. */
  scope?: string;
}

/**
 * The bot's suppression rules, one section each with a Delete button (confirm dialog; action id
 * `suppression_delete:<name>`, value = the filter name). At most 45 are listed; the rest are
 * counted. Descriptions come from GuardDuty and are escaped.
 */
export const renderSuppressionList = (
  rules: readonly SuppressionRule[],
  options: SuppressionListOptions = {}
): SlackMessage => {
  const where = options.scope === undefined ? '' : ` in ${escapeAndTruncate(options.scope, 100)}`;
  if (rules.length === 0) {
    const text = `No suppression rules created by the bot${where}.`;
    return {
      text,
      blocks: [
        {
          type: 'section',
          block_id: SUPPRESSION_BLOCK_IDS.listHeader,
          text: { type: 'mrkdwn', text },
        },
      ],
    };
  }
  const listed = rules.slice(0, LIMITS.listedRules);
  const header: SectionBlock = {
    type: 'section',
    block_id: SUPPRESSION_BLOCK_IDS.listHeader,
    text: {
      type: 'mrkdwn',
      text: `:mute: *${rules.length} suppression rule${rules.length === 1 ? '' : 's'} created by the bot*${where}. Matching findings are archived automatically for everyone.`,
    },
  };
  const blocks: KnownBlock[] = [header, ...listed.map(ruleBlock)];
  if (rules.length > listed.length) {
    blocks.push({
      type: 'context',
      block_id: SUPPRESSION_BLOCK_IDS.listFooter,
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${rules.length - listed.length} more: see Suppression rules in the GuardDuty console.`,
        },
      ],
    });
  }
  return {
    text: `${rules.length} suppression rule${rules.length === 1 ? '' : 's'} created by the bot`,
    blocks,
  };
};

const ruleBlock = (rule: SuppressionRule): SectionBlock => {
  const what =
    rule.criteria === undefined
      ? `Criteria changed outside the bot: ${rule.rawCriteria}`
      : describeSuppressionCriteria(rule.criteria);
  const action = rule.action === 'ARCHIVE' ? '' : ` (action ${rule.action}: not suppressing)`;
  const name = rule.name.slice(0, 64);
  return {
    type: 'section',
    block_id: `${SUPPRESSION_BLOCK_IDS.rule}:${name}`,
    text: {
      type: 'mrkdwn',
      text: truncate(
        `*${escapeAndTruncate(what, 1200)}*${escapeMrkdwn(action)}\n\`${escapeMrkdwn(name)}\` · ${escapeAndTruncate(
          rule.description,
          600
        )}`,
        LIMITS.sectionText
      ),
    },
    accessory: {
      type: 'button',
      action_id: `${SUPPRESSION_ACTION_IDS.delete}:${name}`,
      text: plain('Delete'),
      style: 'danger',
      value: name,
      confirm: confirmDialog(
        'Delete suppression rule?',
        `GuardDuty stops archiving findings that match ${name}; new ones will reach the channel again.`,
        'Delete'
      ),
    },
  };
};

const confirmDialog = (title: string, text: string, confirm: string): ConfirmationDialog => ({
  title: plain(title),
  text: plain(truncate(text, LIMITS.confirmText)),
  confirm: plain(confirm),
  deny: plain('Cancel'),
  style: 'danger',
});
