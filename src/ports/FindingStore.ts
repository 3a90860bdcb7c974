import type { Finding } from '../domain/Finding';

/** Where a finding is shown in Slack. */
export type Placement =
  | { kind: 'card' }
  | { kind: 'digest'; digestKey: string }
  | { kind: 'record-only'; reason: string };

/** The stored state of one finding. */
export interface FindingRecord {
  finding: Finding;
  /** The channel routing picked when the finding was first received. */
  channel: string;
  /** Incremented on every accepted change of the finding. */
  version: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
  placement?: Placement;
  /** State of each human action on the finding (`isolation`, `investigation`, `dismissal`), shown on its card. */
  actions: Record<string, ActionState>;
  /** The finding's own card, stored with it (meaningful once its placement is a card). */
  card?: CardState;
  /**
   * The finding's entry as its digest shows it, recorded with the placement and written together
   * with each later change of the entry: a re-publication whose entry reads the same needs no
   * digest write.
   */
  digestEntry?: DigestItem;
  /** Who last took the finding's placement lease, and until when (epoch ms; 0 once released). */
  placementLease?: PlacementLease;
}

/** A placement lease: `holder` names the delivery that took it (see {@link FindingStore.lockPlacement}). */
export interface PlacementLease {
  holder: string;
  until: number;
}

/** Who did something in Slack. */
export interface SlackActor {
  userId: string;
  userName: string;
}

/**
 * The state of one kind of action on a finding. `status` drives the card (status line, buttons);
 * other fields are the action's own.
 */
export interface ActionState {
  status: string;
  /** When the state was entered (ISO). */
  at: string;
  by?: SlackActor;
  [key: string]: unknown;
}

/** Outcome of {@link FindingStore.saveFinding}. */
export type SaveOutcome =
  /** First time we see this finding id. */
  | 'created'
  /** A newer version (later `updatedAt`, or same time and higher count). */
  | 'updated'
  /** The very same version again (a duplicate delivery). */
  | 'unchanged'
  /** An older version than the one recorded (out-of-order delivery): ignored. */
  | 'stale';

/**
 * The Slack message that shows one or more findings: a finding's own card or a storm digest.
 * Keys: `FINDING#<id>` or `DIGEST#<channel>#<minute>`.
 */
export interface CardState {
  key: string;
  channel: string;
  /** The message's `ts`, once posted. */
  ts?: string;
  /** Version of the content (the finding's version, or the digest's). */
  version: number;
  /** Version last rendered into Slack. */
  renderedVersion: number;
  /** When the card was last (claimed to be) rendered, epoch ms. */
  lastRenderedAt: number;
  /** When a queued edit of this card is due, epoch ms (see {@link FindingStore.scheduleRefresh}). */
  refreshDueAt?: number;
  /**
   * While someone is posting the card: when their post lease runs out, epoch ms; after Slack
   * refused the post with 429, when the queued post is due (nobody posts it before).
   */
  postLockUntil?: number;
}

/**
 * A queued card edit due less than this after now may already have loaded its state (clocks of
 * two invocations differ a little); one due later will load the latest state when it runs.
 */
export const REFRESH_SKEW_MS = 500;

/** A token bucket's size: `perSecond` sustained, `burst` at once. */
export interface TokenBudget {
  perSecond: number;
  burst: number;
}

/** Outcome of {@link FindingStore.takeToken}. */
export interface TokenGrant {
  taken: boolean;
  /** When nothing was taken: milliseconds until the next token. */
  retryInMs: number;
}

/** One finding gathered into a digest. */
export interface DigestItem {
  findingId: string;
  type: string;
  severity: number;
  resource: string;
  title: string;
}

/** Whether two digest entries read the same (a digest shows no counts). */
export const sameDigestEntry = (left: DigestItem | undefined, right: DigestItem): boolean =>
  left !== undefined &&
  left.findingId === right.findingId &&
  left.type === right.type &&
  left.severity === right.severity &&
  left.resource === right.resource &&
  left.title === right.title;

/** A digest card and the findings it gathers. */
export interface DigestState {
  card: CardState;
  minuteStart: string;
  items: DigestItem[];
}

