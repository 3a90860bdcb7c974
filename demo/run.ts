/**
 * The offline demo: replays the GuardDuty workshop's incident through the real handlers, against
 * DynamoDB Local, the loopback Slack server and an in-memory model of the workshop's AWS account,
 * and prints the Slack transcript a responder would see: the cards, then the responders' taps
 * (Isolate, Investigate, two slash commands, Release, Dismiss through its modal, Report) and the
 * after-action report. It checks its own invariants and exits non-zero when one breaks.
 *
 *   npm run demo                              # the workshop story
 *   npm run demo -- --event my-finding.json   # replay your own EventBridge event file(s), no clicks
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoFindingStore } from '../src/adapters/dynamodb/DynamoFindingStore';
import { findingCardKey } from '../src/app/CardRefresher';
import { buildAfterActionReport } from '../src/app/report/buildAfterActionReport';
import { createLogger } from '../src/composition/clients';
import { createNotifyHandler } from '../src/composition/notifyHandler';
import { createSlackHandler, type SlackHandler } from '../src/composition/slackHandler';
import { createWorkerHandler, type WorkerHandler } from '../src/composition/workerHandler';
import { loadConfig } from '../src/config';
import { DISMISS_ACTION_IDS, DISMISS_BLOCK_IDS } from '../src/slack/views/dismissModal';
import { findBlockKitViolations, findViewViolations } from '../test/support/blockKitLimits';
import {
  type BotEnvironment,
  startBotEnvironment,
  TEST_SIGNING_SECRET,
  TEST_USERS,
} from '../test/support/botEnvironment';
import { type DynamoLocal, startDynamoLocal } from '../test/support/dynamoLocal';
import type { RecordedCall } from '../test/support/SlackServer';
import {
  blockActionPayload,
  blockActionsBody,
  signedSlackEvent,
  slashCommandBody,
  TEST_SLACK_IDS,
} from '../test/support/signedRequest';
import {
  blockKitBuilderLink,
  cardStatus,
  plainMrkdwn,
  renderCardChange,
  renderMessage,
  renderView,
} from './transcript';
import { WORKSHOP, WORKSHOP_INSTANCES, WorkshopAccount } from './workshopAccount';
import { shiftTimes, workshopShiftMs } from './workshopTimeline';

type Json = Record<string, unknown>;
type UserId = keyof typeof TEST_USERS;

const ROOT = join(import.meta.dirname, '..');
const EVENTS = join(ROOT, 'test/fixtures/events');

/** The findings the responders act on. */
const FINDINGS = {
  bruteForce: '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12',
  maliciousIpCaller: '2ab5d7e9f1c34b6a8d0e2f4a6c8e0b13',
  credentialExfiltration: '5e7f9a1b3c5d4e6f8a0b2c4d6e8f0a14',
  recon: '9c1d3e5f7a9b4c6d8e0f2a4b6c8d0e16',
} as const;

