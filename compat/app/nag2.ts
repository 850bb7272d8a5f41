// The team's entry point with cdk-nag 2: rule packs run as aspects, findings become synth annotations.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { coordinatorWithoutCoordinatedSchedule, everyConstruct, pipelineAndBusOfTheApp, teamOwned } from './compositions';

const [pack, outdir] = process.argv.slice(2);
// The feature flags `cdk init` writes into a new app's cdk.json; findings stay annotations in the manifest.
const app = new App({ outdir, context: { ...cxapi.CURRENTLY_RECOMMENDED_FLAGS, '@aws-cdk/core:annotationsInValidationReport': false } });
everyConstruct(app);
coordinatorWithoutCoordinatedSchedule(app);
pipelineAndBusOfTheApp(app);
Aspects.of(app).add(pack === 'Serverless' ? new ServerlessChecks() : new AwsSolutionsChecks());
app.synth();
fs.writeFileSync(path.join(outdir, 'team-owned.json'), JSON.stringify(teamOwned));
