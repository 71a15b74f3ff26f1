/** One epoch of a run, as printed in the table and written to history.jsonl / trainer.json. */
export interface EpochRecord {
  epoch: number;
  /** Learning rate at the start of the epoch. */
  lr: number;
  trainLoss: number;
  validLoss: number;
  /** Training target characters per second (validation time excluded). */
  charsPerSecond: number;
  /** Wall seconds of the epoch's training batches. */
  seconds: number;
  /** Training batches in the epoch. */
  batches: number;
  /** Optimizer steps since the start of the run, at the end of the epoch. */
  step: number;
  /** A time-budget run's rows: seconds into the run at this validation. */
  elapsed?: number;
}

export function historyJsonl(history: readonly EpochRecord[]): string {
  return history.map((r) => JSON.stringify(r)).join('\n') + (history.length ? '\n' : '');
}

export const TABLE_HEADER = 'epoch  trn_loss  val_loss  chars/s     time      lr';

/** The lesson's fit() line (`epoch trn_loss val_loss`) plus throughput, time and lr. */
export function tableRow(r: EpochRecord): string {
  return [
    String(r.epoch).padStart(5),
    r.trainLoss.toFixed(4).padStart(9),
    r.validLoss.toFixed(4).padStart(9),
    Math.round(r.charsPerSecond).toString().padStart(8),
    `${r.seconds.toFixed(1)}s`.padStart(8),
    r.lr.toExponential(1).padStart(7),
  ].join(' ');
}
