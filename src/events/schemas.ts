import * as z from 'zod/mini';
import './zodMessages';

/**
 * Edge schemas for the events the bot accepts from EventBridge: the envelope, the GuardDuty
 * finding `detail` (camelCase wire JSON) and the Security Hub "Findings - Imported" ASFF finding
 * (PascalCase).
 *
 * Two kinds of fields:
 * - fields the bot needs (identity, ordering, severity, and every id an action may use) are
 *   checked strictly: a wrong type or format makes the whole event invalid;
 * - display-only fields are read leniently: a wrong type turns into `undefined` (see {@link soft}).
 * Unknown keys are accepted and dropped. `null` counts as absent everywhere.
 */

/** Longest string kept from an event; longer ones are cut to bound memory. */
export const MAX_STRING_LENGTH = 4000;

/** EC2 instance id, also used to recognise instance-profile role sessions. */
export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8,17}$/;

const NETWORK_INTERFACE_ID_PATTERN = /^eni-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID_PATTERN = /^sg-[0-9a-f]{8,17}$/;
const ACCOUNT_ID_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PARTITION_PATTERN = /^aws(-[a-z]+)*$/;
/** GuardDuty detector ids (32 hex characters in practice; the API allows up to 300 alphanumerics). */
export const DETECTOR_ID_PATTERN = /^[A-Za-z0-9]{1,300}$/;
/** `arn:<partition>:securityhub:<region>:<account or empty>:product/<company>/<product>`. */
export const PRODUCT_ARN_PATTERN =
  /^arn:(aws(?:-[a-z]+)*):securityhub:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12})?:product\/([^/]+)\/(.+)$/;

/** Cuts `value` to {@link MAX_STRING_LENGTH} characters without splitting a surrogate pair. */
export const capString = (value: string): string => {
  if (value.length <= MAX_STRING_LENGTH) return value;
  const end = MAX_STRING_LENGTH;
  const last = value.charCodeAt(end - 1);
  const splitsPair = last >= 0xd800 && last <= 0xdbff;
  return value.slice(0, splitsPair ? end - 1 : end);
};

/** Any string, kept verbatim but capped. */
const text = z.pipe(z.string(), z.transform(capString));
/** A string that must not be empty. */
const nonEmptyText = z.pipe(
  z.string().check(z.minLength(1, 'expected a non-empty string')),
  z.transform(capString)
);
/** An identifier: never truncated (two long ids must not collide), so bounded instead. */
const identifier = z
  .string()
  .check(
    z.minLength(1, 'expected a non-empty string'),
    z.maxLength(512, 'expected at most 512 characters')
  );
const isoDateTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });
const accountId = z
  .string()
  .check(z.regex(ACCOUNT_ID_PATTERN, 'expected a 12-digit AWS account id'));
const region = z.string().check(z.regex(REGION_PATTERN, 'expected an AWS Region name'));
const partition = z.string().check(z.regex(PARTITION_PATTERN, 'expected an AWS partition name'));
const port = z.number().check(z.int('expected an integer port'), z.gte(0), z.lte(65535));
const count = z
  .number()
  .check(z.int('expected an integer'), z.gte(0, 'expected a non-negative integer'));
const instanceId = z
  .string()
  .check(z.regex(INSTANCE_ID_PATTERN, 'expected an EC2 instance id (i-…)'));
const networkInterfaceId = z
  .string()
  .check(z.regex(NETWORK_INTERFACE_ID_PATTERN, 'expected a network interface id (eni-…)'));
const securityGroupId = z
  .string()
  .check(z.regex(SECURITY_GROUP_ID_PATTERN, 'expected a security group id (sg-…)'));
const detectorId = z
  .string()
  .check(z.regex(DETECTOR_ID_PATTERN, 'expected a GuardDuty detector id'));
/** GuardDuty documents `asn` as a string; ASFF carries a number. */
const asn = z.union([text, z.number()]);

/** Optional field, strict when present: `null`/absent become `undefined`, a wrong type is an error. */
export const maybe = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.nullish(schema),
    z.transform((value: z.output<T> | null | undefined) => value ?? undefined)
  );

/** Optional display-only field: anything that does not match becomes `undefined`. */
export const soft = <T extends z.ZodMiniType>(schema: T) => z.catch(maybe(schema), undefined);

// ---------------------------------------------------------------------------------------------
// EventBridge envelope
// ---------------------------------------------------------------------------------------------

/** The EventBridge envelope; `detail` is validated separately, once `source` is known. */
export const eventEnvelopeSchema = z.object({
  id: identifier,
  source: nonEmptyText,
  'detail-type': nonEmptyText,
  time: isoDateTime,
  account: soft(text),
  region: soft(text),
  detail: z.optional(z.unknown()),
});

