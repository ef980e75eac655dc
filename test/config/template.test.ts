import { describe, expect, it } from 'vitest';
import {
  EMPTY_GIT_INFO,
  type GitInfo,
  renderTemplate,
  renderTemplates,
  type TemplateData,
  TemplateError,
} from '../../src/config/template.js';

const git: GitInfo = {
  branch: 'main',
  tag: 'v1.2.3',
  shortCommit: 'abc1234',
  fullCommit: 'abc1234def5678abc1234def5678abc1234def56',
  commitDate: new Date('2024-05-06T07:08:09Z'),
  dirty: false,
};

const data: TemplateData = {
  env: { NAME: 'world', EMPTY: '', UNSET: undefined },
  git,
  date: new Date('2025-01-02T03:04:05.678Z'),
};

describe('renderTemplate', () => {
  const cases: { name: string; template: string; want: string; data?: TemplateData }[] = [
    { name: 'plain text passes through', template: '-trimpath', want: '-trimpath' },
    { name: 'env var', template: '-X main.name={{.Env.NAME}}', want: '-X main.name=world' },
    { name: 'env var set to empty string', template: 'a{{.Env.EMPTY}}b', want: 'ab' },
    { name: 'LDFLAGS defaults to empty, as in ko', template: '{{.Env.LDFLAGS}}-s', want: '-s' },
    { name: 'whitespace inside braces', template: '{{ .Env.NAME }}/{{  .Git.Tag\t}}', want: 'world/v1.2.3' },
    { name: 'trim markers eat surrounding spaces', template: 'a  {{- .Env.NAME -}}  b', want: 'aworldb' },
    { name: 'comment renders nothing', template: 'x{{/* note */}}y', want: 'xy' },
    {
      name: 'several actions in one string',
      template: '{{.Git.Branch}}@{{.Git.ShortCommit}}',
      want: 'main@abc1234',
    },
    { name: 'full commit', template: '{{.Git.FullCommit}}', want: git.fullCommit },
    { name: 'commit date is RFC3339 UTC', template: '{{.Git.CommitDate}}', want: '2024-05-06T07:08:09Z' },
    { name: 'commit timestamp is unix seconds', template: '{{.Git.CommitTimestamp}}', want: '1714979289' },
    {
      name: 'clean tree',
      template: '{{.Git.IsDirty}} {{.Git.IsClean}} {{.Git.TreeState}}',
      want: 'false true clean',
    },
    {
      name: 'dirty tree',
      template: '{{.Git.IsDirty}} {{.Git.IsClean}} {{.Git.TreeState}}',
      want: 'true false dirty',
      data: { ...data, git: { ...git, dirty: true } },
    },
    {
      name: 'build date is RFC3339 UTC without fraction',
      template: '{{.Date}}',
      want: '2025-01-02T03:04:05Z',
    },
    { name: 'build timestamp is unix seconds', template: '{{.Timestamp}}', want: '1735787045' },
    {
      name: 'outside a repo git fields are empty and the date is Go zero time',
      template:
        '[{{.Git.Branch}}][{{.Git.Tag}}][{{.Git.ShortCommit}}] {{.Git.CommitDate}} {{.Git.CommitTimestamp}}',
      want: '[][][] 0001-01-01T00:00:00Z -62135596800',
      data: { ...data, git: EMPTY_GIT_INFO },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(renderTemplate(c.template, c.data ?? data)).toBe(c.want);
    });
  }

  const failures: { name: string; template: string; message: string }[] = [
    {
      name: 'missing env var names the key and the template',
      template: '{{.Env.NOPE}}',
      message: 'template "{{.Env.NOPE}}": no value for .Env.NOPE',
    },
    {
      name: 'env var present but undefined is missing',
      template: '-X a={{ .Env.UNSET }}',
      message: 'template "-X a={{ .Env.UNSET }}": no value for .Env.UNSET',
    },
    { name: 'unknown git field', template: '{{.Git.Author}}', message: 'no value for .Git.Author' },
    { name: 'unknown top-level field', template: '{{.Version}}', message: 'no value for .Version' },
    { name: 'a map is not a value', template: '{{.Env}}', message: 'no value for .Env' },
    { name: 'field of a string', template: '{{.Date.Year}}', message: 'no value for .Date.Year' },
    {
      name: 'prototype keys are not values',
      template: '{{.Env.constructor}}',
      message: 'no value for .Env.constructor',
    },
    { name: 'unclosed action', template: 'a{{.Env.NAME', message: 'unclosed action' },
    { name: 'pipelines are unsupported', template: '{{ .Env.NAME | upper }}', message: 'unsupported action' },
  ];
  for (const c of failures) {
    it(`fails: ${c.name}`, () => {
      let err: unknown;
      try {
        renderTemplate(c.template, data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).message).toContain(c.message);
      expect((err as TemplateError).template).toBe(c.template);
    });
  }
});

describe('renderTemplates', () => {
  it('renders every entry of a list in order', () => {
    expect(renderTemplates(['-X a={{.Env.NAME}}', '-s', '{{.Git.Tag}}'], data)).toEqual([
      '-X a=world',
      '-s',
      'v1.2.3',
    ]);
  });
});
