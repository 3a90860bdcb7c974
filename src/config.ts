import { ConfigError } from './domain/errors';
import { SEVERITY_BANDS, type SeverityBand } from './domain/Finding';

/**
 * The only module that reads `process.env`. Every setting has a documented name (see the
 * README's configuration table) and, unless the operator contract makes it required, a default
 * that works when only the required variables are set.
 */

/** A secret given directly (local, tests, demo) or as the name of a SecureString SSM parameter. */
export type SecretSource = { value: string } | { ssmParameter: string };

/** One routing rule: the first rule whose conditions all match picks the channel. */
export interface RoutingRule {
  channel: string;
  /** Matches findings of this band and above. */
  minSeverity?: SeverityBand;
  /** Matches finding types starting with this prefix, e.g. `UnauthorizedAccess:IAMUser/`. */
  typePrefix?: string;
  /** Matches findings from these AWS accounts. */
  accounts?: string[];
}

/** Settings shared by every function. */
export interface Config {
  slack: {
    botToken: SecretSource;
    signingSecret: SecretSource;
    /** Web API base URL, ending in `/`. @default 'https://slack.com/api/' */
    apiUrl: string;
    /** The bot's ids (from `auth.test`), so Bolt never calls `auth.test` at cold start. */
    botId: string;
    botUserId: string;
    /** When set, requests from any other workspace are refused. */
    teamId?: string;
    /** When set, commands and actions are accepted only in these channels. */
    allowedChannels?: string[];
    /** Per-call timeout for Web API calls. @default 10000 */
    timeoutMs: number;
    /** Retries of a failed Web API call (429s wait for Retry-After first). @default 3 */
    retries: number;
  };
  /** Where findings go when no routing rule matches. */
  defaultChannel: string;
  /**
   * ROUTING_RULES as given (a JSON list of {@link RoutingRule}). notify, and the worker that posts
   * the cards notify queued, validate the rules when they start ({@link parseRoutingRules}); the
   * slack function never routes, so it does not load the validation library.
   */
  routingRulesJson?: string;
  /** Findings below this band are recorded but not posted. @default 'Low' (post everything) */
  minPostSeverity: SeverityBand;
  /** Own-card posting budget per channel: sustained rate and burst. @default 1 per second, burst 5 */
  postBudget: { perSecond: number; burst: number };
  /** A card is edited at most once per this many milliseconds. @default 5000 */
  cardUpdateIntervalMs: number;
  /**
   * Card edits caused by re-published findings, across the workspace (Slack allows about 50
   * `chat.update` a minute): the rest wait in the work queue. @default 40 per minute, burst 5
   */
  editBudget: { perSecond: number; burst: number };
  /** Skip GuardDuty findings that arrive through Security Hub (GuardDuty is ingested directly). @default true */
  skipSecurityHubGuardDuty: boolean;
  tableName: string;
  /** The work queue (slack enqueues, worker consumes). Required by those two functions. */
  queueUrl?: string;
  actions: ActionsConfig;
  aws: AwsConfig;
  investigation: InvestigationConfig;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** Who may do what, and the brakes on containment. */
export interface ActionsConfig {
  /** Slack user ids (U…/W…) and user-group ids (S…) allowed to Isolate, Release, Approve and Dismiss. */
  approvers: string[];
  /** Who may Dismiss (and create suppression rules). @default the approvers */
  dismissApprovers: string[];
  /** Users and groups who may Investigate and run read-only commands, but not act. */
  readOnlyUsers: string[];
  /** From this band up, isolation and suppression need a second approver. Unset: off (the default). */
  twoPersonMinSeverity?: SeverityBand;
  /** How long a request waits for its second approver. @default 30 minutes */
  approvalExpiryMs: number;
  /** When true the bot changes nothing in AWS: every mutating action is refused. @default false */
  readOnlyMode: boolean;
  /** At most this many isolations per clock hour (UTC, e.g. 14:00–14:59). @default 10 */
  isolationsPerHour: number;
  /** Isolation only plans: lists every call and sends EC2 mutations with DryRun. @default false */
  dryRun: boolean;
  /** Snapshot every EBS volume before isolating. @default true */
  evidenceSnapshots: boolean;
  /** How long interfaces stay in the temporary allow-all group so tracked flows become untracked. @default 5 seconds */
  untrackHoldMs: number;
}

/** Where the bot acts in AWS. */
export interface AwsConfig {
  /** The account the functions run in. */
  homeAccountId?: string;
  /** The Region commands without a finding (logs, hub) query. @default AWS_REGION */
  defaultRegion: string;
  /** Role assumed in GuardDuty member accounts; unset: act in the home account only. */
  memberRoleName?: string;
  memberRoleExternalId?: string;
  /** GuardDuty administrator account (ArchiveFindings, suppression rules). @default the finding's account */
  adminAccountId?: string;
}

/** Settings of the Investigate pivots and log commands. */
export interface InvestigationConfig {
  /** Log groups holding instances' /var/log/secure (streams named after the instance id). */
  secureLogGroups: string[];
  /** Log groups `/guardduty logs` may search. @default the secure-log groups */
  logGroupAllowList: string[];
  /** How far back related findings are searched. @default 7 days */
  lookbackDays: number;
}

type Env = Record<string, string | undefined>;

const read = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

const required = (env: Env, name: string): string => {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required but not set');
  return value;
};

const matching = (name: string, value: string, pattern: RegExp, expected: string): string => {
  if (!pattern.test(value)) throw new ConfigError(name, `expected ${expected}, got "${value}"`);
  return value;
};

const positiveNumber = (env: Env, name: string, fallback: number): number => {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new ConfigError(name, `expected a non-negative number, got "${raw}"`);
  }
  return value;
};

