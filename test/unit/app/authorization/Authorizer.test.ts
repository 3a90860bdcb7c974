import { describe, expect, it } from 'vitest';
import { type AuthorizationPolicy, Authorizer } from '../../../../src/app/authorization/Authorizer';
import { FakeSlackDirectory } from '../../../fakes/FakeSlackDirectory';
import { silentLogger } from '../../../fakes/silentLogger';

const policy: AuthorizationPolicy = {
  approvers: ['U0ALICE', 'S0SECOPS'],
  dismissApprovers: ['U0ALICE', 'U0DAVE'],
  readOnlyUsers: ['U0READER'],
  readOnlyMode: false,
};

const directory = () => {
  const fake = new FakeSlackDirectory()
    .addUser('U0ALICE')
    .addUser('U0BOB')
    .addUser('U0CAROL')
    .addUser('U0DAVE')
    .addUser('U0READER')
    .addUser('U0GUEST', { isGuest: true })
    .addUser('U0STRANGER', { isExternal: true });
  fake.groups.set('S0SECOPS', ['U0CAROL']);
  return fake;
};

const authorizer = (overrides: Partial<AuthorizationPolicy> = {}, fake = directory()) =>
  new Authorizer({ directory: fake, policy: { ...policy, ...overrides }, logger: silentLogger });

describe('Class: Authorizer', () => {
  describe('Method: check', () => {
    it.each([
      ['an approver listed by user id', 'U0ALICE', 'contain'],
      ['an approver through a user group', 'U0CAROL', 'contain'],
      ['a dismiss approver', 'U0DAVE', 'dismiss'],
      ['a read-only user, to investigate', 'U0READER', 'investigate'],
      ['an approver, to investigate', 'U0ALICE', 'investigate'],
    ] as const)('allows %s', async (_case, userId, permission) => {
      // Act
      const decision = await authorizer().check({ permission, userId });

      // Assess
      expect(decision).toStrictEqual({ allowed: true, userName: userId.toLowerCase() });
    });

    it.each([
      ['someone on no list', 'U0BOB', 'contain', 'not an approver'],
      ['a read-only user, to contain', 'U0READER', 'contain', 'not an approver'],
      ['a dismiss-only approver, to contain', 'U0DAVE', 'contain', 'not an approver'],
      ['someone on no list, to investigate', 'U0BOB', 'investigate', 'not on the responders list'],
      ['a guest', 'U0GUEST', 'investigate', 'Guests'],
      ['an external user', 'U0STRANGER', 'investigate', 'External'],
      ['an unknown user', 'U0NOBODY', 'investigate', 'Unknown'],
    ] as const)('refuses %s', async (_case, userId, permission, reason) => {
      // Act
      const decision = await authorizer().check({ permission, userId });

      // Assess
      expect(decision.allowed).toBe(false);
      expect(!decision.allowed && decision.reason).toContain(reason);
    });

    it('refuses requests from another workspace when a team is configured', async () => {
      // Act
      const decision = await authorizer({ teamId: 'T0HOME' }).check({
        permission: 'investigate',
        userId: 'U0ALICE',
        teamId: 'T0OTHER',
      });

      // Assess
      expect(!decision.allowed && decision.reason).toContain('own workspace');
    });

    it('refuses Slack Connect users whose own workspace differs from the channel’s', async () => {
      // Act
      const decision = await authorizer().check({
        permission: 'contain',
        userId: 'U0ALICE',
        teamId: 'T0HOME',
        userTeamId: 'T0PARTNER',
      });

      // Assess
      expect(!decision.allowed && decision.reason).toContain('External');
    });

    it('refuses channels outside the allow-list', async () => {
      // Act
      const decision = await authorizer({ allowedChannels: ['C0SEC'] }).check({
        permission: 'contain',
        userId: 'U0ALICE',
        channelId: 'C0RANDOM',
      });

      // Assess
      expect(!decision.allowed && decision.reason).toContain('not enabled in this channel');
    });

    it('refuses every change in read-only mode but still allows investigating', async () => {
      // Prepare
      const readOnly = authorizer({ readOnlyMode: true });

      // Act
      const contain = await readOnly.check({ permission: 'contain', userId: 'U0ALICE' });
      const dismiss = await readOnly.check({ permission: 'dismiss', userId: 'U0ALICE' });
      const investigate = await readOnly.check({ permission: 'investigate', userId: 'U0ALICE' });

      // Assess
      expect(!contain.allowed && contain.reason).toContain('read-only mode');
      expect(dismiss.allowed).toBe(false);
      expect(investigate.allowed).toBe(true);
    });

    it('says so when no approvers are configured', async () => {
      // Act
      const decision = await authorizer({ approvers: [] }).check({
        permission: 'contain',
        userId: 'U0ALICE',
      });

      // Assess
      expect(!decision.allowed && decision.reason).toContain('APPROVERS');
    });

    it('grants nothing through a group it cannot read, and still checks the other principals', async () => {
      // Prepare
      const fake = directory();
      fake.unreadableGroups.add('S0SECOPS');

      // Act
      const carol = await authorizer({}, fake).check({ permission: 'contain', userId: 'U0CAROL' });
      const alice = await authorizer({}, fake).check({ permission: 'contain', userId: 'U0ALICE' });

      // Assess
      expect(carol.allowed).toBe(false);
      expect(alice.allowed).toBe(true);
    });
  });
});
