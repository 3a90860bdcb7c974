import { coldStart } from '../src/composition/coldStart';
import { createNotifyHandler, type NotifyHandlerResult } from '../src/composition/notifyHandler';

/** EventBridge → notify: one GuardDuty (or Security Hub) finding event per invocation. */
export const handler: (event: unknown) => Promise<NotifyHandlerResult> = coldStart(() =>
  createNotifyHandler()
);
