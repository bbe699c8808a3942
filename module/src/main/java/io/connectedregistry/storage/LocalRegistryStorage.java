package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.sqlite.SqliteDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Storage on the local filesystem: blobs as files (layout in {@link StoragePaths}), metadata in
 * SQLite. The storage package's entry point: {@link #open}.
 */
public final class LocalRegistryStorage implements RegistryStorage {
  private static final Logger LOG = LoggerFactory.getLogger(LocalRegistryStorage.class);

  /**
   * Options that change how storage behaves; everything else is fixed by the layout.
   *
   * @param uploadExpiry an upload that has not grown for this long is deleted, and stops holding
   *     back garbage collection
   * @param uploadMaxAge an upload started longer ago than this is deleted however recently it grew
   * @param minFreeBytes below this much free space new bytes are refused ({@link DiskSpace}); 0 = off
   */
  public record Options(Duration uploadExpiry, Duration gcGrace, Duration uploadMaxAge, long minFreeBytes,
      Clock clock) {
    /** The configuration's defaults for the upload ages, without a free-space floor. */
    public Options(Duration uploadExpiry, Duration gcGrace, Clock clock) {
      this(uploadExpiry, gcGrace, Duration.ofDays(7), 0, clock);
    }

    /** For tests: the configuration's defaults, without a free-space floor. */
    public static Options defaults() {
      return new Options(Duration.ofHours(24), Duration.ofHours(1), Clock.systemUTC());
    }
  }

  private final StoragePaths paths;
  /** Live (config reload): each garbage collection or expiry run reads it once. */
  private volatile Options options;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final SqliteDatabase database;
  private final MetadataStore metadata;
  private final BlobCommits blobCommits;
  private final ManifestCommits manifestCommits;
  private final ChangeLog changeLog;
  private final DiskSpace space;
  private final Uploads uploads;
  /** Moved by the two methods that write manifests and tags, which every writer goes through. */
  private final ManifestGenerations generations = new ManifestGenerations();

  private LocalRegistryStorage(StoragePaths paths, Options options, FileChannel lockChannel, FileLock lock,
      DiskSpace space, SqliteDatabase database) throws IOException {
    this.paths = paths;
    this.options = options;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.space = space;
    this.database = database;
    this.metadata = new MetadataStore(database, options.clock());
    this.blobCommits = new BlobCommits(metadata);
    this.manifestCommits = new ManifestCommits(metadata);
    this.changeLog = new ChangeLog(database);
    this.uploads = new Uploads(paths, space);
  }

  /**
   * Opens (creating if needed) the store in {@code dataDir}, taking its lock so that no second
   * process writes the same folder, and finishes what a crash may have interrupted.
   */
  /**
   * New expiry and grace periods for the next garbage collection and upload expiry runs (a run in
   * progress finishes with the old ones). {@code minFreeBytes} sizes the space reserve when the
   * store opens, so it stays until a restart.
   */
  public void reconfigure(Duration uploadExpiry, Duration gcGrace, Duration uploadMaxAge) {
    Options old = options;
    options = new Options(uploadExpiry, gcGrace, uploadMaxAge, old.minFreeBytes(), old.clock());
  }

