/** main.ts's wrapper for a command's action: the number it returns is the exit code. */
export type RunAction = <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) => (...args: A) => Promise<void>;
