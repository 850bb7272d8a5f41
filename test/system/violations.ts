/** What the invariants name: each guarantee by number, and a violation of one with what was found. */

export type InvariantName =
  | '1 every object in exactly one started run or one FAILED batch'
  | '2 no request starts twice, nothing unrequested starts'
  | '3 every coordinator start and suppression has a decision record'
  | "4 the coordinator's counters equal its runs"
  | '5 every deferred request is started or terminally decided'
  | '0 every input is eventually handled'
  | "6 each key's completed join starts exactly once, from its own key's occurrences"
  | '7 each burst starts exactly one run, after its quiet period, with its last event'
  | '8 each firing of a deadline acts at most once'
  | '9 each N-of-M or sequence completion starts exactly once, each occurrence in one run, steps in order'
  | '10 each re-enable starts what landed while off in exactly one run of its own, once'
  | '11 no run carries an event that fails its schema, and no join records one'
  | '12 a batch schedule firing with nothing waiting starts nothing, and acts at most once'
  | '13 a scheduled check starts a run only when nothing counting ran within its period, once per firing'
  | '14 a scheduled re-enable starts one run for the firings it missed, only when nothing counting started since, once';

export interface Violation {
  readonly invariant: InvariantName;
  readonly detail: string;
}

/** One line per violation, naming the seed so that the run can be replayed. */
export function describeViolations(seed: number, violations: readonly Violation[]): string {
  return violations.map((violation) => `seed ${seed}: invariant ${violation.invariant}: ${violation.detail}`).join('\n');
}

/**
 * Violations of bugs in lambda/ that are known and not fixed yet, each reproduced by a scripted crash in
 * crash-regressions.test.ts where one exists: the CI seeds tolerate these (and only these), so that a seed drifting into one
 * does not fail CI while a new kind of violation still does.
 */
export const KNOWN_BUGS: ReadonlyArray<{ readonly invariant: InvariantName; readonly evidence: RegExp; readonly bug: string }> = [];

/** The known bug a violation is evidence of, if any. */
export function knownBugOf(violation: Violation): string | undefined {
  return KNOWN_BUGS.find((known) => known.invariant === violation.invariant && known.evidence.test(violation.detail))?.bug;
}
