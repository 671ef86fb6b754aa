/**
 * Builds a SCRAM-SHA-256 password verifier (RFC 5802/7677, PostgreSQL's stored format) on our side,
 * so `CREATE ROLE ... PASSWORD '<verifier>'` never sends the clear-text password to the server,
 * where it could reach a log line or pg_stat_statements.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096;

export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  // PostgreSQL applies SASLprep; for the ASCII passwords the orchestrator generates it is the identity.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
