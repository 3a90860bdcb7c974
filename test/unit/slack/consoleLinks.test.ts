import { describe, expect, it } from 'vitest';
import {
  consoleBaseUrl,
  detectiveEntityUrl,
  detectiveFindingUrl,
  findingConsoleLinks,
  guardDutyFindingId,
  guardDutyFindingUrl,
  instanceArn,
  securityHubFindingUrl,
  securityHubResourceUrl,
} from '../../../src/slack/consoleLinks';
import {
  credentialExfiltrationFinding,
  eksFinding,
  s3Finding,
  sshBruteForceFinding,
} from './cards/findings';

const usWest2 = { region: 'us-west-2', partition: 'aws' };

/** The `search` parameter of a Security Hub URL, decoded as the console decodes it (twice). */
const securityHubFilter = (url: string): string => {
  const search = url.split('#/findings?search=')[1] ?? '';
  return decodeURIComponent(decodeURIComponent(search));
};

describe('Function: consoleBaseUrl', () => {
  it('uses the regional console of the commercial partition', () => {
    // Prepare
    const scope = usWest2;

    // Act
    const base = consoleBaseUrl(scope);

    // Assess
    expect(base).toBe('https://us-west-2.console.aws.amazon.com');
  });

  it('uses the GovCloud and China consoles for their partitions', () => {
    // Prepare
    const gov = { region: 'us-gov-west-1', partition: 'aws-us-gov' };
    const china = { region: 'cn-north-1', partition: 'aws-cn' };

    // Act
    const bases = [consoleBaseUrl(gov), consoleBaseUrl(china)];

    // Assess
    expect(bases).toEqual(['https://console.amazonaws-us-gov.com', 'https://console.amazonaws.cn']);
  });

  it('falls back to the global console host for a region that is not a region name', () => {
    // Prepare
    const scope = { region: 'evil.example/x', partition: 'aws' };

    // Act
    const base = consoleBaseUrl(scope);

    // Assess
    expect(base).toBe('https://console.aws.amazon.com');
  });
});

describe('Function: guardDutyFindingUrl', () => {
  it('opens the GuardDuty console on the finding', () => {
    // Prepare
    const id = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';

    // Act
    const url = guardDutyFindingUrl(usWest2, id);

    // Assess
    expect(url).toBe(
      'https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/findings?macros=current&fId=8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12'
    );
  });

  it('URL-encodes the finding id and the region', () => {
    // Prepare
    const scope = { region: 'us west&2', partition: 'aws' };

    // Act
    const url = guardDutyFindingUrl(scope, 'a&b=c#d|<e>');

    // Assess
    expect(url).toBe(
      'https://console.aws.amazon.com/guardduty/home?region=us%20west%262#/findings?macros=current&fId=a%26b%3Dc%23d%7C%3Ce%3E'
    );
  });
});

describe('Function: detectiveFindingUrl', () => {
  it('opens the finding profile in Detective', () => {
    // Prepare
    const id = '8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12';

    // Act
    const url = detectiveFindingUrl(usWest2, id);

    // Assess
    expect(url).toBe(
      'https://us-west-2.console.aws.amazon.com/detective/home?region=us-west-2#findings/GuardDuty/8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12'
    );
  });
});

describe('Function: detectiveEntityUrl', () => {
  it('opens instance and IP address profiles in Detective', () => {
    // Prepare
    const scope = usWest2;

    // Act
    const urls = [
      detectiveEntityUrl(scope, 'Ec2Instance', 'i-0a1b2c3d4e5f60718'),
      detectiveEntityUrl(scope, 'IpAddress', '203.0.113.45'),
    ];

    // Assess
    expect(urls).toEqual([
      'https://us-west-2.console.aws.amazon.com/detective/home?region=us-west-2#entities/Ec2Instance/i-0a1b2c3d4e5f60718',
      'https://us-west-2.console.aws.amazon.com/detective/home?region=us-west-2#entities/IpAddress/203.0.113.45',
    ]);
  });

  it('URL-encodes the entity id', () => {
    // Prepare
    const ipv6 = '2001:db8::1/64';

    // Act
    const url = detectiveEntityUrl(usWest2, 'IpAddress', ipv6);

    // Assess
    expect(url.endsWith('#entities/IpAddress/2001%3Adb8%3A%3A1%2F64')).toBe(true);
  });
});

describe('Function: securityHubFindingUrl', () => {
  it('filters Security Hub findings on the finding id', () => {
    // Prepare
    const arn = sshBruteForceFinding().arn ?? '';

    // Act
    const url = securityHubFindingUrl(usWest2, arn);

    // Assess
    expect(
      url.startsWith(
        'https://us-west-2.console.aws.amazon.com/securityhub/home?region=us-west-2#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253Aarn%253Aaws%253Aguardduty'
      )
    ).toBe(true);
    expect(securityHubFilter(url)).toBe(`Id=\\operator\\:EQUALS\\:${arn}`);
  });
});

