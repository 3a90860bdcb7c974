/** What the bot needs to know about a Slack user to authorize them. */
export interface SlackUserProfile {
  name: string;
  /** Multi- or single-channel guest. */
  isGuest: boolean;
  /** A member of another organization (Slack Connect). */
  isExternal: boolean;
  deleted: boolean;
}

/** Users and user groups of the workspace (users.info, usergroups.users.list). */
export interface SlackDirectory {
  user(userId: string): Promise<SlackUserProfile | undefined>;
  groupMembers(groupId: string): Promise<string[]>;
}
