// Regenerates tests/support/stripe-openapi.json: the component schemas of Stripe's OpenAPI spec
// that the Stripe fake (tests/support/stripe-fake.ts) answers with, and everything they reference.
//
//   git -C <clone of stripe/openapi> show <commit>:openapi/spec3.json \
//     | node scripts/stripe-openapi-subset.mjs --commit <commit> [--date <commit date>]
//
// The spec's own $refs stay as they are (`#/components/schemas/<name>`), so every reference in
// the subset resolves inside the subset. Two things are cut to keep it small, neither of which
// changes what a response from the fake may look like:
// - descriptions and `x-` vendor extensions (documentation and code-generation hints);
// - the expanded form of an expandable field (`anyOf: [string id, $ref]`) when it points outside
//   the root resources: the fake never expands, so such a field is an id or null, and the
//   expanded branch is kept only as "some object".
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOTS = ['payment_intent', 'refund', 'charge', 'dispute', 'event', 'transfer', 'customer', 'error'];

const { values } = parseArgs({
  options: { commit: { type: 'string' }, date: { type: 'string' }, spec: { type: 'string' } },
});
if (!values.commit) throw new Error('--commit <stripe/openapi commit the spec was read at> is required');

const spec = JSON.parse(readFileSync(values.spec ?? 0, 'utf8'));
const all = spec.components.schemas;
const refName = (ref) => ref.replace('#/components/schemas/', '');

/** A copy of a schema without documentation or vendor extensions, expansions outside ROOTS cut. */
function prune(node, inExpandable = false) {
  if (Array.isArray(node)) return node.map((item) => prune(item, inExpandable));
  if (node === null || typeof node !== 'object') return node;
  if (node.$ref && inExpandable && !ROOTS.includes(refName(node.$ref))) {
    return { type: 'object', title: `expanded ${refName(node.$ref)}, outside the subset` };
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key.startsWith('x-')) continue;
    const expandable = key === 'anyOf' && value.some((branch) => branch.type === 'string');
    out[key] = prune(value, expandable);
  }
  return out;
}

const schemas = {};
const queue = [...ROOTS];
while (queue.length > 0) {
  const name = queue.pop();
  if (name in schemas) continue;
  if (!(name in all)) throw new Error(`schema ${name} is not in the spec`);
  schemas[name] = prune(all[name]);
  JSON.stringify(schemas[name], (key, value) => {
    if (key === '$ref') queue.push(refName(value));
    return value;
  });
}

const subset = {
  'x-source': {
    repository: 'stripe/openapi',
    path: 'openapi/spec3.json',
    commit: values.commit,
    ...(values.date ? { commitDate: values.date } : {}),
    openapi: spec.openapi,
    apiVersion: spec.info.version,
    generatedBy: 'scripts/stripe-openapi-subset.mjs',
    roots: ROOTS,
  },
  components: {
    schemas: Object.fromEntries(Object.keys(schemas).sort().map((name) => [name, schemas[name]])),
  },
};
const target = fileURLToPath(new URL('../tests/support/stripe-openapi.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(subset, null, 1)}\n`);
console.log(`${Object.keys(schemas).length} schemas written to ${target}`);