describe('Function: securityHubResourceUrl', () => {
  it('filters Security Hub findings on the resource id', () => {
    // Prepare
    const arn = instanceArn(sshBruteForceFinding(), 'i-0a1b2c3d4e5f60718');

    // Act
    const url = securityHubResourceUrl(usWest2, arn);

    // Assess
    expect(arn).toBe('arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718');
    expect(securityHubFilter(url)).toBe(`ResourceId=\\operator\\:EQUALS\\:${arn}`);
    expect(url).not.toMatch(/[\s<>|]/);
  });
});

describe('Function: guardDutyFindingId', () => {
  it('returns the id of GuardDuty findings and of GuardDuty findings seen through Security Hub', () => {
    // Prepare
    const direct = sshBruteForceFinding();
    const viaSecurityHub = { ...direct, source: 'securityhub' as const, id: direct.arn ?? '' };

    // Act
    const ids = [guardDutyFindingId(direct), guardDutyFindingId(viaSecurityHub)];

    // Assess
    expect(ids).toEqual([direct.id, direct.id]);
  });

  it('returns nothing for other Security Hub findings', () => {
    // Prepare
    const inspector = {
      ...sshBruteForceFinding(),
      source: 'securityhub' as const,
      id: 'arn:aws:inspector2:us-west-2:123456789012:finding/abc',
    };

    // Act
    const id = guardDutyFindingId(inspector);

    // Assess
    expect(id).toBeUndefined();
  });
});

describe('Function: findingConsoleLinks', () => {
  it('links an instance finding to GuardDuty, Detective and Security Hub', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const links = findingConsoleLinks(finding);

    // Assess
    expect(links.guardDuty).toBe(guardDutyFindingUrl(usWest2, finding.id));
    expect(links.detective).toBe(detectiveFindingUrl(usWest2, finding.id));
    expect(links.securityHub).toBe(securityHubFindingUrl(usWest2, finding.arn ?? ''));
    expect(links.securityHubInstance).toBe(
      securityHubResourceUrl(
        usWest2,
        'arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718'
      )
    );
    expect(links.detectiveInstance).toBe(
      detectiveEntityUrl(usWest2, 'Ec2Instance', 'i-0a1b2c3d4e5f60718')
    );
    expect(links.detectiveIp).toBe(detectiveEntityUrl(usWest2, 'IpAddress', '203.0.113.45'));
  });

  it('links credentials to the instance they were issued to', () => {
    // Prepare
    const finding = credentialExfiltrationFinding();

    // Act
    const links = findingConsoleLinks(finding);

    // Assess
    expect(links.detectiveInstance).toBe(
      detectiveEntityUrl(usWest2, 'Ec2Instance', 'i-0c3d4e5f607182930')
    );
  });

  it('builds the Security Hub id from the detector when the finding has no ARN', () => {
    // Prepare
    const finding = { ...eksFinding(), arn: undefined };

    // Act
    const links = findingConsoleLinks(finding);

    // Assess
    expect(securityHubFilter(links.securityHub ?? '')).toBe(
      `Id=\\operator\\:EQUALS\\:arn:aws:guardduty:eu-central-1:123456789012:detector/6ec5ff4d2b0f1a3c9e8d7b6a5f4e3d2c/finding/${finding.id}`
    );
    expect(links.securityHubInstance).toBeUndefined();
  });

  it('gives no instance links for an S3 finding', () => {
    // Prepare
    const finding = s3Finding();

    // Act
    const links = findingConsoleLinks(finding);

    // Assess
    expect(links.guardDuty).toBeDefined();
    expect(links.securityHubInstance).toBeUndefined();
    expect(links.detectiveInstance).toBeUndefined();
  });

  it('gives a non-GuardDuty Security Hub finding only its Security Hub link', () => {
    // Prepare
    const finding = {
      ...s3Finding(),
      source: 'securityhub' as const,
      id: 'arn:aws:inspector2:us-west-2:123456789012:finding/abc',
      productName: 'Inspector',
      actor: undefined,
    };

    // Act
    const links = findingConsoleLinks(finding);

    // Assess
    expect(Object.keys(links)).toEqual(['securityHub']);
    expect(securityHubFilter(links.securityHub ?? '')).toBe(
      'Id=\\operator\\:EQUALS\\:arn:aws:inspector2:us-west-2:123456789012:finding/abc'
    );
  });
});
