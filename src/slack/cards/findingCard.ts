import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
import {
  type Finding,
  type InstanceResource,
  resourceLabel,
  type SeverityBand,
  severityBand,
} from '../../domain/Finding';
import { findingConsoleLinks } from '../consoleLinks';
import { dateToken, escapeAndTruncate, link, truncate } from '../mrkdwn';

/**
 * The living card of one finding: what happened, to which resource, from where, how bad, since
 * when and how often, readable on a phone, with the Isolate / Investigate / Dismiss buttons that
 * apply. Pure: same view in, same message out.
 */

/** A button of the card; also its `action_id`. */
export type CardAction = 'isolate' | 'investigate' | 'dismiss';

/** What the card shows. */
export interface FindingCardView {
  finding: Finding;
  /** Buttons the deployment has implemented; each is still shown only where it applies. */
  actions: readonly CardAction[];
  /**
   * Status lines shown in a context block under the facts (e.g. "Archived in GuardDuty").
   * They are mrkdwn written by our own code (so they may hold `<@U…>` mentions and date tokens):
   * escape any finding- or user-sourced part with `escapeMrkdwn` before passing it.
   */
  status?: string[];
  /** Buttons of the finding's current action states (Approve, Release, Reopen…), shown first. */
  extraButtons?: Button[];
}

/** A message ready for `chat.postMessage` / `chat.update`: notification text and blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** The blocks that describe a finding, shared by the card and the `/guardduty finding` answer. */
export interface FindingCardSections {
  header: HeaderBlock;
  title: SectionBlock;
  facts: SectionBlock;
  meta: ContextBlock;
  status?: ContextBlock;
  links?: ContextBlock;
}

const ACTION_ORDER: readonly CardAction[] = ['isolate', 'investigate', 'dismiss'];

/** Block ids of the card; stable, unique within a message. */
export const FINDING_BLOCK_IDS = {
  header: 'finding_header',
  title: 'finding_title',
  facts: 'finding_facts',
  meta: 'finding_meta',
  status: 'finding_status',
  links: 'finding_links',
  actions: 'finding_actions',
} as const;

const LIMITS = {
  header: 150,
  title: 1000,
  topLevelText: 300,
  contextElements: 10,
  contextText: 500,
  contextElementText: 3000,
  confirmTitle: 100,
  confirmText: 300,
  buttonValue: 2000,
  /** Per item inside a field: fields stay short on mobile and far under Slack's 2000. */
  item: 100,
  userAgent: 160,
} as const;

const SEVERITY_EMOJI: Record<SeverityBand, string> = {
  Low: '🟢',
  Medium: '🟡',
  High: '🟠',
  Critical: '🔴',
};

/** The emoji shown with a severity band (always next to the band's name, never alone). */
export const severityEmoji = (band: SeverityBand): string => SEVERITY_EMOJI[band];

/** Friendly names; the role variant is used when our resource was the actor, not the target. */
interface FriendlyName {
  target: string;
  actor?: string;
}

/**
 * Plain-words names of common GuardDuty types. Keys are tried from the most specific:
 * `Purpose:Resource/Family.Mechanism`, `Purpose:Resource/Family`, `Purpose:* /Family`, `Purpose:*`.
 */
