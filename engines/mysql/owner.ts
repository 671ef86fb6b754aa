/**
 * The cluster's application owner on MariaDB/MySQL: the account `GET …/credentials` hands out.
 *
 * It holds no global privilege at all (so nothing on `mysql.*`, no FILE, SUPER, READ ONLY ADMIN,
 * BINLOG ADMIN, SHUTDOWN, REPLICATION *, CREATE USER): global CREATE USER alone would let it rename,
 * re-password or drop any account, the product's included. What it may do goes through procedures in
 * the `dbco` database, which run as the admin and check their arguments:
 *
 *   CALL dbco.create_database('shop')   -- ALL PRIVILEGES ON `shop`.* WITH GRANT OPTION, then creates it
 *   CALL dbco.create_user('app', 'pw')   -- an account with no privileges; the owner GRANTs it what it
 *   CALL dbco.set_password('app', 'pw')     needs on its own databases (grant option there only)
 *   CALL dbco.drop_user('app')           -- only accounts made by create_user
 *
 * So every account the owner makes holds at most what the owner holds on the owner's databases.
 *
 * Like the product's own accounts, the owner and the procedures are put in place on every node
 * without binlogging them (configuring a node as primary or replica does it): account maintenance
 * must not add GTIDs that the nodes then have to agree on (two primaries set up side by side would
 * diverge). What the owner does through the procedures is binlogged and replicates like any change.
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { requireOwner, type OwnerCredentials } from '../owner';
import type { EngineNode } from '../types';
import type { DriverContext } from './context';
import { withNode, type Session } from './session';

export const OWNER_DATABASE = 'dbco';
/** Bumped whenever the procedures or grants below change, so every primary installs the new ones once. */
const OWNER_SCHEME_VERSION = 1;
/** Databases no owner may create or be granted. */
const SYSTEM_DATABASES = ['mysql', 'sys', 'performance_schema', 'information_schema', OWNER_DATABASE];
/** Database names the owner may use: no backtick, quote or wildcard, never a leading '-' (see tools). */
export const OWNER_DATABASE_NAME = /^[A-Za-z0-9_$][A-Za-z0-9_$-]{0,63}$/;

/** The owner named by the node's credentials (never one of the server's own accounts). */
export function ownerOf(node: Pick<EngineNode, 'name' | 'credentials'>): OwnerCredentials {
  return requireOwner(node, (name) => ['root', 'mariadb.sys', 'PUBLIC'].includes(name));
}

/** MariaDB's mysql_native_password hash, so the password itself never reaches the server. */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

/** `'user'@'%'` */
function account(user: string): string {
  return `${mysql.escape(user)}@'%'`;
}

/** Creates or updates the owner on this node (primary or replica), unbinlogged; open sessions stay open. */
export async function ensureOwner(context: DriverContext, node: EngineNode): Promise<void> {
  const changed = await withNode(node, (session) => ensureOwnerIn(session, node));
  if (changed) context.log('mysql owner in place', { node: node.name, owner: node.credentials.ownerUser });
}

/** The same in an open admin session; true when something had to change. */
export async function ensureOwnerIn(session: Session, node: EngineNode): Promise<boolean> {
  const owner = ownerOf(node);
  if (await ownerInPlace(session, owner)) return false;
  await session.query('SET SESSION sql_log_bin = 0');
  try {
    await installOwner(session, node, owner);
  } finally {
    await session.query('SET SESSION sql_log_bin = 1');
  }
  return true;
}

async function ownerInPlace(session: Session, owner: OwnerCredentials): Promise<boolean> {
  const user = await session.one({
    sql: "SELECT authentication_string AS `hash` FROM mysql.user WHERE User = ? AND Host = '%'",
    values: [owner.user],
  });
  if (user === undefined || user.hash !== nativePasswordHash(owner.password)) return false;
  const scheme = await session
    .one(`SELECT MAX(version) AS \`version\` FROM \`${OWNER_DATABASE}\`.scheme`)
    .catch(() => undefined);
  return Number(scheme?.version) === OWNER_SCHEME_VERSION;
}

