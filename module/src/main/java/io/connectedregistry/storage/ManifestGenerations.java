package io.connectedregistry.storage;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A number per repository that moves after every write that may change one of its manifests or
 * tags, so a cache of manifests (the API's, answered on the event loop) can tell an entry read
 * before the write from one read after it without asking the database.
 *
 * <p>Repositories share a fixed set of counters by the hash of their name: the memory is the same
 * whatever names clients send (a counter per name would grow with every name asked for), and a
 * write to a repository only ever makes a neighbour's entries look older than they are, never newer.
 */
final class ManifestGenerations {
  private static final int STRIPES = 1024; // a power of two

  private final AtomicLongArray counters = new AtomicLongArray(STRIPES);

  long current(String repository) {
    return counters.get(stripe(repository));
  }

  /** After the write's commit: a reader that saw the old number before reading caches under it. */
  void advance(String repository) {
    counters.incrementAndGet(stripe(repository));
  }

  private static int stripe(String repository) {
    int h = repository.hashCode();
    return (h ^ (h >>> 16)) & (STRIPES - 1);
  }
}
