import type { DigestState, FindingRecord } from './FindingStore';
import type { SlackMessage } from './SlackGateway';

/** Turns stored state into Slack messages (pure; the Block Kit builders implement it). */
export interface CardRenderer {
  findingCard(record: FindingRecord): SlackMessage;
  digestCard(digest: DigestState): SlackMessage;
}
