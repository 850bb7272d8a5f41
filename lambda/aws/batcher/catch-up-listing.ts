import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import { catchUpArrival } from '../../core/re-enable';
import type { CreatedObject } from '../../core/s3-object-created';

/** Keys a catch-up reads at most (a thousand to a page): a prefix holding more old objects ends the listing early. */
export const MAX_LISTED_KEYS = 100_000;

/** What a catch-up found: the objects to batch, and whether the listing stopped before the prefix's end. */
export interface CatchUpListingResult {
  readonly objects: readonly CreatedObject[];
  readonly stoppedEarly: boolean;
}

/**
 * The objects of a trigger's bucket and prefix modified since a time, in key order, at most `maxObjects`: the
 * listing stops as soon as it has them, or after {@link MAX_LISTED_KEYS} keys. S3's listings are strongly
 * consistent: an upload completed before the listing began is in it.
 */
export class CatchUpListing {
  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async list(config: BatchTriggerConfig, sinceMs: number, maxObjects: number): Promise<CatchUpListingResult> {
    const objects: CreatedObject[] = [];
    let read = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({
        Bucket: config.source.bucket,
        ...(config.source.prefix !== undefined ? { Prefix: config.source.prefix } : {}),
        ContinuationToken: token,
      }));
      for (const listed of page.Contents ?? []) {
        read++;
        if (listed.Key === undefined || listed.LastModified === undefined) continue;
        const object = catchUpArrival(config, { key: listed.Key, size: listed.Size ?? 0, lastModifiedMs: listed.LastModified.getTime(), etag: listed.ETag ?? '' }, sinceMs);
        if (object) objects.push(object);
        if (objects.length >= maxObjects) return this.ended(objects, true);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && read < MAX_LISTED_KEYS);
    return this.ended(objects, token !== undefined);
  }

  /** The listed objects, each knowing that its upload completed before the listing ended. */
  private ended(objects: readonly CreatedObject[], stoppedEarly: boolean): CatchUpListingResult {
    const listedAtMs = this.now();
    return { objects: objects.map((object) => ({ ...object, listedAtMs })), stoppedEarly };
  }
}
