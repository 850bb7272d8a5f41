import { app } from '@azure/functions';
import { driftHandler, UnreadableBody } from './handler';
import { AzureMLJobs } from '../adapters/azure-ml-jobs';
import { httpAnswer } from '../adapters/functions-host';
import { ManagedIdentityTokenSource } from '../adapters/managed-identity';

export { driftHandler, UnreadableBody, type DriftDeps } from './handler';

const handle = driftHandler({ jobs: new AzureMLJobs(new ManagedIdentityTokenSource(Date.now)) });

/**
 * The drift function: an action group's Azure Function receiver posts the common alert schema here (function key
 * auth). 500 asks the action group to call again (a submission that may pass later, invalid settings); every other
 * outcome is answered 200, including a rejected body, which a retry would only repeat.
 */
app.http('drift', {
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request, context) => httpAnswer(await handle(
    await request.json().catch((error: unknown) => new UnreadableBody(error instanceof Error ? error.message : String(error))),
    context.invocationId,
  )),
});
