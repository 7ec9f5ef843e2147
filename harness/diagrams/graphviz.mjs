// Renders Graphviz DOT to SVG in a Node process of its own: @hpcc-js/wasm-graphviz is an ES module,
// which Jest (without its experimental VM modules) cannot load, so tests and tools/diagrams.ts both run this.
// stdin: a JSON object of name -> DOT; stdout: a JSON object of name -> SVG.
import { Graphviz } from '@hpcc-js/wasm-graphviz';

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const dots = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const graphviz = await Graphviz.load();
const svgs = Object.fromEntries(Object.entries(dots).map(([name, dot]) => [name, graphviz.dot(dot, 'svg')]));
process.stdout.write(JSON.stringify(svgs));
