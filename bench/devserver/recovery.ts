/** Journal recovery: what the devserver reports when it starts on an existing `--db-filename`. */
import { statSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { startDevserver } from './devserver';
import { MissingRecoveryLineError } from './errors';

/** The fields of the devserver's `journal recovered` log line that the benchmark reports. */
export interface RecoveryLine {
  durationMs: number;
  runs: number;
  openRuns: number;
  events: number;
  records: number;
  bytes: number;
}

export interface RecoveryMeasurement extends RecoveryLine {
  /** Journal size on disk before this start. */
  fileBytes: number;
  /** Spawn until the port accepted connections (process start + recovery + bind). */
  listeningMs: number;
  compiled: boolean;
}

const MARKER = ' journal recovered ';
const LINE_WAIT_MS = 5_000;

/** Reads the `journal recovered` line from the devserver's stderr (`--log-format pretty`, the default). */
export function parseRecoveryLine(stderr: string): RecoveryLine {
  const line = stderr.split('\n').find((l) => l.includes(MARKER));
  if (!line) throw new MissingRecoveryLineError(`the devserver logged no "journal recovered" line: ${stderr}`);
  const fields = JSON.parse(line.slice(line.indexOf(MARKER) + MARKER.length)) as Partial<RecoveryLine>;
  const numbers = ['durationMs', 'runs', 'openRuns', 'events', 'records', 'bytes'] as const;
  for (const name of numbers) {
    if (typeof fields[name] !== 'number') {
      throw new MissingRecoveryLineError(`"journal recovered" has no numeric ${name}: ${line}`);
    }
  }
  return fields as RecoveryLine;
}

/** Starts the devserver on `dbFilename`, reads its recovery report, stops it gracefully. */
export async function measureRecovery(
  dbFilename: string,
  track: (child: ChildProcess) => void,
  rebuild = true,
): Promise<RecoveryMeasurement> {
  const fileBytes = statSync(dbFilename).size;
  const server = await startDevserver({ dbFilename, track, rebuild });
  try {
    // Logged before the port is bound, but the pipe may deliver it after the connection succeeded.
    const deadline = performance.now() + LINE_WAIT_MS;
    while (!server.output().includes(MARKER) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return {
      ...parseRecoveryLine(server.output()),
      fileBytes,
      listeningMs: server.listeningMs,
      compiled: server.compiled,
    };
  } finally {
    await server.stop('SIGTERM');
  }
}
