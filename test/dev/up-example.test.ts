/** What the README promises a newcomer: `npx kodev up --once` in this repository runs the bundled example locally. */
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, removeAll, runKodev, tempDir } from '../helpers/kodev.js';

describe('kodev up --once on the bundled example (repository kodev.config.ts)', () => {
  it('picks the local runtime with no kubeconfig and prints both programs output', async () => {
    const home = await tempDir('kodev-home-');
    try {
      const r = await runKodev(['up', '--once'], { cwd: REPO_ROOT, env: { HOME: home } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^kodev up: 2 image\(s\), local runtime \(processes on this machine\)$/m);
      expect(r.stdout).toContain('[hello/hello/local] Hello, world, from a kodev image!\n');
      expect(r.stdout).toContain('[hello/hello/local] greeting.txt: greetings from kodata\n');
      expect(r.stdout).toContain('[worker/worker/local] Hello, worker, from a kodev image!\n');
    } finally {
      await removeAll(home);
    }
  }, 180_000);
});