const FRIENDLY_TYPES: ReadonlyMap<string, FriendlyName> = new Map<string, FriendlyName>([
  [
    'UnauthorizedAccess:EC2/SSHBruteForce',
    { target: 'SSH brute force against an instance', actor: 'SSH brute force from an instance' },
  ],
  [
    'UnauthorizedAccess:EC2/RDPBruteForce',
    { target: 'RDP brute force against an instance', actor: 'RDP brute force from an instance' },
  ],
  [
    'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
    { target: 'Instance in contact with an IP on your threat list' },
  ],
  [
    'UnauthorizedAccess:EC2/MaliciousIPCaller',
    { target: 'Instance in contact with a known malicious IP' },
  ],
  ['UnauthorizedAccess:EC2/TorClient', { target: 'Instance connecting to Tor' }],
  ['UnauthorizedAccess:EC2/TorRelay', { target: 'Instance acting as a Tor relay' }],
  ['UnauthorizedAccess:EC2/TorIPCaller', { target: 'Instance contacted from a Tor exit node' }],
  [
    'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    { target: 'Instance credentials used outside AWS' },
  ],
  [
    'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
    { target: 'Instance credentials used from another AWS account' },
  ],
  [
    'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration',
    { target: 'Instance credentials used elsewhere' },
  ],
  [
    'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
    { target: 'API calls from an IP on your threat list' },
  ],
  [
    'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
    { target: 'API calls from a known malicious IP' },
  ],
  ['UnauthorizedAccess:IAMUser/TorIPCaller', { target: 'API calls from a Tor exit node' }],
  [
    'Recon:IAMUser/MaliciousIPCaller.Custom',
    { target: 'Reconnaissance API calls from an IP on your threat list' },
  ],
  [
    'Recon:IAMUser/MaliciousIPCaller',
    { target: 'Reconnaissance API calls from a known malicious IP' },
  ],
  ['Recon:IAMUser/TorIPCaller', { target: 'Reconnaissance API calls from a Tor exit node' }],
  ['Recon:EC2/PortProbeUnprotectedPort', { target: 'Port probe on an unprotected port' }],
  ['Recon:EC2/PortProbeEMRUnprotectedPort', { target: 'Port probe on an unprotected EMR port' }],
  ['Recon:EC2/Portscan', { target: 'Outbound port scan from an instance' }],
  ['Execution:EC2/MaliciousFile', { target: 'Malicious file on an instance' }],
  ['Execution:*/MaliciousFile', { target: 'Malicious file found' }],
  ['CryptoCurrency:*', { target: 'Cryptocurrency mining activity' }],
  ['Backdoor:*/C&CActivity', { target: 'Command-and-control traffic' }],
  ['Backdoor:*/DenialOfService', { target: 'Denial-of-service traffic from an instance' }],
  ['Backdoor:*/Spambot', { target: 'Spam sent from an instance' }],
  ['Backdoor:*', { target: 'Backdoor activity' }],
  ['Trojan:*/DNSDataExfiltration', { target: 'Data exfiltration over DNS' }],
  ['Trojan:*/DropPoint', { target: 'Traffic to a known malware drop point' }],
  ['Trojan:*', { target: 'Trojan activity' }],
  ['Stealth:S3/ServerAccessLoggingDisabled', { target: 'S3 server access logging disabled' }],
  [
    'Policy:S3/AccountBlockPublicAccessDisabled',
    { target: 'S3 Block Public Access disabled for the account' },
  ],
  [
    'Policy:S3/BucketBlockPublicAccessDisabled',
    { target: 'S3 Block Public Access disabled for a bucket' },
  ],
  ['Policy:S3/BucketAnonymousAccessGranted', { target: 'S3 bucket opened to anonymous access' }],
  ['Policy:S3/BucketPublicAccessGranted', { target: 'S3 bucket made public' }],
  [
    'Policy:S3/BucketSharedWithExternalAccount',
    { target: 'S3 bucket shared with an external account' },
  ],
  [
    'Discovery:S3/MaliciousIPCaller.Custom',
    { target: 'S3 discovery calls from an IP on your threat list' },
  ],
  ['Discovery:S3/MaliciousIPCaller', { target: 'S3 discovery calls from a known malicious IP' }],
  ['Discovery:S3/TorIPCaller', { target: 'S3 discovery calls from a Tor exit node' }],
]);

const PURPOSE_WORDS: Readonly<Record<string, string>> = {
  UnauthorizedAccess: 'Unauthorized access',
  Recon: 'Reconnaissance',
  CryptoCurrency: 'Cryptocurrency',
  PenTest: 'Penetration testing',
  PrivilegeEscalation: 'Privilege escalation',
  CredentialAccess: 'Credential access',
  DefenseEvasion: 'Defense evasion',
  InitialAccess: 'Initial access',
};

const RESOURCE_WORDS: Readonly<Record<string, string>> = { IAMUser: 'IAM' };

/** `Purpose:Resource/Family.Mechanism!Artifact`, GuardDuty's finding type format. */
const TYPE_FORMAT = /^([^:/]+):([^/]+)\/([^.!]+)(?:\.([^!]*))?(?:!.*)?$/;

