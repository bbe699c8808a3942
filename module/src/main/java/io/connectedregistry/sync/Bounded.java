package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs asynchronous tasks with at most {@code parallel} in flight; fails with the first failure after all ended. */
final class Bounded {
  private Bounded() {}

  static Future<Void> all(List<Callable<Future<Void>>> tasks, int parallel) {
    if (tasks.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    Throwable[] firstFailure = new Throwable[1];
    Runnable[] start = new Runnable[1];
    start[0] = () -> {
      int index = next.getAndIncrement();
      if (index >= tasks.size()) {
        return;
      }
      Future<Void> running;
      try {
        running = tasks.get(index).call();
      } catch (Exception e) {
        running = Future.failedFuture(e);
      }
      running.onComplete(result -> {
        if (result.failed()) {
          synchronized (firstFailure) {
            if (firstFailure[0] == null) {
              firstFailure[0] = result.cause();
            }
          }
        }
        if (finished.incrementAndGet() == tasks.size()) {
          if (firstFailure[0] == null) {
            done.complete();
          } else {
            done.fail(firstFailure[0]);
          }
        } else {
          start[0].run();
        }
      });
    };
    for (int i = 0; i < Math.min(parallel, tasks.size()); i++) {
      start[0].run();
    }
    return done.future();
  }
}
