import { randomUUID } from 'node:crypto';
import { SlackCallError } from '../domain/errors';
import { type Finding, isAtLeast, resourceLabel } from '../domain/Finding';
import { type RoutingOptions, routeFinding } from '../domain/routing';
import type { CardRenderer } from '../ports/CardRenderer';
import type { Clock } from '../ports/Clock';
import {
  type AuditEntry,
  type CardState,
  type DigestItem,
  type FindingRecord,
  type FindingStore,
  type Placement,
  type SaveOutcome,
  sameDigestEntry,
  type TokenBudget,
} from '../ports/FindingStore';
import { delaySecondsFor, type Job, type JobQueue, SYSTEM_ACTOR } from '../ports/JobQueue';
import type { Logger } from '../ports/Logger';
import type { SlackGateway } from '../ports/SlackGateway';
import { CardRefresher, findingCardKey, recordSlackFailure } from './CardRefresher';
import { RetryLaterError } from './jobs/retry';

/** Settings of the notify path (see the README's configuration table). */
export interface FindingNotifierOptions {
  routing: RoutingOptions;
  /** Own-card posting budget per channel. */
  postBudget: TokenBudget;
  /** Card edits the notify path may make in the workspace (the rest are queued for later). */
  editBudget: TokenBudget;
  /** A card is edited at most once per this many milliseconds. */
  cardUpdateIntervalMs: number;
  /** How long a placement or post lease lasts before another invocation may take over. @default 60000 */
  leaseMs?: number;
}

/** Collaborators of {@link FindingNotifier}. */
export interface FindingNotifierDeps {
  store: FindingStore;
  /**
   * Where card edits that cannot happen now, and the posts of High findings' cards and digests
   * that Slack refused with 429, are queued (the worker makes them later).
   */
  queue: JobQueue;
  slack: SlackGateway;
  renderer: CardRenderer;
  clock: Clock;
  logger: Logger;
  options: FindingNotifierOptions;
  /** Names each delivery as the holder of the placement leases it takes. @default randomUUID */
  newId?: () => string;
}

/** What happened to one delivered finding. */
export interface NotifyResult {
  findingId: string;
  outcome: SaveOutcome;
  /** Where the finding is shown, when known after this delivery. */
  placement?: Placement['kind'];
}

/** A finding as delivered by one event. */
export interface FindingDelivery {
  finding: Finding;
  /** The event's id (EventBridge envelope `id`): deliveries of one event share it. */
  eventId: string;
  /** The event's time (EventBridge envelope `time`). */
  eventTime: string;
}

/**
 * How long a repeated or stale delivery refused the placement lease waits for it to run out: its
 * holder may have died (this delivery may be its retry, which Lambda sends about a minute after
 * the failure, as the lease runs out). A lease with longer to go is left to its holder.
 */
const LEASE_WAIT_MS = 15_000;
/** Slack's pace for posts in one channel: about one a second, with 429 beyond. */
const SLACK_POST_INTERVAL_MS = 1_000;
/** Past the lease's end before asking again, for clock skew between invocations. */
const LEASE_SKEW_MS = 250;
/**
 * How long before a retried delivery the attempt it retries may have gathered the finding: Lambda
 * retries a failed event about one and then two minutes after the failure, and an attempt runs for
 * up to a lease.
 */
const PLACING_ATTEMPTS_MS = 6 * 60_000;

/** `DIGEST#<channel>#<yyyy-mm-ddThh:mm>`: one digest per channel and minute. */
const digestKeyFor = (channel: string, now: Date): { digestKey: string; minuteStart: string } => {
  const minuteStart = `${now.toISOString().slice(0, 16)}:00.000Z`;
  return { digestKey: `DIGEST#${channel}#${minuteStart.slice(0, 16)}`, minuteStart };
};

/**
 * Waits for two independent writes to finish, so that neither is still running when the delivery
 * ends, and fails with the first one's error if either failed.
 */
const bothFinished = async <A, B>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> => {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
};

/** Whether a delivery saved a new version of its finding. */
const isFresh = (outcome: SaveOutcome): boolean => outcome === 'created' || outcome === 'updated';

/**
 * The audit entry of a delivered version, deduplicated by its event id: received when the delivery
 * saved a new version (`outcome`), ignored otherwise.
 */
