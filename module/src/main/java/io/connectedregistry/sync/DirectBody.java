package io.connectedregistry.sync;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The body of one blob response as the parent's socket delivered it: Netty's pooled (direct)
 * buffers, handed on without the copy to a fresh heap array that Vert.x's HTTP client makes of
 * every chunk (1 GiB of garbage per GiB downloaded, which a small heap pays for in collections).
 *
 * <p>A download asks for one with {@link #expect} and marks its request with {@link #HEADER};
 * {@link ParentBodyTap}, on the connection, strips the mark before the request leaves, and if the
 * answer is a 200 or 206 it diverts the body here while Vert.x sees the head and the end as usual
 * (so status, headers, auth, redirects and the connection pool work as before). Any other answer
 * goes to Vert.x untouched and this body never starts: the caller then reads the response.
 *
 * <p>Each buffer handed to the handler is the caller's to release (the upload writer releases it
 * once written). Bounded: past {@link #MAX_HELD} bytes not yet taken the socket is no longer read
 * (back-pressure to the parent through TCP), so a paused download holds at most that plus one read.
 * {@link #close()} releases whatever is still held and drops the rest of the body.
 */
final class DirectBody implements ReadStream<Buffer> {
  /** The request's mark; never sent (the tap removes it), whatever the connection. */
  static final String HEADER = "X-Connected-Registry-Direct-Body";
  /** Bytes held before the socket stops being read. */
  static final int MAX_HELD = 256 * 1024;

  private static final AtomicLong IDS = new AtomicLong();
  private static final AtomicLong DIVERTED = new AtomicLong();
  /** Bodies whose request may still be sent, by id: what the tap looks up a mark in. */
  private static final Map<String, DirectBody> EXPECTED = new ConcurrentHashMap<>();

  private final Context context;
  private final String id;
  // Written by the connection's event loop, read on the caller's context: guarded by this.
  private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
  private long heldBytes;
  private Channel channel;
  private boolean started;
  private boolean ended;
  private boolean closed;
  private Throwable failure;
  private boolean delivering; // a delivery is scheduled or running
  private boolean socketPaused; // the socket is not read because too much is held
  // On the caller's context only.
  private long demand = Long.MAX_VALUE;
  private boolean finished; // end or failure reported
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;

  private DirectBody(Context context, String id) {
    this.context = context;
    this.id = id;
  }

  /** A body for the next request marked with {@link #id()}; handlers are called on {@code context}. */
  static DirectBody expect(Context context) {
    DirectBody body = new DirectBody(context, Long.toString(IDS.incrementAndGet()));
    EXPECTED.put(body.id, body);
    return body;
  }

  /** The body a request's mark names, if it is still expected. */
  static DirectBody expected(String id) {
    return id == null ? null : EXPECTED.get(id);
  }

  String id() {
    return id;
  }

  /** Whether the tap diverted a 200/206 answer here: the body comes from here, not from Vert.x. */
  synchronized boolean started() {
    return started;
  }

  // ---- the connection's side (its event loop) ----

  /** A 200/206 head was seen on {@code channel}: the body that follows is ours. False if closed. */
  synchronized boolean start(Channel channel) {
    if (closed || started) {
      return false;
    }
    this.channel = channel;
    started = true;
    DIVERTED.incrementAndGet();
    return true;
  }

  /** Bodies diverted since start (tests: a download took this way). */
  static long diverted() {
    return DIVERTED.get();
  }

  /** Bytes received and not yet handed on. */
  synchronized long heldBytes() {
    return heldBytes;
  }

  /** Takes {@code buffer} (released here if nobody wants it any more). */
  void add(ByteBuf buffer) {
    boolean full;
    synchronized (this) {
      if (closed || failure != null || ended) {
        buffer.release();
        return;
      }
      if (!buffer.isReadable()) {
        buffer.release();
        return;
      }
      held.add(buffer);
      heldBytes += buffer.readableBytes();
      full = heldBytes >= MAX_HELD && !socketPaused;
      if (full) {
        socketPaused = true;
      }
    }
    if (full) {
      channel.config().setAutoRead(false);
    }
    scheduleDelivery();
  }

  /**
   * Reads the socket again. Runs on the connection's event loop, as {@link #add} does, so a
   * pause decided there cannot land after the wake-up that was meant to end it.
   */
  private void wakeSocket() {
    channel.eventLoop().execute(() -> {
      synchronized (this) {
        if (socketPaused) {
          return; // paused again since
        }
      }
      channel.config().setAutoRead(true);
    });
  }

  void end() {
    synchronized (this) {
      if (ended || failure != null) {
        return;
      }
      ended = true;
    }
    scheduleDelivery();
  }

  /**
   * The connection failed or closed before the end: what is held is still handed on, then the
   * failure reported. Those bytes arrived; dropping them would make the resumed download ask for
   * them again (a writer that paused this body when the connection dropped held up to
   * {@link #MAX_HELD} of them).
   */
  void fail(Throwable cause) {
    synchronized (this) {
      if (ended || failure != null) {
        return;
      }
      failure = cause;
    }
    scheduleDelivery();
  }

  // ---- the caller's side (its context) ----

  private void scheduleDelivery() {
    synchronized (this) {
      if (delivering) {
        return;
      }
      delivering = true;
    }
    context.runOnContext(v -> deliver());
  }

  private void deliver() {
    while (true) {
      ByteBuf next = null;
      boolean wake = false;
      Throwable failed;
      boolean done;
      synchronized (this) {
        failed = failure;
        if (demand > 0 && handler != null && !closed) {
          next = held.poll();
        }
        if (next != null) {
          heldBytes -= next.readableBytes();
          wake = socketPaused && heldBytes < MAX_HELD / 2;
          if (wake) {
            socketPaused = false;
          }
        }
        done = next == null && held.isEmpty() && (failed != null || ended);
        if (next == null && !done) {
          delivering = false;
          return;
        }
        if (done) {
          delivering = false;
        }
      }
      if (wake) {
        wakeSocket();
      }
      if (next != null) {
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        Handler<Buffer> h = handler;
        h.handle(BufferInternal.buffer(next));
        continue;
      }
      if (finished) {
        return;
      }
      finished = true;
      if (failed != null) {
        if (exceptionHandler != null) {
          exceptionHandler.handle(failed);
        }
      } else if (endHandler != null) {
        endHandler.handle(null);
      }
      return;
    }
  }

  /**
   * Releases everything held and drops the rest of the body (its bytes are released as they come);
   * the socket is read again so the response can end and the connection be reused or closed.
   * Idempotent; any thread.
   */
  void close() {
    EXPECTED.remove(id, this);
    Channel reading;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      releaseHeld();
      reading = channel;
      socketPaused = false;
    }
    if (reading != null) {
      wakeSocket();
    }
  }

  private void releaseHeld() { // holding this
    ByteBuf b;
    while ((b = held.poll()) != null) {
      b.release();
    }
    heldBytes = 0;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    this.handler = handler;
    if (handler != null) {
      scheduleDelivery();
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
    scheduleDelivery();
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }
}
