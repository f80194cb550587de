/**
 * Layering rule: src/core/ is portable. It must not import Node modules (node:* or bare builtins),
 * must not import from src/host/, and must not use Node-only globals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORE = join(ROOT, 'src', 'core');
const HOST = join(ROOT, 'src', 'host');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * Blanks out comments (keeping string and template literal text, and line structure) so that
 * prose like "Node: setImmediate" in a doc comment does not count.
 */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  const n = src.length;
  while (i < n) {
    const ch = src[i];
    const next = src[i + 1];
    if (ch === '/' && next === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (ch === '/' && next === '*') {
      i += 2;
      while (i < n && !(src[i] === '*' && src[i + 1] === '/')) {
        if (src[i] === '\n') out += '\n';
        i++;
      }
      i += 2;
      out += ' ';
    } else if (ch === '"' || ch === "'" || ch === '`') {
      const q = ch;
      out += ch;
      i++;
      while (i < n && src[i] !== q) {
        if (src[i] === '\\') {
          out += src[i++];
        } else if (q !== '`' && src[i] === '\n') {
          break; // unterminated: do not run away
        }
        out += src[i++];
      }
      if (i < n) out += src[i++];
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Module specifiers of static imports, re-exports, dynamic imports and require() calls. */
export function importSpecifiers(code: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[\s\S]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bexport\s+(?:type\s+)?(?:\*|\{[^}]*\})\s*(?:as\s+\w+\s*)?from\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
    /\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) specs.push(m[2]);
  }
  return specs;
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0]]));

function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]);
}

const NODE_GLOBALS: [RegExp, string][] = [
  [/\bprocess\s*\./, 'process.'],
  [/(?<![\w$.])Buffer\b/, 'Buffer'],
  [/\brequire\s*\(/, 'require('],
  [/(?<![\w$.])setImmediate\b/, 'setImmediate'],
  [/(?<![\w$.])__dirname\b/, '__dirname'],
  [/(?<![\w$.])__filename\b/, '__filename'],
  [/(?<![\w$.])global\s*\./, 'global.'],
];

/** Problems of one core source file (empty if it follows the rules). */
export function coreViolations(file: string, src: string): string[] {
  const code = stripComments(src);
  const problems: string[] = [];
  for (const spec of importSpecifiers(code)) {
    if (isNodeBuiltin(spec)) problems.push(`imports Node module '${spec}'`);
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (target === HOST || target.startsWith(HOST + sep)) problems.push(`imports host code '${spec}'`);
    }
    if (/(^|\/)src\/host(\/|$)/.test(spec)) problems.push(`imports host code '${spec}'`);
  }
  const lines = code.split('\n');
  lines.forEach((line, idx) => {
    for (const [re, name] of NODE_GLOBALS) {
      if (re.test(line)) problems.push(`line ${idx + 1}: uses Node-only global '${name}'`);
    }
  });
  return problems;
}

test('the checker itself catches what it should and ignores comments', () => {
  const f = join(CORE, 'x', 'a.ts');
  assert.deepEqual(coreViolations(f, `/** Node: setImmediate, process.exit, Buffer */\n// require('fs')\nconst s = 'ok';`), []);
  assert.equal(coreViolations(f, `import { readFileSync } from 'node:fs';`).length, 1);
  assert.equal(coreViolations(f, `import * as path from 'path';`).length, 1);
  assert.equal(coreViolations(f, `import {\n  Worker,\n} from 'worker_threads';`).length, 1);
  assert.equal(coreViolations(f, `export { x } from 'child_process';`).length, 1);
  assert.equal(coreViolations(f, `const m = await import('node:crypto');`).length, 1);
  assert.equal(coreViolations(f, `import 'fs/promises';`).length, 1);
  assert.equal(coreViolations(f, `import { NodeHost } from '../../host/node/host.js';`).length, 1);
  assert.equal(coreViolations(f, `import { Bus } from '../hw/bus.js';`).length, 0);
  assert.equal(coreViolations(f, `const b = Buffer.from(x);`).length, 1);
  assert.equal(coreViolations(f, `if (process.env.X) {}`).length, 1);
  assert.equal(coreViolations(f, `setImmediate(f);`).length, 1);
  assert.equal(coreViolations(f, `const r = require('x');`).length, 1);
  assert.equal(coreViolations(f, `const a = new ArrayBuffer(8); const s = new SharedArrayBuffer(8); this.rxBuffer = a;`).length, 0);
  assert.equal(coreViolations(f, 'const s = `a ${b} c`; // process.exit()').length, 0);
});

test('src/core does not depend on Node or on src/host', () => {
  const files = tsFiles(CORE);
  assert.ok(files.length > 0, 'no files under src/core');
  const problems: string[] = [];
  for (const file of files) {
    for (const p of coreViolations(file, readFileSync(file, 'utf8'))) problems.push(`${relative(ROOT, file)}: ${p}`);
  }
  assert.deepEqual(problems, [], `src/core must stay portable:\n${problems.join('\n')}`);
});
