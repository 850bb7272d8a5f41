import * as os from 'node:os';
import { performance } from 'node:perf_hooks';

/** One benchmark's contribution to BENCHMARKS.md. */
export interface BenchmarkSection {
  readonly title: string;
  /** Markdown: what was measured, the table, and the target's verdict. */
  readonly body: string;
}

/** Median wall-clock milliseconds of `runs` calls of `fn`, after one warm-up call. */
export function medianMs(runs: number, fn: () => void): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const memoryGiB = Math.round(os.totalmem() / 2 ** 30);
  return `${os.cpus().length} x ${cpu}, ${memoryGiB} GiB, ${os.platform()} ${os.arch()}, Node ${process.version}`;
}

export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
