import { readFileSync } from 'node:fs';

/** Linux reports utime and stime in clock ticks; 100 per second on every platform Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set size in MiB, from /proc/<pid>/status (0 once the process is gone). */
export function rssMib(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export interface PhaseUsage {
  readonly cpuSeconds: number;
  readonly peakRssMib: number;
  /** Median of the samples in the second half of the phase: what the worker settles at under load. */
  readonly steadyRssMib: number;
}

/**
 * Samples one process's RSS while a phase runs and takes its CPU time at both ends, so a
 * phase's figures are deltas of that phase alone.
 */
export class ProcessSampler {
  private readonly samples: number[] = [];
  private readonly startCpu: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 200,
  ) {
    this.startCpu = cpuSeconds(pid);
    this.sample();
    // A phase that fails before stop() must not keep the benchmark's process alive.
    this.timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  private sample(): void {
    const mib = rssMib(this.pid);
    if (mib > 0) this.samples.push(mib);
  }

  stop(): PhaseUsage {
    clearInterval(this.timer);
    this.sample();
    const late = this.samples.slice(Math.floor(this.samples.length / 2)).sort((a, b) => a - b);
    return {
      cpuSeconds: cpuSeconds(this.pid) - this.startCpu,
      peakRssMib: Math.max(0, ...this.samples),
      steadyRssMib: late[Math.floor(late.length / 2)] ?? 0,
    };
  }
}
