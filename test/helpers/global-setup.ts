/**
 * Vitest global setup: starts ONE private dockerd for the whole test run and
 * hands its host to tests through `inject('dockerHost')`, so test files share
 * one daemon instead of each paying for its start-up.
 */
import type { TestProject } from 'vitest/node';
import { startDockerd } from './dockerd.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** `unix://...` address of the run's private dockerd, for `docker -H`. */
    dockerHost: string;
  }
}

/** Starts the run's dockerd and returns the teardown that stops it and removes its dirs. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dockerd = await startDockerd();
  project.provide('dockerHost', dockerd.host);
  return () => dockerd.stop();
}
