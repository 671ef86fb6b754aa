/**
 * The cluster's application owner: the role `GET …/credentials` hands out. It may do what an
 * application needs (log in, create databases, schemas and tables, all DML/DDL on them, roles of its
 * own) and nothing that reaches the host, the product or a fence:
 *
 *   LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS
 *
 * It is deliberately not CREATEROLE: on PostgreSQL 15 a CREATEROLE role can grant itself
 * pg_execute_server_program (shell commands as the server's OS user), pg_read_server_files and
 * pg_write_server_files, and drop or re-password any non-superuser role, the product's replication
 * role included. Instead, `dbco.create_role` / `dbco.alter_role` / `dbco.drop_role` (SECURITY
 * DEFINER functions owned by the admin, executable by the owner only) make roles that are never more
 * than the owner (at most LOGIN and CREATEDB) and give the owner ADMIN OPTION on them, so it grants
 * their membership itself and manages only its own roles. The functions live in the `postgres`
 * database and in template1, so every database created later has them too.
 */
import type { Client } from 'pg';
import { requireOwner, type OwnerCredentials } from '../owner';
import type { EngineNode } from '../types';
import type { DriverContext } from './context';
import { scramSha256Verifier } from './scram';
import { adminTarget, quoteIdent, quoteLiteral, withClient } from './sql';

/** The schema of the owner's role functions, in `postgres` and template1. */
export const OWNER_SCHEMA = 'dbco';

/** The owner named by the node's credentials (never a `pg_` name, which PostgreSQL reserves). */
export function ownerOf(node: Pick<EngineNode, 'name' | 'credentials'>): OwnerCredentials {
  return requireOwner(node, (name) => name.startsWith('pg_'));
}

/**
 * Creates or updates the owner on a primary (a standby receives it by replication: no-op there).
 * Sessions the owner already has stay open when only its password changes.
 */
export async function ensureOwner(ctx: DriverContext, node: EngineNode): Promise<void> {
  const owner = ownerOf(node);
  const isPrimary = await withClient(adminTarget(node), async (client) => {
    if ((await client.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r) return false;
    // A fenced primary opens transactions read-only; the product's own maintenance is not a client write.
    await client.query('set default_transaction_read_only = off');
    await upsertOwnerRole(client, owner);
    await client.query(
      `grant connect, create, temporary on database postgres to ${quoteIdent(owner.user)};
       grant usage, create on schema public to ${quoteIdent(owner.user)}`,
    );
    await installRoleFunctions(client, node.credentials.adminUser, owner.user);
    return true;
  });
  if (!isPrimary) return;
  await withClient(adminTarget(node, 'template1'), async (client) => {
    await client.query('set default_transaction_read_only = off');
    await installRoleFunctions(client, node.credentials.adminUser, owner.user);
  });
  ctx.logger.info(`node ${node.name}: owner ${owner.user} in place`);
}

async function upsertOwnerRole(client: Client, owner: OwnerCredentials): Promise<void> {
  const exists = await client.query('select 1 from pg_roles where rolname = $1', [owner.user]);
  const verb = exists.rows.length > 0 ? 'alter' : 'create';
  // The password goes as a SCRAM verifier: the server never sees it in clear.
  await client.query(
    `${verb} role ${quoteIdent(owner.user)} with login createdb nosuperuser nocreaterole noreplication nobypassrls ` +
      `inherit password ${quoteLiteral(scramSha256Verifier(owner.password))}`,
  );
}

/**
 * The owner's role-management functions. Each runs as the admin with a fixed search_path (so no
 * object the owner creates can stand in for a catalog function) and refuses roles the owner does not
 * administer, which the product's roles never are.
 */
async function installRoleFunctions(client: Client, adminUser: string, ownerUser: string): Promise<void> {
  const schema = quoteIdent(OWNER_SCHEMA);
  const owner = quoteLiteral(ownerUser);
  const header = 'language plpgsql security definer set search_path = pg_catalog, pg_temp';
  const managed = `exists (select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid
                     join pg_roles o on o.oid = m.member
                    where r.rolname = role_name and o.rolname = ${owner} and m.admin_option and not r.rolsuper)`;
  const refuseUnmanaged = `if role_name is null or not ${managed} then
      raise exception 'role % is not a role of %', coalesce(role_name, '(null)'), ${owner}
        using errcode = 'insufficient_privilege';
    end if;`;
  const attributes = `case when can_login then ' login' else ' nologin' end
             || case when can_create_databases then ' createdb' else ' nocreatedb' end`;
  await client.query(`
    create schema if not exists ${schema} authorization ${quoteIdent(adminUser)};
    revoke all on schema ${schema} from public;
    grant usage on schema ${schema} to ${quoteIdent(ownerUser)};

    create or replace function ${schema}.create_role(role_name text, password text default null,
        can_login boolean default true, can_create_databases boolean default false)
      returns void ${header} as $fn$
    begin
      if role_name is null or role_name = '' or role_name like 'pg\\_%' then
        raise exception 'role name % is reserved or empty', coalesce(role_name, '(null)') using errcode = 'reserved_name';
      end if;
      execute format('create role %I with nosuperuser nocreaterole noreplication nobypassrls inherit', role_name)
        || ${attributes}
        || case when password is null then '' else format(' password %L', password) end;
      execute format('grant %I to %I with admin option', role_name, ${owner});
    end $fn$;

    create or replace function ${schema}.alter_role(role_name text, password text default null,
        can_login boolean default null, can_create_databases boolean default null)
      returns void ${header} as $fn$
    begin
      ${refuseUnmanaged}
      if password is not null then execute format('alter role %I password %L', role_name, password); end if;
      if can_login is not null then
        execute format('alter role %I', role_name) || case when can_login then ' login' else ' nologin' end;
      end if;
      if can_create_databases is not null then
        execute format('alter role %I', role_name) || case when can_create_databases then ' createdb' else ' nocreatedb' end;
      end if;
    end $fn$;

    create or replace function ${schema}.drop_role(role_name text)
      returns void ${header} as $fn$
    begin
      ${refuseUnmanaged}
      execute format('drop role %I', role_name);
    end $fn$;

    revoke all on all functions in schema ${schema} from public;
    grant execute on all functions in schema ${schema} to ${quoteIdent(ownerUser)};
  `);
}
