import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../../src/adapters/dynamodb/tableDefinition';
import { MAX_RECEIVE_COUNT } from '../../../src/composition/workerHandler';

/**
 * Packages the service exactly as a deployment would (`osls package`: serverless-esbuild bundles the
 * handlers, serverless-iam-roles-per-function splits the roles) with no AWS credentials and no
 * settings, then checks the CloudFormation template and the zips it produced.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const osls = join(repoRoot, 'node_modules', 'osls', 'bin', 'serverless.js');

/** Optional settings passed to every function; empty in the template means "the default". */
const OPTIONAL_SETTINGS = [
  'DISMISS_APPROVERS',
  'READ_ONLY_USERS',
  'TWO_PERSON_RULE_MIN_SEVERITY',
  'APPROVAL_EXPIRY_MINUTES',
  'READ_ONLY_MODE',
  'ISOLATIONS_PER_HOUR',
  'DRY_RUN',
  'EVIDENCE_SNAPSHOTS',
  'UNTRACK_HOLD_SECONDS',
  'MEMBER_ROLE_NAME',
  'MEMBER_ROLE_EXTERNAL_ID',
  'ADMIN_ACCOUNT_ID',
  'SECURE_LOG_GROUPS',
  'LOG_GROUP_ALLOWLIST',
  'INVESTIGATION_LOOKBACK_DAYS',
  'POST_BUDGET_PER_SECOND',
  'POST_BUDGET_BURST',
  'CARD_UPDATE_INTERVAL_SECONDS',
  'CARD_EDITS_PER_MINUTE',
] as const;

/** Settings serverless.yml reads from the environment: cleared so the defaults are what is checked. */
const SETTINGS = new RegExp(
  `^(AWS_|SLACK_)|^(ALLOWED_CHANNELS|APPROVERS|ROUTING_RULES|MIN_POST_SEVERITY|LOG_LEVEL|ALARM_EMAIL|LOG_GROUP_ARN_PATTERN|${OPTIONAL_SETTINGS.join('|')})$`
);

interface Resource {
  Type: string;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Properties: Record<string, unknown>;
}

interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, unknown>;
  Outputs: Record<string, { Value: unknown }>;
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

interface RoleProperties {
  Policies: { PolicyDocument: { Statement: Statement[] } }[];
  ManagedPolicyArns?: unknown[];
}

const subArn = (suffix: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${suffix}`,
});
const BOT_TOKEN_PARAM = '/guardduty-slack-responder/dev/slack-bot-token';
const SIGNING_SECRET_PARAM = '/guardduty-slack-responder/dev/slack-signing-secret';
const SLACK_PARAMETER_ARNS = [subArn(BOT_TOKEN_PARAM), subArn(SIGNING_SECRET_PARAM)];

/** Names of the entries of a zip archive, read from its central directory. */
const zipEntries = (path: string): string[] => {
  const zip = readFileSync(path);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0) throw new Error(`${path} is not a zip archive`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${path}: bad central directory`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
};

const actionsOf = (statement: Statement): string[] =>
  statement.Action === undefined ? [] : ([] as string[]).concat(statement.Action);
const resourcesOf = (statement: Statement): unknown[] =>
  ([] as unknown[]).concat(statement.Resource);

