package io.connectedregistry.sync;

import io.connectedregistry.storage.UploadHandle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Buffers from the parent on their way into a local upload: queued on the event loop, appended
 * (and hashed, by the handle) by one task at a time on the storage worker. Bounded: the reader
 * pauses the response while {@link #full()} and resumes it from the drain callback, so a blob is
 * never held in memory. The same pattern as the API's {@code UploadBodyWriter}, with a flush that
 * tells when every byte so far is in the file, which is where a resumed download starts.
 */
final class UploadWriter {
  static final long MAX_QUEUED_BYTES = Math.min(8L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 16);

  private final Context context;
  private final WorkerExecutor worker;
  private final UploadHandle upload;
  private List<Buffer> queue = new ArrayList<>(); // guarded by this
  private long queuedBytes; // guarded by this
  private boolean draining; // guarded by this
  private Throwable failure; // guarded by this
  private final List<Promise<Void>> flushes = new ArrayList<>(); // guarded by this
  private Runnable drainCallback; // guarded by this

  UploadWriter(Context context, WorkerExecutor worker, UploadHandle upload) {
    this.context = context;
    this.worker = worker;
    this.upload = upload;
  }

  /** On the event loop. A write failure shows at {@link #flush()}. */
  void write(Buffer data) {
    boolean start;
    synchronized (this) {
      if (failure != null) {
        return;
      }
      queue.add(data);
      queuedBytes += data.length();
      start = !draining;
      draining = true;
    }
    if (start) {
      worker.executeBlocking(() -> {
        drain();
        return null;
      }, false);
    }
  }

  synchronized boolean full() {
    return queuedBytes >= MAX_QUEUED_BYTES;
  }

  /**
   * Runs {@code callback} once on the event loop when the queue is down to half (at once if it
   * already is: the worker may have drained it between {@link #full()} and this call).
   */
  void onDrain(Runnable callback) {
    boolean now;
    synchronized (this) {
      now = queuedBytes <= MAX_QUEUED_BYTES / 2 || failure != null;
      if (!now) {
        drainCallback = callback;
      }
    }
    if (now) {
      context.runOnContext(v -> callback.run());
    }
  }

  /** Completes when everything written so far is in the upload file; fails if a write failed. */
  Future<Void> flush() {
    Promise<Void> promise = Promise.promise();
    synchronized (this) {
      if (failure != null) {
        return Future.failedFuture(failure);
      }
      if (draining) {
        flushes.add(promise);
        return promise.future();
      }
    }
    return Future.succeededFuture();
  }

  /** On a worker: appends batches until the queue is empty. Only one drain runs at a time. */
  private void drain() {
    while (true) {
      List<Buffer> batch;
      synchronized (this) {
        if (queue.isEmpty() || failure != null) {
          draining = false;
          completeFlushes();
          return;
        }
        batch = queue;
        queue = new ArrayList<>();
      }
      long length = 0;
      ByteBuffer[] buffers = new ByteBuffer[batch.size()];
      for (int i = 0; i < buffers.length; i++) {
        buffers[i] = ((BufferInternal) batch.get(i)).getByteBuf().nioBuffer();
        length += buffers[i].remaining();
      }
      try {
        upload.append(buffers);
      } catch (Throwable t) {
        synchronized (this) {
          failure = t;
          queue.clear();
          queuedBytes = 0;
        }
        length = 0;
      }
      Runnable callback = null;
      synchronized (this) {
        queuedBytes -= length;
        if (drainCallback != null && (queuedBytes <= MAX_QUEUED_BYTES / 2 || failure != null)) {
          callback = drainCallback;
          drainCallback = null;
        }
      }
      if (callback != null) {
        Runnable run = callback;
        context.runOnContext(v -> run.run());
      }
    }
  }

  private void completeFlushes() {
    List<Promise<Void>> done = new ArrayList<>(flushes);
    flushes.clear();
    Throwable failed = failure;
    if (!done.isEmpty()) {
      context.runOnContext(v -> done.forEach(p -> {
        if (failed == null) {
          p.complete();
        } else {
          p.fail(failed);
        }
      }));
    }
  }
}
