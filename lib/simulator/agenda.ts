import type { SimulationInput } from './events-file';
import type { SimulatedSchedule, SimulatedStack } from './model';

/** Something that happens at a time: an events line, a schedule's firing, a run finishing, or a queue's poller looking. */
export type AgendaItem =
  | { readonly kind: 'line'; readonly atMs: number; readonly input: SimulationInput }
  | { readonly kind: 'schedule'; readonly atMs: number; readonly stack: SimulatedStack; readonly schedule: SimulatedSchedule }
  | { readonly kind: 'finished'; readonly atMs: number; readonly stack: SimulatedStack; readonly pipelineName: string; readonly executionArn: string; readonly status: 'Succeeded' | 'Failed'; readonly startedAtMs: number }
  | { readonly kind: 'poll'; readonly atMs: number; readonly queueArn: string };

type Entry = { readonly item: AgendaItem; readonly order: number };

const before = (a: Entry, b: Entry): boolean => a.item.atMs < b.item.atMs || (a.item.atMs === b.item.atMs && a.order < b.order);

/**
 * The items still to happen, taken in time order (a binary heap); items at the same time keep the order they
 * were added in: lines in file order before the schedules that fire at their time, a run's end after what
 * started it.
 */
export class Agenda {
  private readonly heap: Entry[] = [];
  private added = 0;

  get size(): number {
    return this.heap.length;
  }

  add(item: AgendaItem): void {
    const heap = this.heap;
    heap.push({ item, order: this.added++ });
    for (let index = heap.length - 1; index > 0; ) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index], heap[parent])) break;
      [heap[index], heap[parent]] = [heap[parent], heap[index]];
      index = parent;
    }
  }

  next(): AgendaItem | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (heap.length > 0) {
      heap[0] = last;
      for (let index = 0; ; ) {
        const left = 2 * index + 1;
        const right = left + 1;
        let first = index;
        if (left < heap.length && before(heap[left], heap[first])) first = left;
        if (right < heap.length && before(heap[right], heap[first])) first = right;
        if (first === index) break;
        [heap[index], heap[first]] = [heap[first], heap[index]];
        index = first;
      }
    }
    return top.item;
  }
}
