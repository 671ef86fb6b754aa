/**
 * The event history of one run. Events caused by the outside world (signals, activity results,
 * timers firing, ...) that arrive while a workflow task is running are buffered and written after
 * that task's own events, as the real server does; events produced by commands are written at once.
 */
import { EventType, type HistoryEvent, timestampFromMs } from '../proto';

export type AttributesKey = Extract<keyof HistoryEvent, `${string}EventAttributes`>;
export type EventAttributes<K extends AttributesKey> = NonNullable<HistoryEvent[K]>;

/**
 * An event waiting in the buffer. Its id is assigned when it is written; `startedFromPrevious`
 * marks a result event whose `startedEventId` is the event written just before it (the
 * ActivityTaskStarted the server records together with an activity's result).
 */
export interface BufferedEvent {
  eventType: number;
  key: AttributesKey;
  attributes: Record<string, unknown>;
  time: number;
  startedFromPrevious?: boolean;
}

export class History {
  readonly events: HistoryEvent[] = [];
  private buffered: BufferedEvent[] = [];
  private readonly listeners = new Set<() => void>();
  private sizeBytes = 0;

  /** @param onAppend called after every event written (the journal marks the run dirty). */
  constructor(
    private readonly now: () => number,
    private readonly onAppend: () => void = () => {},
  ) {}

  get nextEventId(): number {
    return this.events.length + 1;
  }

  get lastEvent(): HistoryEvent | undefined {
    return this.events[this.events.length - 1];
  }

  get hasBuffered(): boolean {
    return this.buffered.length > 0;
  }

  /** Rough serialized size, reported to workers (historySizeBytes) and by DescribeWorkflowExecution. */
  get approximateSizeBytes(): number {
    return this.sizeBytes;
  }

  append<K extends AttributesKey>(
    eventType: number,
    key: K,
    attributes: EventAttributes<K>,
    options: { time?: number } = {},
  ): HistoryEvent {
    const event: HistoryEvent = {
      eventId: this.nextEventId,
      eventTime: timestampFromMs(options.time ?? this.now()),
      eventType,
      taskId: nextTaskId(),
      [key]: attributes,
    };
    this.events.push(event);
    this.sizeBytes += estimateSize(attributes) + 32;
    this.onAppend();
    this.notify();
    return event;
  }

  buffer<K extends AttributesKey>(
    eventType: number,
    key: K,
    attributes: EventAttributes<K>,
    options: { startedFromPrevious?: boolean } = {},
  ): void {
    this.buffered.push({
      eventType,
      key,
      attributes: attributes as Record<string, unknown>,
      time: this.now(),
      startedFromPrevious: options.startedFromPrevious,
    });
  }

  /** Puts back a history read from the journal. */
  restore(events: HistoryEvent[], buffered: BufferedEvent[]): void {
    this.events.push(...events);
    this.buffered = [...buffered];
    for (const event of events) this.sizeBytes += estimateSize(event) + 32;
  }

  /** Removes and returns the first buffered event matching `predicate`. */
  removeBuffered(predicate: (event: BufferedEvent) => boolean): BufferedEvent | undefined {
    const index = this.buffered.findIndex(predicate);
    if (index < 0) return undefined;
    return this.buffered.splice(index, 1)[0];
  }

  get bufferedEvents(): readonly BufferedEvent[] {
    return this.buffered;
  }

  flushBuffered(): void {
    const entries = this.buffered;
    this.buffered = [];
    for (const entry of entries) {
      const attributes = entry.startedFromPrevious
        ? { ...entry.attributes, startedEventId: this.nextEventId - 1 }
        : entry.attributes;
      this.append(entry.eventType, entry.key, attributes as never, { time: entry.time });
    }
  }

  /** Drops buffered writes (the run closed and nothing may follow its close event). */
  discardBuffered(): void {
    this.buffered = [];
  }

  /** Calls `listener` after every appended event until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wakes long polls waiting on this history (also when the run's state changes without a new event). */
  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

let taskIdCounter = 1_048_576;
function nextTaskId(): number {
  return taskIdCounter++;
}

function estimateSize(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return 8;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + estimateSize(v), 0);
  let total = 0;
  for (const v of Object.values(value as Record<string, unknown>)) total += estimateSize(v) + 2;
  return total;
}

export const CLOSE_EVENT_TYPES: ReadonlySet<number> = new Set([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);
