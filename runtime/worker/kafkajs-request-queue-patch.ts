import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's request queue re-arms a timer after every check even when no request
 * waits, and with no throttle the delay is negative, so each broker connection spins the
 * event loop about once a millisecond for as long as it is open (kafkajs issue 1556, open
 * upstream, no release with a fix). An idle worker spent about 6 % of a core there, and a
 * busy one loses the same share. This replaces the one method: a check is scheduled only
 * while requests wait, when the broker's throttle ends, and not sooner than 10 ms.
 * Requests that wait are also sent as soon as one in flight completes (kafkajs does that
 * itself), so nothing is delayed by more than the throttle asks for.
 */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const checkIntervalMs = 10;

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const delayMs = Math.max(this.throttledUntil - Date.now(), checkIntervalMs);
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
  prototype: RequestQueueInternals;
};
if (typeof RequestQueue.prototype?.scheduleCheckPendingRequests !== 'function') {
  // Another kafkajs layout: the patch no longer fits, and kafkajs may have fixed it.
  throw new Error('kafkajs changed: runtime/worker/kafkajs-request-queue-patch.ts no longer applies');
}
RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
