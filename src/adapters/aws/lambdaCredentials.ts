import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { chain } from '@smithy/core/config';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (serverless.yml's esbuild
 * `alias`): every SDK client takes its default credentials from it.
 *
 * Lambda hands a function its execution role's credentials in environment variables, which is
 * where the SDK's default chain looks first, so on Lambda this resolves exactly as that chain does.
 * What the chain tries next (SSO, shared config files, credential processes, web identity tokens,
 * instance metadata) needs its own STS and SSO clients and never applies to a function: bundling
 * it cost the slack function 134 KB and about 10 ms of every cold start. The container endpoint
 * (`AWS_CONTAINER_CREDENTIALS_*`), the one other way a runtime hands out role credentials, is kept.
 *
 * Only the bundles use this: tests, the demo and the CLIs run the SDK's full chain.
 */

type CredentialProvider = ReturnType<typeof fromEnv>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

const CONTAINER_VARIABLES = [
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
] as const;

/** The credential provider every client of the bundle uses unless it is given credentials. */
export const defaultProvider = (
  init: Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0] = {}
): CredentialProvider => {
  const container = CONTAINER_VARIABLES.some((name) => process.env[name]) ? [fromHttp(init)] : [];
  return chain(fromEnv(init), ...container);
};

/** As the SDK's chain answers it: credentials with an expiry are refreshed before it. */
export const credentialsWillNeedRefresh = (credentials: Credentials): boolean =>
  credentials.expiration !== undefined;

/** As the SDK's chain answers it: within five minutes of their expiry, credentials are stale. */
export const credentialsTreatedAsExpired = (credentials: Credentials): boolean =>
  credentials.expiration !== undefined &&
  credentials.expiration.getTime() - Date.now() < 5 * 60_000;
