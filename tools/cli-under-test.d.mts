export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}
export function bundleCli(entry: string): Promise<string>;
export function runCli(cli: string, args: string[], options?: { cwd?: string; input?: string; timeout?: number }): Promise<CliRun>;
export function interruptCli(
  cli: string,
  args: string[],
  when: (stdout: string, stderr: string) => boolean,
  options?: { cwd?: string; timeout?: number },
): Promise<CliRun & { interrupted: boolean }>;