async function installOwner(session: Session, node: EngineNode, owner: OwnerCredentials): Promise<void> {
  const db = `\`${OWNER_DATABASE}\``;
  const hash = mysql.escape(nativePasswordHash(owner.password));
  await session.run([
    { sql: `CREATE DATABASE IF NOT EXISTS ${db}` },
    { sql: `CREATE TABLE IF NOT EXISTS ${db}.managed_users (user VARCHAR(128) NOT NULL PRIMARY KEY) ENGINE=InnoDB` },
    { sql: `CREATE TABLE IF NOT EXISTS ${db}.scheme (version INT NOT NULL PRIMARY KEY) ENGINE=InnoDB` },
    { sql: `CREATE USER IF NOT EXISTS ${account(owner.user)} IDENTIFIED BY PASSWORD ${hash}` },
    { sql: `ALTER USER ${account(owner.user)} IDENTIFIED BY PASSWORD ${hash}` },
    ...ownerProcedures(node, owner).map((sql) => ({ sql })),
    { sql: `GRANT EXECUTE ON ${db}.* TO ${account(owner.user)}` },
    { sql: `INSERT IGNORE INTO ${db}.scheme (version) VALUES (${OWNER_SCHEME_VERSION})` },
  ]);
}

/** The procedures, as the admin (their definer): every name is checked before it reaches a statement. */
function ownerProcedures(node: EngineNode, owner: OwnerCredentials): string[] {
  const definer = `DEFINER = ${account(node.credentials.adminUser)}`;
  const db = `\`${OWNER_DATABASE}\``;
  const ownerAccount = mysql.escape(account(owner.user));
  const reservedUsers = [
    node.credentials.adminUser,
    node.credentials.replicationUser,
    owner.user,
    'root',
    'mariadb.sys',
    'PUBLIC',
  ]
    .map((user) => mysql.escape(user))
    .join(', ');
  const systemDatabases = SYSTEM_DATABASES.map((name) => mysql.escape(name)).join(', ');
  const refuse = (message: string) => `SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = ${mysql.escape(message)}`;
  const refuseUnmanaged = `IF user_name IS NULL OR NOT EXISTS (SELECT 1 FROM ${db}.managed_users WHERE user = user_name) THEN
      ${refuse(`not an account made with ${OWNER_DATABASE}.create_user`)};
    END IF;`;
  return [
    `CREATE OR REPLACE ${definer} PROCEDURE ${db}.create_database(IN db_name VARCHAR(64)) SQL SECURITY DEFINER
    BEGIN
      IF db_name IS NULL OR db_name NOT REGEXP ${mysql.escape(OWNER_DATABASE_NAME.source)} OR db_name IN (${systemDatabases}) THEN
        ${refuse('database name refused: use up to 64 letters, digits, _, $ or -, not starting with -, and no system database')};
      END IF;
      -- '_' is a wildcard in a GRANT's database name; escaped, the grant covers this database only.
      EXECUTE IMMEDIATE CONCAT('GRANT ALL PRIVILEGES ON \`', REPLACE(db_name, '_', '\\\\_'), '\`.* TO ', ${ownerAccount}, ' WITH GRANT OPTION');
      EXECUTE IMMEDIATE CONCAT('CREATE DATABASE IF NOT EXISTS \`', db_name, '\`');
    END`,
    `CREATE OR REPLACE ${definer} PROCEDURE ${db}.create_user(IN user_name VARCHAR(80), IN user_password TEXT) SQL SECURITY DEFINER
    BEGIN
      IF user_name IS NULL OR user_name NOT REGEXP '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$' OR user_name IN (${reservedUsers}) THEN
        ${refuse('user name refused: use up to 80 letters, digits, _, . or -, and no name of the product or the owner')};
      END IF;
      IF user_password IS NULL OR user_password = '' THEN ${refuse('a password is required')}; END IF;
      EXECUTE IMMEDIATE CONCAT('CREATE USER ', QUOTE(user_name), '@''%'' IDENTIFIED BY ', QUOTE(user_password));
      INSERT INTO ${db}.managed_users (user) VALUES (user_name);
    END`,
    `CREATE OR REPLACE ${definer} PROCEDURE ${db}.set_password(IN user_name VARCHAR(80), IN user_password TEXT) SQL SECURITY DEFINER
    BEGIN
      ${refuseUnmanaged}
      IF user_password IS NULL OR user_password = '' THEN ${refuse('a password is required')}; END IF;
      EXECUTE IMMEDIATE CONCAT('ALTER USER ', QUOTE(user_name), '@''%'' IDENTIFIED BY ', QUOTE(user_password));
    END`,
    `CREATE OR REPLACE ${definer} PROCEDURE ${db}.drop_user(IN user_name VARCHAR(80)) SQL SECURITY DEFINER
    BEGIN
      ${refuseUnmanaged}
      EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS ', QUOTE(user_name), '@''%''');
      DELETE FROM ${db}.managed_users WHERE user = user_name;
    END`,
  ];
}
