import type { CardRenderer } from '../ports/CardRenderer';
import type { Clock } from '../ports/Clock';
import {
  type CardState,
  type FindingRecord,
  type FindingStore,
  REFRESH_SKEW_MS,
  type TokenBudget,
} from '../ports/FindingStore';
import {
  delaySecondsFor,
  type Job,
  type JobQueue,
  MAX_DELAY_SECONDS,
  SYSTEM_ACTOR,
} from '../ports/JobQueue';
import type { Logger } from '../ports/Logger';
import type { SlackGateway, SlackMessage } from '../ports/SlackGateway';

const MAX_REFRESH_ROUNDS = 20;
/** The workspace-wide bucket of card edits (see {@link CardDeferral}). */
export const EDIT_BUCKET = 'edits';

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

/**
 * How an edit that cannot happen now is handed on instead of waited for: queued for the worker
 * with SQS's delay, for the moment the card's edit window opens or the workspace's edit budget has
 * a token. Slack allows about 50 `chat.update` a minute per workspace; `editBudget` keeps the
 * deferred (storm) edits under that, leaving room for the edits people's actions cause.
 */
export interface CardDeferral {
  queue: JobQueue;
  editBudget: TokenBudget;
}

/** Collaborators of {@link CardRefresher}. */
export interface CardRefresherDeps {
  store: FindingStore;
  slack: SlackGateway;
  renderer: CardRenderer;
  clock: Clock;
  logger: Logger;
  /** A card is edited at most once per this many milliseconds. */
  intervalMs: number;
  /** Needed for {@link CardRefresher.refresh}'s `defer` mode. */
  deferral?: CardDeferral;
}

/** How {@link CardRefresher.refresh} treats an edit that cannot happen at once. */
type Mode = 'wait' | 'best-effort' | 'defer';

/** The arguments of a refresh job queued by {@link CardRefresher}'s `defer` mode. */
interface DeferredArgs {
  deferred: true;
  key: string;
  dueAt: number;
}

