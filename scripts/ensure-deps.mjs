// Makes a fresh clone ready to run: installs the locked npm dependencies when they are missing or
// older than package-lock.json, and a Java runtime (DynamoDB Local needs one) when `java` is missing.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const run = (command) => execSync(command, { stdio: 'inherit' });
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

if (!has('java')) {
  const root = process.getuid?.() === 0;
  const sudo = !root && has('sudo') ? 'sudo -n ' : '';
  if (!root && !sudo) {
    console.error(
      'DynamoDB Local needs a Java runtime: install one (e.g. apt-get install default-jre-headless).'
    );
    process.exit(1);
  }
  console.log('Installing a Java runtime for DynamoDB Local…');
  run(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get update -qq`);
  run(
    `${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless`
  );
}

/** True when node_modules holds exactly the versions package-lock.json pins (npm's hidden lockfile says). */
const installedMatchesLock = () => {
  const hidden = 'node_modules/.package-lock.json';
  if (!existsSync(hidden)) return false;
  const wanted = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages ?? {};
  const have = JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {};
  return Object.entries(wanted).every(
    ([path, entry]) => path === '' || entry.optional || have[path]?.version === entry.version
  );
};

if (!installedMatchesLock()) {
  console.log('Installing the locked npm dependencies (npm ci)…');
  run('npm ci --no-audit --no-fund');
}
