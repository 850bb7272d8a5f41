import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A pipeline job the fake holds, as submitted. */
export interface FakeJob {
  readonly name: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly correlationId: string | undefined;
}

export interface FakeAzureML {
  /** `http://127.0.0.1:<port>`, for AZURE_ML_ENDPOINT. */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>/msi/token`, for IDENTITY_ENDPOINT (with IDENTITY_HEADER = {@link identitySecret}). */
  readonly identityEndpoint: string;
  readonly identitySecret: string;
  /** Jobs created, in order: a PUT of an existing name adds none. */
  readonly jobs: FakeJob[];
  /** Every Jobs - Create Or Update attempt by job name, answered or not. */
  readonly putAttempts: string[];
  readonly tokenRequests: number;
  /** The next `times` job requests (GET or PUT) answer with this status in ARM's error shape; 429 carries Retry-After: 7. */
  failNext(httpStatus: 400 | 403 | 429 | 500 | 503, times?: number): void;
  /**
   * The next `times` PUTs create the job and then answer 500 anyway: the job exists, the caller is told it failed
   * (an answer lost on the way back).
   */
  loseAnswerOfNext(times?: number): void;
  /** Waits `ms` before answering each PUT, so that concurrent submissions overlap. */
  delayPuts(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

const JOB_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/jobs\/([^/]+)$/;
const JOB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/;

/**
 * Azure Resource Manager's Azure ML Jobs API (Get, Create Or Update) and the App Service managed identity endpoint, on
 * 127.0.0.1, in their wire formats. Jobs demand a bearer token the fake issued for https://management.azure.com/ and
 * the api-version query; a PUT with a new name creates the job (201), a PUT of an existing name creates nothing
 * (200, the existing job: Azure ML's "update" of tags); a GET answers 200 or 404 `{ error: { code, message } }`.
 * Bodies are checked for the PipelineJob shape the functions send: jobType Pipeline, experimentName, exactly one of
 * componentId and sourceJobId, literal inputs.
 */
export async function startFakeAzureML(): Promise<FakeAzureML> {
  const jobs = new Map<string, FakeJob>();
  const order: FakeJob[] = [];
  const putAttempts: string[] = [];
  const issued = new Set<string>();
  const failures: number[] = [];
  let lostAnswers = 0;
  let putDelayMs = 0;
  let tokenRequests = 0;
  const identitySecret = 'fake-identity-header-secret';

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const url = new URL(request.url ?? '/', 'http://fake');
      if (url.pathname === '/msi/token') {
        if (request.headers['x-identity-header'] !== identitySecret) return armError(response, 401, 'Unauthorized', 'X-IDENTITY-HEADER is missing or wrong.');
        if (url.searchParams.get('api-version') !== '2019-08-01' || !url.searchParams.get('resource')) return armError(response, 400, 'BadRequest', 'resource and api-version are required.');
        tokenRequests += 1;
        const token = `eyJ.fake-${tokenRequests}.${url.searchParams.get('resource')}`;
        issued.add(token);
        const expiresOn = Math.floor(Date.now() / 1000) + 86_399;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ access_token: token, expires_on: String(expiresOn), resource: url.searchParams.get('resource'), token_type: 'Bearer' }));
        return;
      }
      const match = JOB_PATH.exec(url.pathname);
      if (!match) return armError(response, 404, 'NotFound', `No route for ${url.pathname}.`);
      if (!url.searchParams.get('api-version')) return armError(response, 400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!bearer || !issued.has(bearer) || !bearer.endsWith('https://management.azure.com/')) {
        return armError(response, 401, 'InvalidAuthenticationToken', 'The access token is invalid.');
      }
      const name = decodeURIComponent(match[4]);
      if (request.method === 'PUT') putAttempts.push(name);
      const failure = failures.shift();
      if (failure !== undefined) return armError(response, failure, failure === 429 ? 'TooManyRequests' : failure >= 500 ? 'InternalServerError' : failure === 403 ? 'AuthorizationFailed' : 'UserError', `Injected failure ${failure}.`);
      if (request.method === 'GET') {
        const job = jobs.get(url.pathname);
        if (!job) return armError(response, 404, 'UserError', `Could not find job ${name}.`);
        return json(response, 200, resource(job));
      }
      if (request.method !== 'PUT') return armError(response, 405, 'MethodNotAllowed', `${request.method} is not allowed.`);
      if (!JOB_NAME.test(name)) return armError(response, 400, 'UserError', `Job name ${name} is invalid.`);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return armError(response, 400, 'UserError', 'The request body is not JSON.');
      }
      const problem = pipelineJobProblem(body);
      if (problem) return armError(response, 400, 'UserError', problem);
      if (putDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, putDelayMs));
      const existing = jobs.get(url.pathname);
      if (existing) return json(response, 200, resource(existing));
      const job: FakeJob = { name, path: url.pathname, body: body as Record<string, unknown>, correlationId: request.headers['x-ms-correlation-request-id'] as string | undefined };
      jobs.set(url.pathname, job);
      order.push(job);
      if (lostAnswers > 0) {
        lostAnswers -= 1;
        return armError(response, 500, 'InternalServerError', 'The answer was lost.');
      }
      return json(response, 201, resource(job));
    })().catch((error: unknown) => armError(response, 500, 'InternalServerError', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake Azure ML endpoint has no port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    identityEndpoint: `${endpoint}/msi/token`,
    identitySecret,
    jobs: order,
    putAttempts,
    get tokenRequests() {
      return tokenRequests;
    },
    failNext(httpStatus, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push(httpStatus);
    },
    loseAnswerOfNext(times = 1) {
      lostAnswers += times;
    },
    delayPuts(ms) {
      putDelayMs = ms;
    },
    reset() {
      jobs.clear();
      order.length = 0;
      putAttempts.length = 0;
      failures.length = 0;
      lostAnswers = 0;
      putDelayMs = 0;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function resource(job: FakeJob): Record<string, unknown> {
  const properties = (job.body.properties ?? {}) as Record<string, unknown>;
  return { id: job.path, name: job.name, type: 'Microsoft.MachineLearningServices/workspaces/jobs', properties: { ...properties, status: 'NotStarted' } };
}

function pipelineJobProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'The body must be an object.';
  const properties = (body as Record<string, unknown>).properties as Record<string, unknown> | undefined;
  if (typeof properties !== 'object' || properties === null) return 'properties is required.';
  if (properties.jobType !== 'Pipeline') return `jobType must be Pipeline, got ${String(properties.jobType)}.`;
  if (typeof properties.experimentName !== 'string') return 'experimentName is required.';
  if ((typeof properties.componentId === 'string') === (typeof properties.sourceJobId === 'string')) return 'Exactly one of componentId and sourceJobId is required.';
  const inputs = properties.inputs as Record<string, unknown> | undefined;
  for (const [key, input] of Object.entries(inputs ?? {})) {
    const literal = input as Record<string, unknown>;
    if (literal?.jobInputType !== 'literal' || typeof literal.value !== 'string') return `inputs.${key} must be a literal input with a string value.`;
  }
  return undefined;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function armError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(status === 429 ? { 'retry-after': '7' } : {}) });
  response.end(JSON.stringify({ error: { code, message } }));
}
