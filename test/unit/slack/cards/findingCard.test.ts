import type { ActionsBlock, Button, HeaderBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../src/domain/Finding';
import {
  applicableActions,
  type CardAction,
  friendlyFindingType,
  renderFindingCard,
  type SlackMessage,
} from '../../../../src/slack/cards/findingCard';
import {
  blockById,
  blockKitViolations,
  blockText,
  linkUrls,
  mrkdwnWithoutOwnTokens,
} from './blockKit';
import {
  credentialExfiltrationFinding,
  eksFinding,
  HOSTILE,
  HUGE,
  s3Finding,
  sshBruteForceFinding,
  unknownTypeFinding,
} from './findings';

const ALL_ACTIONS: readonly CardAction[] = ['isolate', 'investigate', 'dismiss'];

const headerText = (message: SlackMessage): string =>
  blockById(message, 'finding_header', 'header')?.text.text ?? '';

const buttons = (message: SlackMessage): Button[] =>
  (blockById(message, 'finding_actions', 'actions')?.elements ?? []).filter(
    (element): element is Button => element.type === 'button'
  );

const button = (message: SlackMessage, actionId: CardAction): Button | undefined =>
  buttons(message).find((b) => b.action_id === actionId);

/** A finding whose every free-text field is hostile. */
const hostileFinding = (): Finding => {
  const finding = sshBruteForceFinding();
  finding.title = `Attack ${HOSTILE}`;
  finding.type = `UnauthorizedAccess:EC2/${HOSTILE}`;
  finding.region = HOSTILE;
  finding.accountId = HOSTILE;
  finding.id = `id-${HOSTILE}`;
  finding.threatListNames = [HOSTILE];
  finding.firstSeen = HOSTILE;
  finding.resource = {
    ...(finding.resource.kind === 'Instance' ? finding.resource : unreachable()),
    instanceId: `i-${HOSTILE}`,
    name: HOSTILE,
    tags: { Name: HOSTILE },
    autoScalingGroup: HOSTILE,
    instanceType: HOSTILE,
  };
  finding.actor = {
    ip: HOSTILE,
    country: HOSTILE,
    city: HOSTILE,
    organization: HOSTILE,
    domain: HOSTILE,
    apiService: HOSTILE,
    api: HOSTILE,
    errorCode: HOSTILE,
    userAgent: HOSTILE,
    direction: HOSTILE,
  };
  finding.malware = { threatNames: [HOSTILE], filePaths: [HOSTILE] };
  return finding;
};

const unreachable = (): never => {
  throw new Error('unexpected resource kind');
};

describe('Function: renderFindingCard', () => {
  it('shows the destination of an outbound connection, not our ephemeral source port', () => {
    // Prepare
    const finding = sshBruteForceFinding();
    finding.actor = {
      actionType: 'NETWORK_CONNECTION',
      ip: '203.0.113.200',
      port: 443,
      localPort: 48212,
      direction: 'OUTBOUND',
    };

    // Act
    const serialized = JSON.stringify(renderFindingCard({ finding, actions: [] }).blocks);

    // Assess
    expect(serialized).toContain('203.0.113.200:443 · outbound');
    expect(serialized).not.toContain('48212');
  });

  it('renders an SSH brute-force card within the Block Kit limits', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(message.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'context',
      'context',
      'actions',
    ]);
  });

  it('names severity band and type in plain words in the header', () => {
    // Prepare
    const findings = [sshBruteForceFinding(), credentialExfiltrationFinding(), eksFinding()];

    // Act
    const headers = findings.map((finding) =>
      headerText(renderFindingCard({ finding, actions: [] }))
    );

    // Assess
    expect(headers).toEqual([
      '🟢 Low · SSH brute force against an instance',
      '🟠 High · Instance credentials used outside AWS',
      '🟡 Medium · Discovery · Kubernetes · Successful anonymous access',
    ]);
  });

  it('shows the facts a responder needs on a phone', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    const facts = blockById(message, 'finding_facts', 'section');
    expect(facts?.fields?.map((f) => f.text)).toEqual([
      '*Severity*\nLow (2.0)',
      '*Account / Region*\n123456789012 · us-west-2',
      '*Resource*\ni-0a1b2c3d4e5f60718 (web-01)\nt3.small · running',
      '*Actor*\n203.0.113.45:51734 · inbound to port 22\nAmsterdam, Netherlands · Example Hosting Ltd',
      '*First seen*\n<!date^1741700465^{date_short_pretty} {time}|2025-03-11T13:41:05Z>',
      '*Last seen*\n<!date^1741701771^{date_short_pretty} {time}|2025-03-11T14:02:51Z>',
      '*Count*\n37',
    ]);
    expect(blockById(message, 'finding_title', 'section')?.text?.text).toBe(finding.title);
  });

  it('shows the role, key, source instance and API call of a credential finding', () => {
    // Prepare
    const finding = credentialExfiltrationFinding();

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    const facts = blockText(blockById(message, 'finding_facts', 'section'));
    expect(facts).toContain(
      '*Resource*\nbatch-ec2-role (AssumedRole)\nKey ASIAEXAMPLE7QZ4XK2NB\nFrom instance i-0c3d4e5f607182930 (batch-03)'
    );
    expect(facts).toContain('dynamodb.amazonaws.com ListTables');
    expect(facts).toContain('UA aws-cli/2.15.30');
    expect(facts).toContain('*Severity*\nHigh (8.0)');
  });

  it('shows buckets, threat lists and malware when the finding has them', () => {
    // Prepare
    const finding = s3Finding();
    finding.resource = {
      kind: 'S3Bucket',
      buckets: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name: `bucket-${name}` })),
    };
    finding.threatListNames = ['ProofPoint', 'CrowdStrike', 'Custom', 'Fourth'];
    finding.malware = { threatNames: ['EICAR-Test-File'], filePaths: ['/tmp/eicar.com'] };

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    const facts = blockText(blockById(message, 'finding_facts', 'section'));
    expect(facts).toContain(
      '*Resource*\nBucket bucket-a\nBucket bucket-b\nBucket bucket-c\n+2 more'
    );
    expect(facts).toContain('*Threat list*\nProofPoint, CrowdStrike, Custom +1 more');
    expect(facts).toContain('*Malware*\nEICAR-Test-File\nin /tmp/eicar.com');
  });

  it('shows the resource type, id and details of other resources', () => {
    // Prepare
    const finding = eksFinding();

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    expect(blockText(blockById(message, 'finding_facts', 'section'))).toContain(
      '*Resource*\nEKSCluster prod-cluster\nNamespace: kube-system\nUser: system:anonymous'
    );
  });

  it('puts the raw type, account and finding id in a context block', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    expect(blockText(blockById(message, 'finding_meta', 'context'))).toBe(
      '`UnauthorizedAccess:EC2/SSHBruteForce`\nAccount 123456789012\nID `8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12`'
    );
  });

  it('marks sample findings', () => {
    // Prepare
    const finding = { ...sshBruteForceFinding(), sample: true };

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    expect(blockText(blockById(message, 'finding_meta', 'context'))).toContain('Sample finding');
  });

  it('links to GuardDuty, Detective and Security Hub', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    const links = blockText(blockById(message, 'finding_links', 'context'));
    expect(links).toContain(
      '<https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/findings?macros=current&amp;fId=8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12|GuardDuty>'
    );
    expect(links).toContain(
      '<https://us-west-2.console.aws.amazon.com/detective/home?region=us-west-2#findings/GuardDuty/8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12|Detective>'
    );
    expect(links).toContain('|Security Hub>');
    expect(links).toContain('|Instance in Security Hub>');
  });

  it('offers Isolate, Investigate and Dismiss on an instance finding, valued with the finding id', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(buttons(message).map((b) => [b.action_id, b.text.text, b.value])).toEqual([
      ['isolate', 'Isolate', finding.id],
      ['investigate', 'Investigate', finding.id],
      ['dismiss', 'Dismiss', finding.id],
    ]);
  });

  it('asks for confirmation before Isolate, in danger style, naming the instance', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const isolate = button(renderFindingCard({ finding, actions: ALL_ACTIONS }), 'isolate');

    // Assess
    expect(isolate?.style).toBe('danger');
    expect(isolate?.confirm?.title?.text).toBe('Isolate i-0a1b2c3d4e5f60718?');
    expect(isolate?.confirm?.text.text).toContain('i-0a1b2c3d4e5f60718 (web-01)');
    expect(isolate?.confirm?.text.text).not.toContain('Auto Scaling');
    expect(isolate?.confirm?.confirm?.text).toBe('Isolate');
    expect(isolate?.confirm?.deny?.text).toBe('Cancel');
  });

  it('mentions the Auto Scaling group in the Isolate confirmation', () => {
    // Prepare
    const finding = sshBruteForceFinding();
    if (finding.resource.kind === 'Instance') finding.resource.autoScalingGroup = 'web-asg';

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(button(message, 'isolate')?.confirm?.text.text).toContain('Auto Scaling group web-asg');
    expect(blockText(blockById(message, 'finding_facts', 'section'))).toContain(
      'Auto Scaling group: web-asg'
    );
  });

  it('offers Isolate for credentials that lead back to an instance, naming that instance', () => {
    // Prepare
    const finding = credentialExfiltrationFinding();
    if (finding.resource.kind === 'AccessKey' && finding.resource.sourceInstance) {
      finding.resource.sourceInstance.autoScalingGroup = 'batch-asg';
    }

    // Act
    const isolate = button(renderFindingCard({ finding, actions: ALL_ACTIONS }), 'isolate');

    // Assess
    expect(isolate?.confirm?.title?.text).toBe('Isolate i-0c3d4e5f607182930?');
    expect(isolate?.confirm?.text.text).toContain('i-0c3d4e5f607182930 (batch-03)');
    expect(isolate?.confirm?.text.text).toContain('Auto Scaling group batch-asg');
  });

  it('never offers Isolate for S3, EKS or unknown findings', () => {
    // Prepare
    const findings = [s3Finding(), eksFinding(), unknownTypeFinding()];

    // Act
    const actionIds = findings.map((finding) =>
      buttons(renderFindingCard({ finding, actions: ALL_ACTIONS })).map((b) => b.action_id)
    );

    // Assess
    expect(actionIds).toEqual([
      ['investigate', 'dismiss'],
      ['investigate', 'dismiss'],
      ['investigate', 'dismiss'],
    ]);
  });

  it('shows no actions block when the deployment implements no actions', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('shows only the buttons the deployment implements', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: ['investigate'] });

    // Assess
    expect(buttons(message).map((b) => b.action_id)).toEqual(['investigate']);
  });

  it('shows an archived finding as archived, without Dismiss', () => {
    // Prepare
    const finding = { ...sshBruteForceFinding(), archived: true };

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(blockText(blockById(message, 'finding_status', 'context'))).toBe(
      'Archived in GuardDuty'
    );
    expect(buttons(message).map((b) => b.action_id)).toEqual(['isolate', 'investigate']);
  });

  it('shows the given status lines once, under the facts', () => {
    // Prepare
    const finding = { ...sshBruteForceFinding(), archived: true };
    const status = ['Archived in GuardDuty', 'Isolated by <@U0APPROVER>'];

    // Act
    const message = renderFindingCard({ finding, actions: [], status });

    // Assess
    const index = message.blocks.findIndex((b) => b.block_id === 'finding_status');
    expect(index).toBeGreaterThan(message.blocks.findIndex((b) => b.block_id === 'finding_facts'));
    expect(blockText(blockById(message, 'finding_status', 'context'))).toBe(
      'Archived in GuardDuty\nIsolated by <@U0APPROVER>'
    );
  });

  it('keeps many status lines within ten context elements', () => {
    // Prepare
    const status = Array.from({ length: 25 }, (_, i) => `Step ${i + 1}`);

    // Act
    const message = renderFindingCard({ finding: sshBruteForceFinding(), actions: [], status });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(blockText(blockById(message, 'finding_status', 'context'))).toContain('Step 25');
  });

  it('sets a one-line notification text', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    expect(message.text).toBe(
      'Low GuardDuty finding: 203.0.113.45 is performing SSH brute force attacks against i-0a1b2c3d4e5f60718. (i-0a1b2c3d4e5f60718 (web-01))'
    );
  });

  it('keeps the notification text to one line of at most 300 characters', () => {
    // Prepare
    const finding = { ...sshBruteForceFinding(), title: `line one\nline two ${'<'.repeat(5000)}` };

    // Act
    const message = renderFindingCard({ finding, actions: [] });

    // Assess
    expect(message.text.length).toBeLessThanOrEqual(300);
    expect(message.text).not.toContain('\n');
    expect(message.text).toMatch(
      /^Low GuardDuty finding: line one line two (&lt;)+… \(i-0a1b2c3d4e5f60718 \(web-01\)\)$/
    );
  });

  it('keeps hostile finding text inert in every mrkdwn text', () => {
    // Prepare
    const finding = hostileFinding();

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    const rest = mrkdwnWithoutOwnTokens(message);
    expect(rest).not.toMatch(/[<>]/);
    expect(rest).toContain('&lt;!channel&gt;');
    expect(rest).toContain('&lt;@U123&gt;');
    expect(rest).toContain('&lt;https://evil.example|click&gt;');
    expect(rest).toContain('&amp;lt;');
    for (const url of linkUrls(message)) {
      expect(new URL(url.replace(/&amp;/g, '&')).hostname).toBe('console.aws.amazon.com');
    }
  });

  it('truncates 10,000-character strings with an ellipsis', () => {
    // Prepare
    const finding = sshBruteForceFinding();
    finding.title = HUGE;
    finding.type = `UnauthorizedAccess:EC2/${HUGE}`;
    finding.id = HUGE.slice(0, 1000);
    finding.threatListNames = [HUGE, HUGE, HUGE, HUGE];
    finding.resource = {
      ...(finding.resource.kind === 'Instance' ? finding.resource : unreachable()),
      instanceId: HUGE,
      name: HUGE,
      autoScalingGroup: HUGE,
    };
    finding.actor = { ...finding.actor, userAgent: HUGE, organization: HUGE, domain: HUGE };
    finding.malware = { threatNames: [HUGE, HUGE, HUGE, HUGE], filePaths: [HUGE] };

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS, status: [HUGE] });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(headerText(message).endsWith('…')).toBe(true);
    expect(blockById(message, 'finding_title', 'section')?.text?.text.endsWith('…')).toBe(true);
    expect(blockText(blockById(message, 'finding_facts', 'section'))).toContain('UA xxx');
    const confirmText = button(message, 'isolate')?.confirm?.text.text ?? '';
    expect(confirmText).toContain('Auto Scaling group xxx');
    expect(confirmText.endsWith('Its security groups are kept for Release.')).toBe(true);
    expect(message.text.length).toBeLessThanOrEqual(300);
  });

  it('renders a finding of an unknown type and resource', () => {
    // Prepare
    const finding = unknownTypeFinding();

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(headerText(message)).toBe('🔴 Critical · Impact · Quantum · Entangled packet storm');
    expect(blockText(blockById(message, 'finding_facts', 'section'))).toContain(
      '*Resource*\nQuantumWidget'
    );
  });

  it('renders a finding whose type and title are empty', () => {
    // Prepare
    const finding = { ...unknownTypeFinding(), type: '', title: '', description: '' };

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(headerText(message)).toBe('🔴 Critical · Unknown finding type');
    expect(blockById(message, 'finding_title', 'section')?.text?.text).toBe('Untitled finding');
    expect(message.text).toBe('Critical GuardDuty finding: Untitled finding (QuantumWidget)');
  });

  it('renders a Security Hub finding from another product without GuardDuty links', () => {
    // Prepare
    const finding: Finding = {
      ...s3Finding(),
      source: 'securityhub',
      id: 'arn:aws:inspector2:us-west-2:123456789012:finding/abc',
      type: 'Software and Configuration Checks/Vulnerabilities/CVE',
      productName: 'Inspector',
      severity: 7.5,
    };

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(message.text.startsWith('High Inspector finding: ')).toBe(true);
    expect(blockText(blockById(message, 'finding_meta', 'context'))).toContain(
      'Via Security Hub · Inspector'
    );
    const links = blockText(blockById(message, 'finding_links', 'context'));
    expect(links).not.toContain('GuardDuty>');
    expect(links).toContain('|Security Hub>');
  });

  it('gives no buttons to a finding id too long for a button value', () => {
    // Prepare
    const finding = { ...sshBruteForceFinding(), id: 'x'.repeat(2001) };

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    expect(blockKitViolations(message)).toEqual([]);
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('uses block ids that are unique within the message', () => {
    // Prepare
    const finding = { ...sshBruteForceFinding(), archived: true };

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS, status: ['x'] });

    // Assess
    const ids = message.blocks.map((b) => b.block_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every(Boolean)).toBe(true);
  });

  it('keeps the header and button labels as plain text', () => {
    // Prepare
    const finding = hostileFinding();

    // Act
    const message = renderFindingCard({ finding, actions: ALL_ACTIONS });

    // Assess
    const header = message.blocks[0] as HeaderBlock;
    const actions = message.blocks.find((b): b is ActionsBlock => b.type === 'actions');
    expect(header.text.type).toBe('plain_text');
    expect(
      actions?.elements.every((e) => e.type === 'button' && e.text.type === 'plain_text')
    ).toBe(true);
  });
});