/** The workshop's story, in the order GuardDuty would raise it. */
const WORKSHOP_STORY: { say: string; file: string }[] = [
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

/** Where the transcript goes. */
export interface DemoOutput {
  write(chunk: string): unknown;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where the transcript is written. @default process.stdout */
  out?: DemoOutput;
  /** Command-line arguments (`--event file.json`, repeatable). @default process.argv.slice(2) */
  argv?: string[];
  /** A running DynamoDB Local to use (tests share one); otherwise the demo starts its own. */
  dynamoEndpoint?: string;
}

/** What the loopback Slack server recorded up to a moment, to show what happened after it. */
interface Mark {
  calls: number;
  responses: number;
}

/** An `SQSEvent` carrying one captured `SendMessage` body, delivered for the first time. */
const sqsEvent = (body: string): SQSEvent => {
  const messageId = randomUUID();
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: `AQEB${messageId.replaceAll('-', '')}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'AROAEXAMPLESLACKFN:guardduty-slack-responder-slack',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:guardduty-bot-work',
        awsRegion: 'us-east-1',
      },
    ],
  };
};

/** Runs `tsx scripts/report.ts <id>` (what `npm run report -- <id>` runs) and returns its stdout. */
const reportCli = (findingId: string, env: Record<string, string>): Promise<string> =>
  new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts/report.ts'), findingId],
      { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout)
    );
  });

/**
 * Runs the demo and returns its exit code: 0 when every invariant held. The transcript goes to
 * `options.out`. Sets the bot's configuration in `process.env` while it runs (the AWS SDK reads
 * its endpoints there) and restores it afterwards.
 */
export const runDemo = async (options: DemoOptions = {}): Promise<number> => {
  const out = options.out ?? process.stdout;
  const line = (text = ''): void => {
    out.write(`${text}\n`);
  };
  const { values } = parseArgs({
    args: options.argv ?? process.argv.slice(2),
    options: { event: { type: 'string', multiple: true } },
  });
  const custom = values.event ?? [];
  const workshop = custom.length === 0;
  const startedAt = Date.now();
  const shiftMs = workshop ? workshopShiftMs(startedAt) : 0;
  const story = workshop
    ? WORKSHOP_STORY.map((step) => ({ ...step, file: join(EVENTS, step.file) }))
    : custom.map((file) => ({ say: `replaying ${file}`, file: resolve(file) }));

  line('GuardDuty incident bot: offline demo');
  if (workshop) {
    line(
      `The workshop's events of 2025-03-11 are replayed as if they happened today (every time moved by ${Math.round(
        shiftMs / 86_400_000
      )} days, the last event two minutes ago).`
    );
  }
  line('Starting DynamoDB Local and the loopback Slack server…');

  const savedEnv = { ...process.env };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let dynamo: DynamoLocal | undefined;
  let bot: BotEnvironment | undefined;
  const sqs = mockClient(SQSClient);
  const failures: string[] = [];
  try {
    if (options.dynamoEndpoint === undefined) dynamo = await startDynamoLocal();
    const endpoint = options.dynamoEndpoint ?? dynamo?.endpoint ?? '';
    bot = await startBotEnvironment(endpoint, {
      env: {
        // The workshop's account and Region: where `/guardduty logs|hub` look.
        AWS_REGION: WORKSHOP.region,
        HOME_ACCOUNT_ID: WORKSHOP.accountId,
        UNTRACK_HOLD_SECONDS: '1',
        // The demo moves six hours of findings into seconds: no edit waits for a window or budget.
        CARD_UPDATE_INTERVAL_SECONDS: '0',
        CARD_EDITS_PER_MINUTE: '6000',
      },
    });
    Object.assign(process.env, bot.env);
    const config = loadConfig(bot.env);
    const logger = createLogger(config);
    const notify = await createNotifyHandler(config, logger);

    line();
    line('── GuardDuty → EventBridge → notify ──');
    const processed = new Set<string>();
    for (const [index, step] of story.entries()) {
      const before = bot.slack.calls.length;
      line();
      line(`${index + 1}. ${step.say}`);
      try {
        const event = shiftTimes(JSON.parse(readFileSync(step.file, 'utf8')) as Json, shiftMs);
        const result = (await notify(event)) as unknown as Json;
        line(`   notify: ${JSON.stringify(result)}`);
        if (result.status === 'processed') processed.add(String(result.findingId));
      } catch (error) {
        line(`   notify refused the event: ${(error as Error).message}`);
        if (workshop) failures.push(`step ${index + 1} failed: ${(error as Error).message}`);
      }
      for (const call of bot.slack.calls.slice(before)) {
        const verb = call.method === 'chat.update' ? 'edits the card' : 'posts';
        line(
          renderMessage(
            `   Slack ${call.method} (${verb}) in ${String(call.body.channel)}:`,
            call.body,
            TEST_USERS
          )
        );
      }
    }
    const notifyCalls = [...bot.slack.calls];

    if (workshop) {
      const queued: string[] = [];
      sqs.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
        queued.push(input.MessageBody ?? '');
        return { MessageId: randomUUID() };
      });
      const slack = await createSlackHandler(config, logger);
      const account = WorkshopAccount.fromFixtures(EVENTS, shiftMs);
      const worker = await createWorkerHandler(config, logger, account.ports());
      await respond({
        bot,
        slack,
        worker,
        account,
        queued,
        line,
        failures,
        tableEnv: {
          TABLE_NAME: bot.tableName,
          AWS_ENDPOINT_URL_DYNAMODB: endpoint,
          AWS_REGION: WORKSHOP.region,
        },
      });
    }

    checkInvariants(bot, notifyCalls, processed, workshop, line, failures);

    line();
    line('── Block Kit Builder links (open to inspect each message) ──');
    for (const call of bot.slack.okCallsTo('chat.postMessage')) {
      const ts = (call.response as { ts?: string }).ts ?? '';
      const now = bot.slack.message(String(call.body.channel), ts);
      const where = call.body.thread_ts === undefined ? 'card' : 'thread';
      line(
        `${where}: ${plainMrkdwn(String(now?.text ?? call.body.text), TEST_USERS).slice(0, 80)}`
      );
      line(`  ${blockKitBuilderLink(now?.blocks ?? call.body.blocks)}`);
    }
  } finally {
    sqs.restore();
    await bot?.close();
    await dynamo?.stop();
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) delete process.env[key];
    }
    Object.assign(process.env, savedEnv);
  }

  line();
  line(`Demo ran in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
  if (failures.length > 0) {
    line('Demo invariants BROKEN:');
    for (const failure of failures) line(`  ✗ ${failure}`);
    return 1;
  }
  line('All demo invariants hold.');
  return 0;
};

