/**
 * The terminal's size from Ink's stdout, updated on `resize`, so the UI can
 * lay itself out to fit the screen exactly.
 */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** Columns and rows of the terminal. */
export interface TerminalSize {
  columns: number;
  rows: number;
}

/** Used when the stream does not know its size (not a TTY). */
export const DEFAULT_SIZE: TerminalSize = { columns: 80, rows: 24 };

/** The current terminal size; renders again when the terminal is resized. */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () =>
      setSize((prev) => {
        const next = sizeOf(stdout);
        return next.columns === prev.columns && next.rows === prev.rows ? prev : next;
      });
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function sizeOf(stdout: NodeJS.WriteStream): TerminalSize {
  const columns = stdout.columns > 0 ? stdout.columns : DEFAULT_SIZE.columns;
  const rows = stdout.rows > 0 ? stdout.rows : DEFAULT_SIZE.rows;
  return { columns, rows };
}
