export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}
export function bundleCli(entry: string): Promise<string>;
export function runCli(cli: string, args: string[], options?: { cwd?: string; input?: string; timeout?: number; env?: Record<string, string> }): Promise<CliRun>;
