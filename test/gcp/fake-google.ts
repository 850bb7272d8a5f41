import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A pipelineJobs.create request the fake accepted. */
export interface RecordedJob {
  readonly url: string;
  readonly project: string;
  readonly location: string;
  readonly pipelineJobId: string;
  readonly body: Record<string, unknown>;
}

export interface FakeGoogle {
  /** `127.0.0.1:<port>`, for GCE_METADATA_HOST. */
  readonly metadataHost: string;
  /** `http://127.0.0.1:<port>`, for VERTEX_API_ENDPOINT. */
  readonly endpoint: string;
  readonly jobs: RecordedJob[];
  /** Every pipelineJobs.create attempt, accepted or not. */
  readonly createAttempts: string[];
  readonly tokenRequests: number;
  /** The next `times` creates answer with this HTTP status in Google's error shape. */
  failNext(httpStatus: 409 | 429 | 500 | 503 | 403, times?: number): void;
  /** Lifetime of the tokens handed out from now on. */
  setTokenLifetime(seconds: number): void;
  reset(): void;
  close(): Promise<void>;
}

/** The project number Vertex writes into resource names in place of the project id. */
export const PROJECT_NUMBER = '123456789012';
const CANONICAL: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE',
};
const JOB_ID = /^[a-z][a-z0-9-]{0,127}$/;
const CREATE_PATH = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/pipelineJobs$/;

/**
 * The GCE metadata server's token endpoint and Vertex AI's pipelineJobs.create, on 127.0.0.1, in Google's wire
 * format: the token endpoint demands `Metadata-Flavor: Google`; create demands a token the fake issued, records
 * each job and answers a repeated id with 409 `{ error: { code, message, status: 'ALREADY_EXISTS' } }`.
 */
export async function startFakeGoogle(): Promise<FakeGoogle> {
  const jobs: RecordedJob[] = [];
  const createAttempts: string[] = [];
  const issued = new Set<string>();
  const failures: number[] = [];
  let tokenRequests = 0;
  let tokenLifetime = 3599;

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const url = new URL(request.url ?? '/', 'http://fake');
      if (request.method === 'GET' && url.pathname === '/computeMetadata/v1/instance/service-accounts/default/token') {
        if (request.headers['metadata-flavor'] !== 'Google') {
          response.writeHead(403, { 'content-type': 'text/html; charset=UTF-8' }).end('Missing required header: Metadata-Flavor');
          return;
        }
        tokenRequests += 1;
        const token = `ya29.fake-${tokenRequests}`;
        issued.add(token);
        response.writeHead(200, { 'content-type': 'application/json', 'metadata-flavor': 'Google' });
        response.end(JSON.stringify({ access_token: token, expires_in: tokenLifetime, token_type: 'Bearer' }));
        return;
      }
      const create = CREATE_PATH.exec(url.pathname);
      if (request.method !== 'POST' || !create) return googleError(response, 404, `The requested URL ${url.pathname} was not found.`, 'NOT_FOUND');
      const [project, location] = [decodeURIComponent(create[1]), decodeURIComponent(create[2])];
      const id = url.searchParams.get('pipelineJobId') ?? `auto-${jobs.length + 1}`;
      createAttempts.push(id);
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!bearer || !issued.has(bearer)) {
        return googleError(response, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.', 'UNAUTHENTICATED');
      }
      const failure = failures.shift();
      if (failure !== undefined) return googleError(response, failure, `Injected failure ${failure}.`, CANONICAL[failure]);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return googleError(response, 400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT');
      }
      if (!JOB_ID.test(id)) return googleError(response, 400, `Invalid pipeline job id: ${id}.`, 'INVALID_ARGUMENT');
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return googleError(response, 400, 'Invalid payload.', 'INVALID_ARGUMENT');
      const job = body as Record<string, unknown>;
      if (typeof job.templateUri !== 'string' && job.pipelineSpec === undefined) {
        return googleError(response, 400, 'Either pipeline_spec or template_uri must be specified.', 'INVALID_ARGUMENT');
      }
      const name = `projects/${PROJECT_NUMBER}/locations/${location}/pipelineJobs/${id}`;
      if (jobs.some((j) => j.location === location && j.pipelineJobId === id)) {
        return googleError(response, 409, `PipelineJob ${name} already exists.`, 'ALREADY_EXISTS');
      }
      jobs.push({ url: request.url ?? '', project, location, pipelineJobId: id, body: job });
      const now = new Date().toISOString();
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify({ ...job, name, createTime: now, updateTime: now, state: 'PIPELINE_STATE_PENDING' }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake Google server has no port');
  const host = `127.0.0.1:${address.port}`;
  return {
    metadataHost: host,
    endpoint: `http://${host}`,
    jobs,
    createAttempts,
    get tokenRequests() {
      return tokenRequests;
    },
    failNext: (httpStatus, times = 1) => failures.push(...Array<number>(times).fill(httpStatus)),
    setTokenLifetime: (seconds) => {
      tokenLifetime = seconds;
    },
    reset: () => {
      jobs.length = 0;
      createAttempts.length = 0;
      failures.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function googleError(response: ServerResponse, code: number, message: string, status: string): void {
  response.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify({ error: { code, message, status } }, null, 2));
}
