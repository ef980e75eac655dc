/** The CLI surface: help, version, completion, exit codes. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runKodev, tempDir } from './helpers/kodev.js';

describe('kodev CLI', () => {
  it('version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runKodev(['version'], { cwd: REPO_ROOT });
    expect(r).toMatchObject({ exitCode: 0, stdout: `${pkg.version}\n` });
  });

  it('npx kodev runs the package bin (as the quick start does)', async () => {
    const r = await execa('npx', ['--no-install', 'kodev', 'version'], { cwd: REPO_ROOT, reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['--help'], /Usage: kodev/],
    [['build', '--help'], /--platform <platforms>[^]*--oci-layout-path <dir>/],
  ])('%j prints help and exits 0', async (args, pattern) => {
    const r = await runKodev(args, { cwd: REPO_ROOT });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(pattern);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['build'], /missing required argument 'import-paths'/],
    [[], /Usage: kodev/],
  ])('%j is a usage error (exit 2)', async (args, pattern) => {
    const r = await runKodev(args, { cwd: REPO_ROOT });
    expect(r.exitCode).toBe(2);
    expect(r.stdout + r.stderr).toMatch(pattern);
  });

  it('completion bash is valid bash that completes commands and flags', async () => {
    const r = await runKodev(['completion', 'bash'], { cwd: REPO_ROOT });
    expect(r.exitCode).toBe(0);
    const file = join(await tempDir(), 'kodev.bash');
    await writeFile(file, r.stdout);
    const script = `source ${file}; COMP_WORDS=(kodev bu); COMP_CWORD=1; _kodev; echo "\${COMPREPLY[*]}"; COMP_WORDS=(kodev build --oci); COMP_CWORD=2; _kodev; echo "\${COMPREPLY[*]}"`;
    const { stdout } = await execa('bash', ['-c', script]);
    expect(stdout.split('\n')).toEqual(['build', '--oci-layout-path']);
  });

  it.each([
    ['zsh', /#compdef kodev[^]*build/],
    ['fish', /complete -c kodev -n '__fish_use_subcommand' -a build/],
  ])('completion %s', async (shell, pattern) => {
    const r = await runKodev(['completion', shell], { cwd: REPO_ROOT });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(pattern);
  });

  it('completion for an unknown shell is a usage error', async () => {
    const r = await runKodev(['completion', 'tcsh'], { cwd: REPO_ROOT });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown shell "tcsh"; choose one of bash, zsh, fish/);
  });
});
