import { app } from '@azure/functions';
import { chainHandler } from './handler';
import { AzureMLJobs } from '../adapters/azure-ml-jobs';
import { settle } from '../adapters/functions-host';
import { ManagedIdentityTokenSource } from '../adapters/managed-identity';

export { chainHandler, parseUpstreamRun, type ChainDeps, type UpstreamRun } from './handler';

const handle = chainHandler({ jobs: new AzureMLJobs(new ManagedIdentityTokenSource(Date.now)) });

/**
 * The chain function: an Event Grid subscription on the upstream workspace's system topic delivers RunCompleted and
 * RunStatusChanged here. A delivery that must come back (a retryable submission failure, invalid settings) fails the
 * invocation, so Event Grid retries it and dead-letters it in the end; every other outcome completes it.
 */
app.eventGrid('chain', {
  handler: async (event, context) => settle(await handle(event, context.invocationId)),
});
