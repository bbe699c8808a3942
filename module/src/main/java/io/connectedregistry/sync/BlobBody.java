package io.connectedregistry.sync;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;

/**
 * A local blob as the body of an upload to the parent: read from its file 256 KiB at a time on a
 * storage worker, only as fast as the request takes it (back-pressure from the pipe) and as the
 * {@code sync.bandwidth} budget allows. Never holds more than one chunk: a layer is never buffered
 * whole. Closes the file at the end, on failure, or when the request gives up.
 */
final class BlobBody implements ReadStream<Buffer> {
  private static final int CHUNK = 256 * 1024;

  private final Vertx vertx;
  private final Context context;
  private final WorkerExecutor worker;
  private final FileChannel channel;
  private final long length;
  private final BandwidthLimiter bandwidth;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private long demand = Long.MAX_VALUE;
  private long position;
  private boolean reading;
  private boolean waiting;
  private boolean done;

  /** Call on the context that sends the request: every handler is called there. */
  /** From byte {@code from} to {@code length} (the file's size). */
  BlobBody(Vertx vertx, WorkerExecutor worker, FileChannel channel, long from, long length,
      BandwidthLimiter bandwidth) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.worker = worker;
    this.channel = channel;
    this.position = from;
    this.length = length;
    this.bandwidth = bandwidth;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    this.handler = handler;
    if (handler == null) {
      finish(); // the reader went away: nothing more will be read
    } else {
      context.runOnContext(v -> next());
    }
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    demand = 0;
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    context.runOnContext(v -> next());
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> handler) {
    this.endHandler = handler;
    return this;
  }

  /** On the context: reads the next chunk if one is wanted and none is being read. */
  private void next() {
    if (done || reading || waiting || demand == 0 || handler == null) {
      return;
    }
    if (position >= length) {
      finish();
      if (endHandler != null) {
        endHandler.handle(null);
      }
      return;
    }
    reading = true;
    long at = position;
    int size = (int) Math.min(CHUNK, length - at);
    worker.executeBlocking(() -> read(at, size), false).onComplete(result -> context.runOnContext(v -> {
      reading = false;
      if (done) {
        return;
      }
      if (result.failed()) {
        fail(result.cause());
        return;
      }
      Buffer chunk = result.result();
      position += chunk.length();
      if (demand != Long.MAX_VALUE) {
        demand--;
      }
      long wait = bandwidth.delayNanos(chunk.length());
      handler.handle(chunk);
      if (wait > 0) {
        waiting = true;
        vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999)), id -> {
          waiting = false;
          next();
        });
      } else {
        next();
      }
    }));
  }

  private Buffer read(long at, int size) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(size);
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at + buffer.position());
      if (n < 0) {
        throw new IOException("blob file ended at " + (at + buffer.position()) + " of " + length + " bytes");
      }
    }
    buffer.flip();
    return Buffer.buffer(buffer.array());
  }

  /** Closes the file, if the request did not read to the end; call on the context. */
  void close() {
    finish();
  }

  private void fail(Throwable failure) {
    finish();
    if (exceptionHandler != null) {
      exceptionHandler.handle(failure);
    }
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    worker.executeBlocking(() -> {
      channel.close(); // read-only: a failure to close loses nothing
      return null;
    }, false);
  }
}
