// CONTRACT STUB (helper debby-view fills it): `omni debby view RUN`, the Ink view in this terminal
// (the debby helper's `omni debby` runs it in a tmux window). Exit code as every command's.
export async function debbyViewCommand(run: string | undefined, opts: { json?: boolean }): Promise<number> {
  void run;
  void opts;
  throw new Error('not implemented');
}
