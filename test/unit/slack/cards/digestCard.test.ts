import { describe, expect, it } from 'vitest';
import { type DigestEntry, renderDigestCard } from '../../../../src/slack/cards/digestCard';
import type { SlackMessage } from '../../../../src/slack/cards/findingCard';
import { blockById, blockKitViolations, blockText, mrkdwnWithoutOwnTokens } from './blockKit';
import { HOSTILE, HUGE } from './findings';

const MINUTE = '2025-03-11T14:05:00.000Z';
const SSH = 'UnauthorizedAccess:EC2/SSHBruteForce';
const EXFIL = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';
const PROBE = 'Recon:EC2/PortProbeUnprotectedPort';

const entry = (overrides: Partial<DigestEntry> & { findingId: string }): DigestEntry => ({
  type: SSH,
  severity: 2,
  resource: 'i-0a1b2c3d4e5f60718 (web-01)',
  title: 'SSH brute force',
  ...overrides,
});

/** A small storm: 3 probes (Low), 5 SSH brute forces on 5 instances (Low), 1 exfiltration (High). */
const smallStorm = (): DigestEntry[] => [
  ...[1, 2, 3].map((n) =>
    entry({ findingId: `probe-${n}`, type: PROBE, severity: 2, resource: 'i-probe' })
  ),
  ...[1, 2, 3, 4, 5].map((n) =>
    entry({ findingId: `ssh-${n}`, severity: n === 5 ? 5 : 2, resource: `i-ssh-${n}` })
  ),
  entry({ findingId: 'exfil-1', type: EXFIL, severity: 8, resource: 'ASIA… (batch-ec2-role)' }),
];

const typeLines = (message: SlackMessage): string[] =>
  message.blocks
    .filter((b) => b.block_id?.startsWith('digest_types_'))
    .flatMap((b) => (b.type === 'section' ? (b.text?.text.split('\n') ?? []) : []));

describe('Function: renderDigestCard', () => {
  it('counts the findings of the minute in the header', () => {
    // Prepare
    const entries = smallStorm();

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(blockById(message, 'digest_header', 'header')?.text.text).toBe(
      '🌩️ 9 findings in one minute'
    );
    expect(blockKitViolations(message)).toEqual([]);
  });

  it('says "finding" for a single finding', () => {
    // Prepare
    const entries = [entry({ findingId: 'only' })];

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(blockById(message, 'digest_header', 'header')?.text.text).toBe(
      '🌩️ 1 finding in one minute'
    );
  });

  it('counts findings by band, most severe first', () => {
    // Prepare
    const entries = smallStorm();

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(blockById(message, 'digest_summary', 'section')?.text?.text).toBe(
      [
        'Minute starting <!date^1741701900^{date_short_pretty} {time}|2025-03-11T14:05:00Z>',
        '🟠 *High*: 1',
        '🟡 *Medium*: 1',
        '🟢 *Low*: 7',
      ].join('\n')
    );
  });

  it('lists types most severe first, then by count, with up to three resources', () => {
    // Prepare
    const entries = smallStorm();

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(typeLines(message)).toEqual([
      '🟠 *High* · Instance credentials used outside AWS · 1× — ASIA… (batch-ec2-role)',
      '🟡 *Medium* · SSH brute force against an instance · 5× — i-ssh-1, i-ssh-2, i-ssh-3 +2 more',
      '🟢 *Low* · Port probe on an unprotected port · 3× — i-probe',
    ]);
  });

  it('orders types of the same severity by count', () => {
    // Prepare
    const entries = [
      entry({ findingId: 'a', type: PROBE }),
      entry({ findingId: 'b', type: SSH }),
      entry({ findingId: 'c', type: SSH }),
    ];

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(typeLines(message).map((line) => line.split(' · ')[1])).toEqual([
      'SSH brute force against an instance',
      'Port probe on an unprotected port',
    ]);
  });

  it('lists the ids of the most severe findings and how to look one up', () => {
    // Prepare
    const entries = smallStorm();

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(blockText(blockById(message, 'digest_ids', 'context'))).toBe(
      [
        'Most severe: `exfil-1`, `ssh-5`, `probe-1`, `probe-2`, `probe-3`, `ssh-1`, `ssh-2`, `ssh-3`, `ssh-4`',
        '`/guardduty finding &lt;id&gt;` shows any of them',
      ].join('\n')
    );
  });

  it('lists at most ten ids', () => {
    // Prepare
    const entries = Array.from({ length: 30 }, (_, i) =>
      entry({ findingId: `id-${i}`, severity: i / 3 })
    );

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    const ids = blockText(blockById(message, 'digest_ids', 'context')).match(/`id-\d+`/g) ?? [];
    expect(ids).toEqual(
      ['29', '28', '27', '26', '25', '24', '23', '22', '21', '20'].map((n) => `\`id-${n}\``)
    );
  });

  it('sets a one-line notification text with the counts by band', () => {
    // Prepare
    const entries = smallStorm();

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(message.text).toBe('Storm digest: 9 findings in one minute (1 High, 1 Medium, 7 Low)');
  });

  it('stays within Block Kit limits for 5,000 hostile entries of distinct types', () => {
    // Prepare
    const entries = Array.from({ length: 5000 }, (_, i) => ({
      findingId: `${HOSTILE}-${i}-${HUGE}`,
      type: `Impact:EC2/${HOSTILE}${i}`,
      severity: (i % 100) / 10,
      resource: `${HOSTILE}${HUGE}`,
      title: HUGE,
    }));

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(blockById(message, 'digest_header', 'header')?.text.text).toBe(
      '🌩️ 5,000 findings in one minute'
    );
    expect(typeLines(message).at(-1)).toMatch(/^…and 4,960 more types \(4,960 findings\)$/);
    const rest = mrkdwnWithoutOwnTokens(message);
    expect(rest).not.toMatch(/[<>]/);
    expect(rest).toContain('&lt;!channel&gt;');
  });

  it('stays within Block Kit limits for 5,000 hostile entries of one type', () => {
    // Prepare
    const entries = Array.from({ length: 5000 }, (_, i) => ({
      findingId: `f-${i}`,
      type: `${HOSTILE}${HUGE}`,
      severity: 9.9,
      resource: `${HOSTILE} r-${i}`,
      title: HOSTILE,
    }));

    // Act
    const message = renderDigestCard({ minuteStart: HOSTILE, entries });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(typeLines(message)).toHaveLength(1);
    expect(typeLines(message)[0]).toContain('5,000×');
    expect(typeLines(message)[0]).toContain('+4,997 more');
    expect(mrkdwnWithoutOwnTokens(message)).not.toMatch(/[<>]/);
  });

  it('renders an empty minute without empty texts', () => {
    // Prepare
    const entries: DigestEntry[] = [];

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(message.text).toBe('Storm digest: 0 findings in one minute');
  });

  it('treats a severity that is not a number as the lowest', () => {
    // Prepare
    const entries = [
      entry({ findingId: 'nan', severity: Number.NaN }),
      entry({ findingId: 'high', type: EXFIL, severity: 8 }),
    ];

    // Act
    const message = renderDigestCard({ minuteStart: MINUTE, entries });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(message.text).toBe('Storm digest: 2 findings in one minute (1 High, 1 Low)');
    expect(blockText(blockById(message, 'digest_ids', 'context'))).toContain('`high`, `nan`');
  });
});
