/**
 * How the screen's rows are shared out: one status line, the resources and
 * logs panes (each with a two-line frame), one key-hint line, and one row
 * left free so Ink never has to clear the whole terminal between frames.
 */

/** Content lines (frames excluded) of each part of the main view. */
export interface MainLayout {
  /** Lines between the status bar and the key hints, frames included. */
  middle: number;
  resources: number;
  logs: number;
}

/** Splits a terminal `rows` high for `rowCount` resources; the resources pane takes at most half. */
export function mainLayout(rows: number, rowCount: number): MainLayout {
  const middle = Math.max(4, rows - 1 - 2);
  const content = Math.max(2, middle - 4);
  const resources = Math.min(Math.max(1, rowCount), Math.max(1, Math.floor(content / 2)));
  return { middle, resources, logs: Math.max(1, content - resources) };
}

/** The first row shown when `selected` must be visible in a pane `height` rows high. */
export function firstVisibleRow(selected: number, height: number, count: number): number {
  if (count <= height) return 0;
  return Math.min(Math.max(0, selected - height + 1), count - height);
}
