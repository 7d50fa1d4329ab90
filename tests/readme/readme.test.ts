/**
 * The TypeScript examples of the README and of docs/*.md are these snippet files, verbatim:
 * `pnpm typecheck` compiles them against the real packages, and this test fails if the docs and
 * the files drift apart.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const docsDir = new URL('../../docs/', import.meta.url);
const pages = [new URL('../../README.md', import.meta.url), ...readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => new URL(f, docsDir))];
const blocks = pages.flatMap((page) => [...readFileSync(page, 'utf8').matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1]));
const dir = new URL('./snippets/', import.meta.url);

describe('README examples', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.ts')))('%s appears in the README or docs/ verbatim', (file) => {
    const snippet = readFileSync(new URL(file, dir), 'utf8').trimEnd();
    expect(blocks).toContain(snippet);
  });

  it('has no TypeScript example that is not a compiled snippet', () => {
    const snippets = readdirSync(dir).map((f) => readFileSync(new URL(f, dir), 'utf8').trimEnd());
    for (const block of blocks) expect(snippets).toContain(block);
  });
});
