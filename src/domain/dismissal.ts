import type { Finding } from './Finding';

/**
 * Dismissing a finding and suppressing similar ones: the reasons a responder can give, and the
 * GuardDuty suppression rule ("filter" with action ARCHIVE) proposed from a finding. Pure: no SDK,
 * no clock. A suppression rule hides findings for everyone, so the builder only ever proposes a
 * rule scoped to the finding's exact type AND at least one narrowing condition (the resource or the
 * actor); a rule on the type alone is never produced and never accepted.
 */

/** Why a finding is dismissed, in the order the modal offers them. */
export const DISMISS_REASONS = [
  'false_positive',
  'expected_activity',
  'duplicate',
  'accepted_risk',
  'other',
] as const;

/** A reason for dismissing a finding (the modal's option value). */
export type DismissReason = (typeof DISMISS_REASONS)[number];

/** Human labels of {@link DismissReason}s (≤ 75 characters: they are Slack option texts). */
export const DISMISS_REASON_LABELS: Readonly<Record<DismissReason, string>> = {
  false_positive: 'False positive',
  expected_activity: 'Expected activity',
  duplicate: 'Duplicate',
  accepted_risk: 'Accepted risk',
  other: 'Other',
};

/** Longest dismissal note accepted, in UTF-16 code units. */
export const DISMISS_NOTE_MAX_LENGTH = 1000;

/** True when `value` is one of {@link DISMISS_REASONS}. */
export const isDismissReason = (value: unknown): value is DismissReason =>
  typeof value === 'string' && (DISMISS_REASONS as readonly string[]).includes(value);

/** The label of a reason; unknown values (e.g. read back from an old audit entry) come back as is. */
export const dismissReasonLabel = (reason: string): string =>
  isDismissReason(reason) ? DISMISS_REASON_LABELS[reason] : reason;

// ---------------------------------------------------------------------------------------------
// Suppression rules
// ---------------------------------------------------------------------------------------------

/** Every suppression rule the bot creates is named `guardduty-bot-<hash>`. */
export const SUPPRESSION_RULE_PREFIX = 'guardduty-bot-';

/** Every suppression rule the bot creates has a description starting with this marker. */
export const SUPPRESSION_DESCRIPTION_MARKER = 'Created from Slack by ';

/** GuardDuty's limit on a filter description. */
export const SUPPRESSION_DESCRIPTION_MAX_LENGTH = 512;

/** The GuardDuty finding-criteria fields a bot-made rule may narrow on (besides `type`). */
export const SUPPRESSION_FIELDS = {
  instanceId: 'resource.instanceDetails.instanceId',
  accessKeyId: 'resource.accessKeyDetails.accessKeyId',
  networkRemoteIp: 'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4',
  apiCallRemoteIp: 'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4',
} as const;

/** The criterion field holding the finding type. */
export const SUPPRESSION_TYPE_FIELD = 'type';

/** A criteria field that narrows a rule to one resource or one actor. */
export type NarrowingField = (typeof SUPPRESSION_FIELDS)[keyof typeof SUPPRESSION_FIELDS];

/** One narrowing condition: `field` Equals `value`. */
export interface SuppressionCondition {
  field: NarrowingField;
  value: string;
}

/**
 * What a bot-made suppression rule matches: findings of exactly `findingType` for which every
 * condition holds. `conditions` is never empty; it is kept sorted by field.
 */
export interface SuppressionCriteria {
  findingType: string;
  conditions: SuppressionCondition[];
}

/**
 * How a proposed rule is scoped. `auto`: the resource for instance findings, the actor IP for
 * credential findings (role-session keys rotate; an instance-wide rule would hide a real theft),
 * whichever exists otherwise.
 */
export type SuppressionScope = 'auto' | 'resource' | 'actor' | 'resource-and-actor';

/** The result of {@link buildSuppressionCriteria}. */
export type SuppressionProposal =
  | {
      ok: true;
      criteria: SuppressionCriteria;
      /** The rule name, derived from the criteria (the same criteria always give the same name). */
      name: string;
      /** One plain-text sentence saying what the rule would do (untrusted parts not escaped). */
      description: string;
    }
  | { ok: false; reason: string };

