package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BandwidthLimiterTest {
  private static final int MIB = 1024 * 1024;
  private static final int CHUNK = 64 * 1024;

  @Test
  void threeMibAtOneMibPerSecondWaitsTwoToThreeSeconds() {
    BandwidthLimiter limiter = new BandwidthLimiter(MIB);
    long last = 0;
    for (int reserved = 0; reserved < 3 * MIB; reserved += CHUNK) {
      last = limiter.delayNanos(CHUNK);
    }
    // Reservations queue, so the last wait covers all 3 MiB: the first period's ~102 KiB go at
    // once, the rest at 1 MiB/s in 100 ms steps, the last step ending at about 3 s.
    double seconds = last / 1e9;
    assertTrue(seconds >= 2.0 && seconds <= 3.05, "waited " + seconds + " s");
  }

  @Test
  void oneReservationLargerThanAPeriodWaitsForSeveralPeriods() {
    BandwidthLimiter limiter = new BandwidthLimiter(MIB);
    double seconds = limiter.delayNanos(MIB) / 1e9;
    // Ten periods of 104,857 bytes (a tenth of 1 MiB/s, rounded down) fall 6 bytes short of 1 MiB,
    // so the reservation waits for the start of the eleventh, 1 s from the first.
    assertTrue(seconds >= 0.8 && seconds <= 1.05, "waited " + seconds + " s");
    assertTrue(limiter.delayNanos(1) > 0.9e9, "the next byte queues behind it");
  }

  @Test
  void smallReadsWithinThePeriodGoAtOnce() {
    BandwidthLimiter limiter = new BandwidthLimiter(MIB);
    assertEquals(0, limiter.delayNanos(CHUNK));
    assertEquals(0, limiter.delayNanos(0));
  }

  @Test
  void unlimitedNeverWaits() {
    BandwidthLimiter limiter = new BandwidthLimiter(0);
    assertTrue(limiter.unlimited());
    for (int i = 0; i < 1000; i++) {
      assertEquals(0, limiter.delayNanos(MIB));
    }
    assertEquals(0, BandwidthLimiter.UNLIMITED.delayNanos(Integer.MAX_VALUE));
  }

  @Test
  void negativeBandwidthIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new BandwidthLimiter(-1));
  }

  @Test
  void throttledStreamTakesAsLongAsTheBudgetSays() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      BandwidthLimiter limiter = new BandwidthLimiter(MIB);
      CompletableFuture<Long> elapsed = new CompletableFuture<>();
      vertx.runOnContext(v -> {
        long start = System.nanoTime();
        ChunkSource source = new ChunkSource(vertx, 8, CHUNK);
        source.endHandler(end -> elapsed.complete(System.nanoTime() - start));
        source.handler(chunk -> limiter.throttle(vertx, source, chunk.length()));
        source.resume();
      });
      // 512 KiB less the first period's ~102 KiB, at 1 MiB/s: about 0.4 s.
      double seconds = elapsed.get(10, TimeUnit.SECONDS) / 1e9;
      assertTrue(seconds >= 0.3 && seconds < 2, "took " + seconds + " s");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Emits {@code count} chunks on the event loop, one per turn, as long as it is not paused. */
  private static final class ChunkSource implements ReadStream<Buffer> {
    private final Vertx vertx;
    private final int size;
    private int remaining;
    private boolean paused = true;
    private boolean scheduled;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;

    ChunkSource(Vertx vertx, int count, int size) {
      this.vertx = vertx;
      this.remaining = count;
      this.size = size;
    }

    private void emitLater() {
      if (!scheduled) {
        scheduled = true;
        vertx.runOnContext(v -> {
          scheduled = false;
          emit();
        });
      }
    }

    private void emit() {
      if (paused) {
        return;
      }
      if (remaining == 0) {
        endHandler.handle(null);
        return;
      }
      remaining--;
      handler.handle(Buffer.buffer(new byte[size]));
      emitLater();
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
      this.handler = handler;
      return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
      this.endHandler = endHandler;
      return this;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
      paused = true;
      return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
      paused = false;
      emitLater();
      return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
      return resume();
    }
  }
}
