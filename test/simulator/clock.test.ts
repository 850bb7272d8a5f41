import { VirtualClock } from '../../lib/simulator/clock';

const JUNE_FIRST = Date.UTC(2024, 5, 1, 9, 30);

describe('VirtualClock', () => {
  let clock: VirtualClock;
  beforeEach(() => {
    clock = new VirtualClock(JUNE_FIRST);
  });
  afterEach(() => clock.uninstall());

  test('moves forward with set and never goes back', () => {
    // Act
    const later = clock.set(JUNE_FIRST + 60_000);
    const afterEarlier = clock.set(JUNE_FIRST);

    // Assess
    expect(later).toBe(JUNE_FIRST + 60_000);
    expect(afterEarlier).toBe(JUNE_FIRST + 60_000);
    expect(clock.now()).toBe(JUNE_FIRST + 60_000);
  });

  test('advances by a duration and refuses a negative one', () => {
    // Act
    clock.advance(1_000);

    // Assess
    expect(clock.now()).toBe(JUNE_FIRST + 1_000);
    expect(() => clock.advance(-1)).toThrow('ms must be a number >= 0, got -1');
  });

  test('once installed, Date.now() and new Date() read the virtual time as it moves', () => {
    // Prepare
    clock.install();

    // Act
    const first = [Date.now(), new Date().toISOString()];
    clock.advance(5_000);
    const second = [Date.now(), new Date().toISOString()];

    // Assess
    expect(first).toEqual([JUNE_FIRST, '2024-06-01T09:30:00.000Z']);
    expect(second).toEqual([JUNE_FIRST + 5_000, '2024-06-01T09:30:05.000Z']);
    expect(Date()).toBe(new Date(JUNE_FIRST + 5_000).toString());
  });

  test('once installed, new Date(x), Date.UTC, Date.parse and instanceof Date behave as before', () => {
    // Prepare
    const before = new Date(0);
    clock.install();

    // Act
    const explicit = new Date('2020-01-02T03:04:05Z');
    const fromParts = new Date(2020, 0, 2);

    // Assess
    expect(explicit.getTime()).toBe(Date.UTC(2020, 0, 2, 3, 4, 5));
    expect(Date.parse('2020-01-02T03:04:05Z')).toBe(explicit.getTime());
    expect(fromParts.getFullYear()).toBe(2020);
    expect(new Date(undefined as unknown as number).getTime()).toBeNaN();
    expect(explicit).toBeInstanceOf(Date);
    expect(before).toBeInstanceOf(Date);
    expect(new Date()).toBeInstanceOf(Date);
    expect(Object.prototype.toString.call(new Date())).toBe('[object Date]');
  });

  test('a class extending Date after install still builds real dates', () => {
    // Prepare
    clock.install();
    class Stamp extends Date {
      label(): string {
        return `at ${this.toISOString()}`;
      }
    }

    // Act
    const stamp = new Stamp();

    // Assess
    expect(stamp.label()).toBe('at 2024-06-01T09:30:00.000Z');
    expect(stamp).toBeInstanceOf(Date);
  });

  test('uninstall puts the real Date back, and a second install or uninstall does nothing', () => {
    // Prepare
    const realDate = Date;
    clock.install();
    clock.install();

    // Act
    clock.uninstall();
    clock.uninstall();

    // Assess
    expect(Date).toBe(realDate);
    expect(clock.installed).toBe(false);
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(1_000);
    expect(Date.now()).toBeGreaterThan(JUNE_FIRST);
  });
});
