import { ErrorCode, type WebClient } from '@slack/web-api';
import { SlackCallError } from '../../domain/errors';
import type { SlackGateway, SlackMessage } from '../../ports/SlackGateway';

/** Slack's error code from any Web API client error (platform error, HTTP status, rate limit, network). */
export const slackErrorCode = (error: unknown): string => {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, data, statusCode, retryAfter } = error as {
    code?: string;
    data?: { error?: string };
    statusCode?: number;
    retryAfter?: number;
  };
  if (data?.error) return data.error;
  if (statusCode !== undefined) return `http_${statusCode}`;
  // Once its retries are spent the client gives up on a 429 with an error naming the rate limit
  // (wrapped as a request error's `original`).
  const original = (error as { original?: unknown }).original ?? error;
  if (retryAfter !== undefined || /^A rate limit was exceeded/.test((original as Error).message)) {
    return 'ratelimited';
  }
  return code ?? (error instanceof Error ? error.message : 'unknown_error');
};

/** A 429 handed back by the refusing client as the wait Slack asked for; anything else rethrown. */
const refusedWith = (error: unknown): { rateLimited: true; retryAfterMs: number } => {
  const cause = (error as SlackCallError).cause as { code?: string; retryAfter?: number };
  if (cause?.code === ErrorCode.RateLimitedError) {
    return { rateLimited: true, retryAfterMs: (cause.retryAfter ?? 1) * 1000 };
  }
  throw error;
};

/**
 * {@link SlackGateway} on the real `@slack/web-api` client. The client is configured by the
 * composition root (bounded retries that honour Retry-After, a per-call timeout).
 */
export class WebApiSlackGateway implements SlackGateway {
  readonly #client: WebClient;
  readonly #refusing: WebClient;

  /**
   * @param options.refusingRateLimits - a client built to hand 429s back (`rejectRateLimitedCalls`)
   *   for {@link tryPostMessage} and {@link tryUpdateMessage}; without it they wait like the others
   */
  public constructor(client: WebClient, options: { refusingRateLimits?: WebClient } = {}) {
    this.#client = client;
    this.#refusing = options.refusingRateLimits ?? client;
  }

  public async postMessage(
    channel: string,
    message: SlackMessage,
    threadTs?: string
  ): Promise<{ ts: string }> {
    return this.#post(this.#client, channel, message, threadTs);
  }

  public async tryPostMessage(
    channel: string,
    message: SlackMessage
  ): Promise<{ ts: string } | { rateLimited: true; retryAfterMs: number }> {
    try {
      return await this.#post(this.#refusing, channel, message);
    } catch (error) {
      return refusedWith(error);
    }
  }

  public async tryUpdateMessage(
    channel: string,
    ts: string,
    message: SlackMessage
  ): Promise<{ updated: true } | { rateLimited: true; retryAfterMs: number }> {
    try {
      await this.#update(this.#refusing, channel, ts, message);
      return { updated: true };
    } catch (error) {
      return refusedWith(error);
    }
  }

  async #post(
    client: WebClient,
    channel: string,
    message: SlackMessage,
    threadTs?: string
  ): Promise<{ ts: string }> {
    const result = await this.#call('chat.postMessage', () =>
      client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
        unfurl_links: false,
        unfurl_media: false,
      })
    );
    if (!result.ts) throw new SlackCallError('chat.postMessage', 'no_ts_in_response');
    return { ts: result.ts };
  }

  public async updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.#update(this.#client, channel, ts, message);
  }

  async #update(
    client: WebClient,
    channel: string,
    ts: string,
    message: SlackMessage
  ): Promise<void> {
    await this.#call('chat.update', () =>
      client.chat.update({ channel, ts, text: message.text, blocks: message.blocks })
    );
  }

  public async postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void> {
    await this.#call('chat.postEphemeral', () =>
      this.#client.chat.postEphemeral({
        channel,
        user,
        text: message.text,
        blocks: message.blocks,
      })
    );
  }

  public async uploadFile(input: {
    channel: string;
    threadTs?: string;
    filename: string;
    title: string;
    content: string;
    comment?: string;
  }): Promise<void> {
    await this.#call('files.uploadV2', () =>
      this.#client.files.uploadV2({
        channel_id: input.channel,
        ...(input.threadTs === undefined ? {} : { thread_ts: input.threadTs }),
        filename: input.filename,
        title: input.title,
        content: input.content,
        ...(input.comment === undefined ? {} : { initial_comment: input.comment }),
      } as Parameters<WebClient['files']['uploadV2']>[0])
    );
  }

  async #call<T>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new SlackCallError(method, slackErrorCode(error), { cause: error });
    }
  }
}
