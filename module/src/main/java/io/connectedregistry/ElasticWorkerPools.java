package io.connectedregistry;

import io.vertx.core.spi.ExecutorServiceFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executors behind Vert.x's worker pools (storage, auth, housekeeping, bundle imports): up to
 * the pool's size, but a thread is made only when every thread there is busy, and one idle for a
 * minute ends. Vert.x's own is a fixed pool, which makes a thread for each task until it has them
 * all, even while others sit idle: the 16 storage threads were all made in the benchmark's first
 * second, each with ~100 KiB of stack the JVM touches at start and its native buffers, for work
 * that seldom needs more than a few at once. The bound is unchanged: sixteen slow fsyncs at once
 * still get sixteen threads. A thread that ends gives back what it cached: Netty's per-thread pool
 * cache (Vert.x threads clean their fast thread-locals on exit: ElasticWorkerPoolsTest) and the
 * JDK's temporary direct buffers (freed when a thread ends).
 *
 * <p>Registered for every Vert.x instance in the JVM through {@code
 * META-INF/services/io.vertx.core.spi.VertxServiceProvider} (Vert.x asks each provider found there;
 * an {@link ExecutorServiceFactory} sets itself when no other was set).
 */
public final class ElasticWorkerPools implements ExecutorServiceFactory {
  static final long IDLE_SECONDS = 60;

  @Override
  public ExecutorService createExecutor(ThreadFactory threadFactory, Integer concurrency, Integer maxConcurrency) {
    return new Pool(maxConcurrency, threadFactory, IDLE_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * A pool with no core threads whose queue refuses a task while no thread is idle and the pool
   * is below its size, so that the executor makes a thread instead (the pattern of Tomcat's
   * {@code TaskQueue}); at its size, tasks wait in the queue.
   */
  static final class Pool extends ThreadPoolExecutor {
    /**
     * Tasks handed to the pool and not finished: more than the threads means none is idle. A
     * task's caller may learn it finished just before its thread counts it here, so a task
     * submitted right then may get a new thread although one is about to be idle: a few threads
     * more than the work needed at once, never more than the pool's size.
     */
    private final AtomicInteger unfinished = new AtomicInteger();

    /**
     * Threads alive, counted by the threads themselves: {@code getPoolSize()} takes the pool's
     * main lock, which every task would then contend for.
     */
    private final AtomicInteger threads;

    Pool(int size, ThreadFactory threadFactory, long idle, TimeUnit unit) {
      this(size, threadFactory, idle, unit, new AtomicInteger());
    }

    private Pool(int size, ThreadFactory threadFactory, long idle, TimeUnit unit, AtomicInteger threads) {
      super(0, size, idle, unit, new HandOffQueue(), counted(threadFactory, threads),
          (task, pool) -> ((Pool) pool).enqueue(task));
      this.threads = threads;
      ((HandOffQueue) getQueue()).pool = this;
    }

    private static ThreadFactory counted(ThreadFactory threadFactory, AtomicInteger threads) {
      return work -> threadFactory.newThread(() -> {
        threads.incrementAndGet();
        try {
          work.run();
        } finally {
          threads.decrementAndGet();
        }
      });
    }

    @Override
    public void execute(Runnable task) {
      unfinished.incrementAndGet();
      try {
        super.execute(task);
      } catch (RuntimeException | Error e) {
        unfinished.decrementAndGet();
        throw e;
      }
    }

    @Override
    protected void afterExecute(Runnable task, Throwable failure) {
      unfinished.decrementAndGet();
    }

    private void enqueue(Runnable task) {
      if (isShutdown()) {
        unfinished.decrementAndGet();
        throw new RejectedExecutionException("pool shut down");
      }
      ((HandOffQueue) getQueue()).force(task);
    }

    boolean threadIsIdle() {
      return unfinished.get() <= threads.get();
    }

    boolean full() {
      return threads.get() >= getMaximumPoolSize();
    }
  }

  static final class HandOffQueue extends LinkedBlockingQueue<Runnable> {
    private Pool pool;

    @Override
    public boolean offer(Runnable task) {
      // false makes the executor start a thread for this task (it refuses above the pool's size,
      // and the task comes back through force)
      return (pool.threadIsIdle() || pool.full()) && super.offer(task);
    }

    void force(Runnable task) {
      super.offer(task);
    }
  }
}
