package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code registry-auth} pool as logins use it (new credentials on any route, and the token
 * endpoint): at most {@link #CAPACITY} logins waiting or running; one more is answered 429 at once.
 *
 * <p>A password check is PBKDF2, slow on purpose, on two threads. Unbounded, a burst of logins
 * (or a guesser with many addresses) would queue for minutes, holding connections and memory,
 * while every new client waited behind it. 32 at ~0.1-0.3 s per check on two threads is a few
 * seconds of waiting at most; beyond that a client is better served by a quick 429 with
 * {@code Retry-After} than by a timeout. Logins already verified are answered from memory and
 * never come here.
 */
final class LoginQueue {
  static final int CAPACITY = 32;

  /** Failed at once: the queue is full. */
  static final class Full extends RuntimeException {
    Full() {
      super("too many logins waiting for a password check", null, false, false);
    }
  }

  private final WorkerExecutor worker;
  private final int capacity;
  private final AtomicInteger waiting = new AtomicInteger();

  LoginQueue(WorkerExecutor worker, int capacity) {
    this.worker = worker;
    this.capacity = capacity;
  }

  /** Runs {@code login} on the pool, or fails at once with {@link Full}. */
  <T> Future<T> submit(Callable<T> login) {
    if (waiting.incrementAndGet() > capacity) {
      waiting.decrementAndGet();
      return Future.failedFuture(new Full());
    }
    return worker.executeBlocking(login, false).andThen(done -> waiting.decrementAndGet());
  }

  /** 429 with {@code Retry-After: 1}: the queue drains within seconds. */
  static void refuse(RoutingContext ctx) {
    ctx.response().putHeader("Retry-After", "1");
    ctx.fail(ErrorCode.TOOMANYREQUESTS.exception(
        "too many logins are being checked; try again in a second"));
  }
}
