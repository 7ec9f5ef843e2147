import * as fs from 'fs';
import * as path from 'path';

/**
 * This library's version (its package.json), for the validation plugins' `version`: the report names it, and
 * Python's type checkers expect the member of `IPolicyValidationPlugin` to be there. Undefined when the
 * manifest cannot be read (a bundled copy of the library).
 */
export function libraryVersion(): string | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf-8'));
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}
