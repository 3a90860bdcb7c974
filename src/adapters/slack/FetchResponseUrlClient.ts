import type { FetchFunction } from '@slack/web-api';
import { SlackCallError } from '../../domain/errors';
import type { ResponseOptions, ResponseUrlClient, SlackMessage } from '../../ports/SlackGateway';
import type { FetchResponse } from './slackTransport';

/**
 * {@link ResponseUrlClient} over a `fetch`-shaped transport (the bot's Slack transport). Only
 * `https://hooks.slack.com` (or the configured Web API origin, for the offline server) is accepted
 * as a response URL: the URL comes from a request body.
 */
export class FetchResponseUrlClient implements ResponseUrlClient {
  readonly #allowedOrigins: ReadonlySet<string>;
  readonly #timeoutMs: number;
  readonly #fetch: FetchFunction;

  public constructor(options: { apiUrl: string; timeoutMs: number; fetch: FetchFunction }) {
    this.#allowedOrigins = new Set(['https://hooks.slack.com', new URL(options.apiUrl).origin]);
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch;
  }

  public async respond(
    responseUrl: string,
    message: SlackMessage,
    options: ResponseOptions
  ): Promise<void> {
    const url = new URL(responseUrl);
    if (!this.#allowedOrigins.has(url.origin)) {
      throw new SlackCallError('response_url', 'untrusted_response_url');
    }
    let response: FetchResponse;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({
          response_type: options.visibility,
          replace_original: options.replaceOriginal ?? false,
          text: message.text,
          blocks: message.blocks,
        }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new SlackCallError('response_url', 'request_failed', { cause: error });
    }
    if (!response.ok) {
      throw new SlackCallError('response_url', `http_${response.status}`);
    }
  }
}
