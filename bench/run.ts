import * as fs from 'node:fs';
import * as path from 'node:path';
import { machineDescription, type BenchmarkSection } from './harness';
import { benchBatcherCost } from './batcher-cost';
import { benchColdStart } from './cold-start';
import { benchCoordinatorLatency } from './coordinator-latency';
import { benchGoogle } from './google';
import { benchSynth } from './synth';
import { benchThroughput } from './throughput';

/**
 * Runs every benchmark on this machine, loopback only, and rewrites BENCHMARKS.md.
 * Each figure stands next to a baseline measured in the same run.
 */
async function main(): Promise<void> {
  const sections: BenchmarkSection[] = [
    benchSynth(),
    await benchBatcherCost(),
    await benchThroughput(),
    await benchCoordinatorLatency(),
    benchColdStart(),
    benchGoogle(),
  ];
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
  fs.writeFileSync(path.join(__dirname, '..', 'BENCHMARKS.md'), document);
  process.stdout.write(document);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
