/** `kodev completion bash|zsh|fish`: shell completion scripts generated from the command tree. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** The shells kodev writes completion for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

interface Tree {
  commands: { name: string; description: string; options: string[] }[];
  globalOptions: string[];
}

function tree(program: Command): Tree {
  const flags = (c: Command) =>
    c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  return {
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description(),
      options: [...flags(c), '--help'],
    })),
    globalOptions: [...flags(program), '--help'],
  };
}

/** Returns the completion script for a shell. */
export function completionScript(program: Command, shell: string): string {
  const t = tree(program);
  const names = t.commands.map((c) => c.name).join(' ');
  switch (shell) {
    case 'bash': {
      const cases = t.commands.map((c) => `    ${c.name}) opts="${c.options.join(' ')}" ;;`).join('\n');
      return `# kodev bash completion: source <(kodev completion bash)
_kodev() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="\${COMP_WORDS[1]}" opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${names} ${t.globalOptions.join(' ')}" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o filenames -F _kodev kodev
`;
    }
    case 'zsh': {
      const cmds = t.commands.map((c) => `'${c.name}:${c.description.replace(/'/g, '')}'`).join(' ');
      const cases = t.commands
        .map(
          (c) => `    ${c.name}) _arguments ${c.options.map((o) => `'${o}'`).join(' ')} '*:file:_files' ;;`,
        )
        .join('\n');
      return `#compdef kodev
# kodev zsh completion: source <(kodev completion zsh)
_kodev() {
  if (( CURRENT == 2 )); then
    local -a cmds; cmds=(${cmds}); _describe 'command' cmds; return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _kodev kodev
`;
    }
    case 'fish': {
      const lines = t.commands.flatMap((c) => [
        `complete -c kodev -n '__fish_use_subcommand' -a ${c.name} -d '${c.description.replace(/'/g, '')}'`,
        ...c.options
          .filter((o) => o.startsWith('--'))
          .map((o) => `complete -c kodev -n '__fish_seen_subcommand_from ${c.name}' -l ${o.slice(2)}`),
      ]);
      return `# kodev fish completion: kodev completion fish | source\n${lines.join('\n')}\n`;
    }
    default:
      throw new UsageError(`completion: unknown shell ${JSON.stringify(shell)}`, {
        hint: `choose one of ${SHELLS.join(', ')}`,
      });
  }
}
