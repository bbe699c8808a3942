package io.connectedregistry.sync;

import io.connectedregistry.status.SyncPhase;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What sync has done since the process started, summed over cycles (the status board holds only
 * the last cycle): read by the metrics at any time from any thread. One per {@link SyncService},
 * kept across reconfigurations. Bytes are {@link TransferCounter}'s.
 */
public final class SyncTotals {
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder timedOut = new LongAdder();
  private final LongAdder cycleNanos = new LongAdder();
  private final LongAdder tagsCopied = new LongAdder();
  private final LongAdder tagsDeleted = new LongAdder();
  private final LongAdder onDemandFetches = new LongAdder();
  private final AtomicLong feedLag = new AtomicLong(-1);
  private final TransferCounter transfers;

  SyncTotals(TransferCounter transfers) {
    this.transfers = transfers;
  }

  void cycleEnded(SyncPhase result, long nanos, DownstreamSync.Report report) {
    switch (result) {
      case Succeeded -> succeeded.increment();
      case TimedOut -> timedOut.increment();
      default -> failed.increment();
    }
    cycleNanos.add(Math.max(0, nanos));
    if (report != null) {
      tagsCopied.add(report.tagsCopied());
      tagsDeleted.add(report.tagsDeleted());
    }
  }

  /** At a cycle's end, on a parent with a change feed: how far the cursor is behind its head. */
  void feedPosition(long head, long cursor) {
    if (head >= 0) {
      feedLag.set(Math.max(0, head - cursor));
    }
  }

  void onDemandFetch() {
    onDemandFetches.increment();
  }

  /**
   * Cycles that ended with {@code result}: Succeeded, Failed, or TimedOut (stopped before the end:
   * window closed, low space, a reconfiguration).
   */
  public long cycles(SyncPhase result) {
    return switch (result) {
      case Succeeded -> succeeded.sum();
      case TimedOut -> timedOut.sum();
      case Failed -> failed.sum();
      default -> 0;
    };
  }

  public long cycles() {
    return succeeded.sum() + failed.sum() + timedOut.sum();
  }

  public double cycleSeconds() {
    return cycleNanos.sum() / 1e9;
  }

  public long tagsCopied() {
    return tagsCopied.sum();
  }

  public long tagsDeleted() {
    return tagsDeleted.sum();
  }

  /** Blob bytes received from the parent (cycles, on-demand pulls and upstream checks alike). */
  public long bytes() {
    return transfers.blobBytes();
  }

  /** Fetches from the parent started by a client's pull (sync.onDemand): images and blobs. */
  public long onDemandFetches() {
    return onDemandFetches.sum();
  }

  /** Changes of the parent's feed not yet applied as of the last cycle's end; -1 before any feed cycle. */
  public long feedLag() {
    return feedLag.get();
  }
}
