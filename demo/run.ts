/**
 * The offline demo: replays the GuardDuty workshop's incident through the real handlers, against
 * DynamoDB Local and the loopback Slack server, and prints the Slack transcript a responder
 * would see. It checks its own invariants and exits non-zero when one breaks.
 *
 *   npm run demo                              # the workshop story
 *   npm run demo -- --event my-finding.json   # replay your own EventBridge event file(s)
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Context } from 'aws-lambda';
import { findBlockKitViolations } from '../test/support/blockKitLimits';
import { startBotEnvironment, TEST_SIGNING_SECRET } from '../test/support/botEnvironment';
import { startDynamoLocal } from '../test/support/dynamoLocal';
import { signedSlackEvent, slashCommandBody } from '../test/support/signedRequest';
import { blockKitBuilderLink, renderMessage } from './transcript';

type Json = Record<string, unknown>;

const EVENTS = join(import.meta.dirname, '../test/fixtures/events');
const BRUTE_FORCE_ID = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';

const readEvent = (path: string): Json => JSON.parse(readFileSync(path, 'utf8')) as Json;

/** The workshop's story, in the order GuardDuty would raise it. */
const WORKSHOP: { say: string; file: string }[] = [
  {
    say: 'hydra starts an SSH brute force against the web server (GuardDuty: Low, count 37)',
    file: '01-ec2-sshbruteforce.json',
  },
  {
    say: 'the compromised host calls an IP on the custom threat list',
    file: '02-ec2-maliciousipcaller-custom.json',
  },
  {
    say: "the instance's role credentials are used from outside AWS",
    file: '03-iam-instancecredentialexfiltration-outsideaws.json',
  },
  {
    say: 'an IAM user calls CreateUser from the threat-listed IP',
    file: '04-iam-maliciousipcaller-custom.json',
  },
  {
    say: 'the same user runs reconnaissance (ssm DescribeParameters)',
    file: '05-iam-recon-maliciousipcaller-custom.json',
  },
  {
    say: 'Malware Protection scans the instance and finds a malicious file',
    file: '06-ec2-malware-maliciousfile.json',
  },
  {
    say: 'Security Hub re-publishes the brute-force finding (GuardDuty is ingested directly: skipped)',
    file: '07-securityhub-imported-guardduty-sshbruteforce.json',
  },
  {
    say: 'six hours later GuardDuty re-publishes the brute force: count 412, new actor IP',
    file: 'variants/01b-ec2-sshbruteforce-update.json',
  },
  {
    say: 'EventBridge delivers that update a second time (at-least-once delivery)',
    file: 'variants/01b-ec2-sshbruteforce-update.json',
  },
];

const line = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

const main = async (): Promise<number> => {
  const { values } = parseArgs({ options: { event: { type: 'string', multiple: true } } });
  const custom = values.event ?? [];
  const story =
    custom.length > 0
      ? custom.map((file) => ({ say: `replaying ${file}`, file: resolve(file) }))
      : WORKSHOP.map((step) => ({ ...step, file: join(EVENTS, step.file) }));

  line('GuardDuty incident bot: offline demo');
  line('Starting DynamoDB Local and the loopback Slack server…');
  const dynamo = await startDynamoLocal();
  const bot = await startBotEnvironment(dynamo.endpoint);
  Object.assign(process.env, bot.env);
  const failures: string[] = [];
  try {
    const notify = await import('../handlers/notify');
    const slack = await import('../handlers/slack');

    line();
    line('── GuardDuty → EventBridge → notify ──');
    const processed = new Set<string>();
    for (const [index, step] of story.entries()) {
      const before = bot.slack.calls.length;
      line();
      line(`${index + 1}. ${step.say}`);
      try {
        const result = (await notify.handler(readEvent(step.file))) as Json;
        line(`   notify: ${JSON.stringify(result)}`);
        if (result.status === 'processed') processed.add(String(result.findingId));
      } catch (error) {
        line(`   notify refused the event: ${(error as Error).message}`);
        if (custom.length === 0)
          failures.push(`step ${index + 1} failed: ${(error as Error).message}`);
      }
      for (const call of bot.slack.calls.slice(before)) {
        const verb = call.method === 'chat.update' ? 'edits the card' : 'posts';
        line(
          renderMessage(
            `   Slack ${call.method} (${verb}) in ${String(call.body.channel)}:`,
            call.body
          )
        );
      }
    }

    if (custom.length === 0) {
      line();
      line('── A responder asks about the brute force: /guardduty finding … ──');
      const response = (await slack.handler(
        signedSlackEvent(slashCommandBody({ text: `finding ${BRUTE_FORCE_ID}` }), {
          secret: TEST_SIGNING_SECRET,
        }),
        {} as Context
      )) as { statusCode: number; body: string };
      const answer = JSON.parse(response.body) as Json;
      line(renderMessage(`   ephemeral answer (HTTP ${response.statusCode}):`, answer));
      if (response.statusCode !== 200) failures.push('the slash command was not answered with 200');
      if (findBlockKitViolations(answer).length > 0)
        failures.push('the slash command answer breaks Block Kit limits');
    }

    checkInvariants(bot.slack.calls, processed, custom.length === 0, failures);

    line();
    line('── Block Kit Builder links (open to inspect each message) ──');
    for (const call of bot.slack.okCallsTo('chat.postMessage')) {
      line(`${String(call.body.text).slice(0, 80)}`);
      line(`  ${blockKitBuilderLink(call.body.blocks)}`);
    }
  } finally {
    await bot.close();
    await dynamo.stop();
  }

  line();
  if (failures.length > 0) {
    line('Demo invariants BROKEN:');
    for (const failure of failures) line(`  ✗ ${failure}`);
    return 1;
  }
  line('All demo invariants hold.');
  return 0;
};

/** One card per finding, the re-published finding updated in place, every payload within limits. */
const checkInvariants = (
  calls: { method: string; body: Json; response: unknown; rejected?: boolean }[],
  processed: Set<string>,
  workshop: boolean,
  failures: string[]
): void => {
  const posts = calls.filter((call) => call.method === 'chat.postMessage' && !call.rejected);
  const check = (ok: boolean, text: string): void => {
    line(`  ${ok ? '✓' : '✗'} ${text}`);
    if (!ok) failures.push(text);
  };
  line();
  line('── Invariants ──');
  check(
    posts.length === processed.size,
    `one card per finding (${processed.size} findings, ${posts.length} cards posted)`
  );
  check(
    calls.every((call) => !call.rejected),
    'Slack accepted every payload'
  );
  check(
    calls.every((call) => findBlockKitViolations(call.body).length === 0),
    'every payload is within Block Kit limits'
  );
  if (workshop) {
    const card = posts.find((call) => JSON.stringify(call.body.blocks).includes(BRUTE_FORCE_ID));
    const cardTs = (card?.response as { ts?: string } | undefined)?.ts;
    const edits = calls.filter((call) => call.method === 'chat.update' && call.body.ts === cardTs);
    check(
      edits.length === 1 && JSON.stringify(edits[0]?.body.blocks).includes('412'),
      're-published brute force updated its card in place (count 412), once despite the duplicate'
    );
  }
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  }
);
