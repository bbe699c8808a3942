package io.connectedregistry.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of request bodies held in memory (manifests, token forms, admin requests), all requests on
 * all event loops together. Bodies are counted as their bytes arrive, never by what a client
 * declares, and a request that would pass the bound is refused: announcing bodies costs an
 * attacker nothing, so nothing may be set aside for an announcement.
 *
 * <p>One instance serves every server instance of a registry; lock-free.
 */
final class BodyBudget {
  /** The least http.maxBodyMemory takes (the largest manifest's size, as the configuration checks). */
  static final long MIN_BYTES = 4L * 1024 * 1024;

  private final long capacity;
  private final AtomicLong used = new AtomicLong();

  BodyBudget(long capacity) {
    if (capacity < MIN_BYTES) {
      throw new IllegalArgumentException("a body budget below " + MIN_BYTES + " bytes: " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * {@code http.maxBodyMemory}, or when that is 0 a third of the heap, at least 4 MiB. Bodies are
   * counted with what handling them costs (see {@link BodyReader#MANIFEST_WEIGHT}); the rest of
   * the heap is the registry's own (about 8 MiB idle under the small-device settings), the
   * manifest cache (an eighth) and the connections (8 to 15 KiB each).
   */
  static BodyBudget of(long configured, long maxHeap) {
    return new BodyBudget(configured > 0 ? configured : Math.max(MIN_BYTES, maxHeap / 3));
  }

  long capacity() {
    return capacity;
  }

  /** Bytes held now, by all requests. */
  long used() {
    return used.get();
  }

  /** A new, empty share for one request's body. */
  Lease lease() {
    return new Lease();
  }

  private boolean take(long bytes) {
    while (true) {
      long now = used.get();
      if (now + bytes > capacity) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  /**
   * What one request's body holds. It grows chunk by chunk and is given back whole, once, by
   * {@link #close()} (when the answer is sent or the connection drops, whichever comes first).
   */
  final class Lease implements AutoCloseable {
    private long held;
    private boolean closed;

    /** Takes {@code bytes} more; false (and nothing taken) when the budget has no room or the lease is closed. */
    synchronized boolean grow(long bytes) {
      if (closed || !take(bytes)) {
        return false;
      }
      held += bytes;
      return true;
    }

    synchronized long held() {
      return held;
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        used.addAndGet(-held);
        held = 0;
      }
    }
  }
}
