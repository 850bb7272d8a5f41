/** An error as the AWS SDK throws it: its name, and the HTTP status in its metadata. */
export type SdkError = Error & { readonly $metadata?: { readonly httpStatusCode?: number } };

/** Runs `act` and returns what it threw, so a test can assess the error's name and metadata; fails when nothing was thrown. */
export async function errorFrom(act: () => Promise<unknown>): Promise<SdkError> {
  try {
    await act();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
