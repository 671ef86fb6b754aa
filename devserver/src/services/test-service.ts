/**
 * TestService: the time-skipping controls of Temporal's test server. Time skipping starts locked;
 * clients unlock it while they wait for a result, and `UnlockTimeSkippingWithSleep` lets the clock
 * run ahead by the given duration.
 */
import type { temporal } from '@temporalio/proto';
import type { Clock } from '../clock';
import type { Handler } from '../grpc';
import { type Plain, msFromDuration, msFromTimestamp, timestampFromMs } from '../proto';

type Req<T> = Plain<T>;

export function testServiceHandlers(clock: Clock): Record<string, Handler> {
  const sleepUntil = (at: number, unlockWhileSleeping: boolean): Promise<object> =>
    new Promise((resolve) => {
      clock.scheduleAt(at, 'TestService sleep', () => {
        if (unlockWhileSleeping) clock.lockExternally();
        resolve({});
      });
      if (unlockWhileSleeping) clock.unlockExternally();
    });

  return {
    LockTimeSkipping: () => {
      clock.lockExternally();
      return {};
    },
    UnlockTimeSkipping: () => {
      clock.unlockExternally();
      return {};
    },
    Sleep: (request: Req<temporal.api.testservice.v1.ISleepRequest>) =>
      sleepUntil(clock.now() + (msFromDuration(request.duration) ?? 0), false),
    SleepUntil: (request: Req<temporal.api.testservice.v1.ISleepUntilRequest>) =>
      sleepUntil(msFromTimestamp(request.timestamp) ?? clock.now(), false),
    UnlockTimeSkippingWithSleep: (request: Req<temporal.api.testservice.v1.ISleepRequest>) =>
      sleepUntil(clock.now() + (msFromDuration(request.duration) ?? 0), true),
    GetCurrentTime: () => ({ time: timestampFromMs(clock.now()) }),
  };
}
