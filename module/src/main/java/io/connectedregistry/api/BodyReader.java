package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/** Reads a small request body (a manifest) into memory, refusing it as soon as it passes a limit. */
final class BodyReader {
  private BodyReader() {}

  static Future<Buffer> read(HttpServerRequest request, int limit) {
    String length = request.getHeader("Content-Length");
    int expected = 0;
    if (length != null) {
      try {
        long declared = Long.parseLong(length);
        if (declared > limit) {
          return Future.failedFuture(tooLarge(limit));
        }
        expected = (int) Math.max(0, declared);
      } catch (NumberFormatException e) {
        return Future.failedFuture(ErrorCode.SIZE_INVALID.exception("Content-Length is not a number"));
      }
    }
    Promise<Buffer> promise = Promise.promise();
    // Sized up front when the length is known: a growing buffer would briefly hold twice the body.
    Buffer body = expected > 0 ? Buffer.buffer(expected) : Buffer.buffer();
    request.handler(chunk -> {
      if (body.length() + chunk.length() > limit) {
        request.pause();
        promise.tryFail(tooLarge(limit));
        return;
      }
      body.appendBuffer(chunk);
    });
    request.endHandler(v -> promise.tryComplete(body));
    request.exceptionHandler(promise::tryFail);
    request.resume();
    return promise.future();
  }

  private static RuntimeException tooLarge(int limit) {
    return ErrorCode.MANIFEST_TOO_LARGE.exception("a manifest may be at most " + limit + " bytes");
  }
}
