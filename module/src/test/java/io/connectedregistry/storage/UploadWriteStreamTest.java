package io.connectedregistry.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many uploads at once must not queue more than the process's backlog allows: a stream with bytes
 * queued reports itself full once all streams together reach the bound, even far below its own.
 */
class UploadWriteStreamTest {
  private static final int KIB = 1024;
  /** The process backlog in this test: below one stream's own bound (512 KiB). */
  private static final int BACKLOG = 256 * KIB;

  @TempDir Path dataDir;
  Vertx vertx;
  WorkerExecutor worker;
  LocalRegistryStorage storage;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("upload-write-stream-test", 1);
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() throws Exception {
    storage.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void streamsWithBytesQueuedWaitOnceAllTogetherReachTheProcessBacklog() throws Exception {
    UploadWriteStream.Backlog backlog = new UploadWriteStream.Backlog(BACKLOG);
    Context context = vertx.getOrCreateContext();
    UploadWriteStream a = stream(context, backlog);
    UploadWriteStream b = stream(context, backlog);
    CountDownLatch drainedA = new CountDownLatch(1);
    CountDownLatch drainedB = new CountDownLatch(1);
    a.drainHandler(v -> drainedA.countDown());
    b.drainHandler(v -> drainedB.countDown());

    // The one worker is busy, so nothing drains while the test fills the queues.
    CountDownLatch release = new CountDownLatch(1);
    worker.executeBlocking(() -> release.await(30, TimeUnit.SECONDS), false);

    a.write(Buffer.buffer(new byte[BACKLOG / 2]));
    assertFalse(a.writeQueueFull(), "half of the backlog");
    a.write(Buffer.buffer(new byte[BACKLOG / 2]));
    assertTrue(UploadWriteStream.MAX_QUEUED_BYTES > BACKLOG, "this test needs A's own bound above the backlog's");
    assertTrue(a.writeQueueFull(), "the backlog (256 KiB) is reached before A's own bound ("
        + UploadWriteStream.MAX_QUEUED_BYTES + ")");
    assertFalse(b.writeQueueFull(), "a stream with nothing queued may always write: its drain wakes it");
    b.write(Buffer.buffer(new byte[BACKLOG / 2]));
    assertTrue(b.writeQueueFull(), "B now has bytes queued and the backlog is over its bound");
    assertEquals(3L * BACKLOG / 2, backlog.queued.get());

    release.countDown();
    assertTrue(drainedA.await(30, TimeUnit.SECONDS), "A is woken once its bytes are on disk");
    assertTrue(drainedB.await(30, TimeUnit.SECONDS), "B too");
    a.end().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    b.end().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(0, backlog.queued.get(), "everything written is out of the backlog");
    assertFalse(a.writeQueueFull());
  }

  private UploadWriteStream stream(Context context, UploadWriteStream.Backlog backlog) {
    UploadStatus started = storage.startUpload("team/app");
    return new UploadWriteStream(context, worker, storage.openUpload("team/app", started.id()), backlog);
  }
}
