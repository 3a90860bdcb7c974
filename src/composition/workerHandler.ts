import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AwsClientFactory } from '../adapters/aws/AwsClientFactory';
import { AwsEc2Containment } from '../adapters/aws/AwsEc2Containment';
import { AwsGuardDutyStatus } from '../adapters/aws/AwsGuardDutyStatus';
import { DynamoFindingStore } from '../adapters/dynamodb/DynamoFindingStore';
import { DynamoIsolationStateStore } from '../adapters/dynamodb/DynamoIsolationStateStore';
import { WebApiSlackGateway } from '../adapters/slack/WebApiSlackGateway';
import { resolveSecret } from '../adapters/ssm/resolveSecret';
import { CardRefresher } from '../app/CardRefresher';
import { IsolationService } from '../app/isolation/IsolationService';
import { isolationJobs } from '../app/jobs/isolationJobs';
import { type JobHandler, JobRunner } from '../app/jobs/JobRunner';
import { type Config, loadConfig } from '../config';
import { systemClock } from '../ports/Clock';
import type { Job } from '../ports/JobQueue';
import { cardRenderer } from '../slack/cards/cardRenderer';
import {
  renderIsolationPlan,
  renderIsolationReport,
  renderReleaseReport,
} from '../slack/cards/isolationReport';
import {
  coreLogger,
  createDynamoClient,
  createLogger,
  createSlackClient,
  createSsmClient,
} from './clients';

/** The worker function's body: one SQS batch in, the failed message ids out. */
export type WorkerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The work queue's redrive policy: the third delivery is the last (serverless.yml `maxReceiveCount`). */
export const MAX_RECEIVE_COUNT = 3;

/**
 * Wires the worker: the store, Slack, the AWS clients per finding account (assuming the member
 * role where configured), and one handler per job kind.
 */
export const createWorkerHandler = async (
  config: Config = loadConfig(),
  logger: Logger = createLogger(config),
  aws: AwsClientFactory = new AwsClientFactory({
    homeAccountId: config.aws.homeAccountId,
    memberRoleName: config.aws.memberRoleName,
    memberRoleExternalId: config.aws.memberRoleExternalId,
  })
): Promise<WorkerHandler> => {
  const core = coreLogger(logger);
  const token = await resolveSecret(config.slack.botToken, 'SLACK_BOT_TOKEN', createSsmClient);
  const dynamo = createDynamoClient();
  const store = new DynamoFindingStore({ client: dynamo, tableName: config.tableName });
  const slack = new WebApiSlackGateway(createSlackClient(config, token));
  const cards = new CardRefresher({
    store,
    slack,
    renderer: cardRenderer,
    clock: systemClock,
    logger: core,
    intervalMs: config.cardUpdateIntervalMs,
  });
  const audit = store.appendAudit.bind(store);

  const isolation = isolationJobs({
    store,
    cards,
    slack,
    engine: new IsolationService({
      containment: (target) => AwsEc2Containment.forTarget(aws, target),
      findingStatus: (target) => AwsGuardDutyStatus.forTarget(aws, target),
      state: new DynamoIsolationStateStore({ client: dynamo, tableName: config.tableName }),
      audit,
      clock: systemClock,
      logger: core,
      options: {
        evidenceSnapshots: config.actions.evidenceSnapshots,
        dryRun: config.actions.dryRun,
        tempGroupHoldMs: 5000,
      },
    }),
    render: {
      isolation: (outcome) =>
        outcome.kind === 'planned'
          ? renderIsolationPlan(outcome.plan)
          : renderIsolationReport(outcome),
      release: renderReleaseReport,
    },
    clock: systemClock,
    logger: core,
  });

  const handlers: Partial<Record<Job['kind'], JobHandler>> = {
    refresh: async (job) => {
      if (job.findingId !== undefined) await cards.refresh(job.findingId);
    },
    isolate: isolation.isolate,
    release: isolation.release,
  };
  const runner = new JobRunner({
    handlers,
    onGiveUp: async (job, error) => {
      if (job.kind === 'isolate' || job.kind === 'release') await isolation.giveUp(job, error);
    },
    logger: core,
    maxReceiveCount: MAX_RECEIVE_COUNT,
  });
  return (event) =>
    runner.run(
      event.Records.map((record) => ({
        messageId: record.messageId,
        body: record.body,
        receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1'),
      }))
    );
};
