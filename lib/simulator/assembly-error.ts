/**
 * A cloud assembly the simulator cannot read as CloudFormation would deploy it: the message names the resource
 * and, where one is involved, the property path (`MyFunction.Properties.Environment.Variables.TABLE`).
 */
export class AssemblyReadError extends Error {
  constructor(
    message: string,
    /** `<LogicalId>.Properties.<path>`, where the problem is inside a template. */
    readonly at?: string,
  ) {
    super(at === undefined ? message : `${message} (at ${at})`);
    this.name = 'AssemblyReadError';
  }
}
