import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The bot's single table. `serverless.yml` declares the same keys and indexes (a test compares
 * the packaged CloudFormation with this definition); tests and the offline demo create the table
 * from it in DynamoDB Local.
 *
 * Items (partition key `pk`, sort key `sk`):
 * - `FINDING#<id>` / `STATE`: the latest version of a finding, its routing and its card.
 * - `FINDING#<id>` / `AUDIT#<iso time>#<kind>#<dedupe key>`: the append-only audit stream.
 * - `DIGEST#<channel>#<minute>` / `STATE`: a storm digest card and the findings it gathers.
 * - `BUCKET#<name>` / `TOKENS`: a token bucket (`posts#<channel>`: own-card posts; `edits`: card
 *   edits in the workspace).
 *
 * Indexes: `byResource` (gsi1: `RESOURCE#<id>` / time), `byActor` (gsi2: `ACTOR#<slack user>` / time),
 * `byTime` (gsi3: `DAY#<yyyy-mm-dd>` / time).
 */
export const tableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
    { AttributeName: 'gsi2pk', AttributeType: 'S' },
    { AttributeName: 'gsi2sk', AttributeType: 'S' },
    { AttributeName: 'gsi3pk', AttributeType: 'S' },
    { AttributeName: 'gsi3sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    ['byResource', 'gsi1'],
    ['byActor', 'gsi2'],
    ['byTime', 'gsi3'],
  ].map(([IndexName, prefix]) => ({
    IndexName,
    KeySchema: [
      { AttributeName: `${prefix}pk`, KeyType: 'HASH' as const },
      { AttributeName: `${prefix}sk`, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  })),
});