describe('Function: applicableActions', () => {
  it('applies Isolate to instances and to credentials with a source instance only', () => {
    // Prepare
    const withoutInstance = credentialExfiltrationFinding();
    if (withoutInstance.resource.kind === 'AccessKey') {
      withoutInstance.resource.sourceInstanceId = undefined;
    }
    const findings = [
      sshBruteForceFinding(),
      credentialExfiltrationFinding(),
      withoutInstance,
      s3Finding(),
      eksFinding(),
    ];

    // Act
    const isolatable = findings.map((f) => applicableActions(f, ['isolate']).includes('isolate'));

    // Assess
    expect(isolatable).toEqual([true, true, false, false, false]);
  });

  it('applies Investigate to every finding and Dismiss to unarchived ones', () => {
    // Prepare
    const archived = { ...s3Finding(), archived: true };

    // Act
    const actions = [
      applicableActions(s3Finding(), ALL_ACTIONS),
      applicableActions(archived, ALL_ACTIONS),
    ];

    // Assess
    expect(actions).toEqual([['investigate', 'dismiss'], ['investigate']]);
  });

  it('returns the actions in card order whatever the order implemented', () => {
    // Prepare
    const implemented: CardAction[] = ['dismiss', 'investigate', 'isolate', 'dismiss'];

    // Act
    const actions = applicableActions(sshBruteForceFinding(), implemented);

    // Assess
    expect(actions).toEqual(['isolate', 'investigate', 'dismiss']);
  });
});

