import { Agenda, type AgendaItem } from '../../lib/simulator/agenda';
import type { SimulationInput } from '../../lib/simulator/events-file';

/** A line item at `atMs`, told apart by its line number. */
function lineAt(atMs: number, line: number): AgendaItem {
  const input: SimulationInput = { kind: 'pipelineSucceeded', atMs, line, fail: false, pipeline: 'p' };
  return { kind: 'line', atMs, input };
}

const lineOf = (item: AgendaItem | undefined): number | undefined => (item?.kind === 'line' ? item.input.line : undefined);

function drain(agenda: Agenda): AgendaItem[] {
  const taken: AgendaItem[] = [];
  for (let item = agenda.next(); item !== undefined; item = agenda.next()) taken.push(item);
  return taken;
}

/** A small deterministic generator, so a failing order can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('Agenda', () => {
  test('gives nothing when empty', () => {
    // Prepare
    const agenda = new Agenda();

    // Act
    const item = agenda.next();

    // Assess
    expect(item).toBeUndefined();
    expect(agenda.size).toBe(0);
  });

  test('takes items in time order, whatever order they were added in', () => {
    // Prepare
    const agenda = new Agenda();
    for (const [atMs, line] of [[300, 1], [100, 2], [200, 3], [50, 4]]) agenda.add(lineAt(atMs, line));

    // Act
    const taken = drain(agenda);

    // Assess
    expect(taken.map((item) => item.atMs)).toEqual([50, 100, 200, 300]);
    expect(taken.map(lineOf)).toEqual([4, 2, 3, 1]);
  });

  test('takes items at the same time in the order they were added', () => {
    // Prepare
    const agenda = new Agenda();
    for (let line = 1; line <= 20; line++) agenda.add(lineAt(line % 2 === 0 ? 100 : 200, line));

    // Act
    const taken = drain(agenda).map(lineOf);

    // Assess
    expect(taken).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  test('places an item added while taking after the items already waiting at its time, and before later ones', () => {
    // Prepare
    const agenda = new Agenda();
    agenda.add(lineAt(100, 1));
    agenda.add(lineAt(100, 2));
    agenda.add(lineAt(200, 3));

    // Act: the first item starts something that happens at once, and something later
    const first = agenda.next();
    agenda.add(lineAt(100, 4));
    agenda.add(lineAt(150, 5));
    const rest = drain(agenda);

    // Assess
    expect(lineOf(first)).toBe(1);
    expect(rest.map(lineOf)).toEqual([2, 4, 5, 3]);
  });

  test('counts what is still to happen', () => {
    // Prepare
    const agenda = new Agenda();
    agenda.add(lineAt(1, 1));
    agenda.add(lineAt(2, 2));

    // Act
    agenda.next();

    // Assess
    expect(agenda.size).toBe(1);
  });

  test('takes 10,000 random items sorted by time, ties in the order added', () => {
    // Prepare
    const random = seeded(20_240_129);
    const agenda = new Agenda();
    const added = Array.from({ length: 10_000 }, (_, index) => ({ atMs: Math.floor(random() * 500), line: index + 1 }));
    for (const { atMs, line } of added) agenda.add(lineAt(atMs, line));

    // Act
    const taken = drain(agenda).map((item) => ({ atMs: item.atMs, line: lineOf(item) }));

    // Assess
    const expected = [...added].sort((a, b) => a.atMs - b.atMs || a.line - b.line);
    expect(taken).toEqual(expected);
    expect(agenda.size).toBe(0);
  });
});
