package io.connectedregistry.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.storage.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What downstream sync must remember across restarts, in {@code DATA/sync-state.json}: the
 * change-feed cursor (the last parent sequence applied; 0 = never synced from a feed) and, per
 * repository, the tags sync created and the digest it gave them. The second is what makes
 * mirroring a deletion safe: only a tag that came from the parent, and still points where sync
 * put it, is deleted when the parent drops it; a tag a client pushed here is never touched.
 *
 * <p>Written whole with {@link AtomicFile}: a crash leaves the old state or the new one, and a
 * write that returned survives a power cut. Not thread-safe: changed from the sync context only,
 * which takes a {@link #snapshot()} there and writes it on a worker.
 */
public final class SyncState {
  public static final String FILE_NAME = "sync-state.json";
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  /** The persisted shape. */
  public static final class Data {
    public long cursor;
    /** True once everything was copied by listing and the cursor names the feed's position. */
    public boolean following;
    /** The parent the cursor belongs to: a different parent starts over. */
    public String parent;
    /**
     * The parent's store id (its feed pages say it): the change log the cursor counts in. Null
     * until a feed page or an imported bundle named one (files written before it was kept).
     */
    public String store;
    public Map<String, Map<String, String>> synced = new TreeMap<>();
  }

  private final Path file;
  private final Data data;

  private SyncState(Path file, Data data) {
    this.file = file;
    this.data = data;
  }

  /** Blocking. */
  public static SyncState load(Path dataDirectory, String parent) {
    Path file = dataDirectory.resolve(FILE_NAME);
    Data data = new Data();
    if (Files.exists(file)) {
      try {
        data = Mapper.JSON.readValue(file.toFile(), Data.class);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + "; delete it to sync everything again", e);
      }
      if (data.synced == null) {
        data.synced = new TreeMap<>();
      }
    }
    if (data.parent != null && !data.parent.equals(parent)) {
      // Another parent's sequence numbers mean nothing here; tags it gave stay ours to mirror.
      data.cursor = 0;
      data.following = false;
      data.store = null;
    }
    data.parent = parent;
    return new SyncState(file, data);
  }

  /**
   * The next cycle lists every repository in scope again before following the feed: the scope or
   * tag filter changed, and the feed holds only changes after the cursor, not what now came into
   * scope before it.
   */
  void relist() {
    data.following = false;
  }

  public long cursor() {
    return data.cursor;
  }

  public void cursor(long sequence) {
    data.cursor = sequence;
  }

  /** The parent's store id the cursor counts in; null when none was recorded yet. */
  public String store() {
    return data.store;
  }

  /**
   * Records the store a feed page named. Another store than the one recorded (the parent's
   * metadata was recreated or restored, or another registry answers at its address) makes the
   * cursor meaningless: back to a full listing. Returns true when it reset the cursor.
   */
  public boolean storeSeen(String store) {
    if (store == null || store.equals(data.store)) {
      return false;
    }
    boolean reset = data.store != null;
    if (reset) {
      data.cursor = 0;
      data.following = false;
    }
    data.store = store;
    return reset;
  }

  /** Whether this registry follows the parent's change feed (else: copy everything first). */
  public boolean following() {
    return data.following;
  }

  /** Everything was copied as of the feed's {@code head}: follow the feed from there. */
  public void follow(long head) {
    data.cursor = head;
    data.following = true;
  }

  /** The digest sync last gave {@code tag}, or null when sync did not create it. */
  public String syncedDigest(String repository, String tag) {
    Map<String, String> tags = data.synced.get(repository);
    return tags == null ? null : tags.get(tag);
  }

  /** Repositories sync has tags in. */
  public java.util.Set<String> repositories() {
    return java.util.Set.copyOf(data.synced.keySet());
  }

  public Map<String, String> syncedTags(String repository) {
    return Map.copyOf(data.synced.getOrDefault(repository, Map.of()));
  }

  public void tagSynced(String repository, String tag, String digest) {
    data.synced.computeIfAbsent(repository, r -> new TreeMap<>()).put(tag, digest);
  }

  public void tagRemoved(String repository, String tag) {
    Map<String, String> tags = data.synced.get(repository);
    if (tags != null) {
      tags.remove(tag);
      if (tags.isEmpty()) {
        data.synced.remove(repository);
      }
    }
  }

  /** A serialised state and when it was taken, so an older one never overwrites a newer one. */
  public record Snapshot(long number, byte[] bytes) {}

  private long taken;
  private long written;

  /** The state as it is now, serialised: cheap, on the caller's thread (the sync context). */
  public Snapshot snapshot() {
    try {
      return new Snapshot(++taken, Mapper.JSON.writeValueAsBytes(data));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Blocking: writes a {@link #snapshot()} durably, unless a newer one is already written. */
  public synchronized void write(Snapshot snapshot) {
    if (snapshot.number() <= written) {
      return;
    }
    try {
      AtomicFile.write(file, snapshot.bytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    // Only now: a snapshot whose write failed is written by the next try, not skipped as done.
    written = snapshot.number();
  }

  /** Blocking: snapshot and write, for callers that own the state alone (tests, start-up). */
  public void save() {
    write(snapshot());
  }
}
