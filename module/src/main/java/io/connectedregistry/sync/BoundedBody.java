package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import java.util.function.Supplier;

/**
 * Reads a parent's response body up to a cap. The parent decides how much it sends (a chunked
 * body has no length to check first), this class how much is read: past the cap it stops, closes
 * the connection (the rest is never read) and fails. Every body read from the parent goes through
 * here, except blobs, which are streamed to disk and bounded by their descriptor's size.
 */
final class BoundedBody {
  private BoundedBody() {}

  /**
   * The whole body if it is at most {@code max} bytes; else fails with {@code tooLarge} (checked
   * against {@code Content-Length} first, so a declared size over the cap is not read at all).
   */
  static Future<Buffer> read(HttpClientResponse response, long max, Supplier<RuntimeException> tooLarge) {
    Promise<Buffer> promise = Promise.promise();
    if (declaredLength(response) > max) {
      abort(response);
      promise.fail(tooLarge.get());
      return promise.future();
    }
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      if (promise.future().isComplete()) {
        return; // already refused: whatever is still in flight is dropped with the connection
      }
      if (body.length() + (long) chunk.length() > max) {
        promise.tryFail(tooLarge.get());
        abort(response);
        return;
      }
      body.appendBuffer(chunk);
    });
    response.exceptionHandler(promise::tryFail);
    response.endHandler(v -> promise.tryComplete(body));
    response.resume();
    return promise.future();
  }

  /**
   * Drops the body. Up to {@code max} bytes are read so that the connection can be reused; a
   * longer body is not worth reading: the connection is closed instead. Never fails for the size.
   */
  static Future<Void> discard(HttpClientResponse response, long max) {
    Promise<Void> promise = Promise.promise();
    // A HEAD answer declares the length of a body it does not send.
    if (response.request().getMethod() != HttpMethod.HEAD && declaredLength(response) > max) {
      abort(response);
      promise.complete();
      return promise.future();
    }
    long[] read = new long[1];
    response.handler(chunk -> {
      read[0] += chunk.length();
      if (read[0] > max && !promise.future().isComplete()) {
        abort(response);
        promise.tryComplete();
      }
    });
    response.exceptionHandler(e -> {
      if (read[0] > max) {
        promise.tryComplete(); // the reset we caused
      } else {
        promise.tryFail(e);
      }
    });
    response.endHandler(v -> promise.tryComplete());
    response.resume();
    return promise.future();
  }

  /** {@code Content-Length}, or -1 when absent or not a number (chunked). */
  static long declaredLength(HttpClientResponse response) {
    String length = response.getHeader("Content-Length");
    if (length == null) {
      return -1;
    }
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Stops the response: for HTTP/1.1 the connection is closed, so no more of it is read. */
  static void abort(HttpClientResponse response) {
    response.request().reset();
  }
}
