import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { Finding } from '../../domain/Finding';
import { escapeAndTruncate, link } from '../mrkdwn';
import { findingCardSections, findingSummaryText, type SlackMessage } from './findingCard';

/**
 * The ephemeral answer to `/guardduty finding <id>`: the card's facts without its buttons, the
 * description, and where the finding lives in the channel.
 */

/** Where the finding was posted. */
export interface FindingLookupOptions {
  /** Permalink of the finding's own card (of the digest, when `inDigest` is set). */
  cardLink?: string;
  /** True when the finding was gathered into a storm digest instead of getting its own card. */
  inDigest?: boolean;
  /** Permalink of that digest (`cardLink` is used when this is absent). */
  digestLink?: string;
  /** Status lines, as for the card (trusted mrkdwn). */
  status?: string[];
}

const DESCRIPTION_MAX = 1500;

const whereText = (options: FindingLookupOptions): string | undefined => {
  if (options.inDigest || options.digestLink) {
    // With `inDigest`, a `cardLink` points at the digest message: the finding has no card of its own.
    const digestLink = options.digestLink ?? options.cardLink;
    return digestLink
      ? `Gathered into a ${link(digestLink, 'storm digest')}`
      : 'Gathered into a storm digest';
  }
  if (options.cardLink) return `Card: ${link(options.cardLink, 'open the card')}`;
  return undefined;
};

/**
 * Renders the answer to `/guardduty finding <id>`.
 *
 * @param finding - the finding asked about
 * @param where - the card's permalink, or where the finding was posted
 */
export const renderFindingLookup = (
  finding: Finding,
  where: string | FindingLookupOptions = {}
): SlackMessage => {
  const options: FindingLookupOptions = typeof where === 'string' ? { cardLink: where } : where;
  const sections = findingCardSections(finding, options.status);
  const description = finding.description.trim();
  const descriptionBlock: SectionBlock | undefined =
    description && description !== finding.title.trim()
      ? {
          type: 'section',
          block_id: 'finding_description',
          text: { type: 'mrkdwn', text: escapeAndTruncate(description, DESCRIPTION_MAX) },
        }
      : undefined;
  const placement = whereText(options);
  const placementBlock: ContextBlock | undefined = placement
    ? {
        type: 'context',
        block_id: 'finding_placement',
        elements: [{ type: 'mrkdwn', text: placement }],
      }
    : undefined;
  const blocks: KnownBlock[] = [
    sections.header,
    sections.title,
    ...(descriptionBlock ? [descriptionBlock] : []),
    sections.facts,
    sections.meta,
    ...(sections.status ? [sections.status] : []),
    ...(sections.links ? [sections.links] : []),
    ...(placementBlock ? [placementBlock] : []),
  ];
  return { text: findingSummaryText(finding), blocks };
};
