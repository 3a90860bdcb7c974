import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../../src/adapters/dynamodb/tableDefinition';

/**
 * Packages the service exactly as a deployment would (`osls package`: serverless-esbuild bundles the
 * handlers, serverless-iam-roles-per-function splits the roles) with no AWS credentials and no
 * settings, then checks the CloudFormation template and the zips it produced.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const osls = join(repoRoot, 'node_modules', 'osls', 'bin', 'serverless.js');

/** Settings serverless.yml reads from the environment: cleared so the defaults are what is checked. */
const SETTINGS =
  /^(AWS_|SLACK_)|^(ALLOWED_CHANNELS|APPROVERS|ROUTING_RULES|MIN_POST_SEVERITY|LOG_LEVEL|ALARM_EMAIL)$/;

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

  const FUNCTIONS = { notify: 'NotifyLambdaFunction', slack: 'SlackLambdaFunction' } as const;

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

  it('runs both functions on nodejs22.x, arm64, with the table and Slack parameter names', () => {
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
        SLACK_BOT_TOKEN_PARAM: BOT_TOKEN_PARAM,
        SLACK_SIGNING_SECRET_PARAM: SIGNING_SECRET_PARAM,
      });
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
  });

  it('grants no wildcard action, no managed policy and no way to delete items', () => {
    for (const [roleId, role] of deployedRoles()) {
      expect(role.Properties.ManagedPolicyArns ?? [], roleId).toEqual([]);
      for (const statement of statementsOf(roleId)) {
        expect(statement.NotAction, roleId).toBeUndefined();
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

  it('lets notify, and only notify, send to its dead-letter queue', () => {
    const sends = (logicalId: string) =>
      statementsOf(roleOf(logicalId)).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('sqs:'))
      );
    expect(sends(FUNCTIONS.notify)).toEqual([
      expect.objectContaining({
        Action: ['sqs:SendMessage'],
        Resource: [getAtt('NotifyDeadLetterQueue', 'Arn')],
      }),
    ]);
    expect(sends(FUNCTIONS.slack)).toEqual([]);
  });

  it('reads only the two Slack parameters, decrypting them only through SSM', () => {
    for (const logicalId of Object.values(FUNCTIONS)) {
      const statements = statementsOf(roleOf(logicalId));
      const ssm = statements.filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('ssm:'))
      );
      expect(ssm, logicalId).toEqual([
        expect.objectContaining({ Action: ['ssm:GetParameter'], Resource: SLACK_PARAMETER_ARNS }),
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
              'kms:EncryptionContext:PARAMETER_ARN': SLACK_PARAMETER_ARNS,
            },
          },
        }),
      ]);
    }
  });

  it('alarms on dead letters and on errors of each function', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const above0 = { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' };
    expect(alarms).toContainEqual(
      expect.objectContaining({
        ...above0,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt('NotifyDeadLetterQueue', 'QueueName') }],
      })
    );
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

  it('outputs the Slack request URL, the dead-letter queue URL and the table name', () => {
    expect(template.Outputs.SlackRequestUrl?.Value).toEqual({
      'Fn::Sub': `https://\${HttpApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/slack/events`,
    });
    expect(template.Outputs.NotifyDeadLetterQueueUrl?.Value).toEqual({
      Ref: 'NotifyDeadLetterQueue',
    });
    expect(template.Outputs.BotTableName?.Value).toEqual({ Ref: 'BotTable' });
  });

  it('ships each function as one .mjs bundle, without metafile or source map', () => {
    for (const name of Object.keys(FUNCTIONS)) {
      expect(zipEntries(join(outDir, `${name}.zip`))).toEqual([`handlers/${name}.mjs`]);
    }
  });
});
