// The names a package's entries give its users, as its published declarations have them: each
// entry's .d.ts as tsc emits it (with the package's own stripInternal setting, so `@internal`
// re-exports are left out), `export *` of another of the package's files followed. Computed from
// the sources with ts.transpileDeclaration (one file at a time, no program), so that a test can pin
// the names without a build. Used by each package's public-api.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The build's compiler options that decide what the declarations hold. */
function buildOptions(packageDir) {
  const file = path.join(packageDir, 'tsconfig.build.json');
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  return { stripInternal: config.compilerOptions?.stripInternal === true, module: ts.ModuleKind.NodeNext };
}

function declaredNames(file, options, seen) {
  if (seen.has(file)) return [];
  seen.add(file);
  const { outputText } = ts.transpileDeclaration(readFileSync(file, 'utf8'), { fileName: file, compilerOptions: options });
  const dts = ts.createSourceFile(`${file}.d.ts`, outputText, ts.ScriptTarget.Latest);
  const names = [];
  for (const statement of dts.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause === undefined) {
        const specifier = statement.moduleSpecifier.text;
        if (!specifier.startsWith('.')) throw new Error(`${file}: export * from '${specifier}' is another package's API; list the names`);
        names.push(...declaredNames(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')), options, seen));
      } else if (ts.isNamespaceExport(clause)) names.push(clause.name.text);
      else names.push(...clause.elements.map((e) => e.name.text));
    } else if (ts.isExportAssignment(statement)) names.push('default');
    else if (ts.getCombinedModifierFlags(statement) & ts.ModifierFlags.Export) {
      if (ts.isVariableStatement(statement)) names.push(...statement.declarationList.declarations.map((d) => d.name.getText(dts)));
      else if (statement.name !== undefined) names.push(statement.name.text);
    }
  }
  return names;
}

/**
 * { entry: sorted names } for every entry of packageDir's package.json `exports` that has types
 * (`./dist/x.d.ts` is built from `src/x.ts`).
 */
export function publicApi(packageDir) {
  const { exports } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const options = buildOptions(packageDir);
  const api = {};
  for (const [entry, target] of Object.entries(exports)) {
    const types = typeof target === 'object' ? target.types : undefined;
    if (types === undefined) continue;
    const source = path.join(packageDir, types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'));
    api[entry] = [...new Set(declaredNames(source, options, new Set()))].sort();
  }
  return api;
}
