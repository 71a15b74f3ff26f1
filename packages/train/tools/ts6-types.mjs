// Writes dist/ts6/: the declarations of @charrnn/train/tfjs for TypeScript 6 and later (package.json's
// "types@>=6" condition), where tfjs-core's types cannot be loaded by a project that checks
// libraries (see tfjs-tensor.d.ts). Every declaration file that reaches @tensorflow/tfjs-core,
// directly or through its imports, is copied under dist/ts6/ with tfjs-core replaced by
// tfjs-tensor.d.ts; the others are imported from where they are, so that a type is declared once.
// Fails, naming the file, when a copy still names tfjs-core or a tfjs type the stand-in lacks.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(HERE, '..', 'dist');
const OUT = join(DIST, 'ts6');
const ENTRY = join(DIST, 'tfjs.d.ts');
const STAND_IN = join(OUT, 'tfjs-tensor.d.ts');
const TFJS = /(['"])@tensorflow\/tfjs-core\1/;
const RELATIVE = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;

const sources = new Map();
const read = (file) => sources.get(file) ?? sources.set(file, readFileSync(file, 'utf8')).get(file);
const declarationOf = (from, specifier) => resolve(dirname(from), specifier.replace(/\.js$/, '.d.ts'));
const importsOf = (file) => [...read(file).matchAll(RELATIVE)].map((m) => declarationOf(file, m[3]));

// The files reachable from the entry, and which of them reach tfjs-core.
const reachable = new Set();
(function walk(file) {
  if (reachable.has(file)) return;
  reachable.add(file);
  importsOf(file).forEach(walk);
})(ENTRY);
const tainted = new Set([...reachable].filter((f) => TFJS.test(read(f))));
for (let grew = true; grew; ) {
  grew = false;
  for (const file of reachable) {
    if (!tainted.has(file) && importsOf(file).some((i) => tainted.has(i))) grew = tainted.add(file) !== undefined;
  }
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
copyFileSync(join(HERE, 'tfjs-tensor.d.ts'), STAND_IN);
const standInNames = new Set([...readFileSync(STAND_IN, 'utf8').matchAll(/export (?:interface|type) (\w+)/g)].map((m) => m[1]));
const problems = [];
for (const file of tainted) {
  const copy = join(OUT, relative(DIST, file));
  const toStandIn = relative(dirname(copy), STAND_IN).replace(/\.d\.ts$/, '.js');
  const text = read(file)
    .replace(/^\/\/\/ <reference types="long"[^\n]*\n/m, '')
    .replace(RELATIVE, (whole, head, quote, specifier) => {
      const target = declarationOf(file, specifier);
      if (tainted.has(target)) return whole;
      const path = relative(dirname(copy), target).replace(/\.d\.ts$/, '.js');
      return `${head}${quote}${path.startsWith('.') ? path : `./${path}`}${quote}`;
    })
    .replace(/(import(?: type)? \* as tf from |import\()(['"])@tensorflow\/tfjs-core\2/g, `$1$2${toStandIn.startsWith('.') ? toStandIn : `./${toStandIn}`}$2`);
  if (TFJS.test(text)) problems.push(`${relative(DIST, file)} still names @tensorflow/tfjs-core`);
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
  for (const [, name] of code.matchAll(/\btf\.(\w+)/g)) {
    if (!standInNames.has(name)) problems.push(`${relative(DIST, file)} names tf.${name}, which tools/tfjs-tensor.d.ts does not declare`);
  }
  mkdirSync(dirname(copy), { recursive: true });
  writeFileSync(copy, text);
}
if (problems.length > 0) {
  console.error(`ts6-types: cannot write the declarations for TypeScript 6 and later:\n${[...new Set(problems)].join('\n')}`);
  process.exit(1);
}
console.log(`ts6-types: ${tainted.size} of ${reachable.size} declaration files behind @charrnn/train/tfjs rewritten to dist/ts6/ without tfjs-core`);
