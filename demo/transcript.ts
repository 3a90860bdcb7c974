/**
 * Renders Slack messages as the loopback Slack server recorded them into readable terminal text:
 * what a responder would see in the channel, plus a Block Kit Builder link per message.
 */

type Json = Record<string, unknown>;

const asArray = (value: unknown): Json[] => {
  if (typeof value === 'string') {
    try {
      return asArray(JSON.parse(value));
    } catch {
      return [];
    }
  }
  return Array.isArray(value) ? (value.filter((item) => typeof item === 'object') as Json[]) : [];
};

const textOf = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'text' in value) {
    return String((value as { text: unknown }).text);
  }
  return '';
};

/** Slack user ids and the names to show for them (`<@U0ALICE>` reads `@alice`). */
export type UserNames = Readonly<Record<string, string>>;

/**
 * Turns mrkdwn into terminal text: links show their label, entities are decoded, dates show their
 * fallback, user mentions show the user's name when `users` knows it.
 */
export const plainMrkdwn = (mrkdwn: string, users: UserNames = {}): string =>
  mrkdwn
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, (_match, id: string) => `@${users[id] ?? id}`)
    .replace(/<#C[A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const indent = (text: string, prefix: string): string =>
  text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');

/** One block as terminal lines. */
const renderBlock = (block: Json, users: UserNames): string[] => {
  const plain = (value: unknown): string => plainMrkdwn(textOf(value), users);
  switch (block.type) {
    case 'header':
      return [`== ${textOf(block.text)} ==`];
    case 'section': {
      const lines: string[] = [];
      if (block.text !== undefined) lines.push(plain(block.text));
      for (const field of asArray(block.fields)) lines.push(indent(plain(field), '  '));
      return lines;
    }
    case 'context':
      return [`  ${asArray(block.elements).map(plain).join(' · ')}`];
    case 'actions':
      return [
        `  ${asArray(block.elements)
          .map((element) => {
            const style = element.style === 'danger' ? '!' : '';
            const confirm = element.confirm === undefined ? '' : ' (asks to confirm)';
            return `[ ${textOf(element.text)}${style} ]${confirm}`;
          })
          .join('  ')}`,
      ];
    case 'input': {
      const element = (block.element ?? {}) as Json;
      const options = asArray(element.options).map((option) => textOf(option.text));
      const kind =
        element.type === 'static_select'
          ? `choose one of: ${options.join(' | ')}`
          : element.type === 'checkboxes'
            ? `☐ ${options.join(' ☐ ')}`
            : element.multiline === true
              ? 'a multi-line text box'
              : 'a text box';
      return [`  ${textOf(block.label)}${block.optional === true ? ' (optional)' : ''}: ${kind}`];
    }
    case 'divider':
      return ['  ----'];
    default:
      return [`  (${String(block.type)} block)`];
  }
};

/** A Block Kit Builder link that opens the message's blocks for inspection. */
export const blockKitBuilderLink = (blocks: unknown): string =>
  `https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({ blocks: asArray(blocks) }))}`;

/** One recorded Web API call (chat.postMessage / chat.update / chat.postEphemeral) as terminal text. */
export const renderMessage = (title: string, body: Json, users: UserNames = {}): string => {
  const blocks = asArray(body.blocks);
  const lines = [
    title,
    `  notification text: ${plainMrkdwn(String(body.text ?? ''), users)}`,
    ...blocks.flatMap((block) => renderBlock(block, users)).map((line) => indent(line, '  ')),
  ];
  return lines.join('\n');
};

/** The card's status lines (the `finding_status` context block), as terminal text. */
export const cardStatus = (body: { blocks?: unknown }, users: UserNames = {}): string[] => {
  const status = asArray(body.blocks).find((block) => block.block_id === 'finding_status');
  return asArray(status?.elements).map((element) => plainMrkdwn(textOf(element), users));
};

/**
 * A card after an edit, in short: its header, status lines and buttons (the facts were shown
 * when it was posted).
 */
export const renderCardChange = (title: string, body: Json, users: UserNames = {}): string => {
  const blocks = asArray(body.blocks).filter(
    (block) =>
      block.type === 'header' || block.block_id === 'finding_status' || block.type === 'actions'
  );
  return [
    title,
    ...blocks.flatMap((block) => renderBlock(block, users)).map((line) => indent(line, '  ')),
  ].join('\n');
};

/** A modal (`views.open`) as terminal text: its title and inputs. */
export const renderView = (title: string, view: Json, users: UserNames = {}): string =>
  [
    title,
    `  ┌ ${textOf(view.title)} ┐  [ ${textOf(view.close) || 'Cancel'} ]  [ ${textOf(view.submit) || 'Submit'} ]`,
    ...asArray(view.blocks)
      .flatMap((block) => renderBlock(block, users))
      .map((line) => indent(line, '  ')),
  ].join('\n');
