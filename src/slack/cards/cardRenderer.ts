import type { CardRenderer } from '../../ports/CardRenderer';
import { renderDigestCard } from './digestCard';
import { type CardAction, renderFindingCard } from './findingCard';

/**
 * The card buttons this deployment has listeners for. A button is only ever rendered once its
 * action is implemented end to end (listener, worker, tests).
 */
export const IMPLEMENTED_ACTIONS: readonly CardAction[] = [];

/** The Block Kit renderer the notify path uses. */
export const cardRenderer: CardRenderer = {
  findingCard: (record) =>
    renderFindingCard({ finding: record.finding, actions: IMPLEMENTED_ACTIONS }),
  digestCard: (digest) =>
    renderDigestCard({ minuteStart: digest.minuteStart, entries: digest.items }),
};
