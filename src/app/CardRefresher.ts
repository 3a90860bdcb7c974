import type { CardRenderer } from '../ports/CardRenderer';
import type { Clock } from '../ports/Clock';
import type { FindingStore } from '../ports/FindingStore';
import type { Logger } from '../ports/Logger';
import type { SlackGateway, SlackMessage } from '../ports/SlackGateway';

const MAX_REFRESH_ROUNDS = 20;

/** Appends a failed Slack call to the finding's audit stream (the error is rethrown by the caller). */
export const recordSlackFailure = async (
  store: FindingStore,
  findingId: string,
  method: string,
  error: unknown,
  now: Date
): Promise<void> => {
  await store
    .appendAudit(findingId, {
      at: now.toISOString(),
      kind: 'slack.failed',
      actor: 'system',
      dedupeKey: `${method}:${now.getTime()}`,
      result: (error as { slackError?: string }).slackError ?? (error as Error).name ?? 'error',
      detail: { method, message: (error as Error).message?.slice(0, 300) },
    })
    .catch(() => undefined);
};

/** The store key of a finding's own card. */
export const findingCardKey = (findingId: string): string => `FINDING#${findingId}`;

/** Collaborators of {@link CardRefresher}. */
export interface CardRefresherDeps {
  store: FindingStore;
  slack: SlackGateway;
  renderer: CardRenderer;
  clock: Clock;
  logger: Logger;
  /** A card is edited at most once per this many milliseconds. */
  intervalMs: number;
}

/**
 * Keeps a finding's card (or the digest that gathered it) in step with the store. Any change that
 * bumps the record's version (a re-published finding, an action's new state) is shown by calling
 * {@link CardRefresher.refresh}; edits are coalesced to at most one per interval per card, and the
 * edit always renders the latest state, never a rolled-back one.
 */
export class CardRefresher {
  readonly #deps: CardRefresherDeps;

  public constructor(deps: CardRefresherDeps) {
    this.#deps = deps;
  }

  /**
   * Brings the card showing `findingId` up to date with every change made before this call;
   * does nothing while the finding has no card. A caller waits at most about one update interval:
   * once anyone claims a render after the call began, that render (which loads the latest state)
   * carries the caller's change too.
   *
   * @param options.bestEffort - never wait and never fail (for "in progress" notices that must not
   *   delay or break the work they announce); a later refresh shows the state
   */
  public async refresh(findingId: string, options: { bestEffort?: boolean } = {}): Promise<void> {
    if (options.bestEffort) {
      await this.#render(findingId, false).catch((error: unknown) =>
        this.#deps.logger.warn('could not refresh the card now', {
          findingId,
          reason: (error as Error).message,
        })
      );
      return;
    }
    await this.#render(findingId, true);
  }

  async #render(findingId: string, wait: boolean): Promise<void> {
    const { store, renderer } = this.#deps;
    const since = this.#deps.clock.now().getTime();
    const record = await store.getFinding(findingId);
    const placement = record?.placement;
    if (placement?.kind === 'card') {
      await this.#refresh(findingCardKey(findingId), findingId, { since, wait }, async () => {
        const latest = await store.getFinding(findingId);
        if (!latest) throw new Error(`finding ${findingId} vanished from the store`);
        return { version: latest.version, message: renderer.findingCard(latest) };
      });
    } else if (placement?.kind === 'digest') {
      await this.#refresh(placement.digestKey, undefined, { since, wait }, async () => {
        const digest = await store.getDigest(placement.digestKey);
        if (!digest) throw new Error(`digest ${placement.digestKey} vanished`);
        return { version: digest.card.version, message: renderer.digestCard(digest) };
      });
    }
  }

  /**
   * Brings a posted card up to its latest version, editing it at most once per update interval:
   * an invocation that finds the window closed waits for it, then renders whatever is latest.
   */
  async #refresh(
    key: string,
    findingId: string | undefined,
    options: { since: number; wait: boolean },
    load: () => Promise<{ version: number; message: SlackMessage }>
  ): Promise<void> {
    const { store, clock, slack, intervalMs } = this.#deps;
    for (let round = 0; round < MAX_REFRESH_ROUNDS; round += 1) {
      const card = await store.getCard(key);
      // Not posted yet: whoever holds the post lease renders the latest version afterwards.
      if (card?.ts === undefined || card.renderedVersion >= card.version) return;
      // A render claimed after our change loads the state after it: ours is carried along. This
      // bounds every caller's wait to about one interval, even while a storm keeps a digest busy.
      if (card.lastRenderedAt > options.since) return;
      const wait = card.lastRenderedAt + intervalMs - clock.now().getTime();
      if (wait > 0) {
        if (!options.wait) return;
        await clock.sleep(Math.min(wait, intervalMs));
        continue;
      }
      if (!(await store.claimRender(key, card.lastRenderedAt, clock.now()))) continue;
      const { version, message } = await load();
      try {
        await slack.updateMessage(card.channel, card.ts, message);
      } catch (error) {
        if (findingId !== undefined)
          await recordSlackFailure(store, findingId, 'chat.update', error, clock.now());
        throw error;
      }
      await store.markRendered(key, version);
      if (findingId !== undefined) {
        await store.appendAudit(findingId, {
          at: clock.now().toISOString(),
          kind: 'card.updated',
          actor: 'system',
          dedupeKey: `v${version}`,
          result: 'ok',
          detail: { channel: card.channel, ts: card.ts, version },
        });
      }
    }
    this.#deps.logger.warn('card refresh gave up after too many rounds', { key });
  }
}
