import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { onFirstUse } from '../src/composition/clients';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux), asked once. */
const ticksPerSecond = onFirstUse((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
});

/**
 * CPU time (ms, user and system, all threads) used so far by a process and any process under it,
 * read from /proc; undefined where there is no /proc or no such process. DynamoDB Local is the
 * `java` process the benchmark starts (its children, if it had any, would count too).
 */
export const processTreeCpuMs = (rootPid: number): number | undefined => {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const processes = new Map<number, { parent: number; ticks: number }>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After the command name (which may hold spaces and parentheses): state, parent pid, … with
    // utime and stime as the 14th and 15th fields of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processes.set(Number(entry), {
      parent: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  if (!processes.has(rootPid)) return undefined;
  let ticks = 0;
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    ticks += processes.get(pid)?.ticks ?? 0;
    for (const [child, { parent }] of processes) if (parent === pid) pending.push(child);
  }
  return (ticks * 1000) / ticksPerSecond();
};

/** CPU spent over a stretch of the run by this process and by DynamoDB Local. */
export interface CpuSpent {
  wallMs: number;
  /** This process: user and system time, all its threads (V8's compiler and collector too). */
  ownMs: number;
  /** DynamoDB Local's process tree; absent without /proc. */
  dynamoMs?: number;
}

/** Starts measuring the CPU this process and DynamoDB Local (`dynamoPid`) spend from now. */
export const cpuMeter = (dynamoPid: number): { stop: () => CpuSpent } => {
  ticksPerSecond(); // asked once, before the measured stretch
  const started = performance.now();
  const own = process.cpuUsage();
  const dynamo = processTreeCpuMs(dynamoPid);
  return {
    stop: () => {
      const used = process.cpuUsage(own);
      const dynamoNow = processTreeCpuMs(dynamoPid);
      return {
        wallMs: performance.now() - started,
        ownMs: (used.user + used.system) / 1000,
        ...(dynamo === undefined || dynamoNow === undefined
          ? {}
          : { dynamoMs: dynamoNow - dynamo }),
      };
    },
  };
};
