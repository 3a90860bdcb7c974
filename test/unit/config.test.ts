import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/domain/errors';
import { parseRoutingRules } from '../../src/routingRules';
import { MINIMAL_ENV } from '../support/minimalEnv';

const minimal = MINIMAL_ENV;

describe('Function: loadConfig', () => {
  it('applies the documented defaults when only the required variables are set', () => {
    // Act
    const config = loadConfig(minimal);

    // Assess
    expect(config).toStrictEqual({
      slack: {
        botToken: { value: 'xoxb-test' },
        signingSecret: { value: 'secret' },
        apiUrl: 'https://slack.com/api/',
        botId: 'B0BOT',
        botUserId: 'U0BOT',
        teamId: undefined,
        allowedChannels: undefined,
        timeoutMs: 10_000,
        retries: 3,
      },
      defaultChannel: 'C0SECOPS',
      minPostSeverity: 'Low',
      postBudget: { perSecond: 1, burst: 5 },
      cardUpdateIntervalMs: 5000,
      editBudget: { perSecond: 40 / 60, burst: 5 },
      skipSecurityHubGuardDuty: true,
      tableName: 'bot-table',
      queueUrl: undefined,
      actions: {
        approvers: [],
        dismissApprovers: [],
        readOnlyUsers: [],
        twoPersonMinSeverity: undefined,
        approvalExpiryMs: 30 * 60_000,
        readOnlyMode: false,
        isolationsPerHour: 10,
        dryRun: false,
        evidenceSnapshots: true,
        untrackHoldMs: 5000,
      },
      aws: {
        homeAccountId: undefined,
        defaultRegion: 'us-east-1',
        memberRoleName: undefined,
        memberRoleExternalId: undefined,
        adminAccountId: undefined,
      },
      investigation: {
        secureLogGroups: ['/var/log/secure'],
        logGroupAllowList: ['/var/log/secure'],
        lookbackDays: 7,
      },
      logLevel: 'INFO',
    });
  });

  it('reads the approval policy and the brakes on containment', () => {
    // Act
    const { actions } = loadConfig({
      ...minimal,
      APPROVERS: 'U0ALICE,S0SECOPS',
      READ_ONLY_USERS: 'U0BOB',
      TWO_PERSON_RULE_MIN_SEVERITY: 'high',
      APPROVAL_EXPIRY_MINUTES: '10',
      READ_ONLY_MODE: 'true',
      ISOLATIONS_PER_HOUR: '2',
    });

    // Assess
    expect(actions).toMatchObject({
      approvers: ['U0ALICE', 'S0SECOPS'],
      dismissApprovers: ['U0ALICE', 'S0SECOPS'],
      readOnlyUsers: ['U0BOB'],
      twoPersonMinSeverity: 'High',
      approvalExpiryMs: 600_000,
      readOnlyMode: true,
      isolationsPerHour: 2,
    });
  });

  it('reads secrets from SSM parameter names when the values are not given', () => {
    // Prepare
    const { SLACK_BOT_TOKEN: _t, SLACK_SIGNING_SECRET: _s, ...rest } = minimal;

    // Act
    const config = loadConfig({
      ...rest,
      SLACK_BOT_TOKEN_PARAM: '/bot/token',
      SLACK_SIGNING_SECRET_PARAM: '/bot/secret',
    });

    // Assess
    expect(config.slack.botToken).toStrictEqual({ ssmParameter: '/bot/token' });
    expect(config.slack.signingSecret).toStrictEqual({ ssmParameter: '/bot/secret' });
  });

  it('parses routing rules, allowed channels and the API URL override', () => {
    // Act
    const config = loadConfig({
      ...minimal,
      ROUTING_RULES:
        '[{"channel":"C0HIGH","minSeverity":"High"},{"channel":"C0IAM","typePrefix":"UnauthorizedAccess:IAMUser/","accounts":["111122223333"]}]',
      ALLOWED_CHANNELS: 'C0SECOPS, C0HIGH',
      SLACK_API_URL: 'http://127.0.0.1:4000/api',
      MIN_POST_SEVERITY: 'medium',
    });

    // Assess
    expect(parseRoutingRules(config.routingRulesJson)).toStrictEqual([
      { channel: 'C0HIGH', minSeverity: 'High' },
      { channel: 'C0IAM', typePrefix: 'UnauthorizedAccess:IAMUser/', accounts: ['111122223333'] },
    ]);
    expect(config.slack.allowedChannels).toStrictEqual(['C0SECOPS', 'C0HIGH']);
    expect(config.slack.apiUrl).toBe('http://127.0.0.1:4000/api/');
    expect(config.minPostSeverity).toBe('Medium');
  });

  it.each([
    ['SLACK_CHANNEL_ID', { SLACK_CHANNEL_ID: undefined }, 'is required'],
    ['TABLE_NAME', { TABLE_NAME: '' }, 'is required'],
    ['SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: undefined }, 'SLACK_BOT_TOKEN_PARAM'],
    ['SLACK_CHANNEL_ID', { SLACK_CHANNEL_ID: '#secops' }, 'channel id'],
    ['SLACK_BOT_USER_ID', { SLACK_BOT_USER_ID: 'bot' }, 'user id'],
    ['MIN_POST_SEVERITY', { MIN_POST_SEVERITY: 'urgent' }, 'Low, Medium, High, Critical'],
    ['POST_BUDGET_BURST', { POST_BUDGET_BURST: 'many' }, 'non-negative number'],
    ['CARD_EDITS_PER_MINUTE', { CARD_EDITS_PER_MINUTE: '0' }, 'at least 1'],
    ['ROUTING_RULES', { ROUTING_RULES: '{not json' }, 'not valid JSON'],
    ['ROUTING_RULES', { ROUTING_RULES: '[{"channel":"general"}]' }, 'channel'],
    [
      'ROUTING_RULES',
      { ROUTING_RULES: '[{"channel":"C0HIGH","minSeverity":"Severe"}]' },
      'rule 0.minSeverity: Invalid option: expected one of "Low"|"Medium"|"High"|"Critical"',
    ],
    [
      'ROUTING_RULES',
      { ROUTING_RULES: '[{"channel":"C0HIGH","severity":"High"}]' },
      'rule 0: Unrecognized key: "severity"',
    ],
    ['ALLOWED_CHANNELS', { ALLOWED_CHANNELS: 'C0OK,#nope' }, 'channel ids'],
    ['SKIP_SECURITYHUB_GUARDDUTY', { SKIP_SECURITYHUB_GUARDDUTY: 'maybe' }, 'true or false'],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'DEBUG, INFO'],
    ['APPROVERS', { APPROVERS: 'alice' }, 'user-group ids'],
    ['MEMBER_ROLE_NAME', { MEMBER_ROLE_NAME: 'bad role!' }, 'IAM role name'],
    ['HOME_ACCOUNT_ID', { HOME_ACCOUNT_ID: '1234' }, '12-digit'],
  ])('fails at start naming %s when it is missing or malformed', (variable, override, words) => {
    // Act & Assess
    let caught: unknown;
    try {
      // Routing rules are validated by notify when it starts, from the configuration.
      parseRoutingRules(loadConfig({ ...minimal, ...override }).routingRulesJson);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).toContain(variable);
    expect((caught as ConfigError).message).toContain(words);
  });
});
