import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * Graphviz's SVG of each DOT graph, by the same name. One Node process renders them all (see graphviz.mjs
 * for why a process of its own); Graphviz lays out the same DOT the same way every time.
 */
export function renderSvgs(dots: Readonly<Record<string, string>>): Record<string, string> {
  const output = execFileSync(process.execPath, [path.join(__dirname, 'graphviz.mjs')], {
    input: JSON.stringify(dots),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return JSON.parse(output) as Record<string, string>;
}
