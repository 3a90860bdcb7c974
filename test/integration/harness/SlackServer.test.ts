import { type ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackServer } from '../../support/SlackServer';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('SlackServer with the real WebClient', () => {
  const server = new SlackServer({
    rateLimits: { postMessagePerChannel: { perSecond: 1, burst: 3 } },
  });
  let client: WebClient;

  beforeAll(async () => {
    await server.start();
    client = new WebClient('xoxb-test-token', {
      slackApiUrl: server.apiUrl,
      retryConfig: { retries: 0 },
      timeout: 5_000,
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  it('records a post and an update of the same message', async () => {
    const posted = await client.chat.postMessage({
      channel: 'C1',
      text: 'GuardDuty: SSH brute force',
      blocks: [section('*High* SSH brute force')],
    });
    expect(posted.ok).toBe(true);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);

    const second = await client.chat.postMessage({ channel: 'C1', text: 'second' });
    expect(Number(second.ts)).toBeGreaterThan(Number(posted.ts));

    const updated = await client.chat.update({
      channel: 'C1',
      ts: posted.ts as string,
      text: 'GuardDuty: SSH brute force (isolated)',
      blocks: [section('*High* isolated')],
    });
    expect(updated.ok).toBe(true);

    const [post] = server.callsTo('chat.postMessage');
    expect(post?.body).toMatchObject({
      channel: 'C1',
      blocks: [section('*High* SSH brute force')],
    });
    expect(server.callsTo('chat.update')[0]?.body).toMatchObject({ ts: posted.ts });
    expect(server.message('C1', posted.ts as string)).toMatchObject({
      text: 'GuardDuty: SSH brute force (isolated)',
      blocks: [section('*High* isolated')],
      edits: 1,
    });
  });

  it('answers message_not_found when updating a message that does not exist', async () => {
    await expect(
      client.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' })
    ).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });

  it('answers the other methods the bot uses', async () => {
    server.setUser('U1', { name: 'alice', is_restricted: false, team_id: 'T0TEST' });
    server.setUserGroup('S1', ['U1', 'U2']);
    const { ts } = await client.chat.postMessage({ channel: 'C1', text: 'card' });

    const link = await client.chat.getPermalink({ channel: 'C1', message_ts: ts as string });
    expect(link.permalink).toBe(
      `https://example.slack.com/archives/C1/p${(ts as string).replace('.', '')}`
    );
    expect(
      (await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' })).message_ts
    ).toBeTypeOf('string');
    expect((await client.users.info({ user: 'U1' })).user).toMatchObject({
      id: 'U1',
      name: 'alice',
      is_restricted: false,
    });
    await expect(client.users.info({ user: 'U404' })).rejects.toMatchObject({
      data: { error: 'user_not_found' },
    });
    expect((await client.usergroups.users.list({ usergroup: 'S1' })).users).toEqual(['U1', 'U2']);
    expect((await client.auth.test()).user_id).toBe('U0BOT');

    const opened = await client.views.open({
      trigger_id: '1.2.3',
      view: { type: 'modal', title: { type: 'plain_text', text: 'Dismiss' }, blocks: [] },
    });
    const viewId = opened.view?.id as string;
    expect(viewId).toMatch(/^V/);
    const updated = await client.views.update({
      view_id: viewId,
      view: { type: 'modal', title: { type: 'plain_text', text: 'Dismissed' }, blocks: [] },
    });
    expect(updated.view?.title?.text).toBe('Dismissed');

    await expect(client.apiCall('no.such.method')).rejects.toMatchObject({
      data: { error: 'unknown_method' },
    });
  });

  it('refuses a 51-block message with invalid_blocks and marks the call rejected', async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    const error = await client.chat
      .postMessage({ channel: 'C1', text: 'big', blocks })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'slack_webapi_platform_error' satisfies `${ErrorCode.PlatformError}`,
      data: { ok: false, error: 'invalid_blocks', errors: ['blocks: 51 blocks > 50'] },
    });
    expect(server.callsTo('chat.postMessage')[0]?.rejected).toBe(true);
    expect(server.okCallsTo('chat.postMessage')).toHaveLength(0);
  });

  it('answers invalid_auth to a wrong token', async () => {
    const stranger = new WebClient('xoxb-wrong', {
      slackApiUrl: server.apiUrl,
      retryConfig: { retries: 0 },
    });
    await expect(stranger.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      data: { error: 'invalid_auth' },
    });
  });

  it('injects Slack errors and 5xx responses', async () => {
    server.failNext('chat.postMessage', { error: 'channel_not_found' });
    server.failNext('chat.postMessage', { status: 500 });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 500,
    });
    expect((await client.chat.postMessage({ channel: 'C1', text: 'x' })).ok).toBe(true);
    expect(server.callsTo('chat.postMessage').map((call) => call.status)).toEqual([200, 500, 200]);
  });

  it('answers 429 with Retry-After, which the WebClient waits out before retrying', async () => {
    const patient = new WebClient('xoxb-test-token', {
      slackApiUrl: server.apiUrl,
      retryConfig: { retries: 1, factor: 1, minTimeout: 0, maxTimeout: 0 },
      logLevel: LogLevel.ERROR,
    });
    server.failNext('chat.update', { status: 429, retryAfter: 1 });
    const { ts } = await patient.chat.postMessage({ channel: 'C1', text: 'card' });
    const started = Date.now();
    const updated = await patient.chat.update({ channel: 'C1', ts: ts as string, text: 'updated' });
    expect(updated.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(server.callsTo('chat.update').map((call) => call.status)).toEqual([429, 200]);
  });

  it('rate-limits posts per channel beyond the burst', async () => {
    const rejecting = new WebClient('xoxb-test-token', {
      slackApiUrl: server.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        rejecting.chat.postMessage({ channel: 'C9', text: `m${i}` })
      )
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 1,
    });
    expect(server.rateLimited['chat.postMessage']).toBe(2);
    // another channel has its own bucket
    expect((await rejecting.chat.postMessage({ channel: 'C10', text: 'other' })).ok).toBe(true);
  });

  it('receives a files.uploadV2 upload into a thread', async () => {
    const result = await client.files.uploadV2({
      channel_id: 'C1',
      thread_ts: '1731000000.000100',
      filename: 'after-action.md',
      content: '# After-action report\n\nIsolated i-0abc.',
      initial_comment: 'After-action report',
    });
    expect(result.ok).toBe(true);
    expect(server.uploadedFiles).toEqual([
      {
        file_id: expect.stringMatching(/^F/),
        filename: 'after-action.md',
        title: 'after-action.md',
        content: '# After-action report\n\nIsolated i-0abc.',
        channel_id: 'C1',
        thread_ts: '1731000000.000100',
        initial_comment: 'After-action report',
      },
    ]);
    expect(server.calls.map((call) => call.method)).toEqual([
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
  });

  describe('response_url', () => {
    const post = (url: string, body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('records posts and replaces the original message', async () => {
      const { ts } = await client.chat.postMessage({ channel: 'C1', text: 'card' });
      const url = server.responseUrl('click-1', { channel: 'C1', ts: ts as string });
      const response = await post(url, { replace_original: true, text: 'Isolating…' });
      expect(response.status).toBe(200);
      expect(server.responsesTo('click-1')).toMatchObject([
        { body: { text: 'Isolating…' }, status: 200 },
      ]);
      expect(server.message('C1', ts as string)?.text).toBe('Isolating…');
    });

    it('refuses invalid blocks with a non-2xx status', async () => {
      const response = await post(server.responseUrl('r'), { blocks: [section('no fallback')] });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_blocks' });
      expect(server.responsesTo('r')[0]?.rejected).toBe(true);
    });

    it('answers 404 expired_url once expired', async () => {
      const url = server.responseUrl();
      server.expireResponseUrls();
      const response = await post(url, { text: 'too late' });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ ok: false, error: 'expired_url' });
    });

    it('accepts five posts per url and refuses the sixth', async () => {
      const url = server.responseUrl('five');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await post(url, { text: `step ${i}` })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    });
  });

  describe('robustness', () => {
    it('refuses bodies over 1 MB', async () => {
      const response = await fetch(`${server.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: 'Bearer xoxb-test-token', 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'C1', text: 'x'.repeat(1_100_000) }),
      });
      expect(response.status).toBe(413);
    });

    it('answers invalid_json to a malformed JSON body and keeps serving', async () => {
      const response = await fetch(`${server.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: 'Bearer xoxb-test-token', 'content-type': 'application/json' },
        body: '{"channel":',
      });
      expect(await response.json()).toEqual({ ok: false, error: 'invalid_json' });
      expect((await client.auth.test()).ok).toBe(true);
    });

    it('accepts JSON bodies as Slack does', async () => {
      const response = await fetch(`${server.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer xoxb-test-token',
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify({ channel: 'C1', text: 'json', blocks: [section('json')] }),
      });
      expect(await response.json()).toMatchObject({ ok: true, channel: 'C1' });
    });
  });
});
