import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/domain/Finding';
import { routeFinding } from '../../../src/domain/routing';

const finding = (overrides: Partial<Finding>): Finding => ({
  id: 'f1',
  source: 'guardduty',
  type: 'UnauthorizedAccess:EC2/SSHBruteForce',
  title: 't',
  description: 'd',
  severity: 2,
  accountId: '123456789012',
  region: 'us-west-2',
  partition: 'aws',
  createdAt: '2025-03-11T13:58:40.113Z',
  updatedAt: '2025-03-11T14:05:12.870Z',
  count: 1,
  archived: false,
  sample: false,
  resource: { kind: 'Instance', instanceId: 'i-1', tags: {}, networkInterfaces: [] },
  threatListNames: [],
  ...overrides,
});

const options = {
  defaultChannel: 'C0DEFAULT',
  minPostSeverity: 'Low' as const,
  rules: [
    { channel: 'C0CRIT', minSeverity: 'High' as const },
    { channel: 'C0IAM', typePrefix: 'UnauthorizedAccess:IAMUser/' },
    { channel: 'C0PROD', accounts: ['111122223333'] },
  ],
};

describe('Function: routeFinding', () => {
  it.each([
    ['the default channel when no rule matches', {}, 'C0DEFAULT'],
    ['the first rule whose severity matches', { severity: 8 }, 'C0CRIT'],
    [
      'a rule by type prefix',
      { type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom', severity: 5 },
      'C0IAM',
    ],
    ['a rule by account', { accountId: '111122223333' }, 'C0PROD'],
    [
      'the first matching rule when several match',
      { severity: 9, accountId: '111122223333' },
      'C0CRIT',
    ],
  ])('picks %s', (_case, overrides, channel) => {
    // Act
    const decision = routeFinding(finding(overrides), options);

    // Assess
    expect(decision).toStrictEqual({ channel, post: true });
  });

  it('posts Low findings by default, as the workshop brute force is severity 2', () => {
    // Act & Assess
    expect(routeFinding(finding({ severity: 2 }), options).post).toBe(true);
  });

  it('records without posting findings below the configured threshold', () => {
    // Act
    const decision = routeFinding(finding({ severity: 5.5 }), {
      ...options,
      minPostSeverity: 'High',
    });

    // Assess
    expect(decision).toStrictEqual({ channel: 'C0DEFAULT', post: false });
  });
});
