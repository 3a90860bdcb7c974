import { SlackCallError } from '../../domain/errors';
import type { ResponseOptions, ResponseUrlClient, SlackMessage } from '../../ports/SlackGateway';

/**
 * {@link ResponseUrlClient} with `fetch`. Only Slack's own hosts (or the configured Web API host,
 * for the offline server) are accepted as response URLs: the URL comes from a request body.
 */
export class FetchResponseUrlClient implements ResponseUrlClient {
  readonly #allowedHosts: ReadonlySet<string>;
  readonly #timeoutMs: number;

  public constructor(options: { apiUrl: string; timeoutMs: number }) {
    this.#allowedHosts = new Set(['hooks.slack.com', new URL(options.apiUrl).host]);
    this.#timeoutMs = options.timeoutMs;
  }

  public async respond(
    responseUrl: string,
    message: SlackMessage,
    options: ResponseOptions
  ): Promise<void> {
    const url = new URL(responseUrl);
    if (!this.#allowedHosts.has(url.host)) {
      throw new SlackCallError('response_url', 'untrusted_response_url');
    }
    let response: Response;
    try {
      response = await fetch(url, {
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
