import { FindingNotifier, type FindingNotifierDeps } from '../app/FindingNotifier';
import type { Config } from '../config';
import { systemClock } from '../ports/Clock';
import { parseRoutingRules } from '../routingRules';
import { cardRenderer } from '../slack/cards/cardRenderer';

/**
 * The notify use case as configured: the notify function delivers findings to it, and the worker
 * runs the card posts it queued.
 */
export const createFindingNotifier = (
  config: Config,
  deps: Pick<FindingNotifierDeps, 'store' | 'queue' | 'slack' | 'logger'>
): FindingNotifier =>
  new FindingNotifier({
    ...deps,
    renderer: cardRenderer,
    clock: systemClock,
    options: {
      routing: {
        rules: parseRoutingRules(config.routingRulesJson),
        defaultChannel: config.defaultChannel,
        minPostSeverity: config.minPostSeverity,
      },
      postBudget: config.postBudget,
      editBudget: config.editBudget,
      cardUpdateIntervalMs: config.cardUpdateIntervalMs,
    },
  });
