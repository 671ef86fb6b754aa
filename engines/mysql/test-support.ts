/**
 * Helpers for the driver's integration tests: nodes on the local provider, SQL as the admin or as an
 * ordinary client, and a log that remembers every line (to prove no password is ever logged).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { provisionTestNode, type TestNode, type TestProvider } from '../../test/local-provider';
export { recordingLogger, type TestNode } from '../../test/local-provider';
import type { EngineCredentials, EngineNode } from '../types';

export function testCredentials(): EngineCredentials {
  // Punctuation that needs escaping in SQL and option files, to prove it is handled.
  return {
    adminUser: 'orch_admin',
    adminPassword: `Adm'in"\\${randomBytes(6).toString('hex')}`,
    replicationUser: 'orch_repl',
    replicationPassword: `Re;pl\`${randomBytes(6).toString('hex')}`,
    ownerUser: 'owner',
    ownerPassword: `Ow'ner${randomBytes(6).toString('hex')}`,
  };
}

export function provisionNode(
  env: TestProvider,
  cluster: string,
  number: number,
  credentials: EngineCredentials,
): Promise<TestNode> {
  return provisionTestNode(env, { engine: 'mysql', version: '10.11', cluster, number, credentials });
}

/** Runs statements as the node's admin over its private port and returns the last result's rows. */
export async function adminQuery(node: EngineNode, ...statements: string[]): Promise<mysql.RowDataPacket[]> {
  const connection = await mysql.createConnection({
    host: node.host,
    port: node.port,
    user: node.credentials.adminUser,
    password: node.credentials.adminPassword,
  });
  try {
    let rows: mysql.RowDataPacket[] = [];
    for (const sql of statements) [rows] = await connection.query<mysql.RowDataPacket[]>(sql);
    return rows;
  } finally {
    await connection.end();
  }
}

export const APP_USER = 'app';
export const APP_PASSWORD = `app-${randomBytes(6).toString('hex')}`;

/** An ordinary client (no SUPER, no READ ONLY ADMIN), the kind the product's users connect as. */
export function appConnection(host: string, port: number): Promise<mysql.Connection> {
  return mysql.createConnection({ host, port, user: APP_USER, password: APP_PASSWORD, database: 'appdb' });
}

export async function createAppSchema(primary: EngineNode): Promise<void> {
  await adminQuery(
    primary,
    'CREATE DATABASE IF NOT EXISTS appdb',
    'CREATE TABLE IF NOT EXISTS appdb.items (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(64) NOT NULL, origin VARCHAR(16) NOT NULL DEFAULT "")',
    `CREATE USER IF NOT EXISTS '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}'`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON appdb.* TO '${APP_USER}'@'%'`,
  );
}

/** Every row of appdb.items, ordered, as a comparable string list. */
export async function itemRows(node: EngineNode): Promise<string[]> {
  const rows = await adminQuery(node, 'SELECT id, label, origin FROM appdb.items ORDER BY id');
  return rows.map((row) => `${row.id}:${row.label}:${row.origin}`);
}
