export declare const WORKSPACE: string;
export declare const PYTHON: string;
export declare const VALID_FRACTION: number;
export declare const CORPORA: Record<string, string>;
export declare const NANOGPT_README_FLAGS: string[];
export declare const NANOGPT_README_RUN: { iters: number; evalInterval: number; warmupIters: number };
export declare class QualityError extends Error {}
export declare function splitIndex(n: number, validFraction?: number): number;
export declare function textProblems(text: string, name: string): string[];
export declare function nanogptVocab(text: string): string[];
export declare function parseNanogptLog(stdout: string): number[];
export interface NanogptPlan {
  maxIters: number;
  evalInterval: number;
  warmupIters: number;
  perIter: number;
  evalSeconds: number;
  startupSeconds: number;
}
export declare function planNanogpt(budgetSeconds: number, warmup: { iters: number; seconds: number; times: number[] }): NanogptPlan;
export declare function nanogptArgs(run: { dataDir: string; outDir: string; maxIters: number; evalInterval: number; warmupIters: number }): string[];
export interface TrainerJson {
  charsTrained?: number;
  best?: { validLoss: number; step: number } | null;
  history?: { validLoss: number; charsPerSecond: number; seconds: number }[];
  partial?: { targets: number };
}
export declare function oursCharsTrained(trainer: TrainerJson): number;
export declare function oursOwnValidLoss(trainer: TrainerJson): number;
export declare function freshDirectory(base: string, exists?: (p: string) => boolean): string;
export declare function resolveCorpus(corpus: string, root?: string): { name: string; file: string };
export interface QualityOptions {
  corpus: string;
  minutes: number;
  threads: number;
  out?: string;
  only: string[];
  pytorchFloor?: number;
}
export declare function parseArgs(argv: string[]): QualityOptions;
export declare function threadEnv(threads: number, base?: Record<string, string | undefined>): Record<string, string | undefined>;
export declare function checkNanogptSplit(dataDir: string, text: string, validText: string): void;
