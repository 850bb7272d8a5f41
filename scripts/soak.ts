/**
 * Runs the system model over many seeds: `tsx scripts/soak.ts --seeds 200 --from 1000 [--steps 60]`.
 * Prints one line per seed that violates an invariant (replay it with `--seeds 1 --from <seed> --verbose`,
 * which adds every violation and the crashes of each delivery) and a total; exits 1 on any violation, known
 * bugs (KNOWN_BUGS in test/system/invariants.ts) included.
 */
import { describeViolations, knownBugOf } from '../test/system/violations';
import { runSeed, summary } from '../test/system/seed-run';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

async function main(): Promise<number> {
  const count = option('seeds', 50);
  const from = option('from', 1);
  const steps = process.argv.includes('--steps') ? option('steps', 60) : undefined;
  const verbose = process.argv.includes('--verbose');
  const started = Date.now();
  const byInvariant = new Map<string, number>();
  let failing = 0;
  let newKinds = 0;
  for (let seed = from; seed < from + count; seed++) {
    const result = await runSeed(seed, { steps });
    if (verbose) console.log(summary(result));
    if (result.violations.length === 0) continue;
    failing++;
    for (const invariant of new Set(result.violations.map((violation) => violation.invariant))) byInvariant.set(invariant, (byInvariant.get(invariant) ?? 0) + 1);
    const unknown = result.violations.filter((violation) => knownBugOf(violation) === undefined);
    if (unknown.length > 0) newKinds++;
    const first = unknown[0] ?? result.violations[0];
    const counts = [...new Set(result.violations.map((violation) => violation.invariant.split(' ')[0]))]
      .map((number) => `#${number} x${result.violations.filter((violation) => violation.invariant.startsWith(`${number} `)).length}`);
    console.log(verbose
      ? describeViolations(seed, result.violations)
      : `seed ${seed}: ${result.violations.length} violation(s) [${counts.join(', ')}], ${unknown.length} not of a known bug; first: invariant ${first.invariant}: ${first.detail}`);
    if (verbose) console.log(result.observation.model.trace.join('\n'));
  }
  console.log(`${count} seeds from ${from}: ${failing} with violations (${newKinds} with violations not of a known bug), in ${Math.round((Date.now() - started) / 1000)} s`);
  for (const [invariant, seeds] of byInvariant) console.log(`  invariant ${invariant}: ${seeds} seed(s)`);
  return failing > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