const NARROWING_ORDER: readonly NarrowingField[] = [
  SUPPRESSION_FIELDS.instanceId,
  SUPPRESSION_FIELDS.accessKeyId,
  SUPPRESSION_FIELDS.networkRemoteIp,
  SUPPRESSION_FIELDS.apiCallRemoteIp,
];

const NARROWING_LABELS: Readonly<Record<NarrowingField, (value: string) => string>> = {
  [SUPPRESSION_FIELDS.instanceId]: (value) => `on instance ${value}`,
  [SUPPRESSION_FIELDS.accessKeyId]: (value) => `for access key ${value}`,
  [SUPPRESSION_FIELDS.networkRemoteIp]: (value) => `with network connections to or from ${value}`,
  [SUPPRESSION_FIELDS.apiCallRemoteIp]: (value) => `with API calls from ${value}`,
};

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{12,124}$/;
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
/** `Purpose:Resource/Family.Mechanism!Artifact`, printable ASCII without spaces. */
const FINDING_TYPE = /^[A-Za-z0-9]+:[A-Za-z0-9]+\/[\x21-\x7e]{1,200}$/;

const VALUE_PATTERNS: Readonly<Record<NarrowingField, RegExp>> = {
  [SUPPRESSION_FIELDS.instanceId]: INSTANCE_ID,
  [SUPPRESSION_FIELDS.accessKeyId]: ACCESS_KEY_ID,
  [SUPPRESSION_FIELDS.networkRemoteIp]: IPV4,
  [SUPPRESSION_FIELDS.apiCallRemoteIp]: IPV4,
};

const isNarrowingField = (field: string): field is NarrowingField =>
  (NARROWING_ORDER as readonly string[]).includes(field);

