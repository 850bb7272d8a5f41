// The team's entry point with cdk-nag 3: rule packs are policy validation plugins, findings go to the
// validation report. Synthesis is told not to throw on them, so that every finding gets counted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { coordinatorWithoutCoordinatedSchedule, everyConstruct, pipelineAndBusOfTheApp, teamOwned } from './compositions';

const [pack, outdir] = process.argv.slice(2);
// The feature flags `cdk init` writes into a new app's cdk.json.
const app = new App({ outdir, context: { ...cxapi.CURRENTLY_RECOMMENDED_FLAGS, '@aws-cdk/core:failSynthOnValidationErrors': false } });
everyConstruct(app);
coordinatorWithoutCoordinatedSchedule(app);
pipelineAndBusOfTheApp(app);
Validations.of(app).addPlugins(pack === 'Serverless' ? new ServerlessChecks(app) : new AwsSolutionsChecks(app));
app.synth();
fs.writeFileSync(path.join(outdir, 'team-owned.json'), JSON.stringify(teamOwned));
