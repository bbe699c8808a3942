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
 *       {@code UNAVAILABLE} with {@code Retry-After}.
 *   <li>Past {@code limit} (declared or received): 413 {@code MANIFEST_TOO_LARGE}.
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

  private BodyReader() {}

  static Future<Buffer> read(RoutingContext ctx, int limit) {
    String length = ctx.request().getHeader("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length) > limit) {
          closeAfterAnswer(ctx);
          return Future.failedFuture(tooLarge(limit));
        }
      } catch (NumberFormatException e) {
        return Future.failedFuture(ErrorCode.SIZE_INVALID.exception("Content-Length is not a number"));
      }
    }
    HttpLimits limits = HttpLimits.of(ctx);
    BodyBudget.Lease lease = limits.bodies().lease();
    // Held until the answer is sent: the handler works on the body (or a copy) until then.
    ctx.addEndHandler(done -> lease.close());
    boolean authenticated = HttpLimits.authenticated(ctx);
    return new Reading(ctx, limit, lease, limits.bodyTimeout(ctx), authenticated).start();
  }

  /**
   * The rest of a refused body would follow on this connection: close it once the answer is out.
   * (Vert.x keeps a connection open after an answer with "Connection: close".)
   */
  private static void closeAfterAnswer(RoutingContext ctx) {
    ctx.addEndHandler(sent -> ctx.request().connection().close());
  }

  /** True for the refusal of a body past its limit (callers outside /v2/ name it in their own terms). */
  static boolean isTooLarge(Throwable failure) {
    return failure instanceof RegistryException e && e.code() == ErrorCode.MANIFEST_TOO_LARGE;
  }

  private static RuntimeException tooLarge(int limit) {
    return ErrorCode.MANIFEST_TOO_LARGE.exception("a manifest may be at most " + limit + " bytes");
  }

  /** One body being read; touched only on the request's event loop. */
  private static final class Reading {
    private final RoutingContext ctx;
    private final HttpServerRequest request;
    private final int limit;
    private final BodyBudget.Lease lease;
    private final Duration timeout;
    /** Callers with a token may take their time as long as bytes keep coming. */
    private final boolean resetOnProgress;
    private final Promise<Buffer> promise = Promise.promise();
    private final List<Buffer> chunks = new ArrayList<>();
    private int received;
    private long since = System.nanoTime();
    private long timer = -1;

    Reading(RoutingContext ctx, int limit, BodyBudget.Lease lease, Duration timeout, boolean resetOnProgress) {
      this.ctx = ctx;
      this.request = ctx.request();
      this.limit = limit;
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
      if (received + chunk.length() > limit) {
        fail(tooLarge(limit));
        return;
      }
      if (!lease.grow(chunk.length())) {
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
