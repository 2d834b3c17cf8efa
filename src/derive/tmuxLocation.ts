/** Where a session runs in tmux, from the probe's `tmux` field `<session>:@<window>.%<pane>`. */
export interface TmuxLocation {
  readonly session: string;
  readonly window: string;
  readonly pane: string;
}

// Claude Code's own validator for the field (format doc §1.2): qds=/^[A-Za-z0-9_.-]{1,64}:@?\d{1,6}\.%?\d{1,6}$/
const LOCATION = /^([A-Za-z0-9_.-]{1,64}):@?(\d{1,6})\.%?(\d{1,6})$/;

export function tmuxLocation(field: string | undefined): TmuxLocation | undefined {
  const m = field === undefined ? null : LOCATION.exec(field);
  return m ? { session: m[1] as string, window: `@${m[2]}`, pane: `%${m[3]}` } : undefined;
}