/** A validated EventBridge envelope. */
export type EventEnvelope = z.output<typeof eventEnvelopeSchema>;

// ---------------------------------------------------------------------------------------------
// GuardDuty finding (camelCase wire JSON)
// ---------------------------------------------------------------------------------------------

const remoteIpDetailsSchema = z.object({
  ipAddressV4: maybe(text),
  ipAddressV6: maybe(text),
  organization: soft(
    z.object({ asn: soft(asn), asnOrg: soft(text), org: soft(text), isp: soft(text) })
  ),
  country: soft(z.object({ countryName: soft(text), countryCode: soft(text) })),
  city: soft(z.object({ cityName: soft(text) })),
});

const portDetailsSchema = z.object({ port: maybe(port), portName: soft(text) });

const actionSchema = z.object({
  actionType: soft(text),
  networkConnectionAction: maybe(
    z.object({
      connectionDirection: soft(text),
      protocol: soft(text),
      localPortDetails: maybe(portDetailsSchema),
      remotePortDetails: maybe(portDetailsSchema),
      remoteIpDetails: maybe(remoteIpDetailsSchema),
    })
  ),
  portProbeAction: maybe(
    z.object({
      portProbeDetails: maybe(
        z.array(
          z.object({
            localPortDetails: maybe(portDetailsSchema),
            remoteIpDetails: maybe(remoteIpDetailsSchema),
          })
        )
      ),
    })
  ),
  awsApiCallAction: maybe(
    z.object({
      api: soft(text),
      serviceName: soft(text),
      errorCode: soft(text),
      userAgent: soft(text),
      remoteIpDetails: maybe(remoteIpDetailsSchema),
      domainDetails: soft(z.object({ domain: soft(text) })),
    })
  ),
  dnsRequestAction: maybe(z.object({ domain: soft(text), protocol: soft(text) })),
});

const ebsVolumeScanDetailsSchema = z.object({
  scanId: soft(text),
  triggerFindingId: soft(text),
  scanDetections: soft(
    z.object({
      threatDetectedByName: soft(
        z.object({
          threatNames: soft(
            z.array(
              z.object({
                name: soft(text),
                filePaths: soft(z.array(z.object({ filePath: soft(text), fileName: soft(text) }))),
              })
            )
          ),
        })
      ),
    })
  ),
});

const malwareScanDetailsSchema = z.object({
  threats: soft(
    z.array(
      z.object({
        name: soft(text),
        itemPaths: soft(z.array(z.object({ nestedItemPath: soft(text) }))),
      })
    )
  ),
});

const serviceSchema = z.object({
  detectorId: maybe(detectorId),
  count: maybe(count),
  archived: maybe(z.boolean()),
  eventFirstSeen: maybe(isoDateTime),
  eventLastSeen: maybe(isoDateTime),
  resourceRole: soft(text),
  action: maybe(actionSchema),
  evidence: soft(
    z.object({
      threatIntelligenceDetails: soft(z.array(z.object({ threatListName: soft(text) }))),
    })
  ),
  /** Free-form: unpacked keys, `{value, type}` with `value` a JSON string, or both. */
  additionalInfo: soft(
    z.object({ threatListName: soft(text), sample: soft(z.boolean()), value: soft(text) })
  ),
  ebsVolumeScanDetails: soft(ebsVolumeScanDetailsSchema),
  malwareScanDetails: soft(malwareScanDetailsSchema),
});

const networkInterfaceSchema = z.object({
  networkInterfaceId: networkInterfaceId,
  subnetId: maybe(text),
  vpcId: maybe(text),
  privateIpAddress: maybe(text),
  publicIp: maybe(text),
  securityGroups: maybe(z.array(z.object({ groupId: securityGroupId, groupName: soft(text) }))),
});

const instanceDetailsSchema = z.object({
  instanceId: maybe(instanceId),
  instanceType: soft(text),
  instanceState: soft(text),
  availabilityZone: soft(text),
  imageId: soft(text),
  /** ISO string in the model; one AWS sample carries epoch milliseconds. */
  launchTime: soft(z.union([text, z.number()])),
  iamInstanceProfile: maybe(z.object({ arn: maybe(text), id: soft(text) })),
  networkInterfaces: maybe(z.array(networkInterfaceSchema)),
  tags: maybe(z.array(z.object({ key: text, value: maybe(text) }))),
});

const accessKeyDetailsSchema = z.object({
  accessKeyId: maybe(text),
  principalId: maybe(text),
  userName: maybe(text),
  userType: maybe(text),
});

const s3BucketDetailsSchema = z.object({
  name: maybe(text),
  arn: maybe(text),
  s3ObjectDetails: soft(z.array(z.object({ key: soft(text) }))),
});

const containerSchema = z.object({ name: soft(text), image: soft(text) });

