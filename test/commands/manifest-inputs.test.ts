/** Usage errors of the manifest-reading commands and of `kodev up`: one line, exit 2 (usage) or 1, nothing on stdout. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAll, runKodev, tempDir } from '../helpers/kodev.js';

let dir: string;

beforeAll(async () => {
  dir = await tempDir('kodev-inputs-');
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'empty/notes.txt'), 'not a manifest\n');
});
afterAll(() => removeAll(dir));

describe('bad manifest inputs and kodev up usage', () => {
  const cases: { name: string; args: string[]; input?: string; code: number; error: string }[] = [
    {
      name: 'resolve with no -f',
      args: ['resolve'],
      code: 2,
      error: 'Error: no manifests given; pass -f FILE, -f DIR or -f - for stdin',
    },
    {
      name: 'stdin named twice',
      args: ['resolve', '-f', '-', '-f', '-'],
      input: 'a: b\n',
      code: 2,
      error: 'Error: -f - given twice; stdin can be read only once',
    },
    {
      name: 'a directory without manifests',
      args: ['resolve', '-f', 'empty'],
      code: 1,
      error:
        'Error: -f empty: the directory has no .yaml, .yml or .json files; add -R to read subdirectories',
    },
    {
      name: 'kodev up with nothing to build',
      args: ['up', '--once', '--runtime', 'local'],
      code: 2,
      error:
        'Error: kodev up has nothing to build; pass import paths (kodev up ./cmd/app), manifests with -f, or set dev.manifests in kodev.config.ts',
    },
    {
      name: 'an unknown runtime',
      args: ['up', '--once', '--runtime', 'docker', './cmd/app'],
      code: 2,
      error: 'Error: --runtime "docker": expected kubernetes, local or auto',
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const r = await runKodev(c.args, {
        cwd: dir,
        env: { HOME: dir },
        ...(c.input ? { input: c.input } : {}),
      });
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${c.error}\n`);
      expect(r.exitCode).toBe(c.code);
    });
});
