import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import type { BundleTarget } from './bundles';

/**
 * Variants of the slack bundle that are measured in the same run as the real one, to put a number
 * on a proposed change before anyone makes it. Nothing here is deployed: each is the production
 * build plus one or two esbuild options that mimic the change.
 */

/** The packages only Bolt's Express, HTTP and Socket Mode receivers use. */
export const UNUSED_RECEIVER_PACKAGES = ['@slack/socket-mode', 'express', 'raw-body'] as const;

/** The stub they are aliased to (relative to the repository root, as esbuild's `alias` wants). */
export const UNUSED_RECEIVER_STUB = './bench/variants/unusedReceiverDependency.cjs';

const receiverAlias = Object.fromEntries(
  UNUSED_RECEIVER_PACKAGES.map((name) => [name, UNUSED_RECEIVER_STUB])
);

/**
 * Mimics changing `import { z } from 'zod'` into `import * as z from 'zod'` in our source: with
 * the named import the bundle keeps zod's whole `z` namespace (every locale: about 260 KB), with
 * the namespace import esbuild keeps only what is used.
 */
export const zodNamespaceImport: Plugin = {
  name: 'bench-zod-namespace-import',
  setup(build) {
    build.onLoad({ filter: /[\\/](src|handlers)[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return {
        contents: source.replace(/^import \{ z \} from 'zod';$/m, "import * as z from 'zod';"),
        loader: 'ts',
      };
    });
  },
};

/** The variants of the slack bundle that the benchmark builds and cold-starts. */
export const SLACK_VARIANTS: BundleTarget[] = [
  {
    name: 'slack-stubbed-receivers',
    entry: 'handlers/slack.ts',
    kind: 'variant',
    extra: { alias: receiverAlias },
    description: `alias ${UNUSED_RECEIVER_PACKAGES.join(', ')} to a stub`,
  },
  {
    name: 'slack-zod-namespace',
    entry: 'handlers/slack.ts',
    kind: 'variant',
    extra: { plugins: [zodNamespaceImport] },
    description: "import * as z from 'zod' in src/config.ts",
  },
  {
    name: 'slack-both',
    entry: 'handlers/slack.ts',
    kind: 'variant',
    extra: { alias: receiverAlias, plugins: [zodNamespaceImport] },
    description: 'both of the above',
  },
];

/** The same zod change for the notify function (src/config.ts and src/events/schemas.ts). */
export const NOTIFY_VARIANTS: BundleTarget[] = [
  {
    name: 'notify-zod-namespace',
    entry: 'handlers/notify.ts',
    kind: 'variant',
    extra: { plugins: [zodNamespaceImport] },
    description: "import * as z from 'zod' in src/config.ts, src/events/schemas.ts",
  },
];
