import { createNotifyHandler, type NotifyHandler } from '../src/composition/notifyHandler';

let ready: Promise<NotifyHandler> | undefined;

/** EventBridge → notify: one GuardDuty (or Security Hub) finding event per invocation. */
export const handler = async (event: unknown): Promise<unknown> => {
  ready ??= createNotifyHandler();
  try {
    return await (await ready)(event);
  } catch (error) {
    // A failed cold start (e.g. SSM unreachable) must not be cached for the container's lifetime.
    if (
      !(await ready.then(
        () => true,
        () => false
      ))
    )
      ready = undefined;
    throw error;
  }
};
