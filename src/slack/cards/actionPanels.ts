import type { Button, PlainTextElement } from '@slack/types';
import { DISMISSAL, INVESTIGATION, ISOLATION } from '../../domain/actions';
import type { ActionState, FindingRecord, SlackActor } from '../../ports/FindingStore';
import { dateToken, escapeAndTruncate } from '../mrkdwn';
import type { CardAction } from './findingCard';

/** What a finding's action states add to its card. */
export interface CardPanel {
  /** Standard buttons still offered (Isolate, Investigate, Dismiss), before applicability. */
  actions: CardAction[];
  /** Status lines (our own mrkdwn; anything user- or finding-sourced is escaped). */
  status: string[];
  /** State buttons (Approve, Release, Retry, Force release, Reopen, Report). */
  buttons: Button[];
}

const plain = (text: string): PlainTextElement => ({ type: 'plain_text', text, emoji: true });

/** A mention of a Slack user recorded by the bot; anything that is not a user id is shown escaped. */
export const mention = (actor: SlackActor | undefined): string => {
  if (!actor) return 'someone';
  return /^[UW][A-Z0-9]{2,20}$/.test(actor.userId)
    ? `<@${actor.userId}>`
    : escapeAndTruncate(actor.userName, 40);
};

const button = (
  actionId: string,
  text: string,
  findingId: string,
  options: {
    style?: 'primary' | 'danger';
    confirm?: { title: string; text: string; go: string };
  } = {}
): Button => ({
  type: 'button',
  action_id: actionId,
  text: plain(text),
  value: findingId,
  ...(options.style === undefined ? {} : { style: options.style }),
  ...(options.confirm === undefined
    ? {}
    : {
        confirm: {
          title: plain(options.confirm.title),
          text: plain(options.confirm.text),
          confirm: plain(options.confirm.go),
          deny: plain('Cancel'),
          ...(options.style === 'danger' ? { style: 'danger' as const } : {}),
        },
      }),
});

const at = (state: ActionState): string => dateToken(state.at, '{time}');
const reason = (state: ActionState): string =>
  typeof state.reason === 'string' ? `: ${escapeAndTruncate(state.reason, 200)}` : '';

const releaseButton = (findingId: string): Button =>
  button('release', 'Release', findingId, {
    confirm: {
      title: 'Release the instance?',
      text: 'Its recorded security groups are restored: a possibly compromised host gets its network back.',
      go: 'Release',
    },
  });

const isolationPanel = (record: FindingRecord): CardPanel => {
  const id = record.finding.id;
  const state = record.actions[ISOLATION];
  if (state === undefined) return { actions: ['isolate'], status: [], buttons: [] };
  const who = mention(state.by);
  switch (state.status) {
    case 'awaiting-approval':
      return {
        actions: [],
        status: [
          `⏳ Isolation requested by ${who}: needs a second approver${typeof state.expiresAt === 'string' ? ` before ${dateToken(state.expiresAt, '{time}')}` : ''}`,
        ],
        buttons: [
          button('approve', 'Approve', id, {
            style: 'primary',
            confirm: {
              title: 'Approve the isolation?',
              text: 'All network traffic of the instance will be cut. Its security groups are kept for Release.',
              go: 'Approve',
            },
          }),
        ],
      };
    case 'requested':
      return { actions: [], status: [`⏳ Isolation requested by ${who}`], buttons: [] };
    case 'in-progress':
      return { actions: [], status: [`⏳ Isolating, requested by ${who}`], buttons: [] };
    case 'isolated':
      return {
        actions: [],
        status: [`🔒 Isolated by ${who} at ${at(state)}`],
        buttons: [releaseButton(id)],
      };
    case 'partial':
      return {
        actions: [],
        status: [`⚠️ Isolation by ${who} only partly done${reason(state)} (details in thread)`],
        buttons: [button('retry', 'Retry', id, { style: 'primary' }), releaseButton(id)],
      };
    case 'failed':
      return {
        actions: [],
        status: [`❌ Isolation requested by ${who} failed${reason(state)}`],
        buttons: [button('retry', 'Retry', id, { style: 'primary' })],
      };
    case 'release-requested':
    case 'releasing':
      return { actions: [], status: [`⏳ Releasing, requested by ${who}`], buttons: [] };
    case 'drift':
      return {
        actions: [],
        status: [
          `⚠️ Release by ${who} stopped: the instance changed since isolation (details in thread)`,
        ],
        buttons: [
          button('release_force', 'Force release', id, {
            style: 'danger',
            confirm: {
              title: 'Force the release?',
              text: 'The recorded security groups are restored even though the instance changed since isolation.',
              go: 'Force release',
            },
          }),
        ],
      };
    case 'release-partial':
    case 'release-failed':
      return {
        actions: [],
        status: [`⚠️ Release requested by ${who} did not complete${reason(state)}`],
        buttons: [releaseButton(id)],
      };
    case 'released':
      return {
        actions: ['isolate'],
        status: [`🔓 Released by ${who} at ${at(state)}`],
        buttons: [],
      };
    case 'planned':
      return {
        actions: ['isolate'],
        status: [`📝 Dry run by ${who}: the plan is in the thread, nothing was changed`],
        buttons: [],
      };
    default:
      return {
        actions: ['isolate'],
        status: [`Isolation ${escapeAndTruncate(state.status, 30)} (${who})${reason(state)}`],
        buttons: [],
      };
  }
};

