package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.storage.StoredManifest;
import org.junit.jupiter.api.Test;

class ServedManifestsTest {
  private static ServedManifest manifest(int size, int seed) {
    byte[] bytes = new byte[size];
    bytes[0] = (byte) seed;
    bytes[1] = (byte) (seed >> 8);
    return ServedManifest.of(new StoredManifest(Digest.sha256(bytes), "application/vnd.oci.image.manifest.v1+json",
        bytes, null));
  }

  @Test
  void staysWithinItsBytesWhateverIsPut() {
    long max = 64 * 1024;
    ServedManifests cache = new ServedManifests(max);
    for (int i = 0; i < 2000; i++) {
      cache.put("repo" + (i % 7), "t" + i, 0, manifest(1024, i));
    }
    long entries = cache.estimatedSize();
    assertTrue(entries > 0, "keeps the recent ones");
    assertTrue(entries * (1024 + ServedManifest.OVERHEAD_BYTES) <= max, entries + " entries of over 1 KiB in 64 KiB");
  }

  @Test
  void aManifestLargerThanTheWholeCacheIsNotKept() {
    ServedManifests cache = new ServedManifests(64 * 1024);
    cache.put("r", "big", 0, manifest(128 * 1024, 1));
    cache.estimatedSize();
    assertNull(cache.get("r", "big", 0));
  }

  @Test
  void anEntryIsServedOnlyUnderTheGenerationItWasReadIn() {
    ServedManifests cache = new ServedManifests(64 * 1024);
    ServedManifest m = manifest(100, 1);
    cache.put("r", "v1", 5, m);
    assertSame(m, cache.get("r", "v1", 5));
    assertNull(cache.get("r", "v1", 6));
    assertNull(cache.get("other", "v1", 5));
    assertNotNull(cache.get("r", "v1", 5));
  }
}
