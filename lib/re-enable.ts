import { Duration, Token } from 'aws-cdk-lib';
import { RE_ENABLE_DEFAULTS, RE_ENABLE_LIMITS, type ReEnablePolicy } from '../lambda/core/contracts/re-enable';
import { validateDurationInRange, validateIntegerInRange } from './private/validation';

/** Options of {@link ReEnable.catchUp}: how much of what landed while the trigger was off its catch-up takes. */
export interface CatchUpOptions {
  /**
   * The most objects the catch-up batch holds: 1 to the trigger's `batchSize`. Objects beyond it (in key order)
   * are skipped.
   * @default - the trigger's batchSize
   */
  readonly maxObjects?: number;

  /**
   * Objects modified longer ago than this when the trigger is turned back on are skipped: 1 minute to 14 days
   * (as long as the batcher remembers an object it counted).
   * @default Duration.days(7)
   */
  readonly maxAge?: Duration;
}

/**
 * What a data-arrival trigger does with the objects that landed while it was disabled (`enabled: false`),
 * once it is enabled again: skip them, or catch up with one batch of them.
 */
export abstract class ReEnable {
  /** Objects that landed while the trigger was disabled are never counted; counting resumes with the next one. */
  public static skip(): ReEnable {
    return new ChosenReEnable(undefined);
  }

  /**
   * When the trigger is enabled again, the batcher lists the trigger's bucket under its prefix for objects modified
   * since it saw the trigger disabled, at most `maxObjects` of them and none older than `maxAge`, and starts one
   * batch of them; an object counted before is not counted again. The batcher learns of both changes from
   * Parameter Store's change events for the configuration the deployment writes, and is allowed to list the
   * bucket under the trigger's prefix. Catch-up must be configured no later than the deployment that disables the
   * trigger: a trigger disabled while it skipped has no time to catch up from. Objects landing within seconds of
   * either change may be missed, or counted twice.
   */
  public static catchUp(options: CatchUpOptions = {}): ReEnable {
    if (options.maxObjects !== undefined) validateIntegerInRange('whenReEnabled.maxObjects', options.maxObjects, 1, RE_ENABLE_LIMITS.maxObjects);
    if (options.maxAge !== undefined) {
      validateDurationInRange(
        'whenReEnabled.maxAge',
        options.maxAge,
        Duration.seconds(RE_ENABLE_LIMITS.minAgeSeconds),
        Duration.seconds(RE_ENABLE_LIMITS.maxAgeSeconds),
      );
    }
    return new ChosenReEnable({ ...options });
  }

  /**
   * The policy a trigger of `batchSize` objects per batch writes into its configuration; undefined for skip.
   * @internal
   */
  public abstract _policy(batchSize: number): ReEnablePolicy | undefined;

  /**
   * The catch-up's options as declared; undefined for skip. Each kind of trigger reads the ones that apply to it.
   * @internal
   */
  public abstract _catchUp(): CatchUpOptions | undefined;
}

class ChosenReEnable extends ReEnable {
  constructor(private readonly catchUpOptions: CatchUpOptions | undefined) {
    super();
  }

  public _catchUp(): CatchUpOptions | undefined {
    return this.catchUpOptions;
  }

  public _policy(batchSize: number): ReEnablePolicy | undefined {
    const options = this.catchUpOptions;
    if (!options) return undefined;
    const maxObjects = options.maxObjects ?? batchSize;
    if (!Token.isUnresolved(maxObjects) && !Token.isUnresolved(batchSize) && maxObjects > batchSize) {
      throw new Error(
        `whenReEnabled.maxObjects must be at most the trigger's batchSize (${batchSize}), got ${maxObjects}: a catch-up is one batch; ` +
          'lower maxObjects or raise batchSize',
      );
    }
    return { mode: 'catch-up', maxObjects, maxAgeSeconds: options.maxAge?.toSeconds() ?? RE_ENABLE_DEFAULTS.maxAgeSeconds };
  }
}