const resourceSchema = z.looseObject({
  resourceType: nonEmptyText,
  instanceDetails: maybe(instanceDetailsSchema),
  accessKeyDetails: maybe(accessKeyDetailsSchema),
  s3BucketDetails: maybe(z.array(s3BucketDetailsSchema)),
  eksClusterDetails: soft(
    z.object({ name: soft(text), arn: soft(text), vpcId: soft(text), status: soft(text) })
  ),
  kubernetesDetails: soft(
    z.object({
      kubernetesUserDetails: soft(z.object({ username: soft(text) })),
      kubernetesWorkloadDetails: soft(
        z.object({
          name: soft(text),
          type: soft(text),
          namespace: soft(text),
          containers: soft(z.array(containerSchema)),
        })
      ),
    })
  ),
  lambdaDetails: soft(
    z.object({ functionName: soft(text), functionArn: soft(text), functionVersion: soft(text) })
  ),
  rdsDbInstanceDetails: soft(
    z.object({
      dbInstanceIdentifier: soft(text),
      dbClusterIdentifier: soft(text),
      engine: soft(text),
      engineVersion: soft(text),
    })
  ),
  rdsLimitlessDbDetails: soft(
    z.object({
      dbShardGroupIdentifier: soft(text),
      dbClusterIdentifier: soft(text),
      engine: soft(text),
      engineVersion: soft(text),
    })
  ),
  rdsDbUserDetails: soft(
    z.object({ user: soft(text), database: soft(text), application: soft(text) })
  ),
  containerDetails: soft(
    z.object({
      id: soft(text),
      name: soft(text),
      image: soft(text),
      containerRuntime: soft(text),
    })
  ),
  ecsClusterDetails: soft(
    z.object({
      name: soft(text),
      arn: soft(text),
      taskDetails: soft(
        z.object({ definitionArn: soft(text), containers: soft(z.array(containerSchema)) })
      ),
    })
  ),
});

/** The `detail` of a "GuardDuty Finding" event (one finding, camelCase wire names). */
export const guardDutyDetailSchema = z.object({
  id: identifier,
  type: nonEmptyText,
  severity: z
    .number()
    .check(z.gte(0, 'expected a number from 0 to 10'), z.lte(10, 'expected a number from 0 to 10')),
  accountId,
  region,
  partition: maybe(partition),
  arn: maybe(text),
  title: text,
  description: maybe(text),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  resource: resourceSchema,
  service: serviceSchema,
});

/** A validated GuardDuty finding `detail`. */
export type GuardDutyDetail = z.output<typeof guardDutyDetailSchema>;
/** `detail.resource` of a GuardDuty finding. */
export type GuardDutyResource = GuardDutyDetail['resource'];
/** `detail.resource.instanceDetails` of a GuardDuty finding. */
export type GuardDutyInstanceDetails = NonNullable<GuardDutyResource['instanceDetails']>;
/** `detail.service` of a GuardDuty finding. */
export type GuardDutyService = GuardDutyDetail['service'];
/** `detail.service.action` of a GuardDuty finding. */
export type GuardDutyAction = NonNullable<GuardDutyService['action']>;
/** A `remoteIpDetails` object of a GuardDuty action. */
export type GuardDutyRemoteIpDetails = z.output<typeof remoteIpDetailsSchema>;

// ---------------------------------------------------------------------------------------------
// Security Hub "Findings - Imported" (ASFF, PascalCase)
// ---------------------------------------------------------------------------------------------

/**
 * The Security Hub (ASFF) schemas, built by {@link securityHubSchemas} on the first Security Hub
 * event: most deployments ingest GuardDuty directly, and building these is about a third of the
 * schemas' share of a cold start.
 */