/** `SSHBruteForce` → `SSH brute force`; acronyms stay upper case. */
const words = (camel: string): string =>
  camel
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(' ')
    .map((word, index) => (index > 0 && /^[A-Z][a-z]+$/.test(word) ? word.toLowerCase() : word))
    .join(' ');

/**
 * A finding type in plain words: `UnauthorizedAccess:EC2/SSHBruteForce` → "SSH brute force against
 * an instance". Types missing from the table read "Unauthorized access · EC2 · SSH brute force";
 * types that are not in GuardDuty's format come back unchanged. The result is untrusted text.
 *
 * @param type - the raw finding type
 * @param resourceRole - `ACTOR` when our resource did it (changes a few names)
 */
export const friendlyFindingType = (type: string, resourceRole?: string): string => {
  const parts = TYPE_FORMAT.exec(type);
  if (!parts) return type.trim() || 'Unknown finding type';
  const [, purpose = '', resource = '', family = '', mechanism] = parts;
  const keys = [
    ...(mechanism ? [`${purpose}:${resource}/${family}.${mechanism}`] : []),
    `${purpose}:${resource}/${family}`,
    `${purpose}:*/${family}`,
    `${purpose}:*`,
  ];
  for (const key of keys) {
    const name = FRIENDLY_TYPES.get(key);
    if (name) return resourceRole === 'ACTOR' && name.actor ? name.actor : name.target;
  }
  return [
    PURPOSE_WORDS[purpose] ?? words(purpose),
    RESOURCE_WORDS[resource] ?? resource,
    words(family),
  ].join(' · ');
};

const applies = (action: CardAction, finding: Finding): boolean => {
  switch (action) {
    case 'isolate':
      return (
        finding.resource.kind === 'Instance' ||
        (finding.resource.kind === 'AccessKey' && Boolean(finding.resource.sourceInstanceId))
      );
    case 'investigate':
      return true;
    case 'dismiss':
      return !finding.archived;
  }
};

/**
 * Which buttons apply to `finding`, in card order, among those the deployment implemented:
 * Isolate for instances (and credentials that lead back to one), Investigate always, Dismiss
 * while the finding is not archived.
 */
export const applicableActions = (
  finding: Finding,
  implemented: readonly CardAction[]
): CardAction[] =>
  ACTION_ORDER.filter((action) => implemented.includes(action) && applies(action, finding));

/** Plain text for a plain_text object: one line, never empty, at most `max` long. */
/**
 * Plain text is not parsed by Slack, but finding-sourced angle brackets are still swapped for
 * look-alikes so that no copy of the text (notifications, exports, other clients) can carry a
 * `<!here>` or a link: defence in depth for the confirm dialog and the header.
 */
const plain = (text: string, max: number): string =>
  truncate(text.replace(/\s+/g, ' ').trim().replace(/</g, '‹').replace(/>/g, '›') || '—', max);

const plainText = (text: string, max: number): PlainTextElement => ({
  type: 'plain_text',
  text: plain(text, max),
  emoji: true,
});

const mrkdwn = (text: string): MrkdwnElement => ({
  type: 'mrkdwn',
  text: text.trim() ? text : '—',
});

/** Untrusted text, escaped and shortened for one item inside a field. */
const item = (text: string, max: number = LIMITS.item): string =>
  escapeAndTruncate(text.replace(/\s+/g, ' ').trim(), max);

const field = (label: string, lines: string[]): MrkdwnElement =>
  mrkdwn(`*${label}*\n${lines.filter(Boolean).join('\n') || '—'}`);

/** The one-line notification text: "Low GuardDuty finding: <title> (<resource label>)". */
export const findingSummaryText = (finding: Finding): string => {
  const band = severityBand(finding.severity);
  const source =
    finding.source === 'guardduty' ? 'GuardDuty' : (finding.productName ?? 'Security Hub');
  const prefix = `${band} ${item(source, 40)} finding: `;
  const suffix = ` (${item(resourceLabel(finding.resource), 80)})`;
  const title = item(
    finding.title || finding.type || 'Untitled finding',
    LIMITS.topLevelText - prefix.length - suffix.length
  );
  return `${prefix}${title}${suffix}`;
};

