import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { WebClient } from '@slack/web-api';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoFindingStore } from '../../../src/adapters/dynamodb/DynamoFindingStore';
import { DynamoIsolationStateStore } from '../../../src/adapters/dynamodb/DynamoIsolationStateStore';
import { WebApiSlackGateway } from '../../../src/adapters/slack/WebApiSlackGateway';
import { CardRefresher } from '../../../src/app/CardRefresher';
import { ISOLATION_LEASE_MS } from '../../../src/app/isolation/IsolationService';
import { type IsolationEngine, isolationJobs } from '../../../src/app/jobs/isolationJobs';
import { RetryLaterError } from '../../../src/app/jobs/retry';
import { createNotifyHandler } from '../../../src/composition/notifyHandler';
import { createSlackHandler, type SlackHandler } from '../../../src/composition/slackHandler';
import { createWorkerHandler, type WorkerHandler } from '../../../src/composition/workerHandler';
import { loadConfig } from '../../../src/config';
import { parseJob } from '../../../src/events/parseJob';
import { systemClock } from '../../../src/ports/Clock';
import { cardRenderer } from '../../../src/slack/cards/cardRenderer';
import {
  renderIsolationReport,
  renderReleaseReport,
} from '../../../src/slack/cards/isolationReport';
import { FakeGuardDutyDismissal, FakeSecurityHubWorkflow } from '../../fakes/FakeDismissal';
import {
  containmentError,
  FakeEc2Containment,
  FakeFindingStatus,
} from '../../fakes/FakeEc2Containment';
import {
  FakeInstanceLookup,
  FakeLogSearch,
  FakeRelatedFindings,
  FakeSecurityHub,
  syslogEvents,
} from '../../fakes/investigationSources';
import { silentLogger } from '../../fakes/silentLogger';
import { findBlockKitViolations } from '../../support/blockKitLimits';
import {
  type BotEnvironment,
  startBotEnvironment,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from '../../support/botEnvironment';
import { captureLogger } from '../../support/captureLogger';
import {
  blockActionPayload,
  blockActionsBody,
  signedSlackEvent,
  slashCommandBody,
} from '../../support/signedRequest';

const FIXTURES = join(__dirname, '../../fixtures');
const BRUTE_FORCE = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';
const WEB_01 = 'i-0a1b2c3d4e5f60718';
const WEB_ENI = 'eni-0a1a1a1a1a1a1a1a1';
const WEB_GROUPS = ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'];
const sqs = mockClient(SQSClient);
const context = {} as Context;

/** The workshop account behind the worker's ports: web-01 with its groups, logs and findings. */
const fakeAccount = () => {
  const ec2 = new FakeEc2Containment().addInstance({
    instanceId: WEB_01,
    state: 'running',
    enis: [
      {
        id: WEB_ENI,
        vpcId: 'vpc-0abc1234def567890',
        subnetId: 'subnet-0aa11bb22cc33dd44',
        groups: [...WEB_GROUPS],
        deviceIndex: 0,
        privateIps: ['10.0.1.15'],
      },
    ],
    volumes: [{ volumeId: 'vol-0a1b2c3d4e5f60718', device: '/dev/xvda' }],
    tags: { Name: 'web-01' },
    protections: { disableApiTermination: false, disableApiStop: false },
  });
  const status = new FakeFindingStatus();
  const instances = new FakeInstanceLookup();
  const logs = new FakeLogSearch();
  const secure = readFileSync(join(FIXTURES, 'logs/secure-bruteforce.log'), 'utf8').split('\n');
  // The log was written around the finding: shift it to start just after its first sighting.
  const events = syslogEvents(secure, WEB_01);
  const shift = Date.parse('2025-03-11T13:45:00Z') - (events[0]?.timestamp ?? 0);
  logs.groups.set(
    '/var/log/secure',
    events.map((event) => ({ ...event, timestamp: event.timestamp + shift }))
  );
  instances.instances.set(WEB_01, {
    instanceId: WEB_01,
    name: 'web-01',
    state: 'running',
    instanceType: 't3.small',
    vpcId: 'vpc-0abc1234def567890',
    subnetId: 'subnet-0aa11bb22cc33dd44',
    securityGroups: WEB_GROUPS.map((id) => ({ id })),
    publicIp: '198.51.100.10',
    privateIp: '10.0.1.15',
    networkInterfaceCount: 1,
    tags: [{ key: 'Name', value: 'web-01' }],
  });
  const guardDuty = new FakeGuardDutyDismissal().withDetector(
    '123456789012',
    'us-west-2',
    '6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c'
  );
  const hub = new FakeSecurityHubWorkflow();
  return {
    ec2,
    status,
    logs,
    guardDuty,
    ports: {
      containment: () => ec2,
      findingStatus: (target: Parameters<FakeFindingStatus['forTarget']>[0]) =>
        status.forTarget(target),
      investigation: {
        instances,
        relatedFindings: new FakeRelatedFindings(),
        securityHub: new FakeSecurityHub(),
        logs,
      },
      dismissal: {
        detectorId: guardDuty.detectorId.bind(guardDuty),
        archive: guardDuty.archive.bind(guardDuty),
        unarchive: guardDuty.unarchive.bind(guardDuty),
        feedback: guardDuty.feedback.bind(guardDuty),
        createSuppressionRule: guardDuty.createSuppressionRule.bind(guardDuty),
        getSuppressionRule: guardDuty.getSuppressionRule.bind(guardDuty),
        deleteSuppressionRule: guardDuty.deleteSuppressionRule.bind(guardDuty),
        listSuppressionRules: guardDuty.listSuppressionRules.bind(guardDuty),
        setWorkflow: hub.setWorkflow.bind(hub),
      },
    },
  };
};

describe('Actions: Slack buttons through the queue to the worker', () => {
  let bot: BotEnvironment;
  let slack: SlackHandler;
  let worker: WorkerHandler;
  let account: ReturnType<typeof fakeAccount>;
  let queued: string[];
  let cardTs: string;

  const start = async (env: Record<string, string> = {}) => {
    bot = await startBotEnvironment(inject('dynamoEndpoint'), {
      env: { UNTRACK_HOLD_SECONDS: '0', SECURE_LOG_GROUPS: '/var/log/secure', ...env },
    });
    account = fakeAccount();
    const config = loadConfig(bot.env);
    const { logger } = captureLogger();
    slack = await createSlackHandler(config, logger);
    worker = await createWorkerHandler(config, logger, account.ports);
    const notify = await createNotifyHandler(config, logger);
    await notify(
      JSON.parse(readFileSync(join(FIXTURES, 'events/01-ec2-sshbruteforce.json'), 'utf8'))
    );
    const [posted] = bot.slack.okCallsTo('chat.postMessage');
    cardTs = (posted?.response as { ts: string } | undefined)?.ts ?? '';
  };

  /** Taps a card button as `userId`, through the real signed request path. */
  const tap = async (actionId: string, userId = 'U0ALICE', value = BRUTE_FORCE) =>
    (await slack(
      signedSlackEvent(
        blockActionsBody(
          blockActionPayload({
            actionId,
            value,
            userId,
            channelId: 'C0INCIDENTS',
            messageTs: cardTs,
            responseUrl: bot.slack.responseUrl(`tap-${actionId}-${userId}`),
            triggerId: `trigger-${actionId}`,
          })
        ),
        { secret: TEST_SIGNING_SECRET }
      ),
      context
    )) as { statusCode: number };

  /** Delivers every queued job to the worker (as SQS would), `times` times each. */
  const drain = async (times = 1) => {
    while (queued.length > 0) {
      const bodies = queued.splice(0);
      for (let delivery = 1; delivery <= times; delivery += 1) {
        const event = {
          Records: bodies.map((body, index) => ({
            messageId: `m${index}`,
            body,
            attributes: { ApproximateReceiveCount: String(delivery) },
          })),
        } as unknown as SQSEvent;
        const result = await worker(event);
        expect(result.batchItemFailures).toStrictEqual([]);
      }
    }
  };

  /** One SQS delivery of a queued job, the way the event source mapping hands it to the worker. */
  const sqsDelivery = (body: string, receiveCount: number): SQSEvent =>
    ({
      Records: [
        {
          messageId: 'm1',
          receiptHandle: `receipt-${receiveCount}`,
          body,
          attributes: { ApproximateReceiveCount: String(receiveCount) },
        },
      ],
    }) as unknown as SQSEvent;

  const store = () => new DynamoFindingStore({ client: bot.dynamo, tableName: bot.tableName });
  const card = () => bot.slack.message('C0INCIDENTS', cardTs);
  const cardText = () => JSON.stringify(card()?.blocks);
  const ephemerals = () =>
    bot.slack.okCallsTo('chat.postEphemeral').map((call) => String(call.body.text));
  const auditKinds = async () => (await store().listAudit(BRUTE_FORCE)).map((entry) => entry.kind);

  beforeEach(() => {
    queued = [];
    sqs.reset();
    sqs.on(SendMessageCommand).callsFake((input: { MessageBody: string }) => {
      queued.push(input.MessageBody);
      return { MessageId: `msg-${queued.length}` };
    });
  });
  afterEach(async () => {
    await bot?.close();
  });

  describe('Isolate and Release', () => {
    it('isolates the instance once, shows it on the card and reports in the thread', async () => {
      // Prepare
      await start();

      // Act
      const response = await tap('isolate');
      await drain();

      // Assess
      expect(response.statusCode).toBe(200);
      expect(account.ec2.eni(WEB_ENI).groups).toHaveLength(1);
      expect(account.ec2.eni(WEB_ENI).groups[0]).not.toBe(WEB_GROUPS[0]);
      expect(cardText()).toContain('Isolated by <@U0ALICE>');
      expect(cardText()).toContain('"action_id":"release"');
      expect(cardText()).not.toContain('"action_id":"isolate"');
      const thread = bot.slack
        .okCallsTo('chat.postMessage')
        .filter((call) => call.body.thread_ts === cardTs);
      expect(JSON.stringify(thread.map((call) => call.body.blocks))).toContain(WEB_GROUPS[0]);
      expect((await auditKinds()).filter((kind) => kind === 'isolation.completed')).toHaveLength(1);
      expect(bot.slack.calls.filter((call) => call.rejected)).toStrictEqual([]);
      for (const call of bot.slack.okCallsTo('chat.update')) {
        expect(findBlockKitViolations(call.body)).toStrictEqual([]);
      }
    });

    it('queues one isolation for a double tap and tells the second tap so', async () => {
      // Prepare
      await start();

      // Act
      await tap('isolate');
      await tap('isolate', 'U0BOB');

      // Assess
      expect(queued.filter((body) => body.includes('"kind":"isolate"'))).toHaveLength(1);
      expect(ephemerals().join('\n')).toContain('already requested');
    });

    it('queues nothing twice when the same signed request is replayed', async () => {
      // Prepare
      await start();
      const request = signedSlackEvent(
        blockActionsBody(
          blockActionPayload({
            actionId: 'isolate',
            value: BRUTE_FORCE,
            userId: 'U0ALICE',
            channelId: 'C0INCIDENTS',
            messageTs: cardTs,
          })
        ),
        { secret: TEST_SIGNING_SECRET }
      );

      // Act
      const first = (await slack(structuredClone(request), context)) as { statusCode: number };
      const replay = (await slack(structuredClone(request), context)) as { statusCode: number };

      // Assess
      expect([first.statusCode, replay.statusCode]).toStrictEqual([200, 200]);
      expect(queued.filter((body) => body.includes('"kind":"isolate"'))).toHaveLength(1);
    });

    it('queues one isolation when two approvers approve at the same moment', async () => {
      // Prepare
      await start({ TWO_PERSON_RULE_MIN_SEVERITY: 'Low', APPROVERS: 'U0ALICE,U0BOB,U0READER' });
      await tap('isolate');

      // Act
      await Promise.all([tap('approve', 'U0BOB'), tap('approve', 'U0READER')]);

      // Assess
      expect(queued.filter((body) => body.includes('"kind":"isolate"'))).toHaveLength(1);
    });

    it('ignores a late redelivery of an older job once a new request was made', async () => {
      // Prepare: isolate, release, then request isolation again; keep the first job's message.
      await start();
      await tap('isolate');
      const firstJob = queued[0] ?? '';
      await drain();
      await tap('release', 'U0BOB');
      await drain();
      await tap('isolate', 'U0BOB');

      // Act: SQS delivers the first job again, late, before the new one.
      queued.unshift(firstJob);
      await drain();

      // Assess: the second isolation ran under Bob's request, once.
      expect(cardText()).toContain('Isolated by <@U0BOB>');
      expect((await auditKinds()).filter((kind) => kind === 'isolation.completed')).toHaveLength(2);
    });

    it('isolates exactly once when SQS delivers the job twice', async () => {
      // Prepare
      await start();
      await tap('isolate');

      // Act
      await drain(2);

      // Assess
      expect((await auditKinds()).filter((kind) => kind === 'isolation.completed')).toHaveLength(1);
      const modifications = account.ec2
        .mutations()
        .filter((mutation) => mutation.method === 'setEniGroups');
      expect(modifications.length).toBeGreaterThan(0);
      expect(modifications.length).toBeLessThanOrEqual(3);
    });

    it('refuses someone who is not an approver, audits the attempt, and queues nothing', async () => {
      // Prepare
      await start();

      // Act
      await tap('isolate', 'U0MALLORY');

      // Assess
      expect(queued).toStrictEqual([]);
      expect(ephemerals().join('\n')).toContain('not an approver');
      expect(await auditKinds()).toContain('action.denied');
    });

    it('undoes the recorded intent when the queue refuses the job, so the card never waits forever', async () => {
      // Prepare
      await start();
      sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));

      // Act
      await tap('isolate');

      // Assess
      expect(ephemerals().join('\n')).toContain('could not be queued');
      const state = (await store().getFinding(BRUTE_FORCE))?.actions.isolation;
      expect(state?.status).toBe('failed');
    });

    it('lets a new request take over an intent whose job is long gone', async () => {
      // Prepare: an isolation stuck "in progress" for 41 minutes (its worker timed out).
      await start();
      const longAgo = new Date(Date.now() - 41 * 60_000).toISOString();
      await store().transitionAction(BRUTE_FORCE, 'isolation', {
        from: [null],
        to: { status: 'in-progress', at: longAgo, by: { userId: 'U0BOB', userName: 'bob' } },
      });

      // Act
      await tap('isolate');
      await drain();

      // Assess
      expect(cardText()).toContain('Isolated by <@U0ALICE>');
    });

    it('refuses every change in read-only mode', async () => {
      // Prepare
      await start({ READ_ONLY_MODE: 'true' });

      // Act
      await tap('isolate');

      // Assess
      expect(queued).toStrictEqual([]);
      expect(ephemerals().join('\n')).toContain('read-only mode');
    });

    it('stops at the hourly cap and says so', async () => {
      // Prepare
      await start({ ISOLATIONS_PER_HOUR: '0' });

      // Act
      await tap('isolate');
      await drain();

      // Assess
      expect(ephemerals().join('\n')).toContain('cap of 0 isolations per hour');
      expect(account.ec2.eni(WEB_ENI).groups).toStrictEqual(WEB_GROUPS);
      expect(cardText()).toContain('"action_id":"isolate"');
    });

    it('refuses forged and stale requests with 401', async () => {
      // Prepare
      await start();
      const body = blockActionsBody(
        blockActionPayload({
          actionId: 'isolate',
          value: BRUTE_FORCE,
          userId: 'U0ALICE',
          channelId: 'C0INCIDENTS',
          messageTs: cardTs,
        })
      );

      // Act
      const forged = (await slack(
        signedSlackEvent(body, { secret: TEST_SIGNING_SECRET, signature: `v0=${'a'.repeat(64)}` }),
        context
      )) as { statusCode: number };
      const stale = (await slack(
        signedSlackEvent(body, {
          secret: TEST_SIGNING_SECRET,
          timestamp: Math.floor(Date.now() / 1000) - 600,
        }),
        context
      )) as { statusCode: number };

      // Assess
      expect([forged.statusCode, stale.statusCode]).toStrictEqual([401, 401]);
      expect(queued).toStrictEqual([]);
    });

    it('releases to exactly the recorded groups and offers Isolate again', async () => {
      // Prepare
      await start();
      await tap('isolate');
      await drain();

      // Act
      await tap('release', 'U0BOB');
      await drain();

      // Assess
      expect(account.ec2.eni(WEB_ENI).groups).toStrictEqual(WEB_GROUPS);
      expect(cardText()).toContain('Released by <@U0BOB>');
      expect(cardText()).toContain('"action_id":"isolate"');
      expect((await auditKinds()).filter((kind) => kind === 'release.completed')).toHaveLength(1);
    });

    it('stops a release when the instance drifted, and a forced release restores it', async () => {
      // Prepare
      await start();
      await tap('isolate');
      await drain();
      account.ec2.eni(WEB_ENI).groups.push('sg-0added0by0someone');

      // Act
      await tap('release');
      await drain();
      const afterDrift = cardText();
      await tap('release_force', 'U0BOB');
      await drain();

      // Assess
      expect(afterDrift).toContain('"action_id":"release_force"');
      expect(afterDrift).toContain('changed since isolation');
      expect(account.ec2.eni(WEB_ENI).groups).toStrictEqual(WEB_GROUPS);
      expect(cardText()).toContain('Released by');
    });

    it('waits for a second approver under the two-person rule, who cannot be the requester', async () => {
      // Prepare
      await start({ TWO_PERSON_RULE_MIN_SEVERITY: 'Low' });

      // Act
      await tap('isolate');
      await drain();
      const waiting = cardText();
      await tap('approve', 'U0ALICE');
      const ownApproval = [...queued];
      await tap('approve', 'U0BOB');
      await drain();

      // Assess
      expect(waiting).toContain('needs a second approver');
      expect(waiting).toContain('"action_id":"approve"');
      expect(ownApproval.filter((body) => body.includes('"kind":"isolate"'))).toHaveLength(0);
      expect(ephemerals().join('\n')).toContain('second approver');
      expect(cardText()).toContain('Isolated by <@U0ALICE>');
      expect(await auditKinds()).toContain('action.approved');
    });

    it('lets a request expire when nobody approves it in time', async () => {
      // Prepare
      await start({ TWO_PERSON_RULE_MIN_SEVERITY: 'Low', APPROVAL_EXPIRY_MINUTES: '0' });
      await tap('isolate');

      // Act
      await tap('approve', 'U0BOB');
      await drain();

      // Assess
      expect(ephemerals().join('\n')).toContain('expired');
      expect(account.ec2.eni(WEB_ENI).groups).toStrictEqual(WEB_GROUPS);
      expect(cardText()).toContain('"action_id":"isolate"');
    });

    it('retries a throttled isolation, and reports failure with Retry on the last delivery', async () => {
      // Prepare
      await start();
      await tap('isolate');
      const [body = ''] = queued.splice(0);
      const throttledWorker = await createWorkerHandler(
        loadConfig(bot.env),
        captureLogger().logger,
        {
          ...account.ports,
          containment: () => {
            throw containmentError('THROTTLED', 'ec2:DescribeInstances', 'RequestLimitExceeded');
          },
        }
      );
      const deliver = (receiveCount: number) => throttledWorker(sqsDelivery(body, receiveCount));

      // Act
      const first = await deliver(1);
      const last = await deliver(3);

      // Assess
      expect(first.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm1' }]);
      // Back in a minute, not after the queue's 12-minute visibility timeout.
      expect(
        sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)
      ).toStrictEqual([
        { QueueUrl: bot.env.QUEUE_URL, ReceiptHandle: 'receipt-1', VisibilityTimeout: 60 },
      ]);
      expect(last.batchItemFailures).toStrictEqual([]);
      expect(cardText()).toContain('failed');
      expect(cardText()).toContain('"action_id":"retry"');
      expect(account.ec2.eni(WEB_ENI).groups).toStrictEqual(WEB_GROUPS);
    });

    it('tries again once the isolation lease another run holds has run out', async () => {
      // Prepare: a duplicate delivery of the job is isolating, its lease 150 s from now.
      await start();
      await tap('isolate');
      const [body = ''] = queued.splice(0);
      await new DynamoIsolationStateStore({
        client: bot.dynamo,
        tableName: bot.tableName,
      }).acquireLease(BRUTE_FORCE, 'other-run', new Date(), 150_000);

      // Act
      const result = await worker(sqsDelivery(body, 1));

      // Assess
      expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm1' }]);
      const comesBackIn = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input
        .VisibilityTimeout;
      expect(comesBackIn).toBeGreaterThanOrEqual(142);
      expect(comesBackIn).toBeLessThanOrEqual(152);
      expect(account.ec2.eni(WEB_ENI).groups).toStrictEqual(WEB_GROUPS);
    });

    /** The isolation jobs on this test's table and Slack server, with `engine` doing the isolating. */
    const isolationJobsWith = (engine: IsolationEngine) => {
      const slackGateway = new WebApiSlackGateway(
        new WebClient(TEST_BOT_TOKEN, {
          slackApiUrl: bot.slack.apiUrl,
          retryConfig: { retries: 0 },
        })
      );
      return isolationJobs({
        store: store(),
        cards: new CardRefresher({
          store: store(),
          slack: slackGateway,
          renderer: cardRenderer,
          clock: systemClock,
          logger: silentLogger,
          intervalMs: 0,
        }),
        slack: slackGateway,
        engine,
        render: { isolation: renderIsolationReport, release: renderReleaseReport },
        clock: systemClock,
        logger: silentLogger,
      });
    };

    it('tries again a whole lease later when another run holds the isolation lease and its end is unknown', async () => {
      // Prepare: another run has just taken the lease (it took it over, or created the record).
      await start();
      await tap('isolate');
      const job = parseJob(queued.splice(0)[0] ?? '');
      const jobs = isolationJobsWith({
        isolate: async () => ({ kind: 'in-progress', findingId: BRUTE_FORCE, instanceId: 'i-0' }),
        release: () => Promise.reject(new Error('unused')),
      });

      // Act
      const failure = await jobs
        .isolate(job, { receiveCount: 1, final: false })
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(RetryLaterError);
      expect((failure as RetryLaterError).retryInMs).toBe(ISOLATION_LEASE_MS);
    });

    it('says on the card when a job gives up and goes to the dead-letter queue', async () => {
      // Prepare: the worker died while isolating (a Lambda timeout skips every catch).
      await start();
      await tap('isolate');
      const job = parseJob(queued.splice(0)[0] ?? '');
      await store().transitionAction(BRUTE_FORCE, 'isolation', {
        from: ['requested'],
        to: { status: 'in-progress', at: new Date().toISOString(), by: job.requestedBy },
      });
      const jobs = isolationJobsWith({
        isolate: () => Promise.reject(new Error('unused')),
        release: () => Promise.reject(new Error('unused')),
      });

      // Act
      await jobs.giveUp(job, new Error('Task timed out after 120.00 seconds'));

      // Assess
      const state = (await store().getFinding(BRUTE_FORCE))?.actions.isolation;
      expect(state?.status).toBe('failed');
      expect(String(state?.reason)).toContain('dead-letter queue');
      expect(cardText()).toContain('dead-letter queue');
      expect(cardText()).toContain('"action_id":"retry"');
    });
  });

  describe('Investigate', () => {
    it('posts the pivots in the thread, including the accepted login from the attacker', async () => {
      // Prepare
      await start({ INVESTIGATION_LOOKBACK_DAYS: '7' });

      // Act
      await tap('investigate', 'U0READER');
      await drain();

      // Assess
      const thread = bot.slack
        .okCallsTo('chat.postMessage')
        .filter((call) => call.body.thread_ts === cardTs)
        .map((call) => JSON.stringify(call.body.blocks))
        .join('\n');
      expect(thread).toContain('ec2-user');
      expect(thread).toContain('203.0.113.45');
      expect(cardText()).toContain('Investigated for <@U0READER>');
      expect(await auditKinds()).toContain('investigation.completed');
    });
  });

  describe('Slash commands that run in the worker', () => {
    const command = async (text: string, responseUrl: string) =>
      (await slack(
        signedSlackEvent(
          slashCommandBody({ text, response_url: responseUrl, user_id: 'U0READER' }),
          {
            secret: TEST_SIGNING_SECRET,
          }
        ),
        context
      )) as { statusCode: number; body: string };

    it('acknowledges a log search at once and answers through the response_url', async () => {
      // Prepare
      await start();
      const url = bot.slack.responseUrl('logs-1');

      // Act
      const ack = await command(`logs ${WEB_01} ssh-accepted --since 30d`, url);
      await drain();

      // Assess
      expect(JSON.parse(ack.body).text).toContain('Searching');
      const answer = bot.slack.responsesTo('logs-1');
      expect(answer).toHaveLength(1);
      expect(answer[0]?.body.response_type).toBe('ephemeral');
    });

    it('falls back to an ephemeral message when the response_url has expired', async () => {
      // Prepare
      await start();
      const url = bot.slack.responseUrl('hub-1');
      await command(`hub ${WEB_01}`, url);
      bot.slack.expireResponseUrls('hub-1');

      // Act
      await drain();

      // Assess
      expect(bot.slack.okCallsTo('chat.postEphemeral').map((call) => call.body.user)).toContain(
        'U0READER'
      );
    });
  });

  describe('Dismiss, Reopen and Report', () => {
    const submitDismiss = async (values: Record<string, unknown>) =>
      (await slack(
        signedSlackEvent(
          blockActionsBody({
            type: 'view_submission',
            team: { id: 'T0TEST', domain: 'example' },
            user: { id: 'U0ALICE', name: 'alice', team_id: 'T0TEST' },
            api_app_id: 'A0GUARDDUTY',
            trigger_id: 'trigger-submit',
            view: {
              id: 'V0DISMISS',
              type: 'modal',
              callback_id: 'dismiss_submit',
              private_metadata: JSON.stringify({
                findingId: BRUTE_FORCE,
                channelId: 'C0INCIDENTS',
                messageTs: cardTs,
              }),
              state: { values },
            },
          }),
          { secret: TEST_SIGNING_SECRET }
        ),
        context
      )) as { statusCode: number; body?: string };

    it('opens the modal, insists on a reason, archives, and reopens', async () => {
      // Prepare
      await start();

      // Act
      await tap('dismiss');
      const opened = bot.slack.okCallsTo('views.open');
      const missingReason = await submitDismiss({});
      const valid = await submitDismiss({
        dismiss_reason: { dismiss_reason_select: { selected_option: { value: 'false_positive' } } },
        dismiss_note: { dismiss_note_input: { value: 'our own scanner' } },
      });
      await drain();
      const dismissedCard = cardText();
      await tap('reopen', 'U0BOB');
      await drain();

      // Assess
      expect(opened).toHaveLength(1);
      expect(JSON.parse(missingReason.body ?? '{}')).toMatchObject({ response_action: 'errors' });
      expect(valid.statusCode).toBe(200);
      expect(dismissedCard).toContain('Dismissed by <@U0ALICE>');
      expect(dismissedCard).toContain('"action_id":"reopen"');
      expect(account.guardDuty.archived.has(BRUTE_FORCE)).toBe(false);
      expect(account.guardDuty.callsOf('archive')).toHaveLength(1);
      expect(account.guardDuty.feedbackGiven.get(BRUTE_FORCE)?.feedback).toBe('NOT_USEFUL');
      expect(cardText()).toContain('Reopened by <@U0BOB>');
    });

    it('refuses a dismissal submitted by someone who may not dismiss', async () => {
      // Prepare
      await start({ DISMISS_APPROVERS: 'U0BOB' });

      // Act
      const response = await submitDismiss({
        dismiss_reason: { dismiss_reason_select: { selected_option: { value: 'duplicate' } } },
      });

      // Assess
      expect(JSON.parse(response.body ?? '{}')).toMatchObject({
        response_action: 'errors',
        errors: { dismiss_reason: expect.stringContaining('not an approver') },
      });
      expect(queued).toStrictEqual([]);
    });

    it('uploads the after-action report into the card thread', async () => {
      // Prepare
      await start();
      await tap('isolate');
      await drain();

      // Act
      await tap('report', 'U0READER');
      await drain();

      // Assess
      const [file] = bot.slack.uploadedFiles;
      expect(file?.thread_ts).toBe(cardTs);
      expect(file?.content).toContain('# ');
      expect(file?.content).toContain(WEB_01);
      expect(await auditKinds()).toContain('report.generated');
    });
  });
});
