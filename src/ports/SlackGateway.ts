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
  /**
   * Posts a message unless Slack answers 429: then nothing is posted and the wait Slack asked for
   * is returned at once (no retry, no waiting), for a post that can go elsewhere (the digest) or be
   * queued for later instead.
   */
  tryPostMessage(
    channel: string,
    message: SlackMessage
  ): Promise<{ ts: string } | { rateLimited: true; retryAfterMs: number }>;
  /** Replaces the content of an existing message. */
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /**
   * Replaces the content of an existing message unless Slack answers 429: then nothing changes and
   * the wait Slack asked for is returned at once, for an edit that can be queued instead.
   */
  tryUpdateMessage(
    channel: string,
    ts: string,
    message: SlackMessage
  ): Promise<{ updated: true } | { rateLimited: true; retryAfterMs: number }>;
  /** Shows a message to one user only. */
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  /** Uploads a text file (e.g. a Markdown report) into a channel, in a thread when `threadTs` is given. */
  uploadFile(input: {
    channel: string;
    threadTs?: string;
    filename: string;
    title: string;
    content: string;
    comment?: string;
  }): Promise<void>;
}

/** How an answer to a slash command or button is delivered through its response_url. */
export interface ResponseOptions {
  /** `in_channel` posts for everyone; `ephemeral` (the default) only for the requester. */
  visibility: 'ephemeral' | 'in_channel';
  /** Replace the message that carried the button. */
  replaceOriginal?: boolean;
}

/** Posts to Slack's response_url (at most 5 uses within 30 minutes). Throws when Slack refuses. */
export interface ResponseUrlClient {
  respond(responseUrl: string, message: SlackMessage, options: ResponseOptions): Promise<void>;
}

/** A link to a message that works in any workspace the reader belongs to. */
export const messageLink = (channel: string, ts: string): string =>
  `https://slack.com/archives/${encodeURIComponent(channel)}/p${ts.replace('.', '')}`;
