import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTransport } from '../../../src/adapters/slack/slackTransport';
import { SlackServer } from '../../support/SlackServer';

/** A loopback server whose answer each test chooses, recording what arrived. */
class ScriptedServer {
  readonly requests: {
    method?: string;
    url?: string;
    headers: IncomingMessage['headers'];
    body: string;
    clientPort?: number;
  }[] = [];
  answer: (request: IncomingMessage, response: ServerResponse) => void = (_, response) =>
    response.end();
  readonly #server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        clientPort: request.socket.remotePort,
      });
      this.answer(request, response);
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  start = () => new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  stop = () =>
    new Promise<void>((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
}

describe('the Slack transport (the SDK’s Node HTTP handler behind the fetch shape)', () => {
  const scripted = new ScriptedServer();
  const slack = new SlackServer({
    rateLimits: { postMessagePerChannel: { perSecond: 1, burst: 1 } },
  });
  const transport = createSlackTransport();

  beforeAll(async () => {
    await Promise.all([scripted.start(), slack.start()]);
  });
  afterAll(async () => {
    await Promise.all([scripted.stop(), slack.stop()]);
  });
  beforeEach(() => {
    scripted.requests.length = 0;
    slack.reset();
  });

  it('carries the Web API client’s calls: posts, 429s handed back with Retry-After, API errors', async () => {
    const client = new WebClient('xoxb-test-token', {
      slackApiUrl: slack.apiUrl,
      fetch: transport,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 5_000,
    });
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'a <b> & “c”' });
    expect(posted.ok).toBe(true);
    expect(slack.message('C1', posted.ts as string)?.text).toBe('a <b> & “c”');

    const refused = await client.chat
      .postMessage({ channel: 'C1', text: 'too fast' })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: ErrorCode.RateLimitedError });
    expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThan(0);

    const missing = await client.chat
      .update({ channel: 'C1', ts: '1.000001', text: 'nothing there' })
      .catch((error: unknown) => error);
    expect(missing).toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'message_not_found' },
    });
  });

  it('sends method, headers, body and query as given and answers status, headers and body', async () => {
    scripted.answer = (_, response) => {
      response.writeHead(201, {
        'Content-Type': 'application/json',
        'X-OAuth-Scopes': 'chat:write',
      });
      response.end('{"ok":true,"text":"é"}');
    };
    const response = await transport(`${scripted.url}/api/chat.postMessage?a=1&a=2&b=x%20y`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer xoxb-1',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'text=%C3%A9',
    });
    expect(scripted.requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/chat.postMessage?a=1&a=2&b=x%20y',
      body: 'text=%C3%A9',
      headers: { authorization: 'Bearer xoxb-1', 'content-length': '11' },
    });
    expect(response).toMatchObject({ ok: true, status: 201, statusText: 'Created' });
    expect(response.headers.get('x-oauth-scopes')).toBe('chat:write');
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('retry-after')).toBeNull();
    expect(Object.fromEntries(response.headers.entries())).toMatchObject({
      'content-type': 'application/json',
    });
    expect(await response.json()).toEqual({ ok: true, text: 'é' });
    expect(await response.text()).toBe('{"ok":true,"text":"é"}');
    expect(Buffer.from(await response.arrayBuffer()).toString('utf8')).toBe(
      '{"ok":true,"text":"é"}'
    );
  });

  it('keeps the socket alive between calls', async () => {
    scripted.answer = (_, response) => response.end('{"ok":true}');
    for (let call = 0; call < 3; call += 1) {
      await transport(`${scripted.url}/api/auth.test`, { method: 'POST', body: '' });
    }
    const ports = new Set(scripted.requests.map((request) => request.clientPort));
    expect(scripted.requests).toHaveLength(3);
    expect(ports.size).toBe(1);
  });

  it('closes a socket left idle, but never cuts a slow answer', async () => {
    // Prepare
    const quick = createSlackTransport({ idleSocketMs: 150 });
    scripted.answer = (request, response) => {
      setTimeout(() => response.end('{"ok":true}'), request.url === '/api/slow' ? 400 : 0);
    };

    // Act
    const slow = await quick(`${scripted.url}/api/slow`, { method: 'POST', body: '' });
    await quick(`${scripted.url}/api/auth.test`, { method: 'POST', body: '' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await quick(`${scripted.url}/api/auth.test`, { method: 'POST', body: '' });

    // Assess
    expect(await slow.json()).toEqual({ ok: true });
    const [first, second, afterIdle] = scripted.requests.map((request) => request.clientPort);
    expect(second).toBe(first);
    expect(afterIdle).not.toBe(first);
  });

  it('refuses a redirect unless asked for it as is', async () => {
    scripted.answer = (_, response) => {
      response.writeHead(302, { Location: 'https://elsewhere.example/' });
      response.end();
    };
    await expect(
      transport(`${scripted.url}/api/chat.postMessage`, {
        method: 'POST',
        body: '',
        redirect: 'error',
      })
    ).rejects.toThrow(/refused a 302 redirect/);
    const manual = await transport(`${scripted.url}/x`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe('https://elsewhere.example/');
  });

  it('gives up when the abort signal fires (the Web API client’s per-call timeout)', async () => {
    scripted.answer = () => undefined; // never answers
    const client = new WebClient('xoxb-test-token', {
      slackApiUrl: `${scripted.url}/api/`,
      fetch: transport,
      retryConfig: { retries: 0 },
      timeout: 100,
    });
    const started = Date.now();
    const failed = await client.auth.test().catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: ErrorCode.RequestError });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('sends a multipart body (a file upload) through Node’s fetch', async () => {
    scripted.answer = (_, response) => response.end('OK');
    const form = new FormData();
    form.append('file', new Blob(['report body']), 'report.md');
    const response = await transport(`${scripted.url}/upload/v1/abc`, {
      method: 'POST',
      body: form,
    });
    expect(response.status).toBe(200);
    expect(scripted.requests[0]?.headers['content-type']).toMatch(
      /^multipart\/form-data; boundary=/
    );
    expect(scripted.requests[0]?.body).toContain('report body');
  });
});