/** One entry of a finding's append-only audit stream. */
export interface AuditEntry {
  /** When it happened (ISO). Entries are ordered by it. */
  at: string;
  /** What happened, e.g. `finding.received`, `card.posted`. */
  kind: string;
  /** Who: `system` or a Slack user id. */
  actor: string;
  /** Identifies the logical event: the same (kind, dedupeKey) is recorded once. */
  dedupeKey: string;
  /** Outcome, e.g. `ok`, `failed`, `ignored`. */
  result: string;
  /** Small, JSON-serialisable details. */
  detail?: Record<string, unknown>;
}

/** A person's request as {@link FindingStore.recordIntent} records it. */
export interface IntentInput {
  findingId: string;
  /** The action's area on the finding, e.g. `isolation`. */
  area: string;
  /** The statuses the request may start from (`null`: no state yet). */
  from: readonly (string | null)[];
  to: ActionState;
  audit: AuditEntry;
  /** One use of a capped resource, e.g. isolations per hour. */
  quota?: { name: string; bucket: string; cap: number };
}

/** Persistence for findings, cards, posting budgets and the audit stream. */
export interface FindingStore {
  /**
   * Records a finding version unless an equal or newer version is already recorded.
   * Returns the outcome and the record as stored afterwards. With `placementLease`, the save that
   * creates the record also takes the finding's placement lease for `holder`, for `ms`, as
   * {@link lockPlacement} would: the record it returns names the holder, so the caller (even one
   * whose save was retried after a lost answer) places the finding without asking again.
   */
  saveFinding(input: {
    finding: Finding;
    channel: string;
    now: Date;
    placementLease?: { holder: string; ms: number };
  }): Promise<{ outcome: SaveOutcome; record: FindingRecord }>;

  getFinding(findingId: string): Promise<FindingRecord | undefined>;

  /**
   * Moves an action to a new state only if its current status is one of `from` (`null`: no state
   * yet). The compare-and-set that makes double taps, concurrent approvers and redeliveries
   * harmless. Bumps the card version so the card shows the new state. Returns false when the
   * current state did not match.
   */
  transitionAction(
    findingId: string,
    area: string,
    input: { from: readonly (string | null)[]; to: ActionState }
  ): Promise<boolean>;

  /**
   * Records a person's request in one transaction: the audit entry, the compare-and-set of the
   * action's state (as {@link transitionAction}) and, when given, one use of a quota (as
   * {@link takeQuota}). All or nothing: false, writing nothing, when any condition fails (the state
   * moved, the quota is full, the entry exists), so the caller can find out which step by step.
   */
  recordIntent(input: IntentInput): Promise<boolean>;

  /**
   * Counts one use of a capped resource in a time bucket (e.g. isolations per hour). Returns false,
   * counting nothing, when the bucket is full.
   */
  takeQuota(name: string, bucket: string, cap: number): Promise<boolean>;

  /**
   * Takes the right to decide where an unplaced finding goes, for `holder` (one delivery or one run
   * of a queued post). Fails while another holder's lease is unexpired, or once the finding is
   * placed; succeeds again for the same holder (a retried request), and with `takeOverFrom`, from
   * that holder too (a queued post taking over its delivery's lease: of two runs of one job, only
   * the first gets it).
   */
  lockPlacement(
    findingId: string,
    now: Date,
    leaseMs: number,
    holder: string,
    options?: { takeOverFrom?: string }
  ): Promise<boolean>;

  /** Gives up `holder`'s placement lease (after a failure) so a retry can proceed at once. */
  releasePlacement(findingId: string, holder: string): Promise<void>;

  /**
   * Records that an unplaced finding is only recorded, not posted, unless it is placed or being
   * placed (an unexpired lease: the card or digest it gets will show the latest version), and ends
   * the lease. `holder`'s own lease does not stop it (a queued post whose finding is no longer
   * posted). False when nothing was written.
   */
  setRecordOnly(findingId: string, reason: string, now: Date, holder?: string): Promise<boolean>;

  /**
   * Records the placement and releases the lease; for a digest placement, with the entry the
   * digest was given ({@link FindingRecord.digestEntry}). Returns the record as it is now: a
   * version saved while the lease was held shows.
   */
  setPlacement(
    findingId: string,
    placement: Placement,
    options?: { digestEntry?: DigestItem }
  ): Promise<FindingRecord>;

  getCard(key: string): Promise<CardState | undefined>;

  /** Takes the right to post a card that has no `ts` yet. */
  lockCardPost(key: string, now: Date, leaseMs: number): Promise<boolean>;

