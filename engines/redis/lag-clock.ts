/**
 * Estimates how many seconds a replica is behind its primary. Redis's replication stream carries no
 * timestamps (unlike MySQL's binlog or PostgreSQL's WAL records), and `master_last_io_seconds_ago` only
 * says when the primary last sent anything, pings included, so neither measures lag.
 *
 * Instead the driver remembers when it saw each primary reach each offset (a sample is taken every time
 * a replica of that primary is health-checked). A replica that has applied offset R is missing the
 * writes after R, and the first time the primary was seen beyond R is when the oldest of those writes had
 * already happened, so `now - that time` is a lower bound on the replica's lag. It grows for as long as
 * the replica stays stuck, and it is 0 for a replica that has applied everything the primary has.
 * The bound is only as fine as the health checks are frequent, and only covers the retained history.
 */

interface Sample {
  atMs: number;
  offset: number;
}

export class LagClock {
  private readonly samples = new Map<string, Sample[]>();

  constructor(
    private readonly now: () => number = Date.now,
    /** Samples kept per primary; a replica stuck for longer than this history reports its age. */
    private readonly maxSamples = 4096,
  ) {}

  /** Records that `primary` (host:port) was at `offset`. An offset going backwards restarts its history. */
  record(primary: string, offset: number): void {
    const history = this.samples.get(primary) ?? [];
    const last = history.at(-1);
    if (last !== undefined && offset < last.offset) history.length = 0;
    // Only the first sighting of an offset matters: lag is measured from when the primary moved past it.
    if (last === undefined || offset !== last.offset || history.length === 0) {
      history.push({ atMs: this.now(), offset });
    }
    if (history.length > this.maxSamples) history.splice(0, history.length - this.maxSamples);
    this.samples.set(primary, history);
  }

  /** Seconds (millisecond precision) a replica of `primary` that has applied `replicaOffset` is behind. */
  secondsBehind(primary: string, replicaOffset: number): number {
    const history = this.samples.get(primary) ?? [];
    const firstAhead = history.find((sample) => sample.offset > replicaOffset);
    if (firstAhead === undefined) return 0;
    return Math.max(0, this.now() - firstAhead.atMs) / 1000;
  }

  /** Forgets a primary whose offsets no longer mean the same thing (erased or restored). */
  forget(primary: string): void {
    this.samples.delete(primary);
  }
}
