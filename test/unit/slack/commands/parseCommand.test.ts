import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../../src/slack/commands/parseCommand';

describe('Function: parseCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  HELP  ', { kind: 'help' }],
    [
      'finding 8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
      { kind: 'finding', findingId: '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12' },
    ],
    [
      'finding arn:aws:guardduty:us-west-2:123456789012:detector/d/finding/f',
      {
        kind: 'finding',
        findingId: 'arn:aws:guardduty:us-west-2:123456789012:detector/d/finding/f',
      },
    ],
  ])('parses "%s"', (text, expected) => {
    // Act & Assess
    expect(parseCommand(text)).toStrictEqual(expected);
  });

  it.each([
    ['finding', 'exactly one finding id'],
    ['finding a b', 'exactly one finding id'],
    ['finding <!channel>', 'does not look like a finding id'],
    ['finding ../../etc/passwd', 'does not look like a finding id'],
    [`finding ${'a'.repeat(600)}`, 'does not look like a finding id'],
    ['isolate i-123', 'Unknown subcommand `isolate`'],
    [`${'x'.repeat(100)}`, `Unknown subcommand \`${'x'.repeat(30)}\``],
  ])('answers "%s" with a usage problem', (text, problem) => {
    // Act
    const parsed = parseCommand(text);

    // Assess
    expect(parsed.kind).toBe('usage');
    expect(parsed.kind === 'usage' && parsed.problem).toContain(problem);
  });
});
