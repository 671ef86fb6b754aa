import { describe, expect, it } from 'vitest';
import { parseControlData } from './control-data';

const SAMPLE = `pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7312345678901234567
Database cluster state:               shut down in recovery
pg_control last modified:             Sat 21 Nov 2026 11:40:00 PM UTC
Latest checkpoint location:           0/3000060
Latest checkpoint's TimeLineID:       2
Latest checkpoint's PrevTimeLineID:   2
Minimum recovery ending location:     0/3000110
Min recovery ending loc's timeline:   2
`;

describe('parseControlData', () => {
  it('reads the identity, state and timelines', () => {
    expect(parseControlData(SAMPLE)).toEqual({
      systemIdentifier: '7312345678901234567',
      clusterState: 'shut down in recovery',
      timeline: 2,
      minRecoveryTimeline: 2,
    });
  });

  it('names a missing field', () => {
    expect(() => parseControlData('Database cluster state: shut down\n')).toThrow(/Database system identifier/);
  });
});
