/**
 * The one place where errors leave the activities: every error becomes an ApplicationFailure whose
 * `type` is the error's class name (what workflows match on, e.g. in `nonRetryableErrorTypes`) and
 * whose retry behaviour comes from the error (`InfraError.retryable`; unknown errors stay retryable).
 * Secrets found in the activity's arguments are scrubbed from messages and stacks as a second line
 * of defence: the drivers already redact, but a library's message might still quote a password.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { InfraError } from '../engines/errors';

const SECRET_KEY = /pass(word)?$|secret|token/i;
const REDACTED = '***';

/** Every string under a password-like key anywhere in `value` (activity arguments are plain data). */
export function secretsIn(value: unknown, found: Set<string> = new Set(), depth = 0): Set<string> {
  if (depth > 8 || value === null || typeof value !== 'object') return found;
  for (const [key, child] of Object.entries(value)) {
    if (typeof child === 'string' && child !== '' && SECRET_KEY.test(key)) found.add(child);
    else secretsIn(child, found, depth + 1);
  }
  return found;
}

export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join(REDACTED);
  return result;
}

/** The ApplicationFailure (or the cancellation, untouched) an activity throws for `err`. */
export function toActivityFailure(err: unknown, secrets: Iterable<string>): Error {
  // Cancellations must reach the SDK as they are: that is how it reports the activity as cancelled.
  if (err instanceof CancelledFailure) return err;
  if (err instanceof ApplicationFailure) return err;
  const secretList = [...secrets];
  if (!(err instanceof Error)) {
    return ApplicationFailure.create({ type: 'Error', message: redact(String(err), secretList), nonRetryable: false });
  }
  const failure = ApplicationFailure.create({
    type: err.name || 'Error',
    message: redact(err.message, secretList),
    nonRetryable: err instanceof InfraError ? !err.retryable : false,
  });
  // Keep where it went wrong (the failure's own stack would point here); the first line repeats the message.
  if (err.stack) failure.stack = redact(err.stack, secretList);
  return failure;
}

/**
 * Wraps each function of `activities` so that whatever it throws goes through `toActivityFailure`,
 * and tells `log` about it (name, type, message: never the arguments, which hold credentials).
 */
export function withFailureMapping<T extends object>(
  activities: T,
  log: (message: string, fields?: object) => void = () => undefined,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        const failure = toActivityFailure(err, secretsIn(args));
        if (failure instanceof ApplicationFailure) {
          log('activity failed', {
            activity: name,
            type: failure.type,
            nonRetryable: failure.nonRetryable,
            message: failure.message,
          });
        } else {
          log('activity cancelled', { activity: name });
        }
        throw failure;
      }
    };
  }
  return wrapped as T;
}
