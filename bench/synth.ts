import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { medianMs, table, type BenchmarkSection } from './harness';
import { TRIGGER_KINDS, type TriggerKind } from './synth-stacks';

const TRIGGER_COUNTS = [1, 10, 50, 150] as const;
const IN_PROCESS_RUNS = 9;
const PROCESS_RUNS = 3;
const RESOURCE_LIMIT = 500;
const TSX = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');

function synthInProcess(kind: TriggerKind, count: number): number {
  const app = new App();
  TRIGGER_KINDS[kind](new Stack(app, 'Bench'), count);
  const template = app.synth().getStackByName('Bench').template as { Resources?: Record<string, unknown> };
  return Object.keys(template.Resources ?? {}).length;
}

function synthInFreshProcess(kind: TriggerKind, count: number): void {
  execFileSync(TSX, [path.join(__dirname, 'synth-app.ts'), kind, String(count)], { stdio: 'ignore' });
}

function benchKind(kind: TriggerKind): string {
  const rows = TRIGGER_COUNTS.map((count) => {
    let resources = 0;
    const inProcess = medianMs(IN_PROCESS_RUNS, () => {
      resources = synthInProcess(kind, count);
    });
    const process = medianMs(PROCESS_RUNS, () => synthInFreshProcess(kind, count));
    return { count, resources, inProcess, process };
  });
  const first = rows[0];
  const last = rows[rows.length - 1];
  const perTrigger = (last.resources - first.resources) / (last.count - first.count);
  const processRatio = last.process / first.process;
  return [
    `### ${kind}`,
    '',
    table(
      ['triggers', 'resources', 'in process (ms)', 'fresh process (ms)', 'fresh process vs 1 trigger'],
      rows.map((row) => [row.count, row.resources, row.inProcess.toFixed(1), row.process.toFixed(0), `${(row.process / first.process).toFixed(2)}x`]),
    ),
    '',
    `- Resources per added trigger: ${perTrigger.toFixed(2)} (target at most 3): ${perTrigger <= 3 ? 'met' : 'not met'}.`,
    last.resources <= RESOURCE_LIMIT
      ? `- ${last.count} triggers use ${last.resources} of CloudFormation's ${RESOURCE_LIMIT} resources per stack.`
      : `- ${last.count} triggers would need ${last.resources} resources, over CloudFormation's ${RESOURCE_LIMIT} per stack: ` +
        `at most ${Math.floor((RESOURCE_LIMIT - first.resources) / perTrigger) + first.count} fit in one stack.`,
    `- A fresh-process synth at ${last.count} triggers takes ${processRatio.toFixed(2)}x the one at 1 trigger (target at most 2x): ${processRatio <= 2 ? 'met' : 'not met'}.`,
    `- Each added trigger costs ${((last.inProcess - first.inProcess) / (last.count - first.count)).toFixed(2)} ms of synthesis.`,
  ].join('\n');
}

/** Synthesis time and CloudFormation resource count for stacks of N triggers of each kind. */
export function benchSynth(): BenchmarkSection {
  const emptyInProcess = medianMs(IN_PROCESS_RUNS, () => synthInProcess('scheduled', 0));
  const emptyProcess = medianMs(PROCESS_RUNS, () => synthInFreshProcess('scheduled', 0));
  const body = [
    'One stack holding N triggers of one kind (scheduled: daily crons at different times; data-arrival: one',
    `prefix each on one bucket), each with one static parameter. "In process" builds and synthesizes the app`,
    `inside this process (median of ${IN_PROCESS_RUNS} after a warm-up); "fresh process" runs the app the way`,
    `\`cdk synth\` does, loading aws-cdk-lib and this library from cold (median of ${PROCESS_RUNS}). Baselines in`,
    `the same run, an empty stack: ${emptyInProcess.toFixed(1)} ms in process, ${emptyProcess.toFixed(0)} ms as a fresh process.`,
    '',
    ...(Object.keys(TRIGGER_KINDS) as TriggerKind[]).flatMap((kind) => [benchKind(kind), '']),
  ].join('\n');
  return { title: 'Synthesis: triggers per stack', body };
}
