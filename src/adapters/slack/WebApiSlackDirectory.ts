import type { WebClient } from '@slack/web-api';
import { SlackCallError } from '../../domain/errors';
import type { SlackDirectory, SlackUserProfile } from '../../ports/SlackDirectory';
import { slackErrorCode } from './WebApiSlackGateway';

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * {@link SlackDirectory} on the Web API, cached per container for a few minutes so that the ack
 * path pays for users.info / usergroups.users.list at most once per user and group.
 */
export class WebApiSlackDirectory implements SlackDirectory {
  readonly #client: WebClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #users = new Map<string, Cached<SlackUserProfile | undefined>>();
  readonly #groups = new Map<string, Cached<string[]>>();

  public constructor(options: { client: WebClient; ttlMs?: number; now?: () => number }) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  public async user(userId: string): Promise<SlackUserProfile | undefined> {
    return this.#cached(this.#users, userId, async () => {
      try {
        const { user } = await this.#client.users.info({ user: userId });
        if (!user) return undefined;
        return {
          name: user.name ?? userId,
          isGuest: Boolean(user.is_restricted || user.is_ultra_restricted),
          isExternal: Boolean((user as { is_stranger?: boolean }).is_stranger),
          deleted: Boolean(user.deleted),
        };
      } catch (error) {
        if (slackErrorCode(error) === 'user_not_found') return undefined;
        throw new SlackCallError('users.info', slackErrorCode(error), { cause: error });
      }
    });
  }

  public async groupMembers(groupId: string): Promise<string[]> {
    return this.#cached(this.#groups, groupId, async () => {
      try {
        const { users } = await this.#client.usergroups.users.list({ usergroup: groupId });
        return users ?? [];
      } catch (error) {
        throw new SlackCallError('usergroups.users.list', slackErrorCode(error), { cause: error });
      }
    });
  }

  async #cached<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && hit.until > this.#now()) return hit.value;
    const value = await load();
    cache.set(key, { value, until: this.#now() + this.#ttlMs });
    return value;
  }
}
