// The package registry this project installs from serves Biome's CLI only for the platforms we
// build on, so `npm install` leaves the other platforms' optional packages out of
// package-lock.json, and `npm ci` then refuses the lockfile as out of sync. This adds those
// entries back (optional, platform-restricted, never installed here). Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const biome = lock.packages['node_modules/@biomejs/biome'];
let added = 0;
for (const [name, version] of Object.entries(biome.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [, platform, cpu, libc] = name.match(/cli-(\w+)-(\w+?)(?:-(musl))?$/) ?? [];
  lock.packages[key] = {
    version,
    cpu: [cpu],
    dev: true,
    ...(libc ? { libc: [libc] } : platform === 'linux' ? { libc: ['glibc'] } : {}),
    license: biome.license,
    optional: true,
    os: [platform],
    engines: biome.engines,
  };
  added += 1;
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)
  )
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform entries for Biome's CLI`);