const deferredArgs = (job: Job): DeferredArgs | undefined => {
  const args = job.args as Partial<DeferredArgs> | undefined;
  return args?.deferred === true && typeof args.key === 'string' && typeof args.dueAt === 'number'
    ? (args as DeferredArgs)
    : undefined;
};

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
   * @param options.defer - never wait: edit now if the card's window is open and the workspace's
   *   edit budget has a token, otherwise queue the edit for when it can happen (the notify path and
   *   queued edits, so that a storm never holds an invocation waiting on Slack)
   * @param options.known - the finding as just written (and the card showing it, when the caller
   *   has it), to save the reads of the first round
   */
  public async refresh(
    findingId: string,
    options: {
      bestEffort?: boolean;
      defer?: boolean;
      known?: { record: FindingRecord; card?: CardState };
    } = {}
  ): Promise<void> {
    if (options.defer) {
      await this.#render(findingId, 'defer', options.known);
      return;
    }
    if (options.bestEffort) {
      await this.#render(findingId, 'best-effort').catch((error: unknown) =>
        this.#deps.logger.warn('could not refresh the card now', {
          findingId,
          reason: (error as Error).message,
        })
      );
      return;
    }
    await this.#render(findingId, 'wait');
  }

  /**
   * Runs a queued refresh job. One queued by `defer` mode stays within the edit budget, and can
   * queue itself again: its own mark is due by now, so it holds nobody back (a mark only stands for
   * an edit due later than now) and a new one may replace it. Run early (the clocks of two
   * invocations differ), it first withdraws its mark, so that the mark never outlives the job. Any
   * other refresh (after someone's action) is shown as soon as the window allows.
   */
  public async runQueued(job: Job): Promise<void> {
    if (job.findingId === undefined) return;
    const deferred = deferredArgs(job);
    if (deferred === undefined) {
      await this.refresh(job.findingId);
      return;
    }
    if (deferred.dueAt > this.#deps.clock.now().getTime()) {
      await this.#deps.store.unscheduleRefresh(deferred.key, deferred.dueAt);
    }
    await this.refresh(job.findingId, { defer: true });
  }

  async #render(
    findingId: string,
    mode: Mode,
    known?: { record: FindingRecord; card?: CardState }
  ): Promise<void> {
    const { store, renderer } = this.#deps;
    const since = this.#deps.clock.now().getTime();
    const record = known?.record ?? (await store.getFinding(findingId));
    const placement = record?.placement;
    if (placement?.kind === 'card') {
      // The finding's own card is stored with it: the record just read holds it.
      const card = known?.card ?? record?.card;
      await this.#refresh(findingCardKey(findingId), findingId, { since, mode, card }, async () => {
        const latest = await store.getFinding(findingId);
        if (!latest) throw new Error(`finding ${findingId} vanished from the store`);
        return { version: latest.version, message: renderer.findingCard(latest) };
      });
    } else if (placement?.kind === 'digest') {
      await this.#refresh(
        placement.digestKey,
        undefined,
        { since, mode, via: findingId, card: known?.card },
        async () => {
          const digest = await store.getDigest(placement.digestKey);
          if (!digest) throw new Error(`digest ${placement.digestKey} vanished`);
          return { version: digest.card.version, message: renderer.digestCard(digest) };
        }
      );
    }
  }

  /**
   * Brings a posted card up to its latest version, editing it at most once per update interval:
   * an invocation that finds the window closed waits for it, then renders whatever is latest.
   */
  async #refresh(
    key: string,
    findingId: string | undefined,
    options: { since: number; mode: Mode; via?: string; card?: CardState },
    load: () => Promise<{ version: number; message: SlackMessage }>
  ): Promise<void> {
    const { store, clock, slack, intervalMs } = this.#deps;
    const { mode } = options;
    const via = findingId ?? options.via ?? '';
    for (let round = 0; round < MAX_REFRESH_ROUNDS; round += 1) {
      const known = round === 0 && options.card?.key === key ? options.card : undefined;
      const card = known ?? (await store.getCard(key));
      // Not posted yet: whoever holds the post lease renders the latest version afterwards.
      if (card?.ts === undefined || card.renderedVersion >= card.version) return;
      // A render claimed after our change loads the state after it: ours is carried along. This
      // bounds every caller's wait to about one interval, even while a storm keeps a digest busy.
      if (card.lastRenderedAt > options.since) return;
      // An edit queued for later loads the latest state when it runs: it carries this change.
      if (
        mode === 'defer' &&
        card.refreshDueAt !== undefined &&
        card.refreshDueAt > clock.now().getTime() + REFRESH_SKEW_MS
      ) {
        return;
      }
      const wait = card.lastRenderedAt + intervalMs - clock.now().getTime();
      if (wait > 0) {
        if (mode === 'defer') return this.#defer(key, via, wait);
        if (mode === 'best-effort') return;
        await clock.sleep(Math.min(wait, intervalMs));
        continue;
      }
      if (mode === 'defer') {
        const grant = await store.takeToken(EDIT_BUCKET, clock.now(), this.#deferral().editBudget, {
          takeTurn: true,
          maxRetryInMs: MAX_DELAY_SECONDS * 1000,
        });
        if (!grant.taken) return this.#defer(key, via, grant.retryInMs);
      }
      if (!(await store.claimRender(key, card.lastRenderedAt, clock.now()))) continue;
      const { version, message } = await load();
      try {
        if (mode === 'defer') {
          // Refused despite the budget (edits of people's actions share Slack's limit): try again
          // when Slack says, without waiting here.
          const sent = await slack.tryUpdateMessage(card.channel, card.ts, message);
          if ('rateLimited' in sent) return this.#defer(key, via, sent.retryAfterMs);
        } else {
          await slack.updateMessage(card.channel, card.ts, message);
        }
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
      return;
    }
    this.#deps.logger.warn('card refresh gave up after too many rounds', { key });
  }

  /**
   * Queues the edit of `key` for `inMs` from now (rounded up to SQS's whole seconds), unless an
   * edit queued earlier will run later than now and so carries this change. If the job cannot be
   * queued the mark is withdrawn and the error thrown: the delivery fails and is retried, and the
   * change is never silently left off the card.
   */
  async #defer(key: string, findingId: string, inMs: number): Promise<void> {
    const { store, clock, logger } = this.#deps;
    const now = clock.now();
    // The mark says when the job comes: never later than SQS can delay it.
    const delaySeconds = delaySecondsFor(inMs);
    const dueAt = now.getTime() + delaySeconds * 1000;
    if (!(await store.scheduleRefresh(key, dueAt, now))) return;
    const job: Job = {
      id: `refresh:${key}:${dueAt}`,
      kind: 'refresh',
      findingId,
      requestedBy: SYSTEM_ACTOR,
      requestedAt: now.toISOString(),
      args: { deferred: true, key, dueAt } satisfies DeferredArgs,
    };
    try {
      await this.#deferral().queue.enqueue(job, { delaySeconds });
    } catch (error) {
      await store.unscheduleRefresh(key, dueAt).catch((unscheduleError: unknown) =>
        logger.warn('could not withdraw a card edit that was not queued', {
          key,
          reason: (unscheduleError as Error).message,
        })
      );
      throw error;
    }
    logger.debug('card edit queued for later', { key, findingId, delaySeconds });
  }

  #deferral(): CardDeferral {
    const { deferral } = this.#deps;
    if (deferral === undefined)
      throw new Error('deferred card edits need a queue and an edit budget');
    return deferral;
  }
}
