package io.connectedregistry.iotedgedev;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/** Reads a request body up to a limit without holding more than the limit in memory. */
final class Bodies {

  /** The body was over the limit (the caller answers 413). */
  static final class TooLarge extends RuntimeException {
    TooLarge(int max) {
      super("the request body is over " + max + " bytes");
    }
  }

  private Bodies() {}

  static Future<Buffer> read(HttpServerRequest req, int max) {
    String declared = req.getHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > max) {
          return Future.failedFuture(new TooLarge(max));
        }
      } catch (NumberFormatException e) {
        return Future.failedFuture(new IllegalArgumentException("bad Content-Length"));
      }
    }
    Promise<Buffer> body = Promise.promise();
    Buffer collected = Buffer.buffer();
    req.handler(chunk -> {
      if (collected.length() + chunk.length() > max) {
        if (body.tryFail(new TooLarge(max))) {
          req.pause(); // read no more of it; the answer closes the connection
        }
      } else {
        collected.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> body.tryComplete(collected));
    req.exceptionHandler(body::tryFail);
    return body.future();
  }
}
