import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AwsClientFactory } from '../adapters/aws/AwsClientFactory';
import { AwsDismissal } from '../adapters/aws/AwsDismissal';
import { AwsEc2Containment } from '../adapters/aws/AwsEc2Containment';
import { AwsGuardDutyStatus } from '../adapters/aws/AwsGuardDutyStatus';
import { createAwsInvestigationSources } from '../adapters/aws/AwsInvestigationSources';
import { DynamoFindingStore } from '../adapters/dynamodb/DynamoFindingStore';
import { DynamoIsolationStateStore } from '../adapters/dynamodb/DynamoIsolationStateStore';
import { FetchResponseUrlClient } from '../adapters/slack/FetchResponseUrlClient';
import { SqsJobRedelivery } from '../adapters/sqs/SqsJobRedelivery';
import { resolveSecret } from '../adapters/ssm/resolveSecret';
import { CardRefresher } from '../app/CardRefresher';
import { DismissService } from '../app/dismissal/DismissService';
import { Investigator } from '../app/investigation/Investigator';
import { IsolationService } from '../app/isolation/IsolationService';
import { dismissalJobs } from '../app/jobs/dismissalJobs';
import { investigationGiveUp, investigationJobs } from '../app/jobs/investigationJobs';
import { isolationJobs } from '../app/jobs/isolationJobs';
import { type JobHandler, JobRunner } from '../app/jobs/JobRunner';
import { type Config, loadConfig, requireQueueUrl } from '../config';
import { isAtLeast } from '../domain/Finding';
import { systemClock } from '../ports/Clock';
import type { ContainmentTarget, Ec2Containment, FindingStatusReader } from '../ports/Containment';
import type { GuardDutyDismissal, SecurityHubWorkflow } from '../ports/Dismissal';
import type {
  InstanceLookup,
  LogSearch,
  RelatedFindingsSource,
  SecurityHubSource,
} from '../ports/Investigation';
import type { Job, JobRedelivery } from '../ports/JobQueue';
import { cardRenderer } from '../slack/cards/cardRenderer';
import {
  renderHubResult,
  renderInvestigation,
  renderLogSearch,
} from '../slack/cards/investigationReport';
import {
  renderIsolationPlan,
  renderIsolationReport,
  renderReleaseReport,
} from '../slack/cards/isolationReport';
import { parseCommand } from '../slack/commands/parseCommand';
import { buildSuppressionConfirmation, renderSuppressionList } from '../slack/views/dismissModal';
import {
  coreLogger,
  createDynamoClient,
  createLogger,
  createSlackGateway,
  createSsmClient,
  createWorkQueue,
  onFirstUse,
  slackTransport,
  workQueueClient,
} from './clients';
import { createFindingNotifier } from './notifier';

/** The worker function's body: one SQS batch in, the failed message ids out. */
export type WorkerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The work queue's redrive policy: the third delivery is the last (serverless.yml `maxReceiveCount`). */
export const MAX_RECEIVE_COUNT = 3;

/** Sets when the worker's failed jobs come back, on the work queue (QUEUE_URL). */
const createJobRedelivery = (config: Config, client: () => SQSClient): JobRedelivery => {
  const queueUrl = requireQueueUrl(config);
  const redelivery = onFirstUse(() => new SqsJobRedelivery({ client: client(), queueUrl }));
  return {
    redeliverIn: (receiptHandle, seconds) => redelivery().redeliverIn(receiptHandle, seconds),
  };
};

/** The AWS side of the worker, behind ports: the real account, or the demo's in-memory one. */
export interface WorkerPorts {
  containment: (target: ContainmentTarget) => Ec2Containment;
  findingStatus: (target: ContainmentTarget) => FindingStatusReader;
  investigation: {
    instances: InstanceLookup;
    relatedFindings: RelatedFindingsSource;
    securityHub: SecurityHubSource;
    logs: LogSearch;
  };
  dismissal: GuardDutyDismissal & SecurityHubWorkflow;
}

/** The worker's ports on AWS: clients per finding account, assuming the member role where configured. */
export const awsWorkerPorts = (config: Config): WorkerPorts => {
  const aws = new AwsClientFactory({
    homeAccountId: config.aws.homeAccountId,
    memberRoleName: config.aws.memberRoleName,
    memberRoleExternalId: config.aws.memberRoleExternalId,
  });
  return {
    containment: (target) => AwsEc2Containment.forTarget(aws, target),
    findingStatus: (target) => AwsGuardDutyStatus.forTarget(aws, target),
    investigation: createAwsInvestigationSources(aws, systemClock),
    dismissal: new AwsDismissal({ clients: aws }),
  };
};

/**
 * Wires the worker: the store, Slack, the AWS ports, and one handler per job kind. Every handler
 * is idempotent: SQS may deliver a job more than once, and a failed one is retried up to
 * {@link MAX_RECEIVE_COUNT} times before it lands in the dead-letter queue and its card says so.
 */
