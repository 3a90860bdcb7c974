import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ipVersion, normalizeIp } from '../../../src/domain/investigation';
import { analyzeSshLog, parseSshLine } from '../../../src/domain/sshLogAnalysis';

const FIXTURE = new URL('../../fixtures/logs/secure-bruteforce.log', import.meta.url);
const fixtureLines = (): string[] =>
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((line) => line !== '');

/** The finding's time: the syslog lines (no year) are read as 2025. */
const REFERENCE = Date.parse('2025-03-11T14:05:12.870Z');

describe('Function: parseSshLine', () => {
  it.each([
    [
      'Mar  1 10:02:03 ip-10-0-1-15 sshd[1234]: Invalid user admin from 203.0.113.45 port 51734',
      {
        kind: 'invalid_user',
        user: 'admin',
        invalidUser: true,
        sourceIp: '203.0.113.45',
        port: 51734,
        time: Date.parse('2025-03-01T10:02:03Z'),
        host: 'ip-10-0-1-15',
        repeat: 1,
      },
    ],
    [
      'Mar  1 10:02:05 ip-10-0-1-15 sshd[1234]: Failed password for invalid user admin from 203.0.113.45 port 51734 ssh2',
      {
        kind: 'failed',
        method: 'password',
        user: 'admin',
        invalidUser: true,
        sourceIp: '203.0.113.45',
        port: 51734,
        time: Date.parse('2025-03-01T10:02:05Z'),
        host: 'ip-10-0-1-15',
        repeat: 1,
      },
    ],
    [
      'Mar 11 14:01:15 ip-10-0-1-15 sshd[28417]: Failed password for ec2-user from 203.0.113.45 port 51760 ssh2',
      {
        kind: 'failed',
        method: 'password',
        user: 'ec2-user',
        invalidUser: false,
        sourceIp: '203.0.113.45',
        port: 51760,
        time: Date.parse('2025-03-11T14:01:15Z'),
        host: 'ip-10-0-1-15',
        repeat: 1,
      },
    ],
    [
      'Mar  1 10:14:09 ip-10-0-1-15 sshd[23200]: Accepted password for ec2-user from 203.0.113.45 port 51800 ssh2',
      {
        kind: 'accepted',
        method: 'password',
        user: 'ec2-user',
        invalidUser: false,
        sourceIp: '203.0.113.45',
        port: 51800,
        time: Date.parse('2025-03-01T10:14:09Z'),
        host: 'ip-10-0-1-15',
        repeat: 1,
      },
    ],
    [
      'Mar 11 14:05:02 ip-10-0-1-15 sshd[28601]: Accepted publickey for ec2-user from 198.51.100.200 port 40022 ssh2: RSA SHA256:Xb2tW3kQe1aJ9rT0pLm4nV8sD6fG2hK5yU7iO1qZ3cE',
      {
        kind: 'accepted',
        method: 'publickey',
        user: 'ec2-user',
        invalidUser: false,
        sourceIp: '198.51.100.200',
        port: 40022,
        time: Date.parse('2025-03-11T14:05:02Z'),
        host: 'ip-10-0-1-15',
        repeat: 1,
      },
    ],
  ])('parses the syslog line "%s"', (line, expected) => {
    // Act
    const event = parseSshLine(line, { referenceTime: REFERENCE });

    // Assess
    expect(event).toStrictEqual(expected);
  });

  it('reads the time of a high-precision ISO header (rsyslog, journald)', () => {
    // Act
    const event = parseSshLine(
      '2025-03-01T10:02:03.123456+00:00 ip-10-0-1-15 sshd[1234]: Invalid user oracle from 203.0.113.45 port 51736'
    );

    // Assess
    expect(event?.time).toBe(Date.parse('2025-03-01T10:02:03.123Z'));
    expect(event?.user).toBe('oracle');
  });

  it('reads an ISO header with a numeric offset and no colon', () => {
    // Act
    const event = parseSshLine(
      '2025-03-01T12:02:03+0200 web sshd[9]: Accepted password for alice from 203.0.113.45 port 52011 ssh2'
    );

    // Assess
    expect(event?.time).toBe(Date.parse('2025-03-01T10:02:03Z'));
  });

  it('prefers the log event timestamp to a syslog header, which has no year', () => {
    // Act
    const event = parseSshLine(
      'Dec 31 23:59:59 host sshd[1]: Failed password for root from 203.0.113.45 port 1 ssh2',
      { timestamp: Date.parse('2025-01-01T00:00:00Z'), referenceTime: REFERENCE }
    );

    // Assess
    expect(event?.time).toBe(Date.parse('2025-01-01T00:00:00Z'));
  });

  it('puts a syslog date after the reference time into the previous year', () => {
    // Act
    const event = parseSshLine(
      'Dec 31 23:59:59 host sshd[1]: Failed password for root from 203.0.113.45 port 1 ssh2',
      { referenceTime: Date.parse('2025-01-02T00:00:00Z') }
    );

    // Assess
    expect(event?.time).toBe(Date.parse('2024-12-31T23:59:59Z'));
  });

  it("parses a message without any header (the journal's MESSAGE field)", () => {
    // Act
    const event = parseSshLine(
      'Accepted keyboard-interactive/pam for bob from 203.0.113.45 port 22 ssh2'
    );

    // Assess
    expect(event).toMatchObject({
      kind: 'accepted',
      method: 'keyboard-interactive/pam',
      user: 'bob',
    });
    expect(event?.time).toBeUndefined();
  });

  it('parses IPv6 sources and normalizes their spelling', () => {
    // Act
    const event = parseSshLine(
      'Mar  1 09:30:00 h sshd[1]: Failed password for invalid user guest from 2001:DB8:0:0:0:0:0:1 port 60000 ssh2'
    );

    // Assess
    expect(event?.sourceIp).toBe('2001:db8::1');
  });

  it('reads IPv4-mapped IPv6 sources as IPv4', () => {
    // Act
    const event = parseSshLine(
      'Accepted password for ec2-user from ::ffff:203.0.113.45 port 51800 ssh2'
    );

    // Assess
    expect(event?.sourceIp).toBe('203.0.113.45');
  });

  it('unwraps rsyslog\'s "message repeated N times"', () => {
    // Act
    const event = parseSshLine(
      'Feb 28 22:00:30 h sshd[21010]: message repeated 3 times: [ Failed password for root from 198.51.100.7 port 40100 ssh2]'
    );

    // Assess
    expect(event).toMatchObject({ kind: 'failed', user: 'root', repeat: 3 });
  });

  it('parses sshd-session, the process name of OpenSSH 9.8 and later', () => {
    // Act
    const event = parseSshLine(
      'Mar  1 10:02:03 h sshd-session[77]: Invalid user admin from 203.0.113.45 port 51734'
    );

    // Assess
    expect(event?.kind).toBe('invalid_user');
  });

  it('takes the source from the end of the line when the user name forges one', () => {
    // Act
    const failed = parseSshLine(
      'Mar  1 10:02:03 h sshd[7]: Failed password for invalid user x from 10.0.0.1 port 1 ssh2 from 203.0.113.45 port 51734 ssh2'
    );
    const invalid = parseSshLine(
      'Mar  1 10:02:03 h sshd[7]: Invalid user y from 10.0.0.1 port 2 from 203.0.113.45 port 51735'
    );

    // Assess
    expect(failed).toMatchObject({
      sourceIp: '203.0.113.45',
      port: 51734,
      user: 'x from 10.0.0.1 port 1 ssh2',
    });
    expect(invalid).toMatchObject({ sourceIp: '203.0.113.45', user: 'y from 10.0.0.1 port 2' });
  });

  it('keeps an empty user name (sshd logs "Invalid user  from")', () => {
    // Act
    const event = parseSshLine('Mar  1 10:02:03 h sshd[7]: Invalid user  from 203.0.113.45 port 5');

    // Assess
    expect(event).toMatchObject({ kind: 'invalid_user', user: '', sourceIp: '203.0.113.45' });
  });

  it.each([
    [
      'another program',
      'Mar  1 10:14:39 h sudo[1]: Accepted password for root from 203.0.113.45 port 1 ssh2',
    ],
    [
      'another sshd message',
      'Mar  1 10:02:11 h sshd[1]: Connection closed by invalid user admin 203.0.113.45 port 51734 [preauth]',
    ],
    [
      'PAM noise',
      'Mar  1 10:02:04 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 rhost=203.0.113.45',
    ],
    ['garbage', '\u0000\u0007 random bytes ####'],
    ['an empty line', ''],
    [
      'a source that is no address',
      'Mar  1 10:02:03 h sshd[1]: Invalid user a from <script> port 1',
    ],
    ['an out-of-range address', 'Mar  1 10:02:03 h sshd[1]: Invalid user a from 999.1.1.1 port 1'],
    [
      'a huge line',
      `Mar  1 10:02:03 h sshd[1]: Invalid user ${'a'.repeat(10_000)} from 203.0.113.45 port 1`,
    ],
  ])('ignores %s', (_, line) => {
    // Act & Assess
    expect(parseSshLine(line)).toBeUndefined();
  });
});

