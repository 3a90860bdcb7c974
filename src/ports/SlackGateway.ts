import type { KnownBlock } from '@slack/types';

/** A message as the bot sends it: Block Kit blocks plus the notification/screen-reader text. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** The Slack Web API calls the core needs. Adapters translate Slack errors into `SlackCallError`. */
export interface SlackGateway {
  /** Posts a message (in a thread when `threadTs` is given) and returns its `ts`. */
  postMessage(channel: string, message: SlackMessage, threadTs?: string): Promise<{ ts: string }>;
  /** Replaces the content of an existing message. */
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
}

/** A link to a message that works in any workspace the reader belongs to. */
export const messageLink = (channel: string, ts: string): string =>
  `https://slack.com/archives/${encodeURIComponent(channel)}/p${ts.replace('.', '')}`;
