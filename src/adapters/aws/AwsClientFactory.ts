import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { BotError } from '../../domain/errors';

/** Where an AWS call goes, and on whose behalf (for CloudTrail). */
export interface AwsTarget {
  accountId: string;
  region: string;
  /** Slack user id of the person acting; becomes the role session's SourceIdentity. */
  actor?: string;
}

/** Settings for acting in GuardDuty member accounts. */
export interface AwsClientFactoryOptions {
  /** The account the functions run in: calls there use the function's own role. */
  homeAccountId?: string;
  /** Role name assumed in member accounts (`arn:aws:iam::<account>:role/<name>`); unset: home account only. */
  memberRoleName?: string;
  /** External id required by the member role's trust policy, if any. */
  memberRoleExternalId?: string;
  /** Client settings shared by every client (retries, endpoints come from the SDK's own variables). */
  maxAttempts?: number;
}

/** The member role could not be assumed, or the finding's account is not reachable. */
export class CrossAccountError extends BotError {
  public constructor(message: string, options?: ErrorOptions) {
    super('CROSS_ACCOUNT', message, options);
    this.name = 'CrossAccountError';
  }
}

type ClientConstructor<T> = new (config: {
  region: string;
  maxAttempts: number;
  credentials?: AwsCredentialIdentity;
}) => T;

/**
 * Builds AWS clients for the account and region of a finding. In the home account the function's
 * own role is used; in a member account the configured role is assumed with STS, with the Slack
 * user id as `SourceIdentity` so CloudTrail shows who acted. Clients are cached per target.
 */
export class AwsClientFactory {
  readonly #options: AwsClientFactoryOptions;
  readonly #sts: () => STSClient;
  readonly #clients = new Map<string, { client: unknown; expiresAt: number }>();

  public constructor(
    options: AwsClientFactoryOptions,
    sts: () => STSClient = () => new STSClient({})
  ) {
    this.#options = options;
    this.#sts = sts;
  }

  public ec2(target: AwsTarget): Promise<EC2Client> {
    return this.#client('ec2', EC2Client, target);
  }

  public guardDuty(target: AwsTarget): Promise<GuardDutyClient> {
    return this.#client('guardduty', GuardDutyClient, target);
  }

  public securityHub(target: AwsTarget): Promise<SecurityHubClient> {
    return this.#client('securityhub', SecurityHubClient, target);
  }

  public logs(target: AwsTarget): Promise<CloudWatchLogsClient> {
    return this.#client('logs', CloudWatchLogsClient, target);
  }

  public autoScaling(target: AwsTarget): Promise<AutoScalingClient> {
    return this.#client('autoscaling', AutoScalingClient, target);
  }

  public elbv2(target: AwsTarget): Promise<ElasticLoadBalancingV2Client> {
    return this.#client('elbv2', ElasticLoadBalancingV2Client, target);
  }

  public elb(target: AwsTarget): Promise<ElasticLoadBalancingClient> {
    return this.#client('elb', ElasticLoadBalancingClient, target);
  }

  /** The role ARN used for a target, or undefined when the function's own role is used. */
  public roleArnFor(target: AwsTarget): string | undefined {
    const { homeAccountId, memberRoleName } = this.#options;
    if (memberRoleName === undefined) return undefined;
    if (homeAccountId !== undefined && target.accountId === homeAccountId) return undefined;
    return `arn:aws:iam::${target.accountId}:role/${memberRoleName}`;
  }

  async #client<T>(service: string, Client: ClientConstructor<T>, target: AwsTarget): Promise<T> {
    const roleArn = this.roleArnFor(target);
    const key = `${service}|${target.region}|${roleArn ?? 'home'}|${roleArn ? (target.actor ?? '') : ''}`;
    const cached = this.#clients.get(key);
    // Assumed-role credentials last 15 minutes: a warm container re-assumes a minute before.
    if (cached && cached.expiresAt > Date.now() + 60_000) return cached.client as T;
    const credentials = roleArn === undefined ? undefined : await this.#assume(roleArn, target);
    const client = new Client({
      region: target.region,
      maxAttempts: this.#options.maxAttempts ?? 5,
      ...(credentials === undefined ? {} : { credentials }),
    });
    this.#clients.set(key, {
      client,
      expiresAt: credentials?.expiration?.getTime() ?? Number.POSITIVE_INFINITY,
    });
    return client;
  }

  async #assume(roleArn: string, target: AwsTarget): Promise<AwsCredentialIdentity> {
    // SourceIdentity must match [\w+=,.@-]{2,64}; Slack user ids do.
    const actor = (target.actor ?? 'guardduty-bot').replace(/[^\w+=,.@-]/g, '').slice(0, 64);
    try {
      const result = await this.#sts().send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `guardduty-bot-${actor}`.slice(0, 64),
          SourceIdentity: actor.length >= 2 ? actor : 'guardduty-bot',
          DurationSeconds: 900,
          ...(this.#options.memberRoleExternalId === undefined
            ? {}
            : { ExternalId: this.#options.memberRoleExternalId }),
        })
      );
      const credentials = result.Credentials;
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
        throw new Error('AssumeRole returned no credentials');
      }
      return {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        ...(credentials.SessionToken === undefined
          ? {}
          : { sessionToken: credentials.SessionToken }),
        ...(credentials.Expiration === undefined ? {} : { expiration: credentials.Expiration }),
      };
    } catch (error) {
      throw new CrossAccountError(
        `could not assume ${roleArn} for account ${target.accountId}: ${(error as Error).name}`,
        { cause: error }
      );
    }
  }
}
