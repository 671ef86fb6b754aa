/**
 * The notifier against a real HTTP server and a real SMTP server, both on loopback ports.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activityEnv, depsFor, rejectionOf } from '../test/activities-support';
import type { NotificationEvent } from './contract';
import { NotificationDeliveryError, NotificationRejectedError } from './errors';
import { createActivities } from './index';
import { createNotifier } from './notifier';

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface ReceivedMail {
  from: string;
  to: string[];
  user?: string;
  raw: string;
}

const SMTP_USER = 'notifier';
const SMTP_PASSWORD = 'smtp-S3cret-pw';

/** A loopback port nothing listens on any more. */
async function freedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const event = (overrides: Partial<NotificationEvent> = {}): NotificationEvent => ({
  cluster: 'orders',
  operation: 'backup',
  operationId: 'cluster:orders:backup:7',
  outcome: 'succeeded',
  detail: 'backup b-7 completed (12 MB)',
  at: '2026-03-01T10:00:00.000Z',
  ...overrides,
});

describe('notifier', () => {
  let http: Server;
  let httpBase: string;
  let requests: ReceivedRequest[];
  /** What the webhook answers for a path; unlisted paths answer 204. */
  const answers = new Map<string, (res: ServerResponse) => void>();

  let smtp: SMTPServer;
  let smtpPort: number;
  let mails: ReceivedMail[];

  beforeAll(async () => {
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const answer = answers.get(req.url ?? '');
        if (answer) answer(res);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
    await new Promise((resolve) => smtp?.close(() => resolve(undefined)));
  });

  beforeEach(() => {
    requests = [];
    mails = [];
    answers.clear();
  });

  const smtpUrl = (password = SMTP_PASSWORD) => `smtp://${SMTP_USER}:${password}@127.0.0.1:${smtpPort}`;

  it('posts the event as JSON to the webhook, with a key that is the same when the delivery is retried', async () => {
    const notifier = createNotifier({ smtpFrom: 'ops@example.com' });
    await notifier.notify(event({ webhookUrl: `${httpBase}/hooks/abc` }));
    await notifier.notify(event({ webhookUrl: `${httpBase}/hooks/abc` }));
    await notifier.notify(event({ webhookUrl: `${httpBase}/hooks/abc`, outcome: 'failed' }));
    expect(requests).toHaveLength(3);
    const [first, retried, other] = requests;
    expect(first.method).toBe('POST');
    expect(first.url).toBe('/hooks/abc');
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first.body)).toEqual({
      cluster: 'orders',
      operation: 'backup',
      operationId: 'cluster:orders:backup:7',
      outcome: 'succeeded',
      detail: 'backup b-7 completed (12 MB)',
      at: '2026-03-01T10:00:00.000Z',
    });
    expect(first.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
    expect(retried.headers['idempotency-key']).toBe(first.headers['idempotency-key']);
    expect(other.headers['idempotency-key']).not.toBe(first.headers['idempotency-key']);
  });

  it('emails every address through the SMTP server, logged in with the credentials of SMTP_URL', async () => {
    const notifier = createNotifier({ smtpUrl: smtpUrl(), smtpFrom: 'DB Orchestrator <ops@example.com>' });
    try {
      await notifier.notify(event({ emails: ['dba@example.com', 'oncall@example.com'], outcome: 'failed' }));
      await notifier.notify(event({ emails: ['dba@example.com'], outcome: 'failed' }));
    } finally {
      notifier.close();
    }
    expect(mails).toHaveLength(2);
    const [mail, retried] = mails;
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.from).toBe('ops@example.com');
    expect(mail.to).toEqual(['dba@example.com', 'oncall@example.com']);
    expect(mail.raw).toMatch(/^Subject: \[orders\] backup failed\r?$/m);
    expect(mail.raw).toMatch(/^From: DB Orchestrator <ops@example\.com>\r?$/m);
    expect(mail.raw).toContain('Operation: backup (cluster:orders:backup:7)');
    expect(mail.raw).toContain('backup b-7 completed (12 MB)');
    const messageId = /^Message-ID: (<[0-9a-f]{32}@example\.com>)\r?$/m.exec(mail.raw)?.[1];
    expect(messageId).toBeDefined();
    expect(retried.raw).toContain(`Message-ID: ${messageId}`);
  });

  it('delivers to both channels when the event has both', async () => {
    const notifier = createNotifier({ smtpUrl: smtpUrl(), smtpFrom: 'ops@example.com' });
    try {
      await notifier.notify(event({ webhookUrl: `${httpBase}/both`, emails: ['dba@example.com'] }));
    } finally {
      notifier.close();
    }
    expect(requests.map((r) => r.url)).toEqual(['/both']);
    expect(mails.map((m) => m.to)).toEqual([['dba@example.com']]);
  });

  it('does nothing when the event has neither a webhook nor emails', async () => {
    const notifier = createNotifier({ smtpUrl: smtpUrl(), smtpFrom: 'ops@example.com' });
    try {
      await notifier.notify(event({ emails: [] }));
    } finally {
      notifier.close();
    }
    // A delivery that did happen would be here: notify resolves only after the server answered.
    expect(requests).toEqual([]);
    expect(mails).toEqual([]);
  });

  it('skips emails with a log line when no SMTP server is configured', async () => {
    const lines: string[] = [];
    const notifier = createNotifier({ smtpFrom: 'ops@example.com', logger: (line) => lines.push(line) });
    await notifier.notify(event({ emails: ['dba@example.com'] }));
    expect(lines).toEqual(['email notification skipped: SMTP_URL is not set']);
  });

  it('fails retryably on a 5xx answer and for good on a 4xx, through the activity, never quoting the URL path', async () => {
    answers.set('/secret-token-503', (res) => res.writeHead(503).end('busy'));
    answers.set('/secret-token-404', (res) => res.writeHead(404).end());
    answers.set('/secret-token-429', (res) => res.writeHead(429).end());
    const activities = createActivities(depsFor({ notifier: createNotifier({ smtpFrom: 'ops@example.com' }) }));
    const env = activityEnv();

    const busy = await rejectionOf(env.run(activities.notify, event({ webhookUrl: `${httpBase}/secret-token-503` })));
    expect(busy).toBeInstanceOf(ApplicationFailure);
    expect((busy as ApplicationFailure).type).toBe('NotificationDeliveryError');
    expect((busy as ApplicationFailure).nonRetryable).toBe(false);
    expect(busy.message).toBe(`webhook ${httpBase} answered HTTP 503 to the backup notification of orders`);

    const throttled = await rejectionOf(
      env.run(activities.notify, event({ webhookUrl: `${httpBase}/secret-token-429` })),
    );
    expect((throttled as ApplicationFailure).nonRetryable).toBe(false);

    const missing = await rejectionOf(
      env.run(activities.notify, event({ webhookUrl: `${httpBase}/secret-token-404` })),
    );
    expect((missing as ApplicationFailure).type).toBe('NotificationRejectedError');
    expect((missing as ApplicationFailure).nonRetryable).toBe(true);
    for (const error of [busy, throttled, missing]) expect(error.message).not.toContain('secret-token');
  });

  it('gives up on a webhook that does not answer within the timeout, retryably', async () => {
    answers.set('/silent', () => undefined);
    const notifier = createNotifier({ smtpFrom: 'ops@example.com', webhookTimeoutMs: 200 });
    const error = await rejectionOf(notifier.notify(event({ webhookUrl: `${httpBase}/silent` })));
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error.message).toBe(`webhook ${httpBase} could not be reached: no answer within 200 ms`);
  });

  it('fails retryably when the webhook cannot be reached, and for good when its URL is not http(s)', async () => {
    const notifier = createNotifier({ smtpFrom: 'ops@example.com' });
    const closedPort = await freedPort();
    const refused = await rejectionOf(notifier.notify(event({ webhookUrl: `http://127.0.0.1:${closedPort}/x` })));
    expect(refused).toBeInstanceOf(NotificationDeliveryError);
    expect(refused.message).toMatch(
      new RegExp(`^webhook http://127\\.0\\.0\\.1:${closedPort} could not be reached: .*ECONNREFUSED`),
    );
    const bad = await rejectionOf(notifier.notify(event({ webhookUrl: 'ftp://example.com/x' })));
    expect(bad).toBeInstanceOf(NotificationRejectedError);
  });

  it('reports an SMTP login refusal for good, without the password', async () => {
    const notifier = createNotifier({ smtpUrl: smtpUrl('wrong-Pa55word'), smtpFrom: 'ops@example.com' });
    try {
      const error = await rejectionOf(notifier.notify(event({ emails: ['dba@example.com'] })));
      expect(error).toBeInstanceOf(NotificationRejectedError);
      expect(error.message).toMatch(/^email to dba@example\.com about orders failed: .*535/);
      expect(`${error.message}\n${error.stack}`).not.toContain('wrong-Pa55word');
    } finally {
      notifier.close();
    }
    expect(mails).toEqual([]);
  });
});
