/**
 * The simulator's time. Handlers read the time with `Date.now()` and `new Date()`; while a `VirtualClock` is
 * installed, both read its time instead of the machine's, so a replay of last month's events sees last month.
 */
export class VirtualClock {
  private current: number;
  private realDate: DateConstructor | undefined;

  /** @param startMs the time the clock starts at, in milliseconds since the epoch */
  constructor(startMs: number) {
    if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be a finite number of milliseconds, got ${startMs}`);
    this.current = startMs;
  }

  /** The virtual time, in milliseconds since the epoch. */
  now(): number {
    return this.current;
  }

  /** Moves the clock to `ms`; a time earlier than now leaves it where it is, since time never goes back. */
  set(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`ms must be a finite number of milliseconds, got ${ms}`);
    this.current = Math.max(this.current, ms);
    return this.current;
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`ms must be a number >= 0, got ${ms}`);
    return this.set(this.current + ms);
  }

  get installed(): boolean {
    return this.realDate !== undefined;
  }

  /**
   * Replaces `globalThis.Date` until `uninstall()`: `Date.now()`, `new Date()` and `Date()` read the virtual time;
   * `new Date(x)`, `Date.UTC`, `Date.parse` and `instanceof Date` behave as before, and every date is still a
   * real `Date`. Installing an installed clock does nothing.
   */
  install(): void {
    if (this.realDate) return;
    const realDate = globalThis.Date;
    const now = (): number => this.current;
    const virtualDate = new Proxy(realDate, {
      construct: (target, args: unknown[], newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
      apply: () => new realDate(now()).toString(),
      get: (target, property, receiver) => (property === 'now' ? now : Reflect.get(target, property, receiver)),
    });
    this.realDate = realDate;
    globalThis.Date = virtualDate;
  }

  /** Puts back the `Date` that `install()` replaced. */
  uninstall(): void {
    if (!this.realDate) return;
    globalThis.Date = this.realDate;
    this.realDate = undefined;
  }
}
