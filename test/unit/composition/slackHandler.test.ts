import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlackHandler } from '../../../src/composition/slackHandler';
import { loadConfig } from '../../../src/config';
import { MINIMAL_ENV } from '../../support/minimalEnv';

const ssm = mockClient(SSMClient);

describe('Function: createSlackHandler', () => {
  afterEach(() => ssm.reset());

  it('reads both Slack secrets from SSM through one client at cold start', async () => {
    // Prepare
    ssm
      .on(GetParameterCommand, { Name: '/bot/test/slack-bot-token' })
      .resolves({ Parameter: { Value: 'xoxb-from-ssm' } })
      .on(GetParameterCommand, { Name: '/bot/test/slack-signing-secret' })
      .resolves({ Parameter: { Value: 'signing-from-ssm' } });
    const { SLACK_BOT_TOKEN: _token, SLACK_SIGNING_SECRET: _secret, ...env } = MINIMAL_ENV;
    const config = loadConfig({
      ...env,
      AWS_REGION: 'us-east-1',
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/work',
      SLACK_BOT_TOKEN_PARAM: '/bot/test/slack-bot-token',
      SLACK_SIGNING_SECRET_PARAM: '/bot/test/slack-signing-secret',
    });

    // Act
    await createSlackHandler(config);

    // Assess
    const calls = ssm.commandCalls(GetParameterCommand);
    expect(calls.map((call) => call.args[0].input.Name).sort()).toStrictEqual([
      '/bot/test/slack-bot-token',
      '/bot/test/slack-signing-secret',
    ]);
    expect(new Set(calls.map((call) => call.thisValue)).size).toBe(1);
  });
});
