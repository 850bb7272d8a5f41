import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LineSplitter, type SplitLine } from '../../core/data-capture-lines';

/** One S3 object (a version of it, when `versionId` is given). */
export interface S3ObjectLocation {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/**
 * Reads an S3 object as lines while it downloads: memory holds one chunk of the body and the
 * unfinished line, however large the object. Lines longer than the splitter allows come out as
 * `too-long` and are not held. Stopping early (a `break`) closes the download.
 */
export async function* s3Lines(client: S3Client, location: S3ObjectLocation, splitter = new LineSplitter()): AsyncGenerator<SplitLine> {
  const output = await client.send(
    new GetObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: location.versionId }),
  );
  const body: unknown = output.Body;
  if (body === undefined) return;
  if (!isByteStream(body)) throw new TypeError(`s3://${location.bucket}/${location.key}: the response body is not a byte stream`);
  yield* linesOfChunks(body, splitter);
}

/**
 * Lines of UTF-8 text that arrives as byte chunks. The decoder runs in stream mode, so a character
 * whose bytes are split between two chunks is decoded whole instead of as two replacement characters.
 */
export async function* linesOfChunks(chunks: AsyncIterable<Uint8Array>, splitter = new LineSplitter()): AsyncGenerator<SplitLine> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) yield* splitter.push(decoder.decode(chunk, { stream: true }));
  yield* splitter.push(decoder.decode());
  yield* splitter.end();
}

/** Node's SDK answers with a Readable, which yields Buffers when iterated. */
function isByteStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}
