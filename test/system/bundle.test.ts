/**
 * The bundled entry (dist/bundle/cli.js, what bin/kodev runs) is one module:
 * an unchanged run is answered from it alone, so it must not share chunks
 * with the rest of the CLI (each would cost the ES module loader a file on
 * every start). A module-resolution hook records what it imports.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, kodevEnv } from '../helpers/kodev.js';

/** Every specifier dist/bundle/cli.js resolves (statically or dynamically) while running `args`. */
async function entryImports(args: string[]): Promise<string[]> {
  const hook = `export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    if (context.parentURL && context.parentURL.endsWith('/dist/bundle/cli.js'))
      process.stderr.write('IMPORT ' + specifier + '\\n');
    return resolved;
  }`;
  const register = `import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
  const r = await execa(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(register)}`, CLI, ...args],
    { env: kodevEnv(), extendEnv: false, reject: false },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('IMPORT '))
    .map((l) => l.slice('IMPORT '.length));
}

describe('the bundled entry', () => {
  it('imports only Node built-ins, the CLI (main.js) and extra-ca.js: no shared chunks', async () => {
    const imports = await entryImports(['version']);
    expect(imports.filter((s) => s.startsWith('node:')).length).toBeGreaterThan(0);
    expect(imports.filter((s) => !s.startsWith('node:')).sort()).toEqual(['./extra-ca.js', './main.js']);
  });
});
