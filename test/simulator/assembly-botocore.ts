import { spawnSync } from 'node:child_process';

/** Validates each input against botocore's model of DynamoDB's CreateTable, as the AWS CLI would before sending it. */
const VALIDATE = `
import json, sys
import botocore.session, botocore.validate
shape = botocore.session.get_session().get_service_model('dynamodb').operation_model('CreateTable').input_shape
validator = botocore.validate.ParamValidator()
print(json.dumps([validator.validate(item, shape).generate_report() for item in json.load(sys.stdin)]))
`;

/** botocore's report on each CreateTable input: an empty string for an input it accepts. */
export function createTableProblems(inputs: readonly unknown[]): string[] {
  const run = spawnSync('python3', ['-c', VALIDATE], { input: JSON.stringify(inputs), encoding: 'utf8', timeout: 55_000 });
  if (run.status !== 0) throw new Error(`python3 with botocore failed: ${run.stderr || run.error?.message}`);
  return JSON.parse(run.stdout) as string[];
}
