/**
 * `ScheduleSpec.timezoneData`: zone rules given inline as a TZif file (what Go's
 * `time.LoadLocationFromTZData` reads).
 */
import type { TimeZone } from './timezone';

/** TZif data this server cannot use; the message says what to send instead. */
export class TimezoneDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export function parseTimezoneData(_name: string, _data: Uint8Array): TimeZone {
  throw new TimezoneDataError(
    'inline TZif zone data is not supported by this server; leave timezoneData empty and set timezoneName ' +
      'to the IANA name of the zone (e.g. "Europe/Berlin")',
  );
}
