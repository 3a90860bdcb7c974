import { DISMISSAL } from '../../domain/actions';
import type { CardRenderer } from '../../ports/CardRenderer';
import { cardPanel } from './actionPanels';
import { renderDigestCard } from './digestCard';
import { type CardAction, renderFindingCard } from './findingCard';

/**
 * The card buttons this deployment has listeners and workers for. A button is only ever rendered
 * once its action is implemented end to end.
 */
export const IMPLEMENTED_ACTIONS: readonly CardAction[] = ['isolate', 'investigate', 'dismiss'];

/** The state buttons each implemented action brings (Approve, Release, Reopen…). */
const STATE_BUTTONS: Record<CardAction, readonly string[]> = {
  isolate: ['approve', 'retry', 'release', 'release_force'],
  investigate: [],
  dismiss: ['reopen', 'report'],
};

const implementedButtons = new Set(IMPLEMENTED_ACTIONS.flatMap((action) => STATE_BUTTONS[action]));

/** The Block Kit renderer the notify path and the worker use. */
export const cardRenderer: CardRenderer = {
  findingCard: (record) => {
    const panel = cardPanel(record);
    const dismissed = record.actions[DISMISSAL]?.status === 'dismissed';
    return renderFindingCard({
      finding: record.finding,
      actions: panel.actions.filter(
        (action) => IMPLEMENTED_ACTIONS.includes(action) && !(dismissed && action === 'isolate')
      ),
      status: panel.status,
      extraButtons: panel.buttons.filter((button) =>
        implementedButtons.has(button.action_id ?? '')
      ),
    });
  },
  digestCard: (digest) =>
    renderDigestCard({ minuteStart: digest.minuteStart, entries: digest.items }),
};
