/**
 * The server binaries this driver runs, where they are, and which server version they are.
 */
import { EngineUnavailableError } from '../errors';
import { DEFAULT_BINARY_DIRS, findBinary, runTool } from './tools';

/** Tool name → Debian package that provides it, for the "install it" hint. */
const PACKAGE_OF = {
  mariadbd: 'mariadb-server',
  'mariadb-install-db': 'mariadb-server',
  mariadb: 'mariadb-client',
  'mariadb-dump': 'mariadb-client',
  'mariadb-binlog': 'mariadb-client',
  'mariadb-backup': 'mariadb-backup',
  mbstream: 'mariadb-backup',
} as const;

export type ToolName = keyof typeof PACKAGE_OF;

export class Binaries {
  private readonly paths = new Map<ToolName, string>();
  private serverVersion: string | undefined;

  constructor(private readonly dirs: readonly string[] = DEFAULT_BINARY_DIRS) {}

  /** Absolute path of the tool; EngineUnavailableError naming the package when it is missing. */
  path(tool: ToolName): string {
    let found = this.paths.get(tool);
    if (found === undefined) {
      found = findBinary(tool, this.dirs);
      if (found === undefined) {
        throw new EngineUnavailableError(
          `${tool} is not installed on this machine (searched PATH and ${this.dirs.join(', ')}); install the ${PACKAGE_OF[tool]} package`,
        );
      }
      this.paths.set(tool, found);
    }
    return found;
  }

  /** Throws EngineUnavailableError for the first missing tool. */
  requireAll(): void {
    for (const tool of Object.keys(PACKAGE_OF) as ToolName[]) this.path(tool);
  }

  /** The installed server's version, e.g. `10.11.19-MariaDB-0+deb12u1`. */
  async version(): Promise<string> {
    if (this.serverVersion === undefined) {
      const output = await runTool({ command: this.path('mariadbd'), args: ['--version'], purpose: 'version check' });
      const match = /Ver\s+(\S+)/.exec(output);
      if (match === null) throw new EngineUnavailableError(`cannot read the server version from "${output.trim()}"`);
      this.serverVersion = match[1];
    }
    return this.serverVersion;
  }
}

/**
 * Whether the requested version (`10.11`, `10.11.19`, `mariadb-10.11`) names the installed server
 * (`10.11.19-MariaDB-...`): its dot-separated parts must be a prefix of the installed ones.
 */
export function versionMatches(requested: string, installed: string): boolean {
  const wanted = requested
    .trim()
    .toLowerCase()
    .replace(/^mariadb-?/, '');
  if (!/^\d+(\.\d+){0,2}$/.test(wanted)) return false;
  const have = installed.split('-')[0].split('.');
  return wanted.split('.').every((part, index) => have[index] === part);
}

export async function checkVersionAvailable(binaries: Binaries, requested: string): Promise<void> {
  binaries.requireAll();
  const installed = await binaries.version();
  if (!versionMatches(requested, installed)) {
    const [major, minor] = installed.split(/[.-]/);
    throw new EngineUnavailableError(
      `mysql version "${requested}" is not available on this machine: the installed server is MariaDB ${installed.split('-')[0]}; ask for version ${major}.${minor} or install that server`,
    );
  }
}
