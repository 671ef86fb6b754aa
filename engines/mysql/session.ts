/**
 * Short-lived SQL sessions over mysql2. Every driver call opens its own connection and closes it, so a
 * restarted node or a moved endpoint never leaves a stale pool behind.
 *
 * mysql2's errors carry the statement text (`sql`), which for CHANGE MASTER includes the replication
 * password; they are therefore never passed on as a cause: only their code, number and redacted
 * message are kept.
 */
import mysql from 'mysql2/promise';
import { InfraError, NodeNotReadyError } from '../errors';
import type { EngineNode } from '../types';
import { flavourOf, type Flavour, type Statement } from './flavour';
import { redact } from './tools';

export interface ConnectTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
  connectTimeoutMs: number;
}

/** A statement failed on the server; `code` is mysql2's (e.g. ER_OPTION_PREVENTS_STATEMENT). */
export class SqlError extends InfraError {
  readonly retryable = true;
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly errno: number | undefined,
  ) {
    super(message);
  }
}

/** The fields of a mysql2 error we look at. */
export interface DriverErrorShape {
  code?: string;
  errno?: number;
  message?: string;
}

export function errorShape(error: unknown): DriverErrorShape {
  return typeof error === 'object' && error !== null ? (error as DriverErrorShape) : { message: String(error) };
}

export type Row = Record<string, unknown>;

export class Session {
  private constructor(
    private readonly connection: mysql.Connection,
    readonly version: string,
    readonly flavour: Flavour,
    private readonly secrets: readonly string[],
    private readonly label: string,
  ) {}

  /** Opens a session; mysql2's connection errors are rethrown as they are for the caller to classify. */
  static async open(target: ConnectTarget, label: string, secrets: readonly string[] = []): Promise<Session> {
    const connection = await mysql.createConnection({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      connectTimeout: target.connectTimeoutMs,
      // Positions and sizes are compared as numbers; DECIMAL sums fit a double for anything we read.
      decimalNumbers: true,
      multipleStatements: false,
    });
    // A failure after connecting (server gone) must not become an unhandled 'error' event.
    connection.on('error', () => undefined);
    try {
      const [rows] = await connection.query('SELECT VERSION() AS `version`');
      const version = String((rows as Row[])[0].version);
      return new Session(connection, version, flavourOf(version), [target.password, ...secrets], label);
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  async query(statement: Statement | string): Promise<Row[]> {
    const { sql, values } = typeof statement === 'string' ? { sql: statement, values: undefined } : statement;
    try {
      const [rows] = await this.connection.query(sql, values);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    } catch (error) {
      const shape = errorShape(error);
      throw new SqlError(
        `${this.label}: ${redact(shape.message ?? 'statement failed', this.secrets)}`,
        shape.code,
        shape.errno,
      );
    }
  }

  async run(statements: Statement[]): Promise<void> {
    for (const statement of statements) await this.query(statement);
  }

  async one(statement: Statement | string): Promise<Row | undefined> {
    return (await this.query(statement))[0];
  }

  async close(): Promise<void> {
    await this.connection.end().catch(() => this.connection.destroy());
  }
}

export const NODE_CONNECT_TIMEOUT_MS = 5_000;

export function adminTarget(node: EngineNode, connectTimeoutMs = NODE_CONNECT_TIMEOUT_MS): ConnectTarget {
  return {
    host: node.host,
    port: node.port,
    user: node.credentials.adminUser,
    password: node.credentials.adminPassword,
    connectTimeoutMs,
  };
}

function nodeSecrets(node: EngineNode): string[] {
  const { adminPassword, replicationPassword, ownerPassword } = node.credentials;
  return [adminPassword, replicationPassword, ...(ownerPassword ? [ownerPassword] : [])];
}

/** Opens an admin session on the node; a node that does not answer raises NodeNotReadyError. */
export async function openNode(node: EngineNode, connectTimeoutMs = NODE_CONNECT_TIMEOUT_MS): Promise<Session> {
  try {
    return await Session.open(adminTarget(node, connectTimeoutMs), `node ${node.name}`, nodeSecrets(node));
  } catch (error) {
    const shape = errorShape(error);
    throw new NodeNotReadyError(
      `node ${node.name} (${node.host}:${node.port}) does not accept admin connections: ${redact(
        shape.message ?? shape.code ?? 'unknown error',
        nodeSecrets(node),
      )}`,
    );
  }
}

/** Runs `work` in an admin session on the node and closes the session whatever happens. */
export async function withNode<T>(node: EngineNode, work: (session: Session) => Promise<T>): Promise<T> {
  const session = await openNode(node);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
