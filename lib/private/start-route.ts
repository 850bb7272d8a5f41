import type * as iam from 'aws-cdk-lib/aws-iam';
import type { StartRoute } from '../../lambda/core/contracts/shared';
import type { IRetrainingCoordinator } from '../retraining-coordinator';
import type { ITrainingPipeline } from '../training-pipeline';

/**
 * Wires how a trigger's function starts `pipeline`: through `coordinator` (which may then start it, and
 * which the function may ask) or directly (the function may start it). Returns the route the function's
 * configuration carries, which picks its launcher.
 */
export function wireStartRoute(
  fn: iam.IGrantable,
  pipeline: ITrainingPipeline,
  coordinator: IRetrainingCoordinator | undefined,
  priority?: number,
): StartRoute {
  if (!coordinator) {
    pipeline.grantStartExecution(fn);
    return {};
  }
  coordinator.allowPipeline(pipeline);
  coordinator.grantRequest(fn);
  return { coordinatorFunction: coordinator.function.functionArn, ...(priority !== undefined ? { priority } : {}) };
}
