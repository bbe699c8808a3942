package io.connectedregistry.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Recently served manifests by repository and reference (tag or digest, as the request named it),
 * so that a manifest GET or HEAD that finds one is answered on the event loop, with no trip to the
 * storage workers. Bounded by bytes (each entry weighs its manifest plus
 * {@link ServedManifest#OVERHEAD_BYTES}, which also bounds the number of entries).
 *
 * <p>Coherence: each entry keeps the repository's {@code manifestGeneration} read before its
 * manifest was read from storage, and is served only while that number has not moved. Storage
 * moves it after every write of a manifest or tag, whoever writes (push, delete, sync, bundle
 * import), so an entry read before a write is never served after the write returned.
 *
 * <p>The key holds the repository: a request only finds entries of the repository it named, which
 * its caller was authorised for before the handler ran.
 */
final class ServedManifests {
  private record Key(String repository, String reference) {}

  private record Entry(long generation, ServedManifest manifest) {}

  private final Cache<Key, Entry> cache;

  ServedManifests(long maxBytes) {
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((Key k, Entry e) -> e.manifest().weight() + 2 * (k.repository().length() + k.reference().length()))
        .build();
  }

  /** An eighth of the heap, at most 32 MiB: a small device's heap is mostly request buffers. */
  static ServedManifests sizedFromHeap() {
    return new ServedManifests(Math.min(32L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 8));
  }

  /** The entry if it was read under {@code generation}, the repository's number now; else null. */
  ServedManifest get(String repository, String reference, long generation) {
    Entry e = cache.getIfPresent(new Key(repository, reference));
    return e != null && e.generation() == generation ? e.manifest() : null;
  }

  /** {@code generation}: the repository's number read before the manifest was read from storage. */
  void put(String repository, String reference, long generation, ServedManifest manifest) {
    cache.put(new Key(repository, reference), new Entry(generation, manifest));
  }

  long estimatedSize() {
    cache.cleanUp();
    return cache.estimatedSize();
  }
}
