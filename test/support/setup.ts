import { toReceiveCommandWith } from 'aws-sdk-client-mock-vitest';
import { expect } from 'vitest';

expect.extend({ toReceiveCommandWith });
