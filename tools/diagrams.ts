// Writes docs/diagrams/<blueprint>.svg (and the .dot it is drawn from) for every blueprint of the
// repository's app: `npx projen diagrams`. test/diagrams.test.ts fails when a committed diagram is stale.
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { blueprintStacks, renderSvgs, stackDiagram } from '../harness/diagrams';

/** Where the diagrams are committed. */
export const DIAGRAMS_DIR = path.join(__dirname, '..', 'docs', 'diagrams');

/** One blueprint's diagram: the DOT generated from its synthesized stack, and Graphviz's SVG of it. */
export interface BlueprintDiagram {
  readonly dot: string;
  readonly svg: string;
}

/** Every blueprint's diagram, by stack name (WorkQueueBlueprint, …), synthesized and rendered in memory. */
export function renderBlueprintDiagrams(stacks: Stack[] = blueprintStacks()): Record<string, BlueprintDiagram> {
  const dots = Object.fromEntries(stacks.map((stack) => [stack.stackName, stackDiagram(stack)]));
  const svgs = renderSvgs(dots);
  return Object.fromEntries(Object.entries(dots).map(([name, dot]) => [name, { dot, svg: svgs[name] }]));
}

function main(): void {
  const started = Date.now();
  fs.mkdirSync(DIAGRAMS_DIR, { recursive: true });
  for (const [name, { dot, svg }] of Object.entries(renderBlueprintDiagrams())) {
    fs.writeFileSync(path.join(DIAGRAMS_DIR, `${name}.dot`), dot);
    fs.writeFileSync(path.join(DIAGRAMS_DIR, `${name}.svg`), svg);
    console.log(`  ${path.relative(process.cwd(), path.join(DIAGRAMS_DIR, `${name}.svg`))}`);
  }
  console.log(`Diagrams written in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

if (require.main === module) {
  main();
}
