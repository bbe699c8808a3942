package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RegistryException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a small request body (a manifest, a token form, an admin request) into memory.
 *
 * <ul>
 *   <li>Memory grows with the bytes that arrive, never with the declared length, and is drawn
 *       from the server's one {@link BodyBudget} until the answer is sent: over it, 503
 *       {@code UNAVAILABLE} with {@code Retry-After}. A manifest counts what handling it costs
 *       ({@link #MANIFEST_WEIGHT} times its bytes).
 *   <li>Past {@code limit} (declared or received), or past what the whole budget could hold: 413
 *       {@code MANIFEST_TOO_LARGE}.
 *   <li>A body that does not arrive in time: 408 {@code REQUEST_TIMEOUT}. Unauthenticated callers
 *       get {@code http.unauthenticatedIdleTimeout} for the whole body (a token form is a few
 *       hundred bytes), callers with a token {@code http.idleTimeout} between two chunks.
 * </ul>
 *
 * After a refusal the rest of the body is dropped as it comes, and the connection is closed once
 * the answer is sent.
 */
final class BodyReader {
  /** What a client refused for lack of body memory is told to wait: bodies in memory are short-lived. */
  static final int RETRY_AFTER_SECONDS = 2;

  /**
   * Heap a manifest takes per byte while it is handled: the bytes received, the handler's copy,
   * and what parsing makes of them (Jackson's buffers for a long annotation, a descriptor per
   * layer). Measured under the small-device settings (-Xmx24m, about 16 MiB free): one manifest
   * with a 3 MB annotation, one listing 4 MB of layers, or four 1 MB manifests at once exhausted
   * the heap.
   */
  static final int MANIFEST_WEIGHT = 6;

  private BodyReader() {}

  /** A token form or an admin request: counted as the bytes that arrive. */
  static Future<Buffer> read(RoutingContext ctx, int limit) {
    return read(ctx, limit, 1);
  }

  /** A manifest: each byte that arrives counts {@link #MANIFEST_WEIGHT} times. */
  static Future<Buffer> readManifest(RoutingContext ctx, int limit) {
    return read(ctx, limit, MANIFEST_WEIGHT);
  }

  private static Future<Buffer> read(RoutingContext ctx, int limit, int weight) {
    HttpLimits limits = HttpLimits.of(ctx);
    // A body the budget could never hold is too large here, however long its client would wait.
    int largest = (int) Math.min(limit, limits.bodies().capacity() / weight);
    String length = ctx.request().getHeader("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length) > largest) {
          closeAfterAnswer(ctx);
          return Future.failedFuture(tooLarge(largest, limit));
        }
      } catch (NumberFormatException e) {
        return Future.failedFuture(ErrorCode.SIZE_INVALID.exception("Content-Length is not a number"));
      }
    }
    BodyBudget.Lease lease = limits.bodies().lease();
    // Held until the answer is sent: the handler works on the body (or a copy) until then.
    ctx.addEndHandler(done -> lease.close());
    boolean authenticated = HttpLimits.authenticated(ctx);
    return new Reading(ctx, largest, limit, weight, lease, limits.bodyTimeout(ctx), authenticated).start();
  }

  /**
   * The rest of a refused body would follow on this connection: close it once the answer is out.
   * (Vert.x keeps a connection open after an answer with "Connection: close".) Not at once: closing
   * a socket with unread bytes makes the kernel send a reset, which can destroy the answer before
   * the client reads it (seen: 3 of 12 clients got no 413). So, as nginx's lingering close does,
   * what still arrives is read and dropped until the body ends or {@link #LINGER} passes.
   */
  private static void closeAfterAnswer(RoutingContext ctx) {
    ctx.addEndHandler(sent -> {
      HttpServerRequest request = ctx.request();
      if (request.isEnded()) {
        request.connection().close();
        return;
      }
      long timer = ctx.vertx().setTimer(LINGER.toMillis(), id -> request.connection().close());
      request.handler(dropped -> { });
      request.endHandler(end -> {
        ctx.vertx().cancelTimer(timer);
        request.connection().close();
      });
      request.resume();
    });
  }

  /** How long the rest of a refused body is read and dropped before the connection closes. */
  private static final Duration LINGER = Duration.ofSeconds(2);

  /** True for the refusal of a body past its limit (callers outside /v2/ name it in their own terms). */
  static boolean isTooLarge(Throwable failure) {
    return failure instanceof RegistryException e && e.code() == ErrorCode.MANIFEST_TOO_LARGE;
  }

  private static RuntimeException tooLarge(int largest, int limit) {
    return ErrorCode.MANIFEST_TOO_LARGE.exception("a manifest may be at most " + largest + " bytes"
        + (largest < limit ? " on this registry: handling a larger one needs more memory than"
            + " http.maxBodyMemory allows (a larger heap raises it)" : ""));
  }

  /** One body being read; touched only on the request's event loop. */
  private static final class Reading {
    private final RoutingContext ctx;
    private final HttpServerRequest request;
    private final int largest;
    private final int limit;
    private final int weight;
    private final BodyBudget.Lease lease;
    private final Duration timeout;
    /** Callers with a token may take their time as long as bytes keep coming. */
    private final boolean resetOnProgress;
    private final Promise<Buffer> promise = Promise.promise();
    private final List<Buffer> chunks = new ArrayList<>();
    private int received;
    private long since = System.nanoTime();
    private long timer = -1;

    Reading(RoutingContext ctx, int largest, int limit, int weight, BodyBudget.Lease lease, Duration timeout,
        boolean resetOnProgress) {
      this.ctx = ctx;
      this.request = ctx.request();
      this.largest = largest;
      this.limit = limit;
      this.weight = weight;
      this.lease = lease;
      this.timeout = timeout;
      this.resetOnProgress = resetOnProgress;
    }

    Future<Buffer> start() {
      request.handler(this::chunk);
      request.endHandler(v -> end());
      // The client went away (or broke the connection) mid-body: its fault, not worth an error log.
      request.exceptionHandler(e -> fail(ErrorCode.SIZE_INVALID.exception(
          "the connection ended before the whole body arrived")));
      timer = ctx.vertx().setTimer(Math.max(1, timeout.toMillis()), this::checkTime);
      request.resume();
      return promise.future();
    }

    private boolean done() {
      return promise.future().isComplete();
    }

    private void chunk(Buffer chunk) {
      if (done()) {
        return; // refused already: the rest is dropped as it comes
      }
      if (received + chunk.length() > largest) {
        fail(tooLarge(largest, limit));
        return;
      }
      if (!lease.grow((long) chunk.length() * weight)) {
        ctx.response().putHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
        fail(ErrorCode.UNAVAILABLE.exception("the registry holds as many request bodies in memory as"
            + " it may (http.maxBodyMemory); try again shortly"));
        return;
      }
      chunks.add(chunk);
      received += chunk.length();
      if (resetOnProgress) {
        since = System.nanoTime();
      }
    }

    private void end() {
      if (done()) {
        return;
      }
      stopTimer();
      promise.complete(joined());
    }

    private void checkTime(long id) {
      timer = -1;
      if (done()) {
        return;
      }
      long left = timeout.toNanos() - (System.nanoTime() - since);
      if (left > 0) {
        timer = ctx.vertx().setTimer(Math.max(1, left / 1_000_000), this::checkTime);
        return;
      }
      fail(ErrorCode.REQUEST_TIMEOUT.exception("the request body did not arrive within "
          + timeout.toSeconds() + " s (" + received + " bytes received)"));
    }

    private void fail(Throwable failure) {
      if (done()) {
        return;
      }
      stopTimer();
      chunks.clear();
      lease.close();
      // Registered first: failing the promise may send the answer before it returns.
      closeAfterAnswer(ctx);
      promise.fail(failure);
    }

    private void stopTimer() {
      if (timer >= 0) {
        ctx.vertx().cancelTimer(timer);
        timer = -1;
      }
    }

    /** One buffer of exactly the bytes received (the chunks go at once). */
    private Buffer joined() {
      if (chunks.size() == 1) {
        return chunks.get(0);
      }
      Buffer body = Buffer.buffer(received);
      for (Buffer chunk : chunks) {
        body.appendBuffer(chunk);
      }
      chunks.clear();
      return body;
    }
  }
}