export const receiptEntry = (
  delivery: FindingDelivery,
  outcome: SaveOutcome,
  at: Date
): AuditEntry => ({
  at: at.toISOString(),
  kind: isFresh(outcome) ? 'finding.received' : 'finding.ignored',
  actor: 'system',
  dedupeKey: delivery.eventId,
  result: outcome,
  detail: {
    eventId: delivery.eventId,
    eventTime: delivery.eventTime,
    count: delivery.finding.count,
    updatedAt: delivery.finding.updatedAt,
  },
});

/**
 * The arguments of a queued post: for a finding's own card, the delivery (or run) whose placement
 * lease the job takes over; for the digest the finding was gathered into, that digest.
 */
type QueuedPostArgs = { holder: string } | { digestKey: string };

/** A queued post's finding and arguments; undefined when the job names no finding, holder or digest. */
const queuedPostArgs = (job: Job): (QueuedPostArgs & { findingId: string }) | undefined => {
  const args = job.args as { holder?: unknown; digestKey?: unknown } | undefined;
  if (job.findingId === undefined) return undefined;
  if (typeof args?.digestKey === 'string') {
    return { findingId: job.findingId, digestKey: args.digestKey };
  }
  return typeof args?.holder === 'string'
    ? { findingId: job.findingId, holder: args.holder }
    : undefined;
};

/** Where {@link FindingNotifier}'s placement put a finding, and the digest's card if it gathered it. */
interface Placed {
  placement: Placement;
  digestCard?: CardState;
}

const digestItem = (finding: Finding): DigestItem => ({
  findingId: finding.id,
  type: finding.type,
  severity: finding.severity,
  resource: resourceLabel(finding.resource),
  title: finding.title,
});

/**
 * The notify use case: records every delivered finding and keeps exactly one living Slack
 * card per finding (or a place in a storm digest), updated in place and never rolled back.
 *
 * Safe under at-least-once, concurrent and out-of-order delivery: the store's conditional
 * writes decide which version is newest, who places a finding, who posts a card and who
 * edits it; every other invocation only records and leaves.
 */
export class FindingNotifier {
  readonly #deps: FindingNotifierDeps;
  readonly #leaseMs: number;
  readonly #newId: () => string;
  readonly #cards: CardRefresher;
  /**
   * Per channel, the earliest time (epoch ms) the next post this container queues after a 429 (a
   * High finding's card, a digest) is due: one second, Slack's pace, after the last, so that posts
   * refused together do not all come back in the same second, where Slack lets one through.
   */
  readonly #queuedPostLine = new Map<string, number>();

