import { checkInvariants, type Violation } from './invariants';
import { planOf, runModel, type Observation, type Plan } from './model';
import { startServices, type System } from './system';

export interface SeedResult {
  readonly plan: Plan;
  readonly violations: readonly Violation[];
  readonly observation: Observation;
  readonly wallMs: number;
}

/** Runs one seed on fresh local services and checks every invariant; `tamper` breaks the composition on purpose. */
export async function runSeed(seed: number, options: { readonly steps?: number; readonly delivery?: Plan['delivery']; readonly tamper?: (system: System) => void } = {}): Promise<SeedResult> {
  const started = Date.now();
  const plan = planOf(seed, options.steps, options.delivery);
  const services = await startServices();
  try {
    const observation = await runModel(services, plan, { tamper: options.tamper });
    return { plan, violations: checkInvariants(observation), observation, wallMs: Date.now() - started };
  } finally {
    await services.stop();
  }
}

/** One line: the seed, its plan, and how much the run exercised. */
export function summary(result: SeedResult): string {
  const { plan, observation } = result;
  const { model } = observation;
  return `seed ${plan.seed}: ${result.violations.length} violation(s); ${plan.steps} steps, crash p=${plan.crashProbability}, policy ${JSON.stringify(plan.policy)}, batchSize ${plan.batchSize}, ${plan.delivery} delivery, maxStartAttempts ${plan.maxStartAttempts}; ` +
    `${model.deliveries} deliveries, ${model.crashes} crashes, ${observation.executions.length} executions, ${model.objects.length} objects, ${model.asked.size} requests, ${Math.round(result.wallMs / 100) / 10}s`;
}
