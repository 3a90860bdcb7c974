import type { BuildOptions } from 'esbuild';
import type { BundleTarget } from './bundles';

/**
 * Variants of the functions measured in the same run as the real ones, to put a number on a
 * change. Nothing here is deployed: each is the production build with one esbuild option changed.
 */

/** The production build with some of serverless.yml's `alias` entries taken out. */
const withoutAliases =
  (drop: (replacement: string) => boolean) =>
  (production: BuildOptions): BuildOptions => ({
    alias: Object.fromEntries(
      Object.entries(production.alias ?? {}).filter(([, replacement]) => !drop(replacement))
    ),
  });

/**
 * The slack function as it would be without each part of serverless.yml's `alias`: Bolt's Express,
 * HTTP and Socket Mode receivers and the OAuth install flow they run bundled for real (what the
 * stubs save), and the SDK's whole credential chain instead of the part a function uses.
 */
export const SLACK_VARIANTS: BundleTarget[] = [
  {
    name: 'slack-without-stubs',
    entry: 'handlers/slack.ts',
    kind: 'variant',
    extra: withoutAliases((replacement) => replacement.endsWith('unusedReceiverDependency.cjs')),
    description:
      "serverless.yml's Bolt stubs removed: Bolt's unused receivers and OAuth flow bundled",
  },
  {
    name: 'slack-sdk-credential-chain',
    entry: 'handlers/slack.ts',
    kind: 'variant',
    extra: withoutAliases((replacement) => replacement.endsWith('lambdaCredentials.ts')),
    description:
      "the SDK's whole default credential chain (SSO, profiles, web identity, instance metadata) bundled",
  },
];

/** Variants of the notify function (none at the moment). */
export const NOTIFY_VARIANTS: BundleTarget[] = [];