const investigationPanel = (record: FindingRecord): CardPanel => {
  const state = record.actions[INVESTIGATION];
  const who = mention(state?.by);
  switch (state?.status) {
    case 'requested':
    case 'running':
      return { actions: [], status: [`🔎 Investigating for ${who}…`], buttons: [] };
    case 'done':
      return {
        actions: ['investigate'],
        status: [`🔎 Investigated for ${who} at ${at(state)} (results in thread)`],
        buttons: [],
      };
    case 'failed':
      return {
        actions: ['investigate'],
        status: [`🔎 Investigation for ${who} failed${reason(state)}`],
        buttons: [],
      };
    default:
      return { actions: ['investigate'], status: [], buttons: [] };
  }
};

const dismissalPanel = (record: FindingRecord): CardPanel => {
  const state = record.actions[DISMISSAL];
  const id = record.finding.id;
  const who = mention(state?.by);
  switch (state?.status) {
    case 'requested':
      return { actions: [], status: [`⏳ Dismissing, requested by ${who}`], buttons: [] };
    case 'dismissed':
      return {
        actions: [],
        status: [`🗑️ Dismissed by ${who}${reason(state)}`],
        buttons: [button('reopen', 'Reopen', id)],
      };
    case 'reopen-requested':
      return { actions: [], status: [`⏳ Reopening, requested by ${who}`], buttons: [] };
    case 'failed':
      return {
        actions: ['dismiss'],
        status: [`❌ Dismissal by ${who} failed${reason(state)}`],
        buttons: [],
      };
    case 'reopened':
      return {
        actions: ['dismiss'],
        status: [`↩️ Reopened by ${who} at ${at(state)}`],
        buttons: [],
      };
    default:
      return { actions: ['dismiss'], status: [], buttons: [] };
  }
};

const REPORTABLE_ISOLATION = [
  'isolated',
  'partial',
  'drift',
  'released',
  'release-partial',
  'release-failed',
];

/** Report: once the finding was contained or dismissed, there is an incident to write up. */
const reportPanel = (record: FindingRecord): CardPanel => {
  const contained = REPORTABLE_ISOLATION.includes(record.actions[ISOLATION]?.status ?? '');
  const dismissed = record.actions[DISMISSAL]?.status === 'dismissed';
  return {
    actions: [],
    status: [],
    buttons: contained || dismissed ? [button('report', 'Report', record.finding.id)] : [],
  };
};

/** Combines the panels of every action area, in the card's order: isolation, investigation, dismissal. */
export const cardPanel = (record: FindingRecord): CardPanel => {
  const panels = [
    isolationPanel(record),
    investigationPanel(record),
    dismissalPanel(record),
    reportPanel(record),
  ];
  return {
    actions: panels.flatMap((panel) => panel.actions),
    status: panels.flatMap((panel) => panel.status),
    buttons: panels.flatMap((panel) => panel.buttons),
  };
};
