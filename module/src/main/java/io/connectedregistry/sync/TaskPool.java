package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;

/**
 * Runs asynchronous tasks submitted from anywhere in a cycle with at most {@code size} in flight
 * across all of them; the others wait, first come first started. Unlike {@link Bounded#all}, whose
 * bound holds for one list, a pool shared by every repository keeps its slots busy while some
 * repositories still list their tags and others end: a new task starts as soon as any slot frees.
 */
final class TaskPool {
  private final int size;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>(); // guarded by this
  private int running; // guarded by this
  /** A drain loop is under way: a task that ends at once (in the loop) leaves the next start to it. */
  private boolean draining; // guarded by this

  TaskPool(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("a pool needs at least one slot");
    }
    this.size = size;
  }

  /** Runs {@code task} once a slot is free; completes with its outcome. */
  <T> Future<T> submit(Callable<Future<T>> task) {
    Promise<T> result = Promise.promise();
    Runnable start = () -> {
      Future<T> running;
      try {
        running = task.call();
      } catch (Exception e) {
        running = Future.failedFuture(e);
      }
      running.onComplete(outcome -> {
        synchronized (this) {
          this.running--;
        }
        drain();
        result.handle(outcome);
      });
    };
    synchronized (this) {
      waiting.add(start);
    }
    drain();
    return result.future();
  }

  /** Tasks started and not yet ended. */
  synchronized int running() {
    return running;
  }

  /**
   * Starts waiting tasks while slots are free. A loop, not recursion: thousands of tasks that end
   * at once (a cycle stopping at a safe point) must not each start the next a frame deeper.
   */
  private void drain() {
    synchronized (this) {
      if (draining) {
        return;
      }
      draining = true;
    }
    boolean done = false;
    try {
      while (true) {
        Runnable next;
        synchronized (this) {
          if (running >= size || waiting.isEmpty()) {
            draining = false;
            done = true;
            return;
          }
          running++;
          next = waiting.poll();
        }
        next.run();
      }
    } finally {
      if (!done) {
        synchronized (this) {
          draining = false; // an unexpected throw: the next end or submit drains again
        }
      }
    }
  }
}
