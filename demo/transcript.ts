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

/** Turns mrkdwn into terminal text: links show their label, entities are decoded, dates show their fallback. */
export const plainMrkdwn = (mrkdwn: string): string =>
  mrkdwn
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
const renderBlock = (block: Json): string[] => {
  switch (block.type) {
    case 'header':
      return [`== ${textOf(block.text)} ==`];
    case 'section': {
      const lines: string[] = [];
      if (block.text !== undefined) lines.push(plainMrkdwn(textOf(block.text)));
      for (const field of asArray(block.fields))
        lines.push(indent(plainMrkdwn(textOf(field)), '  '));
      return lines;
    }
    case 'context':
      return [
        `  ${asArray(block.elements)
          .map((element) => plainMrkdwn(textOf(element)))
          .join(' · ')}`,
      ];
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
export const renderMessage = (title: string, body: Json): string => {
  const blocks = asArray(body.blocks);
  const lines = [
    title,
    `  notification text: ${plainMrkdwn(String(body.text ?? ''))}`,
    ...blocks.flatMap(renderBlock).map((line) => indent(line, '  ')),
  ];
  return lines.join('\n');
};
