package io.connectedregistry.api;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A request body as a blocking {@link InputStream}, for a worker that reads a long stream (a bundle
 * import): the event loop queues the chunks as they arrive and pauses the request when
 * {@code capacity} bytes wait; the reader resumes it once half are read. Never more than about
 * {@code capacity} bytes in memory, whatever the body's length. A client that goes away fails the
 * next read.
 */
final class BodyStream extends InputStream {
  /** A reader waits this long for the next chunk, then fails (the connection timers usually end it first). */
  private static final long MAX_WAIT_MILLIS = 10 * 60 * 1000;

  private final HttpServerRequest request;
  private final Context context;
  private final long capacity;
  private final ArrayDeque<Buffer> chunks = new ArrayDeque<>();
  private int position; // in the first chunk
  private long queued;
  private boolean paused = true;
  private boolean ended;
  private boolean closed;
  private IOException failure;

  private BodyStream(HttpServerRequest request, Context context, long capacity) {
    this.request = request;
    this.context = context;
    this.capacity = capacity;
  }

  /** On the request's event loop, with the request paused: starts reading it. */
  static BodyStream start(HttpServerRequest request, Context context, long capacity) {
    BodyStream body = new BodyStream(request, context, capacity);
    request.handler(body::offer);
    request.endHandler(v -> body.end());
    request.exceptionHandler(e -> body.fail(new IOException("the client closed the connection before the"
        + " body ended (" + e.getMessage() + ")", e)));
    body.resumeRequest();
    return body;
  }

  private synchronized void offer(Buffer chunk) {
    if (closed) {
      return; // the reader gave up: the rest is dropped (the answer closes the connection)
    }
    chunks.add(chunk);
    queued += chunk.length();
    if (queued >= capacity && !paused) {
      paused = true;
      request.pause();
    }
    notifyAll();
  }

  private synchronized void end() {
    ended = true;
    notifyAll();
  }

  private synchronized void fail(IOException e) {
    if (!ended && failure == null) {
      failure = e;
    }
    notifyAll();
  }

  private void resumeRequest() {
    synchronized (this) {
      paused = false;
    }
    context.runOnContext(v -> request.resume());
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] target, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    boolean resume = false;
    int n;
    synchronized (this) {
      long deadline = System.currentTimeMillis() + MAX_WAIT_MILLIS;
      while (chunks.isEmpty() && !ended && failure == null && !closed) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          throw new IOException("no body bytes for " + MAX_WAIT_MILLIS / 60_000 + " minutes");
        }
        try {
          wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for the body");
        }
      }
      if (closed) {
        throw new IOException("closed");
      }
      if (chunks.isEmpty()) {
        if (failure != null) {
          throw failure;
        }
        return -1; // ended
      }
      Buffer first = chunks.peek();
      n = Math.min(length, first.length() - position);
      first.getBytes(position, position + n, target, offset);
      position += n;
      if (position == first.length()) {
        chunks.poll();
        position = 0;
      }
      queued -= n;
      if (paused && queued <= capacity / 2 && !ended) {
        resume = true;
      }
    }
    if (resume) {
      resumeRequest();
    }
    return n;
  }

  /** Whether the whole body arrived. */
  synchronized boolean ended() {
    return ended;
  }

  /** Drops what is queued; later chunks are dropped on arrival. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      chunks.clear();
      queued = 0;
      notifyAll();
    }
  }
}
