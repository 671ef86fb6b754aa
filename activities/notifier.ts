/**
 * Completion notifications: a JSON POST to the cluster's webhook and an email (nodemailer, SMTP from
 * the environment) to its addresses. Failures throw, so the activity's retry policy retries them.
 * A retry may deliver a channel twice; both carry a stable identity for receivers to deduplicate:
 * the `Idempotency-Key` header and the email's `Message-ID`.
 */
import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { NotificationEvent } from './contract';
import type { ActivityLogger } from './engine-registry';
import { NotificationDeliveryError, NotificationRejectedError } from './errors';

export interface Notifier {
  /** Delivers `event` to its webhook and emails; does nothing when it has neither. */
  notify(event: NotificationEvent): Promise<void>;
}

export interface NotifierOptions {
  /** `smtp://` or `smtps://` URL (credentials may be in it); unset = no email is sent. */
  smtpUrl?: string;
  smtpFrom: string;
  smtpTimeoutMs?: number;
  webhookTimeoutMs?: number;
  logger?: ActivityLogger;
}

export interface ClosableNotifier extends Notifier {
  /** Closes the mail transport's connections. */
  close(): void;
}

/** HTTP statuses after which the same request may succeed later. */
const RETRYABLE_HTTP = new Set([408, 425, 429]);

export function createNotifier(options: NotifierOptions): ClosableNotifier {
  const log: ActivityLogger = options.logger ?? (() => undefined);
  const smtpTimeoutMs = options.smtpTimeoutMs ?? 15_000;
  const mail =
    options.smtpUrl === undefined
      ? undefined
      : createTransport({
          url: options.smtpUrl,
          connectionTimeout: smtpTimeoutMs,
          greetingTimeout: smtpTimeoutMs,
          socketTimeout: smtpTimeoutMs,
        });
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 10_000;

  const postWebhook = async (url: string, event: NotificationEvent): Promise<void> => {
    const target = webhookUrl(url);
    // Only the origin is ever quoted: webhook paths and queries often carry the receiver's secret.
    const where = `webhook ${target.origin}`;
    let response: Response;
    try {
      response = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'dbcluster-orchestrator',
          'idempotency-key': idempotencyKey(event),
        },
        body: JSON.stringify(payloadOf(event)),
        signal: AbortSignal.timeout(webhookTimeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${webhookTimeoutMs} ms` : causeOf(err);
      throw new NotificationDeliveryError(`${where} could not be reached: ${reason}`);
    }
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    const message = `${where} answered HTTP ${response.status} to the ${event.operation} notification of ${event.cluster}`;
    if (response.status >= 500 || RETRYABLE_HTTP.has(response.status)) throw new NotificationDeliveryError(message);
    throw new NotificationRejectedError(`${message}; check the cluster's webhook URL`);
  };

  const sendEmail = async (to: string[], event: NotificationEvent): Promise<void> => {
    if (mail === undefined) {
      // Retrying cannot help and the operation itself is done: say so in the log instead of failing.
      log('email notification skipped: SMTP_URL is not set', { cluster: event.cluster, operation: event.operation });
      return;
    }
    try {
      await mail.sendMail({
        from: options.smtpFrom,
        to,
        subject: subjectOf(event),
        text: textOf(event),
        messageId: `<${idempotencyKey(event)}@${domainOf(options.smtpFrom)}>`,
      });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      const message = `email to ${to.join(', ')} about ${event.cluster} failed: ${causeOf(err)}`;
      if (code !== undefined && code >= 500) throw new NotificationRejectedError(message);
      throw new NotificationDeliveryError(message);
    }
  };

  return {
    async notify(event) {
      const deliveries: Promise<void>[] = [];
      if (event.webhookUrl) deliveries.push(postWebhook(event.webhookUrl, event));
      if (event.emails && event.emails.length > 0) deliveries.push(sendEmail(event.emails, event));
      const failures = (await Promise.allSettled(deliveries)).flatMap((r) =>
        r.status === 'rejected' ? [r.reason] : [],
      );
      if (failures.length === 0) return;
      if (failures.length === 1) throw failures[0];
      const message = failures.map((f: Error) => f.message).join('; ');
      const anyRetryable = failures.some((f) => f instanceof NotificationDeliveryError);
      throw anyRetryable ? new NotificationDeliveryError(message) : new NotificationRejectedError(message);
    },
    close() {
      mail?.close();
    },
  };
}

/** What the webhook receives: the event without its routing fields. */
function payloadOf(event: NotificationEvent) {
  const { cluster, operation, operationId, outcome, detail, at } = event;
  return { cluster, operation, operationId, outcome, detail, at };
}

/** Stable per operation and outcome, so a retried delivery is recognisably the same notification. */
function idempotencyKey(event: NotificationEvent): string {
  return createHash('sha256').update(`${event.operationId}\n${event.outcome}`).digest('hex').slice(0, 32);
}

function subjectOf(event: NotificationEvent): string {
  return `[${event.cluster}] ${event.operation} ${event.outcome}`;
}

function textOf(event: NotificationEvent): string {
  return [
    `Cluster:   ${event.cluster}`,
    `Operation: ${event.operation} (${event.operationId})`,
    `Outcome:   ${event.outcome}`,
    `At:        ${event.at}`,
    '',
    event.detail,
    '',
  ].join('\n');
}

function webhookUrl(raw: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new NotificationRejectedError('the webhook URL is not an http:// or https:// URL; fix the cluster settings');
  }
  return url;
}

function domainOf(address: string): string {
  return /@([^>\s]+)>?\s*$/.exec(address)?.[1] ?? 'localhost';
}

/** The innermost useful message (fetch wraps network errors in a generic "fetch failed"). */
function causeOf(err: unknown): string {
  const error = err as Error & { cause?: unknown; code?: string };
  const cause = error.cause as (Error & { code?: string }) | undefined;
  if (cause?.message)
    return cause.code && !cause.message.includes(cause.code) ? `${cause.code} ${cause.message}` : cause.message;
  return error.message ?? String(err);
}
