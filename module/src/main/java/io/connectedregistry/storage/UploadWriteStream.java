package io.connectedregistry.storage;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.WriteStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes' way into an upload from an event loop (a client's request body, or a blob coming down
 * from the parent): buffers arrive on the event loop and are queued; one task at
 * a time on the storage worker pool takes everything queued, hashes it and writes it with one
 * gathering write. A layer is never held in memory (back-pressure: the pipe pauses the request
 * while more than {@link #MAX_QUEUED_BYTES} wait) and the event loop never touches the disk.
 *
 * <p>Many uploads at once (a hundred clients pushing onto a slow disk) must not add up past the
 * heap either: every stream of the process also counts into one {@link Backlog}, and a stream that
 * has bytes queued while the backlog is full reports its queue full too. A stream with nothing
 * queued may always write, so its own drain is what wakes it (a stream paused with an empty queue
 * would never be woken); the backlog can therefore pass its bound by at most one buffer per open
 * upload.
 *
 * <p>Writes are acknowledged at once; a write failure fails every later write and {@link #end()},
 * which is what the pipe reports. That keeps the per-buffer cost to a queue insert, which matters
 * at hundreds of MiB/s.
 */
public final class UploadWriteStream implements WriteStream<Buffer> {
  /**
   * Per upload, a sixteenth of the heap, at most 512 KiB: several uploads at once must fit in a
   * small device's heap, and a worker that drains half a MiB per pass already keeps up. Queued
   * buffers outlive young collections and are promoted: with 8 MiB (and 32 for the process) the
   * default profile's heap grew with them (peak RSS under the benchmark 130.1-130.7 MiB against
   * 124.8-125.5 with 2 MiB), and with 2 MiB a 4 MiB young generation made pushes 15-18 % slower;
   * with 512 KiB it does not, and the default profile's heap is smaller by that (bench/README.md,
   * issue #13, sixth session).
   */
  public static final long MAX_QUEUED_BYTES = Math.min(512L * 1024, Runtime.getRuntime().maxMemory() / 16);

  /** Bytes queued by all upload streams together, and the bound past which they wait. */
  static final class Backlog {
    final long max;
    final AtomicLong queued = new AtomicLong();

    Backlog(long max) {
      this.max = max;
    }
  }

  /** A quarter of the heap (at most 8 MiB) for the process: a small device's 24 MiB heap gives 6. */
  static final Backlog PROCESS_BACKLOG =
      new Backlog(Math.min(8L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4));

  private final Context context;
  private final WorkerExecutor worker;
  private final UploadHandle upload;
  private final Backlog backlog;
  private final boolean pooled;
  private List<Buffer> queue = new ArrayList<>(); // guarded by this
  private long queuedBytes; // guarded by this
  private boolean draining; // guarded by this
  private Throwable failure; // guarded by this
  private Promise<Void> ended; // guarded by this; set by end()
  private boolean wantsDrain; // guarded by this
  private Handler<Void> drainHandler;
  private Handler<Throwable> exceptionHandler;

  public UploadWriteStream(Context context, WorkerExecutor worker, UploadHandle upload) {
    this(context, worker, upload, PROCESS_BACKLOG, false);
  }

  /**
   * @param pooled the buffers written are pooled Netty buffers (a sync download's, straight from
   *     the socket): each is released once written or dropped
   */
  public UploadWriteStream(Context context, WorkerExecutor worker, UploadHandle upload, boolean pooled) {
    this(context, worker, upload, PROCESS_BACKLOG, pooled);
  }

  UploadWriteStream(Context context, WorkerExecutor worker, UploadHandle upload, Backlog backlog) {
    this(context, worker, upload, backlog, false);
  }

  UploadWriteStream(Context context, WorkerExecutor worker, UploadHandle upload, Backlog backlog, boolean pooled) {
    this.context = context;
    this.worker = worker;
    this.upload = upload;
    this.backlog = backlog;
    this.pooled = pooled;
  }

  @Override
  public Future<Void> write(Buffer data) {
    boolean start;
    synchronized (this) {
      if (failure != null) {
        release(data);
        return Future.failedFuture(failure);
      }
      queue.add(data);
      queuedBytes += data.length();
      backlog.queued.addAndGet(data.length());
      start = !draining;
      draining = true;
    }
    if (start) {
      startDrain();
    }
    return Future.succeededFuture();
  }

  /** Completes once everything written before has reached the file (no fsync: commit does that). */
  @Override
  public Future<Void> end() {
    Promise<Void> promise = Promise.promise();
    boolean finishedAlready;
    synchronized (this) {
      if (failure != null) {
        return Future.failedFuture(failure);
      }
      ended = promise;
      finishedAlready = !draining;
    }
    if (finishedAlready) {
      promise.complete();
    }
    return promise.future();
  }

  private void startDrain() {
    worker.executeBlocking(() -> {
      drain();
      return null;
    }, false);
  }

  /** On a worker: writes batches until the queue is empty. Only one drain runs at a time. */
  private void drain() {
    while (true) {
      List<Buffer> batch;
      synchronized (this) {
        if (queue.isEmpty()) {
          draining = false;
          Promise<Void> end = ended;
          if (end != null) {
            context.runOnContext(v -> end.tryComplete());
          }
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
        batch.forEach(this::release);
        fail(t);
        return;
      }
      batch.forEach(this::release);
      boolean signal;
      synchronized (this) {
        queuedBytes -= length;
        backlog.queued.addAndGet(-length);
        signal = wantsDrain && queuedBytes <= MAX_QUEUED_BYTES / 2;
        if (signal) {
          wantsDrain = false;
        }
      }
      if (signal) {
        context.runOnContext(v -> {
          Handler<Void> h = drainHandler;
          if (h != null) {
            h.handle(null);
          }
        });
      }
    }
  }

  private void fail(Throwable t) {
    Promise<Void> end;
    synchronized (this) {
      failure = t;
      queue.forEach(this::release);
      queue.clear();
      backlog.queued.addAndGet(-queuedBytes);
      queuedBytes = 0;
      draining = false;
      end = ended;
    }
    context.runOnContext(v -> {
      if (end != null) {
        end.tryFail(t);
      }
      Handler<Throwable> h = exceptionHandler;
      if (h != null) {
        h.handle(t);
      }
      Handler<Void> d = drainHandler;
      if (d != null) {
        d.handle(null); // unblock a paused pipe so it sees the failure on its next write
      }
    });
  }

  private void release(Buffer buffer) {
    if (pooled) {
      releasePooled(buffer);
    }
  }

  /**
   * Releases the pooled Netty buffer a Vert.x buffer wraps ({@code getByteBuf()} hands out an
   * unreleasable view, so the wrapped one is taken).
   */
  public static void releasePooled(Buffer buffer) {
    ((io.vertx.core.buffer.impl.BufferImpl) buffer).byteBuf().release();
  }

  @Override
  public synchronized boolean writeQueueFull() {
    boolean full = queuedBytes >= MAX_QUEUED_BYTES
        || queuedBytes > 0 && backlog.queued.get() >= backlog.max;
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
