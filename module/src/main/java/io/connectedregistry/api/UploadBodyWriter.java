package io.connectedregistry.api;

import io.connectedregistry.storage.UploadHandle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayDeque;

/**
 * A request body's way into an upload: buffers arrive on the event loop, and are hashed and written
 * in order by one task at a time on the storage worker pool, so a layer is never held in memory and
 * the event loop never touches the disk. Back-pressure: the pipe pauses the request while more than
 * {@link #MAX_QUEUED_BYTES} wait to be written.
 */
final class UploadBodyWriter implements WriteStream<Buffer> {
  static final long MAX_QUEUED_BYTES = 4 * 1024 * 1024;

  private record Pending(Buffer data, Promise<Void> written) {}

  private final Context context;
  private final WorkerExecutor worker;
  private final UploadHandle upload;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by this
  private long queuedBytes; // guarded by this
  private boolean draining; // guarded by this
  private Throwable failure; // guarded by this
  private boolean wantsDrain;
  private Handler<Void> drainHandler;
  private Handler<Throwable> exceptionHandler;

  UploadBodyWriter(Context context, WorkerExecutor worker, UploadHandle upload) {
    this.context = context;
    this.worker = worker;
    this.upload = upload;
  }

  @Override
  public Future<Void> write(Buffer data) {
    return enqueue(data);
  }

  /** Completes once everything written before has reached the file (no fsync: commit does that). */
  @Override
  public Future<Void> end() {
    return enqueue(null);
  }

  private Future<Void> enqueue(Buffer data) {
    Promise<Void> written = Promise.promise();
    boolean start;
    synchronized (this) {
      if (failure != null) {
        return Future.failedFuture(failure);
      }
      queue.add(new Pending(data, written));
      queuedBytes += data == null ? 0 : data.length();
      start = !draining;
      draining = true;
    }
    if (start) {
      worker.executeBlocking(() -> {
        drain();
        return null;
      }, false);
    }
    return written.future();
  }

  /** Runs on a worker: writes until the queue is empty. Only one drain runs at a time. */
  private void drain() {
    while (true) {
      Pending next;
      synchronized (this) {
        next = queue.poll();
        if (next == null) {
          draining = false;
          return;
        }
      }
      try {
        if (next.data() != null) {
          upload.append(((BufferInternal) next.data()).getByteBuf().nioBuffer());
        }
      } catch (Throwable t) {
        fail(t, next);
        return;
      }
      long length = next.data() == null ? 0 : next.data().length();
      context.runOnContext(v -> written(next, length));
    }
  }

  private void written(Pending pending, long length) {
    boolean callDrain;
    synchronized (this) {
      queuedBytes -= length;
      callDrain = wantsDrain && queuedBytes <= MAX_QUEUED_BYTES / 2;
    }
    pending.written().complete();
    if (callDrain) {
      wantsDrain = false;
      Handler<Void> h = drainHandler;
      if (h != null) {
        h.handle(null);
      }
    }
  }

  private void fail(Throwable t, Pending current) {
    ArrayDeque<Pending> dropped;
    synchronized (this) {
      failure = t;
      dropped = new ArrayDeque<>(queue);
      queue.clear();
      queuedBytes = 0;
      draining = false;
    }
    context.runOnContext(v -> {
      current.written().fail(t);
      dropped.forEach(p -> p.written().fail(t));
      Handler<Throwable> h = exceptionHandler;
      if (h != null) {
        h.handle(t);
      }
    });
  }

  @Override
  public synchronized boolean writeQueueFull() {
    boolean full = queuedBytes >= MAX_QUEUED_BYTES;
    if (full) {
      wantsDrain = true;
    }
    return full;
  }

  @Override
  public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
    return this; // fixed: the bound is what keeps memory flat on small devices
  }

  @Override
  public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }

  @Override
  public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }
}
