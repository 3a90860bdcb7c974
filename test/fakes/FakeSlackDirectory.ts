import type { SlackDirectory, SlackUserProfile } from '../../src/ports/SlackDirectory';

/** An in-memory workspace: users and user groups. */
export class FakeSlackDirectory implements SlackDirectory {
  readonly users = new Map<string, SlackUserProfile>();
  readonly groups = new Map<string, string[]>();
  readonly unreadableGroups = new Set<string>();

  public addUser(id: string, profile: Partial<SlackUserProfile> = {}): this {
    this.users.set(id, {
      name: id.toLowerCase(),
      isGuest: false,
      isExternal: false,
      deleted: false,
      ...profile,
    });
    return this;
  }

  public async user(userId: string): Promise<SlackUserProfile | undefined> {
    return this.users.get(userId);
  }

  public async groupMembers(groupId: string): Promise<string[]> {
    if (this.unreadableGroups.has(groupId)) throw new Error('missing_scope');
    return this.groups.get(groupId) ?? [];
  }
}
