export interface Machine {
  cpus: number;
  cpuModel: string;
  /** /proc/cpuinfo's flags (absent in figures recorded before they were kept). */
  cpuFlags?: string[];
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
  /** The load gate's sample before the run (absent in figures recorded before the gate). */
  gate?: { busyCores: number; maxBusyCores: number; overridden: boolean; sampleSeconds: number };
  date: string;
  /** The benchmark's own JSON report. */
  report: unknown;
}
export declare const WORKSPACE: string;
export declare const FIGURES_DIR: string;
export declare const RUNS: { name: string; target: string; args: string[] }[];
export declare const TABLES: Record<string, { runs: string[]; render: (recorded: Recorded[]) => string[]; partial?: boolean }>;
export declare const READMES: string[];
export declare function provenance(recorded: Recorded[]): string;
export declare function trainingTable(recorded: Recorded[]): string[];
export declare function parallelTable(recorded: Recorded[]): string[];
export declare function generationTable(recorded: Recorded[]): string[];
export declare function servingTable(recorded: Recorded[]): string[];
export declare function lighthouseTable(recorded: Recorded[]): string[];
export declare function qualityTable(recorded: Recorded[]): string[];
export declare function fenced(text: string): string[];
export declare function extractReport(stdout: string): unknown;
export declare function replaceBlock(text: string, table: string, body: string[]): string;
export declare function renderTable(table: string, recorded: Recorded[], missing?: string[]): string[];
export declare function renderReadmes(root?: string): { file: string; before: string; after: string }[];
export declare const MUTATION_DIR: string;
export declare const MUTATION_TABLE: string;
/** A package's Stryker report, in the mutation-testing-report-schema's shape (the fields read here). */
export interface MutationReport {
  pkg: string;
  report: {
    files: Record<
      string,
      {
        source?: string;
        mutants: { mutatorName: string; replacement?: string; status: string; location: { start: { line: number; column: number }; end?: { line: number; column: number } } }[];
      }
    >;
  };
}
/** Per file, the surviving mutants no test can kill, and why. */
export type Explained = Record<string, { mutator: string; original: string; replacement: string; /** text the mutant's source line must contain, when `original` alone is ambiguous */ within?: string; /** its line, when even that is ambiguous (a stale line leaves the mutant unexplained) */ line?: number; why: string }[]>;
export declare function mutationTable(reports: MutationReport[], explained?: Explained): string[];
export declare function readExplained(root?: string): Explained;
export declare function readMutationReports(root?: string): MutationReport[];
export declare const LOAD_GATE: { sampleSeconds: number; maxBusyCores: number };
/** os.cpus()'s shape, the fields read here. */
export interface CpuTimes {
  times: { user: number; nice: number; sys: number; idle: number; irq: number };
}
export declare function busyCores(before: CpuTimes[], after: CpuTimes[]): number;
export declare function gateRefusal(name: string, busy: number, maxBusyCores: number, overridden: boolean): string | null;
export declare function parseRunArgs(argv: string[]): { maxBusyCores: number; overridden: boolean; dir: string | null; extra: string[]; names: string[] };
export declare function vectorFlags(flags?: string[]): string[];
export declare const FAST_BLAS: string[];
export declare function anchorProblems(recorded: Recorded): string[];
export declare function withdrawn(table: string, recorded: Recorded[], problems: string[]): string[];
