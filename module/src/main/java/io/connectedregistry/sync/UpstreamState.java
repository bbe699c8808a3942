package io.connectedregistry.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.storage.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the upstream queue must remember across restarts, in {@code DATA/upstream-state.json}: its
 * cursor in the local change log (the last change the parent confirmed, or that needed nothing),
 * the digest it last gave each tag at the parent (so the parent's tag being our own earlier push
 * is not taken for a conflict), and the changes the parent refused (kept for the operator).
 *
 * <p>Written whole with {@link AtomicFile} after every acknowledged change, before the next one is
 * sent: after a crash the queue resends at most the change it was sending, which is harmless
 * (content-addressed, and it asks the parent before uploading). Changed on the sync context only;
 * written on a worker.
 */
final class UpstreamState {
  static final String FILE_NAME = "upstream-state.json";
  /** Refused changes kept in the file: the newest ones; each is also in the log. */
  static final int MAX_REFUSED = 100;
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
    public Map<String, Map<String, String>> pushed = new TreeMap<>();
    public List<String> refused = new ArrayList<>();
  }

  private final Path file;
  private final Data data;
  private long taken;
  private long written;
  private boolean changed;

  private UpstreamState(Path file, Data data) {
    this.file = file;
    this.data = data;
  }

  /** Blocking. A missing file starts at the beginning of the change log. */
  static UpstreamState load(Path dataDirectory) {
    Path file = dataDirectory.resolve(FILE_NAME);
    Data data = new Data();
    if (Files.exists(file)) {
      try {
        data = Mapper.JSON.readValue(file.toFile(), Data.class);
      } catch (IOException e) {
        // Not deleted or guessed: a wrong cursor would push again or skip pushes.
        throw new UncheckedIOException("cannot read " + file + " (the upstream queue's cursor); fix or remove it"
            + " (removed, every client change in the change log is offered to the parent again)", e);
      }
      data.pushed = data.pushed == null ? new TreeMap<>() : data.pushed;
      data.refused = data.refused == null ? new ArrayList<>() : data.refused;
    }
    return new UpstreamState(file, data);
  }

  long cursor() {
    return data.cursor;
  }

  void cursor(long sequence) {
    if (sequence > data.cursor) {
      data.cursor = sequence;
      changed = true;
    }
  }

  /** Whether something changed since the last {@link #snapshot()}. */
  boolean unsaved() {
    return changed;
  }

  String pushedDigest(String repository, String tag) {
    Map<String, String> tags = data.pushed.get(repository);
    return tags == null ? null : tags.get(tag);
  }

  void pushed(String repository, String tag, String digest) {
    changed = true;
    if (digest == null) {
      Map<String, String> tags = data.pushed.get(repository);
      if (tags != null) {
        tags.remove(tag);
        if (tags.isEmpty()) {
          data.pushed.remove(repository);
        }
      }
    } else {
      data.pushed.computeIfAbsent(repository, r -> new TreeMap<>()).put(tag, digest);
    }
  }

  void refused(String description) {
    changed = true;
    data.refused.add(description);
    while (data.refused.size() > MAX_REFUSED) {
      data.refused.remove(0);
    }
  }

  List<String> refused() {
    return List.copyOf(data.refused);
  }

  /** A serialised state and when it was taken, so an older one never overwrites a newer one. */
  record Snapshot(long number, byte[] bytes) {}

  Snapshot snapshot() {
    changed = false;
    try {
      return new Snapshot(++taken, Mapper.JSON.writeValueAsBytes(data));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Blocking: writes a snapshot durably, unless a newer one is already written. */
  synchronized void write(Snapshot snapshot) {
    if (snapshot.number() <= written) {
      return;
    }
    try {
      AtomicFile.write(file, snapshot.bytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    written = snapshot.number();
  }
}
