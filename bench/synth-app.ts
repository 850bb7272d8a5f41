// A whole synthesis in a fresh process, as `cdk synth` runs an app: argv[2] is the kind, argv[3] the number of triggers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { TRIGGER_KINDS, type TriggerKind } from './synth-stacks';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
const app = new App({ outdir });
TRIGGER_KINDS[process.argv[2] as TriggerKind](new Stack(app, 'Bench'), Number(process.argv[3]));
app.synth();
fs.rmSync(outdir, { recursive: true, force: true });
