/**
 * Prints the after-action report of one finding as Markdown, from the bot's table:
 *
 *   npm run report -- <finding-id> [--tz Europe/Berlin]
 *
 * Reads TABLE_NAME; DynamoDB is reached through the SDK's own configuration (AWS_PROFILE /
 * AWS_REGION, and AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local, where any credentials do).
 * Read-only: nothing is written to the audit stream. Exits 1 when the finding is unknown, the
 * table cannot be read or TABLE_NAME is unset; 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoFindingStore } from '../src/adapters/dynamodb/DynamoFindingStore';
import { buildAfterActionReport, isValidTimeZone } from '../src/app/report/buildAfterActionReport';

const USAGE = 'usage: npm run report -- <finding-id> [--tz <IANA time zone, e.g. Europe/Berlin>]';

const fail = (message: string, code: number): never => {
  console.error(message);
  process.exit(code);
};

/** Local credentials and Region for DynamoDB Local when the shell has none (the offline demo). */
const localDefaults = (env: NodeJS.ProcessEnv): DynamoDBClientConfig => {
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  const loopback =
    endpoint !== undefined &&
    /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\/?$/.test(endpoint);
  if (!loopback) return {};
  const hasCredentials = env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;
  return {
    ...(env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION === undefined
      ? { region: 'us-east-1' }
      : {}),
    ...(hasCredentials ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
};

/** The finding id and time zone from the command line; exits on a usage error. */
const readArgs = (): { findingId: string; timeZone?: string } => {
  let parsed: { values: { tz?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      options: { tz: { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const [findingId, ...extra] = positionals;
  if (findingId === undefined || findingId === '' || extra.length > 0) return fail(USAGE, 2);
  if (values.tz !== undefined && !isValidTimeZone(values.tz)) {
    return fail(
      `unknown time zone ${JSON.stringify(values.tz)} (use an IANA name such as Europe/Berlin)`,
      2
    );
  }
  return values.tz === undefined ? { findingId } : { findingId, timeZone: values.tz };
};

const { findingId, timeZone } = readArgs();
const tableName =
  process.env.TABLE_NAME ||
  fail('TABLE_NAME is not set: name the bot table to read the finding from', 1);

const client = new DynamoDBClient({ maxAttempts: 3, ...localDefaults(process.env) });
const store = new DynamoFindingStore({ client, tableName });
try {
  const record = await store.getFinding(findingId);
  if (record === undefined) {
    fail(`finding ${JSON.stringify(findingId)} is not in table ${tableName}`, 1);
  } else {
    const audit = await store.listAudit(record.finding.id);
    const { markdown } = buildAfterActionReport({
      record,
      audit,
      ...(timeZone === undefined ? {} : { timeZone }),
    });
    process.stdout.write(markdown);
  }
} catch (error) {
  const cause = (error as { cause?: { name?: string; message?: string } }).cause;
  fail(
    `could not read table ${tableName}: ${(error as Error).message}${
      cause?.name === undefined ? '' : ` (${cause.name}: ${cause.message ?? ''})`
    }`,
    1
  );
} finally {
  client.destroy();
}
