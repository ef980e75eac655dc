/**
 * The independent SBOM validators that scripts/install-sbom-validators.sh
 * installs: the SPDX project's pyspdxtools and tools-java (which checks the
 * official SPDX 2.3 JSON schema), and the CycloneDX project's Python library
 * with its bundled CycloneDX 1.5 JSON schema. A missing validator is an
 * error that says how to install it, never a skipped check.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const DIR = join(homedir(), '.cache/kodev/sbom-validators');
const PYTHON = join(DIR, 'venv/bin/python');
const PYSPDXTOOLS = join(DIR, 'venv/bin/pyspdxtools');
const TOOLS_JAVA = join(DIR, 'tools-java-2.0.1-jar-with-dependencies.jar');
const CHECK_CYCLONEDX = new URL('./check-cyclonedx.py', import.meta.url).pathname;

/** What a validator said about one file. */
export interface Verdict {
  validator: string;
  valid: boolean;
  output: string;
}

function installed(path: string): string {
  if (!existsSync(path)) {
    throw new Error(`SBOM validator missing: ${path}; run scripts/install-test-deps.sh`);
  }
  return path;
}

async function verdict(
  validator: string,
  file: string,
  args: string[],
  validText?: string,
): Promise<Verdict> {
  const r = await execa(file, args, { reject: false, all: true });
  if ((r as { code?: string }).code === 'ENOENT') {
    throw new Error(
      `SBOM validator ${validator} cannot start: ${file} not found; run scripts/install-test-deps.sh`,
    );
  }
  const output = r.all ?? '';
  const valid = r.exitCode === 0 && (validText === undefined || output.includes(validText));
  return { validator, valid, output };
}

/** Runs both SPDX validators on an SPDX 2.3 JSON file. */
export async function validateSpdx(file: string): Promise<Verdict[]> {
  return Promise.all([
    verdict('pyspdxtools', installed(PYSPDXTOOLS), ['-i', file]),
    // The local license list: the online one is out of reach and not needed here.
    verdict(
      'tools-java Verify',
      'java',
      ['-DSPDXParser.OnlyUseLocalLicenses=true', '-jar', installed(TOOLS_JAVA), 'Verify', file, 'JSON'],
      'This SPDX Document is valid.',
    ),
  ]);
}

/**
 * Runs the CycloneDX library's strict JSON schema validation and model checks
 * on 1.5 BOMs, all in one process; one verdict per file, in order.
 */
export async function validateCyclonedx(files: readonly string[]): Promise<Verdict[]> {
  const validator = 'cyclonedx-python-lib';
  const r = await execa(installed(PYTHON), [CHECK_CYCLONEDX, ...files], { reject: false, all: true });
  const lines = r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  if (lines.length !== files.length) throw new Error(`${validator} failed (exit ${r.exitCode}):\n${r.all}`);
  return lines.map((line) => {
    const { valid, output } = JSON.parse(line) as { valid: boolean; output: string };
    return { validator, valid, output };
  });
}
