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

  private static final long DRAIN_LIMIT = 4L * 1024 * 1024;

  private Bodies() {}

  /**
   * Closes the connection once the request's body has come ({@link #read} drains what is over
   * the limit), at once when it has already. Closing with bytes the client is still sending
   * unread resets the socket, and the client may lose the answer before reading it (a 413 was
   * lost about 1 run in 5: WorkloadApiTest).
   */
  static void closeOnceRead(HttpServerRequest req) {
    if (req.isEnded()) {
      req.connection().close();
    } else {
      req.endHandler(ended -> req.connection().close());
    }
  }

  static Future<Buffer> read(HttpServerRequest req, int max) {
    Promise<Buffer> body = Promise.promise();
    Buffer collected = Buffer.buffer();
    long[] discarded = {0};
    req.handler(chunk -> {
      if (body.future().isComplete()) {
        // over the limit: the rest is read and dropped, so the client gets to read the 413; a
        // client that goes on sending past a further limit is cut off
        discarded[0] += chunk.length();
        if (discarded[0] > DRAIN_LIMIT) {
          req.connection().close();
        }
      } else if (collected.length() + chunk.length() > max) {
        body.tryFail(new TooLarge(max));
      } else {
        collected.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> body.tryComplete(collected));
    String declared = req.getHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > max) {
          body.tryFail(new TooLarge(max)); // answered now; the body is drained by the handler above
        }
      } catch (NumberFormatException e) {
        body.tryFail(new IllegalArgumentException("bad Content-Length"));
      }
    }
    req.exceptionHandler(body::tryFail);
    return body.future();
  }
}