/** `!Sub` of an ARN in this stack's partition, Region and account. */
const arn = (service: string, rest: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${rest}`,
});
const ec2Arn = (type: string) => arn('ec2', `${type}/*`);
const SNAPSHOT_ARN = { 'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}::snapshot/*` };
const HUB_ARN = arn('securityhub', 'hub/default');

/** What isolation and release call (GuardDuty: the stale-finding check before acting). */
const ISOLATION_ACTIONS = [
  'guardduty:GetFindings',
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceAttribute',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSnapshots',
  'ec2:CreateSnapshot',
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'ec2:ModifyInstanceAttribute',
  'ec2:CreateSecurityGroup',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:ModifyNetworkInterfaceAttribute',
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:EnterStandby',
  'autoscaling:ExitStandby',
  'autoscaling:DetachInstances',
  'autoscaling:AttachInstances',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DeregisterTargets',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
  'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
];
/** What Investigate, `/guardduty logs` and `/guardduty hub` call. */
const INVESTIGATION_ACTIONS = [
  'ec2:DescribeInstances',
  'guardduty:ListDetectors',
  'guardduty:ListFindings',
  'guardduty:GetFindings',
  'securityhub:GetFindings',
  'logs:FilterLogEvents',
];
/** What Dismiss, Reopen and the suppression rules call. */
const DISMISSAL_ACTIONS = [
  'guardduty:ArchiveFindings',
  'guardduty:UnarchiveFindings',
  'guardduty:UpdateFindingsFeedback',
  'guardduty:CreateFilter',
  'guardduty:GetFilter',
  'guardduty:ListFilters',
  'guardduty:DeleteFilter',
  'guardduty:TagResource',
  'securityhub:BatchUpdateFindings',
];
/** Actions without resource-level permissions: the only ones that may be granted on "*". */
const NO_RESOURCE_LEVEL = [
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceAttribute',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSnapshots',
  'autoscaling:DescribeAutoScalingInstances',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeLoadBalancers',
  'guardduty:ListDetectors',
];
/** Services only the worker may touch. */
const WORKER_ONLY_SERVICES =
  /^(ec2|guardduty|logs|securityhub|autoscaling|elasticloadbalancing|sts|iam):/;

describe('the packaged deployment (osls package)', () => {
  let outDir: string;
  let template: Template;

  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'osls-package-'));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !SETTINGS.test(name))
    );
    const run = spawnSync(process.execPath, [osls, 'package', '--package', outDir], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 150_000,
      env: {
        ...env,
        CI: 'true',
        // No credentials anywhere: packaging must not need AWS.
        AWS_CONFIG_FILE: join(outDir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(outDir, 'no-aws-credentials'),
      },
    });
    if (run.status !== 0) {
      throw new Error(
        `osls package failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stdout}\n${run.stderr}`
      );
    }
    template = JSON.parse(
      readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')
    ) as Template;
  }, 180_000);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  const resource = (logicalId: string): Resource => {
    const found = template.Resources[logicalId];
    if (!found) throw new Error(`no resource ${logicalId} in the template`);
    return found;
  };
  const ofType = (type: string) =>
    Object.entries(template.Resources).filter(([, candidate]) => candidate.Type === type);
  const getAtt = (logicalId: string, attribute: string) => ({
    'Fn::GetAtt': [logicalId, attribute],
  });

  /** A condition that can never hold: `Fn::Equals` of two different literals. */
  const neverTrue = (name: string): boolean => {
    const operands = (template.Conditions?.[name] as { 'Fn::Equals'?: unknown[] } | undefined)?.[
      'Fn::Equals'
    ];
    return (
      Array.isArray(operands) &&
      operands.length === 2 &&
      operands.every((operand) => typeof operand === 'string') &&
      operands[0] !== operands[1]
    );
  };
  const deployedRoles = () =>
    ofType('AWS::IAM::Role').filter(
      ([, role]) => role.Condition === undefined || !neverTrue(role.Condition)
    );
  const statementsOf = (roleId: string): Statement[] =>
    (resource(roleId).Properties as unknown as RoleProperties).Policies.flatMap(
      (policy) => policy.PolicyDocument.Statement
    );
  const roleOf = (functionId: string): string => {
    const role = resource(functionId).Properties.Role as { 'Fn::GetAtt': [string, string] };
    return role['Fn::GetAtt'][0];
  };
  /** Policies attached to a role from outside it (AWS::IAM::RolePolicy / AWS::IAM::Policy). */
  const attachedPolicies = (roleId: string) =>
    [...ofType('AWS::IAM::RolePolicy'), ...ofType('AWS::IAM::Policy')].filter(([, policy]) => {
      const { RoleName, Roles } = policy.Properties as { RoleName?: unknown; Roles?: unknown[] };
      return [RoleName, ...(Roles ?? [])].some((role) => isDeepStrictEqual(role, { Ref: roleId }));
    });
  /** Every statement a role may carry: its own policies and the policies attached to it. */
  const allStatementsOf = (roleId: string): Statement[] => [
    ...statementsOf(roleId),
    ...attachedPolicies(roleId).flatMap(
      ([, policy]) =>
        (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument
          .Statement
    ),
  ];
  const grantedActions = (roleId: string): string[] =>
    [...new Set(allStatementsOf(roleId).flatMap(actionsOf))].sort();
  const statementsWith = (roleId: string, action: string): Statement[] =>
    allStatementsOf(roleId).filter((statement) => actionsOf(statement).includes(action));

  const FUNCTIONS = {
    notify: 'NotifyLambdaFunction',
    slack: 'SlackLambdaFunction',
    worker: 'WorkerLambdaFunction',
  } as const;

  it('routes GuardDuty findings from the default event bus to notify', () => {
    const rules = ofType('AWS::Events::Rule').map(([, rule]) => rule.Properties);
    const guardDuty = rules.find((rule) =>
      isDeepStrictEqual(rule.EventPattern, {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
      })
    );
    expect(guardDuty).toMatchObject({
      State: 'ENABLED',
      Targets: [{ Arn: getAtt(FUNCTIONS.notify, 'Arn') }],
    });
    expect(guardDuty?.EventBusName).toBeUndefined();
    const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(permissions).toContainEqual(
      expect.objectContaining({
        FunctionName: getAtt(FUNCTIONS.notify, 'Arn'),
        Principal: 'events.amazonaws.com',
        Action: 'lambda:InvokeFunction',
      })
    );
  });

  it('keeps the Security Hub rule off by default and never takes GuardDuty findings through it', () => {
    const securityHub = ofType('AWS::Events::Rule')
      .map(([, rule]) => rule.Properties)
      .filter((rule) => JSON.stringify(rule.EventPattern).includes('aws.securityhub'));
    expect(securityHub).toEqual([
      expect.objectContaining({
        State: 'DISABLED',
        EventPattern: {
          source: ['aws.securityhub'],
          'detail-type': ['Security Hub Findings - Imported'],
          detail: { findings: { ProductName: [{ 'anything-but': 'GuardDuty' }] } },
        },
        Targets: [expect.objectContaining({ Arn: getAtt(FUNCTIONS.notify, 'Arn') })],
      }),
    ]);
  });

  it('serves POST /slack/events from the slack function with HTTP API payload v2', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
    const route = routes.find((candidate) => candidate.RouteKey === 'POST /slack/events');
    expect(route).toBeDefined();
    const target = route?.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    expect(target['Fn::Join'][1][0]).toBe('integrations');
    const integration = resource(target['Fn::Join'][1][1].Ref);
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(FUNCTIONS.slack, 'Arn'),
      PayloadFormatVersion: '2.0',
    });
    expect(routes).toHaveLength(1);
  });

  it('retries a failed notify event twice, then sends it to the dead-letter queue', () => {
    const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, config]) => config.Properties);
    const notify = configs.find((config) =>
      isDeepStrictEqual(config.FunctionName, { Ref: FUNCTIONS.notify })
    );
    expect(notify).toMatchObject({
      MaximumRetryAttempts: 2,
      Qualifier: '$LATEST',
      DestinationConfig: { OnFailure: { Destination: getAtt('NotifyDeadLetterQueue', 'Arn') } },
    });
    expect(notify?.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
  });

  it('keeps dead letters for 14 days, encrypted', () => {
    const queue = resource('NotifyDeadLetterQueue');
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
  });

  it('protects the table: point-in-time recovery, deletion protection, encryption, retained', () => {
    const table = resource('BotTable');
    expect(table).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('declares exactly the keys and indexes of tableDefinition', () => {
    const expected = tableDefinition('x');
    const { Properties } = resource('BotTable');
    expect(Properties.BillingMode).toBe(expected.BillingMode);
    expect(Properties.KeySchema).toEqual(expected.KeySchema);
    expect(Properties.AttributeDefinitions).toEqual(expected.AttributeDefinitions);
    expect(Properties.GlobalSecondaryIndexes).toEqual(expected.GlobalSecondaryIndexes);
  });

  it('runs every function on nodejs22.x, arm64, with the table, queue and Slack parameter names', () => {
    for (const [name, logicalId] of Object.entries(FUNCTIONS)) {
      const fn = resource(logicalId).Properties;
      expect(fn).toMatchObject({
        Handler: `handlers/${name}.handler`,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
      });
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toMatchObject({
        TABLE_NAME: { Ref: 'BotTable' },
        QUEUE_URL: { Ref: 'WorkQueue' },
        HOME_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
        SLACK_BOT_TOKEN_PARAM: BOT_TOKEN_PARAM,
        SLACK_SIGNING_SECRET_PARAM: SIGNING_SECRET_PARAM,
      });
      // Present, and empty when not configured: src/config.ts then applies its default.
      for (const setting of OPTIONAL_SETTINGS) expect(variables[setting], setting).toBe('');
      for (const required of ['SLACK_CHANNEL_ID', 'SLACK_BOT_ID', 'SLACK_BOT_USER_ID']) {
        expect(variables).toHaveProperty(required);
      }
      // Secrets never travel in the template, only the names of their SSM parameters.
      expect(variables).not.toHaveProperty('SLACK_BOT_TOKEN');
      expect(variables).not.toHaveProperty('SLACK_SIGNING_SECRET');
    }
  });

  it('gives each function a role of its own and creates no other role', () => {
    const roles = Object.values(FUNCTIONS).map(roleOf);
    expect(new Set(roles).size).toBe(roles.length);
    for (const role of roles) expect(resource(role).Type).toBe('AWS::IAM::Role');
    const functionRoles = ofType('AWS::Lambda::Function').map(([id]) => roleOf(id));
    expect(
      deployedRoles()
        .map(([id]) => id)
        .sort()
    ).toEqual([...new Set(functionRoles)].sort());
    // Policies created outside a role attach to a function's role, never to another principal.
    const attached = Object.values(FUNCTIONS).flatMap((id) =>
      attachedPolicies(roleOf(id)).map(([policyId]) => policyId)
    );
    expect(
      [...ofType('AWS::IAM::RolePolicy'), ...ofType('AWS::IAM::Policy')].map(([id]) => id).sort()
    ).toEqual(attached.sort());
    expect(ofType('AWS::IAM::ManagedPolicy')).toEqual([]);
    expect(ofType('AWS::IAM::User')).toEqual([]);
  });

  it('grants no wildcard action, no managed policy and no way to delete items', () => {
    for (const [roleId, role] of deployedRoles()) {
      expect(role.Properties.ManagedPolicyArns ?? [], roleId).toEqual([]);
      for (const statement of allStatementsOf(roleId)) {
        expect(statement.NotAction, roleId).toBeUndefined();
        expect(statement.Effect, roleId).toBe('Allow');
        for (const action of actionsOf(statement)) {
          expect(action, roleId).not.toContain('*');
          expect(action, roleId).not.toMatch(
            /^dynamodb:(DeleteItem|BatchWriteItem|PartiQLDelete|DeleteTable)$/
          );
        }
      }
    }
  });

  it('grants each function only the DynamoDB actions it calls, on the table and its indexes', () => {
    const expected = {
      notify: ['ConditionCheckItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
      slack: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
      worker: ['ConditionCheckItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    };
    const tableArn = getAtt('BotTable', 'Arn');
    const indexArn = { 'Fn::Sub': `\${BotTable.Arn}/index/*` };
    for (const [name, logicalId] of Object.entries(FUNCTIONS)) {
      const statements = statementsOf(roleOf(logicalId));
      const onResource = (arn: unknown) =>
        statements
          .filter((statement) => JSON.stringify(statement.Resource).includes(JSON.stringify(arn)))
          .flatMap(actionsOf)
          .filter((action) => action.startsWith('dynamodb:'))
          .map((action) => action.slice('dynamodb:'.length))
          .sort();
      expect(onResource(tableArn), name).toEqual(expected[name as keyof typeof expected]);
      expect(onResource(indexArn), name).toEqual(['Query']);
      for (const statement of statements) {
        if (actionsOf(statement).some((action) => action.startsWith('dynamodb:'))) {
          for (const arn of ([] as unknown[]).concat(statement.Resource)) {
            expect([tableArn, indexArn], name).toContainEqual(arn);
          }
        }
      }
    }
  });

  it('lets notify send to its dead-letter queue and the work queue, slack only to the work queue', () => {
    const sqs = (logicalId: string) =>
      allStatementsOf(roleOf(logicalId)).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('sqs:'))
      );
    expect(sqs(FUNCTIONS.notify)).toEqual([
      expect.objectContaining({
        Action: ['sqs:SendMessage'],
        Resource: [getAtt('NotifyDeadLetterQueue', 'Arn')],
      }),
      expect.objectContaining({
        Action: ['sqs:SendMessage'],
        Resource: [getAtt('WorkQueue', 'Arn')],
      }),
    ]);
    expect(sqs(FUNCTIONS.slack)).toEqual([
      expect.objectContaining({
        Action: ['sqs:SendMessage'],
        Resource: [getAtt('WorkQueue', 'Arn')],
      }),
    ]);
  });

  it('lets the worker consume the work queue, once, send only to it (queued card edits) and time its retries', () => {
    const sqs = allStatementsOf(roleOf(FUNCTIONS.worker)).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('sqs:'))
    );
    // The plugin's statement for the SQS event (not duplicated by serverless.yml), the send and
    // the visibility change that brings a failed job back sooner.
    expect(sqs).toHaveLength(3);
    const consume = sqs.find((statement) => actionsOf(statement).includes('sqs:ReceiveMessage'));
    expect([...actionsOf(consume as Statement)].sort()).toEqual([
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(resourcesOf(consume as Statement)).toEqual([getAtt('WorkQueue', 'Arn')]);
    expect(sqs).toContainEqual(
      expect.objectContaining({
        Action: ['sqs:SendMessage'],
        Resource: [getAtt('WorkQueue', 'Arn')],
      })
    );
    expect(sqs).toContainEqual(
      expect.objectContaining({
        Action: ['sqs:ChangeMessageVisibility'],
        Resource: [getAtt('WorkQueue', 'Arn')],
      })
    );
  });

  it('consumes the work queue with the worker, one job at a time, reporting partial failures', () => {
    expect(resource(FUNCTIONS.worker).Properties).toMatchObject({
      Handler: 'handlers/worker.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 120,
      MemorySize: 1024,
    });
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, mapping]) => mapping);
    expect(mappings).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          EventSourceArn: getAtt('WorkQueue', 'Arn'),
          FunctionName: getAtt(FUNCTIONS.worker, 'Arn'),
          BatchSize: 1,
          Enabled: true,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        }),
      }),
    ]);
  });

  it('redrives a job to the work dead-letter queue after MAX_RECEIVE_COUNT deliveries', () => {
    const queue = resource('WorkQueue');
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: getAtt('WorkDeadLetterQueue', 'Arn'),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      },
    });
    expect(MAX_RECEIVE_COUNT).toBe(3);
    // Standard queue: FIFO would serialize every job behind one message group.
    expect(queue.Properties.FifoQueue).toBeUndefined();
    const workerTimeout = resource(FUNCTIONS.worker).Properties.Timeout as number;
    const visibility = queue.Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * workerTimeout);
    // The isolation lease lasts 120 s: a job must not reappear while it is held.
    expect(visibility).toBeGreaterThan(120);
    expect(resource('WorkDeadLetterQueue').Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
  });

  it('gives notify and slack no EC2, GuardDuty, Logs, Security Hub or STS action', () => {
    // The only logs: actions are the plugin's, writing the function's own log group.
    const ownLogs = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];
    for (const logicalId of [FUNCTIONS.notify, FUNCTIONS.slack]) {
      const roleId = roleOf(logicalId);
      expect(
        grantedActions(roleId).filter(
          (action) => WORKER_ONLY_SERVICES.test(action) && !ownLogs.includes(action)
        ),
        logicalId
      ).toEqual([]);
      for (const statement of allStatementsOf(roleId)) {
        if (actionsOf(statement).some((action) => action.startsWith('logs:'))) {
          expect(JSON.stringify(statement.Resource), logicalId).toContain(
            `log-group:/aws/lambda/guardduty-slack-responder-dev-${logicalId === FUNCTIONS.notify ? 'notify' : 'slack'}:`
          );
        }
      }
    }
  });

  it('gives the worker every action its isolation, investigation and dismissal call', () => {
    const granted = grantedActions(roleOf(FUNCTIONS.worker));
    for (const action of [...ISOLATION_ACTIONS, ...INVESTIGATION_ACTIONS, ...DISMISSAL_ACTIONS]) {
      expect(granted, action).toContain(action);
    }
    // Nothing else beyond the table, the Slack parameters, its queue, its logs and the member role.
    const expected = new Set([
      ...ISOLATION_ACTIONS,
      ...INVESTIGATION_ACTIONS,
      ...DISMISSAL_ACTIONS,
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'ssm:GetParameter',
      'kms:Decrypt',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:SendMessage',
      'sqs:ChangeMessageVisibility',
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sts:AssumeRole',
      'sts:SetSourceIdentity',
    ]);
    expect(granted.filter((action) => !expected.has(action))).toEqual([]);
  });

  it('grants "*" only for actions that have no resource-level permissions', () => {
    for (const [roleId] of deployedRoles()) {
      for (const statement of allStatementsOf(roleId)) {
        const resources = resourcesOf(statement);
        if (resources.some((entry) => typeof entry === 'string' && entry.includes('*'))) {
          expect(resources, roleId).toEqual(['*']);
          for (const action of actionsOf(statement)) {
            expect(NO_RESOURCE_LEVEL, `${roleId} ${action}`).toContain(action);
          }
        }
      }
    }
  });

  it("changes security-group rules only on the bot's own groups, one tag per statement", () => {
    const worker = roleOf(FUNCTIONS.worker);
    const rules = {
      'ec2:RevokeSecurityGroupEgress': 'guardduty-bot:isolation',
      'ec2:RevokeSecurityGroupIngress': 'guardduty-bot:isolation',
      'ec2:AuthorizeSecurityGroupIngress': 'guardduty-bot:untrack',
      'ec2:AuthorizeSecurityGroupEgress': 'guardduty-bot:untrack',
    };
    for (const [action, tag] of Object.entries(rules)) {
      const statements = statementsWith(worker, action);
      expect(statements, action).toHaveLength(1);
      for (const statement of statements) {
        expect(statement.Condition, action).toEqual({
          StringEquals: { [`aws:ResourceTag/${tag}`]: 'true' },
        });
        expect(resourcesOf(statement), action).toEqual([ec2Arn('security-group')]);
      }
    }
  });

  it("tags only on create (snapshots, groups) or with the bot's own keys on instances", () => {
    const worker = roleOf(FUNCTIONS.worker);
    const tagging = statementsWith(worker, 'ec2:CreateTags');
    expect(tagging).toHaveLength(2);
    for (const statement of tagging) {
      const onCreate = statement.Condition?.StringEquals?.['ec2:CreateAction'];
      if (onCreate !== undefined) {
        expect([...(onCreate as string[])].sort()).toEqual([
          'CreateSecurityGroup',
          'CreateSnapshot',
        ]);
        expect(resourcesOf(statement)).toEqual([SNAPSHOT_ARN, ec2Arn('security-group')]);
      } else {
        expect(resourcesOf(statement)).toEqual([ec2Arn('instance')]);
        expect(statement.Condition).toEqual({
          'ForAllValues:StringLike': { 'aws:TagKeys': ['guardduty-bot:*'] },
          Null: { 'aws:TagKeys': 'false' },
        });
      }
    }
    for (const statement of statementsWith(worker, 'ec2:DeleteTags')) {
      expect(resourcesOf(statement)).toEqual([ec2Arn('instance')]);
      expect(statement.Condition?.['ForAllValues:StringLike']).toEqual({
        'aws:TagKeys': ['guardduty-bot:*'],
      });
    }
    const swap = statementsWith(worker, 'ec2:ModifyNetworkInterfaceAttribute');
    expect(swap).toHaveLength(1);
    expect(resourcesOf(swap[0] as Statement)).toEqual(
      expect.arrayContaining([ec2Arn('network-interface'), ec2Arn('security-group')])
    );
    const create = statementsWith(worker, 'ec2:CreateSecurityGroup');
    expect(create.flatMap(resourcesOf)).toEqual([ec2Arn('security-group'), ec2Arn('vpc')]);
  });

  it('lets the worker only suppress or reopen Security Hub findings, on this hub', () => {
    const worker = roleOf(FUNCTIONS.worker);
    expect(statementsWith(worker, 'securityhub:BatchUpdateFindings')).toEqual([
      expect.objectContaining({
        Resource: [HUB_ARN],
        Condition: {
          StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': ['SUPPRESSED', 'NEW'] },
        },
      }),
    ]);
    expect(statementsWith(worker, 'securityhub:GetFindings').flatMap(resourcesOf)).toEqual([
      HUB_ARN,
    ]);
  });

  it("deletes and tags only the bot's own GuardDuty suppression rules", () => {
    const worker = roleOf(FUNCTIONS.worker);
    const ownRules = arn('guardduty', 'detector/*/filter/guardduty-bot-*');
    for (const action of ['guardduty:DeleteFilter', 'guardduty:TagResource']) {
      expect(statementsWith(worker, action).flatMap(resourcesOf), action).toEqual([ownRules]);
    }
    for (const action of DISMISSAL_ACTIONS.filter((name) => name.startsWith('guardduty:'))) {
      for (const entry of statementsWith(worker, action).flatMap(resourcesOf)) {
        expect([arn('guardduty', 'detector/*'), ownRules], action).toContainEqual(entry);
      }
    }
  });

  it('searches only the configured log groups, not every group in the account', () => {
    const worker = roleOf(FUNCTIONS.worker);
    expect(statementsWith(worker, 'logs:FilterLogEvents').flatMap(resourcesOf)).toEqual([
      arn('logs', 'log-group:/var/log/secure*'),
    ]);
  });

  it('assumes member-account roles only when memberRoleName is set', () => {
    const worker = roleOf(FUNCTIONS.worker);
    // Not in the role's own policy: only in the conditional one.
    expect(
      statementsOf(worker)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('sts:'))
    ).toEqual([]);
    const policies = attachedPolicies(worker);
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0] as [string, Resource];
    expect(policy.Condition).toBe('HasMemberRole');
    // With no memberRoleName (the default here) the condition is false: no sts: action deployed.
    expect(template.Conditions?.HasMemberRole).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    expect(policy.Properties.PolicyDocument).toMatchObject({
      Statement: [
        {
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Resource: [{ 'Fn::Sub': `arn:\${AWS::Partition}:iam::*:role/` }],
        },
      ],
    });
    for (const logicalId of [FUNCTIONS.notify, FUNCTIONS.slack]) {
      expect(attachedPolicies(roleOf(logicalId)), logicalId).toEqual([]);
    }
  });

  it('reads only the Slack parameters each function needs, decrypting them only through SSM', () => {
    for (const [name, logicalId] of Object.entries(FUNCTIONS)) {
      // Only the slack function verifies requests: the others never read the signing secret.
      const parameters = name === 'slack' ? SLACK_PARAMETER_ARNS : SLACK_PARAMETER_ARNS.slice(0, 1);
      const statements = statementsOf(roleOf(logicalId));
      const ssm = statements.filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('ssm:'))
      );
      expect(ssm, logicalId).toEqual([
        expect.objectContaining({ Action: ['ssm:GetParameter'], Resource: parameters }),
      ]);
      const kms = statements.filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('kms:'))
      );
      expect(kms, logicalId).toEqual([
        expect.objectContaining({
          Action: ['kms:Decrypt'],
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Sub': `ssm.\${AWS::Region}.amazonaws.com` },
              'kms:EncryptionContext:PARAMETER_ARN': parameters,
            },
          },
        }),
      ]);
    }
  });

  it('alarms on dead letters and on errors of each function', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const above0 = {
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    };
    for (const queue of ['NotifyDeadLetterQueue', 'WorkDeadLetterQueue']) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          ...above0,
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
        })
      );
    }
    for (const logicalId of Object.values(FUNCTIONS)) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          ...above0,
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId } }],
        })
      );
    }
  });

  it('outputs the Slack request URL, the queue URLs and the table name', () => {
    expect(template.Outputs.SlackRequestUrl?.Value).toEqual({
      'Fn::Sub': `https://\${HttpApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/slack/events`,
    });
    expect(template.Outputs.NotifyDeadLetterQueueUrl?.Value).toEqual({
      Ref: 'NotifyDeadLetterQueue',
    });
    expect(template.Outputs.WorkQueueUrl?.Value).toEqual({ Ref: 'WorkQueue' });
    expect(template.Outputs.WorkDeadLetterQueueUrl?.Value).toEqual({ Ref: 'WorkDeadLetterQueue' });
    expect(template.Outputs.BotTableName?.Value).toEqual({ Ref: 'BotTable' });
  });

  it('ships each function as one .mjs bundle, without metafile or source map', () => {
    for (const name of Object.keys(FUNCTIONS)) {
      expect(zipEntries(join(outDir, `${name}.zip`))).toEqual([`handlers/${name}.mjs`]);
    }
  });
});
