/** What `promise` rejected with; fails the test if it resolved. */
export async function failureOf(promise: Promise<unknown> | undefined): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}
