import type { Button, ContextBlock, KnownBlock, SectionBlock, TextObject } from '@slack/types';
import type { SlackMessage } from '../../../../src/slack/cards/findingCard';

/**
 * Test helpers: Slack's Block Kit limits (the numbers in DESIGN.md §4) and the mrkdwn texts a
 * message carries, to check that untrusted text stayed inert.
 */

const textViolations = (where: string, text: TextObject | undefined, max: number): string[] => {
  if (!text) return [`${where}: missing text`];
  const problems: string[] = [];
  if (text.text.length === 0) problems.push(`${where}: empty text`);
  if (text.text.length > max) problems.push(`${where}: ${text.text.length} > ${max}`);
  return problems;
};

const buttonViolations = (where: string, button: Button, actionIds: Set<string>): string[] => {
  const problems = [
    ...textViolations(`${where}.text`, button.text, 75),
    ...(button.text.type === 'plain_text' ? [] : [`${where}.text: not plain_text`]),
  ];
  if (!button.action_id) problems.push(`${where}: no action_id`);
  else if (button.action_id.length > 255) problems.push(`${where}: action_id > 255`);
  else if (actionIds.has(button.action_id)) problems.push(`${where}: duplicate action_id`);
  if (button.action_id) actionIds.add(button.action_id);
  if (button.value !== undefined && button.value.length > 2000)
    problems.push(`${where}: value > 2000`);
  if (button.url !== undefined && button.url.length > 3000) problems.push(`${where}: url > 3000`);
  if (button.style !== undefined && !['primary', 'danger'].includes(button.style)) {
    problems.push(`${where}: bad style`);
  }
  const confirm = button.confirm;
  if (confirm) {
    problems.push(
      ...textViolations(`${where}.confirm.title`, confirm.title, 100),
      ...textViolations(`${where}.confirm.text`, confirm.text, 300),
      ...textViolations(`${where}.confirm.confirm`, confirm.confirm, 30),
      ...textViolations(`${where}.confirm.deny`, confirm.deny, 30)
    );
  }
  return problems;
};

const blockViolations = (block: KnownBlock, index: number): string[] => {
  const where = `blocks[${index}](${block.type})`;
  switch (block.type) {
    case 'header':
      return [
        ...textViolations(`${where}.text`, block.text, 150),
        ...(block.text.type === 'plain_text' ? [] : [`${where}: header text not plain_text`]),
      ];
    case 'section': {
      const problems: string[] = [];
      if (!block.text && !block.fields) problems.push(`${where}: neither text nor fields`);
      if (block.text) problems.push(...textViolations(`${where}.text`, block.text, 3000));
      if (block.fields) {
        if (block.fields.length > 10) problems.push(`${where}: ${block.fields.length} fields > 10`);
        block.fields.forEach((f, i) => {
          problems.push(...textViolations(`${where}.fields[${i}]`, f, 2000));
        });
      }
      return problems;
    }
    case 'context': {
      const problems: string[] = [];
      if (block.elements.length === 0) problems.push(`${where}: no elements`);
      if (block.elements.length > 10) problems.push(`${where}: ${block.elements.length} > 10`);
      block.elements.forEach((element, i) => {
        if (element.type === 'plain_text' || element.type === 'mrkdwn') {
          problems.push(...textViolations(`${where}.elements[${i}]`, element, 3000));
        }
      });
      return problems;
    }
    case 'actions': {
      const problems: string[] = [];
      if (block.elements.length > 25) problems.push(`${where}: ${block.elements.length} > 25`);
      const actionIds = new Set<string>();
      block.elements.forEach((element, i) => {
        if (element.type === 'button') {
          problems.push(...buttonViolations(`${where}.elements[${i}]`, element, actionIds));
        }
      });
      return problems;
    }
    default:
      return [];
  }
};

/** Every way `message` breaks a Block Kit limit; empty when it is within them all. */
export const blockKitViolations = (message: SlackMessage): string[] => {
  const problems: string[] = [];
  if (!message.text || message.text.trim() === '') problems.push('top-level text: missing');
  if (message.text.length > 40_000) problems.push('top-level text: > 40000');
  if (message.blocks.length > 50) problems.push(`${message.blocks.length} blocks > 50`);
  const ids = new Set<string>();
  message.blocks.forEach((block, index) => {
    if (block.block_id !== undefined) {
      if (block.block_id.length > 255) problems.push(`blocks[${index}]: block_id > 255`);
      if (ids.has(block.block_id)) problems.push(`blocks[${index}]: duplicate block_id`);
      ids.add(block.block_id);
    }
    problems.push(...blockViolations(block, index));
  });
  return problems;
};

const mrkdwnOf = (text: TextObject | undefined): string[] =>
  text && text.type === 'mrkdwn' ? [text.text] : [];

/** The top-level text and every mrkdwn text object of the message (where Slack parses `<…>`). */
export const mrkdwnTexts = (message: SlackMessage): string[] => [
  message.text,
  ...message.blocks.flatMap((block): string[] => {
    switch (block.type) {
      case 'section':
        return [...mrkdwnOf(block.text), ...(block.fields ?? []).flatMap(mrkdwnOf)];
      case 'context':
        return block.elements.flatMap((element) =>
          element.type === 'mrkdwn' ? [element.text] : []
        );
      case 'actions':
        return block.elements.flatMap((element) =>
          element.type === 'button' && element.confirm ? mrkdwnOf(element.confirm.text) : []
        );
      default:
        return [];
    }
  }),
];

const OWN_LINK = /<(https:\/\/[^|<>\s]+)\|[^<>]*>/g;
const DATE_TOKEN = /<!date\^\d+\^[^|<>]+\|[^<>]+>/g;

/** The URLs of every `<url|label>` link in the message's mrkdwn. */
export const linkUrls = (message: SlackMessage): string[] =>
  mrkdwnTexts(message).flatMap((text) => [...text.matchAll(OWN_LINK)].map((m) => m[1] ?? ''));

/**
 * The message's mrkdwn with our own `<https://…|label>` links and `<!date^…>` tokens removed:
 * what remains must not contain `<` or `>` (no mention, broadcast or link from a finding).
 */
export const mrkdwnWithoutOwnTokens = (message: SlackMessage): string =>
  mrkdwnTexts(message)
    .map((text) => text.replace(OWN_LINK, '').replace(DATE_TOKEN, ''))
    .join('\n');

/** The block with this `block_id`, typed by its `type`. */
export const blockById = <T extends KnownBlock['type']>(
  message: SlackMessage,
  blockId: string,
  type: T
): Extract<KnownBlock, { type: T }> | undefined => {
  const block = message.blocks.find((b) => b.block_id === blockId);
  return block?.type === type ? (block as Extract<KnownBlock, { type: T }>) : undefined;
};

/** The text of a section's fields, or of a context's text elements, joined by newlines. */
export const blockText = (block: SectionBlock | ContextBlock | undefined): string => {
  if (!block) return '';
  if (block.type === 'section') {
    return [block.text?.text ?? '', ...(block.fields ?? []).map((f) => f.text)].join('\n');
  }
  return block.elements
    .map((e) => ('text' in e && typeof e.text === 'string' ? e.text : ''))
    .join('\n');
};
