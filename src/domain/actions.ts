/**
 * The human actions a card offers and the states each goes through. The store moves an action
 * from one state to the next only from the states listed here (a compare-and-set), which is what
 * makes double taps, concurrent approvers and queue redeliveries harmless.
 */

/** Action areas on a finding record. */
export const ISOLATION = 'isolation';
export const INVESTIGATION = 'investigation';
export const DISMISSAL = 'dismissal';
/** A finding's proposed suppression rule, awaiting its approvers. */
export const SUPPRESSION = 'suppression';

/** The audit stream of slash commands (and their refusals) that concern no single finding. */
export const COMMAND_STREAM = '_commands';

/** Isolation states, from request to release. */
export type IsolationStatus =
  | 'awaiting-approval'
  | 'requested'
  | 'in-progress'
  | 'isolated'
  | 'partial'
  | 'failed'
  | 'stale'
  | 'planned'
  | 'cancelled'
  | 'expired'
  | 'release-requested'
  | 'releasing'
  | 'released'
  | 'drift'
  | 'release-partial'
  | 'release-failed';

/** States from which a new isolation may be requested (null: never requested). */
export const ISOLATION_REQUESTABLE: readonly (IsolationStatus | null)[] = [
  null,
  'released',
  'stale',
  'planned',
  'cancelled',
  'expired',
];

/** States from which Retry re-runs an isolation that did not complete. */
export const ISOLATION_RETRYABLE: readonly IsolationStatus[] = ['partial', 'failed'];

/** States from which Release may be requested. */
export const RELEASABLE: readonly IsolationStatus[] = [
  'isolated',
  'partial',
  'release-partial',
  'release-failed',
];

/** States from which a forced Release may be requested (after drift was reported). */
export const FORCE_RELEASABLE: readonly IsolationStatus[] = ['drift'];

/** Investigation states. */
export type InvestigationStatus = 'requested' | 'running' | 'done' | 'failed';
export const INVESTIGATION_REQUESTABLE: readonly (InvestigationStatus | null)[] = [
  null,
  'done',
  'failed',
];

/** Dismissal states. */
export type DismissalStatus =
  | 'requested'
  | 'dismissed'
  | 'failed'
  | 'reopen-requested'
  | 'reopened';
export const DISMISSABLE: readonly (DismissalStatus | null)[] = [null, 'failed', 'reopened'];
export const REOPENABLE: readonly DismissalStatus[] = ['dismissed'];

/** The hour bucket (`yyyy-mm-ddThh`) the isolation cap counts in. */
export const hourBucket = (now: Date): string => now.toISOString().slice(0, 13);

/**
 * How long an intent may sit in a transitional state before a new request may take it over: the
 * work queue delivers a job at most three times, twelve minutes apart, so an intent older than
 * this has no job behind it any more (the worker timed out, or its job went to the DLQ).
 */
export const STALE_INTENT_MS = 40 * 60_000;

/**
 * The current status, when it is one of `transitional` and older than {@link STALE_INTENT_MS}:
 * a request may then take it over. Empty otherwise.
 */
export const staleIntent = (
  state: { status: string; at: string } | undefined,
  now: Date,
  transitional: readonly string[]
): string[] =>
  state !== undefined &&
  transitional.includes(state.status) &&
  now.getTime() - Date.parse(state.at) > STALE_INTENT_MS
    ? [state.status]
    : [];