describe('Function: analyzeSshLog', () => {
  it('counts the workshop brute force from the fixture', () => {
    // Act
    const analysis = analyzeSshLog(fixtureLines(), {
      referenceTime: REFERENCE,
      actorIp: '203.0.113.45',
    });

    // Assess
    expect(analysis).toMatchObject({
      linesRead: 379,
      linesMatched: 242,
      invalidUserLines: 54,
      failedPasswordLines: 188,
      failedOtherLines: 0,
      failedAttempts: 193,
      acceptedLogins: 2,
      distinctSourceIps: 4,
      failingSourceIps: 3,
      distinctUsernames: 6,
      actorIp: '203.0.113.45',
      actorFailedAttempts: 185,
      firstSeen: '2025-02-28T22:00:05.000Z',
      lastSeen: '2025-03-01T10:14:09.000Z',
    });
  });

  it('reports accepted logins from the actor IP, with the attempts before them', () => {
    // Act
    const analysis = analyzeSshLog(fixtureLines(), {
      referenceTime: REFERENCE,
      actorIp: '203.0.113.45',
    });

    // Assess
    expect(analysis.acceptedFromActor).toStrictEqual([
      {
        user: 'ec2-user',
        ip: '203.0.113.45',
        method: 'password',
        count: 1,
        failedBefore: 185,
        firstSeen: '2025-03-01T10:14:09.000Z',
        lastSeen: '2025-03-01T10:14:09.000Z',
      },
    ]);
    expect(analysis.accepted.map((login) => `${login.user}@${login.ip}/${login.method}`)).toEqual([
      'ec2-user@198.51.100.200/publickey',
      'ec2-user@203.0.113.45/password',
    ]);
  });

  it('ranks the source IPs and the user names tried', () => {
    // Act
    const analysis = analyzeSshLog(fixtureLines(), { referenceTime: REFERENCE });

    // Assess
    expect(analysis.topSourceIps.map((s) => [s.ip, s.failedAttempts, s.accepted])).toEqual([
      ['203.0.113.45', 185, 1],
      ['198.51.100.7', 7, 0],
      ['198.51.100.200', 0, 1],
      ['2001:db8::1', 1, 0],
    ]);
    expect(analysis.usernamesTried.map((u) => [u.user, u.failedAttempts, u.invalid])).toEqual([
      ['admin', 50, true],
      ['test', 48, true],
      ['ec2-user', 45, false],
      ['oracle', 45, true],
      ['root', 4, false],
      ['guest', 1, true],
    ]);
  });

  it('reports no accepted login from the actor when the brute force failed', () => {
    // Prepare
    const lines = fixtureLines().filter((line) => !line.includes('Accepted password'));

    // Act
    const analysis = analyzeSshLog(lines, { referenceTime: REFERENCE, actorIp: '203.0.113.45' });

    // Assess
    expect(analysis.acceptedFromActor).toEqual([]);
    expect(analysis.acceptedLogins).toBe(1);
  });

  it('matches the actor however its IPv6 address is spelled', () => {
    // Prepare
    const lines = [
      'Mar  1 10:00:00 h sshd[1]: Failed password for root from 2001:db8::7 port 1 ssh2',
      'Mar  1 10:00:05 h sshd[2]: Accepted password for root from 2001:0db8:0000::0007 port 2 ssh2',
    ];

    // Act
    const analysis = analyzeSshLog(lines, {
      referenceTime: REFERENCE,
      actorIp: '2001:DB8:0:0:0:0:0:7',
    });

    // Assess
    expect(analysis.acceptedFromActor).toHaveLength(1);
    expect(analysis.acceptedFromActor[0]).toMatchObject({ user: 'root', failedBefore: 1 });
  });

  it('counts a refused unknown user once, and its password failures instead when there are some', () => {
    // Prepare
    const lines = [
      'Invalid user a from 203.0.113.45 port 1',
      'Failed password for invalid user a from 203.0.113.45 port 1 ssh2',
      'Failed password for invalid user a from 203.0.113.45 port 1 ssh2',
      'Invalid user b from 203.0.113.45 port 2',
      'Invalid user c from 203.0.113.45',
    ];

    // Act
    const analysis = analyzeSshLog(lines);

    // Assess
    expect(analysis.failedAttempts).toBe(4);
    expect(analysis.invalidUserLines).toBe(3);
    expect(analysis.failedPasswordLines).toBe(2);
  });

  it('uses the CloudWatch event timestamps to order lines without a year', () => {
    // Prepare
    const entries = [
      {
        message: 'Accepted password for ec2-user from 203.0.113.45 port 9 ssh2',
        timestamp: Date.parse('2025-03-01T10:14:09Z'),
      },
      {
        message: 'Failed password for ec2-user from 203.0.113.45 port 8 ssh2',
        timestamp: Date.parse('2025-03-01T10:10:00Z'),
      },
    ];

    // Act
    const analysis = analyzeSshLog(entries, { actorIp: '203.0.113.45' });

    // Assess
    expect(analysis.acceptedFromActor[0]?.failedBefore).toBe(1);
    expect(analysis.firstSeen).toBe('2025-03-01T10:10:00.000Z');
  });

  it('answers an empty analysis for no lines', () => {
    // Act
    const analysis = analyzeSshLog([], { actorIp: '203.0.113.45' });

    // Assess
    expect(analysis).toMatchObject({
      linesRead: 0,
      linesMatched: 0,
      failedAttempts: 0,
      acceptedFromActor: [],
      topSourceIps: [],
    });
    expect(analysis.firstSeen).toBeUndefined();
  });
});