describe('Function: friendlyFindingType', () => {
  it('names common GuardDuty types in plain words', () => {
    // Prepare
    const types = [
      'UnauthorizedAccess:EC2/RDPBruteForce',
      'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
      'UnauthorizedAccess:EC2/MaliciousIPCaller',
      'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
      'Recon:IAMUser/MaliciousIPCaller.Custom',
      'Recon:EC2/PortProbeUnprotectedPort',
      'Execution:EC2/MaliciousFile',
      'Execution:EC2/MaliciousFile!Snapshot',
      'CryptoCurrency:EC2/BitcoinTool.B!DNS',
      'Backdoor:EC2/C&CActivity.B!DNS',
      'Trojan:EC2/BlackholeTraffic',
      'Stealth:S3/ServerAccessLoggingDisabled',
      'Policy:S3/AccountBlockPublicAccessDisabled',
      'Discovery:S3/MaliciousIPCaller.Custom',
    ];

    // Act
    const names = types.map((type) => friendlyFindingType(type));

    // Assess
    expect(names).toEqual([
      'RDP brute force against an instance',
      'Instance in contact with an IP on your threat list',
      'Instance in contact with a known malicious IP',
      'Instance credentials used from another AWS account',
      'API calls from an IP on your threat list',
      'Reconnaissance API calls from an IP on your threat list',
      'Port probe on an unprotected port',
      'Malicious file on an instance',
      'Malicious file on an instance',
      'Cryptocurrency mining activity',
      'Command-and-control traffic',
      'Trojan activity',
      'S3 server access logging disabled',
      'S3 Block Public Access disabled for the account',
      'S3 discovery calls from an IP on your threat list',
    ]);
  });

  it('says when our instance was the one brute-forcing', () => {
    // Prepare
    const type = 'UnauthorizedAccess:EC2/SSHBruteForce';

    // Act
    const name = friendlyFindingType(type, 'ACTOR');

    // Assess
    expect(name).toBe('SSH brute force from an instance');
  });

  it('turns types missing from the table into readable words', () => {
    // Prepare
    const types = [
      'PrivilegeEscalation:Runtime/DockerSocketAccessed',
      'UnauthorizedAccess:EC2/SSHBruteForceV2',
      'Persistence:IAMUser/AnomalousBehavior',
    ];

    // Act
    const names = types.map((type) => friendlyFindingType(type));

    // Assess
    expect(names).toEqual([
      'Privilege escalation · Runtime · Docker socket accessed',
      'Unauthorized access · EC2 · SSH brute force V2',
      'Persistence · IAM · Anomalous behavior',
    ]);
  });

  it('returns types outside the GuardDuty format unchanged', () => {
    // Prepare
    const type = 'Software and Configuration Checks/Vulnerabilities/CVE';

    // Act
    const name = friendlyFindingType(type);

    // Assess
    expect(name).toBe(type);
  });
});
