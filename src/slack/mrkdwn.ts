/**
 * Helpers for Slack's `mrkdwn` text. Slack treats `&`, `<` and `>` as control characters: `<…>`
 * makes links, mentions (`<@U…>`) and broadcasts (`<!channel>`). Everything that comes from a
 * finding is untrusted, so it goes through {@link escapeMrkdwn} (or {@link escapeAndTruncate})
 * before it is placed in mrkdwn text. Lengths are counted in UTF-16 code units, as Slack does.
 */

const ELLIPSIS = '…';

/** The entities {@link escapeMrkdwn} produces; {@link truncate} never cuts through one. */
const ENTITY = /^&(?:amp|lt|gt);/;
const LONGEST_ENTITY = '&amp;'.length;

/** `https://` URLs without the characters that would end or split a `<url|label>` token. */
const SAFE_URL = /^https:\/\/[^\s|<>]+$/;

/**
 * Escapes Slack's three control characters (`&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`) and
 * nothing else, so `<!channel>`, `<@U123>` or `<https://evil|click>` show as plain text.
 */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Shortens `text` to at most `max` UTF-16 code units, ending with `…` when it was cut.
 * It never splits a surrogate pair, nor an `&amp;` / `&lt;` / `&gt;` entity, so it is safe on
 * text that was already escaped.
 */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  const amp = text.lastIndexOf('&', end - 1);
  if (amp !== -1 && end - amp < LONGEST_ENTITY) {
    const entity = ENTITY.exec(text.slice(amp, amp + LONGEST_ENTITY));
    if (entity && amp + entity[0].length > end) end = amp;
  }
  return `${text.slice(0, end)}${ELLIPSIS}`;
};

/** Escapes untrusted text for mrkdwn, then truncates the escaped result to `max` code units. */
export const escapeAndTruncate = (text: string, max: number): string =>
  truncate(escapeMrkdwn(text), max);

/**
 * A mrkdwn link `<url|label>`. The label is escaped (and its `|` replaced by `¦`, its line breaks
 * by spaces) so it cannot end the token early. The URL must be `https://` and free of `|`, `<`,
 * `>` and whitespace; otherwise only the escaped label is returned, without a link. `&` in the URL
 * is written as `&amp;`, as Slack expects inside `<…>`.
 */
export const link = (url: string, label: string): string => {
  const text = escapeMrkdwn(label.replace(/\|/g, '¦').replace(/\s+/g, ' ').trim());
  if (!SAFE_URL.test(url)) return text;
  return `<${url.replace(/&/g, '&amp;')}|${text || 'link'}>`;
};

/**
 * A Slack date token `<!date^EPOCH^{format}|fallback>` that every reader sees in their own time
 * zone; the fallback is the ISO-8601 time in UTC. Input that is not a date comes back escaped and
 * shortened, without a token.
 *
 * @param iso - the time, as ISO-8601 (untrusted)
 * @param format - Slack's date format (trusted) @default '{date_short_pretty} {time}'
 */
export const dateToken = (iso: string, format = '{date_short_pretty} {time}'): string => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeAndTruncate(iso, 64);
  const fallback = new Date(ms).toISOString().replace('.000Z', 'Z');
  return `<!date^${Math.floor(ms / 1000)}^${format}|${fallback}>`;
};
