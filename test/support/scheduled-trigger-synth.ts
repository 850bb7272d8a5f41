import { ScheduledTrigger, type ScheduledTriggerProps } from '../../lib';
import { stackWithPipeline, template } from './stacks';

/** One ScheduledTrigger with id `Trigger` on the test pipeline, synthesized. */
export function synthTrigger(props: Omit<ScheduledTriggerProps, 'pipeline'>) {
  const { stack, pipeline } = stackWithPipeline();
  const trigger = new ScheduledTrigger(stack, 'Trigger', { pipeline, ...props });
  return { stack, trigger, template: template(stack) };
}