// ---------------------------------------------------------------------------------------------
// The responders
// ---------------------------------------------------------------------------------------------

interface RespondDeps {
  bot: BotEnvironment;
  slack: SlackHandler;
  worker: WorkerHandler;
  account: WorkshopAccount;
  /** Bodies the Slack path sent to SQS, not yet handed to the worker. */
  queued: string[];
  line: (text?: string) => void;
  failures: string[];
  /** What `npm run report` needs to read this demo's table. */
  tableEnv: Record<string, string>;
}

/**
 * The responders' part: every tap and command goes through the real Slack handler as a signed
 * request, the jobs it queued run in the real worker against the workshop account, and what Slack
 * received is printed.
 */
const respond = async (deps: RespondDeps): Promise<void> => {
  const { bot, account, line, failures } = deps;
  const store = new DynamoFindingStore({ client: bot.dynamo, tableName: bot.tableName });
  const users = TEST_USERS;
  const context = {} as Context;
  const fail = (text: string): void => {
    line(`  ✗ ${text}`);
    failures.push(text);
  };

  const mark = (): Mark => ({
    calls: bot.slack.calls.length,
    responses: bot.slack.responses.length,
  });

  /** Hands every queued job to the worker, one SQS delivery each, until the queue is empty. */
  const runJobs = async (): Promise<void> => {
    while (deps.queued.length > 0) {
      const body = deps.queued.shift() ?? '';
      const kind = (JSON.parse(body) as { kind?: string }).kind ?? '?';
      const result = await deps.worker(sqsEvent(body));
      if (result.batchItemFailures.length > 0) fail(`the worker failed the ${kind} job`);
      line(`  worker: ran the ${kind} job`);
    }
  };

  /** Prints what Slack received since `from`: thread replies, card edits, modals, answers. */
  const show = (from: Mark): void => {
    const calls = bot.slack.calls.slice(from.calls);
    const lastEdit = new Map<string, RecordedCall>();
    for (const call of calls) {
      if (call.method === 'chat.update') lastEdit.set(String(call.body.ts), call);
    }
    for (const call of calls) {
      const body = call.body;
      switch (call.method) {
        case 'chat.postMessage':
          line(
            renderMessage(
              body.thread_ts === undefined ? '  posts in the channel:' : '  replies in the thread:',
              body,
              users
            )
          );
          break;
        case 'chat.update':
          if (lastEdit.get(String(body.ts)) === call) {
            line(renderCardChange('  the card now reads:', body, users));
          } else {
            line(`  card edited: ${cardStatus(body, users).join(' · ') || '(content)'}`);
          }
          break;
        case 'chat.postEphemeral':
          line(
            renderMessage(
              `  only @${users[String(body.user) as UserId] ?? body.user} sees:`,
              body,
              users
            )
          );
          break;
        case 'views.open':
          line(renderView('  a modal opens:', (body.view ?? {}) as Json, users));
          break;
        case 'files.completeUploadExternal': {
          const files = (body.files ?? []) as { title?: string }[];
          line(
            `  uploads ${files.map((file) => file.title ?? 'a file').join(', ')} into the card's thread: ${plainMrkdwn(
              String(body.initial_comment ?? ''),
              users
            )}`
          );
          break;
        }
        default:
          break;
      }
    }
    for (const response of bot.slack.responses.slice(from.responses)) {
      const visibility =
        response.body.response_type === 'in_channel' ? 'in the channel' : 'privately';
      line(
        renderMessage(`  answers through the response_url (${visibility}):`, response.body, users)
      );
    }
  };

  const cardOf = async (findingId: string) => {
    const card = await store.getCard(findingCardKey(findingId));
    const message = card?.ts === undefined ? undefined : bot.slack.message(card.channel, card.ts);
    return card?.ts === undefined || message === undefined
      ? undefined
      : { channel: card.channel, ts: card.ts, message };
  };

  /** A signed block_actions request: `who` taps the card's button `actionId`. */
  const tap = async (who: UserId, actionId: string, findingId: string): Promise<boolean> => {
    const card = await cardOf(findingId);
    const blocks = (card?.message.blocks ?? []) as Json[];
    const actions = blocks.find(
      (block) =>
        block.type === 'actions' &&
        ((block.elements ?? []) as Json[]).some(
          (element) => element.action_id === actionId && element.value === findingId
        )
    );
    if (!card || !actions) {
      fail(`the card of finding ${findingId} offers no ${actionId} button`);
      return false;
    }
    const button = ((actions.elements ?? []) as Json[]).find(
      (element) => element.action_id === actionId
    );
    const text = (value: unknown) => String((value as { text?: unknown } | undefined)?.text ?? '');
    line(`@${users[who]} taps [ ${text(button?.text)} ] on the card`);
    const confirm = button?.confirm as Json | undefined;
    if (confirm !== undefined) {
      line(`  confirm dialog: "${text(confirm.title)}" ${text(confirm.text)}`);
      line(`  @${users[who]} presses [ ${text(confirm.confirm)} ]`);
    }
    const payload = blockActionPayload({
      actionId,
      value: findingId,
      userId: who,
      userName: users[who],
      channelId: card.channel,
      messageTs: card.ts,
      blockId: String(actions.block_id ?? 'actions'),
      responseUrl: bot.slack.responseUrl(undefined, { channel: card.channel, ts: card.ts }),
      message: {
        type: 'message',
        subtype: 'bot_message',
        text: card.message.text ?? '',
        ts: card.ts,
        bot_id: TEST_SLACK_IDS.botId,
        user: TEST_SLACK_IDS.botUserId,
        blocks,
      },
    });
    const response = (await deps.slack(
      signedSlackEvent(blockActionsBody(payload), { secret: TEST_SIGNING_SECRET }),
      context
    )) as { statusCode: number };
    if (response.statusCode !== 200)
      fail(`Slack's ${actionId} request got HTTP ${response.statusCode}`);
    return response.statusCode === 200;
  };

  /** A signed slash command; prints the immediate answer, runs the job, prints the delivery. */
  const command = async (who: UserId, text: string): Promise<void> => {
    const from = mark();
    line(`@${users[who]} types: /guardduty ${text}`);
    const response = (await deps.slack(
      signedSlackEvent(
        slashCommandBody({
          text,
          user_id: who,
          user_name: users[who],
          response_url: bot.slack.responseUrl(),
        }),
        { secret: TEST_SIGNING_SECRET }
      ),
      context
    )) as { statusCode: number; body?: string };
    if (response.statusCode !== 200) fail(`/guardduty ${text} got HTTP ${response.statusCode}`);
    const ack = JSON.parse(response.body || '{}') as Json;
    line(renderMessage('  immediate answer (only the requester sees it):', ack, users));
    if (findBlockKitViolations(ack).length > 0)
      fail(`/guardduty ${text}: the answer breaks Block Kit limits`);
    await runJobs();
    show(from);
  };

  const heading = (text: string): void => {
    line();
    line(`── ${text} ──`);
  };
  const groups = (instanceId: string): string =>
    Object.entries(account.eniGroups(instanceId))
      .map(([eni, ids]) => `${eni} [${ids.map((id) => account.groupName(id)).join(', ')}]`)
      .join(' · ');
  const serving = (instanceId: string): string => {
    const asg = account.autoScalingOf(instanceId);
    const targetGroups = account.targetGroupsOf(instanceId);
    return `${asg ? `${asg.groupName}: ${asg.lifecycleState}` : 'no Auto Scaling group'} · ${
      targetGroups.length > 0 ? `registered in ${targetGroups.join(', ')}` : 'in no target group'
    }`;
  };
  const appId = WORKSHOP_INSTANCES.app;
  const originalAppGroups = account.eniGroups(appId);

  // (a) Isolate app-02 --------------------------------------------------------------------------
  heading('Responders act in Slack');
  line(
    'Every tap and command is a signed request to the Slack handler; the jobs it queues run in the'
  );
  line("worker, against an in-memory model of the workshop's AWS account (EC2, Auto Scaling, ELB,");
  line('GuardDuty, Security Hub and /var/log/secure in CloudWatch Logs).');
  heading('1. @alice isolates app-02 (it called the threat-listed 203.0.113.200)');
  line(`  AWS before: ${groups(appId)}`);
  line(`              ${serving(appId)}`);
  let from = mark();
  if (await tap('U0ALICE', 'isolate', FINDINGS.maliciousIpCaller)) await runJobs();
  show(from);
  line(`  AWS after: ${groups(appId)}`);
  line(`             ${serving(appId)}`);
  line(
    `             evidence: ${account.snapshots
      .filter((snapshot) => snapshot.tags['guardduty-bot:instance'] === appId)
      .map((snapshot) => `${snapshot.snapshotId} (${snapshot.volumeId})`)
      .join(', ')}`
  );

  // (b) Investigate -----------------------------------------------------------------------------
  heading('2. @bob investigates the SSH brute force on web-01');
  from = mark();
  if (await tap('U0BOB', 'investigate', FINDINGS.bruteForce)) await runJobs();
  show(from);
  const webCard = await cardOf(FINDINGS.bruteForce);
  const bruteForceThread = bot.slack.calls
    .slice(from.calls)
    .filter((call) => call.method === 'chat.postMessage' && call.body.thread_ts === webCard?.ts)
    .map((call) => JSON.stringify(call.body));

  heading('3. @reader (read-only responder) investigates the credentials taken from batch-03');
  from = mark();
  if (await tap('U0READER', 'investigate', FINDINGS.credentialExfiltration)) await runJobs();
  show(from);

  // (c) Slash commands --------------------------------------------------------------------------
  heading('4. Two slash commands about web-01');
  await command('U0ALICE', `logs ${WORKSHOP_INSTANCES.web} ssh-accepted --since 30d`);
  line();
  await command('U0READER', `hub ${WORKSHOP_INSTANCES.web}`);

  // (d) Release app-02 --------------------------------------------------------------------------
  heading('5. @bob releases app-02');
  from = mark();
  if (await tap('U0BOB', 'release', FINDINGS.maliciousIpCaller)) await runJobs();
  show(from);
  line(`  AWS after: ${groups(appId)}`);
  line(`             ${serving(appId)}`);
  const appGroupsAfterRelease = account.eniGroups(appId);

  // (e) Dismiss the recon finding through the modal ---------------------------------------------
  heading('6. @alice dismisses the reconnaissance finding as expected activity');
  from = mark();
  await tap('U0ALICE', 'dismiss', FINDINGS.recon);
  await runJobs();
  show(from);
  const opened = bot.slack.okCallsTo('views.open').at(-1)?.response as { view?: Json } | undefined;
  if (opened?.view === undefined) {
    fail('the Dismiss modal did not open');
  } else {
    const note =
      'svc-reporting runs its nightly inventory from this VPS; the IP is on our own test list.';
    line(`@alice chooses "Expected activity", writes "${note}" and presses Dismiss`);
    from = mark();
    await submitDismiss(deps, opened.view, 'U0ALICE', note, fail);
    await runJobs();
    show(from);
  }
  const reconArchived = account.guardDutyFindings.get(FINDINGS.recon)?.archived === true;
  line(`  GuardDuty: finding ${FINDINGS.recon} is ${reconArchived ? 'archived' : 'NOT archived'}`);

  // (f) The after-action report -----------------------------------------------------------------
  heading('7. @bob asks for the after-action report of the app-02 incident');
  from = mark();
  const filesBefore = bot.slack.uploadedFiles.length;
  if (await tap('U0BOB', 'report', FINDINGS.maliciousIpCaller)) await runJobs();
  show(from);
  const report = bot.slack.uploadedFiles.slice(filesBefore).at(-1);
  const appCard = await cardOf(FINDINGS.maliciousIpCaller);
  if (report === undefined) {
    fail('no report file was uploaded');
  } else {
    line();
    line(
      '  (The demo delivers six hours of GuardDuty events within seconds, moved to end two minutes'
    );
    line(
      '  ago: "time to notify" counts that compression. The other durations are as they happened.)'
    );
    line(`  ┌── ${report.filename}, as uploaded to the card's thread ──`);
    for (const text of report.content.trimEnd().split('\n')) line(`  │ ${text}`);
    line('  └──');
  }

  line();
  line(`$ npm run report -- ${FINDINGS.maliciousIpCaller}`);
  line(`  (tsx scripts/report.ts with TABLE_NAME=${bot.tableName} and this demo's DynamoDB Local)`);
  let cliReport: string | undefined;
  try {
    cliReport = await reportCli(FINDINGS.maliciousIpCaller, deps.tableEnv);
  } catch (error) {
    fail(`npm run report failed: ${(error as Error).message}`);
  }
  // The CLI reads the record as it is now: the upload added its own `report.generated` entry.
  const record = await store.getFinding(FINDINGS.maliciousIpCaller);
  const audit = await store.listAudit(FINDINGS.maliciousIpCaller);
  const built = (entries: typeof audit) =>
    record === undefined ? undefined : buildAfterActionReport({ record, audit: entries }).markdown;
  const cliIsBuilder = cliReport !== undefined && cliReport === built(audit);
  const uploadIsBuilder =
    report !== undefined &&
    report.content.replace(/ Generated [^\n]* UTC\./, '') ===
      built(audit.filter((entry) => entry.kind !== 'report.generated'));
  if (cliReport !== undefined && report !== undefined) {
    const diff = diffLines(report.content, cliReport);
    line(
      diff.length === 0
        ? '  prints the same Markdown as the uploaded file.'
        : '  prints the same Markdown as the uploaded file, except the generation stamp and the upload’s own audit entry:'
    );
    for (const text of diff) line(`    ${text.length > 150 ? `${text.slice(0, 149)}…` : text}`);
  }

  // The responders' invariants ------------------------------------------------------------------
  heading('Invariants: responders');
  const check = (ok: boolean, text: string): void => {
    line(`  ${ok ? '✓' : '✗'} ${text}`);
    if (!ok) failures.push(text);
  };
  const count = (kind: string) => audit.filter((entry) => entry.kind === kind).length;
  check(
    count('isolation.completed') === 1 && count('release.completed') === 1,
    `app-02 was isolated once and released once (audit: isolation.completed ×${count(
      'isolation.completed'
    )}, release.completed ×${count('release.completed')})`
  );
  check(
    JSON.stringify(appGroupsAfterRelease) === JSON.stringify(originalAppGroups),
    "after Release, app-02's interfaces are back in their original security groups"
  );
  check(
    account.autoScalingOf(appId)?.lifecycleState === 'InService' &&
      account.targetGroupsOf(appId).includes('app-tier-tg') &&
      !Object.keys(account.instances.get(appId)?.tags ?? {}).some((key) =>
        key.startsWith('guardduty-bot:')
      ),
    'after Release, app-02 is InService in app-tier-asg, registered in app-tier-tg, and untagged'
  );
  check(
    bruteForceThread.some(
      (text) =>
        /Accepted password for ec2-user from 203\.0\.113\.45/.test(text) ||
        /ec2-user from 203\.0\.113\.45 \(password\)/.test(text)
    ),
    'the brute-force investigation reports the accepted password login of ec2-user from 203.0.113.45'
  );
  const reconCard = await cardOf(FINDINGS.recon);
  check(
    reconArchived &&
      cardStatus(reconCard?.message ?? {}, users).some((text) =>
        text.includes('Dismissed by @alice')
      ),
    'the recon finding is archived in GuardDuty and its card says "Dismissed by @alice"'
  );
  check(
    report !== undefined &&
      appCard !== undefined &&
      report.channel_id === appCard.channel &&
      report.thread_ts === appCard.ts,
    "the after-action report was uploaded into app-02's card thread"
  );
  check(
    cliIsBuilder && uploadIsBuilder,
    '`npm run report` prints the report that was uploaded (built from the same record and audit stream)'
  );
};

