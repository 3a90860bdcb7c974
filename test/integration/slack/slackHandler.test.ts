import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createNotifyHandler } from '../../../src/composition/notifyHandler';
import { createSlackHandler, type SlackHandler } from '../../../src/composition/slackHandler';
import { loadConfig } from '../../../src/config';
import { findBlockKitViolations } from '../../support/blockKitLimits';
import {
  type BotEnvironment,
  startBotEnvironment,
  TEST_SIGNING_SECRET,
} from '../../support/botEnvironment';
import { captureLogger } from '../../support/captureLogger';
import { signedSlackEvent, slashCommandBody } from '../../support/signedRequest';

const context = {} as Context;
const BRUTE_FORCE_ID = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/events', name), 'utf8'));

type Response = { statusCode: number; body?: string };

describe('Handler: slack', () => {
  let bot: BotEnvironment;
  let handler: SlackHandler;

  const start = async (env: Record<string, string> = {}): Promise<void> => {
    bot = await startBotEnvironment(inject('dynamoEndpoint'), { env });
    handler = await createSlackHandler(loadConfig(bot.env), captureLogger().logger);
  };
  const command = async (
    text: string,
    fields: Record<string, string> = {},
    signing: { timestamp?: number; signature?: string; base64?: boolean } = {}
  ): Promise<Response> =>
    (await handler(
      signedSlackEvent(slashCommandBody({ text, ...fields }), {
        secret: TEST_SIGNING_SECRET,
        ...signing,
      }),
      context
    )) as Response;
  const answer = (response: Response): { text?: string; blocks?: unknown[] } =>
    JSON.parse(response.body ?? '{}');

  afterEach(async () => {
    await bot?.close();
  });

  describe('request verification', () => {
    it('answers a signed slash command delivered base64-encoded, as HTTP API does', async () => {
      // Prepare
      await start();

      // Act
      const response = await command('help');

      // Assess
      expect(response.statusCode).toBe(200);
      expect(answer(response).text).toContain('/guardduty finding');
    });

    it('answers a signed slash command delivered as plain text', async () => {
      // Prepare
      await start();

      // Act
      const response = await command('help', {}, { base64: false });

      // Assess
      expect(response.statusCode).toBe(200);
    });

    it.each([
      ['a forged signature', { signature: `v0=${'0'.repeat(64)}` }],
      ['a stale timestamp (replay)', { timestamp: Math.floor(Date.now() / 1000) - 301 }],
    ])('refuses %s with 401 and runs no listener', async (_case, signing) => {
      // Prepare
      await start();

      // Act
      const response = await command('help', {}, signing);

      // Assess
      expect(response.statusCode).toBe(401);
      expect(bot.slack.calls).toHaveLength(0);
    });
  });

  describe('/guardduty', () => {
    it('lists what the bot can do today', async () => {
      // Prepare
      await start();

      // Act
      const response = await command('');

      // Assess
      const { text } = answer(response);
      expect(text).toContain('/guardduty finding &lt;finding-id&gt;');
      expect(text).toContain('/guardduty help');
      for (const subcommand of ['logs', 'hub', 'report', 'suppressions']) {
        expect(text).toContain(`/guardduty ${subcommand}`);
      }
    });

    it('answers a malformed command with the precise problem and the help', async () => {
      // Prepare
      await start();

      // Act
      const response = await command('finding <!channel>');

      // Assess
      const { text } = answer(response);
      expect(text).toContain('does not look like a finding id');
      expect(text).not.toContain('<!channel>');
    });

    it('shows a finding ephemerally with a link to its card, posting nothing', async () => {
      // Prepare
      await start();
      const notify = await createNotifyHandler(loadConfig(bot.env), captureLogger().logger);
      await notify(fixture('01-ec2-sshbruteforce.json'));
      const posted = bot.slack.okCallsTo('chat.postMessage')[0]?.response as { ts: string };
      bot.slack.reset();

      // Act
      const response = await command(`finding ${BRUTE_FORCE_ID}`);

      // Assess
      const body = answer(response);
      expect(JSON.parse(response.body ?? '{}')).toMatchObject({ response_type: 'ephemeral' });
      expect(findBlockKitViolations(body)).toStrictEqual([]);
      expect(JSON.stringify(body.blocks)).toContain(
        `https://slack.com/archives/C0INCIDENTS/p${posted.ts.replace('.', '')}`
      );
      expect(bot.slack.calls.filter((call) => call.method.startsWith('chat.'))).toHaveLength(0);
    });

    it('offers the card buttons for a finding that was only gathered into a digest', async () => {
      // Prepare
      await start({ POST_BUDGET_BURST: '0' });
      const notify = await createNotifyHandler(loadConfig(bot.env), captureLogger().logger);
      await notify(fixture('01-ec2-sshbruteforce.json'));

      // Act
      const response = await command(`finding ${BRUTE_FORCE_ID}`);

      // Assess
      const body = answer(response);
      const serialized = JSON.stringify(body.blocks);
      expect(serialized).toContain('storm digest');
      expect(serialized).toContain('"action_id":"isolate"');
      expect(findBlockKitViolations(body)).toStrictEqual([]);
    });

    it('says so when the finding is unknown', async () => {
      // Prepare
      await start();

      // Act
      const response = await command('finding 0123456789abcdef0123456789abcdef');

      // Assess
      expect(answer(response).text).toContain('No finding');
    });

    it('refuses requests from another workspace when SLACK_TEAM_ID is set', async () => {
      // Prepare
      await start({ SLACK_TEAM_ID: 'T0TEST' });

      // Act
      const response = await command(`finding ${BRUTE_FORCE_ID}`, { team_id: 'T0OTHER' });

      // Assess
      expect(answer(response).text).toContain('only answers its own workspace');
    });

    it('refuses people who are neither approvers nor read-only responders', async () => {
      // Prepare
      await start();

      // Act
      const response = await command(`finding ${BRUTE_FORCE_ID}`, { user_id: 'U0MALLORY' });

      // Assess
      expect(answer(response).text).toContain('not on the responders list');
    });

    it('refuses channels outside ALLOWED_CHANNELS', async () => {
      // Prepare
      await start({ ALLOWED_CHANNELS: 'C0SOMEWHEREELSE' });

      // Act
      const response = await command(`finding ${BRUTE_FORCE_ID}`);

      // Assess
      expect(answer(response).text).toContain('not enabled in this channel');
    });
  });
});
