/**
 * The local runtime's deployer: restarts the processes whose image changed,
 * with the args and env their manifests give (or none, without manifests),
 * KO_DATA_PATH pointing at the package's kodata directory.
 */
import type { Deployer, PhaseTimer } from './engine.js';
import type { LocalRuntime } from './local-runtime.js';
import type { LocalProcess } from './local-specs.js';

/** Where each image's package lives. */
export interface LocalPackage {
  kodataDir: string;
  /** Directory the process runs in (the package directory). */
  dir: string;
}

/** Restarts local processes for changed images. */
export class LocalDeployer implements Deployer {
  private restartAll = false;

  /** New process specs (a manifest edit): every process restarts on the next deploy. */
  setProcesses(processes: readonly LocalProcess[]): void {
    const gone = this.o.processes.filter((p) => !processes.some((q) => q.name === p.name));
    for (const p of gone) void this.o.runtime.stop(p.name);
    this.o.processes = processes;
    this.restartAll = true;
  }

  constructor(
    private readonly o: {
      runtime: LocalRuntime;
      processes: readonly LocalProcess[];
      packages: ReadonlyMap<string, LocalPackage>;
      applied?: (at: number) => void;
    },
  ) {}

  async deploy(
    changed: ReadonlySet<string>,
    outputs: ReadonlyMap<string, string>,
    _signal: AbortSignal,
    time: PhaseTimer,
  ): Promise<void> {
    const started = performance.now();
    for (const p of this.o.processes) {
      const binary = outputs.get(p.importPath);
      const pkg = this.o.packages.get(p.importPath);
      if ((!changed.has(p.importPath) && !this.restartAll) || !binary || !pkg) continue;
      await this.o.runtime.run(p, binary, pkg.kodataDir, pkg.dir);
    }
    this.restartAll = false;
    time('apply', performance.now() - started);
    this.o.applied?.(Date.now());
  }

  async stop(): Promise<void> {
    await this.o.runtime.stopAll();
  }
}