export const createWorkerHandler = async (
  config: Config = loadConfig(),
  logger: Logger = createLogger(config),
  ports: WorkerPorts = awsWorkerPorts(config)
): Promise<WorkerHandler> => {
  const core = coreLogger(logger);
  const token = await resolveSecret(config.slack.botToken, 'SLACK_BOT_TOKEN', createSsmClient);
  const dynamo = createDynamoClient();
  const store = new DynamoFindingStore({ client: dynamo, tableName: config.tableName });
  const slack = createSlackGateway(config, token);
  const responses = new FetchResponseUrlClient({
    apiUrl: config.slack.apiUrl,
    timeoutMs: config.slack.timeoutMs,
    fetch: slackTransport(),
  });
  const sqs = workQueueClient();
  const queue = createWorkQueue(config, sqs);
  const cards = new CardRefresher({
    store,
    slack,
    renderer: cardRenderer,
    clock: systemClock,
    logger: core,
    intervalMs: config.cardUpdateIntervalMs,
    deferral: { queue, editBudget: config.editBudget },
  });
  const notifier = createFindingNotifier(config, { store, queue, slack, logger: core });
  const audit = store.appendAudit.bind(store);
  const home = {
    accountId: config.aws.homeAccountId ?? config.aws.adminAccountId ?? '000000000000',
    region: config.aws.defaultRegion,
  };
  const twoPerson = (severity: number): boolean =>
    config.actions.twoPersonMinSeverity !== undefined &&
    isAtLeast(severity, config.actions.twoPersonMinSeverity);

  const isolation = isolationJobs({
    store,
    cards,
    slack,
    engine: new IsolationService({
      containment: ports.containment,
      findingStatus: ports.findingStatus,
      state: new DynamoIsolationStateStore({ client: dynamo, tableName: config.tableName }),
      audit,
      clock: systemClock,
      logger: core,
      options: {
        evidenceSnapshots: config.actions.evidenceSnapshots,
        dryRun: config.actions.dryRun,
        tempGroupHoldMs: config.actions.untrackHoldMs,
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

  const investigation = investigationJobs({
    store,
    cards,
    slack,
    responses,
    logger: core,
    engine: new Investigator({
      ...ports.investigation,
      clock: systemClock,
      logger: core,
      options: {
        secureLogGroups: config.investigation.secureLogGroups,
        logGroupAllowList: config.investigation.logGroupAllowList,
        lookbackDays: config.investigation.lookbackDays,
      },
    }),
    parse: (text) => {
      const parsed = parseCommand(text);
      return parsed.kind === 'logs' || parsed.kind === 'hub' ? parsed : undefined;
    },
    render: {
      investigation: renderInvestigation,
      logSearch: renderLogSearch,
      hub: renderHubResult,
    },
    home,
    clock: systemClock,
  });

  const dismissal = dismissalJobs({
    store,
    cards,
    slack,
    responses,
    logger: core,
    service: new DismissService({
      guardDuty: ports.dismissal,
      securityHub: ports.dismissal,
      audit,
      now: () => systemClock.now(),
      options: {
        ...(config.aws.adminAccountId === undefined
          ? {}
          : { adminTarget: { accountId: config.aws.adminAccountId } }),
      },
    }),
    render: {
      suppressionConfirmation: ({
        record,
        ruleName,
        description,
        requestedBy,
        approvalsRequired,
      }) =>
        buildSuppressionConfirmation({
          finding: record.finding,
          ruleName,
          description,
          requestedBy,
          approvalsRequired,
          value: record.finding.id,
        }),
      suppressionList: (rules, scope) => renderSuppressionList(rules, { scope }),
    },
    adminTarget: {
      accountId: config.aws.adminAccountId ?? home.accountId,
      region: config.aws.defaultRegion,
    },
    suppressionApprovals: (record) => (twoPerson(record.finding.severity) ? 2 : 1),
    clock: systemClock,
  });

  const handlers: Partial<Record<Job['kind'], JobHandler>> = {
    refresh: (job) => cards.runQueued(job),
    post: (job) => notifier.postQueued(job),
    isolate: isolation.isolate,
    release: isolation.release,
    investigate: investigation.investigate,
    logs: investigation.logs,
    hub: investigation.hub,
    dismiss: dismissal.dismiss,
    reopen: dismissal.reopen,
    report: dismissal.report,
    suppressions: dismissal.suppressions,
    'suppression-create': dismissal['suppression-create'],
    'suppression-delete': dismissal['suppression-delete'],
  };
  const runner = new JobRunner({
    handlers,
    onGiveUp: async (job, error) => {
      await isolation.giveUp(job, error);
      await investigationGiveUp({ store, cards, clock: systemClock }, job, error);
      await dismissal.giveUp(job, error);
    },
    logger: core,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    redelivery: createJobRedelivery(config, sqs),
  });
  return (event) =>
    runner.run(
      event.Records.map((record) => ({
        messageId: record.messageId,
        body: record.body,
        receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1'),
        receiptHandle: record.receiptHandle,
      }))
    );
};
