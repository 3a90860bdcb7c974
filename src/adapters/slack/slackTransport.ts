import { Agent as HttpAgent, STATUS_CODES } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { FetchFunction } from '@slack/web-api';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** What a transport answers (the Web API client's `fetch` response shape). */
export type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/**
 * The HTTP transport of every Slack call the bot makes (Web API clients and response URLs): the
 * AWS SDK's Node HTTP handler behind the `fetch` shape the Web API client accepts, instead of
 * Node's global `fetch`. Node loads fetch's implementation (undici: about a megabyte of JavaScript
 * and a WebAssembly HTTP parser) on its first call, which made the first Slack call of every cold
 * start tens of milliseconds slower; node:http is loaded for the SDK anyway.
 *
 * Sockets are kept alive between the calls of a warm container, and closed after `idleSocketMs`
 * without a call (as fetch does after 4 s): a socket kept across a long pause or a frozen Lambda
 * container would be one Slack has closed, and the ack path does not retry. An abort signal (the
 * client's per-call timeout) destroys the request; a slow answer is not cut by the idle timeout.
 * A redirect is never followed (Slack's API does not redirect, and the Web API client asks for
 * `redirect: 'error'`): a 3xx answer rejects unless `redirect: 'manual'`. A multipart body (the
 * report's file upload, built as `FormData`, which loads undici by itself) goes through Node's
 * `fetch` unchanged.
 */
export const createSlackTransport = (
  options: { idleSocketMs?: number; maxSockets?: number } = {}
): FetchFunction => {
  const agent = {
    keepAlive: true,
    timeout: options.idleSocketMs ?? 4_000,
    maxSockets: options.maxSockets ?? 50,
  };
  const handler = new NodeHttpHandler({
    httpAgent: new HttpAgent(agent),
    httpsAgent: new HttpsAgent(agent),
  });
  return async (input, init = {}) => {
    if (init.body !== undefined && typeof init.body !== 'string')
      return globalThis.fetch(input, init);
    const url = new URL(String(input));
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const { response } = await handler.handle(
      {
        method: init.method ?? 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port === '' ? {} : { port: Number(url.port) }),
        path: url.pathname,
        query: queryOf(url),
        headers,
        body: init.body,
      } as Parameters<NodeHttpHandler['handle']>[0],
      init.signal === undefined ? {} : { abortSignal: init.signal }
    );
    const body = await readAll(response.body as AsyncIterable<Uint8Array> | undefined);
    const status = response.statusCode;
    if (status >= 300 && status < 400 && init.redirect !== 'manual') {
      throw new TypeError(`refused a ${status} redirect from ${url.origin}${url.pathname}`);
    }
    return answer(url, status, response.headers, body);
  };
};

/** The URL's query as the handler takes it (a repeated name becomes a list). */
const queryOf = (url: URL): Record<string, string | string[]> => {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const before = query[name];
    query[name] = before === undefined ? value : [...[before].flat(), value];
  }
  return query;
};

/** The whole body: Slack's answers are small, and reading them frees the socket for reuse. */
const readAll = async (stream: AsyncIterable<Uint8Array> | undefined): Promise<Buffer> => {
  if (stream === undefined) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
};

const answer = (
  url: URL,
  status: number,
  rawHeaders: Record<string, string>,
  body: Buffer
): FetchResponse => {
  const headers = new Map(
    Object.entries(rawHeaders).map(([name, value]) => [name.toLowerCase(), value])
  );
  const fetchHeaders: FetchResponse['headers'] = {
    get: (name) => headers.get(name.toLowerCase()) ?? null,
    entries: () => headers.entries(),
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: STATUS_CODES[status] ?? '',
    url: url.href,
    headers: fetchHeaders,
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')) as unknown,
    arrayBuffer: async () =>
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
  };
};