const flag = (env: Env, name: string, fallback: boolean): boolean => {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
};

const band = (env: Env, name: string, fallback: SeverityBand): SeverityBand => {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const found = SEVERITY_BANDS.find((candidate) => candidate.toLowerCase() === raw.toLowerCase());
  if (!found)
    throw new ConfigError(name, `expected one of ${SEVERITY_BANDS.join(', ')}, got "${raw}"`);
  return found;
};

/** A Slack channel id. */
export const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
/** An AWS account id. */
export const ACCOUNT_ID = /^\d{12}$/;

const secret = (env: Env, name: string): SecretSource => {
  const value = read(env, name);
  const parameter = read(env, `${name}_PARAM`);
  if (value !== undefined) return { value };
  if (parameter !== undefined) return { ssmParameter: parameter };
  throw new ConfigError(
    name,
    `is required: set ${name} or ${name}_PARAM (an SSM SecureString name)`
  );
};

const list = (env: Env, name: string, pattern: RegExp, expected: string): string[] | undefined => {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => matching(name, item, pattern, expected));
};

const PRINCIPAL = /^[UWS][A-Z0-9]{2,}$/;
const principals = (env: Env, name: string): string[] | undefined =>
  list(env, name, PRINCIPAL, 'Slack user ids (U…) or user-group ids (S…)');

const optionalBand = (env: Env, name: string): SeverityBand | undefined => {
  const raw = read(env, name);
  if (raw === undefined || raw.toLowerCase() === 'off') return undefined;
  return band(env, name, 'Low');
};

const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;

const logLevel = (env: Env): Config['logLevel'] => {
  const raw = (read(env, 'LOG_LEVEL') ?? 'INFO').toUpperCase();
  if (raw === 'DEBUG' || raw === 'INFO' || raw === 'WARN' || raw === 'ERROR') return raw;
  throw new ConfigError('LOG_LEVEL', `expected DEBUG, INFO, WARN or ERROR, got "${raw}"`);
};

const optionalMatching = (
  env: Env,
  name: string,
  pattern: RegExp,
  expected: string
): string | undefined => {
  const value = read(env, name);
  return value === undefined ? undefined : matching(name, value, pattern, expected);
};

const actionsConfig = (env: Env): ActionsConfig => {
  const approvers = principals(env, 'APPROVERS') ?? [];
  return {
    approvers,
    dismissApprovers: principals(env, 'DISMISS_APPROVERS') ?? approvers,
    readOnlyUsers: principals(env, 'READ_ONLY_USERS') ?? [],
    twoPersonMinSeverity: optionalBand(env, 'TWO_PERSON_RULE_MIN_SEVERITY'),
    approvalExpiryMs: positiveNumber(env, 'APPROVAL_EXPIRY_MINUTES', 30) * 60_000,
    readOnlyMode: flag(env, 'READ_ONLY_MODE', false),
    isolationsPerHour: positiveNumber(env, 'ISOLATIONS_PER_HOUR', 10),
    dryRun: flag(env, 'DRY_RUN', false),
    evidenceSnapshots: flag(env, 'EVIDENCE_SNAPSHOTS', true),
    untrackHoldMs: positiveNumber(env, 'UNTRACK_HOLD_SECONDS', 5) * 1000,
  };
};

const investigationConfig = (env: Env): InvestigationConfig => {
  const secureLogGroups = list(env, 'SECURE_LOG_GROUPS', LOG_GROUP, 'log group names') ?? [
    '/var/log/secure',
  ];
  return {
    secureLogGroups,
    logGroupAllowList:
      list(env, 'LOG_GROUP_ALLOWLIST', LOG_GROUP, 'log group names') ?? secureLogGroups,
    lookbackDays: positiveNumber(env, 'INVESTIGATION_LOOKBACK_DAYS', 7),
  };
};

