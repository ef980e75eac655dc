/**
 * Fills the `{{.Git.*}}` template fields by asking `git`, the way ko does:
 * outside a repository, without git, or before the first commit, every field
 * is empty rather than an error, so templates still render.
 */
import { run } from '../system/exec.js';
import { EMPTY_GIT_INFO, type GitInfo } from './template.js';

/** Reads branch, tag, commits, commit date and dirtiness of the repository holding `dir`. */
export async function gitTemplateData(dir: string): Promise<GitInfo> {
  const git = async (...args: string[]) => (await run('git', args, { cwd: dir })).stdout.trim();
  let inside: string;
  try {
    inside = await git('rev-parse', '--is-inside-work-tree');
  } catch {
    return EMPTY_GIT_INFO;
  }
  if (inside !== 'true') return EMPTY_GIT_INFO;
  try {
    const [branch, shortCommit, fullCommit, seconds] = await Promise.all([
      git('rev-parse', '--abbrev-ref', 'HEAD', '--quiet'),
      git('show', '--format=%h', 'HEAD', '--quiet'),
      git('show', '--format=%H', 'HEAD', '--quiet'),
      git('show', '--format=%ct', 'HEAD', '--quiet'),
    ]);
    const [tag, dirty] = await Promise.all([
      // ko falls back to v0.0.0 when no tag is reachable.
      git('describe', '--tags', '--abbrev=0', 'HEAD').catch(() => 'v0.0.0'),
      git('status', '--porcelain').then(
        (out) => out !== '',
        () => true,
      ),
    ]);
    return {
      branch,
      tag,
      shortCommit,
      fullCommit,
      commitDate: seconds === '' ? undefined : new Date(Number(seconds) * 1000),
      dirty,
    };
  } catch {
    // A repository without commits has no HEAD; ko gives up on git info too.
    return EMPTY_GIT_INFO;
  }
}
