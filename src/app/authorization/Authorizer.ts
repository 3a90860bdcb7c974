import type { Logger } from '../../ports/Logger';
import type { SlackDirectory } from '../../ports/SlackDirectory';

/** What a request wants to do. */
export type Permission =
  /** Isolate, Release, Approve, Retry: changes the account. */
  | 'contain'
  /** Dismiss, Reopen, suppression rules: changes what GuardDuty shows. */
  | 'dismiss'
  /** Investigate and read-only commands. */
  | 'investigate';

/** Who may do what (see the README's approval configuration). */
export interface AuthorizationPolicy {
  approvers: readonly string[];
  dismissApprovers: readonly string[];
  readOnlyUsers: readonly string[];
  teamId?: string;
  allowedChannels?: readonly string[];
  readOnlyMode: boolean;
}

/** A request to authorize: who, from where, for what. */
export interface AuthorizationRequest {
  permission: Permission;
  userId: string;
  /** The workspace the request came from. */
  teamId?: string;
  /** The user's own workspace (differs for Slack Connect users). */
  userTeamId?: string;
  channelId?: string;
}

export type AuthorizationDecision =
  | { allowed: true; userName: string }
  | { allowed: false; reason: string; userName: string };

/**
 * Decides whether a Slack user may act. Refuses other workspaces, channels outside the allow-list,
 * guests and external (Slack Connect) users, anyone not on the list for the permission, and every
 * change while read-only mode is on. User groups (`S…`) are expanded through the directory.
 */
export class Authorizer {
  readonly #directory: SlackDirectory;
  readonly #policy: AuthorizationPolicy;
  readonly #logger: Logger;

  public constructor(deps: {
    directory: SlackDirectory;
    policy: AuthorizationPolicy;
    logger: Logger;
  }) {
    this.#directory = deps.directory;
    this.#policy = deps.policy;
    this.#logger = deps.logger;
  }

  public async check(request: AuthorizationRequest): Promise<AuthorizationDecision> {
    const policy = this.#policy;
    const deny = (reason: string, userName = request.userId): AuthorizationDecision => ({
      allowed: false,
      reason,
      userName,
    });
    if (policy.teamId !== undefined && request.teamId !== policy.teamId) {
      return deny('This bot only answers its own workspace.');
    }
    if (request.userTeamId !== undefined && request.teamId !== undefined) {
      if (request.userTeamId !== request.teamId) {
        return deny('External (Slack Connect) users cannot act on findings.');
      }
    }
    if (
      policy.allowedChannels !== undefined &&
      (request.channelId === undefined || !policy.allowedChannels.includes(request.channelId))
    ) {
      return deny('This bot is not enabled in this channel.');
    }
    const profile = await this.#directory.user(request.userId);
    const userName = profile?.name ?? request.userId;
    if (!profile || profile.deleted) return deny('Unknown Slack user.', userName);
    if (profile.isExternal)
      return deny('External (Slack Connect) users cannot act on findings.', userName);
    if (profile.isGuest) return deny('Guests cannot act on findings.', userName);
    if (policy.readOnlyMode && request.permission !== 'investigate') {
      return deny('The bot is in read-only mode: it changes nothing in AWS.', userName);
    }
    const lists: Record<Permission, readonly (readonly string[])[]> = {
      contain: [policy.approvers],
      dismiss: [policy.dismissApprovers],
      investigate: [policy.approvers, policy.dismissApprovers, policy.readOnlyUsers],
    };
    const principals = [...new Set(lists[request.permission].flat())];
    if (principals.length === 0) {
      return deny('No approvers are configured for this action (see APPROVERS).', userName);
    }
    if (await this.#isMember(request.userId, principals)) return { allowed: true, userName };
    return deny(
      request.permission === 'investigate'
        ? 'You are not on the responders list for this bot.'
        : 'You are not an approver for this action.',
      userName
    );
  }

  async #isMember(userId: string, principals: readonly string[]): Promise<boolean> {
    if (principals.includes(userId)) return true;
    const groups = principals.filter((principal) => principal.startsWith('S'));
    // Groups are looked up together: the ack path has 3 seconds in all.
    const memberships = await Promise.all(
      groups.map(async (group) => {
        try {
          return (await this.#directory.groupMembers(group)).includes(userId);
        } catch (error) {
          // A group we cannot read grants nothing; the other principals still count.
          this.#logger.warn('could not read a user group', {
            group,
            reason: (error as Error).message,
          });
          return false;
        }
      })
    );
    return memberships.includes(true);
  }
}