const severityText = (severity: number): string =>
  Number.isFinite(severity)
    ? `${severityBand(severity)} (${severity.toFixed(1)})`
    : severityBand(severity);

const instanceLines = (instance: InstanceResource): string[] => [
  instance.name
    ? `${item(instance.instanceId)} (${item(instance.name)})`
    : item(instance.instanceId),
  [instance.instanceType, instance.state]
    .filter((part): part is string => Boolean(part))
    .map((part) => item(part, 40))
    .join(' · '),
  instance.autoScalingGroup ? `Auto Scaling group: ${item(instance.autoScalingGroup)}` : '',
];

const resourceLines = (finding: Finding): string[] => {
  const resource = finding.resource;
  switch (resource.kind) {
    case 'Instance':
      return instanceLines(resource);
    case 'AccessKey': {
      const who = resource.userName ?? resource.principalId;
      const instance = resource.sourceInstance;
      return [
        who ? `${item(who)}${resource.userType ? ` (${item(resource.userType, 40)})` : ''}` : '',
        resource.accessKeyId ? `Key ${item(resource.accessKeyId, 40)}` : '',
        resource.sourceInstanceId
          ? `From instance ${item(resource.sourceInstanceId)}${instance?.name ? ` (${item(instance.name)})` : ''}`
          : '',
        instance?.autoScalingGroup ? `Auto Scaling group: ${item(instance.autoScalingGroup)}` : '',
      ];
    }
    case 'S3Bucket': {
      const shown = resource.buckets.slice(0, 3).map((bucket) => `Bucket ${item(bucket.name)}`);
      const more = resource.buckets.length - shown.length;
      return [...shown, more > 0 ? `+${more} more` : ''];
    }
    case 'Other':
      return [
        resource.id
          ? `${item(resource.resourceType, 40)} ${item(resource.id)}`
          : item(resource.resourceType, 40),
        ...resource.details.slice(0, 3).map((d) => `${item(d.label, 40)}: ${item(d.value)}`),
      ];
  }
};