  public constructor(deps: FindingNotifierDeps) {
    this.#deps = deps;
    this.#leaseMs = deps.options.leaseMs ?? 60_000;
    this.#newId = deps.newId ?? randomUUID;
    this.#cards = new CardRefresher({
      ...deps,
      intervalMs: deps.options.cardUpdateIntervalMs,
      deferral: { queue: deps.queue, editBudget: deps.options.editBudget },
    });
  }

  /** Records one delivered finding and brings Slack up to date with it. */
  public async notify(delivery: FindingDelivery): Promise<NotifyResult> {
    const { store, clock, options } = this.#deps;
    const { finding } = delivery;
    const route = routeFinding(finding, options.routing);
    const holder = this.#newId();
    // A finding to be posted is placed by the delivery that creates its record, under the lease
    // the save takes for it; one only recorded takes none.
    const { outcome, record } = await store.saveFinding({
      finding,
      channel: route.channel,
      now: clock.now(),
      ...(route.post ? { placementLease: { holder, ms: this.#leaseMs } } : {}),
    });
    const fresh = isFresh(outcome);
    // A fresh version is saved by exactly one delivery (the conditional write above), so its entry
    // needs no marker; repeated deliveries (ignored) are deduplicated by event id.
    const audited = store.appendAudit(finding.id, receiptEntry(delivery, outcome, clock.now()), {
      once: fresh,
    });
    // A duplicate still goes on: the delivery it repeats may have failed half-way (Slack down),
    // and finishing that work is idempotent. A stale version changes nothing, but it may be the
    // retry of a delivery that failed before Slack showed what newer deliveries recorded (they
    // relied on it): it finishes that.
    const shown =
      outcome === 'stale'
        ? this.#catchUp(record, holder)
        : this.#show(record, route.post, { fresh, holder });
    // The audit entry and the card are independent once the finding is saved: written at once.
    const [, placement] = await bothFinished(audited, shown);
    if (outcome === 'stale') return { findingId: finding.id, outcome };
    return { findingId: finding.id, outcome, placement: placement?.kind };
  }

  /**
   * Runs a post queued by {@link FindingNotifier.notify} (see #queuePost). This run first takes the
   * placement lease over from the delivery (or run) that queued it, or takes it if free (the lease
   * ran out, or an earlier run failed and released it): of two runs of one job only one places the
   * finding, from the version recorded once the lease is held (routed again: it may no longer be
   * posted at all), as that delivery would have. A finding placed by now (by an earlier run, which
   * may have failed before it showed the versions saved meanwhile) is brought up to date instead.
   * One still unplaced under someone else's lease fails the job, so that SQS runs it again once
   * that lease has run out, when the finding is placed or the lease is free (its holder may die).
   * A digest's post (see #queueDigestPost) brings the digest of the finding it names up to date.
   */
  public async postQueued(job: Job): Promise<void> {
    const { store, clock, options } = this.#deps;
    const args = queuedPostArgs(job);
    if (args === undefined) {
      throw new Error(`post job ${job.id} names no finding, lease holder or digest`);
    }
    if ('digestKey' in args) {
      await this.#postQueuedDigest(args.findingId, args.digestKey);
      return;
    }
    const holder = this.#newId();
    const taken = await store.lockPlacement(args.findingId, clock.now(), this.#leaseMs, holder, {
      takeOverFrom: args.holder,
    });
    const record = await store.getFinding(args.findingId);
    if (record === undefined) throw new Error(`finding ${args.findingId} is not in the store`);
    const { placement } = record;
    if (placement !== undefined && placement.kind !== 'record-only') {
      await this.#showPlaced(record, placement);
      return;
    }
    if (!taken) {
      const lease = record.placementLease;
      throw new RetryLaterError(
        `finding ${args.findingId} is being placed under another lease (${lease?.holder}): tried again later`,
        lease === undefined ? {} : { retryInMs: lease.until - clock.now().getTime() }
      );
    }
    const { post } = routeFinding(record.finding, options.routing);
    await this.#show(record, post, { fresh: false, holder });
  }

  /**
   * Runs a digest's post queued by #queueDigestPost: posts the digest of the finding the job names
   * unless someone has, then brings it up to date like any placed finding's. The post lease
   * #queueDigestPost left ends when the job is due; a job come a little early waits for that end.
   * Refused again, the post is queued again. A digest someone else is posting (under a post lease
   * that is not about to end) fails the job, so that SQS runs it again once that lease has run
   * out: its holder may die before it posts.
   */
  async #postQueuedDigest(findingId: string, digestKey: string): Promise<void> {
    const { store, clock } = this.#deps;
    const record = await store.getFinding(findingId);
    const placement = record?.placement;
    if (record === undefined || placement?.kind !== 'digest' || placement.digestKey !== digestKey) {
      throw new Error(`finding ${findingId} is not in digest ${digestKey}`);
    }
    const held = await store.getCard(digestKey);
    const heldMs = held?.ts === undefined ? (held?.postLockUntil ?? 0) - clock.now().getTime() : 0;
    const waited = heldMs > 0 && heldMs <= LEASE_WAIT_MS;
    if (waited) await clock.sleep(heldMs + LEASE_SKEW_MS);
    // The card as just read, unless this run waited: it is read again then.
    const posting = await this.#ensureDigestPosted(digestKey, findingId, waited ? undefined : held);
    if (posting === 'queued') return;
    const card =
      posting === undefined || posting === 'being-posted'
        ? await store.getCard(digestKey)
        : posting;
    if (card?.ts === undefined) {
      throw new RetryLaterError(
        `digest ${digestKey} is being posted under another lease: tried again later`,
        { retryInMs: (card?.postLockUntil ?? 0) - clock.now().getTime() }
      );
    }
    await this.#showPlaced(record, placement);
  }

  /**
   * @param delivery.fresh - this delivery saved a new version
   * @param delivery.holder - the name of this delivery's placement leases
   */
  async #show(
    record: FindingRecord,
    post: boolean,
    delivery: { fresh: boolean; holder: string }
  ): Promise<Placement | undefined> {
    const { fresh, holder } = delivery;
    let placement = record.placement;
    let digestCard: CardState | undefined;
    if (placement === undefined || placement.kind === 'record-only') {
      // Only a fresh version can count on the lease's holder to show it once placed.
      const waitForLease = !fresh;
      if (!post) return placement ?? this.#recordOnly(record, holder, waitForLease);
      const placed = await this.#place(record, holder, waitForLease);
      if (placed === undefined) return undefined;
      ({ placement, digestCard } = placed);
    } else if (placement.kind === 'digest') {
      // The digest exists already; only its entry for this finding is refreshed. A digest shows
      // no counts, so a fresh version whose entry reads the same leaves it as it is.
      const changed = await this.#refreshDigestEntry(record, placement.digestKey);
      if (fresh && !changed) return placement;
    }
    await this.#upToDate(record, placement, digestCard);
    return placement;
  }

  /**
   * Posts the digest if nobody has, and brings the card or digest showing the finding up to its
   * recorded state. Never waits on Slack: an edit that cannot happen now is queued for when it can.
   *
   * @param gathered - the digest's card as this delivery's placement left it, when it did
   */
  async #upToDate(
    record: FindingRecord,
    placement: Placement,
    gathered?: CardState
  ): Promise<void> {
    const findingId = record.finding.id;
    let digestCard: CardState | undefined;
    if (placement.kind === 'digest') {
      const posting = await this.#ensureDigestPosted(placement.digestKey, findingId, gathered);
      if (posting === 'being-posted' || posting === 'queued') return;
      digestCard = posting;
    }
    const known = await this.#known(record, placement, digestCard);
    await this.#cards.refresh(findingId, {
      defer: true,
      ...(known === undefined ? {} : { known }),
    });
  }

  /**
   * What was just read or written saves the refresh its first round of reads: the record holds the
   * finding's own card too (unless this delivery placed the finding just now: then the card was
   * written after the record, and is read once), and the digest's card was read just before.
   */
  async #known(
    record: FindingRecord,
    placement: Placement,
    digestCard: CardState | undefined
  ): Promise<{ record: FindingRecord; card?: CardState } | undefined> {
    if (placement === record.placement) {
      return { record, ...(digestCard === undefined ? {} : { card: digestCard }) };
    }
    if (digestCard !== undefined) return { record: { ...record, placement }, card: digestCard };
    return placement.kind === 'card' ? this.#knownAfterPost(record.finding.id) : undefined;
  }

  /**
   * Brings the finding's digest entry up to the record, unless the digest shows it as it reads
   * already (recorded with the finding: no DynamoDB write at all for most re-publications in a
   * storm). The entry is written only while the record is the latest version, so a retried or
   * slow delivery never puts an older entry over a newer one, and a retry repairs an entry its
   * first attempt saved but could not write. True when the digest changed.
   */
  async #refreshDigestEntry(record: FindingRecord, digestKey: string): Promise<boolean> {
    const entry = digestItem(record.finding);
    if (sameDigestEntry(record.digestEntry, entry)) return false;
    return this.#deps.store.addToDigest({
      digestKey,
      channel: record.channel,
      minuteStart: record.firstReceivedAt,
      item: entry,
      from: { updatedAt: record.finding.updatedAt, count: record.finding.count },
    });
  }

  /**
   * Undefined: an earlier version is being posted (its card or digest will show this one). The
   * lease of `holder` (this delivery, or a queued post's run) does not stop it.
   */
  async #recordOnly(
    record: FindingRecord,
    holder: string,
    waitForLease: boolean
  ): Promise<Placement | undefined> {
    const placement = { kind: 'record-only', reason: 'below MIN_POST_SEVERITY' } as const;
    const { store, clock } = this.#deps;
    const recorded = await this.#onceLeaseFree(record, waitForLease, () =>
      store.setRecordOnly(record.finding.id, placement.reason, clock.now(), holder)
    );
    if (!recorded) return undefined;
    await this.#audit(record.finding.id, {
      at: this.#deps.clock.now().toISOString(),
      kind: 'finding.recorded',
      actor: 'system',
      dedupeKey: `v${record.version}`,
      result: 'not-posted',
      detail: { reason: placement.reason },
    });
    return placement;
  }

  /**
   * Runs `attempt` (a write that needs the finding's placement lease free, or ours) and, when it
   * is refused and `wait` is set, once more after the lease the record shows runs out, if it does
   * so within {@link LEASE_WAIT_MS}.
   */
  async #onceLeaseFree(
    record: FindingRecord,
    wait: boolean,
    attempt: () => Promise<boolean>
  ): Promise<boolean> {
    if (await attempt()) return true;
    const { clock } = this.#deps;
    const remaining = (record.placementLease?.until ?? 0) - clock.now().getTime();
    if (!wait || remaining <= 0 || remaining > LEASE_WAIT_MS) return false;
    await clock.sleep(remaining + LEASE_SKEW_MS);
    return attempt();
  }

  /**
   * Decides between an own card and the storm digest, and posts, under the placement lease of
   * `holder` (taken by the save that created the record, or now). Undefined: someone else is
   * placing it.
   */
  async #place(
    record: FindingRecord,
    holder: string,
    waitForLease: boolean
  ): Promise<Placed | undefined> {
    const { store, clock, slack, renderer, options, logger } = this.#deps;
    const findingId = record.finding.id;
    const lease = record.placementLease;
    const leased = lease?.holder === holder && lease.until > clock.now().getTime();
    const locked =
      leased ||
      (await this.#onceLeaseFree(record, waitForLease, () =>
        store.lockPlacement(findingId, clock.now(), this.#leaseMs, holder)
      ));
    if (!locked) return undefined;
    try {
      // High and Critical findings always get their own card; the budget only gathers the rest.
      const mustPost = isAtLeast(record.finding.severity, 'High');
      // A retry that takes the placement over from a failed attempt, which may have gathered the
      // finding into a digest before it failed: the finding goes to that digest, which shows it.
      const earlier =
        leased || !waitForLease || mustPost
          ? undefined
          : await this.#digestOfEarlierAttempt(record);
      const hasToken =
        earlier === undefined &&
        (await store.takeToken(`posts#${record.channel}`, clock.now(), options.postBudget)).taken;
      if (hasToken || mustPost) {
        // Rendered from the record as saved: a version saved since is shown by the refresh that
        // follows the post (its delivery found the finding unplaced and left the card to us).
        const placement: Placement = { kind: 'card' };
        // An earlier attempt may have posted the card and died before recording its placement
        // (the card is stored with the finding, so the record tells).
        if (record.card?.ts !== undefined) {
          await store.setPlacement(findingId, placement);
          return { placement };
        }
        const card = renderer.findingCard(record);
        const sent = await slack.tryPostMessage(record.channel, card);
        if ('ts' in sent) {
          // Once Slack has the card, recording it and its audit entry are independent.
          await bothFinished(
            store.markPosted(findingCardKey(findingId), {
              ts: sent.ts,
              renderedVersion: record.version,
              now: clock.now(),
              placement,
            }),
            this.#audit(findingId, {
              at: clock.now().toISOString(),
              kind: 'card.posted',
              actor: 'system',
              dedupeKey: sent.ts,
              result: 'ok',
              detail: { channel: record.channel, ts: sent.ts, overBudget: !hasToken },
            })
          );
          return { placement };
        }
        // A High or Critical finding keeps its own card: the worker posts it when Slack says,
        // under this delivery's lease, and nobody waits on Slack meanwhile.
        if (mustPost) {
          await this.#queuePost(findingId, record.channel, holder, sent.retryAfterMs);
          return undefined;
        }
        // Within budget, a 429 means Slack's count differs from ours: the finding goes to the
        // digest instead of waiting.
        logger.info('Slack refused the post (429): the finding goes to the digest', {
          findingId,
          retryAfterMs: sent.retryAfterMs,
        });
      }
      const { digestKey, minuteStart } = earlier ?? digestKeyFor(record.channel, clock.now());
      // The entry first, then the placement with the entry it shows: until the finding is placed,
      // only the holder of its placement lease writes its entry.
      const entry = digestItem(record.finding);
      const digestCard = await store.gatherIntoDigest({
        digestKey,
        channel: record.channel,
        minuteStart,
        item: entry,
      });
      const placement: Placement = { kind: 'digest', digestKey };
      const placed = await store.setPlacement(findingId, placement, { digestEntry: entry });
      // A version saved while the lease was held was left to this delivery: its entry goes in now
      // (nothing is written when it reads the same). The digest's card as gathered then still
      // tells whether the digest is posted, unless that moved its version again.
      const moved = await this.#refreshDigestEntry(placed, digestKey);
      logger.info('finding gathered into the digest (posting budget spent or Slack said 429)', {
        findingId,
        digestKey,
      });
      // Placed once (the lease above, then the placement): its entry needs no dedupe marker.
      await this.#audit(
        findingId,
        {
          at: clock.now().toISOString(),
          kind: 'card.digested',
          actor: 'system',
          dedupeKey: digestKey,
          result: 'ok',
          detail: { channel: record.channel, digestKey },
        },
        { once: true }
      );
      return moved ? { placement } : { placement, digestCard };
    } catch (error) {
      if (error instanceof SlackCallError) {
        await recordSlackFailure(store, findingId, error.method, error, clock.now());
      }
      await store
        .releasePlacement(findingId, holder)
        .catch((releaseError: unknown) =>
          logger.warn('could not release the placement lease', { findingId, releaseError })
        );
      throw error;
    }
  }

  /**
   * Hands the post of a finding's own card that Slack refused with 429 to the worker (#enqueuePost)
   * and extends this delivery's placement lease over the delay and a lease more: the job takes the
   * lease over and finds the finding still to be placed (versions saved meanwhile leave it to the
   * job, which renders the latest). If the post cannot be queued, the delivery fails (its lease
   * released by #place) and Lambda's retry places the finding.
   */
  async #queuePost(
    findingId: string,
    channel: string,
    holder: string,
    retryAfterMs: number
  ): Promise<void> {
    const { store, clock, logger } = this.#deps;
    const now = clock.now();
    const delaySeconds = await this.#enqueuePost(findingId, channel, retryAfterMs, now, {
      holder,
    });
    const extended = await store.lockPlacement(
      findingId,
      now,
      delaySeconds * 1000 + this.#leaseMs,
      holder
    );
    logger.info("Slack refused the post (429): the card's post is queued for when Slack says", {
      findingId,
      delaySeconds,
      // Not extended: the lease ran out and someone else took it; the job then finds the finding
      // placed, or fails and is run again later.
      leaseExtended: extended,
    });
  }

  /**
   * Hands the post of a digest that Slack refused with 429 to the worker (#enqueuePost), as a post
   * job of the finding this delivery gathered into it, and keeps the digest's post lease from
   * everyone until the job is due: the deliveries meanwhile leave the digest to the job, which posts
   * the latest version. If the job cannot be queued, the delivery fails (the lease released) and
   * Lambda's retry, or the next delivery gathering a finding, posts the digest.
   */
  async #queueDigestPost(
    findingId: string,
    digestKey: string,
    channel: string,
    retryAfterMs: number
  ): Promise<void> {
    const { store, clock, logger } = this.#deps;
    const now = clock.now();
    const delaySeconds = await this.#enqueuePost(findingId, channel, retryAfterMs, now, {
      digestKey,
    });
    await store.releaseCardPost(digestKey, { notBefore: now.getTime() + delaySeconds * 1000 });
    logger.info("Slack refused the digest's post (429): it is queued for when Slack says", {
      findingId,
      digestKey,
      delaySeconds,
    });
  }

  /**
   * Queues a post job that Slack's 429 said to try in `retryAfterMs`, due then, or a second after
   * the last post this container queued for the channel if that is later (#queuedPostLine), and
   * never later than SQS can delay a job. Returns its delay, in whole seconds.
   */
  async #enqueuePost(
    findingId: string,
    channel: string,
    retryAfterMs: number,
    now: Date,
    args: QueuedPostArgs
  ): Promise<number> {
    const nowMs = now.getTime();
    const turn = Math.max(nowMs + retryAfterMs, this.#queuedPostLine.get(channel) ?? 0);
    const delaySeconds = delaySecondsFor(turn - nowMs);
    await this.#deps.queue.enqueue(
      {
        id: `post:${findingId}:${'holder' in args ? args.holder : args.digestKey}:${nowMs}`,
        kind: 'post',
        findingId,
        requestedBy: SYSTEM_ACTOR,
        requestedAt: now.toISOString(),
        args,
      },
      { delaySeconds }
    );
    // From the time the job is due, in whole seconds: the next one is due a full interval later.
    this.#queuedPostLine.set(channel, nowMs + delaySeconds * 1000 + SLACK_POST_INTERVAL_MS);
    return delaySeconds;
  }

  /**
   * The digest an earlier attempt to place the finding gathered it into, if any: one of the
   * minutes of the last {@link PLACING_ATTEMPTS_MS}, since the finding's first receipt (one read
   * each, only when a retry takes the placement over).
   */
  async #digestOfEarlierAttempt(
    record: FindingRecord
  ): Promise<{ digestKey: string; minuteStart: string } | undefined> {
    const now = this.#deps.clock.now().getTime();
    const from = Math.max(Date.parse(record.firstReceivedAt), now - PLACING_ATTEMPTS_MS);
    const minutes: { digestKey: string; minuteStart: string }[] = [];
    for (let at = from - (from % 60_000); at <= now; at += 60_000) {
      minutes.push(digestKeyFor(record.channel, new Date(at)));
    }
    if (minutes.length === 0) return undefined;
    const holding = await this.#deps.store.digestHolding(
      record.finding.id,
      minutes.map((minute) => minute.digestKey)
    );
    return minutes.find((minute) => minute.digestKey === holding);
  }

  /**
   * Brings Slack up to the recorded state of a finding, without changing its version: an unplaced
   * finding is placed, the digest is posted if nobody could, its entry for the finding written if
   * the delivery that saved it could not, and a card or digest that shows an older version is
   * edited (or queued). Costs nothing more than the reads when all is shown.
   */
  async #catchUp(record: FindingRecord, holder: string): Promise<undefined> {
    const { placement } = record;
    if (placement === undefined || placement.kind === 'record-only') {
      // The delivery placing it failed while holding the lease (this may be its retry), and the
      // newer deliveries found it being placed: it is placed now, from the latest version (a
      // finding recorded only, whose latest version is to be posted, is posted now).
      const { post } = routeFinding(record.finding, this.#deps.options.routing);
      await this.#show(record, post, { fresh: false, holder });
      return undefined;
    }
    await this.#showPlaced(record, placement);
    return undefined;
  }

  /**
   * Brings the card or digest showing a placed finding up to its recorded state: its digest entry
   * if the delivery that saved it could not write it, and an edit (or a queued one) if the card or
   * digest shows an older version. Costs nothing more than the reads when all is shown.
   */
  async #showPlaced(record: FindingRecord, placement: Placement): Promise<void> {
    if (placement.kind === 'digest') await this.#refreshDigestEntry(record, placement.digestKey);
    await this.#upToDate(record, placement);
  }

  /**
   * Posts the digest unless it is posted; returns its card when it was posted already, and
   * `being-posted` when another delivery holds its post lease and has not posted it yet. That
   * delivery brings the digest up to its latest version once it has posted it (#upToDate goes on
   * to the refresh), and the card was read or written after this delivery's change: the change is
   * shown without anything more from this delivery. Never waits on Slack: a post refused with 429
   * is queued for the worker (#queueDigestPost), which then shows the change: `queued`.
   *
   * @param findingId - the finding this delivery shows, whose post job a refused post becomes
   * @param seen - the digest's card as just written, instead of reading it
   */
  async #ensureDigestPosted(
    digestKey: string,
    findingId: string,
    seen?: CardState
  ): Promise<CardState | 'being-posted' | 'queued' | undefined> {
    const { store, clock, slack, renderer } = this.#deps;
    const card = seen ?? (await store.getCard(digestKey));
    if (card?.ts !== undefined) return card;
    // A lease within the clock skew of its end is left to lockCardPost: its holder may have died.
    if ((card?.postLockUntil ?? 0) > clock.now().getTime() + LEASE_SKEW_MS) return 'being-posted';
    if (!(await store.lockCardPost(digestKey, clock.now(), this.#leaseMs))) return undefined;
    try {
      const digest = await store.getDigest(digestKey);
      if (!digest) return;
      const sent = await slack.tryPostMessage(digest.card.channel, renderer.digestCard(digest));
      if (!('ts' in sent)) {
        await this.#queueDigestPost(findingId, digestKey, digest.card.channel, sent.retryAfterMs);
        return 'queued';
      }
      await store.markPosted(digestKey, {
        ts: sent.ts,
        renderedVersion: digest.card.version,
        now: clock.now(),
      });
      return undefined;
    } catch (error) {
      await store.releaseCardPost(digestKey).catch(() => undefined);
      throw error;
    }
  }

  /** The finding (and its own card) as stored after this delivery posted the card: one read. */
  async #knownAfterPost(findingId: string): Promise<{ record: FindingRecord } | undefined> {
    const record = await this.#deps.store.getFinding(findingId);
    return record === undefined ? undefined : { record };
  }

  async #audit(findingId: string, entry: AuditEntry, options?: { once?: boolean }): Promise<void> {
    await this.#deps.store.appendAudit(findingId, entry, options);
  }
}
