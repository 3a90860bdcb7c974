import { allCustomMatcherWithAliases, type CustomMatcher } from 'aws-sdk-client-mock-vitest';
import { expect } from 'vitest';

expect.extend(allCustomMatcherWithAliases);

declare module 'vitest' {
  interface Assertion<T> extends CustomMatcher<T> {}
  interface AsymmetricMatchersContaining extends CustomMatcher {}
}
