/** Reading and checking StartPipelineExecution requests as SageMaker's API reference states them. */

/** Error names the local SageMaker returns, as the SDK reports them in `error.name`. */
export type SageMakerErrorName = 'ValidationException' | 'ResourceNotFound' | 'ThrottlingException' | 'InternalFailure'
  | 'AccessDeniedException' | 'UnknownOperationException' | 'SerializationException';

/** A service error: its HTTP status, name and message. */
export interface ServiceError {
  readonly status: number;
  readonly name: SageMakerErrorName;
  readonly message: string;
}

/** The fields of a StartPipelineExecution request, each absent when the request did not carry it as a string. */
export interface PipelineStartRequest {
  readonly pipelineName?: string;
  readonly clientRequestToken?: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly displayName?: string;
  readonly description?: string;
}

/** The request as recorded, plus the raw parameter list that validation needs. */
export interface ParsedStart {
  readonly fields: PipelineStartRequest;
  readonly parameterList: readonly { readonly name?: string; readonly value?: string }[];
}

/** What validation leaves of a well-formed request: the pipeline's name (an ARN reduced to it) and the token. */
export interface ValidStart {
  readonly pipelineName: string;
  readonly clientRequestToken: string;
}

/** The request's fields, or undefined when the body is not a JSON object. */
export function parseStartRequest(rawBody: string): ParsedStart | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody === '' ? '{}' : rawBody);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const list: unknown[] = Array.isArray(parsed.PipelineParameters) ? parsed.PipelineParameters : [];
  const parameterList = list.map((entry) =>
    isObject(entry) ? { name: stringField(entry, 'Name'), value: stringField(entry, 'Value') } : {},
  );
  const parameters: Record<string, string> = {};
  for (const { name, value } of parameterList) if (name !== undefined && value !== undefined) parameters[name] = value;
  const fields = {
    pipelineName: stringField(parsed, 'PipelineName'),
    clientRequestToken: stringField(parsed, 'ClientRequestToken'),
    parameters,
    displayName: stringField(parsed, 'PipelineExecutionDisplayName'),
    description: stringField(parsed, 'PipelineExecutionDescription'),
  };
  return { fields, parameterList };
}

/** The constraints SageMaker's API reference states for StartPipelineExecution; `pipelines` empty accepts any name. */
export function validateStart(
  request: ParsedStart,
  pipelines: ReadonlySet<string>,
  arnPrefix: string,
): { readonly error: ServiceError } | ValidStart {
  const invalid = (field: string, constraint: string): { error: ServiceError } => {
    const message = `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`;
    return { error: { status: 400, name: 'ValidationException', message } };
  };
  const { pipelineName, clientRequestToken: token, displayName, description } = request.fields;
  const { parameterList } = request;
  if (!pipelineName || pipelineName.length > 256) return invalid('pipelineName', 'Member must have length between 1 and 256');
  if (!token || token.length < 32 || token.length > 128) {
    return invalid('clientRequestToken', 'Member must have length between 32 and 128');
  }
  if (parameterList.length > 200) return invalid('pipelineParameters', 'Member must have length <= 200');
  for (const [index, { name, value }] of parameterList.entries()) {
    const member = `pipelineParameters.${index + 1}.member`;
    if (!name || name.length > 256) return invalid(`${member}.name`, 'Member must have length between 1 and 256');
    if (value === undefined) return invalid(`${member}.value`, 'Member must not be null');
    if (value.length > 1024) return invalid(`${member}.value`, 'Member must have length <= 1024');
  }
  if (displayName !== undefined && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/.test(displayName)) {
    return invalid('pipelineExecutionDisplayName', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}');
  }
  if (description !== undefined && description.length > 3072) {
    return invalid('pipelineExecutionDescription', 'Member must have length <= 3072');
  }
  const name = pipelineNameOf(pipelineName);
  if (pipelines.size > 0 && !pipelines.has(name)) {
    return { error: { status: 400, name: 'ResourceNotFound', message: `Pipeline '${arnPrefix}${name}' does not exist.` } };
  }
  return { pipelineName: name, clientRequestToken: token };
}

/** PipelineName accepts a name or a pipeline ARN. */
export function pipelineNameOf(pipelineNameOrArn: string): string {
  return /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:\d{12}:pipeline\/(.+)$/.exec(pipelineNameOrArn)?.[1] ?? pipelineNameOrArn;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}
