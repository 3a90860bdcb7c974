import { describe, expect, it } from 'vitest';
import { findBlockKitViolations, findViewViolations } from '../../support/blockKitLimits';

const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const x = (n: number): string => 'x'.repeat(n);
const button = (overrides: Record<string, unknown> = {}) => ({
  type: 'button',
  text: plain('Isolate'),
  action_id: 'isolate',
  value: 'finding-1',
  ...overrides,
});
const confirm = (overrides: Record<string, unknown> = {}) => ({
  title: plain('Isolate i-0abc?'),
  text: mrkdwn('The instance loses its network.'),
  confirm: plain('Isolate'),
  deny: plain('Cancel'),
  ...overrides,
});
const message = (...blocks: unknown[]) => ({ text: 'fallback', blocks });

describe('findBlockKitViolations', () => {
  it('accepts a card that uses every limit to the full', () => {
    expect(
      findBlockKitViolations(
        message(
          { type: 'header', block_id: x(255), text: plain(x(150)) },
          {
            type: 'section',
            text: mrkdwn(x(3000)),
            fields: Array.from({ length: 10 }, () => mrkdwn(x(2000))),
          },
          { type: 'context', elements: Array.from({ length: 10 }, () => mrkdwn('ctx')) },
          {
            type: 'actions',
            elements: Array.from({ length: 25 }, (_, i) =>
              button({
                action_id: `${i}${x(250)}`,
                text: plain(x(75)),
                value: x(2000),
                url: x(3000),
                style: i % 2 === 0 ? 'primary' : 'danger',
                confirm: confirm({
                  title: plain(x(100)),
                  text: plain(x(300)),
                  confirm: plain(x(30)),
                  deny: plain(x(30)),
                }),
              })
            ),
          },
          ...Array.from({ length: 46 }, () => ({ type: 'divider' }))
        )
      )
    ).toEqual([]);
  });

  it('accepts plain text messages without blocks', () => {
    expect(findBlockKitViolations({ text: 'hello' })).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'missing top-level text',
      { blocks: [{ type: 'divider' }] },
      'text: top-level text must be set when blocks are present',
    ],
    [
      'blank top-level text',
      { text: '  ', blocks: [{ type: 'divider' }] },
      'text: top-level text must be set when blocks are present',
    ],
    [
      '51 blocks',
      { text: 't', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      'blocks: 51 blocks > 50',
    ],
    ['blocks not an array', { text: 't', blocks: '[]' }, 'blocks: must be an array'],
    [
      'long block_id',
      message({ type: 'divider', block_id: x(256) }),
      'blocks[0].block_id: 256 chars > 255',
    ],
    [
      'duplicate block_id',
      message({ type: 'divider', block_id: 'a' }, { type: 'divider', block_id: 'a' }),
      "blocks[1].block_id: duplicate block_id 'a'",
    ],
    [
      'long header',
      message({ type: 'header', text: plain(x(151)) }),
      'blocks[0].text.text: 151 chars > 150',
    ],
    [
      'mrkdwn header',
      message({ type: 'header', text: mrkdwn('h') }),
      'blocks[0].text.type: must be plain_text',
    ],
    [
      'long section text',
      message({ type: 'section', text: mrkdwn(x(3001)) }),
      'blocks[0].text.text: 3001 chars > 3000',
    ],
    [
      'empty section text',
      message({ type: 'section', text: mrkdwn('') }),
      'blocks[0].text.text: must not be empty',
    ],
    [
      'section without text or fields',
      message({ type: 'section' }),
      'blocks[0]: section needs text or fields',
    ],
    [
      '11 fields',
      message({ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) }),
      'blocks[0].fields: 11 fields > 10',
    ],
    [
      'long field',
      message({ type: 'section', fields: [mrkdwn('a'), mrkdwn('b'), mrkdwn(x(2105))] }),
      'blocks[0].fields[2].text: 2105 chars > 2000',
    ],
    [
      'unknown text type',
      message({ type: 'section', text: { type: 'markdown', text: 'a' } }),
      'blocks[0].text.type: "markdown" is not plain_text or mrkdwn',
    ],
    [
      'text as a bare string',
      message({ type: 'section', text: 'a' }),
      'blocks[0].text: must be a text object',
    ],
    [
      '11 context elements',
      message({ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) }),
      'blocks[0].elements: 11 elements > 10',
    ],
    [
      '26 actions',
      message({
        type: 'actions',
        elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })),
      }),
      'blocks[0].elements: 26 elements > 25',
    ],
    [
      'long button text',
      message({ type: 'actions', elements: [button({ text: plain(x(76)) })] }),
      'blocks[0].elements[0].text.text: 76 chars > 75',
    ],
    [
      'mrkdwn button text',
      message({ type: 'actions', elements: [button({ text: mrkdwn('Go') })] }),
      'blocks[0].elements[0].text.type: must be plain_text',
    ],
    [
      'long action_id',
      message({ type: 'actions', elements: [button({ action_id: x(256) })] }),
      'blocks[0].elements[0].action_id: 256 chars > 255',
    ],
    [
      'duplicate action_id across blocks',
      message(
        { type: 'actions', elements: [button()] },
        { type: 'section', text: mrkdwn('s'), accessory: button() }
      ),
      "blocks[1].accessory.action_id: duplicate action_id 'isolate'",
    ],
    [
      'long value',
      message({ type: 'actions', elements: [button({ value: x(2001) })] }),
      'blocks[0].elements[0].value: 2001 chars > 2000',
    ],
    [
      'long url',
      message({ type: 'actions', elements: [button({ url: x(3001) })] }),
      'blocks[0].elements[0].url: 3001 chars > 3000',
    ],
    [
      'bad style',
      message({ type: 'actions', elements: [button({ style: 'warning' })] }),
      'blocks[0].elements[0].style: style "warning" is not primary or danger',
    ],
    [
      'long confirm title',
      message({
        type: 'actions',
        elements: [button({ confirm: confirm({ title: plain(x(101)) }) })],
      }),
      'blocks[0].elements[0].confirm.title.text: 101 chars > 100',
    ],
    [
      'long confirm text',
      message({
        type: 'actions',
        elements: [button({ confirm: confirm({ text: mrkdwn(x(301)) }) })],
      }),
      'blocks[0].elements[0].confirm.text.text: 301 chars > 300',
    ],
    [
      'long confirm button',
      message({
        type: 'actions',
        elements: [button({ confirm: confirm({ confirm: plain(x(31)) }) })],
      }),
      'blocks[0].elements[0].confirm.confirm.text: 31 chars > 30',
    ],
    [
      'long deny button',
      message({
        type: 'actions',
        elements: [button({ confirm: confirm({ deny: plain(x(31)) }) })],
      }),
      'blocks[0].elements[0].confirm.deny.text: 31 chars > 30',
    ],
    ['block that is not an object', message(null), 'blocks[0]: must be an object'],
    ['block without type', message({ text: mrkdwn('a') }), 'blocks[0].type: missing'],
    [
      'too long blocks in a legacy attachment',
      {
        text: 't',
        attachments: [{ color: '#f00', blocks: [{ type: 'section', text: mrkdwn(x(3001)) }] }],
      },
      'attachments[0].blocks[0].text.text: 3001 chars > 3000',
    ],
  ])('reports %s', (_name, input, expected) => {
    expect(findBlockKitViolations(input)).toContain(expected);
  });

  it('reports every violation, not only the first', () => {
    const violations = findBlockKitViolations({
      blocks: [
        { type: 'header', text: plain(x(151)) },
        { type: 'section', text: mrkdwn(x(3001)) },
      ],
    });
    expect(violations).toHaveLength(3);
  });
});

describe('findViewViolations', () => {
  const view = (overrides: Record<string, unknown> = {}) => ({
    type: 'modal',
    title: plain('Dismiss finding'),
    submit: plain('Dismiss'),
    blocks: [
      {
        type: 'input',
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: 'reason' },
      },
    ],
    ...overrides,
  });

  it('accepts a modal with up to 100 blocks', () => {
    expect(
      findViewViolations(view({ blocks: Array.from({ length: 100 }, () => ({ type: 'divider' })) }))
    ).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    [
      '101 blocks',
      view({ blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) }),
      'view.blocks: 101 blocks > 100',
    ],
    ['long title', view({ title: plain(x(25)) }), 'view.title.text: 25 chars > 24'],
    [
      'input without label',
      view({ blocks: [{ type: 'input', element: { type: 'plain_text_input', action_id: 'r' } }] }),
      'view.blocks[0].label: must be a text object',
    ],
    ['not an object', 'modal', 'view: must be an object'],
  ])('reports %s', (_name, input, expected) => {
    expect(findViewViolations(input)).toContain(expected);
  });
});