const actorLines = (finding: Finding): string[] => {
  const actor = finding.actor;
  if (!actor) return [];
  const where = [actor.city, actor.country]
    .filter((part): part is string => Boolean(part))
    .map((part) => item(part, 60))
    .join(', ');
  const remote = actor.ip
    ? `${item(actor.ip, 64)}${actor.port !== undefined ? `:${actor.port}` : ''}`
    : '';
  // Inbound: the remote side reached our port. Outbound: the remote ip:port is the destination
  // and our local port is only an ephemeral source port, not worth showing.
  const inbound = actor.direction?.toUpperCase() === 'INBOUND';
  const flow = [
    actor.direction ? item(actor.direction.toLowerCase(), 20) : '',
    inbound && actor.localPort !== undefined ? `to port ${actor.localPort}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const api = [actor.apiService, actor.api]
    .filter((part): part is string => Boolean(part))
    .map((part) => item(part, 80))
    .join(' ');
  return [
    [remote, flow].filter(Boolean).join(' · '),
    actor.domain ? `Domain ${item(actor.domain)}` : '',
    [where, actor.organization ? item(actor.organization, 80) : ''].filter(Boolean).join(' · '),
    api ? `${api}${actor.errorCode ? ` (${item(actor.errorCode, 40)})` : ''}` : '',
    actor.userAgent ? `UA ${item(actor.userAgent, LIMITS.userAgent)}` : '',
  ].filter(Boolean);
};

const malwareLines = (finding: Finding): string[] => {
  const malware = finding.malware;
  if (!malware || (malware.threatNames.length === 0 && malware.filePaths.length === 0)) return [];
  const names = malware.threatNames.slice(0, 3).map((name) => item(name, 80));
  const more = malware.threatNames.length - names.length;
  const path = malware.filePaths[0];
  return [
    `${names.join(', ')}${more > 0 ? ` +${more} more` : ''}`,
    path ? `in ${item(path, 160)}` : '',
  ];
};

const threatListText = (names: readonly string[]): string => {
  const shown = names.slice(0, 3).map((name) => item(name, 80));
  const more = names.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` +${more} more` : ''}`;
};

const factFields = (finding: Finding): MrkdwnElement[] => {
  const actor = actorLines(finding);
  const malware = malwareLines(finding);
  return [
    field('Severity', [severityText(finding.severity)]),
    field('Account / Region', [`${item(finding.accountId, 40)} · ${item(finding.region, 40)}`]),
    field('Resource', resourceLines(finding)),
    ...(actor.length > 0 ? [field('Actor', actor)] : []),
    ...(finding.threatListNames.length > 0
      ? [field('Threat list', [threatListText(finding.threatListNames)])]
      : []),
    ...(malware.length > 0 ? [field('Malware', malware)] : []),
    field('First seen', [dateToken(finding.firstSeen ?? finding.createdAt)]),
    field('Last seen', [dateToken(finding.lastSeen ?? finding.updatedAt)]),
    field('Count', [Number.isFinite(finding.count) ? String(finding.count) : '—']),
  ];
};

const metaElements = (finding: Finding): MrkdwnElement[] => [
  mrkdwn(finding.type.trim() ? `\`${item(finding.type, 200)}\`` : 'Unknown type'),
  mrkdwn(`Account ${item(finding.accountId, 40)}`),
  mrkdwn(`ID \`${item(finding.id, 300)}\``),
  ...(finding.source === 'securityhub'
    ? [
        mrkdwn(
          `Via Security Hub${finding.productName ? ` · ${item(finding.productName, 60)}` : ''}`
        ),
      ]
    : []),
  ...(finding.sample ? [mrkdwn('🧪 *Sample finding*')] : []),
];

/** Status lines, the archived state first; at most 10 context elements. */
const statusElements = (finding: Finding, status: readonly string[]): MrkdwnElement[] => {
  const archived = finding.source === 'guardduty' ? 'Archived in GuardDuty' : 'Archived';
  const lines = [
    ...(finding.archived && !status.includes(archived) ? [archived] : []),
    ...status,
  ].filter((line) => line.trim() !== '');
  const max = LIMITS.contextElements;
  const kept =
    lines.length > max ? [...lines.slice(0, max - 1), lines.slice(max - 1).join(' · ')] : lines;
  return kept.map((line) => mrkdwn(truncate(line, LIMITS.contextText)));
};

/**
 * Console links, joined by ` · ` into context elements of at most 3000 characters; a link that
 * would not fit alone (an absurdly long id) is left out rather than cut.
 */
const linkElements = (finding: Finding): MrkdwnElement[] => {
  const links = findingConsoleLinks(finding);
  const all = [
    links.guardDuty ? link(links.guardDuty, 'GuardDuty') : '',
    links.detective ? link(links.detective, 'Detective') : '',
    links.securityHub ? link(links.securityHub, 'Security Hub') : '',
    links.securityHubInstance ? link(links.securityHubInstance, 'Instance in Security Hub') : '',
  ].filter((text) => text !== '' && text.length <= LIMITS.contextElementText);
  const texts: string[] = [];
  for (const text of all) {
    const last = texts.at(-1);
    if (last !== undefined && last.length + 3 + text.length <= LIMITS.contextElementText) {
      texts[texts.length - 1] = `${last} · ${text}`;
    } else {
      texts.push(text);
    }
  }
  return texts.map(mrkdwn);
};

/**
 * The blocks that describe a finding (no buttons): header, title, facts, type/account/id context,
 * status lines and console links. Every finding-sourced string is escaped (mrkdwn) or truncated
 * (plain_text).
 */
export const findingCardSections = (
  finding: Finding,
  status: readonly string[] = []
): FindingCardSections => {
  const band = severityBand(finding.severity);
  const header = `${severityEmoji(band)} ${band} · ${friendlyFindingType(finding.type, finding.resourceRole)}`;
  const statusLines = statusElements(finding, status);
  const links = linkElements(finding);
  return {
    header: {
      type: 'header',
      block_id: FINDING_BLOCK_IDS.header,
      text: plainText(header, LIMITS.header),
    },
    title: {
      type: 'section',
      block_id: FINDING_BLOCK_IDS.title,
      text: mrkdwn(item(finding.title || finding.type || 'Untitled finding', LIMITS.title)),
    },
    facts: { type: 'section', block_id: FINDING_BLOCK_IDS.facts, fields: factFields(finding) },
    meta: { type: 'context', block_id: FINDING_BLOCK_IDS.meta, elements: metaElements(finding) },
    ...(statusLines.length > 0
      ? {
          status: {
            type: 'context',
            block_id: FINDING_BLOCK_IDS.status,
            elements: statusLines,
          },
        }
      : {}),
    ...(links.length > 0
      ? { links: { type: 'context', block_id: FINDING_BLOCK_IDS.links, elements: links } }
      : {}),
  };
};

/** The instance Isolate would act on, with its Auto Scaling group when the finding names one. */
const isolationTarget = (
  finding: Finding
): { instanceId: string; name?: string; autoScalingGroup?: string; viaCredentials: boolean } => {
  const resource = finding.resource;
  if (resource.kind === 'Instance') {
    return {
      instanceId: resource.instanceId,
      name: resource.name,
      autoScalingGroup: resource.autoScalingGroup,
      viaCredentials: false,
    };
  }
  if (resource.kind === 'AccessKey') {
    return {
      instanceId:
        resource.sourceInstanceId ?? resource.sourceInstance?.instanceId ?? 'the instance',
      name: resource.sourceInstance?.name,
      autoScalingGroup: resource.sourceInstance?.autoScalingGroup,
      viaCredentials: true,
    };
  }
  return { instanceId: 'the instance', viaCredentials: false };
};

/** The Isolate button: danger style, with a confirm dialog naming the instance and its Auto Scaling group. */
export const isolateButton = (finding: Finding): Button => {
  const target = isolationTarget(finding);
  // Sized so that every sentence fits the 300-character confirm text even for absurd inputs.
  const id = plain(target.instanceId, 30);
  const named = target.name ? `${id} (${plain(target.name, 30)})` : id;
  const text = [
    target.viaCredentials
      ? `These credentials belong to ${named}; all its network traffic will be cut.`
      : `All network traffic of ${named} will be cut.`,
    target.autoScalingGroup
      ? `It is in Auto Scaling group ${plain(target.autoScalingGroup, 40)}: it is put in Standby so it is not replaced.`
      : '',
    'Its security groups are kept for Release.',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    type: 'button',
    action_id: 'isolate',
    text: plainText('Isolate', 75),
    style: 'danger',
    value: finding.id,
    confirm: {
      title: plainText(`Isolate ${id}?`, LIMITS.confirmTitle),
      text: plainText(text, LIMITS.confirmText),
      confirm: plainText('Isolate', 30),
      deny: plainText('Cancel', 30),
      style: 'danger',
    },
  };
};

const simpleButton = (action: 'investigate' | 'dismiss', finding: Finding): Button => ({
  type: 'button',
  action_id: action,
  text: plainText(action === 'investigate' ? 'Investigate' : 'Dismiss', 75),
  value: finding.id,
});

const actionsBlock = (
  finding: Finding,
  actions: readonly CardAction[],
  extra: readonly Button[]
): ActionsBlock => ({
  type: 'actions',
  block_id: FINDING_BLOCK_IDS.actions,
  elements: [
    ...extra,
    ...actions.map((action) =>
      action === 'isolate' ? isolateButton(finding) : simpleButton(action, finding)
    ),
  ],
});

/**
 * Renders the card of one finding. Buttons appear only where {@link applicableActions} allows;
 * a finding id longer than a button value can carry (2000) gets no buttons rather than a wrong id.
 */
export const renderFindingCard = (view: FindingCardView): SlackMessage => {
  const { finding } = view;
  const sections = findingCardSections(finding, view.status);
  const fits = finding.id.length <= LIMITS.buttonValue;
  const actions = fits ? applicableActions(finding, view.actions) : [];
  const extra = fits ? (view.extraButtons ?? []) : [];
  const blocks: KnownBlock[] = [
    sections.header,
    sections.title,
    sections.facts,
    sections.meta,
    ...(sections.status ? [sections.status] : []),
    ...(sections.links ? [sections.links] : []),
    ...(actions.length + extra.length > 0 ? [actionsBlock(finding, actions, extra)] : []),
  ];
  return { text: findingSummaryText(finding), blocks };
};
