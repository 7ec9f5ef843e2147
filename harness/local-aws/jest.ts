import { LocalAws, startLocalAws } from './runner';

/**
 * One embedded local AWS per test file: started before the file's first test, stopped after its last,
 * with a timeout long enough for deploys into it. Returns the running instance (call it inside tests or
 * hooks, not at the top of the file).
 */
export function useLocalAws(timeoutMs = 300_000): () => LocalAws {
  jest.setTimeout(timeoutMs);
  let local: LocalAws | undefined;
  beforeAll(async () => {
    local = await startLocalAws();
  });
  afterAll(async () => local?.stop());
  return () => {
    if (local === undefined) {
      throw new Error('the local AWS is not running: call it inside a test or a hook');
    }
    return local;
  };
}