  /**
   * Gives up a post lease after a failed post; with `notBefore` (epoch ms), nobody takes it again
   * before then (Slack refused the post with 429 and said when to try again).
   */
  releaseCardPost(key: string, options?: { notBefore?: number }): Promise<void>;

  /**
   * Records the posted message and the version it shows, and releases the post lease; for a
   * finding's own card also its placement, in the same write (so a retry never posts it twice).
   */
  markPosted(
    key: string,
    input: { ts: string; renderedVersion: number; now: Date; placement?: Placement }
  ): Promise<void>;

  /**
   * Takes the right to edit a card now: succeeds only if nobody rendered it since
   * `lastRenderedAt` (optimistic concurrency), and stamps the new render time.
   */
  claimRender(key: string, lastRenderedAt: number, now: Date): Promise<boolean>;

  /** Records that `version` is now shown (never moves backwards). */
  markRendered(key: string, version: number): Promise<void>;

  /**
   * Gathers a finding being placed into a channel's digest for one minute: writes its entry,
   * creating the digest if needed, then bumps the digest's version. Returns the digest's card as it
   * stands after the bump. Only the holder of the finding's placement lease calls it, so the entry
   * is written whatever it read before.
   */
  gatherIntoDigest(input: {
    digestKey: string;
    channel: string;
    minuteStart: string;
    item: DigestItem;
  }): Promise<CardState>;

  /**
   * Refreshes a placed finding's entry in its digest, after the caller compared the entry with
   * {@link FindingRecord.digestEntry}: the entry, the digest's version and the finding's
   * `digestEntry` are written together, and only while `from` (the version of the finding the
   * entry is from: its `updatedAt` and `count`) is the finding's latest version. Returns false,
   * changing nothing, when it is not: a delivery holding an older copy writes nothing.
   */
  addToDigest(input: {
    digestKey: string;
    channel: string;
    minuteStart: string;
    item: DigestItem;
    from: { updatedAt: string; count: number };
  }): Promise<boolean>;

  getDigest(digestKey: string): Promise<DigestState | undefined>;

  /**
   * The last of `digestKeys` that holds an entry for the finding (read consistently), if any: an
   * attempt to place the finding that failed after gathering it left the entry there.
   */
  digestHolding(findingId: string, digestKeys: readonly string[]): Promise<string | undefined>;

  /**
   * Takes one token from a token bucket shared by every invocation: `posts#<channel>` (own cards
   * posted in a channel) or `edits` (card edits in the workspace). When the bucket is empty nothing
   * is taken and `retryInMs` says when the next token will be there.
   *
   * @param options.takeTurn - the caller will come back when told (a queued card edit): refused,
   *   it is told to come back for the token after those this container promised the callers it
   *   refused before (one per 1/perSecond seconds), so that they do not all come back for the same
   *   one. Other containers take tokens too: a caller may be refused again, and queues again.
   * @param options.maxRetryInMs - with `takeTurn`: the longest the caller can wait (SQS delays a job
   *   by 15 minutes at most); the line stops growing there, and later callers are told that.
   */
  takeToken(
    bucket: string,
    now: Date,
    budget: TokenBudget,
    options?: { takeTurn?: boolean; maxRetryInMs?: number }
  ): Promise<TokenGrant>;

  /**
   * Records that an edit of the card `key` is queued for `dueAt` (epoch ms), unless one is already
   * queued for later than `now`: that one will load the latest state when it runs, so it carries
   * this caller's change too. Returns false when such an edit is queued (nothing to do).
   */
  scheduleRefresh(key: string, dueAt: number, now: Date): Promise<boolean>;

  /** Withdraws a {@link scheduleRefresh} mark whose job could not be queued. */
  unscheduleRefresh(key: string, dueAt: number): Promise<void>;

  /** Appends to a finding's audit stream; a repeated (kind, dedupeKey) is detected, not written twice. */
  /**
   * With `once`, the caller guarantees the event cannot be recorded twice (a finding version that a
   * conditional write let through exactly once): the entry is written alone, without the marker.
   */
  appendAudit(
    findingId: string,
    entry: AuditEntry,
    options?: { once?: boolean }
  ): Promise<'appended' | 'duplicate'>;

  /** The finding's audit stream, oldest first. */
  listAudit(findingId: string): Promise<AuditEntry[]>;
}
