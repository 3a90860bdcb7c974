import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSecret } from '../../../../src/adapters/ssm/resolveSecret';
import { ConfigError } from '../../../../src/domain/errors';

const ssm = mockClient(SSMClient);
const newClient = () => new SSMClient({ region: 'us-east-1' });

describe('Function: resolveSecret', () => {
  afterEach(() => ssm.reset());

  it('returns a secret given directly without calling SSM', async () => {
    // Act
    const secret = await resolveSecret({ value: 'xoxb-direct' }, 'SLACK_BOT_TOKEN', newClient);

    // Assess
    expect(secret).toBe('xoxb-direct');
    expect(ssm.calls()).toHaveLength(0);
  });

  it('reads the named SecureString parameter, decrypted', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'xoxb-from-ssm' } });

    // Act
    const secret = await resolveSecret(
      { ssmParameter: '/bot/prod/slack-bot-token' },
      'SLACK_BOT_TOKEN',
      newClient
    );

    // Assess
    expect(secret).toBe('xoxb-from-ssm');
    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input)).toStrictEqual([
      { Name: '/bot/prod/slack-bot-token', WithDecryption: true },
    ]);
  });

  it('names the variable and the parameter when SSM refuses, without the cause’s text', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(
      Object.assign(new Error('User is not authorized to perform ssm:GetParameter'), {
        name: 'AccessDeniedException',
      })
    );

    // Act
    const resolving = resolveSecret(
      { ssmParameter: '/bot/prod/slack-signing-secret' },
      'SLACK_SIGNING_SECRET',
      newClient
    );

    // Assess
    await expect(resolving).rejects.toBeInstanceOf(ConfigError);
    await expect(resolving).rejects.toMatchObject({
      variable: 'SLACK_SIGNING_SECRET_PARAM',
      message:
        'SLACK_SIGNING_SECRET_PARAM: could not read SSM parameter /bot/prod/slack-signing-secret (AccessDeniedException)',
    });
  });

  it('refuses an empty parameter', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '' } });

    // Act
    const resolving = resolveSecret(
      { ssmParameter: '/bot/prod/slack-bot-token' },
      'SLACK_BOT_TOKEN',
      newClient
    );

    // Assess
    await expect(resolving).rejects.toMatchObject({
      variable: 'SLACK_BOT_TOKEN_PARAM',
      message: 'SLACK_BOT_TOKEN_PARAM: SSM parameter /bot/prod/slack-bot-token is empty',
    });
  });
});
