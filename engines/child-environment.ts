/**
 * The environment every engine process and tool starts with: what locating binaries, messages and
 * times need, and nothing of the product's own (API tokens, the codec key, mail or Temporal
 * credentials). A server a tenant can talk to must not be able to read the product's secrets from
 * its environment (`/proc/<pid>/environ`, or an engine that prints its environment).
 */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'] as const;

export function childEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin' };
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}