describe('Function: ipVersion', () => {
  it.each([
    ['203.0.113.45', 4],
    ['0.0.0.0', 4],
    ['255.255.255.255', 4],
    ['2001:db8::1', 6],
    ['::', 6],
    ['::1', 6],
    ['::ffff:203.0.113.45', 6],
    ['2001:db8:0:0:0:0:0:1', 6],
    ['fe80::1:2:3:4', 6],
    ['1:2:3:4:5:6:1.2.3.4', 6],
  ])('recognizes %s as IPv%s', (text, version) => {
    // Act & Assess
    expect(ipVersion(text)).toBe(version);
  });

  it.each([
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    '2001:db8::1::2',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    'fe80::1%eth0',
    '2001:db8::/32',
    ':::',
    'gggg::1',
    '12345::1',
    'example.com',
    '',
  ])('rejects %s', (text) => {
    // Act & Assess
    expect(ipVersion(text)).toBeUndefined();
  });
});

describe('Function: normalizeIp', () => {
  it.each([
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['2001:db8:1:1:1:1:1:1', '2001:db8:1:1:1:1:1:1'],
    ['203.0.113.45', '203.0.113.45'],
    ['not an ip', 'not an ip'],
  ])('writes %s as %s', (text, expected) => {
    // Act & Assess
    expect(normalizeIp(text)).toBe(expected);
  });
});