/** Sorts conditions by field (then value), so equal criteria compare and hash equal. */
const sortConditions = (conditions: SuppressionCondition[]): SuppressionCondition[] =>
  [...conditions].sort(
    (a, b) =>
      NARROWING_ORDER.indexOf(a.field) - NARROWING_ORDER.indexOf(b.field) ||
      (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
  );

/**
 * Checks that criteria are safe to turn into a suppression rule: a well-formed finding type, at
 * least one narrowing condition, only known fields, each with a well-formed value, no field twice.
 * Returns the problem, or `undefined` when the criteria are acceptable.
 */
export const suppressionCriteriaProblem = (criteria: SuppressionCriteria): string | undefined => {
  if (!FINDING_TYPE.test(criteria.findingType)) {
    return 'the finding type is not a GuardDuty finding type';
  }
  if (criteria.conditions.length === 0) {
    return 'a rule on the finding type alone would hide that type for every resource';
  }
  const seen = new Set<string>();
  for (const condition of criteria.conditions) {
    if (!isNarrowingField(condition.field)) return `unsupported field ${condition.field}`;
    if (seen.has(condition.field)) return `field ${condition.field} appears twice`;
    seen.add(condition.field);
    if (!VALUE_PATTERNS[condition.field].test(condition.value)) {
      return `${condition.field} has a malformed value`;
    }
  }
  return undefined;
};

/** The resource conditions a finding offers. */
const resourceConditions = (finding: Finding): SuppressionCondition[] => {
  const { resource } = finding;
  if (resource.kind === 'Instance') {
    return INSTANCE_ID.test(resource.instanceId)
      ? [{ field: SUPPRESSION_FIELDS.instanceId, value: resource.instanceId }]
      : [];
  }
  if (resource.kind === 'AccessKey') {
    const key = resource.accessKeyId;
    // Role-session (ASIA) keys rotate within hours: a rule on one would never match again, so the
    // session's instance stands for the resource.
    if (key?.startsWith('AKIA') && ACCESS_KEY_ID.test(key)) {
      return [{ field: SUPPRESSION_FIELDS.accessKeyId, value: key }];
    }
    const instanceId = resource.sourceInstanceId;
    if (instanceId !== undefined && INSTANCE_ID.test(instanceId)) {
      return [{ field: SUPPRESSION_FIELDS.instanceId, value: instanceId }];
    }
  }
  return [];
};

/** The actor condition a finding offers (remote IPv4 of a network connection or an API call). */
const actorConditions = (finding: Finding): SuppressionCondition[] => {
  const ip = finding.actor?.ip;
  if (ip === undefined || !IPV4.test(ip)) return [];
  switch (finding.actor?.actionType) {
    case 'NETWORK_CONNECTION':
      return [{ field: SUPPRESSION_FIELDS.networkRemoteIp, value: ip }];
    case 'AWS_API_CALL':
      return [{ field: SUPPRESSION_FIELDS.apiCallRemoteIp, value: ip }];
    default:
      return [];
  }
};

const pickConditions = (finding: Finding, scope: SuppressionScope): SuppressionCondition[] => {
  const resource = resourceConditions(finding);
  const actor = actorConditions(finding);
  switch (scope) {
    case 'resource':
      return resource;
    case 'actor':
      return actor;
    case 'resource-and-actor':
      return resource.length > 0 && actor.length > 0 ? [...resource, ...actor] : [];
    case 'auto':
      if (finding.resource.kind === 'AccessKey') return actor.length > 0 ? actor : resource;
      return resource.length > 0 ? resource : actor;
  }
};

const SCOPE_PROBLEMS: Readonly<Record<SuppressionScope, string>> = {
  auto: 'the finding names no instance, long-term access key or actor IP to narrow the rule',
  resource: 'the finding names no instance or long-term access key to narrow the rule',
  actor: 'the finding names no actor IPv4 address (network connection or API call)',
  'resource-and-actor': 'the finding does not name both a resource and an actor IP',
};

/**
 * Proposes the suppression rule for "also suppress similar findings": the finding's exact type AND
 * its resource and/or actor (see {@link SuppressionScope}). Refuses Security Hub findings (rules are
 * GuardDuty filters and ASFF types are not GuardDuty types), sample findings, and any finding that
 * offers nothing to narrow the rule with.
 */
export const buildSuppressionCriteria = (
  finding: Finding,
  scope: SuppressionScope = 'auto'
): SuppressionProposal => {
  if (finding.source !== 'guardduty') {
    return {
      ok: false,
      reason: 'suppression rules are GuardDuty filters; this finding came from Security Hub',
    };
  }
  if (finding.sample) {
    return { ok: false, reason: 'sample findings are not suppressed: nothing real would match' };
  }
  if (!FINDING_TYPE.test(finding.type)) {
    return { ok: false, reason: 'the finding type is not a GuardDuty finding type' };
  }
  const conditions = pickConditions(finding, scope);
  if (conditions.length === 0) return { ok: false, reason: SCOPE_PROBLEMS[scope] };
  const criteria: SuppressionCriteria = {
    findingType: finding.type,
    conditions: sortConditions(conditions),
  };
  const problem = suppressionCriteriaProblem(criteria);
  if (problem !== undefined) return { ok: false, reason: problem };
  return {
    ok: true,
    criteria,
    name: suppressionRuleName(criteria),
    description: describeSuppressionCriteria(criteria),
  };
};

/** True when two criteria match the same findings (same type, same conditions in any order). */
export const sameSuppressionCriteria = (a: SuppressionCriteria, b: SuppressionCriteria): boolean =>
  canonicalCriteria(a) === canonicalCriteria(b);

/**
 * True when `criteria` is one the builder proposes for `finding` under some scope. Use it to
 * check criteria that travelled through Slack (a button value) before creating the rule.
 */
export const isSuppressionCriteriaFor = (
  finding: Finding,
  criteria: SuppressionCriteria
): boolean =>
  (['auto', 'resource', 'actor', 'resource-and-actor'] as const).some((scope) => {
    const proposal = buildSuppressionCriteria(finding, scope);
    return proposal.ok && sameSuppressionCriteria(proposal.criteria, criteria);
  });

const canonicalCriteria = (criteria: SuppressionCriteria): string =>
  [
    `${SUPPRESSION_TYPE_FIELD}=${criteria.findingType}`,
    ...sortConditions(criteria.conditions).map(({ field, value }) => `${field}=${value}`),
  ].join('\n');

/** FNV-1a, 64 bits: a short, stable, dependency-free fingerprint (not a security boundary). */
const fnv1a64 = (text: string): string => {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
};

/** `guardduty-bot-<12 hex>`: derived from the criteria, so a retried creation names the same rule. */
export const suppressionRuleName = (criteria: SuppressionCriteria): string =>
  `${SUPPRESSION_RULE_PREFIX}${fnv1a64(canonicalCriteria(criteria)).slice(0, 12)}`;

/**
 * One plain-text sentence describing a rule, e.g. "Automatically archive new
 * UnauthorizedAccess:EC2/SSHBruteForce findings on instance i-0abc…". Not escaped.
 */
export const describeSuppressionCriteria = (criteria: SuppressionCriteria): string => {
  const narrowing = sortConditions(criteria.conditions)
    .map(({ field, value }) => NARROWING_LABELS[field](value))
    .join(' and ');
  return `Automatically archive new ${criteria.findingType} findings ${narrowing}.`;
};

/**
 * The criteria as a field → Equals-values map (`type` included), the shape GuardDuty's
 * `FindingCriteria.Criterion` takes with `Equals`.
 */
export const suppressionCriteriaToEquals = (
  criteria: SuppressionCriteria
): Record<string, string[]> => ({
  [SUPPRESSION_TYPE_FIELD]: [criteria.findingType],
  ...Object.fromEntries(
    sortConditions(criteria.conditions).map(({ field, value }) => [field, [value]])
  ),
});

/**
 * Reads criteria back from a field → Equals-values map. Returns `undefined` unless the map is
 * exactly what {@link suppressionCriteriaToEquals} produces for acceptable criteria (one type, only
 * known fields, one value each), e.g. when a rule was edited in the console.
 */
export const suppressionCriteriaFromEquals = (
  equals: Readonly<Record<string, readonly string[]>>
): SuppressionCriteria | undefined => {
  const { [SUPPRESSION_TYPE_FIELD]: types, ...rest } = equals;
  if (types?.length !== 1 || types[0] === undefined) return undefined;
  const conditions: SuppressionCondition[] = [];
  for (const [field, values] of Object.entries(rest)) {
    const [value] = values;
    if (!isNarrowingField(field) || values.length !== 1 || value === undefined) return undefined;
    conditions.push({ field, value });
  }
  const criteria = { findingType: types[0], conditions: sortConditions(conditions) };
  return suppressionCriteriaProblem(criteria) === undefined ? criteria : undefined;
};

/**
 * The GuardDuty description of a bot-made rule: `Created from Slack by <user> for finding <id>:
 * <reason>[ (<note>)]`, cut to GuardDuty's 512 characters. Line breaks become spaces.
 */
export const suppressionRuleDescription = (input: {
  userName: string;
  findingId: string;
  reason: string;
  note?: string;
}): string => {
  const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
  const note = input.note === undefined ? '' : oneLine(input.note);
  const text = `${SUPPRESSION_DESCRIPTION_MARKER}${oneLine(input.userName)} for finding ${
    input.findingId
  }: ${dismissReasonLabel(input.reason)}${note === '' ? '' : ` (${note})`}`;
  if (text.length <= SUPPRESSION_DESCRIPTION_MAX_LENGTH) return text;
  return `${text.slice(0, SUPPRESSION_DESCRIPTION_MAX_LENGTH - 1)}…`;
};

/** True for a rule the bot created: `guardduty-bot-` name and the description marker. */
export const isBotSuppressionRule = (rule: { name: string; description?: string }): boolean =>
  rule.name.startsWith(SUPPRESSION_RULE_PREFIX) &&
  (rule.description ?? '').startsWith(SUPPRESSION_DESCRIPTION_MARKER);
