import * as fs from 'node:fs';
import * as path from 'node:path';
import { machineDescription, type BenchmarkSection } from './harness';
import { benchBatcherCost } from './batcher-cost';
import { benchBurst } from './burst';
import { benchColdStart } from './cold-start';
import { benchCoordinatorLatency } from './coordinator-latency';
import { benchDriftMonitor } from './drift-monitor';
import { benchGoogle } from './google';
import { benchSimulate } from './simulate';
import { benchSynth } from './synth';
import { benchThroughput } from './throughput';

const BENCHMARKS: Record<string, () => BenchmarkSection | Promise<BenchmarkSection>> = {
  synth: benchSynth,
  'batcher-cost': benchBatcherCost,
  burst: benchBurst,
  throughput: benchThroughput,
  'coordinator-latency': benchCoordinatorLatency,
  'cold-start': benchColdStart,
  google: benchGoogle,
  'drift-monitor': benchDriftMonitor,
  simulate: benchSimulate,
};

/**
 * Runs every benchmark on this machine, loopback only, and rewrites BENCHMARKS.md. Each figure stands
 * next to a baseline measured in the same run. Named benchmarks (`npm run bench -- synth`) run alone and
 * replace only their own sections.
 */
async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  const sections: BenchmarkSection[] = [];
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) sections.push(await BENCHMARKS[name]());
  const file = path.join(__dirname, '..', 'BENCHMARKS.md');
  if (names.length > 0) {
    let document = fs.readFileSync(file, 'utf8');
    for (const section of sections) {
      const start = document.indexOf(`## ${section.title}\n`);
      if (start < 0) throw new Error(`BENCHMARKS.md has no section '${section.title}': run every benchmark`);
      const next = document.indexOf('\n## ', start + 1);
      document = `${document.slice(0, start)}## ${section.title}\n\n${section.body}\n${next < 0 ? '' : document.slice(next)}`;
    }
    fs.writeFileSync(file, document);
    process.stdout.write(sections.map((section) => `## ${section.title}\n\n${section.body}\n`).join('\n'));
    return;
  }
  const document = [
    '# Benchmarks',
    '',
    'Reproduce with `npm ci && npm run bench`: it runs every benchmark on the local machine (loopback only)',
    'and rewrites this file. Absolute times drift on shared machines, so read each figure against the',
    'baseline measured in the same run.',
    '',
    `Machine of the last run: ${machineDescription()}.`,
    '',
    ...sections.flatMap((section) => [`## ${section.title}`, '', section.body, '']),
  ].join('\n');
  fs.writeFileSync(file, document);
  process.stdout.write(document);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