/**
 * CARD_EDITS_PER_MINUTE as a token bucket with a small burst (an eighth of a minute's worth), so
 * that even the first minute of a storm, burst included, stays under Slack's ~50 edits a minute.
 */
const editBudget = (env: Env): { perSecond: number; burst: number } => {
  const perMinute = positiveNumber(env, 'CARD_EDITS_PER_MINUTE', 40);
  if (perMinute < 1) throw new ConfigError('CARD_EDITS_PER_MINUTE', 'must be at least 1');
  return { perSecond: perMinute / 60, burst: Math.max(1, Math.floor(perMinute / 8)) };
};

/** The work queue URL, for the functions that need it. */
export const requireQueueUrl = (config: Config): string => {
  if (config.queueUrl === undefined) throw new ConfigError('QUEUE_URL', 'is required but not set');
  return config.queueUrl;
};

/**
 * Reads and validates the configuration.
 *
 * @param env - the environment to read; defaults to `process.env`
 * @throws ConfigError naming the first missing or malformed variable
 */
export const loadConfig = (env: Env = process.env): Config => {
  const apiUrl = read(env, 'SLACK_API_URL') ?? 'https://slack.com/api/';
  matching('SLACK_API_URL', apiUrl, /^https?:\/\/\S+$/, 'an http(s) URL');
  const teamId = read(env, 'SLACK_TEAM_ID');
  const routingRulesJson = read(env, 'ROUTING_RULES');
  return {
    slack: {
      botToken: secret(env, 'SLACK_BOT_TOKEN'),
      signingSecret: secret(env, 'SLACK_SIGNING_SECRET'),
      apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
      botId: matching(
        'SLACK_BOT_ID',
        required(env, 'SLACK_BOT_ID'),
        /^B[A-Z0-9]+$/,
        'a bot id (B…)'
      ),
      botUserId: matching(
        'SLACK_BOT_USER_ID',
        required(env, 'SLACK_BOT_USER_ID'),
        /^[UW][A-Z0-9]+$/,
        'a user id (U…)'
      ),
      teamId:
        teamId === undefined
          ? undefined
          : matching('SLACK_TEAM_ID', teamId, /^[TE][A-Z0-9]+$/, 'a team id (T…)'),
      allowedChannels: list(env, 'ALLOWED_CHANNELS', CHANNEL_ID, 'channel ids such as C0123ABCD'),
      timeoutMs: positiveNumber(env, 'SLACK_TIMEOUT_MS', 10_000),
      retries: positiveNumber(env, 'SLACK_RETRIES', 3),
    },
    defaultChannel: matching(
      'SLACK_CHANNEL_ID',
      required(env, 'SLACK_CHANNEL_ID'),
      CHANNEL_ID,
      'a channel id such as C0123ABCD'
    ),
    ...(routingRulesJson === undefined ? {} : { routingRulesJson }),
    minPostSeverity: band(env, 'MIN_POST_SEVERITY', 'Low'),
    postBudget: {
      perSecond: positiveNumber(env, 'POST_BUDGET_PER_SECOND', 1),
      burst: positiveNumber(env, 'POST_BUDGET_BURST', 5),
    },
    cardUpdateIntervalMs: positiveNumber(env, 'CARD_UPDATE_INTERVAL_SECONDS', 5) * 1000,
    editBudget: editBudget(env),
    skipSecurityHubGuardDuty: flag(env, 'SKIP_SECURITYHUB_GUARDDUTY', true),
    tableName: required(env, 'TABLE_NAME'),
    queueUrl: read(env, 'QUEUE_URL'),
    actions: actionsConfig(env),
    aws: {
      homeAccountId: optionalMatching(env, 'HOME_ACCOUNT_ID', ACCOUNT_ID, 'a 12-digit account id'),
      defaultRegion: read(env, 'AWS_REGION') ?? 'us-east-1',
      memberRoleName: optionalMatching(
        env,
        'MEMBER_ROLE_NAME',
        /^[\w+=,.@/-]{1,64}$/,
        'an IAM role name'
      ),
      memberRoleExternalId: read(env, 'MEMBER_ROLE_EXTERNAL_ID'),
      adminAccountId: optionalMatching(
        env,
        'ADMIN_ACCOUNT_ID',
        ACCOUNT_ID,
        'a 12-digit account id'
      ),
    },
    investigation: investigationConfig(env),
    logLevel: logLevel(env),
  };
};
