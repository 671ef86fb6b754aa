/** Workflow timers (StartTimer / CancelTimer commands, TimerFired events). */
import type { TimerHandle } from '../clock';
import { EventType } from '../proto';
import type { Execution } from './execution';

export interface UserTimer {
  timerId: string;
  startedEventId: number;
  fireTime: number;
}

export class UserTimers {
  readonly byId = new Map<string, UserTimer>();
  private readonly handles = new Map<string, TimerHandle>();

  constructor(private readonly exec: Execution) {}

  has(timerId: string): boolean {
    return this.byId.has(timerId);
  }

  start(timerId: string, startToFireMs: number, workflowTaskCompletedEventId: number): void {
    const exec = this.exec;
    const startedEventId = exec.history.append(EventType.EVENT_TYPE_TIMER_STARTED, 'timerStartedEventAttributes', {
      timerId,
      startToFireTimeout: { seconds: Math.floor(startToFireMs / 1000), nanos: (startToFireMs % 1000) * 1e6 },
      workflowTaskCompletedEventId,
    }).eventId!;
    const timer: UserTimer = { timerId, startedEventId, fireTime: exec.now + startToFireMs };
    this.byId.set(timerId, timer);
    this.arm(timer);
  }

  private arm(timer: UserTimer): void {
    this.handles.set(
      timer.timerId,
      this.exec.host.clock.scheduleAt(timer.fireTime, `timer ${timer.timerId}`, () => this.fire(timer.timerId)),
    );
  }

  private fire(timerId: string): void {
    const timer = this.byId.get(timerId);
    if (!timer || !this.exec.isRunning) return;
    this.byId.delete(timerId);
    this.handles.delete(timerId);
    this.exec.addExternalEvent(EventType.EVENT_TYPE_TIMER_FIRED, 'timerFiredEventAttributes', {
      timerId,
      startedEventId: timer.startedEventId,
    });
    this.exec.host.changed(this.exec.key);
  }

  /**
   * CancelTimer command. A timer that fired while the workflow task ran has its TimerFired event
   * still in the buffer: that event is dropped, as the real server does. Returns false when the
   * timer is unknown.
   */
  cancel(timerId: string, workflowTaskCompletedEventId: number, identity: string): boolean {
    const exec = this.exec;
    const timer = this.byId.get(timerId);
    let startedEventId: number | undefined = timer?.startedEventId;
    if (timer) {
      this.handles.get(timerId)?.cancel();
      this.handles.delete(timerId);
      this.byId.delete(timerId);
    } else {
      const fired = exec.history.removeBuffered(
        (e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED && e.attributes.timerId === timerId,
      );
      if (!fired) return false;
      startedEventId = fired.attributes.startedEventId as number;
    }
    exec.history.append(EventType.EVENT_TYPE_TIMER_CANCELED, 'timerCanceledEventAttributes', {
      timerId,
      startedEventId,
      workflowTaskCompletedEventId,
      identity,
    });
    return true;
  }

  snapshot(): UserTimer[] {
    return [...this.byId.values()];
  }

  restore(timers: UserTimer[]): void {
    for (const timer of timers) {
      this.byId.set(timer.timerId, timer);
      this.arm(timer);
    }
  }

  dispose(): void {
    for (const handle of this.handles.values()) handle.cancel();
    this.handles.clear();
  }
}
