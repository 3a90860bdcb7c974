import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  credentialsTreatedAsExpired,
  credentialsWillNeedRefresh,
  defaultProvider,
} from '../../../../src/adapters/aws/lambdaCredentials';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
];

/** A container credentials endpoint on loopback, recording the headers it was asked with. */
const startContainerEndpoint = async (): Promise<{
  server: Server;
  url: string;
  requests: IncomingHttpHeaders[];
}> => {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    requests.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        AccessKeyId: 'ASIACONTAINER',
        SecretAccessKey: 'container-secret',
        Token: 'container-token',
        Expiration: '2030-01-01T00:00:00Z',
      })
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/credentials`, requests };
};

describe('Module: lambdaCredentials', () => {
  beforeEach(() => {
    for (const name of CREDENTIAL_VARIABLES) vi.stubEnv(name, undefined);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('takes the execution role’s credentials from the environment, as Lambda hands them over', async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAFUNCTION');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'function-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'function-token');

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAFUNCTION',
      secretAccessKey: 'function-secret',
      sessionToken: 'function-token',
    });
  });

  it('asks the container endpoint, with its token, when the runtime provides one instead', async () => {
    // Prepare
    const endpoint = await startContainerEndpoint();
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
    vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'container-auth');

    try {
      // Act
      const credentials = await defaultProvider()();

      // Assess
      expect(credentials).toMatchObject({
        accessKeyId: 'ASIACONTAINER',
        secretAccessKey: 'container-secret',
        sessionToken: 'container-token',
        expiration: new Date('2030-01-01T00:00:00Z'),
      });
      expect(endpoint.requests.map((headers) => headers.authorization)).toStrictEqual([
        'container-auth',
      ]);
    } finally {
      endpoint.server.close();
    }
  });

  it('prefers the environment to the container endpoint, as the SDK’s chain does', async () => {
    // Prepare
    const endpoint = await startContainerEndpoint();
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAFUNCTION');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'function-secret');

    try {
      // Act
      const credentials = await defaultProvider()();

      // Assess
      expect(credentials.accessKeyId).toBe('ASIAFUNCTION');
      expect(endpoint.requests).toHaveLength(0);
    } finally {
      endpoint.server.close();
    }
  });

  it('fails with the provider’s error when the runtime provides no credentials', async () => {
    // Act
    const resolving = defaultProvider()();

    // Assess
    await expect(resolving).rejects.toMatchObject({
      name: 'CredentialsProviderError',
      message: expect.stringContaining('environment variable credentials'),
    });
  });

  it('treats credentials as the SDK’s chain does: refreshed within five minutes of expiry', () => {
    // Prepare
    const lasting = { accessKeyId: 'A', secretAccessKey: 'S' };
    const expiring = { ...lasting, expiration: new Date(Date.now() + 4 * 60_000) };
    const fresh = { ...lasting, expiration: new Date(Date.now() + 60 * 60_000) };

    // Act
    const expired = [lasting, expiring, fresh].map(credentialsTreatedAsExpired);
    const refreshed = [lasting, expiring, fresh].map(credentialsWillNeedRefresh);

    // Assess
    expect(expired).toStrictEqual([false, true, false]);
    expect(refreshed).toStrictEqual([false, true, true]);
  });
});
