export interface Machine {
  cpus: number;
  cpuModel: string;
  platform: string;
  node: string;
}
/** One benchmark run as figures/<name>.json keeps it. */
export interface Recorded {
  name: string;
  command?: string;
  machine: Machine;
  /** 1-minute load average before and after the run. */
  loadavg: number[];
  date: string;
  /** The benchmark's own JSON report. */
  report: unknown;
}
export declare const WORKSPACE: string;
export declare const FIGURES_DIR: string;
export declare const RUNS: { name: string; target: string; args: string[] }[];
export declare const TABLES: Record<string, { runs: string[]; render: (recorded: Recorded[]) => string[] }>;
export declare const READMES: string[];
export declare function provenance(recorded: Recorded[]): string;
export declare function trainingTable(recorded: Recorded[]): string[];
export declare function generationTable(recorded: Recorded[]): string[];
export declare function servingTable(recorded: Recorded[]): string[];
export declare function extractReport(stdout: string): unknown;
export declare function replaceBlock(text: string, table: string, body: string[]): string;
export declare function renderTable(table: string, recorded: Recorded[]): string[];
export declare function renderReadmes(root?: string): { file: string; before: string; after: string }[];
export declare const MUTATION_DIR: string;
export declare const MUTATION_TABLE: string;
/** A package's Stryker report, in the mutation-testing-report-schema's shape (the fields read here). */
export interface MutationReport {
  pkg: string;
  report: {
    files: Record<
      string,
      { mutants: { mutatorName: string; replacement?: string; status: string; statusReason?: string; location: { start: { line: number; column: number } } }[] }
    >;
  };
}
export declare function mutationTable(reports: MutationReport[]): string[];
export declare function readMutationReports(root?: string): MutationReport[];
