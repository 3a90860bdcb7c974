import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildOptionsFor, productionSettings, REPO_ROOT } from '../../../bench/esbuildSettings';
import {
  type BotEnvironment,
  startBotEnvironment,
  TEST_SIGNING_SECRET,
} from '../../support/botEnvironment';
import { signedSlackEvent, slashCommandBody } from '../../support/signedRequest';

const MARKER = '@@BENCH_RESULT@@';

/**
 * The production slack bundle (built with serverless.yml's esbuild settings, aliases included)
 * replaces Bolt's unused receivers with a stub. Unit and integration tests run the unbundled code,
 * so this drives the bundle itself, in a fresh Node process, with signed requests.
 */
describe('Deployment: the packaged slack bundle', () => {
  let dir: string;
  let bundle: string;
  let bot: BotEnvironment;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slack-bundle-'));
    await build(buildOptionsFor(productionSettings(), 'handlers/slack.ts', dir));
    const [file] = readdirSync(dir).filter((name) => name.endsWith('.mjs'));
    bundle = join(dir, file ?? 'slack.mjs');
    bot = await startBotEnvironment(inject('dynamoEndpoint'));
  });

  afterAll(async () => {
    await bot?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies, answers and refuses signed requests with Bolt’s receivers stubbed out', async () => {
    // Prepare
    const help = signedSlackEvent(slashCommandBody({ text: 'help' }), {
      secret: TEST_SIGNING_SECRET,
    });
    const forged = signedSlackEvent(slashCommandBody({ text: 'help' }), {
      secret: TEST_SIGNING_SECRET,
      signature: `v0=${'0'.repeat(64)}`,
    });
    const job = join(dir, 'job.json');
    writeFileSync(job, JSON.stringify({ bundle, requests: [{ event: help }, { event: forged }] }));

    // Act: asynchronously, so that this process's Slack server can answer the bundle's calls.
    const { stdout: output } = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, 'bench/coldRunner.mjs'), job],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...bot.env,
          AWS_ENDPOINT_URL_DYNAMODB: String(process.env.AWS_ENDPOINT_URL_DYNAMODB),
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        encoding: 'utf8',
        timeout: 60_000,
      }
    );

    // Assess
    const line = output.split('\n').find((candidate) => candidate.startsWith(MARKER)) ?? '';
    const result = JSON.parse(line.slice(MARKER.length)) as {
      error?: string;
      requests: { response: { statusCode: number; body?: string } }[];
    };
    expect(result.error).toBeUndefined();
    expect(result.requests.map((request) => request.response.statusCode)).toStrictEqual([200, 401]);
    expect(JSON.parse(result.requests[0]?.response.body ?? '{}').text).toContain('/guardduty logs');
  });
});