/** Submits the Dismiss modal as Slack would: a signed `view_submission` with the inputs' state. */
const submitDismiss = async (
  deps: RespondDeps,
  view: Json,
  who: UserId,
  note: string,
  fail: (text: string) => void
): Promise<void> => {
  const blocks = (view.blocks ?? []) as Json[];
  const reasonBlock = blocks.find((block) => block.block_id === DISMISS_BLOCK_IDS.reason);
  const option = (((reasonBlock?.element as Json | undefined)?.options ?? []) as Json[]).find(
    (candidate) => candidate.value === 'expected_activity'
  );
  if (option === undefined) {
    fail('the Dismiss modal offers no "Expected activity" reason');
    return;
  }
  const values: Record<string, Record<string, Json>> = {
    [DISMISS_BLOCK_IDS.reason]: {
      [DISMISS_ACTION_IDS.reason]: { type: 'static_select', selected_option: option },
    },
    [DISMISS_BLOCK_IDS.note]: {
      [DISMISS_ACTION_IDS.note]: { type: 'plain_text_input', value: note },
    },
  };
  if (blocks.some((block) => block.block_id === DISMISS_BLOCK_IDS.suppress)) {
    values[DISMISS_BLOCK_IDS.suppress] = {
      [DISMISS_ACTION_IDS.suppress]: { type: 'checkboxes', selected_options: [] },
    };
  }
  const payload = {
    type: 'view_submission',
    team: { id: TEST_SLACK_IDS.teamId, domain: TEST_SLACK_IDS.teamDomain },
    user: {
      id: who,
      username: TEST_USERS[who],
      name: TEST_USERS[who],
      team_id: TEST_SLACK_IDS.teamId,
    },
    api_app_id: TEST_SLACK_IDS.appId,
    token: 'deprecated-verification-token',
    trigger_id: `${Date.now()}.${TEST_SLACK_IDS.teamId}.${randomUUID().replaceAll('-', '')}`,
    view: { ...view, state: { values } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  const response = (await deps.slack(
    signedSlackEvent(blockActionsBody(payload), { secret: TEST_SIGNING_SECRET }),
    {} as Context
  )) as { statusCode: number; body?: string };
  const answer = response.body ? (JSON.parse(response.body) as Json) : {};
  if (response.statusCode !== 200 || answer.response_action === 'errors') {
    fail(`the Dismiss modal was refused: HTTP ${response.statusCode} ${response.body ?? ''}`);
  }
};

/** Lines only in `a` (-) or only in `b` (+), in order; empty when equal. */
const diffLines = (a: string, b: string): string[] => {
  if (a === b) return [];
  const left = a.split('\n');
  const right = b.split('\n');
  const inRight = new Set(right);
  const inLeft = new Set(left);
  return [
    ...left.filter((text) => !inRight.has(text)).map((text) => `- ${text}`),
    ...right.filter((text) => !inLeft.has(text)).map((text) => `+ ${text}`),
  ];
};

// ---------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------

/**
 * One card per finding, the re-published finding updated in place (both over the notify phase),
 * and every Slack payload of the whole demo accepted and within Block Kit limits.
 */
const checkInvariants = (
  bot: BotEnvironment,
  notifyCalls: readonly RecordedCall[],
  processed: Set<string>,
  workshop: boolean,
  line: (text?: string) => void,
  failures: string[]
): void => {
  const posts = notifyCalls.filter(
    (call) =>
      call.method === 'chat.postMessage' && !call.rejected && call.body.thread_ts === undefined
  );
  const check = (ok: boolean, text: string): void => {
    line(`  ${ok ? '✓' : '✗'} ${text}`);
    if (!ok) failures.push(text);
  };
  const { calls, responses } = bot.slack;
  line();
  line('── Invariants: cards and Slack payloads ──');
  check(
    posts.length === processed.size,
    `one card per finding (${processed.size} findings, ${posts.length} cards posted)`
  );
  check(
    calls.every((call) => !call.rejected) && responses.every((response) => !response.rejected),
    `Slack accepted every payload (${calls.length} Web API calls, ${responses.length} response_url posts)`
  );
  check(
    calls.every((call) =>
      call.method.startsWith('views.')
        ? findViewViolations(call.body.view).length === 0
        : findBlockKitViolations(call.body).length === 0
    ) && responses.every((response) => findBlockKitViolations(response.body).length === 0),
    'every payload is within Block Kit limits'
  );
  if (workshop) {
    const card = posts.find((call) =>
      JSON.stringify(call.body.blocks).includes(FINDINGS.bruteForce)
    );
    const cardTs = (card?.response as { ts?: string } | undefined)?.ts;
    const edits = notifyCalls.filter(
      (call) => call.method === 'chat.update' && call.body.ts === cardTs
    );
    check(
      edits.length === 1 && JSON.stringify(edits[0]?.body.blocks).includes('412'),
      're-published brute force updated its card in place (count 412), once despite the duplicate'
    );
  }
};

const isEntryPoint = (): boolean => {
  const script = process.argv[1];
  return script !== undefined && resolve(script) === fileURLToPath(import.meta.url);
};

if (isEntryPoint()) {
  runDemo().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `demo failed: ${error instanceof Error ? error.stack : String(error)}\n`
      );
      process.exitCode = 1;
    }
  );
}