  public static LocalRegistryStorage open(Path dataDir, Options options) {
    StoragePaths paths = new StoragePaths(dataDir);
    FileChannel lockChannel = null;
    try {
      // The folder above the data folder may not be ours to read (and so to fsync): created plainly.
      PrivateFiles.folder(paths.root());
      Fsync.createDirectories(paths.blobsRoot());
      createShardFolders(paths);
      Fsync.createDirectories(paths.trash());
      lockChannel = FileChannel.open(paths.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new StorageException("the data folder " + paths.root()
            + " is in use by another registry process; stop it first or use another --data folder");
      }
      DiskSpace space = new DiskSpace(paths, options.minFreeBytes()); // first: frees the reserve on a full disk
      PrivateFiles.database(paths.metadataDatabase());
      SqliteDatabase database = MetadataDatabase.open(paths.metadataDatabase());
      try {
        LocalRegistryStorage storage = new LocalRegistryStorage(paths, options, lockChannel, lock, space, database);
        storage.recoverTrash();
        return storage;
      } catch (IOException | RuntimeException e) {
        database.close();
        throw e;
      }
    } catch (IOException e) {
      closeQuietly(lockChannel);
      throw new StorageException("cannot open the data folder " + paths.root() + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(lockChannel);
      throw e;
    }
  }

  /**
   * Creates the sha256 shard folders that are missing (all of them in a new store, or in one made
   * before they were made up front), each entry fsynced into {@code blobs/sha256} by one fsync.
   * Otherwise the first blob into each folder created it and fsynced its parent under the
   * metadata write lock, a first sync doing so for most of its blobs. The garbage collector removes
   * files only, never these folders; a folder missing all the same is created by the commit.
   */
  private static void createShardFolders(StoragePaths paths) throws IOException {
    List<Path> shards = paths.sha256Shards();
    java.util.Set<Path> toSync = new java.util.LinkedHashSet<>();
    Fsync.createDirectories(shards.get(0).getParent(), toSync);
    java.util.Set<Path> present;
    try (var list = Files.list(shards.get(0).getParent())) {
      present = list.collect(Collectors.toSet());
    }
    for (Path shard : shards) {
      if (!present.contains(shard)) {
        Fsync.createDirectories(shard, toSync);
      }
    }
    for (Path folder : toSync) {
      Fsync.directory(folder);
    }
  }

  public StoragePaths paths() {
    return paths;
  }

  @Override
  public DiskSpace diskSpace() {
    return space;
  }

  // ---- blobs ----

  @Override
  public Optional<Long> blobSize(String repository, Digest digest) {
    return metadata.linkedBlobSize(repository, digest);
  }

  @Override
  public OpenBlob openBlob(String repository, Digest digest) {
    long size = metadata.linkedBlobSize(repository, digest)
        .orElseThrow(() -> ErrorCode.BLOB_UNKNOWN.exception(digest + " in " + repository));
    try {
      return new OpenBlob(FileChannel.open(paths.blob(digest), StandardOpenOption.READ), size);
    } catch (NoSuchFileException e) {
      throw new StorageException("blob " + digest + " is recorded but its file is missing", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean deleteBlob(String repository, Digest digest) {
    return metadata.unlinkBlob(repository, digest);
  }

  @Override
  public boolean mountBlob(String to, String from, Digest digest) {
    return metadata.mount(to, from, digest);
  }

  @Override
  public boolean linkExistingBlob(String repository, Digest digest) {
    return metadata.linkExisting(repository, digest);
  }

  // ---- uploads ----

  @Override
  public UploadStatus startUpload(String repository) {
    space.requireRoom(0, "new uploads");
    return uploads.start(repository);
  }

  @Override
  public Optional<UploadStatus> uploadStatus(String repository, String uploadId) {
    return uploads.status(repository, uploadId);
  }

  @Override
  public java.nio.channels.FileChannel readUpload(String repository, String uploadId) {
    return uploads.read(repository, uploadId);
  }

  @Override
  public UploadHandle openUpload(String repository, String uploadId) {
    return uploads.open(repository, uploadId);
  }

  @Override
  public Optional<UploadHandle> takeParkedUpload(String repository, String uploadId) {
    return Optional.ofNullable(uploads.take(repository, uploadId));
  }

  @Override
  public Optional<Long> storedBlobSize(Digest digest) {
    return Optional.ofNullable(metadata.read(c -> MetadataStore.blobSize(c, digest)));
  }

  @Override
  public long commitUpload(UploadHandle upload, Digest expected) {
    return commitUpload(upload, expected, upload.repository());
  }

  @Override
  public long commitUpload(UploadHandle upload, Digest expected, String repository) {
    // No free-space check: the bytes are already on disk, and a rename and a row need no more.
    upload.requireNotGone();
    try {
      Digest actual = upload.digest(expected.algorithm());
      if (!actual.equals(expected)) {
        throw ErrorCode.DIGEST_INVALID.exception("uploaded content has digest " + actual + ", not " + expected);
      }
      long size = upload.size();
      upload.channel().force(true);
      // With the other blobs committed at this moment: one folder fsync and one commit for all.
      blobCommits.commit(new BlobCommits.Pending(upload, paths.uploadData(upload.id()), paths.blob(expected),
          repository, expected, size));
      upload.close();
      uploads.delete(upload.id());
      return size;
    } catch (IOException e) {
      if (DiskSpace.isOutOfSpace(e)) {
        throw space.outOfSpace("commit upload " + upload.id() + " (it stays as it was: retry the PUT)");
      }
      throw new StorageException("cannot commit upload " + upload.id() + ": " + e.getMessage(), e);
    }
  }

  /** Metadata write transactions committed since open, and blob and manifest commits waiting: for tests. */
  long metadataCommits() {
    return database.commits();
  }

  int blobCommitsWaiting() {
    return blobCommits.waiting();
  }

  int manifestCommitsWaiting() {
    return manifestCommits.waiting();
  }

  private void moveDurably(Path source, Path target) throws IOException {
    Path dir = target.getParent();
    Fsync.createDirectories(dir);
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new StorageException("the data folder must be on one filesystem (atomic rename failed)", e);
    }
    Fsync.directory(dir);
  }

  @Override
  public boolean cancelUpload(String repository, String uploadId) {
    return uploads.cancel(repository, uploadId);
  }

  // ---- manifests ----

  @Override
  public void putManifest(String repository, Manifest manifest, String tag, ChangeOrigin origin) {
    putManifestTags(repository, manifest, tag == null ? List.of() : List.of(tag), origin);
  }

  @Override
  public void putManifestTags(String repository, Manifest manifest, List<String> tags, ChangeOrigin origin) {
    // Refused below the floor like blobs: small, but a client could push them without end.
    space.requireRoom(manifest.bytes().length, "new manifests");
    List<Digest> missing;
    try {
      // With the other manifests stored at this moment: one commit (one fsync) for all.
      missing = manifestCommits.commit(new ManifestCommits.Pending(repository, manifest, tags, origin));
    } finally {
      // Also when it failed: whether a failure came before or after the commit is not known here.
      generations.advance(repository);
    }
    if (!missing.isEmpty()) {
      throw ErrorCode.MANIFEST_BLOB_UNKNOWN.exception("not in " + repository + ": "
          + missing.stream().map(Digest::toString).collect(Collectors.joining(", ")));
    }
  }

  @Override
  public Optional<StoredManifest> manifest(String repository, Reference reference) {
    return reference.isDigest()
        ? metadata.manifest(repository, reference.digest())
        : metadata.manifestByTag(repository, reference.tag());
  }

  @Override
  public long manifestGeneration(String repository) {
    return generations.current(repository);
  }

  @Override
  public boolean deleteManifest(String repository, Reference reference, ChangeOrigin origin) {
    try {
      return reference.isDigest()
          ? metadata.deleteManifest(repository, reference.digest(), origin)
          : metadata.deleteTag(repository, reference.tag(), origin);
    } finally {
      generations.advance(repository);
    }
  }

  @Override
  public Optional<List<String>> tags(String repository, String last, int limit) {
    return metadata.tags(repository, last, limit);
  }

  @Override
  public java.util.Map<String, Digest> tagDigests(String repository) {
    return metadata.tagDigests(repository);
  }

  @Override
  public List<String> repositories(String last, int limit) {
    return metadata.repositories(last, limit);
  }

  @Override
  public RepositoryPage repositoriesByLastChange(java.util.function.Predicate<String> visible, int limit) {
    return metadata.repositoriesByLastChange(visible, limit);
  }

  @Override
  public StorageUsage usage() {
    return metadata.usage();
  }

  @Override
  public List<ReferrerDescriptor> referrers(String repository, Digest subject, String artifactType) {
    return metadata.referrers(repository, subject, artifactType);
  }

  @Override
  public List<Change> changesAfter(long sequence, int limit) {
    return changeLog.after(sequence, limit);
  }

  @Override
  public String storeId() {
    return changeLog.storeId();
  }

  @Override
  public long lastChangeSequence() {
    return changeLog.head();
  }

  @Override
  public Optional<Change> latestTagChange(String repository, String tag) {
    return changeLog.latestOfTag(repository, tag);
  }

  @Override
  public ClientBacklog clientChangesAfter(long sequence, long madeBefore) {
    long[] counts = changeLog.countByClientAfter(sequence, madeBefore);
    return new ClientBacklog(counts[0], counts[1]);
  }

  // ---- housekeeping ----

  @Override
  public GcReport collectGarbage() {
    space.refresh(); // on a full disk, gives the reserve back first: collecting writes metadata too
    return new GarbageCollector(paths, metadata, uploads, options).run();
  }

  @Override
  public int expireUploads() {
    return new GarbageCollector(paths, metadata, uploads, options).expireUploads();
  }

  @Override
  public void checkWritable() {
    metadata.ping();
    Path probe = null;
    try {
      // A file of its own per probe: probes run at once (several kubelets, a load balancer).
      probe = Files.createTempFile(paths.uploadsRoot(), ".probe-", null);
      Files.write(probe, new byte[] {1});
      Files.delete(probe);
    } catch (IOException e) {
      if (DiskSpace.isOutOfSpace(e)) {
        // Full, not broken: pulls are served all the same, and writes answer 507 by themselves.
        if (probe != null) {
          probe.toFile().delete();
        }
        return;
      }
      throw new StorageException("the data folder is not writable: " + e.getMessage(), e);
    }
  }

  /** Finishes a garbage collection that a crash interrupted (see {@link GarbageCollector}). */
  private void recoverTrash() throws IOException {
    List<Path> entries;
    try (var list = Files.list(paths.trash())) {
      entries = list.toList();
    }
    for (Path file : entries) {
      Digest digest = GarbageCollector.digestOfTrashFile(file);
      boolean stillRecorded = digest != null
          && metadata.read(c -> MetadataStore.blobSize(c, digest) != null);
      if (stillRecorded && !Files.exists(paths.blob(digest))) {
        moveDurably(file, paths.blob(digest));
        LOG.info("restored blob {} that an interrupted garbage collection had set aside", digest);
      } else {
        Files.deleteIfExists(file);
      }
    }
  }

  @Override
  public void close() {
    uploads.close();
    database.close();
    try {
      lock.release();
    } catch (IOException ignored) {
      // released when the channel closes anyway
    }
    closeQuietly(lockChannel);
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }
}
