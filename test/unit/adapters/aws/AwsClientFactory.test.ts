import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClientFactory, CrossAccountError } from '../../../../src/adapters/aws/AwsClientFactory';

const sts = mockClient(STSClient);
const credentials = {
  AccessKeyId: 'ASIAMEMBER',
  SecretAccessKey: 'secret',
  SessionToken: 'token',
  Expiration: new Date(Date.now() + 900_000),
};

describe('Class: AwsClientFactory', () => {
  afterEach(() => {
    sts.reset();
  });

  it('uses the function’s own role in the home account', async () => {
    // Prepare
    const factory = new AwsClientFactory({
      homeAccountId: '111111111111',
      memberRoleName: 'GuardDutyResponder',
    });

    // Act
    const ec2 = await factory.ec2({
      accountId: '111111111111',
      region: 'us-west-2',
      actor: 'U0ALICE',
    });

    // Assess
    expect(await ec2.config.region()).toBe('us-west-2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(factory.roleArnFor({ accountId: '111111111111', region: 'us-west-2' })).toBeUndefined();
  });

  it('assumes the member role with the Slack user as source identity and the external id', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
    const factory = new AwsClientFactory({
      homeAccountId: '111111111111',
      memberRoleName: 'GuardDutyResponder',
      memberRoleExternalId: 'ext-123',
    });

    // Act
    const ec2 = await factory.ec2({
      accountId: '222222222222',
      region: 'eu-west-1',
      actor: 'U0ALICE',
    });
    const again = await factory.ec2({
      accountId: '222222222222',
      region: 'eu-west-1',
      actor: 'U0ALICE',
    });

    // Assess
    expect(sts).toReceiveCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222222222222:role/GuardDutyResponder',
      SourceIdentity: 'U0ALICE',
      ExternalId: 'ext-123',
      RoleSessionName: 'guardduty-bot-U0ALICE',
    });
    expect(again).toBe(ec2);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect((await ec2.config.credentials()).accessKeyId).toBe('ASIAMEMBER');
  });

  it('explains which role could not be assumed', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const factory = new AwsClientFactory({ memberRoleName: 'GuardDutyResponder' });

    // Act
    const failure = await factory
      .guardDuty({ accountId: '333333333333', region: 'us-east-1', actor: 'U0BOB' })
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(CrossAccountError);
    expect((failure as CrossAccountError).message).toContain(
      'arn:aws:iam::333333333333:role/GuardDutyResponder'
    );
    expect((failure as CrossAccountError).code).toBe('CROSS_ACCOUNT');
  });
});
