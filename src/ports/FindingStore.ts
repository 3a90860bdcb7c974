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
}

/** One finding gathered into a digest. */
export interface DigestItem {
  findingId: string;
  type: string;
  severity: number;
  resource: string;
  title: string;
}

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

/** Persistence for findings, cards, posting budgets and the audit stream. */
export interface FindingStore {
  /**
   * Records a finding version unless an equal or newer version is already recorded.
   * Returns the outcome and the record as stored afterwards.
   */
  saveFinding(input: {
    finding: Finding;
    channel: string;
    now: Date;
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
   * Counts one use of a capped resource in a time bucket (e.g. isolations per hour). Returns false,
   * counting nothing, when the bucket is full.
   */
  takeQuota(name: string, bucket: string, cap: number): Promise<boolean>;

  /**
   * Takes the right to decide where an unplaced finding goes. Fails while another
   * invocation holds an unexpired lease, or once the finding is placed.
   */
  lockPlacement(findingId: string, now: Date, leaseMs: number): Promise<boolean>;

  /** Gives up a placement lease (after a failure) so a retry can proceed at once. */
  releasePlacement(findingId: string): Promise<void>;

  /** Records the placement and releases the lease. */
  setPlacement(findingId: string, placement: Placement): Promise<void>;

  getCard(key: string): Promise<CardState | undefined>;

  /** Takes the right to post a card that has no `ts` yet. */
  lockCardPost(key: string, now: Date, leaseMs: number): Promise<boolean>;

  /** Gives up a post lease after a failed post. */
  releaseCardPost(key: string): Promise<void>;

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

  /** Adds or refreshes a finding in a channel's digest for one minute, creating the digest if needed. */
  addToDigest(input: {
    digestKey: string;
    channel: string;
    minuteStart: string;
    item: DigestItem;
  }): Promise<void>;

  getDigest(digestKey: string): Promise<DigestState | undefined>;

  /**
   * Takes one token from the channel's posting budget (a token bucket shared by every
   * invocation). Returns false when the budget is exhausted.
   */
  takePostToken(
    channel: string,
    now: Date,
    budget: { perSecond: number; burst: number }
  ): Promise<boolean>;

  /** Appends to a finding's audit stream; a repeated (kind, dedupeKey) is detected, not written twice. */
  appendAudit(findingId: string, entry: AuditEntry): Promise<'appended' | 'duplicate'>;

  /** The finding's audit stream, oldest first. */
  listAudit(findingId: string): Promise<AuditEntry[]>;
}
