import type { Logger } from 'pino';
import type { StatsMessage } from '@sightline/contracts';
import type { StatsDraft } from '../publish/mqtt-publisher';
import type { SpoolStats } from '../publish/spool';
import type { HealthRecorder } from './health-recorder';

/** Where stats go and where the delivery figures come from: in the agent, the {@link MqttPublisher}. */
export interface StatsSink {
  publishStats(draft: StatsDraft): Promise<StatsMessage>;
  readonly spoolStats: SpoolStats;
  readonly reconnects: number;
}

/** Options of {@link StatsReporter}. */
export interface StatsReporterOptions {
  sink: StatsSink;
  recorder: HealthRecorder;
  /** Seconds between reports; default 30. */
  intervalSeconds?: number;
  /** When the agent started, UTC ISO 8601 (the counters are totals since then). */
  startedAt: string;
  /** Failed reports are logged here (they are retried at the next interval). */
  logger?: Logger;
}

/**
 * Publishes the agent's health every `intervalSeconds` on `sightline/v1/<deviceId>/stats`,
 * through the spool like every other message (so reports made offline arrive later, in order):
 * frames in/processed/dropped, fps of the last period, inference p50/p95, spool depth, bytes and
 * drops (the drop counter is the spool's, persisted across restarts) and reconnects.
 *
 * @example
 * const reporter = new StatsReporter({ sink: publisher, recorder, startedAt, intervalSeconds: 30 });
 * reporter.start();
 * // ... at shutdown, before publisher.close():
 * await reporter.stop(); // one last report
 */
export class StatsReporter {
  readonly intervalSeconds: number;
  readonly #options: StatsReporterOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: StatsReporterOptions) {
    this.#options = options;
    this.intervalSeconds = options.intervalSeconds ?? 30;
    if (!(this.intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be > 0, got ${this.intervalSeconds}`);
  }

  /** Starts the periodic reports (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.report().catch((err: Error) => this.#options.logger?.warn({ err: err.message }, 'stats report failed'));
    }, this.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops the periodic reports and sends a last one. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.report();
  }

  /**
   * Builds one report from the recorder and the sink's counters and spools it. The spool figures
   * are those just before the report itself was spooled (if spooling it drops an old message,
   * the next report counts that drop).
   * @returns the message as it will be sent.
   */
  async report(nowMs = Date.now()): Promise<StatsMessage> {
    const { sink, recorder, startedAt } = this.#options;
    const health = recorder.snapshot(nowMs);
    const spool = sink.spoolStats;
    return sink.publishStats({
      sentAt: new Date(nowMs).toISOString(),
      startedAt,
      ...health,
      spool: { depth: spool.depth, bytes: spool.bytes, dropped: spool.dropped },
      reconnects: sink.reconnects,
    });
  }
}
