package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ElasticWorkerPoolsTest {
  private ElasticWorkerPools.Pool pool;

  @AfterEach
  void stop() throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private ElasticWorkerPools.Pool pool(int size, long idleMillis) {
    pool = new ElasticWorkerPools.Pool(size, Executors.defaultThreadFactory(), idleMillis, TimeUnit.MILLISECONDS);
    return pool;
  }

  @Test
  void tasksOneAfterAnotherShareOneThread() throws Exception {
    pool(16, 60_000);
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 200; i++) {
      pool.submit(() -> threads.add(Thread.currentThread())).get(10, TimeUnit.SECONDS);
    }
    // A task's caller may hear it finished a moment before its thread counts itself idle, and
    // then a second (rarely a third) thread is made; a fixed pool makes all 16.
    assertTrue(threads.size() <= 8, "threads made for tasks one after another: " + threads.size());
  }

  @Test
  void aThreadIsMadeWhenEveryThreadIsBusyUpToTheSizeAndTheRestWait() throws Exception {
    pool(4, 60_000);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(4);
    CountDownLatch done = new CountDownLatch(20);
    for (int i = 0; i < 20; i++) {
      pool.execute(() -> {
        started.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        done.countDown();
      });
    }
    assertTrue(started.await(10, TimeUnit.SECONDS), "four tasks run at once");
    assertEquals(4, pool.getPoolSize());
    assertEquals(16, pool.getQueue().size(), "the rest wait, none is lost");
    release.countDown();
    assertTrue(done.await(10, TimeUnit.SECONDS), "every task ran");
    assertEquals(4, pool.getLargestPoolSize());
  }

  @Test
  void idleThreadsEnd() throws Exception {
    pool(4, 50);
    CountDownLatch release = new CountDownLatch(1);
    long deadline = fourThreadsWaitingFor(release, () -> { });
    release.countDown();
    while (pool.getPoolSize() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, pool.getPoolSize());
    assertEquals("ran", pool.submit(() -> "ran").get(10, TimeUnit.SECONDS), "and a new task gets a thread again");
  }

  /**
   * Threads now end: what a worker cached must go with it. Vert.x's worker threads are Netty
   * fast-thread-local threads, like these; a pooled buffer released on one is kept in its cache.
   */
  @Test
  void anEndingThreadGivesBackItsNettyPoolCache() throws Exception {
    PooledByteBufAllocator allocator = new PooledByteBufAllocator(true);
    ThreadFactory fastThreadLocal = work -> new FastThreadLocalThread(work, "elastic-cache-test");
    pool = new ElasticWorkerPools.Pool(4, fastThreadLocal, 50, TimeUnit.MILLISECONDS);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(4);
    long deadline = fourThreadsWaitingFor(release, () -> {
      allocator.directBuffer(1024).release();
      done.countDown();
    });
    release.countDown();
    assertTrue(done.await(10, TimeUnit.SECONDS));
    assertEquals(4, allocator.metric().numThreadLocalCaches(), "each worker cached its buffer");
    while ((pool.getPoolSize() > 0 || allocator.metric().numThreadLocalCaches() > 0)
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, pool.getPoolSize());
    assertEquals(0, allocator.metric().numThreadLocalCaches(), "the ended threads' caches were freed");
  }

  /** Four tasks that wait for {@code release}, then run {@code then}; returns a deadline 10 s on. */
  private long fourThreadsWaitingFor(CountDownLatch release, Runnable then) throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      pool.execute(() -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        then.run();
      });
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (pool.getPoolSize() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(4, pool.getPoolSize(), "one thread per waiting task");
    return deadline;
  }

  @Test
  void aShutDownPoolRefusesTasks() {
    pool(2, 60_000).shutdown();
    assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
  }

  /** Vert.x finds the factory through its service file and runs worker pools on it. */
  @Test
  void vertxWorkerPoolsAreElastic() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      WorkerExecutor worker = vertx.createSharedWorkerExecutor("elastic-test", 16);
      Set<String> threads = ConcurrentHashMap.newKeySet();
      for (int i = 0; i < 50; i++) {
        worker.executeBlocking(() -> threads.add(Thread.currentThread().getName()))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      assertTrue(threads.size() <= 8, "threads for tasks one after another: " + threads);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
