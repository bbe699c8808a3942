package io.connectedregistry.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.connectedregistry.oci.Reference;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Recently served manifests, by repository and reference, bounded by bytes. Reads never block, so
 * the API answers a cached manifest GET on the event loop without a trip to the worker pool.
 *
 * <p>Coherence: every write to a repository bumps its generation and drops its entries; a reader
 * only caches what it loaded if no write to that repository happened while it was loading.
 */
final class ManifestCache {
  private record Key(String repository, String reference) {}

  private final Cache<Key, StoredManifest> cache;
  private final ConcurrentHashMap<String, AtomicLong> generations = new ConcurrentHashMap<>();
  private final Object lock = new Object();

  ManifestCache(long maxBytes) {
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((Key k, StoredManifest m) -> m.bytes().length + 256)
        .build();
  }

  Optional<StoredManifest> get(String repository, Reference reference) {
    return Optional.ofNullable(cache.getIfPresent(new Key(repository, reference.toString())));
  }

  /** Loads through {@code loader} on a miss (blocking) and caches the result unless a write raced it. */
  Optional<StoredManifest> load(String repository, Reference reference, Supplier<Optional<StoredManifest>> loader) {
    Key key = new Key(repository, reference.toString());
    StoredManifest cached = cache.getIfPresent(key);
    if (cached != null) {
      return Optional.of(cached);
    }
    long generation = generation(repository).get();
    Optional<StoredManifest> loaded = loader.get();
    loaded.ifPresent(m -> {
      synchronized (lock) {
        if (generation(repository).get() == generation) {
          cache.put(key, m);
        }
      }
    });
    return loaded;
  }

  /** Call after every committed change to a repository's manifests or tags. */
  void invalidate(String repository) {
    synchronized (lock) {
      generation(repository).incrementAndGet();
      cache.asMap().keySet().removeIf(k -> k.repository().equals(repository));
    }
  }

  private AtomicLong generation(String repository) {
    return generations.computeIfAbsent(repository, r -> new AtomicLong());
  }
}