const buildSecurityHubSchemas = () => {
  /** `detail` of a "Security Hub Findings - Imported" event: the findings are validated one by one. */
  const securityHubDetailSchema = z.object({
    findings: z.array(z.unknown()).check(z.length(1, 'expected exactly one finding')),
  });

  /**
   * The few ASFF fields that decide whether an event is ignored, read leniently so that an event
   * we skip anyway never fails validation.
   */
  const asffTriageSchema = z.object({
    ProductArn: soft(text),
    ProductName: soft(text),
    UpdatedAt: soft(text),
    Note: soft(z.object({ UpdatedBy: soft(text), UpdatedAt: soft(text) })),
  });

  const asffRemoteIpDetailsSchema = z.object({
    IpAddressV4: maybe(text),
    Organization: soft(
      z.object({ Asn: soft(asn), AsnOrg: soft(text), Org: soft(text), Isp: soft(text) })
    ),
    Country: soft(z.object({ CountryName: soft(text) })),
    City: soft(z.object({ CityName: soft(text) })),
  });

  const asffPortDetailsSchema = z.object({ Port: maybe(port) });

  const asffActionSchema = z.object({
    ActionType: soft(text),
    NetworkConnectionAction: maybe(
      z.object({
        ConnectionDirection: soft(text),
        Protocol: soft(text),
        LocalPortDetails: maybe(asffPortDetailsSchema),
        RemotePortDetails: maybe(asffPortDetailsSchema),
        RemoteIpDetails: maybe(asffRemoteIpDetailsSchema),
      })
    ),
    AwsApiCallAction: maybe(
      z.object({
        Api: soft(text),
        ServiceName: soft(text),
        RemoteIpDetails: maybe(asffRemoteIpDetailsSchema),
        DomainDetails: soft(z.object({ Domain: soft(text) })),
      })
    ),
    DnsRequestAction: maybe(z.object({ Domain: soft(text), Protocol: soft(text) })),
    PortProbeAction: maybe(
      z.object({
        PortProbeDetails: maybe(
          z.array(
            z.object({
              LocalPortDetails: maybe(asffPortDetailsSchema),
              RemoteIpDetails: maybe(asffRemoteIpDetailsSchema),
            })
          )
        ),
      })
    ),
  });

  const asffNetworkSchema = z.object({
    Direction: soft(text),
    Protocol: soft(text),
    SourceIpV4: maybe(text),
    SourceIpV6: maybe(text),
    SourcePort: maybe(port),
    SourceDomain: soft(text),
    DestinationIpV4: maybe(text),
    DestinationIpV6: maybe(text),
    DestinationPort: maybe(port),
    DestinationDomain: soft(text),
  });

  const asffResourceSchema = z.object({
    Type: nonEmptyText,
    Id: nonEmptyText,
    Tags: maybe(z.record(z.string(), text)),
    Details: maybe(
      z.object({
        AwsEc2Instance: maybe(
          z.object({
            Type: soft(text),
            ImageId: soft(text),
            LaunchedAt: soft(text),
            IamInstanceProfileArn: maybe(text),
            VpcId: maybe(text),
            SubnetId: maybe(text),
            IpV4Addresses: soft(z.array(text)),
            NetworkInterfaces: maybe(z.array(z.object({ NetworkInterfaceId: networkInterfaceId }))),
          })
        ),
        AwsIamAccessKey: maybe(
          z.object({
            AccessKeyId: maybe(text),
            PrincipalId: maybe(text),
            PrincipalName: maybe(text),
            PrincipalType: maybe(text),
            UserName: maybe(text),
          })
        ),
      })
    ),
  });

  /** One ASFF finding, as carried in `detail.findings[0]`. */
  const asffFindingSchema = z.object({
    Id: identifier,
    ProductArn: z
      .string()
      .check(z.regex(PRODUCT_ARN_PATTERN, 'expected a Security Hub product ARN')),
    ProductName: maybe(text),
    AwsAccountId: accountId,
    Region: maybe(region),
    GeneratorId: soft(text),
    Types: maybe(z.array(text)),
    Title: text,
    Description: maybe(text),
    CreatedAt: isoDateTime,
    UpdatedAt: isoDateTime,
    FirstObservedAt: maybe(isoDateTime),
    LastObservedAt: maybe(isoDateTime),
    Severity: maybe(
      z.object({
        Product: maybe(z.number()),
        Normalized: maybe(z.number().check(z.gte(0), z.lte(100))),
        Label: maybe(text),
      })
    ),
    ProductFields: soft(z.record(z.string(), text)),
    RecordState: maybe(text),
    Sample: soft(z.boolean()),
    Network: maybe(asffNetworkSchema),
    Action: maybe(asffActionSchema),
    Resources: z.array(asffResourceSchema).check(z.minLength(1, 'expected at least one resource')),
  });

  return {
    detail: securityHubDetailSchema,
    triage: asffTriageSchema,
    finding: asffFindingSchema,
    remoteIpDetails: asffRemoteIpDetailsSchema,
  };
};

type SecurityHubSchemas = ReturnType<typeof buildSecurityHubSchemas>;
let securityHub: SecurityHubSchemas | undefined;

/** The Security Hub (ASFF) schemas: `detail`, the `triage` fields, one `finding`. */
export const securityHubSchemas = (): SecurityHubSchemas => {
  securityHub ??= buildSecurityHubSchemas();
  return securityHub;
};

/** The ASFF fields that decide whether a Security Hub event is ignored. */
export type AsffTriage = z.output<SecurityHubSchemas['triage']>;
/** A validated ASFF finding. */
export type AsffFinding = z.output<SecurityHubSchemas['finding']>;
/** One entry of an ASFF finding's `Resources`. */
export type AsffResource = AsffFinding['Resources'][number];
/** An ASFF `RemoteIpDetails` object. */
export type AsffRemoteIpDetails = z.output<SecurityHubSchemas['remoteIpDetails']>;
