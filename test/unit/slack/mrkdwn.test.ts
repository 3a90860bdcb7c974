import { describe, expect, it } from 'vitest';
import {
  dateToken,
  escapeAndTruncate,
  escapeMrkdwn,
  link,
  truncate,
} from '../../../src/slack/mrkdwn';

describe('Function: escapeMrkdwn', () => {
  it('turns mentions, broadcasts and links into inert text', () => {
    // Prepare
    const hostile = '<!channel> <@U123> <https://evil|click>';

    // Act
    const escaped = escapeMrkdwn(hostile);

    // Assess
    expect(escaped).toBe('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|click&gt;');
  });

  it('escapes ampersands first, so an entity in the input shows literally', () => {
    // Prepare
    const text = 'a &lt; b & c';

    // Act
    const escaped = escapeMrkdwn(text);

    // Assess
    expect(escaped).toBe('a &amp;lt; b &amp; c');
  });

  it('leaves every other character alone', () => {
    // Prepare
    const text = '*bold* _it_ ~s~ `code` | "quotes" \'apos\' 🟢';

    // Act
    const escaped = escapeMrkdwn(text);

    // Assess
    expect(escaped).toBe(text);
  });
});

describe('Function: truncate', () => {
  it('returns short text unchanged', () => {
    // Prepare
    const text = 'short';

    // Act
    const result = truncate(text, 5);

    // Assess
    expect(result).toBe('short');
  });

  it('ends cut text with an ellipsis within the limit', () => {
    // Prepare
    const text = 'x'.repeat(10_000);

    // Act
    const result = truncate(text, 3000);

    // Assess
    expect(result).toHaveLength(3000);
    expect(result.endsWith('…')).toBe(true);
  });

  it('never cuts inside an escape entity', () => {
    // Prepare
    const escaped = escapeMrkdwn('abc<def');

    // Act
    const results = [5, 6, 7, 8].map((max) => truncate(escaped, max));

    // Assess
    expect(results).toEqual(['abc…', 'abc…', 'abc…', 'abc&lt;…']);
    for (const [i, result] of results.entries()) expect(result.length).toBeLessThanOrEqual(i + 5);
  });

  it('never splits a surrogate pair', () => {
    // Prepare
    const text = 'ab🌩️🌩️🌩️';

    // Act
    const result = truncate(text, 4);

    // Assess
    expect(result).toBe('ab…');
  });

  it('counts UTF-16 code units as Slack does', () => {
    // Prepare
    const text = '🔴'.repeat(10);

    // Act
    const result = truncate(text, 10);

    // Assess
    expect(result).toBe(`${'🔴'.repeat(4)}…`);
  });

  it('returns an empty string for a zero limit', () => {
    // Prepare
    const text = 'anything';

    // Act
    const result = truncate(text, 0);

    // Assess
    expect(result).toBe('');
  });
});

describe('Function: escapeAndTruncate', () => {
  it('keeps escaped text within the limit', () => {
    // Prepare
    const text = '<'.repeat(1000);

    // Act
    const result = escapeAndTruncate(text, 100);

    // Assess
    expect(result.length).toBeLessThanOrEqual(100);
    expect(result).toMatch(/^(&lt;)+…$/);
  });
});

describe('Function: link', () => {
  it('builds a mrkdwn link with an escaped label', () => {
    // Prepare
    const url = 'https://example.com/a?b=1&c=2';

    // Act
    const result = link(url, 'Q&A <here>');

    // Assess
    expect(result).toBe('<https://example.com/a?b=1&amp;c=2|Q&amp;A &lt;here&gt;>');
  });

  it('keeps a pipe or a line break in the label from ending the link', () => {
    // Prepare
    const label = 'a|b\n<!channel>';

    // Act
    const result = link('https://example.com', label);

    // Assess
    expect(result).toBe('<https://example.com|a¦b &lt;!channel&gt;>');
  });

  it('returns only the escaped label for URLs that are not plain https', () => {
    // Prepare
    const urls = [
      'http://example.com',
      'javascript:alert(1)',
      'https://evil.example|click',
      'https://evil.example><!channel',
      'https://example.com/a b',
      'https://',
    ];

    // Act
    const results = urls.map((url) => link(url, '<x>'));

    // Assess
    expect(results).toEqual(urls.map(() => '&lt;x&gt;'));
  });

  it('labels an unlabelled link "link"', () => {
    // Prepare
    const url = 'https://example.com';

    // Act
    const result = link(url, '   ');

    // Assess
    expect(result).toBe('<https://example.com|link>');
  });
});

describe('Function: dateToken', () => {
  it('writes a Slack date token with the ISO time as fallback', () => {
    // Prepare
    const iso = '2025-03-11T13:41:05.000Z';

    // Act
    const token = dateToken(iso);

    // Assess
    expect(token).toBe('<!date^1741700465^{date_short_pretty} {time}|2025-03-11T13:41:05Z>');
  });

  it('returns text that is not a date escaped, without a token', () => {
    // Prepare
    const notADate = '<!channel> soon';

    // Act
    const token = dateToken(notADate);

    // Assess
    expect(token).toBe('&lt;!channel&gt; soon');
  });
});
