package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Uploads in progress, one folder each under {@code uploads/}. The folder is the whole state, so an
 * upload survives a restart and the client resumes from the size on disk; the running SHA-256 is
 * kept in memory only as an optimisation and recomputed from the file when missing.
 *
 * <p>Between two requests of a chunked push the upload's handle stays open ({@link #park}), so the
 * next PATCH starts on the event loop without a worker round trip; at most {@link #MAX_PARKED}
 * are kept, the least recently parked closed first (its hash is kept, so reopening needs no
 * re-hash).
 */
final class Uploads {
  private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  /** Running hash of an upload's bytes; {@code valid} is false when it may not match the file. */
  static final class HashState {
    MessageDigest sha256 = Digest.newMessageDigest("sha256");
    long size;
    boolean valid = true;
    /** Bytes written since the last background flush was started, across requests. */
    long unflushed;
    Future<?> flushing;
  }

  /** How much an upload writes between two background flushes. */
  static final long FLUSH_EVERY_BYTES = 16L * 1024 * 1024;

  /** Open handles kept between requests: one file descriptor each. */
  static final int MAX_PARKED = 32;

  private final ExecutorService flusher = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "upload-flusher");
    t.setDaemon(true);
    return t;
  });
  private final StoragePaths paths;
  private final DiskSpace space;
  private final ConcurrentHashMap<String, HashState> idle = new ConcurrentHashMap<>();
  private final Set<String> busy = ConcurrentHashMap.newKeySet();
  /** The handle of each busy upload, so deleting one under its request stops that request. */
  private final ConcurrentHashMap<String, UploadHandle> handles = new ConcurrentHashMap<>();
  /** Idle uploads whose handle is kept open, oldest first; guarded by {@code this}, like taking and parking. */
  private final LinkedHashMap<String, UploadHandle> parked = new LinkedHashMap<>();

  Uploads(StoragePaths paths, DiskSpace space) throws IOException {
    this.paths = paths;
    this.space = space;
    Files.createDirectories(paths.uploadsRoot());
  }

  DiskSpace space() {
    return space;
  }

  UploadStatus start(String repository) {
    String id = UUID.randomUUID().toString();
    try {
      Path dir = paths.upload(id);
      Files.createDirectories(dir);
      Files.writeString(paths.uploadRepository(id), repository, StandardCharsets.UTF_8);
      Files.createFile(paths.uploadData(id));
      idle.put(id, new HashState());
      return new UploadStatus(id, repository, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Optional<UploadStatus> status(String repository, String id) {
    if (!isOwnedBy(repository, id)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new UploadStatus(id, repository, Files.size(paths.uploadData(id))));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean isOwnedBy(String repository, String id) {
    if (id == null || !ID.matcher(id).matches()) {
      return false;
    }
    try {
      return repository.equals(Files.readString(paths.uploadRepository(id), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Read-only, alongside the writer; see {@link RegistryStorage#readUpload}. */
  FileChannel read(String repository, String id) {
    if (!isOwnedBy(repository, id)) {
      throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " is not in progress in " + repository);
    }
    try {
      return FileChannel.open(paths.uploadData(id), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " was cancelled or expired");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Takes the upload for one request; a second concurrent request on the same upload is refused. */
  UploadHandle open(String repository, String id) {
    if (!isOwnedBy(repository, id)) {
      throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " is not in progress in " + repository);
    }
    UploadHandle kept = take(repository, id);
    if (kept != null) {
      return kept;
    }
    if (!busy.add(id)) {
      throw ErrorCode.BLOB_UPLOAD_INVALID.exception("upload " + id + " is busy with another request");
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(paths.uploadData(id), StandardOpenOption.WRITE, StandardOpenOption.READ);
      long size = channel.size();
      HashState state = idle.remove(id);
      if (state == null || !state.valid || state.size != size) {
        state = rehash(channel, size);
      }
      channel.position(size);
      UploadHandle handle = new UploadHandle(this, id, repository, channel, state);
      handles.put(id, handle);
      return handle;
    } catch (NoSuchFileException e) {
      busy.remove(id);
      closeQuietly(channel);
      throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " was cancelled or expired");
    } catch (IOException | RuntimeException e) {
      busy.remove(id);
      closeQuietly(channel);
      throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
    }
  }

  /**
   * Non-blocking: the upload's parked handle, taken for one request, or null when it has none (the
   * caller then {@linkplain #open opens} it on a worker, which also answers unknown and busy).
   */
  UploadHandle take(String repository, String id) {
    UploadHandle handle;
    synchronized (this) {
      handle = parked.get(id);
      if (handle == null || !handle.repository().equals(repository)) {
        return null;
      }
      parked.remove(id);
      busy.add(id);
      handles.put(id, handle);
    }
    handle.begin();
    return handle;
  }

  /**
   * Non-blocking: keeps a handle open for the upload's next request. False when it was deleted
   * meanwhile. Past {@link #MAX_PARKED}, the oldest parked handle is closed on the flusher thread.
   */
  boolean park(UploadHandle handle) {
    UploadHandle evicted = null;
    synchronized (this) {
      if (handle.isGone()) {
        return false;
      }
      handles.remove(handle.id());
      parked.put(handle.id(), handle);
      busy.remove(handle.id());
      if (parked.size() > MAX_PARKED) {
        var eldest = parked.entrySet().iterator();
        evicted = eldest.next().getValue();
        eldest.remove();
        idle.put(evicted.id(), evicted.hashState());
      }
    }
    if (evicted != null) {
      UploadHandle closing = evicted;
      flusher.execute(closing::closeChannel);
    }
    return true;
  }

  private static HashState rehash(FileChannel channel, long size) throws IOException {
    HashState state = new HashState();
    state.size = hashInto(channel, size, state.sha256);
    return state;
  }

  static Digest hashFile(FileChannel channel, String algorithm, long size) throws IOException {
    MessageDigest md = Digest.newMessageDigest(algorithm);
    hashInto(channel, size, md);
    return Digest.fromHasher(algorithm, md);
  }

  /** Feeds the first {@code size} bytes of the file to {@code md}; returns how many there were. */
  private static long hashInto(FileChannel channel, long size, MessageDigest md) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
    long position = 0;
    while (position < size) {
      buffer.clear();
      int n = channel.read(buffer, position);
      if (n < 0) {
        break;
      }
      buffer.flip();
      md.update(buffer);
      position += n;
    }
    return position;
  }

  /**
   * Flushes an upload's dirty pages on the flusher thread, through its own file descriptor so the
   * request that triggered it may finish first. Failures surface at the commit's own fsync.
   */
  Future<?> flushInBackground(String id) {
    Path data = paths.uploadData(id);
    return flusher.submit(() -> {
      try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
        ch.force(false);
      } catch (IOException ignored) {
        // cancelled or committed meanwhile, or an I/O error the commit's fsync will report
      }
    });
  }

  void close() {
    flusher.shutdownNow().forEach(Runnable::run); // evicted handles still to close, flushes
    List<UploadHandle> open;
    synchronized (this) {
      open = new ArrayList<>(parked.values());
      parked.clear();
    }
    open.forEach(UploadHandle::closeChannel);
  }

  void release(String id, HashState state) {
    handles.remove(id);
    if (state.valid && Files.exists(paths.upload(id))) {
      idle.put(id, state);
    }
    busy.remove(id);
  }

  /** Cancels an upload; false when there is none. A request still writing to it fails afterwards. */
  boolean cancel(String repository, String id) {
    if (!isOwnedBy(repository, id)) {
      return false;
    }
    delete(id);
    return true;
  }

  /** Deletes an upload; a request still writing to it fails on its next write (BLOB_UPLOAD_UNKNOWN). */
  void delete(String id) {
    UploadHandle kept;
    UploadHandle open;
    synchronized (this) {
      kept = parked.remove(id);
      idle.remove(id);
      open = handles.get(id);
      if (open != null) {
        open.markGone();
      }
    }
    if (kept != null) {
      kept.markGone();
      kept.closeChannel();
    }
    deleteTree(paths.upload(id));
  }

  /**
   * Uploads the garbage collector deletes: those not in use that have not grown since
   * {@code untouchedSince}, and those started before {@code startedBefore} whatever they do (a
   * trickle of bytes must not keep an upload, and the space and collection it holds, for ever).
   */
  List<String> expired(Instant untouchedSince, Instant startedBefore) {
    List<String> result = new ArrayList<>();
    for (UploadTimes u : list()) {
      if (u.started().isBefore(startedBefore) || (!busy.contains(u.id()) && u.grew().isBefore(untouchedSince))) {
        result.add(u.id());
      }
    }
    return result;
  }

  /**
   * When the oldest upload that grew since {@code activeSince} was started: its client may push
   * the manifest that links the blobs it pushed before, so those are not collected yet. An upload
   * that has stopped growing holds nothing back, even while a request keeps it open.
   */
  Optional<Instant> oldestActiveStart(Instant activeSince) {
    return list().stream()
        .filter(u -> !u.grew().isBefore(activeSince))
        .map(UploadTimes::started)
        .min(Comparator.naturalOrder());
  }

  /** An upload's start (the mtime of its repository file) and last growth (of its data file). */
  private record UploadTimes(String id, Instant started, Instant grew) {}

  private List<UploadTimes> list() {
    List<UploadTimes> result = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(paths.uploadsRoot())) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Instant started = mtime(dir.resolve("repository"), dir);
        Instant grew = mtime(dir.resolve("data"), dir);
        if (started != null && grew != null) {
          result.add(new UploadTimes(dir.getFileName().toString(), started, grew));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return result;
  }

  /** The mtime of {@code file}, else of {@code fallback} (an upload half-created), else null (gone). */
  private static Instant mtime(Path file, Path fallback) {
    for (Path p : new Path[] {file, fallback}) {
      try {
        return Files.getLastModifiedTime(p).toInstant();
      } catch (IOException e) {
        // try the next; a folder deleted meanwhile has neither
      }
    }
    return null;
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }
}
