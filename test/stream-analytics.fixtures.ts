import * as path from 'path';

// Shared by the tests of StreamAnalytics (not a test file itself).

/** A tiny directory the tests upload as the application's code: no network, no build. */
export const TEST_CODE_DIR = path.join(__dirname, 'stream-analytics-code');
